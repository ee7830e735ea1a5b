// Deduplicated call stacks of sampled allocations, with the cumulative
// (unbiased) allocation totals of each stack.
//
// A sampled allocation interns its stack here and gets a small stable id to
// store in the LiveAllocationTable. Identical stacks share one entry, so memory
// grows with the number of distinct allocation sites, not with the number of
// samples. Like the live table it is sharded, lock-per-shard, mmap-backed and
// fixed-size: when a shard or its frame storage is full, the stack is counted
// under kOverflowStackId instead, so totals stay right and memory stays bounded.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sampling/spin_lock.h"

namespace heapagent {

class StackTable {
 public:
  static constexpr std::size_t kShards = 64;
  static constexpr uint32_t kNoStackId = 0;
  // Samples whose stack could not be stored are accounted to this id.
  static constexpr uint32_t kOverflowStackId = 0xFFFFFFFFu;

  struct Totals {
    double alloc_count = 0;  // estimated allocations since start
    double alloc_bytes = 0;  // estimated bytes allocated since start
  };

  // slots_per_shard must be a power of two; frames_per_shard bounds the frame
  // storage of each shard.
  explicit StackTable(std::size_t slots_per_shard = 512, std::size_t frames_per_shard = 16384);
  ~StackTable();
  StackTable(const StackTable&) = delete;
  StackTable& operator=(const StackTable&) = delete;

  bool ok() const { return slots_ != nullptr && frames_ != nullptr; }

  // Finds or adds `frames` (leaf first) and adds `weight` to its totals.
  // Never allocates; returns kOverflowStackId when the stack can't be stored.
  uint32_t InternAndCount(std::span<const uintptr_t> frames, Totals weight);

  // Copies the frames of `stack_id` into `out` (cleared first).
  void CopyFrames(uint32_t stack_id, std::vector<uintptr_t>& out);

  // Calls visit(uint32_t stack_id, const Totals&) for every stack and the
  // overflow bucket (if used), one shard lock at a time.
  template <typename Visit>
  void ForEachTotals(Visit&& visit);

  std::size_t size() const { return stacks_.load(std::memory_order_relaxed); }
  uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

  void ResetAfterFork();

 private:
  struct Entry {
    uint64_t hash;
    uint32_t first_frame;  // index into the shard's frame storage
    uint32_t depth;        // 0 marks an empty slot
    Totals totals;
  };
  struct Shard {
    SpinLock lock;
    uint32_t used_slots = 0;
    uint32_t used_frames = 0;
  };

  Entry* SlotsOf(std::size_t shard) { return slots_ + shard * slots_per_shard_; }
  uintptr_t* FramesOf(std::size_t shard) { return frames_ + shard * frames_per_shard_; }
  uint32_t IdOf(std::size_t shard, std::size_t slot) const {
    return static_cast<uint32_t>(shard * slots_per_shard_ + slot + 1);
  }

  std::size_t slots_per_shard_;
  std::size_t frames_per_shard_;
  std::size_t slot_bytes_ = 0, frame_bytes_ = 0;
  Entry* slots_ = nullptr;
  uintptr_t* frames_ = nullptr;
  Shard shards_[kShards];
  SpinLock overflow_lock_;
  Totals overflow_totals_;
  std::atomic<std::size_t> stacks_{0};
  std::atomic<uint64_t> overflowed_{0};
};

template <typename Visit>
void StackTable::ForEachTotals(Visit&& visit) {
  if (!ok()) return;
  for (std::size_t shard = 0; shard < kShards; ++shard) {
    shards_[shard].lock.lock();
    const Entry* slots = SlotsOf(shard);
    for (std::size_t i = 0; i < slots_per_shard_; ++i) {
      if (slots[i].depth != 0) visit(IdOf(shard, i), slots[i].totals);
    }
    shards_[shard].lock.unlock();
  }
  overflow_lock_.lock();
  const Totals overflow = overflow_totals_;
  overflow_lock_.unlock();
  if (overflow.alloc_count > 0) visit(kOverflowStackId, overflow);
}

}  // namespace heapagent
