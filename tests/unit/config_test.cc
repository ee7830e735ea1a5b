// Tests for agent/config.h. The contract: every documented form of every
// variable is understood; every unusable value yields exactly one problem line
// that names the variable, and the documented default is kept - the agent
// must never stop or misbehave because of a typo in the environment.
#include "agent/config.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace heapagent {
namespace {

using Environment = std::map<std::string, std::string>;

struct Parsed {
  Config config;
  std::vector<std::string> problems;
  std::set<std::string> names_read;
};

Parsed Parse(const Environment& environment) {
  Parsed parsed;
  parsed.config = ParseConfig(
      [&](const char* name) -> const char* {
        parsed.names_read.insert(name);
        const auto it = environment.find(name);
        return it == environment.end() ? nullptr : it->second.c_str();
      },
      parsed.problems);
  return parsed;
}

// Compares every field with the documented defaults (config.h), skipping the
// field under test, so a bad value can't silently change something else.
void ExpectDefaultsExcept(const Config& config, const std::string& skip = "") {
  if (skip != "enabled") {
    EXPECT_TRUE(config.enabled);
  }
  if (skip != "native_enabled") {
    EXPECT_TRUE(config.native_enabled);
  }
  if (skip != "native_interval") {
    EXPECT_EQ(config.native_interval, 524288u);
  }
  if (skip != "js_enabled") {
    EXPECT_TRUE(config.js_enabled);
  }
  if (skip != "js_interval") {
    EXPECT_EQ(config.js_interval, 524288u);
  }
  if (skip != "js_mode") {
    EXPECT_EQ(config.js_mode, Config::JsMode::kAuto);
  }
  if (skip != "allocator") {
    EXPECT_EQ(config.allocator, Config::Allocator::kSystem);
    EXPECT_EQ(config.jemalloc_path, "");
  }
  if (skip != "stack_depth") {
    EXPECT_EQ(config.stack_depth, 64);
  }
  if (skip != "period_seconds") {
    EXPECT_EQ(config.period_seconds, 60.0);
  }
  if (skip != "output_dir") {
    EXPECT_EQ(config.output_dir, "./heapagent-profiles");
  }
  if (skip != "service") {
    EXPECT_EQ(config.service, "");
  }
  if (skip != "max_files") {
    EXPECT_EQ(config.max_files, 120);
  }
  if (skip != "processes") {
    EXPECT_EQ(config.processes, "node,nodejs");
  }
  if (skip != "log_level") {
    EXPECT_EQ(config.log_level, LogLevel::kWarn);
  }
  if (skip != "output_dir") {
    EXPECT_FALSE(config.output_dir_set);
  }
  if (skip != "identity") {
    EXPECT_EQ(config.env, "");
    EXPECT_EQ(config.version, "");
    EXPECT_EQ(config.tags, "");
  }
  if (skip != "pyroscope") {
    EXPECT_EQ(config.pyroscope_url, "");
    EXPECT_EQ(config.pyroscope_user, "");
    EXPECT_EQ(config.pyroscope_password, "");
    EXPECT_EQ(config.pyroscope_token, "");
    EXPECT_EQ(config.pyroscope_tenant, "");
  }
  if (skip != "datadog") {
    EXPECT_FALSE(config.datadog_enabled);
    EXPECT_EQ(config.datadog_agent_url, "http://127.0.0.1:8126");
  }
  if (skip != "upload_queue_bytes") {
    EXPECT_EQ(config.upload_queue_bytes, 8u << 20);
  }
  if (skip != "upload_timeout_seconds") {
    EXPECT_EQ(config.upload_timeout_seconds, 10.0);
  }
  if (skip != "pyroscope" && skip != "datadog") {
    EXPECT_FALSE(config.any_backend());
  }
}

TEST(ParseConfigTest, EmptyEnvironmentGivesDefaults) {
  const Parsed parsed = Parse({});
  EXPECT_TRUE(parsed.problems.empty());
  ExpectDefaultsExcept(parsed.config);
}

TEST(ParseConfigTest, EmptyValuesCountAsUnset) {
  Environment environment;
  for (const char* name : {"HEAPAGENT_ENABLED", "HEAPAGENT_NATIVE", "HEAPAGENT_NATIVE_INTERVAL", "HEAPAGENT_JS", "HEAPAGENT_JS_MODE",
                           "HEAPAGENT_ALLOCATOR", "HEAPAGENT_JEMALLOC_PATH",
                           "HEAPAGENT_JS_INTERVAL", "HEAPAGENT_STACK_DEPTH",
                           "HEAPAGENT_PERIOD", "HEAPAGENT_OUTPUT_DIR", "HEAPAGENT_SERVICE", "DD_SERVICE",
                           "HEAPAGENT_MAX_FILES", "HEAPAGENT_PROCESS", "HEAPAGENT_LOG", "HEAPAGENT_ENV", "DD_ENV",
                           "HEAPAGENT_VERSION", "DD_VERSION", "HEAPAGENT_TAGS", "DD_TAGS", "HEAPAGENT_PYROSCOPE_URL",
                           "HEAPAGENT_PYROSCOPE_USER", "HEAPAGENT_PYROSCOPE_PASSWORD", "HEAPAGENT_PYROSCOPE_TOKEN",
                           "HEAPAGENT_PYROSCOPE_TENANT", "HEAPAGENT_DATADOG", "DD_TRACE_AGENT_URL", "DD_AGENT_HOST",
                           "DD_TRACE_AGENT_PORT", "HEAPAGENT_UPLOAD_QUEUE_BYTES", "HEAPAGENT_UPLOAD_TIMEOUT",
                           "HEAPAGENT_SUMMARY_MAX_BYTES", "DD_RUNTIME_METRICS_ENABLED", "DD_DOGSTATSD_URL",
                           "DD_DOGSTATSD_HOST", "DD_DOGSTATSD_HOSTNAME", "DD_DOGSTATSD_PORT",
                           "DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED", "HEAPAGENT_DOGSTATSD"}) {
    environment[name] = "";
  }
  const Parsed parsed = Parse(environment);
  EXPECT_TRUE(parsed.problems.empty());
  ExpectDefaultsExcept(parsed.config);
}

TEST(ParseConfigTest, ReadsOnlyItsOwnVariables) {
  const Parsed parsed = Parse({});
  for (const std::string& name : parsed.names_read) {
    EXPECT_TRUE(name.rfind("HEAPAGENT_", 0) == 0 || name == "DD_SERVICE" || name == "DD_ENV" ||
                name == "DD_VERSION" || name == "DD_TAGS" || name == "DD_TRACE_AGENT_URL" || name == "DD_AGENT_HOST" ||
                name == "DD_TRACE_AGENT_PORT" || name == "DD_RUNTIME_METRICS_ENABLED" ||
                name == "DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED" || name == "DD_DOGSTATSD_URL" ||
                name == "DD_DOGSTATSD_HOST" || name == "DD_DOGSTATSD_HOSTNAME" || name == "DD_DOGSTATSD_PORT")
        << name;
  }
  // Every documented variable is looked up.
  for (const char* name : {"HEAPAGENT_ENABLED", "HEAPAGENT_NATIVE", "HEAPAGENT_NATIVE_INTERVAL", "HEAPAGENT_JS", "HEAPAGENT_JS_MODE",
                           "HEAPAGENT_ALLOCATOR", "HEAPAGENT_JEMALLOC_PATH",
                           "HEAPAGENT_JS_INTERVAL", "HEAPAGENT_STACK_DEPTH",
                           "HEAPAGENT_PERIOD", "HEAPAGENT_OUTPUT_DIR", "HEAPAGENT_SERVICE", "DD_SERVICE",
                           "HEAPAGENT_MAX_FILES", "HEAPAGENT_PROCESS", "HEAPAGENT_LOG", "HEAPAGENT_ENV", "DD_ENV",
                           "HEAPAGENT_VERSION", "DD_VERSION", "HEAPAGENT_TAGS", "DD_TAGS", "HEAPAGENT_PYROSCOPE_URL",
                           "HEAPAGENT_PYROSCOPE_USER", "HEAPAGENT_PYROSCOPE_PASSWORD", "HEAPAGENT_PYROSCOPE_TOKEN",
                           "HEAPAGENT_PYROSCOPE_TENANT", "HEAPAGENT_DATADOG", "DD_TRACE_AGENT_URL", "DD_AGENT_HOST",
                           "DD_TRACE_AGENT_PORT", "HEAPAGENT_UPLOAD_QUEUE_BYTES", "HEAPAGENT_UPLOAD_TIMEOUT",
                           "HEAPAGENT_SUMMARY_MAX_BYTES", "DD_RUNTIME_METRICS_ENABLED", "DD_DOGSTATSD_URL",
                           "DD_DOGSTATSD_HOST", "DD_DOGSTATSD_HOSTNAME", "DD_DOGSTATSD_PORT",
                           "DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED", "HEAPAGENT_DOGSTATSD"}) {
    EXPECT_TRUE(parsed.names_read.contains(name)) << name;
  }
}

// --- Valid forms -----------------------------------------------------------

TEST(ParseConfigTest, BooleansInEveryForm) {
  const std::vector<std::pair<std::string, bool>> forms = {
      {"1", true},    {"0", false},     {"true", true}, {"false", false}, {"yes", true},   {"no", false},
      {"on", true},   {"off", false},   {"TRUE", true}, {"Off", false},   {" yes ", true}, {"\tno\n", false}};
  for (const auto& [text, value] : forms) {
    for (const char* name : {"HEAPAGENT_ENABLED", "HEAPAGENT_NATIVE"}) {
      SCOPED_TRACE(std::string(name) + "=" + text);
      const Parsed parsed = Parse({{name, text}});
      EXPECT_TRUE(parsed.problems.empty());
      const bool& field = std::string(name) == "HEAPAGENT_ENABLED" ? parsed.config.enabled : parsed.config.native_enabled;
      EXPECT_EQ(field, value);
      ExpectDefaultsExcept(parsed.config, std::string(name) == "HEAPAGENT_ENABLED" ? "enabled" : "native_enabled");
    }
  }
}

TEST(ParseConfigTest, JsSettings) {
  const Parsed parsed = Parse({{"HEAPAGENT_JS", "off"}, {"HEAPAGENT_JS_INTERVAL", "64KiB"}});
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_FALSE(parsed.config.js_enabled);
  EXPECT_EQ(parsed.config.js_interval, 65536u);
  EXPECT_EQ(Parse({{"HEAPAGENT_JS_INTERVAL", "1k"}}).config.js_interval, 1024u);
  EXPECT_EQ(Parse({{"HEAPAGENT_JS_MODE", "cdp"}}).config.js_mode, Config::JsMode::kCdp);
  EXPECT_EQ(Parse({{"HEAPAGENT_JS_MODE", "direct"}}).config.js_mode, Config::JsMode::kDirect);
  EXPECT_EQ(Parse({{"HEAPAGENT_JS_MODE", "auto"}}).config.js_mode, Config::JsMode::kAuto);
  EXPECT_TRUE(Parse({}).config.js_read_tree);
  EXPECT_FALSE(Parse({{"HEAPAGENT_JS_READ_TREE", "0"}}).config.js_read_tree);
  const Parsed bad = Parse({{"HEAPAGENT_JS_READ_TREE", "sometimes"}});
  EXPECT_TRUE(bad.config.js_read_tree);
  EXPECT_EQ(bad.problems.size(), 1u);
}

TEST(ParseConfigTest, AllocatorSettings) {
  for (const char* jemalloc : {"jemalloc", "JeMalloc", " jemalloc "}) {
    const Parsed parsed = Parse({{"HEAPAGENT_ALLOCATOR", jemalloc}});
    EXPECT_TRUE(parsed.problems.empty()) << jemalloc;
    EXPECT_EQ(parsed.config.allocator, Config::Allocator::kJemalloc) << jemalloc;
    ExpectDefaultsExcept(parsed.config, "allocator");
  }
  for (const char* system : {"system", "glibc"}) {
    EXPECT_EQ(Parse({{"HEAPAGENT_ALLOCATOR", system}}).config.allocator, Config::Allocator::kSystem) << system;
  }
  const Parsed path = Parse({{"HEAPAGENT_ALLOCATOR", "jemalloc"}, {"HEAPAGENT_JEMALLOC_PATH", "/opt/je/libjemalloc.so"}});
  EXPECT_EQ(path.config.jemalloc_path, "/opt/je/libjemalloc.so");
}

TEST(ParseConfigTest, NativeIntervalForms) {
  const std::vector<std::pair<std::string, uint64_t>> forms = {
      {"524288", 524288},  {"4096", 4096},       {"4096b", 4096},          {"512k", 524288},  {"512K", 524288},
      {"512kb", 524288},   {"512KiB", 524288},   {"512 KiB", 524288},      {"1m", 1048576},   {"1MiB", 1048576},
      {"1mb", 1048576},    {"0.5k", 512},        {"1.5m", 1572864},        {" 64k ", 65536},  {"1", 1},
      {"1g", 1073741824},  {"1GiB", 1073741824}, {"1073741824", 1073741824}};
  for (const auto& [text, bytes] : forms) {
    SCOPED_TRACE("HEAPAGENT_NATIVE_INTERVAL=" + text);
    const Parsed parsed = Parse({{"HEAPAGENT_NATIVE_INTERVAL", text}});
    EXPECT_TRUE(parsed.problems.empty());
    EXPECT_EQ(parsed.config.native_interval, bytes);
    ExpectDefaultsExcept(parsed.config, "native_interval");
  }
}

TEST(ParseConfigTest, StackDepthForms) {
  for (const auto& [text, depth] : std::vector<std::pair<std::string, int>>{{"1", 1}, {"256", 256}, {" 32 ", 32}, {"064", 64}}) {
    SCOPED_TRACE(text);
    const Parsed parsed = Parse({{"HEAPAGENT_STACK_DEPTH", text}});
    EXPECT_TRUE(parsed.problems.empty());
    EXPECT_EQ(parsed.config.stack_depth, depth);
    ExpectDefaultsExcept(parsed.config, "stack_depth");
  }
}

TEST(ParseConfigTest, PeriodForms) {
  const std::vector<std::pair<std::string, double>> forms = {
      {"60", 60},   {"1.5", 1.5},   {"500ms", 0.5}, {"2m", 120},  {"2min", 120},     {"10s", 10},
      {"1h", 3600}, {"0.2", 0.2},   {"200ms", 0.2}, {"24h", 86400}, {"86400", 86400}, {" 10 S ", 10}};
  for (const auto& [text, seconds] : forms) {
    SCOPED_TRACE("HEAPAGENT_PERIOD=" + text);
    const Parsed parsed = Parse({{"HEAPAGENT_PERIOD", text}});
    EXPECT_TRUE(parsed.problems.empty());
    EXPECT_DOUBLE_EQ(parsed.config.period_seconds, seconds);
    ExpectDefaultsExcept(parsed.config, "period_seconds");
  }
}

TEST(ParseConfigTest, MaxFilesForms) {
  for (const auto& [text, count] : std::vector<std::pair<std::string, int>>{{"1", 1}, {"5", 5}, {"1000000", 1000000}}) {
    SCOPED_TRACE(text);
    const Parsed parsed = Parse({{"HEAPAGENT_MAX_FILES", text}});
    EXPECT_TRUE(parsed.problems.empty());
    EXPECT_EQ(parsed.config.max_files, count);
    ExpectDefaultsExcept(parsed.config, "max_files");
  }
}

TEST(ParseConfigTest, LogLevelForms) {
  const std::vector<std::pair<std::string, LogLevel>> forms = {
      {"off", LogLevel::kOff},   {"none", LogLevel::kOff},     {"0", LogLevel::kOff},     {"error", LogLevel::kError},
      {"warn", LogLevel::kWarn}, {"warning", LogLevel::kWarn}, {"info", LogLevel::kInfo}, {"1", LogLevel::kInfo},
      {"debug", LogLevel::kDebug}, {"DEBUG", LogLevel::kDebug}, {" Info ", LogLevel::kInfo}};
  for (const auto& [text, level] : forms) {
    SCOPED_TRACE("HEAPAGENT_LOG=" + text);
    const Parsed parsed = Parse({{"HEAPAGENT_LOG", text}});
    EXPECT_TRUE(parsed.problems.empty());
    EXPECT_EQ(parsed.config.log_level, level);
    ExpectDefaultsExcept(parsed.config, "log_level");
  }
}

TEST(ParseConfigTest, FreeFormStringsAreTakenVerbatim) {
  const Parsed parsed = Parse({{"HEAPAGENT_OUTPUT_DIR", "/var/tmp/profiles dir"},
                               {"HEAPAGENT_PROCESS", "python*, node"},
                               {"HEAPAGENT_SERVICE", "checkout api"}});
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.config.output_dir, "/var/tmp/profiles dir");
  EXPECT_EQ(parsed.config.processes, "python*, node");
  EXPECT_EQ(parsed.config.service, "checkout api");  // sanitised later, by ServiceName
}

TEST(ParseConfigTest, ServiceFallsBackToDdService) {
  EXPECT_EQ(Parse({{"DD_SERVICE", "dd-name"}}).config.service, "dd-name");
  EXPECT_EQ(Parse({{"HEAPAGENT_SERVICE", "own"}, {"DD_SERVICE", "dd-name"}}).config.service, "own");
  // An empty HEAPAGENT_SERVICE is unset, so DD_SERVICE still applies.
  EXPECT_EQ(Parse({{"HEAPAGENT_SERVICE", ""}, {"DD_SERVICE", "dd-name"}}).config.service, "dd-name");
  EXPECT_EQ(Parse({}).config.service, "");
}

TEST(ParseConfigTest, OutputDirGivenExplicitly) {
  const Parsed parsed = Parse({{"HEAPAGENT_OUTPUT_DIR", "/tmp/p"}});
  EXPECT_TRUE(parsed.config.output_dir_set);
  EXPECT_FALSE(Parse({{"HEAPAGENT_OUTPUT_DIR", ""}}).config.output_dir_set);
}

TEST(ParseConfigTest, IdentityFallsBackToDatadogVariables) {
  Parsed parsed = Parse({{"DD_ENV", "staging"}, {"DD_VERSION", "1.2.3"}, {"DD_TAGS", "team:mem"}});
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.config.env, "staging");
  EXPECT_EQ(parsed.config.version, "1.2.3");
  EXPECT_EQ(parsed.config.tags, "team:mem");
  parsed = Parse({{"DD_ENV", "staging"}, {"HEAPAGENT_ENV", "prod"}, {"HEAPAGENT_VERSION", "2"},
                  {"DD_VERSION", "1"}, {"HEAPAGENT_TAGS", "a:b"}, {"DD_TAGS", "c:d"}});
  EXPECT_EQ(parsed.config.env, "prod");
  EXPECT_EQ(parsed.config.version, "2");
  EXPECT_EQ(parsed.config.tags, "a:b");
  ExpectDefaultsExcept(parsed.config, "identity");
}

TEST(ParseConfigTest, Pyroscope) {
  const Parsed parsed = Parse({{"HEAPAGENT_PYROSCOPE_URL", "http://pyroscope:4040/"},
                               {"HEAPAGENT_PYROSCOPE_USER", "123"},
                               {"HEAPAGENT_PYROSCOPE_PASSWORD", "secret"},
                               {"HEAPAGENT_PYROSCOPE_TOKEN", "tok"},
                               {"HEAPAGENT_PYROSCOPE_TENANT", "team-a"}});
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.config.pyroscope_url, "http://pyroscope:4040");  // no trailing slash
  EXPECT_EQ(parsed.config.pyroscope_user, "123");
  EXPECT_EQ(parsed.config.pyroscope_password, "secret");
  EXPECT_EQ(parsed.config.pyroscope_token, "tok");
  EXPECT_EQ(parsed.config.pyroscope_tenant, "team-a");
  EXPECT_TRUE(parsed.config.any_backend());
  ExpectDefaultsExcept(parsed.config, "pyroscope");
  EXPECT_EQ(Parse({{"HEAPAGENT_PYROSCOPE_URL", "https://p.example/prefix"}}).config.pyroscope_url,
            "https://p.example/prefix");
}

TEST(ParseConfigTest, DatadogAgentAddressLikeDdTrace) {
  EXPECT_TRUE(Parse({{"HEAPAGENT_DATADOG", "1"}}).config.datadog_enabled);
  EXPECT_EQ(Parse({{"DD_AGENT_HOST", "dd-agent"}}).config.datadog_agent_url, "http://dd-agent:8126");
  EXPECT_EQ(Parse({{"DD_AGENT_HOST", "10.0.0.1"}, {"DD_TRACE_AGENT_PORT", "9126"}}).config.datadog_agent_url,
            "http://10.0.0.1:9126");
  EXPECT_EQ(Parse({{"DD_AGENT_HOST", "::1"}}).config.datadog_agent_url, "http://[::1]:8126");
  // DD_TRACE_AGENT_URL wins over host and port.
  EXPECT_EQ(Parse({{"DD_TRACE_AGENT_URL", "http://agent:1234"}, {"DD_AGENT_HOST", "x"}}).config.datadog_agent_url,
            "http://agent:1234");
  EXPECT_EQ(Parse({{"DD_TRACE_AGENT_URL", "unix:///var/run/datadog/apm.socket"}}).config.datadog_agent_url,
            "unix:///var/run/datadog/apm.socket");
}

TEST(ParseConfigTest, UploadLimits) {
  const Parsed parsed = Parse({{"HEAPAGENT_UPLOAD_QUEUE_BYTES", "64KiB"}, {"HEAPAGENT_UPLOAD_TIMEOUT", "500ms"}});
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.config.upload_queue_bytes, 65536u);
  EXPECT_DOUBLE_EQ(parsed.config.upload_timeout_seconds, 0.5);
}

// --- Bad values ------------------------------------------------------------

struct BadValue {
  std::string name;
  std::string value;
};

void PrintTo(const BadValue& bad, std::ostream* out) { *out << bad.name << "=" << bad.value; }

class BadValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(BadValueTest, YieldsOneProblemNamingTheVariableAndKeepsTheDefault) {
  const BadValue& bad = GetParam();
  const Parsed parsed = Parse({{bad.name, bad.value}});
  ASSERT_EQ(parsed.problems.size(), 1u);
  const std::string& problem = parsed.problems[0];
  EXPECT_EQ(problem.rfind(bad.name + "=", 0), 0u) << problem;
  EXPECT_NE(problem.find("'" + bad.value + "'"), std::string::npos) << "quotes the value: " << problem;
  EXPECT_NE(problem.find("; using "), std::string::npos) << "says what is used instead: " << problem;
  // No field at all changes: the variable's own field keeps its default.
  ExpectDefaultsExcept(parsed.config);
}

INSTANTIATE_TEST_SUITE_P(
    AllVariables, BadValueTest,
    ::testing::Values(
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "abc"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "0"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "-1"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "2GiB"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "1073741825"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "1.5"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "1e3"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "0x100"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "512 KiB x"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "512q"},
        BadValue{"HEAPAGENT_NATIVE_INTERVAL", "99999999999999999999999"},
        BadValue{"HEAPAGENT_JS", "maybe"},
        BadValue{"HEAPAGENT_JS_MODE", "fast"},
        BadValue{"HEAPAGENT_ALLOCATOR", "tcmalloc"},
        BadValue{"HEAPAGENT_ALLOCATOR", "jemalloc2"},
        BadValue{"HEAPAGENT_JS_MODE", "CDP "},
        BadValue{"HEAPAGENT_JS_INTERVAL", "512"},
        BadValue{"HEAPAGENT_JS_INTERVAL", "2GiB"},
        BadValue{"HEAPAGENT_JS_INTERVAL", "x"},
        BadValue{"HEAPAGENT_PERIOD", "-5"},
        BadValue{"HEAPAGENT_PERIOD", "0"},
        BadValue{"HEAPAGENT_PERIOD", "abc"},
        BadValue{"HEAPAGENT_PERIOD", "100000"},
        BadValue{"HEAPAGENT_PERIOD", "0.1"},
        BadValue{"HEAPAGENT_PERIOD", "199ms"},
        BadValue{"HEAPAGENT_PERIOD", "25h"},
        BadValue{"HEAPAGENT_PERIOD", "1d"},
        BadValue{"HEAPAGENT_PERIOD", "10 s s"},
        BadValue{"HEAPAGENT_STACK_DEPTH", "0"},
        BadValue{"HEAPAGENT_STACK_DEPTH", "300"},
        BadValue{"HEAPAGENT_STACK_DEPTH", "257"},
        BadValue{"HEAPAGENT_STACK_DEPTH", "x"},
        BadValue{"HEAPAGENT_STACK_DEPTH", "-3"},
        BadValue{"HEAPAGENT_STACK_DEPTH", "1.5"},
        BadValue{"HEAPAGENT_STACK_DEPTH", "99999999999999999999"},
        BadValue{"HEAPAGENT_MAX_FILES", "0"},
        BadValue{"HEAPAGENT_MAX_FILES", "-1"},
        BadValue{"HEAPAGENT_MAX_FILES", "1000001"},
        BadValue{"HEAPAGENT_MAX_FILES", "ten"},
        BadValue{"HEAPAGENT_MAX_FILES", "4294967297"},  // would wrap to 1 as a 32-bit int
        BadValue{"HEAPAGENT_LOG", "loud"},
        BadValue{"HEAPAGENT_LOG", "2"},
        BadValue{"HEAPAGENT_ENABLED", "maybe"},
        BadValue{"HEAPAGENT_ENABLED", "2"},
        BadValue{"HEAPAGENT_NATIVE", "nah"},
        BadValue{"HEAPAGENT_NATIVE", "yes please"},
        BadValue{"HEAPAGENT_PYROSCOPE_URL", "pyroscope:4040"},
        BadValue{"HEAPAGENT_PYROSCOPE_URL", "ftp://x"},
        BadValue{"HEAPAGENT_PYROSCOPE_URL", "http://"},
        BadValue{"HEAPAGENT_PYROSCOPE_URL", "http://a b"},
        BadValue{"HEAPAGENT_DATADOG", "maybe"},
        BadValue{"DD_TRACE_AGENT_URL", "agent:8126"},
        BadValue{"DD_TRACE_AGENT_URL", "unix://"},
        BadValue{"DD_AGENT_HOST", "http://x"},
        BadValue{"DD_AGENT_HOST", "a b"},
        BadValue{"DD_TRACE_AGENT_PORT", "0"},
        BadValue{"DD_TRACE_AGENT_PORT", "65536"},
        BadValue{"DD_TRACE_AGENT_PORT", "x"},
        BadValue{"HEAPAGENT_UPLOAD_QUEUE_BYTES", "1k"},
        BadValue{"HEAPAGENT_UPLOAD_QUEUE_BYTES", "2GiB"},
        BadValue{"HEAPAGENT_UPLOAD_QUEUE_BYTES", "lots"},
        BadValue{"HEAPAGENT_UPLOAD_TIMEOUT", "50ms"},
        BadValue{"HEAPAGENT_UPLOAD_TIMEOUT", "10m"},
        BadValue{"HEAPAGENT_UPLOAD_TIMEOUT", "x"}));

TEST(ParseConfigTest, EveryBadVariableIsReportedSeparately) {
  const Parsed parsed = Parse({{"HEAPAGENT_NATIVE_INTERVAL", "abc"},
                               {"HEAPAGENT_PERIOD", "-5"},
                               {"HEAPAGENT_STACK_DEPTH", "300"},
                               {"HEAPAGENT_MAX_FILES", "0"},
                               {"HEAPAGENT_LOG", "loud"},
                               {"HEAPAGENT_ENABLED", "maybe"},
                               {"HEAPAGENT_NATIVE", "nah"},
                               {"HEAPAGENT_SERVICE", "fine"}});
  ASSERT_EQ(parsed.problems.size(), 7u);
  std::set<std::string> named;
  for (const std::string& problem : parsed.problems) named.insert(problem.substr(0, problem.find('=')));
  EXPECT_EQ(named.size(), 7u);
  EXPECT_EQ(parsed.config.service, "fine");
  ExpectDefaultsExcept(parsed.config, "service");
}

TEST(ParseConfigTest, ProblemLinesStayShortAndPrintable) {
  // The line goes to the app's stderr: a huge or binary value must not flood
  // it or emit control characters.
  const std::string long_value(10000, 'z');
  const std::string binary_value = "12\x01\x1b[31m";
  for (const std::string& value : {long_value, binary_value}) {
    const Parsed parsed = Parse({{"HEAPAGENT_STACK_DEPTH", value}});
    ASSERT_EQ(parsed.problems.size(), 1u);
    const std::string& problem = parsed.problems[0];
    EXPECT_LT(problem.size(), 250u);
    for (char c : problem) EXPECT_TRUE(std::isprint(static_cast<unsigned char>(c))) << int(c);
  }
}

// --- The individual parsers --------------------------------------------------

TEST(ParseByteSizeTest, AcceptsNumbersWithBinaryUnits) {
  EXPECT_EQ(ParseByteSize("0"), 0u);  // range checks are the caller's
  EXPECT_EQ(ParseByteSize("4096"), 4096u);
  EXPECT_EQ(ParseByteSize("  4096\t"), 4096u);
  EXPECT_EQ(ParseByteSize("1k"), 1024u);
  EXPECT_EQ(ParseByteSize("1KB"), 1024u);
  EXPECT_EQ(ParseByteSize("1kib"), 1024u);
  EXPECT_EQ(ParseByteSize("1.5k"), 1536u);
  EXPECT_EQ(ParseByteSize(".5k"), 512u);
  EXPECT_EQ(ParseByteSize("3g"), 3ull << 30);
  EXPECT_EQ(ParseByteSize("16777216g"), 1ull << 54);
  EXPECT_EQ(ParseByteSize("9000000000000000000"), 9000000000000000000ull);  // largest accepted
}

TEST(ParseByteSizeTest, RejectsGarbageFractionsAndOverflow) {
  for (const char* text : {"", " ", "k", "abc", "-1", "+1", "4096x", "12 34", "1e3", "0x10", "1..5k", "1.5.2",
                           "1.25", "0.3k", "1t", "1 k b", "10000000000000000000",
                           "8589934592g", "18446744073709551616"}) {
    EXPECT_EQ(ParseByteSize(text), std::nullopt) << "'" << text << "'";
  }
  EXPECT_EQ(ParseByteSize(std::string(400, '9')), std::nullopt);
}

// Integers above 2^53 must not be rounded through a double.
TEST(ParseByteSizeTest, LargeIntegersAreExactOrRejected) {
  const std::optional<uint64_t> parsed = ParseByteSize("9007199254740993");
  if (parsed.has_value()) {
    EXPECT_EQ(*parsed, 9007199254740993ull);
  }
}

TEST(ParseDurationTest, AcceptsSecondsAndUnits) {
  EXPECT_EQ(ParseDuration("60"), 60.0);
  EXPECT_EQ(ParseDuration("1.5"), 1.5);
  EXPECT_EQ(ParseDuration("500ms"), 0.5);
  EXPECT_EQ(ParseDuration("10s"), 10.0);
  EXPECT_EQ(ParseDuration("2m"), 120.0);
  EXPECT_EQ(ParseDuration("2MIN"), 120.0);
  EXPECT_EQ(ParseDuration("1h"), 3600.0);
  EXPECT_EQ(ParseDuration(" 3 s "), 3.0);
  EXPECT_EQ(ParseDuration("0"), 0.0);
}

TEST(ParseDurationTest, RejectsGarbageAndOverflow) {
  for (const char* text : {"", "s", "abc", "-5", "+5", "10x", "1e2", "10 s s", "1d", "1..2", "inf", "nan", "ms5"}) {
    EXPECT_EQ(ParseDuration(text), std::nullopt) << "'" << text << "'";
  }
  EXPECT_EQ(ParseDuration(std::string(400, '9')), std::nullopt);  // beyond double
}

// A finite number times the unit's scale can overflow to +inf.
TEST(ParseDurationTest, UnitScalingOverflowIsRejected) {
  const std::optional<double> parsed = ParseDuration("1" + std::string(308, '0') + "h");
  EXPECT_TRUE(!parsed.has_value() || std::isfinite(*parsed)) << *parsed;
}

TEST(ParseIntegerTest, EdgeCases) {
  EXPECT_EQ(ParseInteger("42"), 42);
  EXPECT_EQ(ParseInteger(" -7 "), -7);
  EXPECT_EQ(ParseInteger("007"), 7);
  EXPECT_EQ(ParseInteger("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseInteger("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  for (const char* text : {"", "  ", "9223372036854775808", "-9223372036854775809", "12abc", "1 2", "0x10", "1.0",
                           "+5", "-", "1e3"}) {
    EXPECT_EQ(ParseInteger(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(ParseBooleanTest, FormsAndRejections) {
  for (const char* text : {"1", "true", "yes", "on", "TRUE", "Yes", " on "}) EXPECT_EQ(ParseBoolean(text), true) << text;
  for (const char* text : {"0", "false", "no", "off", "FALSE", "No", "\toff\n"}) EXPECT_EQ(ParseBoolean(text), false) << text;
  for (const char* text : {"", "2", "tru", "yes!", "y", "n", "enable", "o n"}) {
    EXPECT_EQ(ParseBoolean(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(ParseLogLevelTest, FormsAndRejections) {
  EXPECT_EQ(ParseLogLevel("Warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel(" error "), LogLevel::kError);
  for (const char* text : {"", "2", "verbose", "trace", "errors", "in fo"}) {
    EXPECT_EQ(ParseLogLevel(text), std::nullopt) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace heapagent
