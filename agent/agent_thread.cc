#include "agent/agent_thread.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

#include "agent/background_thread.h"
#include "sampling/native_sampler.h"

namespace heapagent {

int64_t UnixNanosNow() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

AgentThread::AgentThread(std::chrono::milliseconds period, std::vector<Collector> collectors,
                         std::function<void()> warm_up)
    : period_(period),
      collectors_(std::move(collectors)),
      warm_up_(std::move(warm_up)),
      window_start_unix_nanos_(UnixNanosNow()) {}

bool AgentThread::Start() { return StartBackgroundThread<&AgentThread::Run>("heapagent", this); }

void AgentThread::CollectAll(bool is_final) {
  const pprof::ProfileWindow window{window_start_unix_nanos_, UnixNanosNow(), is_final};
  for (const Collector& collect : collectors_) collect(window, is_final);
  window_start_unix_nanos_ = window.end_unix_nanos;
}

void AgentThread::Run() {
  MarkThreadAsAgent();
  if (warm_up_) warm_up_();
  auto next = std::chrono::steady_clock::now() + period_;
  std::unique_lock lock(mutex_);
  while (true) {
    const bool finish = wake_.wait_until(lock, next, [this] { return finish_requested_; });
    if (finish) break;
    if (exit_began_) {
      wake_.wait(lock, [this] { return finish_requested_; });
      break;
    }
    lock.unlock();
    CollectAll(false);
    lock.lock();
    // Keep the cadence; if a collection overran whole periods, skip them.
    const auto now = std::chrono::steady_clock::now();
    next += period_;
    if (next < now) next = now + period_;
  }
  lock.unlock();
  CollectAll(true);
  lock.lock();
  finished_ = true;
  wake_.notify_all();
}

void AgentThread::NoteExitBegan() {
  std::lock_guard lock(mutex_);
  exit_began_ = true;
}

void AgentThread::FinishAndWait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  finish_requested_ = true;
  wake_.notify_all();
  wake_.wait_for(lock, timeout, [this] { return finished_; });
}

}  // namespace heapagent
