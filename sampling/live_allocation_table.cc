#include "sampling/live_allocation_table.h"

#include <algorithm>
#include <mutex>

#include "sampling/page_memory.h"

namespace heapagent {
namespace {

// Entries a shard of `capacity` slots takes before it grows or refuses: all
// but one slot in eight, and never the last slot, so probes stay short and
// always meet an empty slot.
std::size_t FillLimit(std::size_t capacity) { return capacity - std::max<std::size_t>(capacity / 8, 1); }

}  // namespace

LiveAllocationTable::LiveAllocationTable(std::size_t slots_per_shard, std::size_t initial_slots_per_shard)
    : slots_per_shard_(slots_per_shard),
      initial_slots_per_shard_(std::min(initial_slots_per_shard, slots_per_shard)) {
  // Every shard may grow all the way: initial + 2 * initial + ... + maximum
  // slots, less than twice the maximum.
  std::size_t per_shard = 0;
  for (std::size_t size = initial_slots_per_shard_; size <= slots_per_shard_; size *= 2) per_shard += size;
  reserved_slots_ = kShards * per_shard;
  slots_ = static_cast<LiveAllocation*>(AllocatePages(reserved_slots_ * sizeof(LiveAllocation)));
  if (slots_ != nullptr) StartEmpty();
}

LiveAllocationTable::~LiveAllocationTable() { FreePages(slots_, reserved_slots_ * sizeof(LiveAllocation)); }

void LiveAllocationTable::StartEmpty() {
  // The initial arrays sit side by side, so a table with few live samples
  // touches a few pages in all.
  for (std::size_t shard = 0; shard < kShards; ++shard) {
    shards_[shard].capacity = static_cast<uint32_t>(initial_slots_per_shard_);
    shards_[shard].slots = slots_ + shard * initial_slots_per_shard_;
  }
  next_free_slot_.store(kShards * initial_slots_per_shard_, std::memory_order_relaxed);
}

bool LiveAllocationTable::Grow(Shard& shard) {
  const std::size_t old_capacity = shard.capacity;
  const std::size_t capacity = old_capacity * 2;
  if (capacity > slots_per_shard_) return false;
  // Cannot run out: the reservation holds every size of every shard.
  LiveAllocation* grown = slots_ + next_free_slot_.fetch_add(capacity, std::memory_order_relaxed);
  const LiveAllocation* old_slots = shard.slots;
  for (std::size_t i = 0; i < old_capacity; ++i) {
    if (old_slots[i].address == 0) continue;
    std::size_t slot = HomeSlot(MixAddress(old_slots[i].address), capacity);
    while (grown[slot].address != 0) slot = (slot + 1) & (capacity - 1);
    grown[slot] = old_slots[i];
  }
  shard.slots = grown;
  shard.capacity = static_cast<uint32_t>(capacity);
  return true;
}

std::size_t LiveAllocationTable::size() const {
  std::size_t live = 0;
  for (const Shard& shard : shards_) live += shard.used.load(std::memory_order_relaxed);
  return live;
}

bool LiveAllocationTable::Insert(uintptr_t address, uint64_t size, uint32_t stack_id) {
  if (!ok() || address == 0) return false;
  const uint64_t hash = MixAddress(address);
  Shard& shard = shards_[ShardOf(hash)];
  std::lock_guard guard(shard.lock);
  for (std::size_t i = HomeSlot(hash, shard.capacity);; i = (i + 1) & (shard.capacity - 1)) {
    if (shard.slots[i].address == address) {  // a free we never saw; the new block wins
      shard.slots[i] = {address, size, stack_id};
      return true;
    }
    if (shard.slots[i].address == 0) break;
  }
  // A new entry: past the fill limit the shard grows, or at its maximum size
  // refuses.
  const uint32_t used = shard.used.load(std::memory_order_relaxed);
  if (used + 1 > FillLimit(shard.capacity) && !Grow(shard)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  std::size_t slot = HomeSlot(hash, shard.capacity);
  while (shard.slots[slot].address != 0) slot = (slot + 1) & (shard.capacity - 1);
  shard.slots[slot] = {address, size, stack_id};
  shard.used.store(used + 1, std::memory_order_relaxed);
  return true;
}

std::optional<LiveAllocation> LiveAllocationTable::Remove(uintptr_t address) {
  if (!ok() || address == 0) return std::nullopt;
  const uint64_t hash = MixAddress(address);
  Shard& shard = shards_[ShardOf(hash)];
  std::lock_guard guard(shard.lock);
  LiveAllocation* slots = shard.slots;
  const std::size_t mask = shard.capacity - 1;
  std::size_t hole = HomeSlot(hash, shard.capacity);
  while (slots[hole].address != address) {
    if (slots[hole].address == 0) return std::nullopt;
    hole = (hole + 1) & mask;
  }
  const LiveAllocation removed = slots[hole];
  // Backward-shift deletion: pull later members of the probe run into the
  // hole whenever their home slot does not lie cyclically in (hole, next].
  for (std::size_t next = (hole + 1) & mask; slots[next].address != 0; next = (next + 1) & mask) {
    const std::size_t home = HomeSlot(MixAddress(slots[next].address), shard.capacity);
    const bool home_between = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
    if (!home_between) {
      slots[hole] = slots[next];
      hole = next;
    }
  }
  slots[hole] = LiveAllocation{};
  shard.used.store(shard.used.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  return removed;
}

void LiveAllocationTable::ResetAfterFork() {
  for (auto& shard : shards_) {
    shard.lock.ResetAfterFork();
    shard.used.store(0, std::memory_order_relaxed);
  }
  ZeroPages(slots_, reserved_slots_ * sizeof(LiveAllocation));
  if (slots_ != nullptr) StartEmpty();
  dropped_.store(0, std::memory_order_relaxed);
}

}  // namespace heapagent
