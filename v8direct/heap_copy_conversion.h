// Turns one isolate's IsolateHeapCopy (v8direct's compact read of V8's
// allocation profile) into the cdp::SamplingHeapProfile that pprof/'s JS heap
// builder consumes, so the direct path and the CDP path share one builder,
// one file layout and one set of labels.
//
// Runs on the agent's thread, never on the app's. The mapping is CDP's
// (formats.md 2.3, V8's v8-heap-profiler-agent-impl.cc): line and column
// become 0-based (-1 = none), scriptId is the decimal script id, a sample's
// size is its object size x V8's scaled count, its ordinal V8's sample id;
// the count itself is kept (JsSample::object_count), which CDP cannot give.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cdp/sampling_heap_profile.h"
#include "v8direct/allocation_profile_copy.h"

namespace heapagent::v8direct {

// `strings` is the isolate's string table (CopiedNode::name/url index it).
// nullopt with `*problem` when the copy is inconsistent (a string id out of
// range, a parent after its child, a node id twice).
std::optional<cdp::SamplingHeapProfile> ToSamplingHeapProfile(const IsolateHeapCopy& copy,
                                                               std::span<const std::string> strings,
                                                               std::string* problem);

}  // namespace heapagent::v8direct
