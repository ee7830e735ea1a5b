// The blocks glibc handed out before the process switched to another
// allocator (HEAPAGENT_ALLOCATOR=jemalloc), so that free/realloc/
// malloc_usable_size can give each of them back to glibc: a pointer must
// always be released by the allocator that made it.
//
// Until the agent's constructor has chosen the allocator, every allocation
// is served by glibc and recorded here (the loader's, libc's, and those of
// library constructors that run before the agent's); in node that is a
// handful of blocks. Once jemalloc serves, nothing is added, entries leave as
// they are freed, and a free() pays only the range test (two compares,
// predictable: jemalloc's memory is rarely inside glibc's early heap range)
// before the set lookup.
//
// Allocation-free and lock-free: an open-addressing table of atomic slots in
// caller-provided zeroed storage (static BSS in the agent, so it exists before
// the first malloc and costs RSS only for the pages it touches). The hash
// keeps neighbouring heap addresses in neighbouring slots, so the few early
// blocks of a node process touch one or two pages. A lookup probes at most
// kMaxProbes slots; an insert that finds no free slot within them fails and
// the set reports overflow (the caller then stays on glibc).
//
// Thread-safety: any number of threads may Insert/Remove/MayContain
// concurrently (threads started by other libraries' constructors may
// allocate while the agent decides). A pointer's own Insert happens-before
// its Remove through the program's synchronisation, as for malloc/free.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace heapagent {

class ForeignPointerSet {
 public:
  static constexpr std::size_t kSlots = std::size_t{1} << 14;  // 128 KiB of slots
  static constexpr std::size_t kMaxProbes = 128;

  // `slots` must point to kSlots zero-initialised words.
  constexpr explicit ForeignPointerSet(uintptr_t* slots) : slots_(slots) {}

  // Records a live block. False (and overflowed() from then on) when no slot
  // was free within kMaxProbes: the set is then incomplete.
  bool Insert(const void* pointer) {
    const uintptr_t key = reinterpret_cast<uintptr_t>(pointer);
    for (std::size_t probe = 0, slot = Home(key); probe < kMaxProbes; ++probe, slot = (slot + 1) & kMask) {
      std::atomic_ref<uintptr_t> cell(slots_[slot]);
      uintptr_t seen = cell.load(std::memory_order_relaxed);
      // A tombstone is reused only if the key is not further along the
      // chain; keys are unique (a block is live once), so it never is.
      while (seen == kEmpty || seen == kTombstone) {
        if (cell.compare_exchange_weak(seen, key, std::memory_order_relaxed)) {
          WidenRange(key);
          live_.fetch_add(1, std::memory_order_relaxed);
          return true;
        }
      }
    }
    overflowed_.store(true, std::memory_order_relaxed);
    return false;
  }

  // Forgets a block; true if it was recorded.
  bool Remove(const void* pointer) {
    const uintptr_t key = reinterpret_cast<uintptr_t>(pointer);
    for (std::size_t probe = 0, slot = Home(key); probe < kMaxProbes; ++probe, slot = (slot + 1) & kMask) {
      std::atomic_ref<uintptr_t> cell(slots_[slot]);
      uintptr_t seen = cell.load(std::memory_order_relaxed);
      if (seen == kEmpty) return false;
      if (seen == key && cell.compare_exchange_strong(seen, kTombstone, std::memory_order_relaxed)) {
        live_.fetch_sub(1, std::memory_order_relaxed);
        return true;
      }
    }
    return false;
  }

  bool Contains(const void* pointer) const {
    const uintptr_t key = reinterpret_cast<uintptr_t>(pointer);
    for (std::size_t probe = 0, slot = Home(key); probe < kMaxProbes; ++probe, slot = (slot + 1) & kMask) {
      const uintptr_t seen = std::atomic_ref<uintptr_t>(slots_[slot]).load(std::memory_order_relaxed);
      if (seen == kEmpty) return false;
      if (seen == key) return true;
    }
    return false;
  }

  // The hot-path test: false means "certainly not recorded". Every pointer
  // ever recorded lies within [lowest, highest]; the range never shrinks.
  bool MayContain(const void* pointer) const {
    const uintptr_t key = reinterpret_cast<uintptr_t>(pointer);
    return key >= lowest_.load(std::memory_order_relaxed) && key <= highest_.load(std::memory_order_relaxed);
  }

  std::size_t live() const { return live_.load(std::memory_order_relaxed); }
  bool overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kMask = kSlots - 1;
  static constexpr uintptr_t kEmpty = 0;
  static constexpr uintptr_t kTombstone = 1;  // never a block address (blocks are 16-byte aligned)

  // malloc's blocks are 16-byte aligned, so bits 4.. select the slot: blocks
  // close in memory land in close slots. Folding in the bits above the
  // table's 256 KiB span keeps blocks that are exactly a multiple of it apart
  // (page-aligned mmapped chunks, aligned allocations) from piling into one
  // probe chain.
  static std::size_t Home(uintptr_t key) { return static_cast<std::size_t>((key >> 4) ^ (key >> 18)) & kMask; }

  void WidenRange(uintptr_t key) {
    uintptr_t low = lowest_.load(std::memory_order_relaxed);
    while (key < low && !lowest_.compare_exchange_weak(low, key, std::memory_order_relaxed)) {
    }
    uintptr_t high = highest_.load(std::memory_order_relaxed);
    while (key > high && !highest_.compare_exchange_weak(high, key, std::memory_order_relaxed)) {
    }
  }

  uintptr_t* slots_;
  std::atomic<uintptr_t> lowest_{UINTPTR_MAX};
  std::atomic<uintptr_t> highest_{0};
  std::atomic<std::size_t> live_{0};
  std::atomic<bool> overflowed_{false};
};

}  // namespace heapagent
