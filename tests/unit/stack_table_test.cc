// Tests for sampling/stack_table.h: stack interning and the per-stack totals
// the allocation profile is built from. What must hold: one id per distinct
// stack (prefixes and reorderings are distinct), every weight lands in exactly
// one place (a stack or the overflow bucket), and concurrent interning agrees.
#include "sampling/stack_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace heapagent {
namespace {

using Frames = std::vector<uintptr_t>;
using Totals = StackTable::Totals;

std::map<uint32_t, Totals> AllTotals(StackTable& table) {
  std::map<uint32_t, Totals> totals;
  table.ForEachTotals([&](uint32_t id, const Totals& t) {
    EXPECT_TRUE(totals.emplace(id, t).second) << "id " << id << " visited twice";
  });
  return totals;
}

// A distinct, deterministic stack per index: depths vary from 1 to 40.
Frames StackNumber(int index) {
  Frames frames(1 + index % 40);
  for (std::size_t i = 0; i < frames.size(); ++i) frames[i] = 0x400000 + 0x1000 * index + 8 * i;
  return frames;
}

TEST(StackTableTest, IdenticalStacksShareAnIdAndAccumulate) {
  StackTable table;
  ASSERT_TRUE(table.ok());
  const Frames stack = {0x401000, 0x402000, 0x403000};
  const uint32_t first = table.InternAndCount(stack, {2, 100});
  const uint32_t second = table.InternAndCount(Frames(stack), {3, 50});  // equal content, other storage
  EXPECT_NE(first, StackTable::kNoStackId);
  EXPECT_NE(first, StackTable::kOverflowStackId);
  EXPECT_EQ(first, second);
  EXPECT_EQ(table.size(), 1u);

  const auto totals = AllTotals(table);
  ASSERT_EQ(totals.size(), 1u);
  ASSERT_TRUE(totals.contains(first));
  EXPECT_EQ(totals.at(first).alloc_count, 5);
  EXPECT_EQ(totals.at(first).alloc_bytes, 150);
}

TEST(StackTableTest, DifferentStacksGetDifferentIds) {
  StackTable table;
  // Prefixes of each other, the same frames reordered, a repeated frame at a
  // different depth: all different call paths.
  const std::vector<Frames> stacks = {
      {0xA},          {0xA, 0xB},      {0xA, 0xB, 0xC}, {0xB, 0xA},
      {0xA, 0xA},     {0xA, 0xA, 0xA}, {0xB},           {0xC, 0xB, 0xA},
      {0xA, 0xB, 0xC, 0x0}, // a trailing zero frame is still a frame
  };
  std::map<uint32_t, std::size_t> index_of_id;
  for (std::size_t i = 0; i < stacks.size(); ++i) {
    const uint32_t id = table.InternAndCount(stacks[i], {1, double(i)});
    ASSERT_NE(id, StackTable::kOverflowStackId);
    const auto [it, inserted] = index_of_id.emplace(id, i);
    EXPECT_TRUE(inserted) << "stack " << i << " got the id of stack " << it->second;
  }
  EXPECT_EQ(table.size(), stacks.size());
  // Looking them up again returns the same ids.
  for (const auto& [id, index] : index_of_id) EXPECT_EQ(table.InternAndCount(stacks[index], {1, 0}), id);
}

TEST(StackTableTest, CopyFramesReturnsTheInternedFrames) {
  StackTable table;
  std::vector<std::pair<uint32_t, Frames>> interned;
  for (int i = 0; i < 200; ++i) interned.emplace_back(table.InternAndCount(StackNumber(i), {1, 1}), StackNumber(i));
  Frames out = {0xdead};  // CopyFrames must clear what was there
  for (const auto& [id, frames] : interned) {
    table.CopyFrames(id, out);
    EXPECT_EQ(out, frames) << "id " << id;
  }
  table.CopyFrames(StackTable::kNoStackId, out);
  EXPECT_TRUE(out.empty());
  out = {1};
  table.CopyFrames(StackTable::kOverflowStackId, out);
  EXPECT_TRUE(out.empty());
}

TEST(StackTableTest, EmptyStackIsCountedAsOverflow) {
  // A stack walk that found nothing still allocated memory: its weight must
  // not be lost, and it must not be stored as a depth-0 (= empty) slot.
  StackTable table;
  EXPECT_EQ(table.InternAndCount({}, {4, 400}), StackTable::kOverflowStackId);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.overflowed(), 1u);
  const auto totals = AllTotals(table);
  ASSERT_TRUE(totals.contains(StackTable::kOverflowStackId));
  EXPECT_EQ(totals.at(StackTable::kOverflowStackId).alloc_bytes, 400);
}

TEST(StackTableTest, NoOverflowBucketWhenUnused) {
  StackTable table;
  table.InternAndCount(StackNumber(1), {1, 8});
  EXPECT_FALSE(AllTotals(table).contains(StackTable::kOverflowStackId));
  EXPECT_EQ(table.overflowed(), 0u);
}

TEST(StackTableTest, SlotExhaustionOverflowsWithoutLosingWeight) {
  // 8 slots per shard, 7 usable: at most 448 stacks fit, so 2000 distinct
  // stacks must overflow at least 1552 times.
  StackTable table(8, 1024);
  constexpr int kStacks = 2000;
  std::vector<uint32_t> ids(kStacks);
  double total_count = 0, total_bytes = 0, overflow_count = 0, overflow_bytes = 0;
  uint64_t overflows = 0;
  for (int i = 0; i < kStacks; ++i) {
    const Totals weight{double(i % 5 + 1), double(16 * (i + 1))};
    ids[i] = table.InternAndCount(StackNumber(i), weight);
    total_count += weight.alloc_count;
    total_bytes += weight.alloc_bytes;
    if (ids[i] == StackTable::kOverflowStackId) {
      ++overflows;
      overflow_count += weight.alloc_count;
      overflow_bytes += weight.alloc_bytes;
    }
  }
  EXPECT_LE(table.size(), StackTable::kShards * 7);
  EXPECT_GE(overflows, uint64_t{kStacks - StackTable::kShards * 7});
  EXPECT_EQ(table.overflowed(), overflows);
  EXPECT_EQ(table.size() + overflows, std::size_t{kStacks});

  const auto totals = AllTotals(table);
  ASSERT_TRUE(totals.contains(StackTable::kOverflowStackId));
  EXPECT_EQ(totals.at(StackTable::kOverflowStackId).alloc_count, overflow_count);
  EXPECT_EQ(totals.at(StackTable::kOverflowStackId).alloc_bytes, overflow_bytes);
  double seen_count = 0, seen_bytes = 0;
  for (const auto& [id, t] : totals) {
    seen_count += t.alloc_count;
    seen_bytes += t.alloc_bytes;
  }
  EXPECT_EQ(seen_count, total_count);
  EXPECT_EQ(seen_bytes, total_bytes);

  // Stored stacks are still found in full shards; overflowed ones stay overflowed.
  for (int i = 0; i < kStacks; ++i) ASSERT_EQ(table.InternAndCount(StackNumber(i), {1, 1}), ids[i]) << i;
}

TEST(StackTableTest, FrameStorageExhaustionOverflows) {
  StackTable table(512, 16);  // 16 frames of storage per shard
  const Frames too_deep(17, 0x401000);
  EXPECT_EQ(table.InternAndCount(too_deep, {1, 10}), StackTable::kOverflowStackId);

  Frames exactly_full(16);
  std::iota(exactly_full.begin(), exactly_full.end(), uintptr_t{0x500000});
  const uint32_t id = table.InternAndCount(exactly_full, {1, 20});
  ASSERT_NE(id, StackTable::kOverflowStackId) << "16 frames fit in an empty shard";
  Frames out;
  table.CopyFrames(id, out);
  EXPECT_EQ(out, exactly_full);

  // 65 more 16-frame stacks over 64 shards: each shard can hold one at most.
  uint64_t overflows = 1;
  for (int i = 0; i < 65; ++i) {
    Frames frames(16);
    std::iota(frames.begin(), frames.end(), uintptr_t(0x600000 + 0x100 * i));
    overflows += table.InternAndCount(frames, {1, 30}) == StackTable::kOverflowStackId;
  }
  EXPECT_LE(table.size(), StackTable::kShards);
  EXPECT_EQ(table.size() + overflows, 67u);
  EXPECT_EQ(table.overflowed(), overflows);
  const auto totals = AllTotals(table);
  ASSERT_TRUE(totals.contains(StackTable::kOverflowStackId));
  EXPECT_EQ(totals.at(StackTable::kOverflowStackId).alloc_count, double(overflows));
  EXPECT_EQ(totals.at(StackTable::kOverflowStackId).alloc_bytes, 10 + 30 * double(overflows - 1));
}

TEST(StackTableTest, ResetAfterForkForgetsEverything) {
  StackTable table(8, 64);
  for (int i = 0; i < 1000; ++i) table.InternAndCount(StackNumber(i), {1, 1});
  ASSERT_GT(table.overflowed(), 0u);
  table.ResetAfterFork();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.overflowed(), 0u);
  EXPECT_TRUE(AllTotals(table).empty());
  // Slots and frame storage are usable again.
  const uint32_t id = table.InternAndCount(StackNumber(3), {2, 2});
  ASSERT_NE(id, StackTable::kOverflowStackId);
  Frames out;
  table.CopyFrames(id, out);
  EXPECT_EQ(out, StackNumber(3));
  EXPECT_EQ(AllTotals(table).at(id).alloc_count, 2);
}

TEST(StackTableTest, ConcurrentInterningIsConsistent) {
  StackTable table;
  constexpr int kThreads = 8;
  constexpr int kStacks = 300;
  constexpr int kRepeats = 20;
  // Integer weights: sums are exact in double, so totals compare with ==.
  const auto weight_of = [](int stack) { return Totals{1, double(stack + 1)}; };
  std::vector<std::vector<uint32_t>> ids(kThreads, std::vector<uint32_t>(kStacks, StackTable::kNoStackId));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread interns the same stacks, in its own order, so the first
      // insert of a stack races with lookups of it from other threads.
      std::vector<int> order;
      for (int r = 0; r < kRepeats; ++r) {
        for (int s = 0; s < kStacks; ++s) order.push_back(s);
      }
      std::shuffle(order.begin(), order.end(), std::mt19937(t));
      for (int stack : order) {
        const uint32_t id = table.InternAndCount(StackNumber(stack), weight_of(stack));
        uint32_t& seen = ids[t][stack];
        if (seen == StackTable::kNoStackId) seen = id;
        else if (seen != id) seen = StackTable::kOverflowStackId;  // flags an inconsistency
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(table.size(), std::size_t{kStacks});
  EXPECT_EQ(table.overflowed(), 0u);
  std::set<uint32_t> distinct;
  for (int s = 0; s < kStacks; ++s) {
    const uint32_t id = ids[0][s];
    ASSERT_NE(id, StackTable::kOverflowStackId) << "stack " << s;
    for (int t = 1; t < kThreads; ++t) ASSERT_EQ(ids[t][s], id) << "stack " << s << " thread " << t;
    distinct.insert(id);
  }
  EXPECT_EQ(distinct.size(), std::size_t{kStacks});

  const auto totals = AllTotals(table);
  for (int s = 0; s < kStacks; ++s) {
    const Totals& t = totals.at(ids[0][s]);
    EXPECT_EQ(t.alloc_count, kThreads * kRepeats) << "stack " << s;
    EXPECT_EQ(t.alloc_bytes, kThreads * kRepeats * weight_of(s).alloc_bytes) << "stack " << s;
    Frames out;
    table.CopyFrames(ids[0][s], out);
    EXPECT_EQ(out, StackNumber(s));
  }
}

}  // namespace
}  // namespace heapagent
