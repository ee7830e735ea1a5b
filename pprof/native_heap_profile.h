// Turns one snapshot of the native sampler into a pprof heap profile, in the
// conventions of Go's heap profile so every pprof consumer reads it:
// sample types alloc_objects/count, alloc_space/bytes, inuse_objects/count,
// inuse_space/bytes (default inuse_space), period_type space/bytes with the
// mean sampling interval as period. Values are the sampler's unbiased
// estimates, already scaled; alloc_* are cumulative since the process started.
#pragma once

#include <cstdint>
#include <string>

#include "sampling/native_sampler.h"
#include "sampling/symbolizer.h"

namespace heapagent::pprof {

struct ProfileWindow {
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  // The last profile of the process, taken while it exits: the builders say
  // so in a comment ("final profile, at process exit"), because by then node
  // has freed much of what the app held and readers (the CLI's leak finder)
  // must not read that as shrinking.
  bool at_exit = false;
};

inline constexpr const char* kAtExitComment = "final profile, at process exit";

// Returns the serialized (not yet gzipped) profile.
std::string BuildNativeHeapProfile(const NativeHeapSnapshot& snapshot, Symbolizer& symbolizer,
                                   const ProfileWindow& window);

}  // namespace heapagent::pprof
