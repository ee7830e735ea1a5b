// Per-function totals; see site_totals.h.
#include "cli/site_totals.h"

#include <algorithm>
#include <map>
#include <unordered_set>

namespace heapagent::cli {

std::vector<SiteTotal> FunctionTotals(const std::vector<const pprof::ProfileData*>& profiles,
                                      const std::string& type, double* total) {
  std::map<std::pair<std::string, std::string>, SiteTotal> totals;
  double sum = 0;
  for (const pprof::ProfileData* profile : profiles) {
    const int column = profile->SampleTypeIndex(type);
    if (column < 0) continue;
    StackResolver resolver(*profile);
    for (const pprof::SampleData& sample : profile->samples) {
      const double value = static_cast<double>(sample.values[column]);
      if (value == 0) continue;
      sum += value;
      const std::vector<Frame> stack = resolver.LeafFirst(sample);
      std::unordered_set<std::string> seen;
      for (size_t i = 0; i < stack.size(); ++i) {
        const auto key = std::make_pair(stack[i].function, stack[i].file);
        auto [it, inserted] = totals.try_emplace(key);
        if (inserted) it->second.frame = stack[i];
        if (i == 0) it->second.flat += value;
        if (seen.insert(key.first + '\x1f' + key.second).second) it->second.cumulative += value;
      }
    }
  }
  std::vector<SiteTotal> result;
  for (auto& [key, one] : totals) result.push_back(std::move(one));
  std::stable_sort(result.begin(), result.end(), [](const SiteTotal& a, const SiteTotal& b) {
    if (a.flat != b.flat) return a.flat > b.flat;
    return a.cumulative > b.cumulative;
  });
  if (total) *total = sum;
  return result;
}

std::string DefaultSampleType(const pprof::ProfileData& profile) {
  if (profile.SampleTypeIndex("inuse_space") >= 0) return "inuse_space";
  if (!profile.default_sample_type.empty() && profile.SampleTypeIndex(profile.default_sample_type) >= 0) {
    return profile.default_sample_type;
  }
  return profile.sample_types.empty() ? "" : profile.sample_types.back().type;
}

}  // namespace heapagent::cli
