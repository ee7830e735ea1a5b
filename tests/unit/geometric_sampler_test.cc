// Tests for sampling/geometric_sampler.h: the generator, the exponential
// countdown and the 1/p weights, and - end to end - that sampling a stream of
// allocations exactly as the allocator hook does gives unbiased totals.
//
// Every statistical check uses a fixed seed (so a run is deterministic) and a
// tolerance of kSigmas standard deviations computed from the distribution
// under test, so a correct implementation passes with any seed while a biased
// one (a wrong weight, a wrong distribution) fails by a wide margin.
#include "sampling/geometric_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace heapagent {
namespace {

constexpr double kSigmas = 5.0;

// ---------------------------------------------------------------------------
// FastRandom

// Inverts the generator's output function so a test can choose what the next
// Next() returns, and so reach the extreme values of NextOpenUnit that random
// draws would essentially never hit.
uint64_t UndoXorShiftRight(uint64_t y, int shift) {
  uint64_t x = y;
  for (int i = 0; i < 64 / shift + 1; ++i) x = y ^ (x >> shift);
  return x;
}
uint64_t UndoXorShiftLeft(uint64_t y, int shift) {
  uint64_t x = y;
  for (int i = 0; i < 64 / shift + 1; ++i) x = y ^ (x << shift);
  return x;
}
uint64_t InverseOfOdd(uint64_t odd) {
  uint64_t inverse = odd;  // Newton's iteration doubles the correct bits each step
  for (int i = 0; i < 6; ++i) inverse *= 2 - odd * inverse;
  return inverse;
}
// The seed for which FastRandom(seed).Next() == output.
uint64_t SeedProducing(uint64_t output) {
  uint64_t state = output * InverseOfOdd(0x2545F4914F6CDD1Dull);
  state = UndoXorShiftRight(state, 27);
  state = UndoXorShiftLeft(state, 25);
  state = UndoXorShiftRight(state, 12);
  return state;
}

TEST(FastRandomTest, SeedInversionHelperIsExact) {
  // The boundary tests below rely on this helper; check it on arbitrary outputs.
  for (uint64_t output : {uint64_t{1}, uint64_t{0x123456789abcdef0}, ~uint64_t{0}, uint64_t{1} << 63}) {
    FastRandom random(SeedProducing(output));
    EXPECT_EQ(random.Next(), output);
  }
}

TEST(FastRandomTest, NextOpenUnitSmallestValueIsPositive) {
  // Next() == 1 is the smallest output whose top 53 bits are all zero.
  FastRandom random(SeedProducing(1));
  const double unit = random.NextOpenUnit();
  EXPECT_GT(unit, 0.0);
  EXPECT_EQ(unit, 0x1.0p-53);
  EXPECT_TRUE(std::isfinite(-std::log(unit)));
}

TEST(FastRandomTest, NextOpenUnitLargestValueIsExactlyOne) {
  FastRandom random(SeedProducing(~uint64_t{0}));
  EXPECT_EQ(random.NextOpenUnit(), 1.0);
}

TEST(FastRandomTest, NextOpenUnitStaysInOpenClosedUnitInterval) {
  FastRandom random(12345);
  constexpr int kDraws = 1'000'000;
  double sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double unit = random.NextOpenUnit();
    ASSERT_GT(unit, 0.0) << "draw " << i;
    ASSERT_LE(unit, 1.0) << "draw " << i;
    sum += unit;
  }
  // Uniform(0,1]: mean 1/2, variance 1/12.
  EXPECT_NEAR(sum / kDraws, 0.5, kSigmas * std::sqrt(1.0 / 12 / kDraws));
}

TEST(FastRandomTest, ZeroSeedIsReplacedSoTheGeneratorDoesNotStick) {
  // xorshift maps state 0 to 0 forever; a zero seed must not be used as is.
  FastRandom random(0);
  EXPECT_NE(random.state(), 0u);
  EXPECT_NE(random.Next(), 0u);
  EXPECT_NE(random.Next(), random.Next());
}

// ---------------------------------------------------------------------------
// DrawBytesUntilSample

// DrawBytesUntilSample returns max(floor(X), 1) for X ~ Exp(mean). Its exact
// moments, so that the discretisation is checked too:
//   E[floor X] = sum_{k>=1} P(X >= k) = 1 / (e^{1/m} - 1), plus P(X < 1) for the clamp.
double ExpectedDrawMean(double mean) { return 1.0 / std::expm1(1.0 / mean) + -std::expm1(-1.0 / mean); }
// P(draw > t) = P(X >= floor(t) + 1) for t >= 1.
double ExpectedTail(double mean, double threshold) { return std::exp(-(std::floor(threshold) + 1) / mean); }

class DrawBytesUntilSampleTest : public ::testing::TestWithParam<double> {};

TEST_P(DrawBytesUntilSampleTest, MeanAndVarianceMatchTheExponential) {
  const double mean = GetParam();
  FastRandom random(0xC0FFEE);
  constexpr int kDraws = 200'000;
  double sum = 0, sum_of_squares = 0;
  for (int i = 0; i < kDraws; ++i) {
    const int64_t draw = DrawBytesUntilSample(random, mean);
    ASSERT_GE(draw, 1);
    sum += static_cast<double>(draw);
    sum_of_squares += static_cast<double>(draw) * static_cast<double>(draw);
  }
  const double sample_mean = sum / kDraws;
  // The standard deviation of an exponential equals its mean.
  EXPECT_NEAR(sample_mean, ExpectedDrawMean(mean), kSigmas * mean / std::sqrt(kDraws));
  // Var(sample variance) ~ (mu4 - sigma^4) / n = 8 m^4 / n for an exponential.
  // This rejects, e.g., a uniform on [0, 2m], which has the right mean.
  const double sample_variance = sum_of_squares / kDraws - sample_mean * sample_mean;
  EXPECT_NEAR(sample_variance / (mean * mean), 1.0, kSigmas * std::sqrt(8.0 / kDraws) + 2.0 / mean);
}

TEST_P(DrawBytesUntilSampleTest, TailProbabilitiesAreExponential) {
  const double mean = GetParam();
  FastRandom random(0xBADC0DE);
  constexpr int kDraws = 200'000;
  // P(X > k m) = e^{-k}: the memoryless shape the unbiasedness argument needs.
  const std::vector<double> multiples = {0.1, 0.5, 1.0, 2.0, 4.0};
  std::vector<int> above(multiples.size(), 0);
  for (int i = 0; i < kDraws; ++i) {
    const auto draw = static_cast<double>(DrawBytesUntilSample(random, mean));
    for (std::size_t j = 0; j < multiples.size(); ++j) above[j] += draw > multiples[j] * mean;
  }
  for (std::size_t j = 0; j < multiples.size(); ++j) {
    const double threshold = multiples[j] * mean;
    const double expected = ExpectedTail(mean, threshold);
    const double observed = static_cast<double>(above[j]) / kDraws;
    EXPECT_NEAR(observed, expected, kSigmas * std::sqrt(expected * (1 - expected) / kDraws))
        << "P(X > " << multiples[j] << " * mean)";
    if (mean > 1000) {
      // At realistic intervals the discretisation is invisible: e^{-k}.
      EXPECT_NEAR(expected, std::exp(-multiples[j]), 1e-3);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Intervals, DrawBytesUntilSampleTest, ::testing::Values(64.0, 4096.0, 512.0 * 1024));

TEST(DrawBytesUntilSampleEdgeTest, NeverBelowOneByte) {
  FastRandom random(7);
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(DrawBytesUntilSample(random, 1e-9), 1);
  // u == 1 gives -log(1) == 0: still one byte, not zero (a zero countdown would
  // sample the next allocation of any size with certainty).
  FastRandom one(SeedProducing(~uint64_t{0}));
  EXPECT_EQ(DrawBytesUntilSample(one, 4096), 1);
}

TEST(DrawBytesUntilSampleEdgeTest, CappedSoACountdownCannotOverflow) {
  constexpr int64_t kCap = int64_t{1} << 60;
  FastRandom random(7);
  for (int i = 0; i < 1000; ++i) {
    const int64_t draw = DrawBytesUntilSample(random, 1e30);
    ASSERT_LE(draw, kCap);
    ASSERT_GE(draw, 1);
  }
  // The largest possible draw (u = 2^-53) at the largest sane mean stays capped.
  FastRandom smallest(SeedProducing(1));
  EXPECT_EQ(DrawBytesUntilSample(smallest, 1e30), kCap);
  FastRandom infinite(SeedProducing(1));
  EXPECT_EQ(DrawBytesUntilSample(infinite, std::numeric_limits<double>::infinity()), kCap);
}

// ---------------------------------------------------------------------------
// SampleProbability and WeightOfSample

TEST(WeightOfSampleTest, MatchesOneOverProbability) {
  constexpr double kMean = 4096;
  // size == mean: p = 1 - 1/e.
  const double p = 1 - std::exp(-1.0);
  EXPECT_NEAR(SampleProbability(4096, kMean), p, 1e-15);
  const SampleWeight at_mean = WeightOfSample(4096, kMean);
  EXPECT_NEAR(at_mean.count, 1.0 / p, 1e-12);
  EXPECT_NEAR(at_mean.bytes, 4096.0 / p, 1e-9);

  // Small allocations: 1/p ~ mean/size + 1/2 (series of x / (1 - e^{-x})).
  const SampleWeight tiny = WeightOfSample(16, 512.0 * 1024);
  EXPECT_NEAR(tiny.count, 512.0 * 1024 / 16 + 0.5, 1e-5);
  EXPECT_NEAR(tiny.bytes, 16 * tiny.count, 1e-6);

  // A single byte at a huge interval: expm1 keeps full precision where
  // 1 - exp(-x) would cancel catastrophically.
  const SampleWeight one_byte = WeightOfSample(1, 1e12);
  EXPECT_NEAR(one_byte.count / 1e12, 1.0, 1e-9);

  // Allocations far above the interval are (almost) always sampled: weight 1.
  const SampleWeight huge = WeightOfSample(64 * 4096, kMean);
  EXPECT_DOUBLE_EQ(huge.count, 1.0);
  EXPECT_DOUBLE_EQ(huge.bytes, 64.0 * 4096);
}

TEST(WeightOfSampleTest, ZeroSizeHasZeroWeight) {
  EXPECT_EQ(SampleProbability(0, 4096), 0.0);
  const SampleWeight zero = WeightOfSample(0, 4096);
  EXPECT_EQ(zero.count, 0.0);
  EXPECT_EQ(zero.bytes, 0.0);
}

TEST(WeightOfSampleTest, ProbabilityIsMonotoneInSize) {
  // Up to 32 intervals, where 1 - e^{-32} is still distinguishable from 1.
  double previous = 0;
  for (uint64_t size = 1; size <= (uint64_t{1} << 24); size *= 2) {
    const double p = SampleProbability(size, 512.0 * 1024);
    EXPECT_GT(p, previous) << size;
    EXPECT_LT(p, 1.0) << size;
    previous = p;
  }
}

// ---------------------------------------------------------------------------
// End to end: simulate the hook over an allocation stream.

// One thread's sampler state, driven exactly as interpose.cc + native_sampler.cc
// drive it: the hook subtracts the size and takes the slow path when the
// countdown goes negative; the first slow path of a thread only seeds it.
class SimulatedThread {
 public:
  SimulatedThread(double mean_interval, uint64_t seed) : mean_interval_(mean_interval), random_(seed) {}

  // True if this allocation is sampled.
  bool Allocate(uint64_t size) {
    countdown_ -= static_cast<int64_t>(size);
    if (countdown_ >= 0) return false;
    if (!seeded_) {
      // A new thread's countdown starts at zero: the bytes already counted
      // against it are charged to a freshly drawn one.
      seeded_ = true;
      countdown_ += DrawBytesUntilSample(random_, mean_interval_);
      if (countdown_ >= 0) return false;
    }
    countdown_ = DrawBytesUntilSample(random_, mean_interval_);
    return true;
  }

 private:
  double mean_interval_;
  FastRandom random_;
  int64_t countdown_ = 0;
  bool seeded_ = false;
};

// 10^6 allocations log-uniform in [16 B, 64 KiB] plus one in a thousand of 1 MiB.
const std::vector<uint64_t>& AllocationStream() {
  static const std::vector<uint64_t> stream = [] {
    std::mt19937_64 generator(20240611);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<uint64_t> sizes;
    constexpr int kAllocations = 1'000'000;
    sizes.reserve(kAllocations);
    for (int i = 0; i < kAllocations; ++i) {
      if (i % 1000 == 999) {
        sizes.push_back(uint64_t{1} << 20);
      } else {
        sizes.push_back(static_cast<uint64_t>(std::llround(16.0 * std::pow(4096.0, unit(generator)))));
      }
    }
    return sizes;
  }();
  return stream;
}

// Per size class: the truth, the estimate, and the estimate's variance,
// Var = sum (1-p)/p for counts and sum size^2 (1-p)/p for bytes (each
// allocation is an independent Bernoulli(p) times its weight).
struct ClassTally {
  double true_count = 0, true_bytes = 0;
  double estimated_count = 0, estimated_bytes = 0;
  double count_variance = 0, bytes_variance = 0;
  double samples = 0, expected_samples = 0, samples_variance = 0;
  double naive_bytes = 0;  // samples * interval: what ignoring 1/p would estimate
};

struct SizeClass {
  const char* name;
  uint64_t lowest, highest;  // inclusive
};
constexpr SizeClass kSizeClasses[] = {
    {"16B-255B", 16, 255},
    {"256B-4KiB", 256, 4095},
    {"4KiB-64KiB", 4096, 65536},
    {"1MiB", uint64_t{1} << 20, uint64_t{1} << 20},
};
constexpr std::size_t kClassCount = std::size(kSizeClasses);

std::size_t ClassOf(uint64_t size) {
  for (std::size_t i = 0; i < kClassCount; ++i) {
    if (size >= kSizeClasses[i].lowest && size <= kSizeClasses[i].highest) return i;
  }
  ADD_FAILURE() << "size outside every class: " << size;
  return 0;
}

// Index kClassCount holds the whole stream.
std::vector<ClassTally> SimulateStream(double mean_interval, uint64_t seed) {
  std::vector<ClassTally> tallies(kClassCount + 1);
  SimulatedThread thread(mean_interval, seed);
  for (uint64_t size : AllocationStream()) {
    const double p = SampleProbability(size, mean_interval);
    const bool sampled = thread.Allocate(size);
    const SampleWeight weight = WeightOfSample(size, mean_interval);
    for (ClassTally* tally : {&tallies[ClassOf(size)], &tallies[kClassCount]}) {
      tally->true_count += 1;
      tally->true_bytes += static_cast<double>(size);
      tally->count_variance += (1 - p) / p;
      tally->bytes_variance += static_cast<double>(size) * static_cast<double>(size) * (1 - p) / p;
      tally->expected_samples += p;
      tally->samples_variance += p * (1 - p);
      if (sampled) {
        tally->samples += 1;
        tally->estimated_count += weight.count;
        tally->estimated_bytes += weight.bytes;
        tally->naive_bytes += mean_interval;
      }
    }
  }
  return tallies;
}

class UnbiasednessTest : public ::testing::TestWithParam<double> {};

TEST_P(UnbiasednessTest, EstimatedTotalsMatchTrueTotals) {
  const double interval = GetParam();
  const std::vector<ClassTally> tallies = SimulateStream(interval, 0x5EED);
  const ClassTally& all = tallies[kClassCount];
  ASSERT_EQ(all.true_count, 1e6);

  // The number of samples itself: sum of p.
  EXPECT_NEAR(all.samples, all.expected_samples, kSigmas * std::sqrt(all.samples_variance));
  EXPECT_NEAR(all.estimated_count, all.true_count, kSigmas * std::sqrt(all.count_variance));
  EXPECT_NEAR(all.estimated_bytes, all.true_bytes, kSigmas * std::sqrt(all.bytes_variance));
  // Bytes, which the heap profile is about, are estimated tightly even at the
  // default interval; check the tolerance is meaningful, not vacuous.
  EXPECT_LT(kSigmas * std::sqrt(all.bytes_variance), 0.05 * all.true_bytes);
}

TEST_P(UnbiasednessTest, EstimatesPerSizeClassMatchTrueTotals) {
  const double interval = GetParam();
  const std::vector<ClassTally> tallies = SimulateStream(interval, 0xFEED);
  for (std::size_t i = 0; i < kClassCount; ++i) {
    const ClassTally& tally = tallies[i];
    SCOPED_TRACE(kSizeClasses[i].name);
    ASSERT_GT(tally.true_count, 0);
    EXPECT_NEAR(tally.samples, tally.expected_samples, kSigmas * std::sqrt(tally.samples_variance));
    EXPECT_NEAR(tally.estimated_count, tally.true_count, kSigmas * std::sqrt(tally.count_variance));
    EXPECT_NEAR(tally.estimated_bytes, tally.true_bytes, kSigmas * std::sqrt(tally.bytes_variance));
  }
}

INSTANTIATE_TEST_SUITE_P(Intervals, UnbiasednessTest, ::testing::Values(4096.0, 512.0 * 1024),
                         [](const auto& info) { return info.param < 10000 ? "Interval4KiB" : "Interval512KiB"; });

TEST(UnbiasednessPowerTest, ToleranceRejectsTheNaiveEstimator) {
  // Shows the tolerance above has teeth: "every sample stands for one
  // interval of bytes" is biased (a 1 MiB block yields at most one sample but
  // stands for 1 MiB) and must fall outside the same 5-sigma band.
  const std::vector<ClassTally> tallies = SimulateStream(4096, 0x5EED);
  const ClassTally& all = tallies[kClassCount];
  EXPECT_GT(std::abs(all.naive_bytes - all.true_bytes), kSigmas * std::sqrt(all.bytes_variance));
  const ClassTally& large = tallies[kClassCount - 1];
  EXPECT_GT(std::abs(large.naive_bytes - large.true_bytes), kSigmas * std::sqrt(large.bytes_variance) + 1);
}

}  // namespace
}  // namespace heapagent
