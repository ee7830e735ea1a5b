// The agent's configuration, read from the environment once at start-up.
//
// Parsing is a pure function of a variable lookup, so it is unit-tested and
// fuzzed without touching the real environment. A value that does not parse
// or is out of range never stops the app: it yields one problem line (logged
// by the caller as "heapagent: ...") and the documented default is used.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/log.h"

namespace heapagent {

// Where DogStatsD listens: UDP host:port (a name or an IP literal) or a
// unix datagram socket.
struct DogStatsdAddress {
  enum class Kind { kUdp, kUnixDatagram };
  Kind kind = Kind::kUdp;
  std::string host = "127.0.0.1";
  int port = 8125;
  std::string path;  // kUnixDatagram
  std::string Describe() const;  // "udp://127.0.0.1:8125", "unix:///var/run/datadog/dsd.socket"
  bool operator==(const DogStatsdAddress&) const = default;
};

struct Config {
  bool enabled = true;                  // HEAPAGENT_ENABLED
  bool native_enabled = true;           // HEAPAGENT_NATIVE
  bool native_js_frames = true;         // HEAPAGENT_NATIVE_JS_FRAMES: name JS callers in native stacks
  bool native_js_interpreted = false;   // HEAPAGENT_NATIVE_JS_INTERPRETED: also read interpreted frames
  uint64_t native_interval = 512 * 1024;  // HEAPAGENT_NATIVE_INTERVAL, bytes
  bool js_enabled = true;               // HEAPAGENT_JS
  uint64_t js_interval = 512 * 1024;    // HEAPAGENT_JS_INTERVAL, bytes
  // HEAPAGENT_JS_MODE: how the JS heap is read. kAuto = in-process (direct) on
  // a node whose V8 ABI the agent knows, else CDP; kDirect = in-process or no
  // JS heap (never an inspector); kCdp = always over node's inspector.
  enum class JsMode { kAuto, kDirect, kCdp };
  JsMode js_mode = JsMode::kAuto;
  // HEAPAGENT_JS_READ_TREE: in-process reads walk V8's sampler tree in place
  // once its layout is proved (v8direct/sampler_tree_reader.h); 0 = always
  // V8's GetAllocationProfile.
  bool js_read_tree = true;
  // HEAPAGENT_ALLOCATOR: who serves the malloc family in profiled processes.
  enum class Allocator { kSystem, kJemalloc };
  Allocator allocator = Allocator::kSystem;
  std::string jemalloc_path;            // HEAPAGENT_JEMALLOC_PATH; empty = Debian's libjemalloc.so.2
  int stack_depth = 64;                 // HEAPAGENT_STACK_DEPTH
  double period_seconds = 60;           // HEAPAGENT_PERIOD
  std::string output_dir = "./heapagent-profiles";  // HEAPAGENT_OUTPUT_DIR
  std::string service;                  // HEAPAGENT_SERVICE, else DD_SERVICE; empty = script name
  int max_files = 120;                  // HEAPAGENT_MAX_FILES, per process and kind
  std::string processes = "node,nodejs";  // HEAPAGENT_PROCESS: executable name patterns
  LogLevel log_level = LogLevel::kWarn;   // HEAPAGENT_LOG

  // Uploads (agent/exporters/). Files stay on when no backend is configured,
  // or when HEAPAGENT_OUTPUT_DIR is given explicitly.
  bool output_dir_set = false;          // HEAPAGENT_OUTPUT_DIR was given
  std::string env;                      // HEAPAGENT_ENV, else DD_ENV
  std::string version;                  // HEAPAGENT_VERSION, else DD_VERSION
  std::string tags;                     // HEAPAGENT_TAGS, else DD_TAGS: "key:value,key2:value2"
  std::string pyroscope_url;            // HEAPAGENT_PYROSCOPE_URL, http(s)://host[:port][/prefix]; empty = off
  std::string pyroscope_user;           // HEAPAGENT_PYROSCOPE_USER (basic auth)
  std::string pyroscope_password;       // HEAPAGENT_PYROSCOPE_PASSWORD (basic auth)
  std::string pyroscope_token;          // HEAPAGENT_PYROSCOPE_TOKEN (bearer; wins over basic auth)
  std::string pyroscope_tenant;         // HEAPAGENT_PYROSCOPE_TENANT (X-Scope-OrgID)
  bool datadog_enabled = false;         // HEAPAGENT_DATADOG
  // DD_TRACE_AGENT_URL (http://, https://, unix:///path), else
  // http://DD_AGENT_HOST:DD_TRACE_AGENT_PORT.
  std::string datadog_agent_url = "http://127.0.0.1:8126";
  uint64_t upload_queue_bytes = 8 << 20;  // HEAPAGENT_UPLOAD_QUEUE_BYTES, per backend
  double upload_timeout_seconds = 10;     // HEAPAGENT_UPLOAD_TIMEOUT, per attempt

  bool any_backend() const { return !pyroscope_url.empty() || datadog_enabled; }

  // The heap summary series (agent/heap_summary.h).
  uint64_t summary_max_bytes = 4 << 20;  // HEAPAGENT_SUMMARY_MAX_BYTES, per file generation
  // DogStatsD: on when DD_RUNTIME_METRICS_ENABLED is true or a DogStatsD
  // address is given (DD_DOGSTATSD_URL/HOST/HOSTNAME/PORT), unless
  // DD_RUNTIME_METRICS_ENABLED is false; HEAPAGENT_DOGSTATSD=0/1 overrides.
  bool dogstatsd_enabled = false;
  DogStatsdAddress dogstatsd_address;
  bool dogstatsd_runtime_id = false;  // DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED: add the runtime-id tag
};

using EnvironmentLookup = std::function<const char*(const char* name)>;

// Reads every HEAPAGENT_* variable through `lookup`; each unusable value adds
// one human-readable sentence to `problems` and keeps its default.
Config ParseConfig(const EnvironmentLookup& lookup, std::vector<std::string>& problems);

// Value parsers, exposed for tests. All reject trailing garbage and overflow.
// "512k", "512KiB", "1m", "1MiB", "4096" (bytes; k/m/g are powers of 1024).
std::optional<uint64_t> ParseByteSize(std::string_view text);
// "60", "1.5", "500ms", "2m", "10s" (seconds).
std::optional<double> ParseDuration(std::string_view text);
std::optional<int64_t> ParseInteger(std::string_view text);
// 1/0, true/false, yes/no, on/off.
std::optional<bool> ParseBoolean(std::string_view text);
std::optional<LogLevel> ParseLogLevel(std::string_view text);
// DD_DOGSTATSD_URL: "udp://host:port" (IPv6 as [addr]), "unix:///path" or
// "unixgram:///path" (both datagram sockets, as the Datadog agent's
// dogstatsd socket is).
std::optional<DogStatsdAddress> ParseDogStatsdUrl(std::string_view url);

}  // namespace heapagent
