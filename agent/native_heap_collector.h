// The native-heap job of each period: snapshot the sampler's tables, build a
// pprof profile with symbols and hand it to the sinks (files, backends).
//
// Thread-safety: none; runs on the agent thread only.
#pragma once

#include "agent/profile_sink.h"
#include "pprof/native_heap_profile.h"
#include "sampling/symbolizer.h"

namespace heapagent {

class NativeHeapCollector {
 public:
  explicit NativeHeapCollector(ProfileSinks& sinks) : sinks_(sinks) {}

  void Collect(const pprof::ProfileWindow& window, bool is_final);

  // Loads the module list and symbol tables ahead of the first profile so the
  // final one at exit is quick even in a short-lived process.
  void WarmUp();

 private:
  ProfileSinks& sinks_;
  Symbolizer symbolizer_;
};

}  // namespace heapagent
