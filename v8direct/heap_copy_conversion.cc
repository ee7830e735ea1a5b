#include "v8direct/heap_copy_conversion.h"

#include <unordered_map>

namespace heapagent::v8direct {

std::optional<cdp::SamplingHeapProfile> ToSamplingHeapProfile(const IsolateHeapCopy& copy,
                                                               std::span<const std::string> strings,
                                                               std::string* problem) {
  cdp::SamplingHeapProfile profile;
  profile.nodes.reserve(copy.nodes.size());
  std::unordered_map<uint32_t, int32_t> index_of_id;
  index_of_id.reserve(copy.nodes.size());
  for (size_t i = 0; i < copy.nodes.size(); ++i) {
    const CopiedNode& node = copy.nodes[i];
    const bool parent_ok = i == 0 ? node.parent == -1 : node.parent >= 0 && static_cast<size_t>(node.parent) < i;
    if (!parent_ok || node.name >= strings.size() || node.url >= strings.size()) {
      *problem = "the copied JS heap profile is inconsistent";
      return std::nullopt;
    }
    if (!index_of_id.emplace(node.node_id, static_cast<int32_t>(i)).second) {
      *problem = "V8's allocation profile has a node id twice";
      return std::nullopt;
    }
    cdp::JsProfileNode converted;
    converted.id = node.node_id;
    converted.parent = node.parent;
    converted.frame.function_name = strings[node.name];
    converted.frame.url = strings[node.url];
    converted.frame.script_id = std::to_string(node.script_id);
    converted.frame.line = node.line - 1;  // V8: 1-based, 0 = none; CDP: 0-based, -1 = none
    converted.frame.column = node.column - 1;
    profile.nodes.push_back(std::move(converted));
  }
  profile.samples.reserve(copy.samples.size());
  for (const CopiedSample& sample : copy.samples) {
    const auto found = index_of_id.find(sample.node_id);
    if (found == index_of_id.end()) {
      ++profile.dropped_samples;
      continue;
    }
    const double bytes = static_cast<double>(sample.size) * static_cast<double>(sample.count);
    profile.nodes[found->second].self_size += bytes;
    profile.samples.push_back({.size = bytes,
                               .node_id = sample.node_id,
                               .ordinal = sample.sample_id,
                               .node_index = found->second,
                               .object_count = sample.count});
  }
  return profile;
}

}  // namespace heapagent::v8direct
