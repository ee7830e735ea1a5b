// A map from nonzero 64-bit keys (addresses, ids) to small values, in one
// flat array: a lookup is one cache line (std::unordered_map's are two or
// three), and the line of a lookup a few steps ahead can be prefetched. The
// JS heap reads (sampler_tree_reader.h, allocation_profile_copy.h) make one
// per V8 node or sample, on the app's thread, so this matters there.
//
// Open addressing with linear probing, Fibonacci hashing (the product's
// high bits: addresses spaced by malloc's regular strides still spread),
// at most 3/4 full. No erase: callers clear and refill. Memory is the
// slots' array, sized by the caller's expectation and doubled when full.
//
// Not thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace heapagent::v8direct {

template <typename Value>
class FlatIdMap {
 public:
  FlatIdMap() { Reset(0); }

  // Empties the map with room for `expected` keys before it grows.
  void Reset(size_t expected) {
    size_t capacity = kMinCapacity;
    while (capacity * 3 < expected * 4) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
    size_ = 0;
  }

  // False (and the map unchanged) when `key` is already there. Key 0 is
  // never stored.
  bool Insert(uint64_t key, const Value& value) {
    if (key == 0) return false;
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == 0) {
        slots_[i] = {key, value};
        ++size_;
        return true;
      }
      if (slots_[i].key == key) return false;
    }
  }

  // The value of `key`, or null.
  const Value* Find(uint64_t key) const { return const_cast<FlatIdMap*>(this)->Find(key); }
  Value* Find(uint64_t key) {
    if (key == 0) return nullptr;
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == 0) return nullptr;
    }
  }

  // Brings the line a later Find(key) or Insert(key) starts at into the cache.
  void Prefetch(uint64_t key) const { __builtin_prefetch(&slots_[Home(key)]); }

  size_t size() const { return size_; }

 private:
  static constexpr size_t kMinCapacity = 1024;
  struct Slot {
    uint64_t key = 0;
    Value value{};
  };

  size_t Home(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_); }

  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    Reset(old.size());  // room for as many as the old array had slots: twice its 3/4
    for (const Slot& slot : old) {
      if (slot.key != 0) Insert(slot.key, slot.value);
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t size_ = 0;
};

}  // namespace heapagent::v8direct
