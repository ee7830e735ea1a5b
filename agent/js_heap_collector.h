// The JS-heap job: attaches to node's own V8 inspector over CDP, keeps V8's
// sampling heap profiler running on the main isolate and on every worker's,
// and writes one js profile per period (and a final one when node exits).
//
// Runs on its own thread ("heapagent-js"), because CDP is a conversation: node
// must hear back promptly when it starts waiting for the agent at exit, and
// workers appear whenever the app starts them. The websocket I/O and JSON
// parsing happen on the session's own I/O thread and this one, never on
// node's; the only main-thread work is V8's (see README: every read makes V8
// run a full GC, so reads happen at most once per period).
//
// Sampling is started once and never stopped or restarted, so in-use history
// survives across periods. A sampler someone else already runs in the isolate
// (dd-trace's @datadog/pprof, the user's DevTools) is detected, reported and
// read rather than stolen; if another profiler stops the sampler, that is
// reported and it is restarted.
//
// Thread-safety: Start and FinishAndWait from any one thread; the rest is
// internal.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/profile_sink.h"
#include "agent/v8_heap_board.h"
#include "cdp/inspector_activation.h"
#include "pprof/js_sample_ages.h"
#include "pprof/native_heap_profile.h"

namespace heapagent {

namespace cdp {
class CdpSession;
}

class JsHeapCollector {
 public:
  struct Options {
    uint64_t sampling_interval = 512 * 1024;
    std::chrono::milliseconds period{60'000};
    cdp::InspectorOwner owner = cdp::InspectorOwner::kAgent;
    // How long to wait for node to publish its inspector when the agent
    // opened it (node does so before running any JS).
    std::chrono::milliseconds startup_timeout{15'000};
    // Where each collection's V8 heap figures go (the heap summary); may be null.
    V8HeapBoard* heap_board = nullptr;
  };

  JsHeapCollector(Options options, ProfileSinks& sinks);
  ~JsHeapCollector();

  // Starts the thread; false if it could not be created.
  bool Start();

  // At process exit (atexit): lets go of the inspector within `timeout`. Node
  // normally ends the session earlier (it waits for the agent before exit
  // handlers run, and the final profile is taken then).
  void FinishAndWait(std::chrono::milliseconds timeout);

 private:
  struct Worker {
    std::string session_id;
    int64_t thread_id = 0;
    bool sampling = false;
  };
  enum class Wake { kPeriod, kNodeExiting, kFinish, kWorkersChanged };

  void Run();
  bool Attach();
  bool StartSampling(const std::string& worker_session_id);
  void Collect(bool is_final);
  void OnEvent(const std::string& worker_session_id, const std::string& method, const std::string& params_json);
  void AdoptNewWorkers();
  Wake WaitForWork(std::chrono::steady_clock::time_point next_period);
  void Detach();
  // A failure while node may be exiting is no failure: true if the process
  // shows it is exiting within `grace` (node waits for the agent, or exit
  // handlers run), so the failure is not worth a line on the app's stderr.
  bool ExitingWithin(std::chrono::milliseconds grace);

  const Options options_;
  ProfileSinks& sinks_;
  std::unique_ptr<cdp::CdpSession> session_;
  pprof::JsSampleAges ages_;  // survival of sampled objects, per thread id
  std::map<std::string, Worker> workers_;  // by CDP worker session id
  int64_t window_start_unix_nanos_ = 0;
  bool reported_foreign_sampler_ = false;
  bool reported_stopped_sampler_ = false;
  bool reported_datadog_pprof_ = false;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool node_exiting_ = false;
  bool finish_requested_ = false;
  bool finished_ = false;
  std::deque<Worker> attached_workers_;       // from events, adopted by Run
  std::deque<std::string> detached_workers_;  // session ids
};

}  // namespace heapagent
