// Tests for sampling/address_filter.h, the counting filter every free() asks
// before looking a pointer up. The property that matters most is "no false
// negatives": a live sample whose bucket reads zero would never be removed
// from the live table, and the heap profile would show a leak that isn't one.
#include "sampling/address_filter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace heapagent {
namespace {

class AddressFilterTest : public ::testing::Test {
 protected:
  // 128 KiB: on the heap, not the test's stack.
  void SetUp() override { filter_ = std::make_unique<AddressFilter>(); }

  std::size_t OccupiedBuckets() const {
    std::size_t occupied = 0;
    for (std::size_t i = 0; i < AddressFilter::kBuckets; ++i) occupied += filter_->CounterOfBucket(i) != 0;
    return occupied;
  }

  // Two distinct malloc-like (16-byte aligned) pointers sharing one bucket,
  // found by the birthday paradox in a few thousand candidates.
  std::pair<const void*, const void*> TwoPointersInOneBucket() {
    std::unordered_map<std::size_t, uintptr_t> seen;
    std::mt19937_64 generator(99);
    for (;;) {
      const uintptr_t address = (generator() & 0x0000'7fff'ffff'fff0ull) | 0x10;
      const auto [it, inserted] = seen.emplace(AddressFilter::Bucket(reinterpret_cast<void*>(address)), address);
      if (!inserted && it->second != address) {
        return {reinterpret_cast<const void*>(it->second), reinterpret_cast<const void*>(address)};
      }
    }
  }

  std::unique_ptr<AddressFilter> filter_;
};

std::vector<const void*> RandomPointers(std::size_t count, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::unordered_set<uintptr_t> unique;
  std::vector<const void*> pointers;
  while (pointers.size() < count) {
    // User-space, 16-byte aligned, non-null: what malloc returns.
    const uintptr_t address = (generator() & 0x0000'7fff'ffff'fff0ull) | 0x10;
    if (unique.insert(address).second) pointers.push_back(reinterpret_cast<const void*>(address));
  }
  return pointers;
}

TEST_F(AddressFilterTest, EmptyFilterContainsNothing) {
  AddressFilter& filter = *filter_;
  for (const void* pointer : RandomPointers(1000, 1)) EXPECT_FALSE(filter.MaybeContains(pointer));
}

TEST_F(AddressFilterTest, NoFalseNegativesUnderChurn) {
  AddressFilter& filter = *filter_;
  const std::vector<const void*> pointers = RandomPointers(20'000, 2);
  for (const void* pointer : pointers) filter.Add(pointer);
  for (const void* pointer : pointers) ASSERT_TRUE(filter.MaybeContains(pointer));
  // Remove every other one; the survivors must all stay visible, even those
  // that share a bucket with a removed pointer.
  for (std::size_t i = 0; i < pointers.size(); i += 2) filter.Remove(pointers[i]);
  for (std::size_t i = 1; i < pointers.size(); i += 2) ASSERT_TRUE(filter.MaybeContains(pointers[i])) << i;
  // Removing the rest returns the filter to all zeros (exact counting).
  for (std::size_t i = 1; i < pointers.size(); i += 2) filter.Remove(pointers[i]);
  EXPECT_EQ(OccupiedBuckets(), 0u);
}

TEST_F(AddressFilterTest, SharedBucketKeepsTheOtherPointerVisible) {
  AddressFilter& filter = *filter_;
  const auto [first, second] = TwoPointersInOneBucket();
  ASSERT_NE(first, second);
  ASSERT_EQ(AddressFilter::Bucket(first), AddressFilter::Bucket(second));
  filter.Add(first);
  filter.Add(second);
  filter.Remove(first);
  EXPECT_TRUE(filter.MaybeContains(second));
  // `first` now reads "maybe" too: a false positive, which is allowed.
  EXPECT_TRUE(filter.MaybeContains(first));
  filter.Remove(second);
  EXPECT_FALSE(filter.MaybeContains(second));
  EXPECT_FALSE(filter.MaybeContains(first));
}

TEST_F(AddressFilterTest, RemovingAnAbsentPointerDoesNotUnderflow) {
  AddressFilter& filter = *filter_;
  const auto [first, second] = TwoPointersInOneBucket();
  filter.Remove(first);  // bucket at zero: must stay zero, not wrap to 255
  EXPECT_FALSE(filter.MaybeContains(first));
  filter.Add(second);
  filter.Remove(second);
  EXPECT_FALSE(filter.MaybeContains(second));
}

TEST_F(AddressFilterTest, FalsePositiveRateIsAboutLiveOverBuckets) {
  AddressFilter& filter = *filter_;
  constexpr std::size_t kLive = 20'000;
  constexpr std::size_t kQueries = 200'000;
  const std::vector<const void*> all = RandomPointers(kLive + kQueries, 3);
  for (std::size_t i = 0; i < kLive; ++i) filter.Add(all[i]);

  // With a good hash the occupied fraction is 1 - e^{-N/B} <= N/B.
  const double load = static_cast<double>(kLive) / AddressFilter::kBuckets;
  const double occupied = static_cast<double>(OccupiedBuckets()) / AddressFilter::kBuckets;
  EXPECT_LE(occupied, load);
  // The number of empty buckets has variance B e^{-λ} (1 - (1 + λ) e^{-λ})
  // (balls into bins); allow five standard deviations of the fraction.
  const double empty = std::exp(-load);
  const double occupied_sd = std::sqrt(empty * (1 - (1 + load) * empty) / AddressFilter::kBuckets);
  EXPECT_NEAR(occupied, -std::expm1(-load), 5 * occupied_sd);

  std::size_t false_positives = 0;
  for (std::size_t i = kLive; i < all.size(); ++i) false_positives += filter.MaybeContains(all[i]);
  const double rate = static_cast<double>(false_positives) / kQueries;
  // Each query of an unrelated pointer is a Bernoulli(occupied) trial.
  EXPECT_NEAR(rate, occupied, 5 * std::sqrt(occupied * (1 - occupied) / kQueries));
  EXPECT_LT(rate, 1.2 * load);
}

TEST_F(AddressFilterTest, BucketsAreSlicesSoNeighboursShareCacheLines) {
  constexpr uintptr_t kSlice = AddressFilter::kSliceBytes;
  // Blocks within one slice share a bucket: frees of neighbouring blocks read
  // the same byte instead of a random one (no cache miss per free).
  const uintptr_t base = 0x5555'0000'0000;
  for (uintptr_t offset = 0; offset < kSlice; offset += 16) {
    EXPECT_EQ(AddressFilter::Bucket(reinterpret_cast<const void*>(base + offset)),
              AddressFilter::Bucket(reinterpret_cast<const void*>(base)));
  }
  // Distinct slices within the filter's span never collide, and the next
  // slice's bucket is the next byte.
  constexpr std::size_t kSlices = 20'000;
  std::unordered_set<std::size_t> buckets;
  for (std::size_t i = 0; i < kSlices; ++i) {
    buckets.insert(AddressFilter::Bucket(reinterpret_cast<const void*>(base + kSlice * i + 48)));
  }
  EXPECT_EQ(buckets.size(), kSlices);
  EXPECT_EQ(AddressFilter::Bucket(reinterpret_cast<const void*>(base + kSlice)),
            (AddressFilter::Bucket(reinterpret_cast<const void*>(base)) + 1) % AddressFilter::kBuckets);
}

TEST_F(AddressFilterTest, ASampleMarksOnlyItsOwnSlice) {
  constexpr uintptr_t kSlice = AddressFilter::kSliceBytes;
  AddressFilter& filter = *filter_;
  const uintptr_t sample = 0x7f00'0000'0000 + kSlice * 10 + 32;
  filter.Add(reinterpret_cast<const void*>(sample));
  EXPECT_TRUE(filter.MaybeContains(reinterpret_cast<const void*>(sample - 32)));       // same slice
  EXPECT_FALSE(filter.MaybeContains(reinterpret_cast<const void*>(sample - kSlice)));  // previous slice
  EXPECT_FALSE(filter.MaybeContains(reinterpret_cast<const void*>(sample + kSlice)));  // next slice
}

TEST_F(AddressFilterTest, CountsAreExactBelowSaturation) {
  AddressFilter& filter = *filter_;
  const void* pointer = reinterpret_cast<const void*>(uintptr_t{0x7f00'1234'5670});
  for (int i = 0; i < 254; ++i) filter.Add(pointer);
  EXPECT_EQ(filter.CounterOfBucket(AddressFilter::Bucket(pointer)), 254);
  for (int i = 0; i < 253; ++i) filter.Remove(pointer);
  EXPECT_TRUE(filter.MaybeContains(pointer));
  filter.Remove(pointer);
  EXPECT_FALSE(filter.MaybeContains(pointer));
}

TEST_F(AddressFilterTest, SaturatedBucketStaysMaybeForever) {
  AddressFilter& filter = *filter_;
  const void* pointer = reinterpret_cast<const void*>(uintptr_t{0x7f00'1234'5670});
  // 300 live samples in one bucket: the counter stops at 255 instead of
  // wrapping to a small number that later removals would bring to zero.
  for (int i = 0; i < 300; ++i) filter.Add(pointer);
  EXPECT_EQ(filter.CounterOfBucket(AddressFilter::Bucket(pointer)), 255);
  // Once saturated the true count is unknown, so removals must not lower it.
  for (int i = 0; i < 1000; ++i) filter.Remove(pointer);
  EXPECT_TRUE(filter.MaybeContains(pointer));
  EXPECT_EQ(filter.CounterOfBucket(AddressFilter::Bucket(pointer)), 255);
}

}  // namespace
}  // namespace heapagent
