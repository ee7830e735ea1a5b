// A tiny test-and-test-and-set spin lock for the sampled (rare) paths.
//
// Why not std::mutex: the agent must be able to reset every lock in a forked
// child (a thread of the parent may have held one at fork time), and a lock
// that is one atomic word can simply be re-initialised. Critical sections
// guarded by it are a few dozen instructions and never allocate.
#pragma once

#include <atomic>

namespace heapagent {

class SpinLock {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
    }
  }
  bool try_lock() noexcept { return !locked_.exchange(true, std::memory_order_acquire); }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }
  // Only for a forked child, where the holder no longer exists.
  void ResetAfterFork() noexcept { locked_.store(false, std::memory_order_relaxed); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace heapagent
