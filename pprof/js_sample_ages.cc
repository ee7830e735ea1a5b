#include "pprof/js_sample_ages.h"

#include <algorithm>
#include <utility>

namespace heapagent::pprof {

std::vector<bool> JsSampleAges::Advance(int64_t thread_id, std::span<const cdp::JsSample> samples) {
  std::vector<uint64_t> current;
  current.reserve(samples.size());
  for (const cdp::JsSample& sample : samples) current.push_back(sample.ordinal);
  std::sort(current.begin(), current.end());
  current.erase(std::unique(current.begin(), current.end()), current.end());

  std::vector<bool> is_old(samples.size(), false);
  if (const auto found = previous_.find(thread_id); found != previous_.end()) {
    const std::vector<uint64_t>& previous = found->second;
    for (size_t i = 0; i < samples.size(); ++i) {
      is_old[i] = std::binary_search(previous.begin(), previous.end(), samples[i].ordinal);
    }
  }
  current.shrink_to_fit();
  previous_[thread_id] = std::move(current);
  return is_old;
}

void JsSampleAges::Forget(int64_t thread_id) { previous_.erase(thread_id); }

void JsSampleAges::RetainOnly(std::span<const int64_t> live_thread_ids) {
  std::erase_if(previous_, [&](const auto& entry) {
    return std::find(live_thread_ids.begin(), live_thread_ids.end(), entry.first) == live_thread_ids.end();
  });
}

size_t JsSampleAges::remembered_samples() const {
  size_t total = 0;
  for (const auto& [thread_id, ordinals] : previous_) total += ordinals.size();
  return total;
}

}  // namespace heapagent::pprof
