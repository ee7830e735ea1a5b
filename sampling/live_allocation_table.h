// The set of sampled allocations that are still live: address -> (size, stack).
//
// Sized for the sampling rate, not for the heap: at the default 512 KiB mean
// interval a 1 GiB native heap holds about 2,000 sampled blocks. The table is
// split into independent shards, each a small open-addressing array with
// linear probing and backward-shift deletion (so no tombstones pile up under
// churn) guarded by its own spin lock. Only sampled allocations and frees that
// pass the AddressFilter ever come here, so contention is negligible.
//
// Memory comes from mmap, never from malloc: the table is bounded, never
// sampled, and a forked child can simply clear it. Each shard starts small and
// doubles (rehashing under its lock) up to slots_per_shard; only then is an
// insert refused and counted (`dropped()`), never blocking the caller. Growing
// matters for RSS: sampled addresses hash anywhere in a shard, so under churn
// a full-size array would have every one of its pages touched within seconds
// however few samples are live (1.5 MiB at the default size), whereas grown
// arrays cost about twice what the live samples need. They are carved from
// one reservation made up front, so growing is a pointer bump, not a syscall;
// a shard's outgrown arrays are not reused.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "sampling/spin_lock.h"

namespace heapagent {

struct LiveAllocation {
  uintptr_t address = 0;  // 0 marks an empty slot
  uint64_t size = 0;
  uint32_t stack_id = 0;
};

class LiveAllocationTable {
 public:
  static constexpr std::size_t kShards = 64;

  // Both sizes must be powers of two; a shard starts with
  // initial_slots_per_shard slots (at most slots_per_shard) and grows up to
  // slots_per_shard.
  explicit LiveAllocationTable(std::size_t slots_per_shard = 1024, std::size_t initial_slots_per_shard = 16);
  ~LiveAllocationTable();
  LiveAllocationTable(const LiveAllocationTable&) = delete;
  LiveAllocationTable& operator=(const LiveAllocationTable&) = delete;

  bool ok() const { return slots_ != nullptr; }

  // Records a live sampled block; replaces an existing entry for the address.
  // Returns false (and counts a drop) if the shard is full.
  bool Insert(uintptr_t address, uint64_t size, uint32_t stack_id);

  // Removes and returns the entry for `address`, if any.
  std::optional<LiveAllocation> Remove(uintptr_t address);

  // Calls visit(const LiveAllocation&) for every live entry, one shard lock
  // at a time. `visit` must not allocate through the sampled path's locks
  // (plain malloc is fine) and must not call back into the table.
  template <typename Visit>
  void ForEach(Visit&& visit);

  // Approximate while other threads insert or remove.
  std::size_t size() const;
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return kShards * slots_per_shard_; }
  // Bytes of the reservation handed out to shards so far (their current and
  // outgrown arrays): what the table can have touched.
  std::size_t bytes_in_use() const { return next_free_slot_.load(std::memory_order_relaxed) * sizeof(LiveAllocation); }

  // Empties the table. In a forked child also forgets locks held by threads
  // that no longer exist.
  void ResetAfterFork();

 private:
  // One cache line per shard: threads working on different shards must not
  // bounce a shared line between cores.
  struct alignas(64) Shard {
    SpinLock lock;
    std::atomic<uint32_t> used{0};  // written under the lock, read by size()
    uint32_t capacity = 0;           // a power of two; under the lock
    LiveAllocation* slots = nullptr;  // `capacity` slots; under the lock
  };

  static std::size_t ShardOf(uint64_t hash) { return hash >> 58; }  // top 6 bits: 64 shards
  static std::size_t HomeSlot(uint64_t hash, std::size_t capacity) { return hash & (capacity - 1); }
  // Gives every shard its initial array; the rest of the reservation is for growth.
  void StartEmpty();
  // Doubles the shard's array (lock held); false when it is at its maximum.
  bool Grow(Shard& shard);

  std::size_t slots_per_shard_;
  std::size_t initial_slots_per_shard_;
  std::size_t reserved_slots_ = 0;
  LiveAllocation* slots_ = nullptr;  // the reservation
  std::atomic<std::size_t> next_free_slot_{0};
  Shard shards_[kShards];
  std::atomic<uint64_t> dropped_{0};
};

template <typename Visit>
void LiveAllocationTable::ForEach(Visit&& visit) {
  if (!ok()) return;
  for (std::size_t shard = 0; shard < kShards; ++shard) {
    shards_[shard].lock.lock();
    const LiveAllocation* slots = shards_[shard].slots;
    for (std::size_t i = 0; i < shards_[shard].capacity; ++i) {
      if (slots[i].address != 0) visit(slots[i]);
    }
    shards_[shard].lock.unlock();
  }
}

// Mixes an address into 64 well-spread bits (fmix64 from MurmurHash3's
// finaliser, a public-domain bit mixer).
inline uint64_t MixAddress(uintptr_t address) {
  uint64_t k = address;
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

}  // namespace heapagent
