#include "agent/config.h"

#include <cctype>
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

// Splits "512KiB" into a number and a lowercase unit.
bool SplitNumberAndUnit(std::string_view text, double& number, std::string& unit) {
  text = Trim(text);
  std::size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) ++digits;
  if (digits == 0) return false;
  const std::string_view numeric = text.substr(0, digits);
  const auto [end, error] = std::from_chars(numeric.data(), numeric.data() + numeric.size(), number);
  if (error != std::errc() || end != numeric.data() + numeric.size() || !std::isfinite(number)) return false;
  unit = Lowercase(Trim(text.substr(digits)));
  return true;
}

std::string Quote(const char* value) {
  std::string quoted = "'";
  for (const char* c = value; *c && quoted.size() < 64; ++c) quoted += std::isprint(static_cast<unsigned char>(*c)) ? *c : '?';
  return quoted + "'";
}

}  // namespace

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  double number = 0;
  std::string unit;
  if (!SplitNumberAndUnit(text, number, unit)) return std::nullopt;
  double scale = 1;
  if (unit.empty() || unit == "b") scale = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") scale = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib") scale = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib") scale = 1024.0 * 1024 * 1024;
  else return std::nullopt;
  const double bytes = number * scale;
  if (bytes > 9.0e18 || bytes != std::floor(bytes)) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::optional<double> ParseDuration(std::string_view text) {
  double number = 0;
  std::string unit;
  if (!SplitNumberAndUnit(text, number, unit)) return std::nullopt;
  if (unit.empty() || unit == "s") return number;
  if (unit == "ms") return number / 1000;
  if (unit == "m" || unit == "min") return number * 60;
  if (unit == "h") return number * 3600;
  return std::nullopt;
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
  if (const char* value = get("HEAPAGENT_NATIVE")) {
    if (auto enabled = ParseBoolean(value)) config.native_enabled = *enabled;
    else reject("HEAPAGENT_NATIVE", value, "a boolean (1/0, true/false)", "1");
  }
  if (const char* value = get("HEAPAGENT_NATIVE_INTERVAL")) {
    auto bytes = ParseByteSize(value);
    if (bytes && *bytes >= 1 && *bytes <= (uint64_t{1} << 30)) config.native_interval = *bytes;
    else reject("HEAPAGENT_NATIVE_INTERVAL", value, "a size between 1 and 1GiB (e.g. 524288, 512KiB)", "524288");
  }
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
  if (const char* value = get("HEAPAGENT_OUTPUT_DIR")) config.output_dir = value;
  if (const char* value = get("HEAPAGENT_SERVICE")) config.service = value;
  else if (const char* dd_service = get("DD_SERVICE")) config.service = dd_service;
  if (const char* value = get("HEAPAGENT_MAX_FILES")) {
    auto count = ParseInteger(value);
    if (count && *count >= 1 && *count <= 1000000) config.max_files = static_cast<int>(*count);
    else reject("HEAPAGENT_MAX_FILES", value, "an integer between 1 and 1000000", "120");
  }
  if (const char* value = get("HEAPAGENT_PROCESS")) config.processes = value;
  return config;
}

}  // namespace heapagent
