// The agent's own thread: wakes every period, runs the collectors, and runs
// them one last time when the process exits.
//
// Everything slow happens here, never in the allocator hooks: reading the
// tables, symbolising, encoding, compressing, writing. The thread's own
// allocations are never sampled. It is detached, never joined: at exit the
// process waits for the final collection at most a bounded time, so a stuck
// file system can delay exit by that much but never hang it.
//
// Thread-safety: NoteExitBegan and FinishAndWait may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "pprof/native_heap_profile.h"

namespace heapagent {

class AgentThread {
 public:
  // Called with the window the profile covers and whether it is the last one.
  using Collector = std::function<void(const pprof::ProfileWindow& window, bool is_final)>;

  // `warm_up` runs once on the thread before the first period starts (e.g.
  // loading symbol tables), so that even a short-lived process's final
  // profile at exit is quick.
  AgentThread(std::chrono::milliseconds period, std::vector<Collector> collectors,
              std::function<void()> warm_up = {});

  // Starts the thread; false (with errno set) if it could not be created.
  bool Start();

  // Node has begun to exit (its JS side said so): from now on it frees its
  // heaps, so periodic collections would record a process emptying itself
  // as if it were its steady state. They stop; the final one, at exit, still
  // comes and is marked final. Safe to call from any thread, more than once.
  void NoteExitBegan();

  // Asks for the final collection and waits until it is written or `timeout`
  // has passed, whichever comes first. Safe to call more than once.
  void FinishAndWait(std::chrono::milliseconds timeout);

 private:
  void Run();
  void CollectAll(bool is_final);

  const std::chrono::milliseconds period_;
  const std::vector<Collector> collectors_;
  const std::function<void()> warm_up_;
  int64_t window_start_unix_nanos_ = 0;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool finish_requested_ = false;
  bool exit_began_ = false;
  bool finished_ = false;
};

int64_t UnixNanosNow();

}  // namespace heapagent
