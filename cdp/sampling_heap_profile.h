// Parses V8's sampling heap profile, as CDP's HeapProfiler.getSamplingProfile
// (or stopSampling) returns it, into plain structs that pprof/ consumes.
//
// Input is the reply's `result` object, `{"profile":{"head":{...},"samples":[...]}}`,
// or just the value of "profile", `{"head":{...},"samples":[...]}`. The text is
// untrusted (it crosses a socket): anything malformed, truncated, wrongly typed
// or too big gives nullopt and a one-sentence error, never a crash, an
// exception or unbounded stack use. The tree is walked with an explicit stack
// and its depth and size are capped.
//
// What the values mean (formats.md 2.3): sizes are V8's already-unsampled
// estimates (size x round(1/p)); line and column are 0-based and name where the
// *function* starts, not the allocation site; node ids and sample ordinals are
// stable across reads within one sampling run.
//
// Thread-safety: ParseSamplingHeapProfile is a pure function; concurrent calls
// are fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapagent::cdp {

// Runtime.CallFrame. line/column are 0-based as CDP gives them; -1 = none
// (the root and V8's synthetic nodes such as "(GC)").
// The {} initializers let callers omit fields in designated initializers
// without -Wmissing-field-initializers noise.
struct JsCallFrame {
  std::string function_name{};  // "" for anonymous functions
  std::string url{};            // "" for builtins and synthetic nodes
  std::string script_id{};
  int32_t line = -1;
  int32_t column = -1;
};

struct JsProfileNode {
  int64_t id = 0;
  int32_t parent = -1;  // index into SamplingHeapProfile::nodes, -1 for the root
  JsCallFrame frame{};
  double self_size = 0;
};

struct JsSample {
  double size = 0;  // bytes, already scaled by V8
  int64_t node_id = 0;
  uint64_t ordinal = 0;  // unique per sampled object within one sampling run
  // Index into SamplingHeapProfile::nodes of the node `node_id`, resolved by
  // the parser; -1 when not resolved (hand-built profiles), in which case
  // consumers look node_id up themselves.
  int32_t node_index = -1;
  // How many objects this sample stands for (V8's scaled count), so that
  // size = object_count x object size. Only known when V8's allocation
  // profile is read in-process (v8direct/); CDP gives sizes only
  // (formats.md 2.4), so the parser leaves it 0 = unknown.
  uint64_t object_count = 0;
};

struct SamplingHeapProfile {
  // Pre-order: nodes[0] is the root "(root)", and every node's parent comes
  // before it (parent < own index).
  std::vector<JsProfileNode> nodes;
  // In input order, only those whose node_id names a node.
  std::vector<JsSample> samples;
  // Samples whose node_id named no node in the tree: dropped, counted here.
  uint64_t dropped_samples = 0;
};

// Limits on hostile or runaway input. V8 caps stacks at 128 frames, so real
// trees are far shallower; 35k nodes is a large real profile.
inline constexpr int32_t kMaxProfileTreeDepth = 1024;   // root = depth 0
inline constexpr size_t kMaxProfileNodes = 2'000'000;

// Returns the parsed profile, or nullopt with a one-sentence reason in
// `*error` (when error is not null).
std::optional<SamplingHeapProfile> ParseSamplingHeapProfile(std::string_view json, std::string* error);

}  // namespace heapagent::cdp
