#include "agent/direct_js_collector.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "agent/background_thread.h"
#include "agent/agent_thread.h"
#include "agent/log.h"
#include "pprof/js_heap_profile.h"
#include "sampling/native_sampler.h"
#include "v8direct/bootstrap_file.h"
#include "v8direct/heap_copy_conversion.h"
#include "v8direct/isolate_registry.h"
#include "v8direct/known_runtimes.h"
#include "v8direct/v8_abi.h"

namespace heapagent {

std::optional<DirectJsPlan> PrepareDirectJs(const DirectJsSettings& settings, const char* app_node_options,
                                            std::string* why_not) {
  std::string missing;
  const std::optional<v8direct::V8Api> api = v8direct::ResolveV8Api(&missing);
  if (!api) {
    *why_not = "this node does not export " + missing;
    return std::nullopt;
  }
  const char* override_version = std::getenv(kV8VersionOverrideVariable);
  const std::string v8_version = override_version != nullptr ? override_version : api->v8_get_version();
  const std::optional<int> node_major = v8direct::KnownNodeMajorForV8(v8_version);
  if (!node_major) {
    *why_not = "V8 " + v8_version + " is not a version whose ABI heapagent knows";
    return std::nullopt;
  }
  const std::string library = v8direct::OwnLibraryPath();
  if (library.empty()) {
    *why_not = "the agent library's own path is unknown";
    return std::nullopt;
  }
  std::string problem;
  const auto directory = v8direct::PrivateBootstrapDirectory(std::getenv("XDG_RUNTIME_DIR"), &problem);
  const auto bootstrap = directory ? v8direct::InstallBootstrap(*directory, library, &problem) : std::nullopt;
  if (!bootstrap) {
    *why_not = "no bootstrap file (" + problem + ")";
    return std::nullopt;
  }
  const std::optional<std::string> require_flag = v8direct::RequireFlagFor(*bootstrap);
  if (!require_flag) {
    *why_not = "the bootstrap path " + *bootstrap + " cannot be put in NODE_OPTIONS";
    return std::nullopt;
  }
  v8direct::IsolateRegistry::Instance().Configure(
      *api, {.sampling_interval = settings.sampling_interval, .stack_depth = settings.stack_depth,
             .node_major = *node_major, .hooks = settings.hooks, .read_tree = settings.read_tree});
  DirectJsPlan plan;
  if (app_node_options != nullptr && app_node_options[0] != '\0') plan.node_options = std::string(app_node_options) + " ";
  plan.node_options += *require_flag;
  plan.runtime = "node " + std::to_string(*node_major) + " (V8 " + v8_version + ")";
  return plan;
}

DirectJsCollector::DirectJsCollector(Options options, ProfileSinks& sinks)
    : options_(options), sinks_(sinks), window_start_unix_nanos_(UnixNanosNow()) {
  v8direct::IsolateRegistry::Instance().SetMainFinalReadListener([this] {
    // On node's main thread: only signal.
    if (options_.on_exit_began) options_.on_exit_began();
    stop_waiting_.store(true);
    v8direct::IsolateRegistry::Instance().NotifyWaiters();
    std::lock_guard lock(mutex_);
    main_final_ready_ = true;
    wake_.notify_all();
  });
}

bool DirectJsCollector::Start() { return StartBackgroundThread<&DirectJsCollector::Run>("heapagent-jsd", this); }

void DirectJsCollector::Run() {
  MarkThreadAsAgent();
  auto next = std::chrono::steady_clock::now() + options_.period;
  while (true) {
    bool is_final;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next, [this] { return finish_requested_ || main_final_ready_; });
      is_final = finish_requested_ || main_final_ready_;
    }
    Collect(is_final);
    if (is_final) break;
    const auto now = std::chrono::steady_clock::now();
    next += options_.period;
    if (next < now) next = now + options_.period;
  }
  std::lock_guard lock(mutex_);
  finished_ = true;
  wake_.notify_all();
}

void DirectJsCollector::LogProblems() {
  for (const std::string& problem : v8direct::IsolateRegistry::Instance().TakeProblems()) {
    Log(LogLevel::kWarn, "%s", problem.c_str());
  }
}

void DirectJsCollector::Collect(bool is_final) {
  v8direct::IsolateRegistry& registry = v8direct::IsolateRegistry::Instance();
  if (!is_final) {
    // Final reads are not requested: at exit node runs no more interrupts;
    // the main isolate's was taken at its teardown, others give their last.
    const uint64_t round = registry.RequestReads();
    registry.WaitForReads(round, std::chrono::steady_clock::now() + options_.read_timeout, stop_waiting_);
  }
  const pprof::ProfileWindow window{window_start_unix_nanos_, UnixNanosNow(), is_final};
  window_start_unix_nanos_ = window.end_unix_nanos;

  std::vector<v8direct::IsolateRead> reads = registry.TakeReads();
  LogProblems();
  std::vector<std::unique_ptr<cdp::SamplingHeapProfile>> profiles;
  std::vector<pprof::JsThreadHeap> threads;
  std::vector<int64_t> live_thread_ids;
  V8HeapFigures figures;
  figures.source = "direct";
  figures.read_unix_nanos = window.end_unix_nanos;
  figures.heap_used_bytes = figures.heap_total_bytes = figures.external_bytes = figures.array_buffers_bytes = 0;
  for (v8direct::IsolateRead& read : reads) {
    IsolateStrings& table = strings_[read.isolate_key];
    // Ids arrive in order; a gap would mean lost strings: never expected.
    if (read.first_new_string == table.strings.size()) {
      for (std::string& text : read.new_strings) table.strings.push_back(std::move(text));
    } else if (!read.new_strings.empty()) {
      Log(LogLevel::kDebug, "JS heap strings of thread %lld arrived out of order; skipped",
          static_cast<long long>(read.thread_id));
    }
    if (read.sampler_restarted) ages_.Forget(read.thread_id);
    const std::string thread_name =
        read.thread_id == 0 ? "Main Event Loop" : "Worker #" + std::to_string(read.thread_id);
    if (read.copy != nullptr) {
      std::string problem;
      auto profile = v8direct::ToSamplingHeapProfile(*read.copy, table.strings, &problem);
      if (!profile) {
        Log(LogLevel::kWarn, "the JS heap read of %s is unusable (%s); skipped", thread_name.c_str(), problem.c_str());
      } else {
        char how[96];
        if (read.copy->from_tree) {
          std::snprintf(how, sizeof(how), "walked V8's tree, %zu frames without a line yet", read.copy->unlocated_nodes);
        } else {
          std::snprintf(how, sizeof(how), "%.3f ms in V8", static_cast<double>(read.copy->v8_nanos) / 1e6);
        }
        Log(LogLevel::kDebug, "%s JS heap of %s: %zu nodes, %zu samples, %.3f ms on its thread (%.3f ms CPU; %s)",
            read.fresh ? "read the" : "reused the previous", thread_name.c_str(), read.copy->nodes.size(),
            read.copy->samples.size(), static_cast<double>(read.copy->read_nanos) / 1e6,
            static_cast<double>(read.copy->read_cpu_nanos) / 1e6, how);
        profiles.push_back(std::make_unique<cdp::SamplingHeapProfile>(std::move(*profile)));
        ++figures.isolates;
        figures.heap_used_bytes = SumKnown(figures.heap_used_bytes, read.copy->heap_used_bytes);
        figures.heap_total_bytes = SumKnown(figures.heap_total_bytes, read.copy->heap_total_bytes);
        figures.external_bytes = SumKnown(
            figures.external_bytes,
            read.copy->external_bytes ? std::optional<uint64_t>(*read.copy->external_bytes) : std::nullopt);
        figures.array_buffers_bytes = SumKnown(figures.array_buffers_bytes, read.copy->array_buffer_bytes);
        AddSampledJsTotals(*profiles.back(), &figures);
        pprof::JsThreadHeap heap;
        heap.thread_name = thread_name;
        heap.thread_id = read.thread_id;
        heap.os_thread_id = read.os_thread_id;
        heap.profile = profiles.back().get();
        heap.external_bytes = read.copy->external_bytes;
        threads.push_back(heap);
      }
    }
    if (read.ended) {
      strings_.erase(read.isolate_key);
    } else {
      live_thread_ids.push_back(read.thread_id);
    }
  }
  ages_.RetainOnly(live_thread_ids);
  if (threads.empty()) return;
  if (options_.heap_board != nullptr) options_.heap_board->Publish(figures);

  pprof::JsHeapProfileOptions options;
  options.sampling_interval = static_cast<int64_t>(options_.sampling_interval);
  options.window = window;
  options.ages = &ages_;
  options.exact_object_counts = true;
  const std::string encoded = pprof::BuildJsHeapProfile(threads, options);
  profiles.clear();
  sinks_.Deliver({.kind = "js", .window = window, .encoded = encoded, .is_final = is_final});
}

void DirectJsCollector::FinishAndWait(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mutex_);
    finish_requested_ = true;
    wake_.notify_all();
  }
  stop_waiting_.store(true);
  v8direct::IsolateRegistry::Instance().NotifyWaiters();
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, timeout, [this] { return finished_; });
}

}  // namespace heapagent
