// Where libheapagent.so comes alive: the constructor decides whether this
// process is one to profile, reads the configuration, starts the sampler and
// the agent thread; the exit handler writes the final profile; the fork
// handler gives a child that keeps running a fresh agent of its own.
//
// Nothing here may take the host down: every failure is one "heapagent:" line
// and a part switched off.
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "agent/agent_thread.h"
#include "agent/allocator_choice.h"
#include "agent/config.h"
#include "agent/core_hooks.h"
#include "agent/exporters/dogstatsd.h"
#include "agent/exporters/upload_identity.h"
#include "agent/extensions.h"
#include "agent/heap_summary_collector.h"
#include "agent/log.h"
#include "agent/native_heap_collector.h"
#include "agent/process_identity.h"
#include "agent/profile_files.h"
#include "agent/profile_sink.h"
#include "agent/summary_file.h"
#include "agent/v8_heap_board.h"
#include "cdp/inspector_activation.h"
#include "cdp/inspector_hooks.h"
#include "sampling/libdw_api.h"
#include "sampling/agent_work_scope.h"
#include "sampling/jit_code_map.h"
#include "sampling/native_sampler.h"
#include "sampling/stack_capture.h"
#include "sampling/thread_sampler_state.h"

namespace heapagent {
namespace {

// How long exit may wait for the final profile.
constexpr std::chrono::milliseconds kFinalProfileTimeout{3000};
// How long exit may wait for the JS collector to let go of the inspector when
// node did not already end the session (it normally has by then).
constexpr std::chrono::milliseconds kJsDetachTimeout{500};
// How long exit may wait for queued uploads to finish.
constexpr std::chrono::milliseconds kExitFlushBudget{2000};

// The running agent of this process. Deliberately never destroyed: other
// threads may still allocate during and after exit handlers.
struct RunningAgent {
  Config config;
  std::string service;
  ProfileSinks* sinks = nullptr;
  NativeHeapCollector* native = nullptr;
  AgentThread* thread = nullptr;
  RunningJsCollector* js = nullptr;
  RunningJsCollector* direct_js = nullptr;
  V8HeapBoard* v8_board = nullptr;  // the JS collectors' figures, for the heap summary
};
RunningAgent* g_agent = nullptr;

std::string AbsoluteDirectory(const std::string& directory) {
  if (!directory.empty() && directory[0] == '/') return directory;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr) return directory;
  return JoinPath(cwd, directory.rfind("./", 0) == 0 ? directory.substr(2) : directory);
}

// Builds the collectors and starts the thread for this process (pid).
bool LaunchAgent(RunningAgent& agent) {
  agent.sinks = new ProfileSinks;
  const Config& config = agent.config;
  const std::string service = agent.service;
  const int pid = static_cast<int>(getpid());
  auto make_files = [config, service, pid]() -> std::unique_ptr<ProfileSink> {
    return std::make_unique<FileSink>(
        std::make_unique<ProfileFiles>(config.output_dir, service, pid, config.max_files));
  };
  // Files stay on when no backend is configured, when HEAPAGENT_OUTPUT_DIR
  // asks for them, and (through the fallback) when libcurl is missing.
  const Extensions* extensions = config.any_backend() ? LoadExtensions(config.log_level) : nullptr;
  const bool uploading =
      extensions != nullptr &&
      extensions->add_backend_sinks(config, service, *agent.sinks,
                                    config.output_dir_set ? nullptr : std::function<std::unique_ptr<ProfileSink>()>(make_files));
  const bool files = !uploading || config.output_dir_set;
  if (files) agent.sinks->Add(make_files());
  std::vector<AgentThread::Collector> collectors;
  std::function<void()> warm_up;
  if (NativeSamplerActive()) {
    NativeHeapCollector* native = agent.native = new NativeHeapCollector(*agent.sinks);
    collectors.push_back([native](const pprof::ProfileWindow& window, bool is_final) {
      native->Collect(window, is_final);
    });
    warm_up = [native] { native->WarmUp(); };
  }
  // The heap summary runs after the native heap's job, whose totals it reads.
  agent.v8_board = new V8HeapBoard;
  if (files || config.dogstatsd_enabled) {
    std::unique_ptr<SummaryFile> summary_file;
    if (files) {
      summary_file = std::make_unique<SummaryFile>(config.output_dir, service, pid, config.summary_max_bytes,
                                                   config.max_files > 1);
    }
    std::unique_ptr<DogStatsdSender> dogstatsd;
    if (config.dogstatsd_enabled) {
      const DogStatsdIdentity identity{.service = service, .env = config.env, .version = config.version,
                                       .tags = config.tags,
                                       .runtime_id = config.dogstatsd_runtime_id ? RandomUuid() : std::string()};
      dogstatsd = std::make_unique<DogStatsdSender>(config.dogstatsd_address, DogStatsdTags(identity));
      Log(LogLevel::kInfo, "sending heap metrics to DogStatsD at %s", config.dogstatsd_address.Describe().c_str());
    }
    auto* summary = new HeapSummaryCollector(pid, std::move(summary_file), std::move(dogstatsd), agent.native,
                                             agent.v8_board);
    collectors.push_back([summary](const pprof::ProfileWindow& window, bool is_final) {
      summary->Collect(window, is_final);
    });
  }
  const auto period = std::chrono::milliseconds(static_cast<int64_t>(agent.config.period_seconds * 1000));
  agent.thread = new AgentThread(period, std::move(collectors), std::move(warm_up));
  return agent.thread->Start();
}

// Node said it is exiting (from the JS collectors' threads or node's main
// thread): the native and summary series stop at their last steady record.
void NoteNodeExitBegan() {
  if (g_agent != nullptr && g_agent->thread != nullptr) g_agent->thread->NoteExitBegan();
}

void OnExit() {
  if (g_agent == nullptr) return;
  if (g_agent->js != nullptr) g_agent->js->FinishAndWait(kJsDetachTimeout);
  if (g_agent->direct_js != nullptr) g_agent->direct_js->FinishAndWait(kFinalProfileTimeout);
  if (g_agent->thread != nullptr) g_agent->thread->FinishAndWait(kFinalProfileTimeout);
  // Uploads still queued (the final profiles among them) get one bounded try.
  if (g_agent->sinks != nullptr) g_agent->sinks->Flush(std::chrono::steady_clock::now() + kExitFlushBudget);
}

// The JS heap over node's own inspector (see cdp/inspector_activation.h).
// Must run in the constructor: node reads NODE_OPTIONS right after it.
void StartJsHeapProfiling(RunningAgent& agent, const ProcessIdentity& identity) {
  const cdp::InspectorPlan plan =
      cdp::PlanInspector(NodeFlags(identity.arguments), std::getenv("NODE_OPTIONS"), cdp::NodeHasInspector());
  if (plan.owner == cdp::InspectorOwner::kNotNeeded) return;
  if (plan.owner == cdp::InspectorOwner::kUnavailable) {
    // Other executables (HEAPAGENT_PROCESS=*) simply have no JS heap.
    if (identity.executable_name.rfind("node", 0) == 0) {
      Log(LogLevel::kWarn, "this node has no usable inspector (built without it, or older than 14.18); "
                           "JS heap profiling is off");
    }
    return;
  }
  const Extensions* extensions = LoadExtensions(agent.config.log_level);
  if (extensions == nullptr) return;
  const Config::JsMode mode = agent.config.js_mode;
  if (mode != Config::JsMode::kCdp) {
    std::string why_not;
    const auto direct = extensions->prepare_direct_js(
        {.sampling_interval = agent.config.js_interval,
         .hooks = agent.config.native_enabled && agent.config.native_js_frames ? AgentHooksWithJsFrames()
                                                                               : AgentHooksWithoutJsFrames(),
         .read_tree = agent.config.js_read_tree},
        std::getenv("NODE_OPTIONS"), &why_not);
    if (direct) {
      DirectJsCollector::Options options;
      options.sampling_interval = agent.config.js_interval;
      options.period = std::chrono::milliseconds(static_cast<int64_t>(agent.config.period_seconds * 1000));
      options.heap_board = agent.v8_board;
      options.on_exit_began = NoteNodeExitBegan;
      RunningJsCollector* collector = extensions->start_direct_js(options, *agent.sinks);
      if (collector == nullptr) {
        Log(LogLevel::kError, "could not start the JS heap thread; JS heap profiling is off");
        return;
      }
      cdp::ArmNodeOptionsForStartup(direct->node_options);
      agent.direct_js = collector;
      Log(LogLevel::kInfo, "JS heap read in-process on %s, sampling every %llu bytes", direct->runtime.c_str(),
          static_cast<unsigned long long>(agent.config.js_interval));
      return;
    }
    if (mode == Config::JsMode::kDirect) {
      Log(LogLevel::kWarn, "in-process JS heap profiling is not possible here (%s); HEAPAGENT_JS_MODE=direct, so "
          "JS heap profiling is off", why_not.c_str());
      return;
    }
    Log(LogLevel::kWarn, "in-process JS heap profiling is not possible here (%s); using node's inspector (CDP)",
        why_not.c_str());
  }
  JsHeapCollector::Options options;
  options.sampling_interval = agent.config.js_interval;
  options.period = std::chrono::milliseconds(static_cast<int64_t>(agent.config.period_seconds * 1000));
  options.owner = plan.owner;
  options.heap_board = agent.v8_board;
  options.on_exit_began = NoteNodeExitBegan;
  RunningJsCollector* js = extensions->start_cdp_js(options, *agent.sinks);
  if (js == nullptr) {
    Log(LogLevel::kError, "could not start the JS heap thread; JS heap profiling is off");
    return;
  }
  if (plan.owner == cdp::InspectorOwner::kAgent) cdp::ArmNodeOptionsForStartup(plan.node_options);
  cdp::WatchInspectorConsole(plan.owner);
  agent.js = js;
}

void OnForkChild() {
  if (g_agent == nullptr) return;
  AgentWorkScope unsampled;
  // The parent's agent thread does not exist here and may have held any of
  // its locks at fork time: abandon its objects, start over with this pid.
  ResetNativeSamplerAfterFork();
  JitCodeMap::ResetAfterFork();
  // Only the native heap: the parent's inspector and its session are gone.
  auto* child = new RunningAgent{g_agent->config, g_agent->service};
  g_agent = child;
  if (!LaunchAgent(*child)) {
    MakeNativeSamplerInert();
    g_agent = nullptr;
  }
}

void Initialise() {
  AgentWorkScope unsampled;
  std::vector<std::string> problems;
  const Config config = ParseConfig([](const char* name) { return std::getenv(name); }, problems);
  SetLogLevel(config.log_level);
  const ProcessIdentity identity = ReadProcessIdentity();
  if (!config.enabled || !ProcessMatches(identity.executable_name, config.processes)) {
    // Not ours (e.g. a shell a node app spawned, with LD_PRELOAD inherited):
    // stay inert and silent; the hooks cost one countdown and one load.
    KeepSystemAllocator();
    MakeNativeSamplerInert();
    return;
  }
  for (const std::string& problem : problems) Log(LogLevel::kWarn, "%s", problem.c_str());
  // As early as possible (fewer blocks stay with glibc) and before the agent
  // starts any thread.
  ChooseAllocator(config);

  // Now, while the process is still single-threaded (see libdw_api.h).
  if (LoadLibdw() == nullptr) Log(LogLevel::kWarn, "libdw.so.1 not found; native frames will have no names");

  auto* agent = new RunningAgent{config, ServiceName(config.service, identity)};
  agent->config.output_dir = AbsoluteDirectory(config.output_dir);
  if (config.native_enabled) {
    NativeSamplerOptions options;
    options.mean_interval_bytes = static_cast<double>(config.native_interval);
    options.stack_depth = config.stack_depth;
    SetInterpretedFrameReading(config.native_js_frames && config.native_js_interpreted);
    if (!StartNativeSampler(options)) Log(LogLevel::kError, "could not reserve the sampling tables; native profiling is off");
  } else {
    MakeNativeSamplerInert();
  }
  if (!LaunchAgent(*agent)) {
    Log(LogLevel::kError, "could not start the agent thread; profiling is off");
    MakeNativeSamplerInert();
    return;
  }
  if (config.js_enabled) StartJsHeapProfiling(*agent, identity);
  g_agent = agent;
  std::atexit(OnExit);
  pthread_atfork(nullptr, nullptr, OnForkChild);
  Log(LogLevel::kInfo, "profiling %s (pid %d), native interval %llu bytes, period %.3gs, %s%s",
      agent->service.c_str(), static_cast<int>(getpid()), static_cast<unsigned long long>(config.native_interval),
      config.period_seconds, config.any_backend() && !config.output_dir_set ? "uploading, files off" : "writing to ",
      config.any_backend() && !config.output_dir_set ? "" : agent->config.output_dir.c_str());
}

}  // namespace
}  // namespace heapagent

__attribute__((constructor)) static void heapagent_constructor() { heapagent::Initialise(); }
