// Byte-sampling maths: when to sample, and what a sample stands for.
//
// The sampler models allocated bytes as a Poisson process with one sample
// point every `mean_interval` bytes on average. Each thread keeps a countdown
// of the bytes left until its next point, drawn from Exp(mean_interval). An
// allocation of `size` bytes is sampled iff a point falls inside it; because the
// exponential is memoryless this happens with probability
//     p(size) = 1 - exp(-size / mean_interval),
// whatever the history of the thread. Weighting each sampled allocation by
// 1/p(size) makes every estimate unbiased:
//     E[sum over samples of 1/p]      = number of allocations
//     E[sum over samples of size/p]   = number of bytes.
// The countdown lives in initial-exec TLS so the hot path is one subtraction
// and one well-predicted branch (see AllocationHooks in interpose.cc).
#pragma once

#include <cmath>
#include <cstdint>

namespace heapagent {

// A 64-bit xorshift* generator: tiny state, no allocation, no syscalls. Its
// high bits are good; we only ever use the top 53 bits to form a double.
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed = 0) : state_(seed ? seed : 0x9E3779B97F4A7C15ull) {}

  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }

  // Uniform on (0, 1]: never 0, so log() below is always finite.
  double NextOpenUnit() { return (static_cast<double>(Next() >> 11) + 1.0) * 0x1.0p-53; }

  uint64_t state() const { return state_; }

 private:
  uint64_t state_;
};

// Draws the number of bytes until the next sample point: Exp(mean_interval),
// at least 1 and capped so that a countdown can never overflow.
inline int64_t DrawBytesUntilSample(FastRandom& random, double mean_interval) {
  constexpr double kMaxDraw = static_cast<double>(int64_t{1} << 60);
  const double draw = -std::log(random.NextOpenUnit()) * mean_interval;
  if (!(draw < kMaxDraw)) return int64_t{1} << 60;
  return draw < 1.0 ? 1 : static_cast<int64_t>(draw);
}

// Probability that an allocation of `size` bytes is sampled.
inline double SampleProbability(uint64_t size, double mean_interval) {
  return -std::expm1(-static_cast<double>(size) / mean_interval);
}

// How many allocations, and how many bytes, one sampled allocation of `size`
// bytes stands for: 1/p and size/p.
struct SampleWeight {
  double count;
  double bytes;
};

inline SampleWeight WeightOfSample(uint64_t size, double mean_interval) {
  const double p = SampleProbability(size, mean_interval);
  if (!(p > 0.0)) return {0.0, 0.0};  // size 0 is never sampled
  return {1.0 / p, static_cast<double>(size) / p};
}

}  // namespace heapagent
