// The JS-heap job without the inspector: V8's sampling heap profiler driven
// in-process on node versions whose V8 ABI the agent knows (v8direct/), with
// no forced GC and no JSON.
//
// PrepareDirectJs runs in the library constructor, before node starts: it
// checks that the executable's V8 is one v8direct knows and that node exports
// every entry point needed, writes the bootstrap (v8direct/bootstrap_file.h)
// and returns the NODE_OPTIONS value for node's one start-up read (the app's
// own value followed by `--require <bootstrap>`; see cdp/inspector_hooks.h).
// If anything is in doubt it returns nullopt and why, and the caller uses CDP.
//
// DirectJsCollector then runs on its own thread ("heapagent-jsd"): every
// period it asks each isolate for a read (node::RequestInterrupt; the copy is
// made on the isolate's thread, v8direct/isolate_registry.h), waits for the
// answers, and turns them into one js profile (pprof/js_heap_profile.h, with
// exact object counts) delivered to the sinks. The final profile is the main
// isolate's read at environment teardown (node's AtExit / cleanup hook),
// built as soon as that read is in; FinishAndWait (atexit) waits for it.
// Nothing on node's threads waits for the agent, so exit is never delayed by
// more than one read.
//
// Thread-safety: Start and FinishAndWait from any one thread; the rest is
// internal.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/profile_sink.h"
#include "v8direct/agent_hooks.h"
#include "agent/v8_heap_board.h"
#include "pprof/js_sample_ages.h"

namespace heapagent {

struct DirectJsSettings {
  uint64_t sampling_interval = 512 * 1024;  // HEAPAGENT_JS_INTERVAL
  int stack_depth = 128;                    // V8's frames per sample, as CDP's fixed depth
  v8direct::AgentHooks hooks;               // libheapagent.so's: agent work marking, V8's code events
  bool read_tree = true;                    // HEAPAGENT_JS_READ_TREE
};

struct DirectJsPlan {
  std::string node_options;  // the whole NODE_OPTIONS value for node's start-up read
  std::string runtime;       // e.g. "node 20 (V8 11.3.244.8-node.38)", for the log
};

// Test hook, read here: HEAPAGENT_TEST_V8_VERSION=<string> makes the agent
// believe V8 reports that version (to exercise the fallback to CDP).
inline constexpr const char* kV8VersionOverrideVariable = "HEAPAGENT_TEST_V8_VERSION";

// Call once, in the library constructor of a node process. `app_node_options`
// is the NODE_OPTIONS value the app set (null if none). nullopt: direct mode
// is not possible here; `*why_not` says why in one clause.
std::optional<DirectJsPlan> PrepareDirectJs(const DirectJsSettings& settings, const char* app_node_options,
                                            std::string* why_not);

class DirectJsCollector {
 public:
  struct Options {
    uint64_t sampling_interval = 512 * 1024;  // for the profile's period
    std::chrono::milliseconds period{60'000};
    // How long a periodic collection waits for the isolates' answers; an
    // isolate blocked in a long synchronous call contributes its previous read.
    std::chrono::milliseconds read_timeout{5'000};
    // Where each collection's V8 heap figures go (the heap summary); may be null.
    V8HeapBoard* heap_board = nullptr;
    // Called once when node begins to exit (before it frees its heaps), from
    // any thread; may be empty.
    std::function<void()> on_exit_began;
  };

  DirectJsCollector(Options options, ProfileSinks& sinks);

  // Starts the thread; false if it could not be created.
  bool Start();

  // At process exit (atexit): waits up to `timeout` for the final profile.
  void FinishAndWait(std::chrono::milliseconds timeout);

 private:
  // The agent-side string table of one isolate (ids from v8direct's copier).
  struct IsolateStrings {
    std::vector<std::string> strings;
  };

  void Run();
  void Collect(bool is_final);
  void LogProblems();

  const Options options_;
  ProfileSinks& sinks_;
  pprof::JsSampleAges ages_;
  std::map<uint64_t, IsolateStrings> strings_;  // by isolate key
  int64_t window_start_unix_nanos_ = 0;

  std::atomic<bool> stop_waiting_{false};  // finish or the main isolate's final read
  std::mutex mutex_;
  std::condition_variable wake_;
  bool main_final_ready_ = false;
  bool finish_requested_ = false;
  bool finished_ = false;
};

}  // namespace heapagent
