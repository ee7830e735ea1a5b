// A cheap "might this pointer have been sampled?" test for free().
//
// Every free() asks this before touching any table. It is a counting filter:
// one byte counter per hash bucket of addresses, incremented when a sampled
// allocation is recorded and decremented when it is removed. Counting (rather
// than a plain bitset) means that two live samples sharing a bucket never hide
// each other: a bucket reads zero only when none of its samples is live, so
// there are no false negatives, and false positives cost one table lookup.
// Buckets are 256-byte slices of address space (modulo the filter's span),
// not individual blocks: frees that are near each other in memory read the
// same few cache lines, so the filter stays in L1/L2 instead of costing a
// cache miss on every free. A free is a false positive when its block shares
// a slice (or an alias slice) with a live sample: about N * 256 B / heap size
// with N live samples; at the default interval (one live sample per ~512 KiB
// of heap) that is about 0.05%, whatever the heap size.
//
// The counters live inside the object, so the process's one filter (a
// zero-initialised global: no constructor runs, and pages cost RSS only once a
// sampled address touches them) is found at a link-time address: free()
// indexes it directly instead of first loading a pointer to it.
//
// Thread-safety: MaybeContains is a relaxed load and may race with updates of
// *other* pointers only; a pointer's own Add happens-before its free through
// the program's own synchronisation. Add/Remove are atomic.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace heapagent {

class AddressFilter {
 public:
  static constexpr int kBucketBits = 17;    // 128 KiB of counters...
  static constexpr int kSliceBits = 8;      // ...each for 256 bytes of address space
  static constexpr std::size_t kSliceBytes = std::size_t{1} << kSliceBits;
  static constexpr std::size_t kBuckets = std::size_t{1} << kBucketBits;

  constexpr AddressFilter() = default;
  AddressFilter(const AddressFilter&) = delete;
  AddressFilter& operator=(const AddressFilter&) = delete;

  bool MaybeContains(const void* pointer) const {
    return Counter(pointer).load(std::memory_order_relaxed) != 0;
  }

  void Add(const void* pointer) {
    std::atomic_ref<uint8_t> counter = Counter(pointer);
    uint8_t value = counter.load(std::memory_order_relaxed);
    // Saturate at 255: a saturated bucket stays "maybe" forever, which is safe.
    while (value != 255 && !counter.compare_exchange_weak(value, value + 1, std::memory_order_relaxed)) {
    }
  }

  void Remove(const void* pointer) {
    std::atomic_ref<uint8_t> counter = Counter(pointer);
    uint8_t value = counter.load(std::memory_order_relaxed);
    while (value != 0 && value != 255 &&
           !counter.compare_exchange_weak(value, value - 1, std::memory_order_relaxed)) {
    }
  }

  // A bucket's counter (tests and diagnostics).
  uint8_t CounterOfBucket(std::size_t bucket) const {
    return std::atomic_ref<const uint8_t>(counters_[bucket]).load(std::memory_order_relaxed);
  }

  static std::size_t Bucket(const void* pointer) {
    return static_cast<std::size_t>((reinterpret_cast<uintptr_t>(pointer) >> kSliceBits) & (kBuckets - 1));
  }

 private:
  // Plain bytes, accessed through std::atomic_ref, so that the array needs no
  // initialisation beyond the zeroes of BSS.
  std::atomic_ref<uint8_t> Counter(const void* pointer) const {
    return std::atomic_ref<uint8_t>(counters_[Bucket(pointer)]);
  }

  mutable uint8_t counters_[kBuckets] = {};
};

}  // namespace heapagent
