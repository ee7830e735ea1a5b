// Where V8 keeps its sampling heap profiler's own tree, for the node builds
// whose layout the agent knows: reading it directly costs a fraction of
// v8::HeapProfiler::GetAllocationProfile, which converts every node's
// script name to a C string and internalizes two strings per node (about
// 1 µs per node, more with long script URLs; see sampler_tree_reader.h).
//
// Offsets are of V8's internal classes (src/profiler/heap-profiler.h and
// sampling-heap-profiler.h), built with GCC and libstdc++ as node's Linux
// release binaries are. What was checked, in node 20.20.2 (V8 11.3.244),
// 22.23.3 (V8 12.4.254) and 24.21.0 (V8 13.6.233) official x64 binaries:
// - the disassembly of i::HeapProfiler::GetAllocationProfile, which loads
//   sampling_heap_profiler_ (0x68 in 20 and 22, 0x48 in 24), and of
//   SamplingHeapProfiler::BuildSamples (samples_ list head 0xe8, element
//   count 0xf0, rate_ 0x118, Sample::owner 0x8, sample_id 0x20,
//   AllocationNode::id_ 0x78), the same in all three;
// - at run time on those binaries: isolate_ (0x0) is the isolate,
//   stack_depth_ (0x110) and rate_ what the agent passed, profile_root_
//   (0x58) has no parent and is named "(root)", and a walk with these
//   offsets gives exactly the nodes and samples GetAllocationProfile gives.
// The agent still proves the layout on each isolate before relying on it
// (sampler_tree_reader.h): a first walk through checked memory reads,
// compared field by field with GetAllocationProfile's result.
//
// libstdc++ containers, as laid out since GCC 5 (the "new" ABI):
// - std::map: an empty comparator padded to 8 bytes, then the header node
//   {color, parent(root), left(leftmost), right(rightmost)} and the size;
//   each tree node is that 32-byte base followed by the pair {key, value};
// - std::unordered_map with a pointer key (hash not cached): buckets,
//   bucket count, the list head's `next`, the size; each list node is
//   {next, key, value}. std::hash of a pointer is its address, so a node's
//   bucket is key % bucket count; bucket b holds the node *before* its
//   first one (the list head's address for the bucket listed first), and a
//   bucket's nodes follow each other in the list.
#pragma once

#include <cstddef>
#include <optional>

namespace heapagent::v8direct {

struct SamplerTreeLayout {
  // i::HeapProfiler
  size_t profiler_sampler = 0;  // std::unique_ptr<SamplingHeapProfiler>
  // i::SamplingHeapProfiler
  size_t sampler_isolate = 0;
  size_t sampler_root = 0;          // AllocationNode, embedded
  size_t sampler_samples = 0;       // std::unordered_map<Sample*, std::unique_ptr<Sample>>
  size_t sampler_stack_depth = 0;   // int
  size_t sampler_rate = 0;          // uint64_t
  // SamplingHeapProfiler::AllocationNode
  size_t node_children = 0;  // std::map<uint64_t, std::unique_ptr<AllocationNode>>
  size_t node_parent = 0;
  size_t node_script_id = 0;
  size_t node_script_position = 0;
  size_t node_name = 0;  // const char*, owned by the heap profiler's StringsStorage
  size_t node_id = 0;    // uint32_t
  // SamplingHeapProfiler::Sample
  size_t sample_size = 0;
  size_t sample_owner = 0;
  size_t sample_id = 0;
};

// libstdc++ container internals (offsets in bytes).
inline constexpr size_t kMapHeader = 8;
inline constexpr size_t kMapSize = 40;
inline constexpr size_t kRbParent = 8;
inline constexpr size_t kRbLeft = 16;
inline constexpr size_t kRbRight = 24;
inline constexpr size_t kRbValue = 32;  // pair<const uint64_t, unique_ptr<...>>: key, then the pointer
inline constexpr size_t kHashBuckets = 0;
inline constexpr size_t kHashBucketCount = 8;
inline constexpr size_t kHashListHead = 16;
inline constexpr size_t kHashSize = 24;
inline constexpr size_t kHashNodeKey = 8;      // {next, key, mapped}
inline constexpr size_t kHashNodeMapped = 16;

// The layout of node `node_major`'s V8, or nullopt when unknown.
std::optional<SamplerTreeLayout> SamplerTreeLayoutFor(int node_major);

}  // namespace heapagent::v8direct
