// Merged call tree; see call_tree.h.
#include "cli/call_tree.h"

namespace heapagent::cli {

CallTree::CallTree(size_t slots) : slots_(slots) {
  nodes_.push_back(CallTreeNode{.frame = {}, .values = std::vector<double>(slots, 0.0), .children = {}});
}

uint32_t CallTree::Child(uint32_t parent, const Frame& frame) {
  std::string key = std::to_string(parent);
  key += '\x1f';
  key += frame.function;
  key += '\x1f';
  key += frame.file;
  auto [it, inserted] = child_index_.try_emplace(std::move(key), static_cast<uint32_t>(nodes_.size()));
  if (inserted) {
    Frame merged = frame;
    merged.line = 0;  // lines of one function merge
    nodes_.push_back(CallTreeNode{.frame = std::move(merged), .values = std::vector<double>(slots_, 0.0), .children = {}});
    nodes_[parent].children.push_back(it->second);
  }
  return it->second;
}

void CallTree::Add(std::span<const Frame> leaf_first, std::span<const double> values, size_t first_slot) {
  auto add_to = [&](uint32_t node) {
    for (size_t i = 0; i < values.size() && first_slot + i < slots_; ++i) {
      nodes_[node].values[first_slot + i] += values[i];
    }
  };
  uint32_t node = 0;
  add_to(node);
  for (auto frame = leaf_first.rbegin(); frame != leaf_first.rend(); ++frame) {
    node = Child(node, *frame);
    add_to(node);
  }
}

}  // namespace heapagent::cli
