// Tests for sampling/foreign_pointer_set.h, the record of glibc's blocks from
// before a switch to jemalloc. What matters: a recorded block is always
// found (else jemalloc would be handed glibc's block), an unrecorded one
// never is (else glibc would be handed jemalloc's), and both hold while
// threads insert and remove at once.
#include "sampling/foreign_pointer_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <thread>
#include <unordered_set>
#include <vector>

#include "sampling/page_memory.h"

namespace heapagent {
namespace {

constexpr std::size_t kStorageBytes = ForeignPointerSet::kSlots * sizeof(uintptr_t);

class ForeignPointerSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    slots_ = static_cast<uintptr_t*>(AllocatePages(kStorageBytes));
    ASSERT_NE(slots_, nullptr);
  }
  void TearDown() override { FreePages(slots_, kStorageBytes); }

  static const void* At(uintptr_t address) { return reinterpret_cast<const void*>(address); }

  uintptr_t* slots_ = nullptr;
};

TEST_F(ForeignPointerSetTest, EmptySetContainsNothingAndItsRangeIsEmpty) {
  ForeignPointerSet set(slots_);
  EXPECT_FALSE(set.MayContain(nullptr));
  EXPECT_FALSE(set.MayContain(At(0x7f0000001000)));
  EXPECT_FALSE(set.MayContain(At(UINTPTR_MAX)));
  EXPECT_FALSE(set.Contains(At(0x1000)));
  EXPECT_FALSE(set.Remove(At(0x1000)));
  EXPECT_EQ(set.live(), 0u);
}

TEST_F(ForeignPointerSetTest, MatchesAModelUnderChurn) {
  ForeignPointerSet set(slots_);
  std::mt19937_64 random(7);
  std::unordered_set<uintptr_t> model;
  std::vector<uintptr_t> live;
  // A brk-like heap of 16-byte aligned blocks plus a few page-aligned
  // mmapped ones far away, with malloc/free churn as in a program's start-up.
  auto next_address = [&]() -> uintptr_t {
    if (random() % 50 == 0) return 0x7f0000000010 + (random() % 4096) * 4096;
    return 0x555500000000 + (random() % (1 << 20)) * 16;
  };
  for (int step = 0; step < 200000; ++step) {
    if (live.size() < 3000 && (live.empty() || random() % 2 == 0)) {
      const uintptr_t address = next_address();
      if (!model.insert(address).second) continue;
      ASSERT_TRUE(set.Insert(At(address)));
      live.push_back(address);
    } else {
      const std::size_t index = random() % live.size();
      ASSERT_TRUE(set.Remove(At(live[index])));
      model.erase(live[index]);
      live[index] = live.back();
      live.pop_back();
    }
    if (step % 1000 == 0) {
      const uintptr_t probe = next_address();
      EXPECT_EQ(set.Contains(At(probe)), model.contains(probe)) << std::hex << probe;
    }
  }
  EXPECT_EQ(set.live(), model.size());
  for (uintptr_t address : live) {
    EXPECT_TRUE(set.MayContain(At(address)));
    EXPECT_TRUE(set.Contains(At(address)));
  }
  EXPECT_FALSE(set.overflowed());
}

TEST_F(ForeignPointerSetTest, RangeCoversEveryRecordedBlockAndLittleElse) {
  ForeignPointerSet set(slots_);
  ASSERT_TRUE(set.Insert(At(0x555500001000)));
  ASSERT_TRUE(set.Insert(At(0x555500009000)));
  EXPECT_TRUE(set.MayContain(At(0x555500001000)));
  EXPECT_TRUE(set.MayContain(At(0x555500005000)));
  EXPECT_TRUE(set.MayContain(At(0x555500009000)));
  EXPECT_FALSE(set.MayContain(At(0x555500000ff0)));
  EXPECT_FALSE(set.MayContain(At(0x555500009010)));
  EXPECT_FALSE(set.MayContain(At(0x7f0000001000)));  // where jemalloc's memory is
  // Removal never shrinks the range (a concurrent lookup must not miss).
  ASSERT_TRUE(set.Remove(At(0x555500009000)));
  EXPECT_TRUE(set.MayContain(At(0x555500009000)));
  EXPECT_FALSE(set.Contains(At(0x555500009000)));
}

TEST_F(ForeignPointerSetTest, OverflowIsReportedNeverSilent) {
  ForeignPointerSet set(slots_);
  // Every key with the same home slot: the probe chain fills after kMaxProbes.
  const uintptr_t stride = uintptr_t{1} << 40;  // (key >> 4) ^ (key >> 18) is unchanged in the low 14 bits
  std::size_t inserted = 0;
  for (std::size_t i = 1; i <= ForeignPointerSet::kMaxProbes + 10; ++i) {
    if (set.Insert(At(0x1000 + i * stride))) ++inserted;
  }
  EXPECT_EQ(inserted, ForeignPointerSet::kMaxProbes);
  EXPECT_TRUE(set.overflowed());
  // Everything that was inserted is still found.
  for (std::size_t i = 1; i <= inserted; ++i) EXPECT_TRUE(set.Contains(At(0x1000 + i * stride))) << i;
}

TEST_F(ForeignPointerSetTest, TombstonesAreReusedSoChurnNeverOverflows) {
  ForeignPointerSet set(slots_);
  // glibc reuses the same few addresses over and over during start-up.
  for (int round = 0; round < 100000; ++round) {
    const void* block = At(0x555500000000 + (round % 64) * 48);
    ASSERT_TRUE(set.Insert(block));
    ASSERT_TRUE(set.Remove(block));
  }
  EXPECT_EQ(set.live(), 0u);
  EXPECT_FALSE(set.overflowed());
}

TEST_F(ForeignPointerSetTest, ConcurrentInsertsAndRemovesLoseNothing) {
  ForeignPointerSet set(slots_);
  constexpr int kThreads = 8;
  constexpr int kBlocksPerThread = 400;
  constexpr int kRounds = 50;
  // Each thread owns its addresses (as each block belongs to one thread at a
  // time), interleaved with the others' in memory so probe chains are shared.
  std::vector<std::thread> threads;
  std::vector<int> missing(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<uintptr_t> mine;
      for (int i = 0; i < kBlocksPerThread; ++i) mine.push_back(0x555500000000 + (i * kThreads + t) * 32);
      for (int round = 0; round < kRounds; ++round) {
        for (uintptr_t address : mine) set.Insert(At(address));
        for (uintptr_t address : mine) missing[t] += !set.Contains(At(address));
        // Keep the last round's blocks: they must survive everyone's churn.
        if (round + 1 < kRounds) {
          for (uintptr_t address : mine) missing[t] += !set.Remove(At(address));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(missing[t], 0) << "thread " << t;
  EXPECT_EQ(set.live(), static_cast<std::size_t>(kThreads * kBlocksPerThread));
  EXPECT_FALSE(set.overflowed());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kBlocksPerThread; ++i) {
      EXPECT_TRUE(set.Contains(At(0x555500000000 + (i * kThreads + t) * 32)));
    }
  }
}

}  // namespace
}  // namespace heapagent
