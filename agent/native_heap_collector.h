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

  // What the sampled sites of the latest profile add up to (estimates).
  struct SampledTotals {
    uint64_t in_use_bytes = 0;
    uint64_t alloc_bytes = 0;  // since the process started
    uint64_t sites = 0;        // stacks with bytes in use
  };
  const SampledTotals& last_totals() const { return last_totals_; }

 private:
  ProfileSinks& sinks_;
  SampledTotals last_totals_;
  Symbolizer symbolizer_;
};

}  // namespace heapagent
