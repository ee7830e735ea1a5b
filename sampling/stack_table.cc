#include "sampling/stack_table.h"

#include <algorithm>
#include <mutex>

#include "sampling/page_memory.h"

namespace heapagent {
namespace {

uint64_t HashFrames(std::span<const uintptr_t> frames) {
  // FNV-1a over whole words followed by a final mix; stacks differ mostly in a
  // few return addresses, which this spreads over all 64 bits.
  uint64_t hash = 0xcbf29ce484222325ull ^ frames.size();
  for (uintptr_t frame : frames) {
    hash ^= frame;
    hash *= 0x100000001b3ull;
    hash ^= hash >> 29;
  }
  hash ^= hash >> 32;
  hash *= 0xd6e8feb86659fd93ull;
  hash ^= hash >> 32;
  return hash | 1;  // never 0
}

}  // namespace

StackTable::StackTable(std::size_t slots_per_shard, std::size_t frames_per_shard)
    : slots_per_shard_(slots_per_shard), frames_per_shard_(frames_per_shard) {
  slot_bytes_ = kShards * slots_per_shard_ * sizeof(Entry);
  frame_bytes_ = kShards * frames_per_shard_ * sizeof(uintptr_t);
  slots_ = static_cast<Entry*>(AllocatePages(slot_bytes_));
  frames_ = static_cast<uintptr_t*>(AllocatePages(frame_bytes_));
}

StackTable::~StackTable() {
  FreePages(slots_, slot_bytes_);
  FreePages(frames_, frame_bytes_);
}

uint32_t StackTable::InternAndCount(std::span<const uintptr_t> frames, Totals weight) {
  const auto overflow = [&] {
    overflowed_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard guard(overflow_lock_);
    overflow_totals_.alloc_count += weight.alloc_count;
    overflow_totals_.alloc_bytes += weight.alloc_bytes;
    return kOverflowStackId;
  };
  if (!ok() || frames.empty()) return overflow();

  const uint64_t hash = HashFrames(frames);
  const std::size_t shard = hash >> 58;
  const std::size_t mask = slots_per_shard_ - 1;
  std::lock_guard guard(shards_[shard].lock);
  Entry* slots = SlotsOf(shard);
  uintptr_t* shard_frames = FramesOf(shard);
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Entry& entry = slots[i];
    if (entry.depth == 0) {
      Shard& state = shards_[shard];
      if (state.used_slots + 1 > slots_per_shard_ - slots_per_shard_ / 8 ||
          state.used_frames + frames.size() > frames_per_shard_) {
        break;  // full: count as overflow once the lock is released
      }
      std::copy(frames.begin(), frames.end(), shard_frames + state.used_frames);
      entry = Entry{hash, state.used_frames, static_cast<uint32_t>(frames.size()), weight};
      state.used_frames += static_cast<uint32_t>(frames.size());
      ++state.used_slots;
      stacks_.fetch_add(1, std::memory_order_relaxed);
      return IdOf(shard, i);
    }
    if (entry.hash == hash && entry.depth == frames.size() &&
        std::equal(frames.begin(), frames.end(), shard_frames + entry.first_frame)) {
      entry.totals.alloc_count += weight.alloc_count;
      entry.totals.alloc_bytes += weight.alloc_bytes;
      return IdOf(shard, i);
    }
  }
  // The shard lock is still held here; the overflow bucket has its own lock,
  // always taken after a shard lock, never before, so no cycle is possible.
  return overflow();
}

void StackTable::CopyFrames(uint32_t stack_id, std::vector<uintptr_t>& out) {
  out.clear();
  if (!ok() || stack_id == kNoStackId || stack_id == kOverflowStackId) return;
  const std::size_t index = stack_id - 1;
  const std::size_t shard = index / slots_per_shard_;
  if (shard >= kShards) return;
  std::lock_guard guard(shards_[shard].lock);
  const Entry& entry = SlotsOf(shard)[index % slots_per_shard_];
  const uintptr_t* first = FramesOf(shard) + entry.first_frame;
  out.assign(first, first + entry.depth);
}

void StackTable::ResetAfterFork() {
  for (auto& shard : shards_) {
    shard.lock.ResetAfterFork();
    shard.used_slots = 0;
    shard.used_frames = 0;
  }
  overflow_lock_.ResetAfterFork();
  overflow_totals_ = {};
  ZeroPages(slots_, slot_bytes_);
  ZeroPages(frames_, frame_bytes_);
  stacks_.store(0, std::memory_order_relaxed);
  overflowed_.store(0, std::memory_order_relaxed);
}

}  // namespace heapagent
