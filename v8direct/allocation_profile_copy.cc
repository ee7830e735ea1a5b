#include "v8direct/allocation_profile_copy.h"

#include <algorithm>

#include "v8direct/sampler_tree_reader.h"

namespace heapagent::v8direct {
namespace {

// A std::vector<T> as V8 laid it out: ordered pointers, whole elements, at
// most `max_size` of them.
template <typename T>
bool WellFormed(const VectorView<T>& vector, size_t max_size) {
  const auto begin = reinterpret_cast<uintptr_t>(vector.begin_);
  const auto end = reinterpret_cast<uintptr_t>(vector.end_);
  const auto storage_end = reinterpret_cast<uintptr_t>(vector.storage_end_);
  if (begin == 0) return end == 0 && storage_end == 0;
  if (end < begin || storage_end < end) return false;
  if (begin % alignof(T) != 0 || (end - begin) % sizeof(T) != 0) return false;
  return (end - begin) / sizeof(T) <= max_size;
}

template <typename T>
size_t SizeOf(const VectorView<T>& vector) {
  return static_cast<size_t>(vector.end_ - vector.begin_);
}

}  // namespace

AllocationProfileCopier::AllocationProfileCopier() { Intern(""); }

uint32_t AllocationProfileCopier::Intern(const std::string& text) {
  if (auto found = ids_.find(text); found != ids_.end()) return found->second;
  const auto id = static_cast<uint32_t>(ids_.size());
  ids_.emplace(text, id);
  new_strings_.push_back(text);
  return id;
}

std::vector<std::string> AllocationProfileCopier::TakeNewStrings(uint32_t* first_id) {
  *first_id = first_new_id_;
  first_new_id_ += static_cast<uint32_t>(new_strings_.size());
  std::vector<std::string> taken;
  taken.swap(new_strings_);
  return taken;
}

bool AllocationProfileCopier::NamesOf(const V8AllocationNode& node, bool is_root, StringDecoder& decoder,
                                      NodeNames* names, std::string* problem) {
  if (auto known = names_of_node_.find(node.node_id); known != names_of_node_.end()) {
    *names = known->second;
    return true;
  }
  scratch_.clear();
  if (node.name != nullptr) decoder.Decode(node.name, scratch_);
  // The one fixed string V8 gives: proof that strings and layout are read
  // right before anything is trusted.
  if (is_root && scratch_ != "(root)") {
    *problem = "the root of V8's allocation profile is not named \"(root)\"";
    return false;
  }
  names->name = Intern(scratch_);
  if (auto script = url_of_script_.find(node.script_id); script != url_of_script_.end()) {
    names->url = script->second;
  } else {
    scratch_.clear();
    if (node.script_name != nullptr) decoder.Decode(node.script_name, scratch_);
    names->url = Intern(scratch_);
    url_of_script_.emplace(node.script_id, names->url);
  }
  names_of_node_.emplace(node.node_id, *names);
  return true;
}

bool AllocationProfileCopier::Copy(const V8AllocationNode* root, const VectorView<V8AllocationSample>& samples,
                                   StringDecoder& decoder, IsolateHeapCopy& out, std::string* problem) {
  out.nodes.clear();
  out.samples.clear();
  if (root == nullptr) {
    *problem = "V8's allocation profile has no root";
    return false;
  }
  stack_.clear();
  stack_.push_back({root, -1, 0});
  while (!stack_.empty()) {
    const Pending pending = stack_.back();
    stack_.pop_back();
    const V8AllocationNode& node = *pending.node;
    if (out.nodes.size() >= kMaxCopiedNodes) {
      *problem = "V8's allocation profile has more nodes than the agent accepts";
      return false;
    }
    if (node.line_number < 0 || node.column_number < 0 || !WellFormed(node.children, kMaxChildrenPerNode) ||
        !WellFormed(node.allocations, kMaxChildrenPerNode)) {
      *problem = "a node of V8's allocation profile is malformed";
      return false;
    }
    NodeNames names;
    if (!NamesOf(node, pending.parent < 0, decoder, &names, problem)) return false;
    const auto index = static_cast<int32_t>(out.nodes.size());
    out.nodes.push_back({.node_id = node.node_id,
                         .parent = pending.parent,
                         .name = names.name,
                         .url = names.url,
                         .script_id = node.script_id,
                         .position = node.start_position,
                         .line = node.line_number,
                         .column = node.column_number});
    if (node.script_id != kNoScriptId) {
      location_of_function_.try_emplace(FunctionKey(node.script_id, node.start_position),
                                        Location{names.url, node.line_number, node.column_number});
    }
    const size_t children = SizeOf(node.children);
    if (children == 0) continue;
    if (pending.depth + 1 > kMaxCopiedDepth) {
      *problem = "V8's allocation profile is deeper than the agent accepts";
      return false;
    }
    // Pushed in reverse so they are copied in V8's order.
    for (size_t i = children; i-- > 0;) {
      const V8AllocationNode* child = node.children.begin_[i];
      if (child == nullptr || reinterpret_cast<uintptr_t>(child) % alignof(V8AllocationNode) != 0) {
        *problem = "V8's allocation profile has an invalid child pointer";
        return false;
      }
      stack_.push_back({child, index, pending.depth + 1});
    }
  }

  if (!WellFormed(samples, kMaxCopiedSamples)) {
    *problem = "V8's list of samples is malformed";
    return false;
  }
  out.samples.reserve(SizeOf(samples));
  for (const V8AllocationSample* sample = samples.begin_; sample != samples.end_; ++sample) {
    if (sample->size == 0 || sample->size > kMaxSampleSize || sample->count == 0 || sample->count > INT32_MAX) {
      *problem = "a sample of V8's allocation profile has an implausible size or count";
      return false;
    }
    out.samples.push_back(
        {.node_id = sample->node_id, .count = sample->count, .size = sample->size, .sample_id = sample->sample_id});
  }

  // Ids of nodes that are gone (all their samples died) are forgotten once
  // they outnumber the live ones, so the cache follows the live tree.
  if (names_of_node_.size() > 2 * out.nodes.size() + 4096) {
    names_of_node_.clear();
    for (const CopiedNode& node : out.nodes) names_of_node_.emplace(node.node_id, NodeNames{node.name, node.url});
  }
  if (location_of_function_.size() > 4 * out.nodes.size() + 65536) {
    location_of_function_.clear();
    for (const CopiedNode& node : out.nodes) {
      if (node.script_id == kNoScriptId) continue;
      location_of_function_.try_emplace(FunctionKey(node.script_id, node.position),
                                        Location{node.url, node.line, node.column});
    }
  }
  return true;
}

bool AllocationProfileCopier::NameOfAddress(const char* address, MemoryAccess access, uint32_t* name) {
  if (auto known = name_of_address_.find(address); known != name_of_address_.end()) {
    *name = known->second;
    return true;
  }
  if (!SamplerTreeReader::ReadName(address, access, scratch_)) return false;
  *name = Intern(scratch_);
  if (name_of_address_.size() > 4 * names_of_node_.size() + 65536) name_of_address_.clear();
  name_of_address_.emplace(address, *name);
  return true;
}

bool AllocationProfileCopier::CopyFromTree(const RawTree& tree, MemoryAccess access, bool unlocated_allowed,
                                           IsolateHeapCopy& out) {
  out.nodes.clear();
  out.samples.clear();
  out.unlocated_nodes = 0;
  const size_t count = tree.nodes.size();
  out.nodes.resize(count);
  for (size_t i = 0; i < count; ++i) {
    if (i + kPrefetchDistance < count) from_tree_.Prefetch(tree.nodes[i + kPrefetchDistance].node_id);
    const RawNode& raw = tree.nodes[i];
    TreeNodeCopy* known = from_tree_.Find(raw.node_id);
    TreeNodeCopy unlocated;
    if (known == nullptr || known->name_address != raw.name || known->script_id != raw.script_id ||
        known->position != raw.position) {
      TreeNodeCopy made{.name_address = raw.name, .script_id = raw.script_id, .position = raw.position};
      if (!NameOfAddress(raw.name, access, &made.name)) return false;
      // V8 gives functions of no script an empty URL and no line.
      const auto found = raw.script_id == kNoScriptId
                             ? location_of_function_.end()
                             : location_of_function_.find(FunctionKey(raw.script_id, raw.position));
      if (found != location_of_function_.end()) {
        made.url = found->second.url;
        made.line = found->second.line;
        made.column = found->second.column;
      } else if (raw.script_id != kNoScriptId) {
        if (!unlocated_allowed) return false;
        if (auto script = url_of_script_.find(raw.script_id); script != url_of_script_.end()) {
          made.url = script->second;
        }
        ++out.unlocated_nodes;
        unlocated = made;  // not kept: a later GetAllocationProfile read locates it
        known = &unlocated;
      }
      if (known != &unlocated) {
        if (known != nullptr) {
          *known = made;
        } else {
          from_tree_.Insert(raw.node_id, made);
          known = from_tree_.Find(raw.node_id);
        }
      }
    }
    out.nodes[i] = {.node_id = raw.node_id,
                    .parent = raw.parent,
                    .name = known->name,
                    .url = known->url,
                    .script_id = raw.script_id,
                    .position = raw.position,
                    .line = known->line,
                    .column = known->column};
  }
  out.samples = tree.samples;
  out.from_tree = true;  // not before: a read that fails here is a GetAllocationProfile read
  // Ids of nodes that are gone are forgotten once they outnumber the live
  // ones (the next read finds the live ones again).
  if (from_tree_.size() > 2 * count + 4096) from_tree_.Reset(count);
  return true;
}

AllocationProfileCopier::Agreement AllocationProfileCopier::Compare(const RawTree& tree, MemoryAccess access,
                                                                    const IsolateHeapCopy& copy) {
  std::unordered_map<uint32_t, size_t> index_of_node;
  index_of_node.reserve(copy.nodes.size());
  for (size_t i = 0; i < copy.nodes.size(); ++i) index_of_node.emplace(copy.nodes[i].node_id, i);
  const auto parent_id = [](const auto& nodes, int32_t parent) {
    return parent < 0 ? uint32_t{0} : nodes[static_cast<size_t>(parent)].node_id;
  };
  bool missing = tree.nodes.empty() || (!tree.truncated && (tree.nodes.size() != copy.nodes.size() ||
                                                            tree.samples.size() != copy.samples.size()));
  for (const RawNode& raw : tree.nodes) {
    const auto found = index_of_node.find(raw.node_id);
    if (found == index_of_node.end()) {
      missing = true;
      continue;
    }
    const CopiedNode& node = copy.nodes[found->second];
    uint32_t name = 0;
    if (!NameOfAddress(raw.name, access, &name)) return Agreement::kDifferent;
    if (parent_id(tree.nodes, raw.parent) != parent_id(copy.nodes, node.parent) || raw.script_id != node.script_id ||
        raw.position != node.position || name != node.name) {
      return Agreement::kDifferent;
    }
  }
  std::unordered_map<uint64_t, const CopiedSample*> sample_of_id;
  sample_of_id.reserve(copy.samples.size());
  for (const CopiedSample& sample : copy.samples) sample_of_id.emplace(sample.sample_id, &sample);
  for (const CopiedSample& raw : tree.samples) {
    const auto found = sample_of_id.find(raw.sample_id);
    if (found == sample_of_id.end()) {
      missing = true;
      continue;
    }
    const CopiedSample& sample = *found->second;
    if (raw.node_id != sample.node_id || raw.size != sample.size || raw.count != sample.count) {
      return Agreement::kDifferent;
    }
  }
  return missing ? Agreement::kInconclusive : Agreement::kSame;
}

}  // namespace heapagent::v8direct
