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

// A native profile of node's Buffer allocations whose stacks reach the
// Buffer binding either through V8's API-call machinery (interpreted JS) or
// directly (optimized JS), as in a real process where the caller tiers up.
pprof::ProfileData BufferProfile(double interpreted_bytes, double optimized_bytes, int64_t time_nanos) {
  pprof::ProfileBuilder builder;
  builder.AddSampleType("inuse_objects", "count");
  builder.AddSampleType("inuse_space", "bytes");
  builder.SetPeriodType("space", "bytes", 32768);
  builder.SetTimeNanos(time_nanos);
  const uint64_t node = builder.AddMapping({.memory_start = 0x1000, .memory_limit = 0x9000000, .file_offset = 0,
                                            .filename = "/usr/bin/node", .build_id = "", .has_functions = true});
  uint64_t address = 0x1000;
  auto frame = [&](const char* name) {
    if (name == nullptr) return builder.InternLocation(node, 0x7f0000000000 + (address += 16), {});
    const pprof::LineInfo line{builder.InternFunction(name, name, ""), 0, 0};
    return builder.InternLocation(node, address += 16, {&line, 1});
  };
  const uint64_t leaf = frame("node::NodeArrayBufferAllocator::AllocateUninitialized(unsigned long)");
  const uint64_t binding = frame("node::Buffer::(anonymous namespace)::CreateUnsafeArrayBuffer(v8::FunctionCallbackInfo<v8::Value> const&)");
  const uint64_t call = frame("v8::internal::FunctionCallbackArguments::Call(v8::internal::CallHandlerInfo)");
  const uint64_t api = frame("v8::internal::Builtin_HandleApiCall(int, unsigned long*, v8::internal::Isolate*)");
  const uint64_t centry = frame("Builtins_CEntry_Return1_ArgvOnStack_BuiltinExit");
  const uint64_t jit = frame(nullptr);
  const uint64_t entry = frame("Builtins_JSEntry");
  const uint64_t timers = frame("node::Environment::RunTimers(uv_timer_s*)");
  auto add = [&](std::vector<uint64_t> stack, double bytes) {
    if (bytes > 0) builder.AddSample(stack, std::vector<int64_t>{static_cast<int64_t>(bytes / 2048), static_cast<int64_t>(bytes)});
  };
  add({leaf, binding, call, api, centry, jit, entry, timers}, interpreted_bytes);
  add({leaf, binding, jit, jit, entry, timers}, optimized_bytes);
  std::string error;
  return *pprof::DecodeProfile(builder.Encode(), &error);
}

TEST(LeakFinderTest, NativeSiteIsOneSeriesAcrossTheCallersTierUp) {
  // Retained Buffers: interpreted calls until period 3, optimized after.
  ProfileSeries series;
  series.kind = HeapKind::kNative;
  for (int i = 0; i < 8; ++i) {
    LoadedProfile profile;
    profile.kind = HeapKind::kNative;
    profile.path = "svc-42-native-" + std::to_string(i) + ".pb.gz";
    const double interpreted = std::min(i + 1, 4) * 8e6, optimized = std::max(i - 3, 0) * 8e6;
    profile.data = BufferProfile(interpreted, optimized, 1'700'000'000'000'000'000 + i * kMinute / 2);
    series.profiles.push_back(std::move(profile));
  }
  const auto report = FindLeaks({series});
  ASSERT_EQ(report.suspects.size(), 1u);
  EXPECT_EQ(report.suspects[0].site.function, "node::NodeArrayBufferAllocator::AllocateUninitialized(unsigned long)");
  EXPECT_NEAR(report.suspects[0].growth.rate_per_minute, 16e6, 2e6);
}

}  // namespace
}  // namespace heapagent::cli
