#include "sampling/live_allocation_table.h"

#include <mutex>

#include "sampling/page_memory.h"

namespace heapagent {

LiveAllocationTable::LiveAllocationTable(std::size_t slots_per_shard) : slots_per_shard_(slots_per_shard) {
  bytes_ = kShards * slots_per_shard_ * sizeof(LiveAllocation);
  slots_ = static_cast<LiveAllocation*>(AllocatePages(bytes_));
}

LiveAllocationTable::~LiveAllocationTable() { FreePages(slots_, bytes_); }

std::size_t LiveAllocationTable::size() const {
  std::size_t live = 0;
  for (const Shard& shard : shards_) live += shard.used.load(std::memory_order_relaxed);
  return live;
}

bool LiveAllocationTable::Insert(uintptr_t address, uint64_t size, uint32_t stack_id) {
  if (!ok() || address == 0) return false;
  const uint64_t hash = MixAddress(address);
  const std::size_t shard = ShardOf(hash);
  std::lock_guard guard(shards_[shard].lock);
  LiveAllocation* slots = SlotsOf(shard);
  const std::size_t mask = slots_per_shard_ - 1;
  for (std::size_t i = HomeSlot(hash);; i = (i + 1) & mask) {
    if (slots[i].address == address) {  // a free we never saw; the new block wins
      slots[i] = {address, size, stack_id};
      return true;
    }
    if (slots[i].address == 0) {
      // Keep one slot in eight free so probes stay short and always terminate.
      const uint32_t used = shards_[shard].used.load(std::memory_order_relaxed);
      if (used + 1 > slots_per_shard_ - slots_per_shard_ / 8) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      slots[i] = {address, size, stack_id};
      shards_[shard].used.store(used + 1, std::memory_order_relaxed);
      return true;
    }
  }
}

std::optional<LiveAllocation> LiveAllocationTable::Remove(uintptr_t address) {
  if (!ok() || address == 0) return std::nullopt;
  const uint64_t hash = MixAddress(address);
  const std::size_t shard = ShardOf(hash);
  std::lock_guard guard(shards_[shard].lock);
  LiveAllocation* slots = SlotsOf(shard);
  const std::size_t mask = slots_per_shard_ - 1;
  std::size_t hole = HomeSlot(hash);
  while (slots[hole].address != address) {
    if (slots[hole].address == 0) return std::nullopt;
    hole = (hole + 1) & mask;
  }
  const LiveAllocation removed = slots[hole];
  // Backward-shift deletion: pull later members of the probe run into the
  // hole whenever their home slot does not lie cyclically in (hole, next].
  for (std::size_t next = (hole + 1) & mask; slots[next].address != 0; next = (next + 1) & mask) {
    const std::size_t home = HomeSlot(MixAddress(slots[next].address));
    const bool home_between = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
    if (!home_between) {
      slots[hole] = slots[next];
      hole = next;
    }
  }
  slots[hole] = LiveAllocation{};
  shards_[shard].used.store(shards_[shard].used.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  return removed;
}

void LiveAllocationTable::ResetAfterFork() {
  for (auto& shard : shards_) {
    shard.lock.ResetAfterFork();
    shard.used.store(0, std::memory_order_relaxed);
  }
  ZeroPages(slots_, bytes_);
  dropped_.store(0, std::memory_order_relaxed);
}

}  // namespace heapagent
