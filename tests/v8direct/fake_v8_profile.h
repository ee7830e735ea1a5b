// A fake V8 allocation profile built from v8_abi.h's own declarations, with
// "strings" that are pointers to std::string, for testing the copier.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "v8direct/allocation_profile_copy.h"

namespace heapagent::v8direct::testing {

class FakeDecoder final : public StringDecoder {
 public:
  void Decode(LocalHandle string, std::string& utf8) override {
    ++calls;
    utf8 = *static_cast<const std::string*>(string);
  }
  int calls = 0;
};

// Owns the nodes, strings and vectors the fake profile points into.
class FakeProfile {
 public:
  V8AllocationNode* Add(V8AllocationNode* parent, const std::string& name, const std::string& url, uint32_t id,
                        int line = 0) {
    names_.push_back(name);
    names_.push_back(url);
    V8AllocationNode& node = nodes_.emplace_back();
    node.name = &names_[names_.size() - 2];
    node.script_name = &names_[names_.size() - 1];
    node.script_id = url.empty() ? 0 : script_ids_.emplace(url, 7 + static_cast<int>(script_ids_.size())).first->second;
    node.line_number = line;
    node.column_number = line == 0 ? 0 : 3;
    node.node_id = id;
    if (parent != nullptr) {
      auto& children = children_[parent];
      children.push_back(&node);
      parent->children = {children.data(), children.data() + children.size(), children.data() + children.size()};
    }
    return &node;
  }
  void AddSample(uint32_t node_id, size_t size, unsigned count, uint64_t id) {
    samples_.push_back({node_id, size, count, id});
  }
  VectorView<V8AllocationSample> Samples() {
    return {samples_.data(), samples_.data() + samples_.size(), samples_.data() + samples_.size()};
  }

 private:
  std::deque<std::string> names_;
  std::deque<V8AllocationNode> nodes_;
  std::map<V8AllocationNode*, std::vector<V8AllocationNode*>> children_;
  std::vector<V8AllocationSample> samples_;
  std::map<std::string, int> script_ids_;
};

}  // namespace heapagent::v8direct::testing
