// The heap summary's pieces that need no process around them: the JSON line
// (parsed back with simdjson), the bounded summary file, the statm parser,
// the agent's page accounting, and the DogStatsD configuration.
#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "agent/config.h"
#include "agent/heap_summary.h"
#include "agent/process_memory.h"
#include "agent/summary_file.h"
#include "sampling/page_memory.h"

namespace heapagent {
namespace {

simdjson::dom::object Parse(simdjson::dom::parser& parser, const std::string& line) {
  simdjson::dom::object object;
  EXPECT_EQ(parser.parse(line).get(object), simdjson::SUCCESS) << line;
  return object;
}

uint64_t Unsigned(simdjson::dom::object& object, const char* key) {
  uint64_t value = ~uint64_t{0};
  EXPECT_EQ(object[key].get(value), simdjson::SUCCESS) << key;
  return value;
}
int64_t Signed(simdjson::dom::object& object, const char* key) {
  int64_t value = -1;
  EXPECT_EQ(object[key].get(value), simdjson::SUCCESS) << key;
  return value;
}
bool Bool(simdjson::dom::object& object, const char* key) {
  bool value = false;
  EXPECT_EQ(object[key].get(value), simdjson::SUCCESS) << key;
  return value;
}
std::string_view Text(simdjson::dom::object& object, const char* key) {
  std::string_view value;
  EXPECT_EQ(object[key].get(value), simdjson::SUCCESS) << key;
  return value;
}

TEST(HeapSummaryJsonTest, OneLineWithEveryValue) {
  HeapSummary s;
  s.seq = 7;
  s.unix_nanos = 1'700'000'123'456'789'000;
  s.window_start_unix_nanos = 1'700'000'122'000'000'000;
  s.pid = 4242;
  s.rss_bytes = 90 << 20;
  s.v8 = V8HeapFigures{.read_unix_nanos = 1'700'000'123'000'000'000, .source = "direct", .isolates = 2,
                       .heap_used_bytes = 30 << 20, .heap_total_bytes = 40 << 20, .external_bytes = 5 << 20,
                       .array_buffers_bytes = 4 << 20, .sampled_in_use_bytes = 29 << 20, .sampled_sites = 17};
  s.allocator = "glibc";
  s.allocator_in_use_bytes = 20 << 20;
  s.allocator_mapped_bytes = 24 << 20;
  s.sampled_native_in_use_bytes = 19 << 20;
  s.sampled_native_alloc_bytes = 300 << 20;
  s.sampled_native_sites = 12;
  s.agent_tables_mapped_bytes = 12 << 20;
  s.agent_tables_resident_bytes = 1 << 20;
  const std::string line = HeapSummaryJsonLine(s);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  simdjson::dom::parser parser;
  auto object = Parse(parser, line);
  EXPECT_EQ(Unsigned(object, "seq"), 7u);
  EXPECT_EQ(Unsigned(object, "unix_ms"), 1'700'000'123'456u);
  EXPECT_EQ(Unsigned(object, "window_start_unix_ms"), 1'700'000'122'000u);
  EXPECT_FALSE(Bool(object, "final"));
  EXPECT_EQ(Signed(object, "pid"), 4242);
  EXPECT_EQ(Unsigned(object, "rss_bytes"), 90u << 20);
  EXPECT_EQ(Text(object, "v8_source"), "direct");
  EXPECT_EQ(Unsigned(object, "v8_isolates"), 2u);
  EXPECT_EQ(Unsigned(object, "v8_read_unix_ms"), 1'700'000'123'000u);
  EXPECT_EQ(Unsigned(object, "v8_heap_used_bytes"), 30u << 20);
  EXPECT_EQ(Unsigned(object, "v8_heap_total_bytes"), 40u << 20);
  EXPECT_EQ(Unsigned(object, "v8_external_bytes"), 5u << 20);
  EXPECT_EQ(Unsigned(object, "v8_array_buffers_bytes"), 4u << 20);
  EXPECT_EQ(Text(object, "allocator"), "glibc");
  EXPECT_EQ(Unsigned(object, "allocator_in_use_bytes"), 20u << 20);
  EXPECT_EQ(Unsigned(object, "allocator_mapped_bytes"), 24u << 20);
  EXPECT_EQ(Unsigned(object, "sampled_native_in_use_bytes"), 19u << 20);
  EXPECT_EQ(Unsigned(object, "sampled_native_alloc_bytes"), 300u << 20);
  EXPECT_EQ(Unsigned(object, "sampled_native_sites"), 12u);
  EXPECT_EQ(Unsigned(object, "sampled_js_in_use_bytes"), 29u << 20);
  EXPECT_EQ(Unsigned(object, "sampled_js_sites"), 17u);
  EXPECT_EQ(Unsigned(object, "agent_tables_mapped_bytes"), 12u << 20);
  EXPECT_EQ(Unsigned(object, "agent_tables_resident_bytes"), 1u << 20);
}

TEST(HeapSummaryJsonTest, UnknownValuesAreNullNeverZero) {
  HeapSummary s;
  s.seq = 0;
  s.unix_nanos = 1'700'000'000'000'000'000;
  s.is_final = true;
  s.v8 = V8HeapFigures{.source = "cdp", .isolates = 1, .heap_used_bytes = 1000, .heap_total_bytes = {},
                       .external_bytes = {}, .array_buffers_bytes = {}};  // unknown
  const std::string line = HeapSummaryJsonLine(s);
  simdjson::dom::parser parser;
  auto object = Parse(parser, line);
  EXPECT_TRUE(Bool(object, "final"));
  for (const char* key : {"rss_bytes", "v8_heap_total_bytes", "v8_external_bytes", "v8_array_buffers_bytes",
                          "allocator", "allocator_in_use_bytes", "sampled_native_in_use_bytes",
                          "sampled_native_sites", "agent_tables_resident_bytes", "window_start_unix_ms"}) {
    EXPECT_TRUE(object[key].is_null()) << key << " in " << line;
  }
  EXPECT_EQ(Unsigned(object, "v8_heap_used_bytes"), 1000u);

  HeapSummary without_js;
  without_js.unix_nanos = 1;
  auto bare = Parse(parser, HeapSummaryJsonLine(without_js));
  for (const char* key : {"v8_source", "v8_isolates", "v8_heap_used_bytes", "sampled_js_in_use_bytes"}) {
    EXPECT_TRUE(bare[key].is_null()) << key;
  }
}

class SummaryFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/heapagent-summary-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    directory_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string directory_;
};

TEST_F(SummaryFileTest, AppendsLinesToTheNamedFile) {
  SummaryFile file(directory_ + "/sub", "checkout", 4242, 1 << 20, true);
  EXPECT_EQ(file.path(), directory_ + "/sub/checkout-4242-summary.jsonl");
  ASSERT_TRUE(file.Append("{\"seq\":0}\n"));
  ASSERT_TRUE(file.Append("{\"seq\":1}\n"));
  EXPECT_EQ(Read(file.path()), "{\"seq\":0}\n{\"seq\":1}\n");
}

TEST_F(SummaryFileTest, RotatesOnceFullAndKeepsTwoGenerationsAtMost) {
  SummaryFile file(directory_, "svc", 7, 100, true);
  const std::string line(40, 'x');
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(file.Append(line.substr(0, 39) + "\n"));
  // 40-byte lines, 100 bytes a file: two per generation.
  EXPECT_EQ(Read(file.path()).size(), 80u);
  EXPECT_EQ(Read(file.previous_path()).size(), 80u);
  EXPECT_EQ(file.previous_path(), directory_ + "/svc-7-summary.1.jsonl");
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory_)) files += entry.is_regular_file();
  EXPECT_EQ(files, 2u);
}

TEST_F(SummaryFileTest, WithoutAPreviousGenerationTheFullFileIsDropped) {
  SummaryFile file(directory_, "svc", 7, 100, false);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(file.Append(std::string(39, 'a' + i) + "\n"));
  EXPECT_EQ(Read(file.path()), std::string(39, 'e') + "\n");
  EXPECT_FALSE(std::filesystem::exists(file.previous_path()));
}

TEST_F(SummaryFileTest, AnUnwritableDirectoryFailsQuietlyAndRecovers) {
  const std::string blocked = directory_ + "/blocked";
  { std::ofstream(blocked) << "a file where the directory should be"; }
  SummaryFile file(blocked, "svc", 7, 1 << 20, true);
  EXPECT_FALSE(file.Append("{}\n"));
  std::filesystem::remove(blocked);
  EXPECT_TRUE(file.Append("{}\n"));
  EXPECT_EQ(Read(file.path()), "{}\n");
}

TEST(ProcessMemoryTest, ParsesStatm) {
  EXPECT_EQ(ParseStatmResidentBytes("12345 678 90 1 0 200 0\n", 4096), 678u * 4096);
  EXPECT_EQ(ParseStatmResidentBytes("12345 0 0", 4096), 0u);
  EXPECT_FALSE(ParseStatmResidentBytes("12345", 4096));
  EXPECT_FALSE(ParseStatmResidentBytes("12345 x 1", 4096));
  EXPECT_FALSE(ParseStatmResidentBytes("", 4096));
  const auto rss = ReadResidentBytes();
  ASSERT_TRUE(rss);
  EXPECT_GT(*rss, 1u << 20);
}

TEST(AgentPagesTest, CountsMappedAndTouchedPages) {
  const AgentPagesUsage before = MeasureAgentPages();
  constexpr size_t kBytes = 4 << 20;
  auto* pages = static_cast<unsigned char*>(AllocatePages(kBytes));
  ASSERT_NE(pages, nullptr);
  const AgentPagesUsage untouched = MeasureAgentPages();
  EXPECT_EQ(untouched.mapped_bytes, before.mapped_bytes + kBytes);
  for (size_t i = 0; i < (1 << 20); i += 4096) pages[i] = 1;  // 1 MiB touched
  const AgentPagesUsage touched = MeasureAgentPages();
  EXPECT_GE(touched.resident_bytes, untouched.resident_bytes + (1 << 20));
  EXPECT_LT(touched.resident_bytes, before.resident_bytes + (2 << 20));
  FreePages(pages, kBytes);
  EXPECT_EQ(MeasureAgentPages().mapped_bytes, before.mapped_bytes);
}

std::map<std::string, std::string> g_env;
Config ParseWith(std::map<std::string, std::string> env, std::vector<std::string>* problems = nullptr) {
  g_env = std::move(env);
  std::vector<std::string> local;
  return ParseConfig([](const char* name) -> const char* {
    const auto found = g_env.find(name);
    return found == g_env.end() ? nullptr : found->second.c_str();
  }, problems != nullptr ? *problems : local);
}

TEST(DogStatsdConfigTest, OffUnlessAskedFor) {
  EXPECT_FALSE(ParseWith({}).dogstatsd_enabled);
  EXPECT_FALSE(ParseWith({{"DD_AGENT_HOST", "10.0.0.5"}}).dogstatsd_enabled);
  EXPECT_FALSE(ParseWith({{"DD_RUNTIME_METRICS_ENABLED", "false"}, {"DD_DOGSTATSD_PORT", "9125"}}).dogstatsd_enabled);
  EXPECT_FALSE(ParseWith({{"DD_DOGSTATSD_PORT", "9125"}, {"HEAPAGENT_DOGSTATSD", "0"}}).dogstatsd_enabled);
}

TEST(DogStatsdConfigTest, RuntimeMetricsUseTheAgentHost) {
  const Config config = ParseWith({{"DD_RUNTIME_METRICS_ENABLED", "true"}, {"DD_AGENT_HOST", "10.0.0.5"}});
  EXPECT_TRUE(config.dogstatsd_enabled);
  EXPECT_EQ(config.dogstatsd_address.Describe(), "udp://10.0.0.5:8125");
  EXPECT_FALSE(config.dogstatsd_runtime_id);
  EXPECT_EQ(ParseWith({{"DD_RUNTIME_METRICS_ENABLED", "1"}}).dogstatsd_address.Describe(), "udp://127.0.0.1:8125");
}

TEST(DogStatsdConfigTest, AnExplicitAddressTurnsItOn) {
  Config config = ParseWith({{"DD_DOGSTATSD_HOST", "statsd.local"}, {"DD_DOGSTATSD_PORT", "9125"},
                             {"DD_AGENT_HOST", "10.0.0.5"}});
  EXPECT_TRUE(config.dogstatsd_enabled);
  EXPECT_EQ(config.dogstatsd_address.Describe(), "udp://statsd.local:9125");
  config = ParseWith({{"DD_DOGSTATSD_URL", "unix:///var/run/datadog/dsd.socket"}, {"DD_DOGSTATSD_PORT", "9125"}});
  EXPECT_TRUE(config.dogstatsd_enabled);
  EXPECT_EQ(config.dogstatsd_address.kind, DogStatsdAddress::Kind::kUnixDatagram);
  EXPECT_EQ(config.dogstatsd_address.path, "/var/run/datadog/dsd.socket");
  EXPECT_TRUE(ParseWith({{"DD_DOGSTATSD_URL", "udp://[::1]:8126"},
                         {"DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED", "true"}}).dogstatsd_runtime_id);
}

TEST(DogStatsdConfigTest, ParsesUrls) {
  EXPECT_EQ(ParseDogStatsdUrl("udp://127.0.0.1:8125")->Describe(), "udp://127.0.0.1:8125");
  EXPECT_EQ(ParseDogStatsdUrl("udp://agent")->Describe(), "udp://agent:8125");
  EXPECT_EQ(ParseDogStatsdUrl("udp://[::1]:9000")->Describe(), "udp://[::1]:9000");
  EXPECT_EQ(ParseDogStatsdUrl("unixgram:///tmp/dsd.sock")->path, "/tmp/dsd.sock");
  for (const char* bad : {"http://agent:8125", "udp://", "udp://agent:0", "udp://agent:70000", "udp://a b:1",
                          "udp://::1:8125", "unix://relative", "unix:///", "udp://agent:12x"}) {
    EXPECT_FALSE(ParseDogStatsdUrl(bad)) << bad;
  }
}

TEST(DogStatsdConfigTest, BadValuesGiveOneLineEachAndTheDefault) {
  std::vector<std::string> problems;
  const Config config = ParseWith({{"DD_DOGSTATSD_URL", "tcp://x"}, {"DD_DOGSTATSD_PORT", "0"},
                                   {"DD_RUNTIME_METRICS_ENABLED", "maybe"}, {"HEAPAGENT_SUMMARY_MAX_BYTES", "1k"}},
                                  &problems);
  EXPECT_EQ(problems.size(), 4u);
  EXPECT_FALSE(config.dogstatsd_enabled);
  EXPECT_EQ(config.summary_max_bytes, 4u << 20);
  EXPECT_EQ(ParseWith({{"HEAPAGENT_SUMMARY_MAX_BYTES", "64KiB"}}).summary_max_bytes, 64u << 10);
}

}  // namespace
}  // namespace heapagent
