#include "v8direct/sampler_tree_reader.h"

#include <sys/uio.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace heapagent::v8direct {
namespace {

constexpr size_t kMaxNameBytes = 64 * 1024;
// libstdc++ never has more buckets than twice the elements it once held
// (plus its smallest prime table step); more means a broken map.
constexpr size_t kMaxSampleBuckets = 2 * kMaxCopiedSamples + 64;

// Plain loads: only once the layout was proved.
struct DirectMemory {
  template <typename T>
  bool Load(uintptr_t address, T& value) const {
    std::memcpy(&value, reinterpret_cast<const void*>(address), sizeof(T));
    return true;
  }
  // A hint, never a load: it cannot fault, and brings memory that is read a
  // few steps later into the cache while this step waits for its own.
  static constexpr bool kPrefetches = true;
  void Prefetch(uintptr_t address) const { __builtin_prefetch(reinterpret_cast<const void*>(address)); }
};

// Loads that cannot fault: the kernel copies from this process's memory and
// reports an unmapped address as an error. Each system call fetches a
// block (a whole node usually), later loads inside it are served from it.
class CheckedMemory {
 public:
  template <typename T>
  bool Load(uintptr_t address, T& value) const {
    if (address < block_start_ || address + sizeof(T) > block_start_ + block_size_) {
      // From the 64-byte line that holds `address` (never in an earlier
      // page): the fields of one node are then usually one call.
      const uintptr_t start = address & ~uintptr_t{63};
      iovec local{block_, sizeof(block_)};
      iovec remote{reinterpret_cast<void*>(start), sizeof(block_)};
      // Stops short at an unmapped page: what was copied is still good.
      const ssize_t got = process_vm_readv(self_, &local, 1, &remote, 1, 0);
      block_start_ = start;
      block_size_ = got > 0 ? static_cast<size_t>(got) : 0;
      if (address + sizeof(T) > block_start_ + block_size_) return false;
    }
    std::memcpy(&value, block_ + (address - block_start_), sizeof(T));
    return true;
  }
  static constexpr bool kPrefetches = false;
  void Prefetch(uintptr_t) const {}

 private:
  pid_t self_ = getpid();
  mutable unsigned char block_[256];
  mutable uintptr_t block_start_ = 0;
  mutable size_t block_size_ = 0;
};

bool PlausiblePointer(uintptr_t address) { return address >= 4096 && address % alignof(void*) == 0; }

// V8's SamplingHeapProfiler::ScaleSample(size, 1).count, the same arithmetic.
uint32_t ScaledCount(uint64_t size, uint64_t rate) {
  const double scale = 1.0 / (1.0 - std::exp(-static_cast<double>(size) / static_cast<double>(rate)));
  return static_cast<uint32_t>(scale + 0.5);
}

template <typename Memory>
constexpr MemoryAccess AccessOf() {
  return std::is_same_v<Memory, DirectMemory> ? MemoryAccess::kDirect : MemoryAccess::kChecked;
}


}  // namespace

bool SamplerTreeReader::ReadName(const char* name, MemoryAccess access, std::string& out) {
  out.clear();
  if (name == nullptr) return false;
  if (access == MemoryAccess::kDirect) {
    out.assign(name, strnlen(name, kMaxNameBytes));
    return true;
  }
  char chunk[64];
  const pid_t self = getpid();
  for (size_t offset = 0; offset < kMaxNameBytes; offset += sizeof(chunk)) {
    iovec local{chunk, sizeof(chunk)};
    iovec remote{const_cast<char*>(name) + offset, sizeof(chunk)};
    // A read that runs into an unmapped page stops there (a short count).
    const ssize_t got = process_vm_readv(self, &local, 1, &remote, 1, 0);
    if (got <= 0) return false;
    const size_t length = strnlen(chunk, static_cast<size_t>(got));
    out.append(chunk, length);
    if (length < static_cast<size_t>(got)) return true;
    if (got < static_cast<ssize_t>(sizeof(chunk))) return false;  // no terminator before unreadable memory
  }
  return true;  // cut at kMaxNameBytes, as direct reads are
}

bool SamplerTreeReader::CheckedLoadsWork() {
  const uint64_t probe = 0x5eed;
  uint64_t copy = 0;
  return CheckedMemory{}.Load(reinterpret_cast<uintptr_t>(&probe), copy) && copy == probe;
}

bool SamplerTreeReader::SamplerAbsent(const void* heap_profiler, const SamplerTreeLayout& layout, MemoryAccess access) {
  uintptr_t sampler = 0;
  const uintptr_t slot = reinterpret_cast<uintptr_t>(heap_profiler) + layout.profiler_sampler;
  const bool loaded = access == MemoryAccess::kDirect ? DirectMemory{}.Load(slot, sampler) : CheckedMemory{}.Load(slot, sampler);
  return loaded && sampler == 0;
}

bool SamplerTreeReader::Read(const void* heap_profiler, const SamplerExpectations& expected, MemoryAccess access,
                             size_t max_nodes, size_t max_samples, RawTree& out, std::string* problem) {
  out.nodes.clear();
  out.samples.clear();
  out.truncated = false;
  const auto address = reinterpret_cast<uintptr_t>(heap_profiler);
  if (access == MemoryAccess::kDirect) return Walk(DirectMemory{}, address, expected, max_nodes, max_samples, out, problem);
  return Walk(CheckedMemory{}, address, expected, max_nodes, max_samples, out, problem);
}

template <typename Memory>
bool SamplerTreeReader::Walk(const Memory& memory, uintptr_t heap_profiler, const SamplerExpectations& expected,
                             size_t max_nodes, size_t max_samples, RawTree& out, std::string* problem) {
  const SamplerTreeLayout& l = layout_;
  const auto fail = [problem](const char* why) {
    *problem = why;
    return false;
  };
  uintptr_t sampler = 0;
  if (!memory.Load(heap_profiler + l.profiler_sampler, sampler) || !PlausiblePointer(sampler)) {
    return fail("V8's sampler is not where the layout says");
  }
  uintptr_t isolate = 0;
  uint64_t rate = 0;
  int32_t stack_depth = 0;
  if (!memory.Load(sampler + l.sampler_isolate, isolate) || !memory.Load(sampler + l.sampler_rate, rate) ||
      !memory.Load(sampler + l.sampler_stack_depth, stack_depth) ||
      isolate != reinterpret_cast<uintptr_t>(expected.isolate) || rate != expected.rate ||
      stack_depth != expected.stack_depth) {
    return fail("V8's sampler does not have the isolate, rate and depth the agent started it with");
  }

  id_of_address_.Reset(last_node_count_);
  stack_.clear();
  stack_.push_back({sampler + l.sampler_root, 0, -1, 0});
  while (!stack_.empty()) {
    const Pending pending = stack_.back();
    stack_.pop_back();
    // The node popped a few steps from now: its fields span two cache lines.
    if (stack_.size() >= kPrefetchDistance) {
      const uintptr_t ahead = stack_[stack_.size() - kPrefetchDistance].node;
      memory.Prefetch(ahead + l.node_children);
      memory.Prefetch(ahead + l.node_id);
    }
    if (out.nodes.size() >= max_nodes) {
      if (max_nodes >= kMaxCopiedNodes) return fail("V8's sampler tree has more nodes than the agent accepts");
      out.truncated = true;
      break;
    }
    const uintptr_t node = pending.node;
    uintptr_t parent = 0;
    uintptr_t name = 0;
    RawNode raw;
    raw.parent = pending.parent;
    if (!memory.Load(node + l.node_parent, parent) || !memory.Load(node + l.node_name, name) ||
        !memory.Load(node + l.node_id, raw.node_id) || !memory.Load(node + l.node_script_id, raw.script_id) ||
        !memory.Load(node + l.node_script_position, raw.position)) {
      return fail("a node of V8's sampler tree is unreadable");
    }
    raw.name = reinterpret_cast<const char*>(name);
    if (parent != pending.parent_node || name == 0 || raw.node_id == 0 || raw.position < 0) {
      return fail("a node of V8's sampler tree does not hang from its parent");
    }
    if (pending.parent < 0) {
      std::string root_name;
      if (raw.node_id != 1 || !ReadName(raw.name, AccessOf<Memory>(), root_name) || root_name != "(root)") {
        return fail("the root of V8's sampler tree is not node 1 named \"(root)\"");
      }
    }
    const auto index = static_cast<int32_t>(out.nodes.size());
    if (!id_of_address_.Insert(node, raw.node_id)) return fail("V8's sampler tree has a node twice");
    out.nodes.push_back(raw);

    // The children map, breadth first: in-order (V8's order) would follow
    // one pointer after another, each a cache miss; a level's nodes are
    // independent and prefetched ahead. Sibling order is not kept (nothing
    // depends on it). Every map node must point back at the one it hangs
    // from, and the map must hold exactly its size.
    const uintptr_t map = node + l.node_children;
    const uintptr_t header = map + kMapHeader;
    size_t count = 0;
    uintptr_t top = 0;
    uintptr_t leftmost = 0;
    if (!memory.Load(map + kMapSize, count) || !memory.Load(header + kRbParent, top) ||
        !memory.Load(header + kRbLeft, leftmost) || count > kMaxChildrenPerNode) {
      return fail("a node's children in V8's sampler tree are malformed");
    }
    if (count == 0) {
      if (top != 0 || leftmost != header) return fail("a node's children in V8's sampler tree are malformed");
      continue;
    }
    if (pending.depth + 1 > kMaxCopiedDepth) return fail("V8's sampler tree is deeper than the agent accepts");
    children_.clear();
    // A bounded walk takes no more children than it can still visit.
    const size_t visited_or_pending = out.nodes.size() + stack_.size();
    const size_t budget = max_nodes > visited_or_pending ? max_nodes - visited_or_pending : 0;
    bool cut = false;
    map_nodes_.clear();
    map_nodes_.push_back({top, header});
    for (size_t i = 0; i < map_nodes_.size(); ++i) {
      if (i + kPrefetchDistance < map_nodes_.size()) memory.Prefetch(map_nodes_[i + kPrefetchDistance].node);
      if (children_.size() >= budget) {
        cut = out.truncated = true;
        break;
      }
      const MapNode at = map_nodes_[i];
      uintptr_t up = 0;
      uintptr_t left = 0;
      uintptr_t right = 0;
      uintptr_t child = 0;
      if (!PlausiblePointer(at.node) || at.node == header || !memory.Load(at.node + kRbParent, up) ||
          !memory.Load(at.node + kRbLeft, left) || !memory.Load(at.node + kRbRight, right) ||
          !memory.Load(at.node + kRbValue + sizeof(uint64_t), child) || up != at.parent || !PlausiblePointer(child) ||
          (left != 0 && left == right)) {
        return fail("a node's children in V8's sampler tree are malformed");
      }
      children_.push_back(child);
      for (const uintptr_t below : {left, right}) {
        if (below == 0) continue;
        if (map_nodes_.size() >= count) return fail("a node's children in V8's sampler tree do not match their count");
        map_nodes_.push_back({below, at.node});
      }
    }
    if (!cut && map_nodes_.size() != count) {
      return fail("a node's children in V8's sampler tree do not match their count");
    }
    for (size_t i = children_.size(); i-- > 0;) stack_.push_back({children_[i], node, index, pending.depth + 1});
  }

  return WalkSamples(memory, sampler, rate, max_samples, out, problem);
}

// V8's samples map is one singly linked list: walked in list order, each
// node's address is in the node before, so every step waits for a cache
// miss (~27k of them for a 9k-node profile, most of a read). Walked bucket
// by bucket instead, its chains are short and independent: each pass below
// goes over a plain vector and prefetches a few entries ahead, so many
// misses are in flight at once. The samples come out in bucket order, not
// V8's list order (nothing depends on their order). Every node seen must be
// in the bucket it hangs from, with its key and value the same Sample, and
// all buckets together must hold exactly the map's size.
template <typename Memory>
bool SamplerTreeReader::WalkSamples(const Memory& memory, uintptr_t sampler, uint64_t rate, size_t max_samples,
                                    RawTree& out, std::string* problem) {
  const SamplerTreeLayout& l = layout_;
  const auto fail = [problem](const char* why) {
    *problem = why;
    return false;
  };
  const uintptr_t samples = sampler + l.sampler_samples;
  uintptr_t buckets = 0;
  size_t bucket_count = 0;
  size_t sample_count = 0;
  if (!memory.Load(samples + kHashBuckets, buckets) || !memory.Load(samples + kHashBucketCount, bucket_count) ||
      !memory.Load(samples + kHashSize, sample_count) || !PlausiblePointer(buckets) || bucket_count == 0 ||
      bucket_count > kMaxSampleBuckets || sample_count > kMaxCopiedSamples) {
    return fail("V8's list of samples is malformed");
  }

  // Pass 1: the non-empty buckets (a sequential read of the bucket array).
  links_.clear();
  for (size_t bucket = 0; bucket < bucket_count; ++bucket) {
    uintptr_t before = 0;
    if (!memory.Load(buckets + bucket * sizeof(uintptr_t), before)) return fail("V8's list of samples is malformed");
    if (before == 0) continue;
    if (!PlausiblePointer(before) || links_.size() >= sample_count) return fail("V8's list of samples is malformed");
    // Each bucket holds a sample at least: a bounded walk needs no more.
    if (links_.size() >= max_samples) {
      out.truncated = true;
      break;
    }
    links_.push_back({before, bucket, true});
  }
  // Pass 2: each bucket's first node, from the node before it.
  for (size_t i = 0; i < links_.size(); ++i) {
    if (i + kPrefetchDistance < links_.size()) memory.Prefetch(links_[i + kPrefetchDistance].hash_node);
    uintptr_t first = 0;
    if (!memory.Load(links_[i].hash_node, first) || !PlausiblePointer(first)) {
      return fail("V8's list of samples is malformed");
    }
    links_[i].hash_node = first;
  }
  // Pass 3, in rounds: the nodes of every bucket, one chain step per round;
  // a chain ends at a node of another bucket (or the list's end).
  sample_addresses_.clear();
  size_t walked = 0;
  bool truncated = false;
  while (!links_.empty() && !truncated) {
    next_links_.clear();
    for (size_t i = 0; i < links_.size(); ++i) {
      if (i + kPrefetchDistance < links_.size()) memory.Prefetch(links_[i + kPrefetchDistance].hash_node);
      const ChainLink link = links_[i];
      uintptr_t next = 0;
      uintptr_t key = 0;
      uintptr_t sample = 0;
      if (!memory.Load(link.hash_node, next) || !memory.Load(link.hash_node + kHashNodeKey, key) ||
          !memory.Load(link.hash_node + kHashNodeMapped, sample) || key != sample || !PlausiblePointer(sample)) {
        return fail("a sample of V8's sampler is unreadable");
      }
      if (sample % bucket_count != link.bucket) {
        if (link.first) return fail("V8's list of samples is malformed");
        continue;  // the next bucket's first node
      }
      if (walked >= sample_count) return fail("V8's list of samples is longer than its size");
      if (walked >= max_samples) {
        truncated = true;
        break;
      }
      ++walked;
      sample_addresses_.push_back(sample);
      if (next != 0) {
        if (!PlausiblePointer(next)) return fail("V8's list of samples is malformed");
        next_links_.push_back({next, link.bucket, false});
      }
    }
    links_.swap(next_links_);
  }
  if (truncated) out.truncated = true;
  if (!out.truncated && walked != sample_count) return fail("V8's list of samples is shorter than its size");

  // Pass 4: the samples themselves.
  out.samples.reserve(sample_addresses_.size());
  uint64_t last_size = 0;
  uint32_t last_count = 0;
  for (size_t i = 0; i < sample_addresses_.size(); ++i) {
    // Two stages ahead: a Sample's fields (they may straddle two cache
    // lines), then, once they are in, its owner's slot in the index.
    if (i + 2 * kPrefetchDistance < sample_addresses_.size()) {
      memory.Prefetch(sample_addresses_[i + 2 * kPrefetchDistance] + l.sample_size);
      memory.Prefetch(sample_addresses_[i + 2 * kPrefetchDistance] + l.sample_id);
    }
    if (Memory::kPrefetches && i + kPrefetchDistance < sample_addresses_.size()) {
      uintptr_t owner = 0;
      memory.Load(sample_addresses_[i + kPrefetchDistance] + l.sample_owner, owner);
      id_of_address_.Prefetch(owner);
    }
    const uintptr_t sample = sample_addresses_[i];
    uint64_t size = 0;
    uintptr_t owner = 0;
    uint64_t sample_id = 0;
    if (!memory.Load(sample + l.sample_size, size) || !memory.Load(sample + l.sample_owner, owner) ||
        !memory.Load(sample + l.sample_id, sample_id)) {
      return fail("a sample of V8's sampler is unreadable");
    }
    if (size == 0 || size > kMaxSampleSize) return fail("a sample of V8's sampler has an implausible size");
    const uint32_t* owner_id = id_of_address_.Find(owner);
    if (owner_id == nullptr) {
      if (out.truncated) continue;  // a node beyond the walked prefix
      return fail("a sample of V8's sampler belongs to no node of its tree");
    }
    if (size != last_size) {
      last_size = size;
      last_count = ScaledCount(size, rate);
    }
    out.samples.push_back({.node_id = *owner_id, .count = last_count, .size = size, .sample_id = sample_id});
  }
  return true;
}

}  // namespace heapagent::v8direct
