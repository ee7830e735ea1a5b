// Fuzzes agent/config: ParseConfig through its lookup callback, and every
// Parse* function on its own.
//
// Input format (what the seed corpus and config.dict use): lines of
// NAME=VALUE. A NAME that is exactly one byte stands for one of the agent's
// variables (byte % count), so mutations reach every variable quickly.
// Values are cut at the first NUL, as a real environment would.
//
// Checked, beyond "no crash, no sanitizer report":
//   - every Config field is within its documented range;
//   - ParseConfig agrees with the individual parsers: a value is taken iff it
//     parses and is in range, otherwise the default stays and there is
//     exactly one problem line naming that variable;
//   - problem lines are bounded and printable;
//   - each parser ignores surrounding whitespace and letter case, and
//     numeric results survive a print/parse round trip.
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config.h"

namespace {

using namespace heapagent;

#define FUZZ_CHECK(condition)                                                              \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition);   \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

constexpr const char* kVariables[] = {
    "HEAPAGENT_ENABLED",     "HEAPAGENT_NATIVE", "HEAPAGENT_NATIVE_INTERVAL", "HEAPAGENT_JS", "HEAPAGENT_JS_MODE",
    "HEAPAGENT_JS_INTERVAL", "HEAPAGENT_STACK_DEPTH",
    "HEAPAGENT_PERIOD",      "HEAPAGENT_OUTPUT_DIR", "HEAPAGENT_SERVICE",     "DD_SERVICE",
    "HEAPAGENT_MAX_FILES",   "HEAPAGENT_PROCESS", "HEAPAGENT_LOG",
    "HEAPAGENT_ENV",         "DD_ENV",           "HEAPAGENT_VERSION",     "DD_VERSION",
    "HEAPAGENT_TAGS",        "DD_TAGS",          "HEAPAGENT_PYROSCOPE_URL", "HEAPAGENT_PYROSCOPE_USER",
    "HEAPAGENT_PYROSCOPE_PASSWORD", "HEAPAGENT_PYROSCOPE_TOKEN", "HEAPAGENT_PYROSCOPE_TENANT",
    "HEAPAGENT_DATADOG",     "DD_TRACE_AGENT_URL", "DD_AGENT_HOST",       "DD_TRACE_AGENT_PORT",
    "HEAPAGENT_UPLOAD_QUEUE_BYTES", "HEAPAGENT_UPLOAD_TIMEOUT", "HEAPAGENT_ALLOCATOR", "HEAPAGENT_NATIVE_JS_FRAMES",
    "HEAPAGENT_DOGSTATSD", "HEAPAGENT_SUMMARY_MAX_BYTES", "DD_DOGSTATSD_URL", "DD_DOGSTATSD_PORT",
    "DD_RUNTIME_METRICS_ENABLED", "DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED", "DD_DOGSTATSD_HOST",
    "DD_DOGSTATSD_HOSTNAME", "HEAPAGENT_NATIVE_JS_INTERPRETED", "HEAPAGENT_JS_READ_TREE"};
constexpr std::size_t kVariableCount = std::size(kVariables);

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}
std::string Upper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}
std::string Padded(std::string_view text) { return " \t" + std::string(text) + "\n "; }

// --- The individual parsers ---------------------------------------------------

void CheckParsers(std::string_view text) {
  const auto bytes = ParseByteSize(text);
  FUZZ_CHECK(ParseByteSize(Padded(text)) == bytes);
  FUZZ_CHECK(ParseByteSize(Upper(text)) == bytes);
  FUZZ_CHECK(ParseByteSize(Lower(text)) == bytes);
  if (bytes) {
    FUZZ_CHECK(*bytes <= static_cast<uint64_t>(INT64_MAX));
    FUZZ_CHECK(ParseByteSize(std::to_string(*bytes)) == bytes);  // whole numbers are exact
  }

  const auto seconds = ParseDuration(text);
  FUZZ_CHECK(ParseDuration(Padded(text)) == seconds);
  FUZZ_CHECK(ParseDuration(Upper(text)) == seconds);
  if (seconds) {
    FUZZ_CHECK(!std::isnan(*seconds));
    FUZZ_CHECK(*seconds >= 0);
    FUZZ_CHECK(std::isfinite(*seconds));  // even after the unit's scale is applied
  }

  const auto integer = ParseInteger(text);
  FUZZ_CHECK(ParseInteger(Padded(text)) == integer);
  FUZZ_CHECK(ParseInteger(Upper(text)) == integer);
  if (integer) FUZZ_CHECK(ParseInteger(std::to_string(*integer)) == integer);

  const auto boolean = ParseBoolean(text);
  FUZZ_CHECK(ParseBoolean(Padded(text)) == boolean);
  FUZZ_CHECK(ParseBoolean(Upper(text)) == boolean);
  if (boolean) FUZZ_CHECK(ParseBoolean(*boolean ? "1" : "0") == boolean);

  const auto level = ParseLogLevel(text);
  FUZZ_CHECK(ParseLogLevel(Padded(text)) == level);
  FUZZ_CHECK(ParseLogLevel(Upper(text)) == level);
  if (level) FUZZ_CHECK(*level >= LogLevel::kOff && *level <= LogLevel::kDebug);
}

// --- ParseConfig -------------------------------------------------------------

std::map<std::string, std::string> EnvironmentFrom(std::string_view data) {
  std::map<std::string, std::string> environment;
  while (!data.empty()) {
    const std::size_t newline = data.find('\n');
    std::string_view line = data.substr(0, newline);
    data.remove_prefix(newline == std::string_view::npos ? data.size() : newline + 1);
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    std::string name(line.substr(0, equals));
    if (name.size() == 1) name = kVariables[static_cast<unsigned char>(name[0]) % kVariableCount];
    std::string value(line.substr(equals + 1));
    value.resize(std::min(value.size(), value.find('\0')));  // environment strings end at NUL
    environment[name] = value;
  }
  return environment;
}

// What ParseConfig should have done with one validated variable.
struct Expectation {
  const char* name;
  bool accepted;  // present, parses, in range
};

void CheckConfig(const std::map<std::string, std::string>& environment) {
  std::vector<std::string> problems;
  const Config config = ParseConfig(
      [&](const char* name) -> const char* {
        const auto it = environment.find(name);
        return it == environment.end() ? nullptr : it->second.c_str();
      },
      problems);

  // Documented ranges hold whatever the input.
  FUZZ_CHECK(config.native_interval >= 1 && config.native_interval <= (uint64_t{1} << 30));
  FUZZ_CHECK(config.stack_depth >= 1 && config.stack_depth <= 256);
  FUZZ_CHECK(config.period_seconds >= 0.2 && config.period_seconds <= 86400);
  FUZZ_CHECK(config.max_files >= 1 && config.max_files <= 1000000);
  FUZZ_CHECK(config.log_level >= LogLevel::kOff && config.log_level <= LogLevel::kDebug);
  FUZZ_CHECK(config.upload_queue_bytes >= (uint64_t{64} << 10) && config.upload_queue_bytes <= (uint64_t{1} << 30));
  FUZZ_CHECK(config.upload_timeout_seconds >= 0.1 && config.upload_timeout_seconds <= 300);
  FUZZ_CHECK(config.pyroscope_url.empty() || config.pyroscope_url.rfind("http://", 0) == 0 ||
             config.pyroscope_url.rfind("https://", 0) == 0);
  FUZZ_CHECK(config.pyroscope_url.empty() || config.pyroscope_url.back() != '/');
  FUZZ_CHECK(config.datadog_agent_url.rfind("http://", 0) == 0 || config.datadog_agent_url.rfind("https://", 0) == 0 ||
             config.datadog_agent_url.rfind("unix:///", 0) == 0);

  const auto value_of = [&](const char* name) -> std::optional<std::string> {
    const auto it = environment.find(name);
    if (it == environment.end() || it->second.empty()) return std::nullopt;  // empty = unset
    return it->second;
  };

  // Differential check against the individual parsers, variable by variable.
  std::vector<Expectation> expectations;
  const Config defaults;
  if (const auto value = value_of("HEAPAGENT_ENABLED")) {
    const auto parsed = ParseBoolean(*value);
    expectations.push_back({"HEAPAGENT_ENABLED", parsed.has_value()});
    FUZZ_CHECK(config.enabled == parsed.value_or(defaults.enabled));
  } else {
    FUZZ_CHECK(config.enabled == defaults.enabled);
  }
  if (const auto value = value_of("HEAPAGENT_NATIVE")) {
    const auto parsed = ParseBoolean(*value);
    expectations.push_back({"HEAPAGENT_NATIVE", parsed.has_value()});
    FUZZ_CHECK(config.native_enabled == parsed.value_or(defaults.native_enabled));
  } else {
    FUZZ_CHECK(config.native_enabled == defaults.native_enabled);
  }
  if (const auto value = value_of("HEAPAGENT_NATIVE_INTERVAL")) {
    const auto parsed = ParseByteSize(*value);
    const bool ok = parsed && *parsed >= 1 && *parsed <= (uint64_t{1} << 30);
    expectations.push_back({"HEAPAGENT_NATIVE_INTERVAL", ok});
    FUZZ_CHECK(config.native_interval == (ok ? *parsed : defaults.native_interval));
  } else {
    FUZZ_CHECK(config.native_interval == defaults.native_interval);
  }
  if (const auto value = value_of("HEAPAGENT_JS")) {
    const auto parsed = ParseBoolean(*value);
    expectations.push_back({"HEAPAGENT_JS", parsed.has_value()});
    FUZZ_CHECK(config.js_enabled == parsed.value_or(defaults.js_enabled));
  } else {
    FUZZ_CHECK(config.js_enabled == defaults.js_enabled);
  }
  if (const auto value = value_of("HEAPAGENT_JS_INTERVAL")) {
    const auto parsed = ParseByteSize(*value);
    const bool ok = parsed && *parsed >= 1024 && *parsed <= (uint64_t{1} << 30);
    expectations.push_back({"HEAPAGENT_JS_INTERVAL", ok});
    FUZZ_CHECK(config.js_interval == (ok ? *parsed : defaults.js_interval));
  } else {
    FUZZ_CHECK(config.js_interval == defaults.js_interval);
  }
  if (const auto value = value_of("HEAPAGENT_JS_MODE")) {
    const bool ok = *value == "auto" || *value == "direct" || *value == "cdp";
    expectations.push_back({"HEAPAGENT_JS_MODE", ok});
    if (ok) {
      FUZZ_CHECK(config.js_mode == (*value == "auto"     ? Config::JsMode::kAuto
                                    : *value == "direct" ? Config::JsMode::kDirect
                                                         : Config::JsMode::kCdp));
    } else {
      FUZZ_CHECK(config.js_mode == defaults.js_mode);
    }
  } else {
    FUZZ_CHECK(config.js_mode == defaults.js_mode);
  }
  if (const auto value = value_of("HEAPAGENT_STACK_DEPTH")) {
    const auto parsed = ParseInteger(*value);
    const bool ok = parsed && *parsed >= 1 && *parsed <= 256;
    expectations.push_back({"HEAPAGENT_STACK_DEPTH", ok});
    FUZZ_CHECK(config.stack_depth == (ok ? *parsed : defaults.stack_depth));
  } else {
    FUZZ_CHECK(config.stack_depth == defaults.stack_depth);
  }
  if (const auto value = value_of("HEAPAGENT_PERIOD")) {
    const auto parsed = ParseDuration(*value);
    const bool ok = parsed && *parsed >= 0.2 && *parsed <= 86400;
    expectations.push_back({"HEAPAGENT_PERIOD", ok});
    FUZZ_CHECK(config.period_seconds == (ok ? *parsed : defaults.period_seconds));
  } else {
    FUZZ_CHECK(config.period_seconds == defaults.period_seconds);
  }
  if (const auto value = value_of("HEAPAGENT_MAX_FILES")) {
    const auto parsed = ParseInteger(*value);
    const bool ok = parsed && *parsed >= 1 && *parsed <= 1000000;
    expectations.push_back({"HEAPAGENT_MAX_FILES", ok});
    FUZZ_CHECK(config.max_files == (ok ? *parsed : defaults.max_files));
  } else {
    FUZZ_CHECK(config.max_files == defaults.max_files);
  }
  if (const auto value = value_of("HEAPAGENT_LOG")) {
    const auto parsed = ParseLogLevel(*value);
    expectations.push_back({"HEAPAGENT_LOG", parsed.has_value()});
    FUZZ_CHECK(config.log_level == parsed.value_or(defaults.log_level));
  } else {
    FUZZ_CHECK(config.log_level == defaults.log_level);
  }

  if (const auto value = value_of("HEAPAGENT_DATADOG")) {
    const auto parsed = ParseBoolean(*value);
    expectations.push_back({"HEAPAGENT_DATADOG", parsed.has_value()});
    FUZZ_CHECK(config.datadog_enabled == parsed.value_or(defaults.datadog_enabled));
  } else {
    FUZZ_CHECK(config.datadog_enabled == defaults.datadog_enabled);
  }
  if (const auto value = value_of("HEAPAGENT_UPLOAD_QUEUE_BYTES")) {
    const auto parsed = ParseByteSize(*value);
    const bool ok = parsed && *parsed >= (uint64_t{64} << 10) && *parsed <= (uint64_t{1} << 30);
    expectations.push_back({"HEAPAGENT_UPLOAD_QUEUE_BYTES", ok});
    FUZZ_CHECK(config.upload_queue_bytes == (ok ? *parsed : defaults.upload_queue_bytes));
  }
  if (const auto value = value_of("HEAPAGENT_UPLOAD_TIMEOUT")) {
    const auto parsed = ParseDuration(*value);
    const bool ok = parsed && *parsed >= 0.1 && *parsed <= 300;
    expectations.push_back({"HEAPAGENT_UPLOAD_TIMEOUT", ok});
    FUZZ_CHECK(config.upload_timeout_seconds == (ok ? *parsed : defaults.upload_timeout_seconds));
  }
  if (const auto value = value_of("DD_TRACE_AGENT_PORT")) {
    const auto parsed = ParseInteger(*value);
    expectations.push_back({"DD_TRACE_AGENT_PORT", parsed && *parsed >= 1 && *parsed <= 65535});
  }
  // Booleans and sizes of the newer variables, exactly.
  for (const char* name : {"HEAPAGENT_NATIVE_JS_FRAMES", "HEAPAGENT_NATIVE_JS_INTERPRETED", "DD_RUNTIME_METRICS_ENABLED",
                           "DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED", "HEAPAGENT_JS_READ_TREE"}) {
    if (const auto value = value_of(name)) expectations.push_back({name, ParseBoolean(*value).has_value()});
  }
  if (const auto value = value_of("HEAPAGENT_NATIVE_JS_FRAMES")) {
    if (const auto parsed = ParseBoolean(*value)) FUZZ_CHECK(config.native_js_frames == *parsed);
  }
  if (const auto value = value_of("HEAPAGENT_JS_READ_TREE")) {
    FUZZ_CHECK(config.js_read_tree == ParseBoolean(*value).value_or(defaults.js_read_tree));
  }
  if (const auto value = value_of("HEAPAGENT_DOGSTATSD")) {
    expectations.push_back({"HEAPAGENT_DOGSTATSD", ParseBoolean(*value).has_value() || *value == "auto"});
  }
  if (const auto value = value_of("HEAPAGENT_SUMMARY_MAX_BYTES")) {
    const auto parsed = ParseByteSize(*value);
    const bool ok = parsed && *parsed >= (uint64_t{16} << 10) && *parsed <= (uint64_t{1} << 30);
    expectations.push_back({"HEAPAGENT_SUMMARY_MAX_BYTES", ok});
    FUZZ_CHECK(config.summary_max_bytes == (ok ? *parsed : defaults.summary_max_bytes));
  }
  if (const auto value = value_of("DD_DOGSTATSD_PORT")) {
    const auto parsed = ParseInteger(*value);
    expectations.push_back({"DD_DOGSTATSD_PORT", parsed && *parsed >= 1 && *parsed <= 65535});
  }
  // URL-like and named-choice values: accepted or exactly one problem line,
  // checked below; whether they are accepted is the validators' business.
  for (const char* name : {"HEAPAGENT_PYROSCOPE_URL", "DD_TRACE_AGENT_URL", "DD_AGENT_HOST", "DD_DOGSTATSD_URL",
                           "DD_DOGSTATSD_HOST", "DD_DOGSTATSD_HOSTNAME", "HEAPAGENT_ALLOCATOR"}) {
    if (!value_of(name)) continue;
    const std::string prefix = std::string(name) + "=";
    bool mentioned = false;
    for (const std::string& problem : problems) mentioned = mentioned || problem.rfind(prefix, 0) == 0;
    expectations.push_back({name, !mentioned});
  }
  if (const auto url = value_of("HEAPAGENT_PYROSCOPE_URL"); url && config.pyroscope_url.empty()) {
    bool mentioned = false;
    for (const std::string& problem : problems) mentioned = mentioned || problem.rfind("HEAPAGENT_PYROSCOPE_URL=", 0) == 0;
    FUZZ_CHECK(mentioned);  // a given URL is either used or reported
  }
  // Identity: our variable, else Datadog's; credentials verbatim and never quoted in a problem.
  FUZZ_CHECK(config.env == value_of("HEAPAGENT_ENV").value_or(value_of("DD_ENV").value_or("")));
  FUZZ_CHECK(config.version == value_of("HEAPAGENT_VERSION").value_or(value_of("DD_VERSION").value_or("")));
  FUZZ_CHECK(config.tags == value_of("HEAPAGENT_TAGS").value_or(value_of("DD_TAGS").value_or("")));
  FUZZ_CHECK(config.pyroscope_password == value_of("HEAPAGENT_PYROSCOPE_PASSWORD").value_or(""));
  FUZZ_CHECK(config.pyroscope_token == value_of("HEAPAGENT_PYROSCOPE_TOKEN").value_or(""));
  FUZZ_CHECK(config.output_dir_set == value_of("HEAPAGENT_OUTPUT_DIR").has_value());

  // Free-form strings are taken verbatim; HEAPAGENT_SERVICE beats DD_SERVICE.
  FUZZ_CHECK(config.output_dir == value_of("HEAPAGENT_OUTPUT_DIR").value_or(defaults.output_dir));
  FUZZ_CHECK(config.processes == value_of("HEAPAGENT_PROCESS").value_or(defaults.processes));
  FUZZ_CHECK(config.service == value_of("HEAPAGENT_SERVICE").value_or(value_of("DD_SERVICE").value_or("")));

  // Exactly one problem per rejected variable, and none for accepted ones.
  std::size_t rejected = 0;
  for (const Expectation& expectation : expectations) {
    const std::string prefix = std::string(expectation.name) + "=";
    std::size_t mentions = 0;
    for (const std::string& problem : problems) mentions += problem.rfind(prefix, 0) == 0;
    FUZZ_CHECK(mentions == (expectation.accepted ? 0u : 1u));
    rejected += !expectation.accepted;
  }
  FUZZ_CHECK(problems.size() == rejected);
  for (const std::string& problem : problems) {
    FUZZ_CHECK(problem.size() < 300);
    for (char c : problem) FUZZ_CHECK(std::isprint(static_cast<unsigned char>(c)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto environment = EnvironmentFrom(input);
  CheckConfig(environment);
  CheckParsers(input);
  for (const auto& [name, value] : environment) CheckParsers(value);
  return 0;
}
