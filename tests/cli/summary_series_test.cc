// The heap summary series in the CLI: reading the agent's JSON lines (and
// skipping what is not one), finding both generations of a process's file,
// and the leak finder weighing suspects against the whole process.
#include "cli/summary_series.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli/leak_finder.h"
#include "cli/profile_files.h"
#include "test_profiles.h"

namespace heapagent::cli {
namespace {

using testing::JsProfile;
using testing::JsSite;

constexpr int64_t kStart = 1'700'000'000'000'000'000;
constexpr int64_t kHalfMinute = 30'000'000'000;

std::string Line(int seq, double rss, double heap, double native, bool final = false, double external = -1) {
  const int64_t unix_ms = (kStart + seq * kHalfMinute) / 1'000'000;
  return "{\"seq\":" + std::to_string(seq) + ",\"unix_ms\":" + std::to_string(unix_ms) +
         (external >= 0 ? ",\"v8_external_bytes\":" + std::to_string(int64_t(external)) : std::string()) +
         ",\"final\":" + (final ? "true" : "false") + ",\"rss_bytes\":" + std::to_string(int64_t(rss)) +
         ",\"v8_heap_used_bytes\":" + std::to_string(int64_t(heap)) + ",\"v8_array_buffers_bytes\":null" +
         ",\"allocator_in_use_bytes\":" + std::to_string(int64_t(native)) + "}\n";
}

TEST(SummarySeriesTest, ReadsRecordsAndSkipsWhatIsNotOne) {
  SummarySeries series;
  ParseSummaryLines(Line(1, 3e7, 2e7, 1e7) + "not json\n" + Line(0, 2e7, 1e7, 5e6) + "{\"seq\":2}\n" +
                        Line(1, 3e7, 2e7, 1e7) + "\n" + "{\"seq\":3,\"unix_ms\":17",
                    &series);
  OrderSummaryRecords(&series);
  ASSERT_EQ(series.records.size(), 2u);
  EXPECT_EQ(series.skipped_lines, 3u);  // not JSON, no time, unterminated
  EXPECT_EQ(series.records[0].seq, 0u);
  EXPECT_EQ(series.records[1].seq, 1u);
  EXPECT_EQ(*series.records[1].rss_bytes, 3e7);
  EXPECT_EQ(*series.records[1].v8_heap_used_bytes, 2e7);
  EXPECT_EQ(*series.records[1].allocator_in_use_bytes, 1e7);
  EXPECT_FALSE(series.records[1].v8_array_buffers_bytes);  // null stays unknown
  EXPECT_FALSE(series.records[1].sampled_js_in_use_bytes);  // absent too
}

TEST(SummarySeriesTest, FindsBothGenerationsOfOneProcess) {
  char pattern[] = "/tmp/heapagent-cli-summary-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string directory = pattern;
  std::ofstream(directory + "/svc-a-42-summary.jsonl") << Line(2, 3, 3, 3) << Line(3, 4, 4, 4);
  std::ofstream(directory + "/svc-a-42-summary.1.jsonl") << Line(0, 1, 1, 1) << Line(1, 2, 2, 2);
  std::ofstream(directory + "/svc-a-43-summary.jsonl") << Line(0, 9, 9, 9);
  EXPECT_EQ(ParseSummaryFileName("svc-a-42-summary.1.jsonl")->generation, 1);
  EXPECT_EQ(ParseSummaryFileName("svc-a-42-summary.jsonl")->service, "svc-a");
  EXPECT_FALSE(ParseSummaryFileName("svc-42-native-000001.pb.gz"));
  EXPECT_FALSE(ParseSummaryFileName("-summary.jsonl"));
  const auto series = LoadSummarySeries(directory, 42);
  ASSERT_TRUE(series);
  ASSERT_EQ(series->records.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(*series->records[i].rss_bytes, i + 1);
  EXPECT_FALSE(LoadSummarySeries(directory, 44));
  std::filesystem::remove_all(directory);
}

// Eight JS profiles in which one site grows 2 MiB per 30 s.
std::vector<ProfileSeries> GrowingSite() {
  ProfileSeries series;
  series.kind = HeapKind::kJs;
  series.pid = 42;
  for (int i = 0; i < 8; ++i) {
    LoadedProfile profile;
    profile.path = "svc-42-js-" + std::to_string(i) + ".pb.gz";
    profile.kind = HeapKind::kJs;
    const double leaked = (i + 1) * double(2 << 20);
    profile.data = JsProfile({{"axiosRetry", "file:///app/retry.js", leaked, i * double(2 << 20)}},
                             kStart + i * kHalfMinute);
    series.profiles.push_back(std::move(profile));
  }
  return {series};
}

SummarySeries Summary(double heap_growth_per_period, double external_growth_per_period = -1, double noise = 3e5) {
  SummarySeries summary;
  std::string text;
  for (int i = 0; i < 8; ++i) {
    const double wobble = (i % 2 ? 1 : -1) * noise;
    const double external = external_growth_per_period < 0 ? -1 : 1e6 + i * external_growth_per_period;
    text += Line(i, 8e7 + i * heap_growth_per_period + wobble, 3e7 + i * heap_growth_per_period + wobble, 2e7, false,
                 external);
  }
  text += Line(8, 5e7, 1e7, 1e7, true);  // taken while node tears down: left out
  ParseSummaryLines(text, &summary);
  return summary;
}

TEST(LeakFinderWithSummaryTest, AGrowingProcessKeepsTheSuspectAndSaysHowMuchItExplains) {
  const SummarySeries summary = Summary(double(2 << 20));
  const LeakReport report = FindLeaks(GrowingSite(), {}, &summary);
  ASSERT_EQ(report.suspects.size(), 1u);
  EXPECT_FALSE(report.suspects[0].unseen_in_process);
  ASSERT_EQ(report.process.size(), 3u);
  EXPECT_EQ(report.process[0].name, "RSS");
  EXPECT_EQ(report.process[0].bytes.size(), 8u);  // the final record is left out
  EXPECT_NEAR(report.process[0].minutes[1] - report.process[0].minutes[0], 0.5, 1e-6);
  EXPECT_TRUE(report.process[1].grows);   // V8 heap used
  EXPECT_FALSE(report.process[2].grows);  // native heap, flat
  std::string notes;
  for (const std::string& note : report.notes) notes += note + "\n";
  EXPECT_NE(notes.find("V8 heap used"), std::string::npos) << notes;
  EXPECT_NE(notes.find("of the V8 heap used's growth"), std::string::npos) << notes;
}

TEST(LeakFinderWithSummaryTest, AFlatProcessSetsTheSuspectAside) {
  const SummarySeries summary = Summary(0);
  const LeakReport without = FindLeaks(GrowingSite());
  ASSERT_EQ(without.suspects.size(), 1u);
  LeakOptions options;
  options.min_confidence = without.suspects[0].growth.confidence * 0.75;  // halving drops it
  const LeakReport flat = FindLeaks(GrowingSite(), options, &summary);
  EXPECT_TRUE(flat.suspects.empty());
  std::string notes;
  for (const std::string& note : flat.notes) notes += note + "\n";
  EXPECT_NE(notes.find("heaps stay flat"), std::string::npos) << notes;
  EXPECT_NE(notes.find("no longer a suspect"), std::string::npos) << notes;

  options.min_confidence = 0.01;
  const LeakReport kept = FindLeaks(GrowingSite(), options, &summary);
  ASSERT_EQ(kept.suspects.size(), 1u);
  EXPECT_TRUE(kept.suspects[0].unseen_in_process);
  EXPECT_NEAR(kept.suspects[0].growth.confidence, without.suspects[0].growth.confidence / 2, 1e-9);
}

TEST(LeakFinderWithSummaryTest, AJsSiteHoldingBuffersIsJudgedWithExternalMemory) {
  // The V8 heap stays flat, but the JS site's growth is off-heap (Buffers it
  // allocates): V8 heap + external grows with it, so it stays a suspect.
  const SummarySeries summary = Summary(0, double(2 << 20));
  const LeakReport report = FindLeaks(GrowingSite(), {}, &summary);
  ASSERT_EQ(report.suspects.size(), 1u);
  EXPECT_FALSE(report.suspects[0].unseen_in_process);
  ASSERT_EQ(report.process.size(), 4u);
  EXPECT_FALSE(report.process[3].plotted);
  ASSERT_FALSE(report.notes.empty());
  const std::string& figures = report.notes[0];
  EXPECT_EQ(figures.rfind("process (heap summary)", 0), 0u) << figures;
  EXPECT_EQ(figures.find("V8 heap used + external"), std::string::npos) << "only plotted figures listed: " << figures;
}

TEST(LeakFinderWithSummaryTest, ASmallSteadyDriftIsNotGrowth) {
  // +100 KB per period on an 80 MB process: significant, but not material.
  const SummarySeries summary = Summary(1e5, -1, 0);
  const LeakReport report = FindLeaks(GrowingSite(), {}, &summary);
  ASSERT_GE(report.process.size(), 2u);
  EXPECT_GT(report.process[1].mann_kendall_z, 1.645);
  EXPECT_FALSE(report.process[1].grows);
}

}  // namespace
}  // namespace heapagent::cli
