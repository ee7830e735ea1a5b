// Where the JS collectors (in-process or over CDP) leave the V8 heap figures
// of their latest read, for the agent thread's heap summary to pick up.
//
// Thread-safety: Publish and Latest from any thread.
#pragma once

#include <mutex>
#include <optional>
#include <unordered_set>

#include "agent/heap_summary.h"
#include "cdp/sampling_heap_profile.h"

namespace heapagent {

class V8HeapBoard {
 public:
  void Publish(V8HeapFigures figures) {
    std::lock_guard lock(mutex_);
    latest_ = std::move(figures);
  }
  std::optional<V8HeapFigures> Latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
  }

 private:
  mutable std::mutex mutex_;
  std::optional<V8HeapFigures> latest_;
};

// Adds what one isolate's sampled profile holds in use (V8's unbiased bytes)
// and its number of allocation sites (profile nodes with live samples).
inline void AddSampledJsTotals(const cdp::SamplingHeapProfile& profile, V8HeapFigures* figures) {
  std::unordered_set<int64_t> sites;
  double bytes = 0;
  for (const cdp::JsSample& sample : profile.samples) {
    bytes += sample.size;
    sites.insert(sample.node_id);
  }
  figures->sampled_in_use_bytes += static_cast<uint64_t>(bytes);
  figures->sampled_sites += sites.size();
}

// a + b for figures that may be unknown: unknown when either is.
inline std::optional<uint64_t> SumKnown(std::optional<uint64_t> a, std::optional<uint64_t> b) {
  if (!a || !b) return std::nullopt;
  return *a + *b;
}

}  // namespace heapagent
