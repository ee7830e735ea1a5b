#include "agent/config.h"

#include <cctype>
#include <cstdint>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace heapagent {
namespace {

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Splits "512KiB" into its digits ("512", maybe with a '.') and a lowercase
// unit ("kib").
bool SplitNumberAndUnit(std::string_view text, std::string_view& digits, std::string& unit) {
  text = Trim(text);
  std::size_t length = 0;
  while (length < text.size() && (std::isdigit(static_cast<unsigned char>(text[length])) || text[length] == '.')) {
    ++length;
  }
  if (length == 0) return false;
  digits = text.substr(0, length);
  unit = Lowercase(Trim(text.substr(length)));
  return true;
}

bool ParseFinite(std::string_view digits, double& number) {
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  return error == std::errc() && end == digits.data() + digits.size() && std::isfinite(number);
}

// "http://host[:port][/path]" or "https://...": a scheme we can speak and a
// non-empty host, nothing that could not be part of a URL.
bool IsHttpUrl(std::string_view url) {
  std::string_view rest;
  if (url.rfind("http://", 0) == 0) rest = url.substr(7);
  else if (url.rfind("https://", 0) == 0) rest = url.substr(8);
  else return false;
  if (rest.empty() || rest[0] == '/' || rest[0] == ':') return false;
  for (char c : url) {
    if (!std::isgraph(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A host name or IP literal for DD_AGENT_HOST: printable, no URL syntax.
bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '_') return false;
  }
  return true;
}

std::string WithoutTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string Quote(const char* value) {
  std::string quoted = "'";
  for (const char* c = value; *c && quoted.size() < 64; ++c) quoted += std::isprint(static_cast<unsigned char>(*c)) ? *c : '?';
  return quoted + "'";
}

}  // namespace

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  std::string_view digits;
  std::string unit;
  if (!SplitNumberAndUnit(text, digits, unit)) return std::nullopt;
  uint64_t scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") scale = uint64_t{1} << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") scale = uint64_t{1} << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") scale = uint64_t{1} << 30;
  else return std::nullopt;
  if (digits.find('.') == std::string_view::npos) {
    // Whole numbers exactly: a double would round above 2^53.
    uint64_t whole = 0, bytes = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), whole);
    if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    if (__builtin_mul_overflow(whole, scale, &bytes) || bytes > uint64_t{INT64_MAX}) return std::nullopt;
    return bytes;
  }
  // A fraction ("1.5m") must come out as a whole number of bytes.
  double number = 0;
  if (!ParseFinite(digits, number)) return std::nullopt;
  const double bytes = number * static_cast<double>(scale);
  if (!(bytes < 9.0e15) || bytes != std::floor(bytes)) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::optional<double> ParseDuration(std::string_view text) {
  std::string_view digits;
  std::string unit;
  double number = 0;
  if (!SplitNumberAndUnit(text, digits, unit) || !ParseFinite(digits, number)) return std::nullopt;
  double seconds = 0;
  if (unit.empty() || unit == "s") seconds = number;
  else if (unit == "ms") seconds = number / 1000;
  else if (unit == "m" || unit == "min") seconds = number * 60;
  else if (unit == "h") seconds = number * 3600;
  else return std::nullopt;
  if (!std::isfinite(seconds)) return std::nullopt;  // the unit can overflow a huge number
  return seconds;
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  text = Trim(text);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> ParseBoolean(std::string_view text) {
  const std::string value = Lowercase(Trim(text));
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  return std::nullopt;
}

std::optional<LogLevel> ParseLogLevel(std::string_view text) {
  const std::string value = Lowercase(Trim(text));
  if (value == "off" || value == "none" || value == "0") return LogLevel::kOff;
  if (value == "error") return LogLevel::kError;
  if (value == "warn" || value == "warning") return LogLevel::kWarn;
  if (value == "info" || value == "1") return LogLevel::kInfo;
  if (value == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

std::string DogStatsdAddress::Describe() const {
  if (kind == Kind::kUnixDatagram) return "unix://" + path;
  const bool ipv6 = host.find(':') != std::string::npos;
  return "udp://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<DogStatsdAddress> ParseDogStatsdUrl(std::string_view url) {
  DogStatsdAddress address;
  for (std::string_view scheme : {"unix://", "unixgram://"}) {
    if (url.rfind(scheme, 0) != 0) continue;
    const std::string_view path = url.substr(scheme.size());
    // A unix socket address holds at most 107 bytes of path.
    if (path.size() < 2 || path[0] != '/' || path.size() > 107) return std::nullopt;
    for (char c : path) {
      if (!std::isgraph(static_cast<unsigned char>(c))) return std::nullopt;
    }
    address.kind = DogStatsdAddress::Kind::kUnixDatagram;
    address.path = std::string(path);
    return address;
  }
  if (url.rfind("udp://", 0) != 0) return std::nullopt;
  std::string_view rest = url.substr(6);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string_view host, port;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return std::nullopt;
    port = rest.empty() ? "" : rest.substr(1);
  } else {
    const size_t colon = rest.rfind(':');
    host = rest.substr(0, colon);
    port = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  }
  if (!IsHostName(host)) return std::nullopt;
  address.host = std::string(host);
  if (!port.empty()) {
    const auto number = ParseInteger(port);
    if (!number || *number < 1 || *number > 65535) return std::nullopt;
    address.port = static_cast<int>(*number);
  }
  return address;
}

Config ParseConfig(const EnvironmentLookup& lookup, std::vector<std::string>& problems) {
  Config config;
  const auto get = [&](const char* name) -> const char* {
    const char* value = lookup(name);
    return value != nullptr && *value != '\0' ? value : nullptr;
  };
  const auto reject = [&](const char* name, const char* value, const char* expected, const std::string& fallback) {
    problems.push_back(std::string(name) + "=" + Quote(value) + " is not " + expected + "; using " + fallback);
  };

  if (const char* value = get("HEAPAGENT_LOG")) {
    if (auto level = ParseLogLevel(value)) config.log_level = *level;
    else reject("HEAPAGENT_LOG", value, "one of off, error, warn, info, debug", "warn");
  }
  if (const char* value = get("HEAPAGENT_ENABLED")) {
    if (auto enabled = ParseBoolean(value)) config.enabled = *enabled;
    else reject("HEAPAGENT_ENABLED", value, "a boolean (1/0, true/false)", "1");
  }
  if (const char* value = get("HEAPAGENT_NATIVE_JS_INTERPRETED")) {
    if (auto enabled = ParseBoolean(value)) config.native_js_interpreted = *enabled;
    else reject("HEAPAGENT_NATIVE_JS_INTERPRETED", value, "a boolean (1/0, true/false)", "0");
  }
  if (const char* value = get("HEAPAGENT_NATIVE_JS_FRAMES")) {
    if (auto enabled = ParseBoolean(value)) config.native_js_frames = *enabled;
    else reject("HEAPAGENT_NATIVE_JS_FRAMES", value, "a boolean (1/0, true/false)", "1");
  }
  if (const char* value = get("HEAPAGENT_NATIVE")) {
    if (auto enabled = ParseBoolean(value)) config.native_enabled = *enabled;
    else reject("HEAPAGENT_NATIVE", value, "a boolean (1/0, true/false)", "1");
  }
  if (const char* value = get("HEAPAGENT_NATIVE_INTERVAL")) {
    auto bytes = ParseByteSize(value);
    if (bytes && *bytes >= 1 && *bytes <= (uint64_t{1} << 30)) config.native_interval = *bytes;
    else reject("HEAPAGENT_NATIVE_INTERVAL", value, "a size between 1 and 1GiB (e.g. 524288, 512KiB)", "524288");
  }
  if (const char* value = get("HEAPAGENT_JS")) {
    if (auto enabled = ParseBoolean(value)) config.js_enabled = *enabled;
    else reject("HEAPAGENT_JS", value, "a boolean (1/0, true/false)", "1");
  }
  if (const char* value = get("HEAPAGENT_JS_INTERVAL")) {
    // V8 takes an int; below 1 KiB its weak-handle bookkeeping dominates.
    auto bytes = ParseByteSize(value);
    if (bytes && *bytes >= 1024 && *bytes <= (uint64_t{1} << 30)) config.js_interval = *bytes;
    else reject("HEAPAGENT_JS_INTERVAL", value, "a size between 1KiB and 1GiB (e.g. 524288, 512KiB)", "524288");
  }
  if (const char* value = get("HEAPAGENT_JS_READ_TREE")) {
    if (auto enabled = ParseBoolean(value)) config.js_read_tree = *enabled;
    else reject("HEAPAGENT_JS_READ_TREE", value, "a boolean (1/0, true/false)", "1");
  }
  if (const char* value = get("HEAPAGENT_JS_MODE")) {
    const std::string_view mode(value);
    if (mode == "auto") config.js_mode = Config::JsMode::kAuto;
    else if (mode == "direct") config.js_mode = Config::JsMode::kDirect;
    else if (mode == "cdp") config.js_mode = Config::JsMode::kCdp;
    else reject("HEAPAGENT_JS_MODE", value, "auto, direct or cdp", "auto");
  }
  if (const char* value = get("HEAPAGENT_ALLOCATOR")) {
    const std::string allocator = Lowercase(Trim(value));
    if (allocator == "system" || allocator == "glibc") config.allocator = Config::Allocator::kSystem;
    else if (allocator == "jemalloc") config.allocator = Config::Allocator::kJemalloc;
    else reject("HEAPAGENT_ALLOCATOR", value, "system or jemalloc", "system");
  }
  if (const char* value = get("HEAPAGENT_JEMALLOC_PATH")) config.jemalloc_path = value;
  if (const char* value = get("HEAPAGENT_STACK_DEPTH")) {
    auto depth = ParseInteger(value);
    if (depth && *depth >= 1 && *depth <= 256) config.stack_depth = static_cast<int>(*depth);
    else reject("HEAPAGENT_STACK_DEPTH", value, "an integer between 1 and 256", "64");
  }
  if (const char* value = get("HEAPAGENT_PERIOD")) {
    auto seconds = ParseDuration(value);
    if (seconds && *seconds >= 0.2 && *seconds <= 86400) config.period_seconds = *seconds;
    else reject("HEAPAGENT_PERIOD", value, "a duration between 0.2s and 24h (e.g. 60, 10s, 2m)", "60s");
  }
  if (const char* value = get("HEAPAGENT_OUTPUT_DIR")) {
    config.output_dir = value;
    config.output_dir_set = true;
  }
  if (const char* value = get("HEAPAGENT_SERVICE")) config.service = value;
  else if (const char* dd_service = get("DD_SERVICE")) config.service = dd_service;
  if (const char* value = get("HEAPAGENT_MAX_FILES")) {
    auto count = ParseInteger(value);
    if (count && *count >= 1 && *count <= 1000000) config.max_files = static_cast<int>(*count);
    else reject("HEAPAGENT_MAX_FILES", value, "an integer between 1 and 1000000", "120");
  }
  if (const char* value = get("HEAPAGENT_PROCESS")) config.processes = value;

  // Identity shared with dd-trace: our own variable first, then Datadog's.
  const auto own_or_datadog = [&](const char* own, const char* datadog) -> std::string {
    if (const char* value = get(own)) return value;
    if (const char* value = get(datadog)) return value;
    return "";
  };
  config.env = own_or_datadog("HEAPAGENT_ENV", "DD_ENV");
  config.version = own_or_datadog("HEAPAGENT_VERSION", "DD_VERSION");
  config.tags = own_or_datadog("HEAPAGENT_TAGS", "DD_TAGS");

  if (const char* value = get("HEAPAGENT_PYROSCOPE_URL")) {
    if (IsHttpUrl(value)) config.pyroscope_url = WithoutTrailingSlashes(value);
    else reject("HEAPAGENT_PYROSCOPE_URL", value, "an http:// or https:// URL (e.g. http://pyroscope:4040)",
                "no Pyroscope upload");
  }
  // Credentials are never quoted back: they would end up in the app's logs.
  if (const char* value = get("HEAPAGENT_PYROSCOPE_USER")) config.pyroscope_user = value;
  if (const char* value = get("HEAPAGENT_PYROSCOPE_PASSWORD")) config.pyroscope_password = value;
  if (const char* value = get("HEAPAGENT_PYROSCOPE_TOKEN")) config.pyroscope_token = value;
  if (const char* value = get("HEAPAGENT_PYROSCOPE_TENANT")) config.pyroscope_tenant = value;

  if (const char* value = get("HEAPAGENT_DATADOG")) {
    if (auto enabled = ParseBoolean(value)) config.datadog_enabled = *enabled;
    else reject("HEAPAGENT_DATADOG", value, "a boolean (1/0, true/false)", "0");
  }
  // The agent's address, read the way dd-trace reads it.
  std::string agent_host = "127.0.0.1";
  int64_t agent_port = 8126;
  if (const char* value = get("DD_AGENT_HOST")) {
    if (IsHostName(value)) agent_host = value;
    else reject("DD_AGENT_HOST", value, "a host name or IP address", "127.0.0.1");
  }
  if (const char* value = get("DD_TRACE_AGENT_PORT")) {
    auto port = ParseInteger(value);
    if (port && *port >= 1 && *port <= 65535) agent_port = *port;
    else reject("DD_TRACE_AGENT_PORT", value, "a port between 1 and 65535", "8126");
  }
  const bool ipv6 = agent_host.find(':') != std::string::npos;
  config.datadog_agent_url =
      "http://" + (ipv6 ? "[" + agent_host + "]" : agent_host) + ":" + std::to_string(agent_port);
  if (const char* value = get("DD_TRACE_AGENT_URL")) {
    const std::string_view url = value;
    if (IsHttpUrl(url)) config.datadog_agent_url = WithoutTrailingSlashes(value);
    else if (url.rfind("unix:///", 0) == 0 && url.size() > 8) config.datadog_agent_url = value;
    else reject("DD_TRACE_AGENT_URL", value, "an http://, https:// or unix:///path URL", config.datadog_agent_url);
  }

  // DogStatsD, read the way dd-trace reads it for its runtime metrics: the
  // agent's host unless DD_DOGSTATSD_HOST names another, port 8125.
  bool dogstatsd_address_given = false;
  config.dogstatsd_address.host = agent_host;
  for (const char* name : {"DD_DOGSTATSD_HOSTNAME", "DD_DOGSTATSD_HOST"}) {  // the second wins
    if (const char* value = get(name)) {
      if (IsHostName(value)) {
        config.dogstatsd_address.host = value;
        dogstatsd_address_given = true;
      } else {
        reject(name, value, "a host name or IP address", config.dogstatsd_address.host);
      }
    }
  }
  if (const char* value = get("DD_DOGSTATSD_PORT")) {
    auto port = ParseInteger(value);
    if (port && *port >= 1 && *port <= 65535) {
      config.dogstatsd_address.port = static_cast<int>(*port);
      dogstatsd_address_given = true;
    } else {
      reject("DD_DOGSTATSD_PORT", value, "a port between 1 and 65535", "8125");
    }
  }
  if (const char* value = get("DD_DOGSTATSD_URL")) {
    if (auto address = ParseDogStatsdUrl(value)) {
      config.dogstatsd_address = *address;
      dogstatsd_address_given = true;
    } else {
      reject("DD_DOGSTATSD_URL", value, "a udp://host:port, unix:///path or unixgram:///path URL",
             config.dogstatsd_address.Describe());
    }
  }
  std::optional<bool> runtime_metrics;
  if (const char* value = get("DD_RUNTIME_METRICS_ENABLED")) {
    if (auto enabled = ParseBoolean(value)) runtime_metrics = *enabled;
    else reject("DD_RUNTIME_METRICS_ENABLED", value, "a boolean (true/false)", "false");
  }
  config.dogstatsd_enabled = runtime_metrics.value_or(dogstatsd_address_given);
  if (const char* value = get("HEAPAGENT_DOGSTATSD")) {
    if (auto enabled = ParseBoolean(value)) config.dogstatsd_enabled = *enabled;
    else if (std::string_view(value) != "auto") {
      reject("HEAPAGENT_DOGSTATSD", value, "auto, 1 or 0", "auto");
    }
  }
  if (const char* value = get("DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED")) {
    if (auto enabled = ParseBoolean(value)) config.dogstatsd_runtime_id = *enabled;
    else reject("DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED", value, "a boolean (true/false)", "false");
  }
  if (const char* value = get("HEAPAGENT_SUMMARY_MAX_BYTES")) {
    auto bytes = ParseByteSize(value);
    if (bytes && *bytes >= (uint64_t{16} << 10) && *bytes <= (uint64_t{1} << 30)) config.summary_max_bytes = *bytes;
    else reject("HEAPAGENT_SUMMARY_MAX_BYTES", value, "a size between 16KiB and 1GiB (e.g. 4MiB)", "4MiB");
  }

  if (const char* value = get("HEAPAGENT_UPLOAD_QUEUE_BYTES")) {
    auto bytes = ParseByteSize(value);
    if (bytes && *bytes >= (uint64_t{64} << 10) && *bytes <= (uint64_t{1} << 30)) config.upload_queue_bytes = *bytes;
    else reject("HEAPAGENT_UPLOAD_QUEUE_BYTES", value, "a size between 64KiB and 1GiB (e.g. 8MiB)", "8MiB");
  }
  if (const char* value = get("HEAPAGENT_UPLOAD_TIMEOUT")) {
    auto seconds = ParseDuration(value);
    if (seconds && *seconds >= 0.1 && *seconds <= 300) config.upload_timeout_seconds = *seconds;
    else reject("HEAPAGENT_UPLOAD_TIMEOUT", value, "a duration between 100ms and 5m (e.g. 10s)", "10s");
  }
  return config;
}

}  // namespace heapagent
