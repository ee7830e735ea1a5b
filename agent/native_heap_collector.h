// The native-heap job of each period: snapshot the sampler's tables, build a
// pprof profile with symbols, gzip it and hand it to the file writer.
//
// Thread-safety: none; runs on the agent thread only.
#pragma once

#include "agent/profile_files.h"
#include "pprof/native_heap_profile.h"
#include "sampling/symbolizer.h"

namespace heapagent {

class NativeHeapCollector {
 public:
  explicit NativeHeapCollector(ProfileFiles& files) : files_(files) {}

  void Collect(const pprof::ProfileWindow& window, bool is_final);

  // Loads the module list and symbol tables ahead of the first profile so the
  // final one at exit is quick even in a short-lived process.
  void WarmUp();

 private:
  ProfileFiles& files_;
  Symbolizer symbolizer_;
};

}  // namespace heapagent
