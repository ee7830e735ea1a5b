// Turns V8 sampling heap profiles (one per isolate: the main thread and each
// worker), as cdp/ parsed them, into one pprof heap profile laid out like
// dd-trace-js's, so Datadog, Pyroscope and go tool pprof read it as a JS heap:
//
// - Sample types, in order: inuse_samples/count, the number of raw V8 samples
//   (or, with JsHeapProfileOptions::exact_object_counts, inuse_objects/count,
//   the sum of V8's scaled object counts)
//   (exact; CDP's sizes are already scaled by V8, so object counts cannot be
//   recovered: formats.md 2.4), and inuse_space/bytes, the sum of the CDP
//   sample sizes (V8's unbiased estimate: never rescaled). Default sample type
//   inuse_space; period_type space/bytes with the sampling interval as period;
//   time_nanos/duration_nanos from the window.
// - Values come from `samples[]`, summed per (node, labels); selfSize is not
//   used (it is the same data, rounded differently), so a node with selfSize
//   but no samples adds nothing.
// - One Location per JS frame: no mapping, no address, one Line with the
//   1-based line (CDP line + 1) and, when profile.proto's Line.column is
//   supported by ProfileBuilder, the 1-based column. CDP's line is where the
//   function starts, not the allocation site. Function name = functionName or
//   "(anonymous)", system_name = name, filename = url, start_line = line.
//   Stacks run leaf first from the sampled node up to, not including, the root
//   "(root)". V8's synthetic nodes ("(GC)", "(V8 API)", "(EXTERNAL)",
//   "(PARSER)", ...) stay as frames, with an empty file. A sample on the root
//   itself gets the single frame "(no JS frame)".
// - String labels on every sample, dd-trace-js's keys: "thread name",
//   "thread id" (decimal), "os thread id" (decimal, omitted when unknown), and
//   with JsHeapProfileOptions::ages, "age" = "new" | "old" (js_sample_ages.h).
// - Off-heap memory: a thread with external_bytes gets one more sample whose
//   only frame is "(external)", values [1, external_bytes], thread labels and
//   no age (dd-trace-js's convention). array_buffer_bytes, a part of external,
//   goes in a comment.
// - Comments: the interval, raw samples, distinct samples (stacks x labels),
//   dropped samples, and one line per thread with its totals.
//
// Thread-safety: BuildJsHeapProfile has no shared state; it mutates only
// options.ages, which must not be used concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "cdp/sampling_heap_profile.h"
#include "pprof/js_sample_ages.h"
#include "pprof/native_heap_profile.h"  // ProfileWindow

namespace heapagent::pprof {

struct JsThreadHeap {
  std::string thread_name{};  // "Main Event Loop" or "Worker #<threadId>"; "" = that default
  int64_t thread_id = 0;    // node's threadId: 0 for the main thread
  int64_t os_thread_id = 0;  // 0 = unknown: the "os thread id" label is omitted
  const cdp::SamplingHeapProfile* profile = nullptr;  // null: no JS samples for this thread
  std::optional<int64_t> external_bytes{};      // process.memoryUsage().external of this isolate
  std::optional<int64_t> array_buffer_bytes{};  // process.memoryUsage().arrayBuffers (part of external)
};

struct JsHeapProfileOptions {
  int64_t sampling_interval = 524288;  // bytes, as given to HeapProfiler.startSampling
  ProfileWindow window{};
  // When set, each sample gets the label "age" and `ages` advances to this
  // read for every thread with a profile. Null: no age labels.
  JsSampleAges* ages = nullptr;
  // True when every sample's object_count is V8's exact (scaled) count, as
  // the in-process path (v8direct/) reads it: the first sample type is then
  // inuse_objects/count, the sum of object counts, instead of
  // inuse_samples/count (dd-trace-js's own layout). CDP profiles leave it off.
  bool exact_object_counts = false;
};

// Name of the placeholder function for off-heap memory.
inline constexpr const char* kExternalFunctionName = "(external)";

// Returns the serialized (not yet gzipped) profile.
std::string BuildJsHeapProfile(std::span<const JsThreadHeap> threads, const JsHeapProfileOptions& options);

}  // namespace heapagent::pprof
