#include "agent/js_heap_collector.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string_view>
#include <vector>

#include "agent/background_thread.h"
#include "agent/agent_thread.h"
#include "agent/log.h"
#include "cdp/cdp_session.h"
#include "cdp/inspector_hooks.h"
#include "cdp/node_domains.h"
#include "cdp/sampling_heap_profile.h"
#include "pprof/js_heap_profile.h"
#include "sampling/native_sampler.h"

namespace heapagent {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kConnectTimeout{5'000};
constexpr milliseconds kSetupCallTimeout{10'000};
// A periodic read waits this long for V8 (a forced full GC on a big heap plus
// the JSON of a large profile can take seconds on a busy main thread).
constexpr milliseconds kPeriodicReadTimeout{30'000};
// While node waits for the agent at exit, the final read gets this long; then
// the agent lets go, and the watchdog in inspector_hooks forces it after
// kExitGrace in case this thread is stuck.
constexpr milliseconds kFinalReadTimeout{1'500};
constexpr milliseconds kCloseTimeout{300};
constexpr milliseconds kExitGrace{3'000};

constexpr std::string_view kMemoryUsageParams =
    R"json({"expression":"process.memoryUsage()","returnByValue":true,"silent":true,"includeCommandLineAPI":false})json";

// @datadog/pprof (dd-trace, Pyroscope's Node SDK) drives V8's heap sampler
// from a native addon; its .node file shows in the process's mappings.
bool DatadogPprofLoaded() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("@datadog/pprof") != std::string::npos || line.find("/pprof-nodejs/") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

JsHeapCollector::JsHeapCollector(Options options, ProfileSinks& sinks)
    : options_(options),
      sinks_(sinks),
      window_start_unix_nanos_(UnixNanosNow()) {}

JsHeapCollector::~JsHeapCollector() = default;

bool JsHeapCollector::Start() { return StartBackgroundThread<&JsHeapCollector::Run>("heapagent-js", this); }

void JsHeapCollector::Run() {
  MarkThreadAsAgent();
  if (Attach()) {
    auto next = std::chrono::steady_clock::now() + options_.period;
    while (true) {
      const Wake wake = WaitForWork(next);
      if (wake == Wake::kFinish) break;
      if (wake == Wake::kNodeExiting) {
        Collect(true);
        break;
      }
      AdoptNewWorkers();
      if (wake == Wake::kPeriod) {
        Collect(false);
        const auto now = std::chrono::steady_clock::now();
        next += options_.period;
        if (next < now) next = now + options_.period;
      }
      if (!session_->IsOpen()) {
        // At exit node may close the connection without waiting for the
        // agent (e.g. after its workers); only a process that lives on has
        // really lost its JS heap profile.
        if (!ExitingWithin(kExitGrace)) {
          Log(LogLevel::kWarn,
              "node closed its inspector (the app called inspector.close()?); JS heap profiling is off");
        }
        break;
      }
    }
  }
  Detach();
  std::lock_guard lock(mutex_);
  finished_ = true;
  wake_.notify_all();
}

bool JsHeapCollector::Attach() {
  const bool app_owns = options_.owner == cdp::InspectorOwner::kApp;
  std::string url;
  if (app_owns) {
    // The app opens its inspector when it likes (--inspect at start,
    // inspector.open() later), or never.
    while (url.empty()) {
      url = cdp::WaitForInspectorUrl(milliseconds(3'600'000));
      std::lock_guard lock(mutex_);
      if (finish_requested_ || node_exiting_) return false;
    }
  } else {
    url = cdp::WaitForInspectorUrl(options_.startup_timeout);
    if (url.empty()) {
      std::lock_guard lock(mutex_);
      if (!finish_requested_) {
        Log(LogLevel::kWarn, "node did not open its inspector within %llds; JS heap profiling is off",
            static_cast<long long>(options_.startup_timeout.count() / 1000));
      }
      return false;
    }
  }

  cdp::BeginOwnSession([this] {
    std::lock_guard lock(mutex_);
    node_exiting_ = true;
    wake_.notify_all();
  }, kExitGrace);
  cdp::CdpSession::ConnectResult connected = cdp::CdpSession::Connect(
      url, kConnectTimeout, [] { MarkThreadAsAgent(); },
      [this](cdp::CdpEvent&& event) { OnEvent(event.worker_session_id, event.method, event.params_json); });
  if (!connected.session) {
    cdp::EndOwnSession();
    if (!ExitingWithin(kExitGrace)) {
      Log(LogLevel::kWarn, "could not connect to node's inspector (%s); JS heap profiling is off",
          connected.error.c_str());
    }
    return false;
  }
  session_ = std::move(connected.session);
  session_->SetCloseHandler([this](const std::string&) {
    std::lock_guard lock(mutex_);
    wake_.notify_all();  // WaitForWork re-checks IsOpen
  });
  cdp::SetOwnSessionSocket(session_->native_socket());

  // Node must tell the agent when it waits for debuggers at exit, instead of
  // waiting for ever.
  for (const auto& [method, params] : {std::pair<std::string_view, std::string_view>{"NodeRuntime.enable", "{}"},
                                       {"NodeRuntime.notifyWhenWaitingForDisconnect", R"({"enabled":true})"}}) {
    const cdp::CallResult result = session_->Call(method, params, kSetupCallTimeout);
    if (!result.ok) {
      // A short-lived process may finish before the agent is set up: node
      // closing the connection then is its exit, not a problem to report.
      if (!ExitingWithin(kExitGrace)) {
        Log(LogLevel::kWarn, "node's inspector refused %.*s (%s); JS heap profiling is off",
            static_cast<int>(method.size()), method.data(), result.error.c_str());
      }
      return false;
    }
  }
  if (!StartSampling("")) return false;
  const cdp::CallResult workers =
      session_->Call("NodeWorker.enable", R"({"waitForDebuggerOnStart":false})", kSetupCallTimeout);
  if (!workers.ok) Log(LogLevel::kInfo, "no NodeWorker domain (%s); worker threads are not profiled", workers.error.c_str());
  Log(LogLevel::kInfo, "attached to node's inspector; JS heap sampling every %llu bytes",
      static_cast<unsigned long long>(options_.sampling_interval));
  return true;
}

bool JsHeapCollector::StartSampling(const std::string& worker_session_id) {
  const auto call = [&](std::string_view method, const std::string& params) {
    return worker_session_id.empty() ? session_->Call(method, params, kSetupCallTimeout)
                                     : session_->CallWorker(worker_session_id, method, params, kSetupCallTimeout);
  };
  // A sampler that already runs belongs to someone else (dd-trace's
  // @datadog/pprof, the user's DevTools): read it, never restart or stop it.
  if (worker_session_id.empty()) {
    const cdp::CallResult probe = call("HeapProfiler.getSamplingProfile", "{}");
    if (probe.ok) {
      if (!reported_foreign_sampler_) {
        Log(LogLevel::kWarn,
            "V8's sampling heap profiler is already running in this process (another profiler, e.g. dd-trace); "
            "heapagent shares it: its interval applies, not HEAPAGENT_JS_INTERVAL");
        reported_foreign_sampler_ = true;
      }
      return true;
    }
  }
  const cdp::CallResult started = call(
      "HeapProfiler.startSampling", "{\"samplingInterval\":" + std::to_string(options_.sampling_interval) + "}");
  if (!started.ok) {
    // Workers come and go (one that ends at once refuses); the main thread's
    // refusal while node exits is its exit.
    const bool worth_a_line = worker_session_id.empty() && !ExitingWithin(kExitGrace);
    Log(worth_a_line ? LogLevel::kWarn : LogLevel::kDebug,
        "HeapProfiler.startSampling failed (%s); JS heap profiling of %s is off",
        started.error.c_str(), worker_session_id.empty() ? "the main thread" : "a worker");
    return false;
  }
  return true;
}

void JsHeapCollector::OnEvent(const std::string& worker_session_id, const std::string& method,
                              const std::string& params_json) {
  // Runs on the session's I/O thread: only record and wake, never call back.
  if (!worker_session_id.empty()) return;
  std::lock_guard lock(mutex_);
  if (method == "NodeRuntime.waitingForDisconnect") {
    node_exiting_ = true;
  } else if (method == "NodeWorker.attachedToWorker") {
    if (auto attached = cdp::ParseAttachedToWorker(params_json)) {
      Worker worker;
      worker.session_id = attached->session_id;
      worker.thread_id = attached->thread_id;
      attached_workers_.push_back(std::move(worker));
    }
  } else if (method == "NodeWorker.detachedFromWorker") {
    if (auto session_id = cdp::ParseDetachedFromWorker(params_json)) detached_workers_.push_back(*session_id);
  } else {
    return;
  }
  wake_.notify_all();
}

JsHeapCollector::Wake JsHeapCollector::WaitForWork(std::chrono::steady_clock::time_point next_period) {
  std::unique_lock lock(mutex_);
  const bool woken = wake_.wait_until(lock, next_period, [this] {
    return finish_requested_ || node_exiting_ || !attached_workers_.empty() || !detached_workers_.empty() ||
           !session_->IsOpen();
  });
  if (finish_requested_) return Wake::kFinish;
  if (node_exiting_) return Wake::kNodeExiting;
  if (woken && session_->IsOpen()) return Wake::kWorkersChanged;
  return Wake::kPeriod;
}

void JsHeapCollector::AdoptNewWorkers() {
  std::deque<Worker> attached;
  std::deque<std::string> detached;
  {
    std::lock_guard lock(mutex_);
    attached.swap(attached_workers_);
    detached.swap(detached_workers_);
  }
  for (Worker& worker : attached) {
    worker.sampling = StartSampling(worker.session_id);
    workers_[worker.session_id] = std::move(worker);
  }
  // A worker that ended took its isolate and samples with it.
  for (const std::string& session_id : detached) {
    if (auto it = workers_.find(session_id); it != workers_.end()) {
      ages_.Forget(it->second.thread_id);
      workers_.erase(it);
    }
  }
}

void JsHeapCollector::Collect(bool is_final) {
  if (!reported_datadog_pprof_ && !is_final && DatadogPprofLoaded()) {
    // V8 has one sampler per isolate: dd-trace's reads now read the one the
    // agent started over the inspector, whose flags force a full GC per read.
    Log(LogLevel::kWarn,
        "@datadog/pprof (dd-trace or Pyroscope's Node SDK) is loaded in this process and shares V8's one heap "
        "sampler with heapagent: its reads now force a full GC and sample every %llu bytes; run one JS heap "
        "profiler per process (HEAPAGENT_JS=0 leaves the JS heap to it)",
        static_cast<unsigned long long>(options_.sampling_interval));
    reported_datadog_pprof_ = true;
  }
  const milliseconds timeout = is_final ? kFinalReadTimeout : kPeriodicReadTimeout;
  const pprof::ProfileWindow window{window_start_unix_nanos_, UnixNanosNow(), is_final};
  window_start_unix_nanos_ = window.end_unix_nanos;

  struct ThreadRead {
    cdp::SamplingHeapProfile profile;
    pprof::JsThreadHeap heap;
    std::optional<cdp::MemoryUsage> memory;
  };
  std::vector<std::unique_ptr<ThreadRead>> reads;
  const auto read = [&](const std::string& worker_session_id, std::string thread_name, int64_t thread_id,
                        int64_t os_thread_id) {
    const auto call = [&](std::string_view method, std::string_view params) {
      return worker_session_id.empty() ? session_->Call(method, params, timeout)
                                       : session_->CallWorker(worker_session_id, method, params, timeout);
    };
    const auto started = std::chrono::steady_clock::now();
    cdp::CallResult reply = call("HeapProfiler.getSamplingProfile", "{}");
    const auto round_trip = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
    if (!reply.ok) {
      if (cdp::IsSamplerNotStartedError(reply.error) && !is_final) {
        if (!reported_stopped_sampler_) {
          Log(LogLevel::kWarn,
              "V8's sampling heap profiler was stopped by someone else in this process (another profiler?); "
              "heapagent restarts it, in-use history before now is lost");
          reported_stopped_sampler_ = true;
        }
        ages_.Forget(thread_id);  // ordinals of a new sampling run are unrelated
        StartSampling(worker_session_id);
      } else {
        Log(LogLevel::kDebug, "reading the JS heap profile of %s failed: %s", thread_name.c_str(), reply.error.c_str());
      }
      return;
    }
    auto thread_read = std::make_unique<ThreadRead>();
    std::string error;
    auto parsed = cdp::ParseSamplingHeapProfile(reply.result_json, &error);
    reply = {};  // a large profile's JSON is released before building
    if (!parsed) {
      Log(LogLevel::kWarn, "node's JS heap profile could not be read (%s); skipped", error.c_str());
      return;
    }
    thread_read->profile = std::move(*parsed);
    thread_read->heap.thread_name = std::move(thread_name);
    thread_read->heap.thread_id = thread_id;
    thread_read->heap.os_thread_id = os_thread_id;
    thread_read->heap.profile = &thread_read->profile;
    if (const cdp::CallResult usage = call("Runtime.evaluate", kMemoryUsageParams); usage.ok) {
      if (const auto memory = cdp::ParseMemoryUsage(usage.result_json)) {
        thread_read->heap.external_bytes = memory->external;
        thread_read->heap.array_buffer_bytes = memory->array_buffers;
        thread_read->memory = *memory;
      }
    }
    Log(LogLevel::kDebug, "read the JS heap profile of %s in %lld ms (includes V8's forced GC)",
        thread_read->heap.thread_name.c_str(), static_cast<long long>(round_trip.count()));
    reads.push_back(std::move(thread_read));
  };

  read("", "Main Event Loop", 0, getpid());
  for (auto& [session_id, worker] : workers_) {
    if (!worker.sampling) continue;
    read(session_id, "Worker #" + std::to_string(worker.thread_id), worker.thread_id, 0);
  }
  if (reads.empty()) return;

  std::vector<pprof::JsThreadHeap> threads;
  threads.reserve(reads.size());
  V8HeapFigures figures;
  figures.source = "cdp";
  figures.read_unix_nanos = window.end_unix_nanos;
  figures.heap_used_bytes = figures.heap_total_bytes = figures.external_bytes = figures.array_buffers_bytes = 0;
  for (const auto& thread_read : reads) {
    threads.push_back(thread_read->heap);
    ++figures.isolates;
    const auto known = [&](int64_t cdp::MemoryUsage::*field) -> std::optional<uint64_t> {
      if (!thread_read->memory || (*thread_read->memory).*field < 0) return std::nullopt;
      return static_cast<uint64_t>((*thread_read->memory).*field);
    };
    figures.heap_used_bytes = SumKnown(figures.heap_used_bytes, known(&cdp::MemoryUsage::heap_used));
    figures.heap_total_bytes = SumKnown(figures.heap_total_bytes, known(&cdp::MemoryUsage::heap_total));
    figures.external_bytes = SumKnown(figures.external_bytes, known(&cdp::MemoryUsage::external));
    figures.array_buffers_bytes = SumKnown(figures.array_buffers_bytes, known(&cdp::MemoryUsage::array_buffers));
    AddSampledJsTotals(thread_read->profile, &figures);
  }
  if (options_.heap_board != nullptr) options_.heap_board->Publish(figures);
  pprof::JsHeapProfileOptions options;
  options.sampling_interval = static_cast<int64_t>(options_.sampling_interval);
  options.window = window;
  options.ages = &ages_;
  const std::string encoded = pprof::BuildJsHeapProfile(threads, options);
  reads.clear();
  sinks_.Deliver({.kind = "js", .window = window, .encoded = encoded, .is_final = is_final});
}

void JsHeapCollector::Detach() {
  if (!session_) return;
  session_->Close(kCloseTimeout);
  cdp::EndOwnSession();
}

bool JsHeapCollector::ExitingWithin(milliseconds grace) {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, grace, [this] { return finish_requested_ || node_exiting_; });
}

void JsHeapCollector::FinishAndWait(milliseconds timeout) {
  {
    std::lock_guard lock(mutex_);
    finish_requested_ = true;
    wake_.notify_all();
  }
  // After finish_requested_: the thread must see it when the wait ends.
  cdp::StopWaitingForInspectorUrl();
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, timeout, [this] { return finished_; });
}

}  // namespace heapagent
