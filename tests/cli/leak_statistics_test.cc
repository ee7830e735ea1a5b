// cli/leak_statistics on synthetic series: a steady leak, warm-up then flat,
// a cache that plateaus, churn, and noisy sites with few samples.
#include "cli/leak_statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace heapagent::cli {
namespace {

constexpr double kSampleBytes = 16384;  // bytes one sample stands for

// A series of in-use bytes with Poisson sampling noise: each point is a
// number of samples drawn around truth/kSampleBytes; SE = value/sqrt(n).
std::vector<SeriesPoint> Sampled(const std::vector<double>& truth, std::mt19937& random) {
  std::vector<SeriesPoint> points;
  for (size_t i = 0; i < truth.size(); ++i) {
    std::poisson_distribution<int> samples(truth[i] / kSampleBytes);
    const int n = samples(random);
    const double value = n * kSampleBytes;
    points.push_back({.minutes = static_cast<double>(i), .value = value,
                      .standard_error = n > 0 ? value / std::sqrt(n) : kSampleBytes});
  }
  return points;
}

std::vector<double> Linear(double start, double per_minute, size_t n) {
  std::vector<double> truth;
  for (size_t i = 0; i < n; ++i) truth.push_back(start + per_minute * static_cast<double>(i));
  return truth;
}

TEST(LeakStatisticsTest, TheilSenIgnoresOneOutlier) {
  std::vector<SeriesPoint> points;
  for (int i = 0; i < 9; ++i) points.push_back({.minutes = double(i), .value = 10.0 * i, .standard_error = 1});
  points[4].value = 1000;
  EXPECT_DOUBLE_EQ(TheilSenSlope(points), 10);
}

TEST(LeakStatisticsTest, WeightedFitRecoversSlopeAndWidensForScatter) {
  std::vector<SeriesPoint> exact, scattered;
  for (int i = 0; i < 6; ++i) {
    exact.push_back({.minutes = double(i), .value = 5.0 + 2.0 * i, .standard_error = 1});
    scattered.push_back({.minutes = double(i), .value = 5.0 + 2.0 * i + (i % 2 ? 20 : -20), .standard_error = 1});
  }
  const LinearFit fit = WeightedLinearFit(exact);
  EXPECT_NEAR(fit.slope, 2, 1e-9);
  EXPECT_NEAR(fit.intercept, 5, 1e-9);
  EXPECT_GT(WeightedLinearFit(scattered).slope_standard_error, 5 * fit.slope_standard_error);
}

TEST(LeakStatisticsTest, MannKendallSign) {
  std::vector<SeriesPoint> rising, falling;
  for (int i = 0; i < 8; ++i) {
    rising.push_back({.minutes = double(i), .value = double(i), .standard_error = 1});
    falling.push_back({.minutes = double(i), .value = double(-i), .standard_error = 1});
  }
  EXPECT_GT(MannKendallZ(rising), 3);
  EXPECT_LT(MannKendallZ(falling), -3);
  EXPECT_NEAR(NormalCdf(0), 0.5, 1e-12);
  EXPECT_NEAR(NormalCdf(1.959964), 0.975, 1e-6);
}

TEST(LeakStatisticsTest, SteadyLeakIsConfidentWithTheRightRate) {
  std::mt19937 random(1);
  int confident = 0;
  for (int trial = 0; trial < 50; ++trial) {
    // 1 MiB at start, +1 MiB per minute (64 samples a minute), the points
    // independent draws (the worst case: the agent's samples of live
    // objects persist from one profile to the next).
    const auto points = Sampled(Linear(1 << 20, 1 << 20, 8), random);
    const GrowthAssessment g = AssessGrowth(points, {});
    EXPECT_EQ(g.window_begin, 2u);
    EXPECT_NEAR(g.rate_per_minute, 1 << 20, 300 << 10);
    confident += g.confidence >= 0.5;
  }
  EXPECT_GE(confident, 45);
}

TEST(LeakStatisticsTest, WarmUpThenFlatIsNotALeak) {
  std::mt19937 random(2);
  for (int trial = 0; trial < 50; ++trial) {
    // Grows fast during the first two profiles, then stays.
    const auto points = Sampled({1 << 20, 4 << 20, 8 << 20, 8 << 20, 8 << 20, 8 << 20, 8 << 20, 8 << 20}, random);
    EXPECT_LT(AssessGrowth(points, {}).confidence, 0.5) << "trial " << trial;
  }
}

TEST(LeakStatisticsTest, PlateauingCacheIsNotALeak) {
  std::mt19937 random(3);
  int flagged = 0, persistent = 0;
  for (int trial = 0; trial < 200; ++trial) {
    // Fills over the first half (a bounded cache), then full. With every
    // point an independent draw, a chance rise over the last points can
    // still look like growth now and then.
    std::vector<double> truth;
    for (int i = 0; i < 10; ++i) truth.push_back(std::min(i, 5) * double(2 << 20));
    const GrowthAssessment g = AssessGrowth(Sampled(truth, random), {});
    flagged += g.confidence >= 0.5;
    persistent += g.persistence_confidence >= 0.5;
  }
  EXPECT_LE(flagged, 4);
  EXPECT_LE(persistent, 6);
}

TEST(LeakStatisticsTest, ChurnAroundALevelIsNotALeak) {
  std::mt19937 random(4);
  int flagged = 0;
  for (int trial = 0; trial < 200; ++trial) {
    flagged += AssessGrowth(Sampled(std::vector<double>(8, 3 << 20), random), {}).confidence >= 0.5;
  }
  EXPECT_LE(flagged, 2);  // sampling noise alone: at most 1% false suspects
}

TEST(LeakStatisticsTest, FewSampleSitesNeedMoreEvidence) {
  std::mt19937 random(5);
  int flagged = 0;
  for (int trial = 0; trial < 200; ++trial) {
    // 0..2 samples drifting upwards: not enough evidence.
    flagged += AssessGrowth(Sampled(Linear(kSampleBytes * 0.5, kSampleBytes * 0.2, 8), random), {}).confidence >= 0.5;
  }
  EXPECT_LE(flagged, 4);
}

TEST(LeakStatisticsTest, SurvivalSeparatesLeakFromGrowingChurn) {
  // Same in-use series; in one the bytes survive from profile to profile
  // (old grows), in the other every period's objects are new.
  std::vector<SeriesPoint> values, old_growing, old_flat;
  for (int i = 0; i < 8; ++i) {
    const double v = (1 + i) * double(1 << 20);
    values.push_back({.minutes = double(i), .value = v, .standard_error = v / std::sqrt(v / kSampleBytes)});
    const double old = i * double(1 << 20);
    old_growing.push_back({.minutes = double(i), .value = old, .standard_error = old > 0 ? old / std::sqrt(old / kSampleBytes) : kSampleBytes});
    old_flat.push_back({.minutes = double(i), .value = 0, .standard_error = kSampleBytes});
  }
  EXPECT_GT(AssessGrowth(values, old_growing).confidence, 0.5);
  EXPECT_LT(AssessGrowth(values, old_flat).confidence, 0.5);
}

TEST(LeakStatisticsTest, TooShortSeriesIsNotAssessed) {
  std::vector<SeriesPoint> points;
  for (int i = 0; i < 4; ++i) points.push_back({.minutes = double(i), .value = 1e6 * i, .standard_error = 1});
  EXPECT_EQ(AssessGrowth(points, {}).window_points, 0u);
  EXPECT_EQ(AssessGrowth(points, {}).confidence, 0);
}

}  // namespace
}  // namespace heapagent::cli
