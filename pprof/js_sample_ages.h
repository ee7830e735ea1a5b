// Tells, for each sample of a JS heap profile, whether it is new since the
// previous read of the same thread's sampler or was already live then: a
// cheap, exact survival signal for a leak finder (formats.md 2.3: a CDP
// sample's `ordinal` identifies one sampled object for the whole sampling run,
// and it stays in the profile exactly as long as the object lives).
//
// Memory is bounded by the live set: per thread, only the ordinals of the last
// read are kept (8 bytes each, sorted), never a history.
//
// Ordinals are only comparable within one sampling run. When a thread's
// sampler restarts (the CDP session reconnected, the worker was re-attached),
// call Forget(thread_id) first, or every sample of the new run would be
// matched against unrelated ordinals of the old one.
//
// Thread-safety: none; one JsSampleAges belongs to the one thread that builds
// the JS profiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "cdp/sampling_heap_profile.h"

namespace heapagent::pprof {

class JsSampleAges {
 public:
  // Classifies `samples` (one read of thread `thread_id`'s sampler) against
  // that thread's previous read, then remembers this read as the previous one.
  // Returns one flag per sample, in order: true = "old" (live at the previous
  // read), false = "new". On a thread's first read every sample is new.
  std::vector<bool> Advance(int64_t thread_id, std::span<const cdp::JsSample> samples);

  // Drops what is remembered for one thread (its sampler restarted or the
  // thread exited), or for all threads not in `live_thread_ids`.
  void Forget(int64_t thread_id);
  void RetainOnly(std::span<const int64_t> live_thread_ids);

  size_t remembered_threads() const { return previous_.size(); }
  size_t remembered_samples() const;

 private:
  std::unordered_map<int64_t, std::vector<uint64_t>> previous_;  // thread id -> sorted ordinals
};

}  // namespace heapagent::pprof
