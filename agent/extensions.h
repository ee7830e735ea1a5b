// The agent's parts that only some processes need - the JS heap (node's
// inspector or in-process reads) and the uploads to backends - live in a
// second shared object, libheapagent_extensions.so, that libheapagent.so
// loads from its own directory the first time a process needs one of them.
//
// Why: LD_PRELOAD puts libheapagent.so into every process, and whatever it
// links costs every process RSS whether used or not: its code is paged in by
// 64 KiB fault-around blocks wherever start-up touches it, websocketpp's
// <iostream> initialises libstdc++'s locales, simdjson gets mapped. In a
// native service that is about 1 MiB for code that never runs there.
//
// What has to exist once per process stays in libheapagent.so: the
// extensions object binds to the inspector hooks libheapagent.so exports and
// gets the sampler's thread marking through ExtensionServices, so it has no
// sampler or hook state of its own.
//
// Thread-safety: LoadExtensions is called by the library constructor and by
// the fork handler (single-threaded at those points).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/config.h"
#include "agent/direct_js_collector.h"
#include "agent/js_heap_collector.h"
#include "agent/log.h"
#include "agent/profile_sink.h"

namespace heapagent {

// A JS heap collector started by the extensions object.
class RunningJsCollector {
 public:
  virtual ~RunningJsCollector() = default;
  // At process exit (atexit): as JsHeapCollector/DirectJsCollector::FinishAndWait.
  virtual void FinishAndWait(std::chrono::milliseconds timeout) = 0;
};

// What libheapagent.so lends the extensions object (copied by the entry point).
struct ExtensionServices {
  void (*mark_thread_as_agent)();
  LogLevel log_level;
};

// The extensions object's entry points (see the headers of the functions and
// classes of the same names). Null results mean what they mean there.
struct Extensions {
  bool (*add_backend_sinks)(const Config& config, const std::string& service, ProfileSinks& sinks,
                            std::function<std::unique_ptr<ProfileSink>()> file_fallback);
  std::optional<DirectJsPlan> (*prepare_direct_js)(const DirectJsSettings& settings, const char* app_node_options,
                                                   std::string* why_not);
  // The collector, started; nullptr if its thread could not start.
  RunningJsCollector* (*start_direct_js)(const DirectJsCollector::Options& options, ProfileSinks& sinks);
  RunningJsCollector* (*start_cdp_js)(const JsHeapCollector::Options& options, ProfileSinks& sinks);
};

// Loads libheapagent_extensions.so the first time (its log lines then follow
// `log_level`); nullptr (said once on stderr) if it is missing or does not
// match this libheapagent.so.
const Extensions* LoadExtensions(LogLevel log_level);

}  // namespace heapagent

// The one symbol the extensions object exports for libheapagent.so; the
// version in its name changes whenever Extensions or ExtensionServices does.
#define HEAPAGENT_EXTENSIONS_ENTRY "heapagent_extensions_v1"
extern "C" const heapagent::Extensions* heapagent_extensions_v1(const heapagent::ExtensionServices* services);
