#include "pprof/profile_transforms.h"

#include <algorithm>
#include <numeric>
#include <unordered_set>

namespace heapagent::pprof {
namespace {

void AppendField(std::string& key, std::string_view field) {
  key += field;
  key += '\x1f';  // unit separator: cannot occur in the numbers, rarely in names
}

void AppendLabels(std::string& key, const std::vector<LabelData>& labels) {
  for (const LabelData& label : labels) {
    AppendField(key, label.key);
    AppendField(key, label.str);
    AppendField(key, std::to_string(label.num));
    AppendField(key, label.num_unit);
  }
}

// Identity of a sample within one profile: its location ids and labels.
std::string LocalSampleKey(const SampleData& sample) {
  std::string key;
  for (uint64_t id : sample.location_ids) AppendField(key, std::to_string(id));
  key += '\x1e';
  AppendLabels(key, sample.labels);
  return key;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

uint64_t NextId(uint64_t current_max) { return current_max + 1; }

}  // namespace

bool RenameSampleType(ProfileData& profile, std::string_view from, const ValueTypeData& to) {
  for (ValueTypeData& type : profile.sample_types) {
    if (type.type == from) {
      if (profile.default_sample_type == from) profile.default_sample_type = to.type;
      type = to;
      return true;
    }
  }
  return false;
}

void DropLabels(ProfileData& profile, const std::vector<std::string>& keys) {
  for (SampleData& sample : profile.samples) {
    std::erase_if(sample.labels, [&](const LabelData& label) {
      return std::find(keys.begin(), keys.end(), label.key) != keys.end();
    });
  }
}

void DropAllLabels(ProfileData& profile) {
  for (SampleData& sample : profile.samples) sample.labels.clear();
}

void StripDecorations(ProfileData& profile) {
  profile.comments.clear();
  profile.default_sample_type.clear();
  profile.drop_frames.clear();
  profile.keep_frames.clear();
  profile.duration_nanos = 0;
  for (LocationData& location : profile.locations) {
    for (LineData& line : location.lines) line.column = 0;
  }
  for (FunctionData& function : profile.functions) function.start_line = 0;
}

void MergeIdenticalSamples(ProfileData& profile) {
  std::unordered_map<std::string, size_t> first_with_key;
  std::vector<SampleData> merged;
  merged.reserve(profile.samples.size());
  for (SampleData& sample : profile.samples) {
    const auto [it, inserted] = first_with_key.try_emplace(LocalSampleKey(sample), merged.size());
    if (inserted) {
      merged.push_back(std::move(sample));
      continue;
    }
    std::vector<int64_t>& values = merged[it->second].values;
    for (size_t i = 0; i < values.size() && i < sample.values.size(); ++i) {
      values[i] = SaturatingAdd(values[i], sample.values[i]);
    }
  }
  profile.samples = std::move(merged);
}

void RemoveUnreferenced(ProfileData& profile) {
  std::unordered_set<uint64_t> locations, functions, mappings;
  for (const SampleData& sample : profile.samples) locations.insert(sample.location_ids.begin(), sample.location_ids.end());
  std::erase_if(profile.locations, [&](const LocationData& location) { return !locations.contains(location.id); });
  for (const LocationData& location : profile.locations) {
    if (location.mapping_id != 0) mappings.insert(location.mapping_id);
    for (const LineData& line : location.lines) functions.insert(line.function_id);
  }
  std::erase_if(profile.functions, [&](const FunctionData& function) { return !functions.contains(function.id); });
  // Mapping 1 is the main binary by convention: keep it whenever it exists.
  std::erase_if(profile.mappings,
                [&](const MappingData& mapping) { return mapping.id != 1 && !mappings.contains(mapping.id); });
}

namespace {

// Id -> entry maps of one profile: ProfileData's finds are linear.
struct TableIndex {
  explicit TableIndex(const ProfileData& profile) {
    for (const LocationData& location : profile.locations) locations.emplace(location.id, &location);
    for (const FunctionData& function : profile.functions) functions.emplace(function.id, &function);
    for (const MappingData& mapping : profile.mappings) mappings.emplace(mapping.id, &mapping);
  }
  template <typename T>
  static const T* Find(const std::unordered_map<uint64_t, const T*>& map, uint64_t id) {
    const auto it = map.find(id);
    return it == map.end() ? nullptr : it->second;
  }
  std::unordered_map<uint64_t, const LocationData*> locations;
  std::unordered_map<uint64_t, const FunctionData*> functions;
  std::unordered_map<uint64_t, const MappingData*> mappings;
};

std::string StableKey(const TableIndex& index, const SampleData& sample) {
  std::string key;
  for (uint64_t id : sample.location_ids) {
    const LocationData* location = TableIndex::Find(index.locations, id);
    if (location == nullptr) {
      AppendField(key, "?");
      continue;
    }
    const MappingData* mapping = TableIndex::Find(index.mappings, location->mapping_id);
    AppendField(key, mapping ? mapping->filename : "");
    AppendField(key, std::to_string(location->address));
    for (const LineData& line : location->lines) {
      const FunctionData* function = TableIndex::Find(index.functions, line.function_id);
      AppendField(key, function ? function->name : "?");
      AppendField(key, function ? function->filename : "");
      AppendField(key, std::to_string(line.line));
    }
    key += '\x1d';  // end of frame
  }
  key += '\x1e';
  AppendLabels(key, sample.labels);
  return key;
}

}  // namespace

std::string StableSampleKey(const ProfileData& profile, const SampleData& sample) {
  return StableKey(TableIndex(profile), sample);
}

void CumulativeDelta::Apply(ProfileData& profile) {
  std::vector<int> indexes;  // sample-value index of each cumulative type, or -1
  for (const std::string& type : cumulative_types_) indexes.push_back(profile.SampleTypeIndex(type));
  const auto value_at = [&](const SampleData& sample, size_t t) -> int64_t* {
    const int index = indexes[t];
    if (index < 0 || static_cast<size_t>(index) >= sample.values.size()) return nullptr;
    return const_cast<int64_t*>(&sample.values[index]);
  };

  // One sample per stable key: two locations that resolve to the same frames
  // are one stack as far as growth is concerned.
  const TableIndex index(profile);
  std::unordered_map<std::string, size_t> position;
  std::vector<SampleData> samples;
  std::vector<std::string> keys;
  samples.reserve(profile.samples.size());
  for (SampleData& sample : profile.samples) {
    std::string key = StableKey(index, sample);
    const auto [it, inserted] = position.try_emplace(key, samples.size());
    if (inserted) {
      samples.push_back(std::move(sample));
      keys.push_back(std::move(key));
      continue;
    }
    std::vector<int64_t>& values = samples[it->second].values;
    for (size_t i = 0; i < values.size() && i < sample.values.size(); ++i) {
      values[i] = SaturatingAdd(values[i], sample.values[i]);
    }
  }

  std::unordered_map<std::string, std::vector<int64_t>> current;
  current.reserve(samples.size());
  for (size_t s = 0; s < samples.size(); ++s) {
    std::vector<int64_t> totals(indexes.size(), 0);
    const auto previous = previous_.find(keys[s]);
    for (size_t t = 0; t < indexes.size(); ++t) {
      int64_t* value = value_at(samples[s], t);
      if (value == nullptr) continue;
      totals[t] = *value;
      const int64_t earlier = previous == previous_.end() ? 0 : previous->second[t];
      if (*value >= earlier) *value -= earlier;  // else it went down: a reset, take it whole
    }
    current.emplace(std::move(keys[s]), std::move(totals));
  }
  std::erase_if(samples, [](const SampleData& sample) {
    return std::all_of(sample.values.begin(), sample.values.end(), [](int64_t v) { return v == 0; });
  });
  profile.samples = std::move(samples);
  previous_ = std::move(current);
  has_previous_ = true;
}

int64_t SampleWeight(const ProfileData& profile, const SampleData& sample) {
  bool any_bytes = false;
  for (const ValueTypeData& type : profile.sample_types) any_bytes = any_bytes || type.unit == "bytes";
  int64_t weight = 0;
  for (size_t i = 0; i < sample.values.size() && i < profile.sample_types.size(); ++i) {
    if (any_bytes && profile.sample_types[i].unit != "bytes") continue;
    const int64_t v = sample.values[i];
    weight = SaturatingAdd(weight, v == INT64_MIN ? INT64_MAX : (v < 0 ? -v : v));
  }
  return weight;
}

size_t FoldLightestSamples(ProfileData& profile, size_t max_samples, std::string_view remainder_function) {
  MergeIdenticalSamples(profile);
  if (profile.samples.size() <= max_samples) return 0;
  const size_t kept = max_samples == 0 ? 0 : max_samples - 1;

  // A remainder from an earlier fold is folded again, not ranked: there is
  // only ever one remainder sample.
  uint64_t remainder_location = 0;
  for (const LocationData& location : profile.locations) {
    if (location.lines.size() != 1) continue;
    const FunctionData* function = profile.FindFunction(location.lines[0].function_id);
    if (function != nullptr && function->name == remainder_function) remainder_location = location.id;
  }
  std::vector<int64_t> remainder(profile.sample_types.size(), 0);
  const auto add_to_remainder = [&](const SampleData& sample) {
    for (size_t i = 0; i < remainder.size() && i < sample.values.size(); ++i) {
      remainder[i] = SaturatingAdd(remainder[i], sample.values[i]);
    }
  };
  std::vector<size_t> order;
  order.reserve(profile.samples.size());
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const SampleData& sample = profile.samples[i];
    if (remainder_location != 0 && sample.location_ids.size() == 1 && sample.location_ids[0] == remainder_location &&
        sample.labels.empty()) {
      add_to_remainder(sample);
    } else {
      order.push_back(i);
    }
  }

  std::vector<int64_t> weights(profile.samples.size());
  for (size_t i : order) weights[i] = SampleWeight(profile, profile.samples[i]);
  // Heaviest first; ties by original position so the result is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return weights[a] > weights[b]; });

  std::vector<SampleData> samples;
  samples.reserve(kept + 1);
  for (size_t rank = 0; rank < order.size(); ++rank) {
    SampleData& sample = profile.samples[order[rank]];
    if (rank < kept) samples.push_back(std::move(sample));
    else add_to_remainder(sample);
  }
  const size_t folded = order.size() > kept ? order.size() - kept : 0;

  if (max_samples > 0) {
    if (remainder_location == 0) {
      // One function and one location for the remainder, with fresh ids.
      uint64_t function_id = 0, location_id = 0;
      for (const FunctionData& function : profile.functions) function_id = std::max(function_id, function.id);
      for (const LocationData& location : profile.locations) location_id = std::max(location_id, location.id);
      FunctionData function;
      function.id = NextId(function_id);
      function.name = std::string(remainder_function);
      function.system_name = function.name;
      profile.functions.push_back(function);
      LocationData location;
      location.id = NextId(location_id);
      location.lines.push_back(LineData{function.id, 0, 0});
      profile.locations.push_back(location);
      remainder_location = location.id;
    }
    SampleData sample;
    sample.location_ids = {remainder_location};
    sample.values = std::move(remainder);
    samples.push_back(std::move(sample));
  }
  profile.samples = std::move(samples);
  RemoveUnreferenced(profile);
  return folded;
}

EncodedWithinLimits EncodeWithinLimits(ProfileData& profile, size_t max_samples, size_t max_bytes,
                                       std::string_view remainder_function) {
  EncodedWithinLimits result;
  MergeIdenticalSamples(profile);
  RemoveUnreferenced(profile);
  const size_t original = profile.samples.size();
  size_t limit = std::max<size_t>(max_samples, 1);
  bool folded = false;
  while (true) {
    folded = FoldLightestSamples(profile, limit, remainder_function) > 0 || folded;
    std::string encoded = EncodeProfile(profile);
    if (encoded.size() <= max_bytes) {
      result.encoded = std::move(encoded);
      break;
    }
    if (limit <= 1) break;  // even the remainder alone does not fit: give up
    // Shrink in proportion to the excess, and by at least a quarter.
    const double ratio = static_cast<double>(max_bytes) / static_cast<double>(encoded.size());
    limit = std::min(limit * 3 / 4, static_cast<size_t>(static_cast<double>(limit) * ratio * 0.95));
    limit = std::max<size_t>(limit, 1);
  }
  // Everything but the kept samples went into the one remainder sample.
  if (folded) result.folded_samples = original - (profile.samples.size() - 1);
  return result;
}

void QualifyFunctionNames(ProfileData& profile, std::string_view base_directory) {
  std::string base(base_directory);
  if (!base.empty() && base.back() != '/') base += '/';
  for (FunctionData& function : profile.functions) {
    std::string file = function.filename;
    if (file.rfind("file://", 0) == 0) file.erase(0, 7);
    if (!base.empty() && file.rfind(base, 0) == 0) file = "./" + file.substr(base.size());
    // The SDK leaves names that already carry a ':' alone.
    if (function.name.find(':') != std::string::npos) continue;
    const std::string bare = function.name;
    function.name = file + ":" + bare + ":" + std::to_string(function.start_line);
    if (function.system_name.empty()) function.system_name = bare;
  }
}

}  // namespace heapagent::pprof
