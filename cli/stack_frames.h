// Turns a sample's location ids into the frames a person reads: function,
// file, line and whether it is JS or native code, with inlined frames
// expanded. Every command (top, flame graphs, leak sites) sees stacks only
// through this.
//
// A frame is native when its location has a mapping (a loaded object), JS
// when it has none (V8's frames, @datadog/pprof's), and a placeholder
// ("(external)", "(root)", "[truncated]") when its name is in brackets.
//
// Thread-safety: a StackResolver caches per location and must be used by
// one thread at a time; Frame is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "pprof/profile_data.h"

namespace heapagent::cli {

enum class FrameKind : uint8_t { kJs = 0, kNative = 1, kPlaceholder = 2 };

struct Frame {
  std::string function;
  std::string file;
  int64_t line = 0;
  FrameKind kind = FrameKind::kNative;
  // False for a bare address (no symbol): JIT code, stripped objects. Such
  // frames change when V8 recompiles, so they name no stable site.
  bool symbolized = true;

  bool operator==(const Frame&) const = default;
  // "function (file:line)", the way the text outputs print a frame.
  std::string Describe() const;
};

class StackResolver {
 public:
  explicit StackResolver(const pprof::ProfileData& profile) : profile_(profile) {}

  // The frames of `sample`, leaf (allocation site) first, entry point last.
  std::vector<Frame> LeafFirst(const pprof::SampleData& sample);

 private:
  const std::vector<Frame>& LocationFrames(uint64_t location_id);

  const pprof::ProfileData& profile_;
  std::unordered_map<uint64_t, std::vector<Frame>> cache_;
};

}  // namespace heapagent::cli
