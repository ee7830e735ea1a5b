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
// A red-black tree of at most kMaxChildrenPerNode nodes is at most
// 2*log2(n+1) ≈ 40 levels deep: climbing further means a broken tree.
constexpr int kMaxRbClimb = 64;

// Plain loads: only once the layout was proved.
struct DirectMemory {
  template <typename T>
  bool Load(uintptr_t address, T& value) const {
    std::memcpy(&value, reinterpret_cast<const void*>(address), sizeof(T));
    return true;
  }
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

void SamplerTreeReader::AddressIndex::Reset(size_t expected) {
  size_t capacity = 1024;
  while (capacity < expected * 2) capacity *= 2;
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
  size_ = 0;
}

bool SamplerTreeReader::AddressIndex::Insert(uintptr_t address, int32_t index) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  for (size_t i = Hash(address);; i = (i + 1) & mask_) {
    if (slots_[i].address == 0) {
      slots_[i] = {address, index};
      ++size_;
      return true;
    }
    if (slots_[i].address == address) return false;
  }
}

int32_t SamplerTreeReader::AddressIndex::Find(uintptr_t address) const {
  for (size_t i = Hash(address);; i = (i + 1) & mask_) {
    if (slots_[i].address == address) return slots_[i].index;
    if (slots_[i].address == 0) return -1;
  }
}

size_t SamplerTreeReader::AddressIndex::Hash(uintptr_t address) const {
  // Fibonacci hashing: the product's high bits mix every bit of the
  // address (its low bits would repeat with malloc's regular spacing).
  return static_cast<size_t>((uint64_t{address} * 0x9E3779B97F4A7C15ull) >> shift_);
}

void SamplerTreeReader::AddressIndex::Grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  Reset(old.size());
  for (const Slot& slot : old) {
    if (slot.address != 0) Insert(slot.address, slot.index);
  }
}

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

  AddressIndex& index_of_address = index_of_address_;
  index_of_address.Reset(out.nodes.capacity());
  address_of_index_.clear();
  stack_.clear();
  stack_.push_back({sampler + l.sampler_root, -1, 0});
  while (!stack_.empty()) {
    const Pending pending = stack_.back();
    stack_.pop_back();
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
    const uintptr_t expected_parent = pending.parent < 0 ? 0 : address_of_index_[static_cast<size_t>(pending.parent)];
    if (parent != expected_parent || name == 0 || raw.node_id == 0 || raw.position < 0) {
      return fail("a node of V8's sampler tree does not hang from its parent");
    }
    if (pending.parent < 0) {
      std::string root_name;
      if (raw.node_id != 1 || !ReadName(raw.name, AccessOf<Memory>(), root_name) || root_name != "(root)") {
        return fail("the root of V8's sampler tree is not node 1 named \"(root)\"");
      }
    }
    const auto index = static_cast<int32_t>(out.nodes.size());
    if (!index_of_address.Insert(node, index)) return fail("V8's sampler tree has a node twice");
    out.nodes.push_back(raw);
    address_of_index_.push_back(node);

    // The children map, in order (as V8's own translation visits it).
    const uintptr_t map = node + l.node_children;
    const uintptr_t header = map + kMapHeader;
    size_t count = 0;
    uintptr_t leftmost = 0;
    if (!memory.Load(map + kMapSize, count) || !memory.Load(header + kRbLeft, leftmost) || count > kMaxChildrenPerNode) {
      return fail("a node's children in V8's sampler tree are malformed");
    }
    if (count == 0) {
      if (leftmost != header) return fail("a node's children in V8's sampler tree are malformed");
      continue;
    }
    if (pending.depth + 1 > kMaxCopiedDepth) return fail("V8's sampler tree is deeper than the agent accepts");
    children_.clear();
    // A bounded walk takes no more children than it can still visit.
    const size_t visited_or_pending = out.nodes.size() + stack_.size();
    const size_t budget = max_nodes > visited_or_pending ? max_nodes - visited_or_pending : 0;
    bool cut = false;
    uintptr_t x = leftmost;
    for (size_t i = 0; i < count; ++i) {
      if (children_.size() >= budget) {
        cut = out.truncated = true;
        break;
      }
      uintptr_t child = 0;
      if (!PlausiblePointer(x) || x == header || !memory.Load(x + kRbValue + sizeof(uint64_t), child) ||
          !PlausiblePointer(child)) {
        return fail("a node's children in V8's sampler tree are malformed");
      }
      children_.push_back(child);
      // In-order successor (libstdc++'s _Rb_tree_increment).
      uintptr_t right = 0;
      if (!memory.Load(x + kRbRight, right)) return fail("a node's children in V8's sampler tree are malformed");
      if (right != 0) {
        x = right;
        for (int climb = 0;; ++climb) {
          uintptr_t left = 0;
          if (climb > kMaxRbClimb || !PlausiblePointer(x) || !memory.Load(x + kRbLeft, left)) {
            return fail("a node's children in V8's sampler tree are malformed");
          }
          if (left == 0) break;
          x = left;
        }
      } else {
        uintptr_t up = 0;
        if (!memory.Load(x + kRbParent, up)) return fail("a node's children in V8's sampler tree are malformed");
        for (int climb = 0;; ++climb) {
          uintptr_t up_right = 0;
          if (climb > kMaxRbClimb || !PlausiblePointer(up) || !memory.Load(up + kRbRight, up_right)) {
            return fail("a node's children in V8's sampler tree are malformed");
          }
          if (x != up_right) break;
          x = up;
          if (!memory.Load(x + kRbParent, up)) return fail("a node's children in V8's sampler tree are malformed");
        }
        uintptr_t x_right = 0;
        if (!memory.Load(x + kRbRight, x_right)) return fail("a node's children in V8's sampler tree are malformed");
        if (x_right != up) x = up;
      }
    }
    if (!cut && x != header) return fail("a node's children in V8's sampler tree do not match their count");
    for (size_t i = children_.size(); i-- > 0;) stack_.push_back({children_[i], index, pending.depth + 1});
  }

  // Live samples, in V8's list order (as BuildSamples gives them).
  const uintptr_t samples = sampler + l.sampler_samples;
  uintptr_t entry = 0;
  size_t sample_count = 0;
  if (!memory.Load(samples + kHashListHead, entry) || !memory.Load(samples + kHashSize, sample_count) ||
      sample_count > kMaxCopiedSamples) {
    return fail("V8's list of samples is malformed");
  }
  out.samples.reserve(std::min(sample_count, max_samples));
  size_t walked = 0;
  uint64_t last_size = 0;
  uint32_t last_count = 0;
  for (; entry != 0; ++walked) {
    if (walked >= sample_count) return fail("V8's list of samples is longer than its size");
    if (walked >= max_samples) {
      out.truncated = true;
      break;
    }
    uintptr_t sample = 0;
    uint64_t size = 0;
    uintptr_t owner = 0;
    uint64_t sample_id = 0;
    uintptr_t next = 0;
    if (!PlausiblePointer(entry) || !memory.Load(entry, next) || !memory.Load(entry + kHashNodeMapped, sample) ||
        !PlausiblePointer(sample) || !memory.Load(sample + l.sample_size, size) ||
        !memory.Load(sample + l.sample_owner, owner) || !memory.Load(sample + l.sample_id, sample_id)) {
      return fail("a sample of V8's sampler is unreadable");
    }
    entry = next;
    if (size == 0 || size > kMaxSampleSize) return fail("a sample of V8's sampler has an implausible size");
    const int32_t owner_index = index_of_address.Find(owner);
    if (owner_index < 0) {
      if (out.truncated) continue;  // a node beyond the walked prefix
      return fail("a sample of V8's sampler belongs to no node of its tree");
    }
    if (size != last_size) {
      last_size = size;
      last_count = ScaledCount(size, rate);
    }
    out.samples.push_back({.node_id = out.nodes[static_cast<size_t>(owner_index)].node_id,
                           .count = last_count,
                           .size = size,
                           .sample_id = sample_id});
  }
  if (!out.truncated && walked != sample_count) return fail("V8's list of samples is shorter than its size");
  return true;
}

}  // namespace heapagent::v8direct
