// cli/leak_finder on synthetic series of JS-heap profiles: it names the
// leaking function (with its file) first, and nothing on processes that only
// warm up, fill a bounded cache, or churn.
#include "cli/leak_finder.h"

#include <gtest/gtest.h>

#include <random>

#include "test_profiles.h"

namespace heapagent::cli {
namespace {

using testing::JsProfile;
using testing::JsSite;

constexpr int64_t kMinute = 60'000'000'000;

// Eight profiles, 30 s apart, of the sites `at(period)` returns.
template <typename SitesAt>
std::vector<ProfileSeries> Series(SitesAt at, int periods = 8) {
  ProfileSeries series;
  series.kind = HeapKind::kJs;
  series.pid = 42;
  for (int i = 0; i < periods; ++i) {
    LoadedProfile profile;
    profile.path = "svc-42-js-" + std::to_string(i) + ".pb.gz";
    profile.kind = HeapKind::kJs;
    profile.data = JsProfile(at(i), 1'700'000'000'000'000'000 + i * kMinute / 2);
    series.profiles.push_back(std::move(profile));
  }
  return {series};
}

TEST(LeakFinderTest, NamesTheLeakingFunctionFirst) {
  std::mt19937 random(7);
  std::normal_distribution<double> jitter(0, 1 << 17);
  const auto report = FindLeaks(Series([&](int i) {
    const double leaked = (i + 1) * double(2 << 20);
    return std::vector<JsSite>{
        {"axiosRetry", "file:///app/retry.js", leaked, i * double(2 << 20), "handleRequest"},
        {"slowLeak", "file:///app/slow.js", 4e6 + i * 3e5, 4e6 + (i - 1) * 3e5},
        {"renderPage", "file:///app/render.js", 8e6 + jitter(random), 0},
        {"loadConfig", "file:///app/config.js", 3e6, 3e6},
    };
  }));
  ASSERT_GE(report.suspects.size(), 1u);
  const LeakSuspect& top = report.suspects[0];
  EXPECT_EQ(top.site.function, "axiosRetry");
  EXPECT_EQ(top.site.file, "file:///app/retry.js");
  EXPECT_EQ(top.kind, HeapKind::kJs);
  EXPECT_NEAR(top.growth.rate_per_minute, 4 << 20, 1 << 20);  // 2 MiB per 30 s
  EXPECT_GT(top.growth.confidence, 0.7);
  ASSERT_EQ(top.stack.size(), 2u);
  EXPECT_EQ(top.stack[1].function, "handleRequest");
  for (const LeakSuspect& s : report.suspects) {
    EXPECT_NE(s.site.function, "renderPage");
    EXPECT_NE(s.site.function, "loadConfig");
    EXPECT_NE(s.site.function, "(external)");
  }
  ASSERT_EQ(report.timelines.size(), 1u);
  EXPECT_EQ(report.timelines[0].in_use_bytes.size(), 8u);
  EXPECT_NEAR(report.timelines[0].minutes.back(), 3.5, 1e-9);
}

TEST(LeakFinderTest, NothingOnControls) {
  std::mt19937 random(8);
  std::normal_distribution<double> jitter(0, 1 << 18);
  const auto report = FindLeaks(Series([&](int i) {
    const double cache = std::min(i, 2) * double(3 << 20);  // bounded: full after two periods
    return std::vector<JsSite>{
        {"lruStore", "file:///app/lru.js", cache, std::min(i - 1, 2) * double(3 << 20) * (i > 0)},
        {"warmUp", "file:///app/boot.js", i == 0 ? 1e6 : 6e6, i > 1 ? 6e6 : 0},
        {"churn", "file:///app/churn.js", 5e6 + jitter(random), 0},
    };
  }));
  EXPECT_TRUE(report.suspects.empty()) << report.suspects[0].site.function;
  EXPECT_TRUE(report.notes.empty());
}

TEST(LeakFinderTest, TooFewProfilesGiveANoteNotASuspect) {
  const auto report = FindLeaks(Series([](int i) {
    return std::vector<JsSite>{{"leak", "file:///a.js", (i + 1) * 4e6, i * 4e6}};
  }, 3));
  EXPECT_TRUE(report.suspects.empty());
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_NE(report.notes[0].find("at least"), std::string::npos);
}

}  // namespace
}  // namespace heapagent::cli
