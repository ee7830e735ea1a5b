// Call trees to the pages' JSON; see flame_data.h.
#include "cli/flame_data.h"

#include <algorithm>
#include <cmath>

#include "cli/json_text.h"

namespace heapagent::cli {

void AddProfilesToTree(const std::vector<const pprof::ProfileData*>& profiles,
                       const std::vector<pprof::ValueTypeData>& types, size_t first_slot, CallTree* tree) {
  for (const pprof::ProfileData* profile : profiles) {
    std::vector<int> column(types.size(), -1);
    for (size_t t = 0; t < types.size(); ++t) column[t] = profile->SampleTypeIndex(types[t].type);
    StackResolver resolver(*profile);
    std::vector<double> values(types.size());
    for (const pprof::SampleData& sample : profile->samples) {
      for (size_t t = 0; t < types.size(); ++t) {
        values[t] = column[t] >= 0 ? static_cast<double>(sample.values[column[t]]) : 0;
      }
      const std::vector<Frame> stack = resolver.LeafFirst(sample);
      tree->Add(stack, values, first_slot);
    }
  }
}

size_t FlameJson::Intern(const std::string& text) {
  auto [it, inserted] = string_index_.try_emplace(text, strings_.size());
  if (inserted) strings_.push_back(text);
  return it->second;
}

void FlameJson::AppendNode(const CallTree& tree, uint32_t index, double keep_above, std::string* out) {
  const CallTreeNode& node = tree.nodes()[index];
  *out += "[" + std::to_string(Intern(index == 0 ? "all" : node.frame.function)) + "," +
          std::to_string(Intern(node.frame.file)) + "," +
          std::to_string(index == 0 ? 2 : static_cast<int>(node.frame.kind)) + ",[";
  for (size_t i = 0; i < node.values.size(); ++i) {
    if (i) *out += ",";
    *out += JsonNumber(node.values[i]);
  }
  *out += "],[";
  // Children too small to see in any slot are left out: the page would not
  // draw them, and a profile may have hundreds of thousands of nodes.
  std::vector<uint32_t> kept;
  for (uint32_t child : node.children) {
    const std::vector<double>& values = tree.nodes()[child].values;
    const bool visible = std::any_of(values.begin(), values.end(), [&](double v) { return std::fabs(v) > keep_above; });
    if (visible) kept.push_back(child);
  }
  std::sort(kept.begin(), kept.end(), [&](uint32_t a, uint32_t b) {
    return tree.nodes()[a].frame.function < tree.nodes()[b].frame.function;
  });
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i) *out += ",";
    AppendNode(tree, kept[i], keep_above, out);
  }
  *out += "]]";
}

void FlameJson::AddView(const std::string& title, const std::vector<pprof::ValueTypeData>& types,
                        const std::string& default_type, bool diff, const CallTree& tree) {
  std::string view = "{\"title\":" + JsonString(title) + ",\"diff\":" + (diff ? "true" : "false") +
                     ",\"defaultType\":" + JsonString(default_type) + ",\"types\":[";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i) view += ",";
    view += "{\"type\":" + JsonString(types[i].type) + ",\"unit\":" + JsonString(types[i].unit) + "}";
  }
  double largest = 0;
  for (double v : tree.root().values) largest = std::max(largest, std::fabs(v));
  view += "],\"tree\":";
  AppendNode(tree, 0, largest * 1e-4, &view);
  view += "}";
  views_.push_back(std::move(view));
}

std::string FlameJson::Fields() const {
  std::string out = "\"strings\":[";
  for (size_t i = 0; i < strings_.size(); ++i) {
    if (i) out += ",";
    out += JsonString(strings_[i]);
  }
  out += "],\"views\":[";
  for (size_t i = 0; i < views_.size(); ++i) {
    if (i) out += ",";
    out += views_[i];
  }
  out += "]";
  return out;
}

}  // namespace heapagent::cli
