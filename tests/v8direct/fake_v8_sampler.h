// V8's own sampling heap profiler objects (i::HeapProfiler's sampler slot,
// i::SamplingHeapProfiler, its AllocationNode and Sample), rebuilt member for
// member with real libstdc++ containers, so that SamplerTreeReader reads the
// same layout it reads in node (sampler_tree_layout.h). Tests check the
// offsets against the layout before using them.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "v8direct/sampler_tree_layout.h"

namespace heapagent::v8direct::testing {

struct FakeSamplerNode {
  using FunctionId = uint64_t;
  std::map<size_t, unsigned int> allocations;
  std::map<FunctionId, std::unique_ptr<FakeSamplerNode>> children;
  FakeSamplerNode* parent = nullptr;
  int script_id = 0;
  int script_position = 0;
  const char* name = nullptr;
  uint32_t id = 0;
  bool pinned = false;
};

struct FakeSamplerSample {
  size_t size = 0;
  FakeSamplerNode* owner = nullptr;
  void* global = nullptr;
  void* profiler = nullptr;
  uint64_t sample_id = 0;
};

struct FakeSampler {
  const void* isolate = nullptr;
  void* heap = nullptr;
  uint64_t last_sample_id = 0;
  uint32_t last_node_id = 0;
  unsigned char observer_and_names[0x3c] = {};  // Observer (0x30 bytes) and names_, never read
  FakeSamplerNode root;
  std::unordered_map<FakeSamplerSample*, std::unique_ptr<FakeSamplerSample>> samples;
  int stack_depth = 0;
  uint64_t rate = 0;
};

// Byte offset of a member, measured on a live object.
template <typename Object, typename Member>
size_t OffsetIn(const Object& object, const Member& member) {
  return static_cast<size_t>(reinterpret_cast<const char*>(&member) - reinterpret_cast<const char*>(&object));
}

// A sampler with its tree, and the i::HeapProfiler bytes that point to it.
class FakeV8Sampler {
 public:
  FakeV8Sampler(const SamplerTreeLayout& layout, const void* isolate, uint64_t rate, int stack_depth)
      : layout_(layout), profiler_bytes_(layout.profiler_sampler + sizeof(void*), 0) {
    sampler_ = std::make_unique<FakeSampler>();
    sampler_->isolate = isolate;
    sampler_->rate = rate;
    sampler_->stack_depth = stack_depth;
    sampler_->root.name = "(root)";
    sampler_->root.id = ++sampler_->last_node_id;
    PointProfilerAt(sampler_.get());
  }

  const void* heap_profiler() const { return profiler_bytes_.data(); }
  FakeSampler& sampler() { return *sampler_; }
  FakeSamplerNode& root() { return sampler_->root; }
  void PointProfilerAt(const void* sampler) {
    std::memcpy(profiler_bytes_.data() + layout_.profiler_sampler, &sampler, sizeof(sampler));
  }

  // As V8's FindOrAddChildNode: children ordered by (script id, position).
  FakeSamplerNode& AddChild(FakeSamplerNode& parent, const std::string& name, int script_id, int position) {
    names_.push_back(std::make_unique<std::string>(name));
    auto child = std::make_unique<FakeSamplerNode>();
    child->parent = &parent;
    child->script_id = script_id;
    child->script_position = position;
    child->name = names_.back()->c_str();
    child->id = ++sampler_->last_node_id;
    const uint64_t key = script_id == 0 ? (reinterpret_cast<uintptr_t>(child->name) | 1)
                                        : (uint64_t{static_cast<uint32_t>(script_id)} << 32) + (position << 1);
    return *parent.children.emplace(key, std::move(child)).first->second;
  }

  FakeSamplerSample& AddSample(FakeSamplerNode& owner, size_t size) {
    auto sample = std::make_unique<FakeSamplerSample>();
    sample->size = size;
    sample->owner = &owner;
    sample->sample_id = ++sampler_->last_sample_id;
    FakeSamplerSample* raw = sample.get();
    sampler_->samples.emplace(raw, std::move(sample));
    return *raw;
  }

 private:
  SamplerTreeLayout layout_;
  std::vector<unsigned char> profiler_bytes_;
  std::unique_ptr<FakeSampler> sampler_;
  std::vector<std::unique_ptr<std::string>> names_;
};

}  // namespace heapagent::v8direct::testing
