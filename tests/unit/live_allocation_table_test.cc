// Tests for sampling/live_allocation_table.h: the sharded open-addressing map
// of live sampled blocks. The risky part is backward-shift deletion: one wrong
// move leaves an entry behind an empty slot where Remove can no longer find
// it, which shows up as a phantom leak in the heap profile. So besides simple
// cases, the table is run against a std::unordered_map model under heavy
// churn with tiny shards (long probe runs that wrap around the shard's end).
#include "sampling/live_allocation_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

namespace heapagent {
namespace {

// The table's layout, recomputed from the public MixAddress: shard = top 6
// bits of the hash, home slot = low bits.
std::size_t ShardOf(uintptr_t address) { return MixAddress(address) >> 58; }
std::size_t HomeOf(uintptr_t address, std::size_t slots_per_shard) {
  return MixAddress(address) & (slots_per_shard - 1);
}
// Inserts beyond this many per shard are refused (one slot in eight stays free).
std::size_t ShardLimit(std::size_t slots_per_shard) { return slots_per_shard - slots_per_shard / 8; }

// Distinct 16-byte aligned addresses whose shard and home slot satisfy `want`.
template <typename Predicate>
std::vector<uintptr_t> AddressesWhere(std::size_t count, Predicate want, uintptr_t start = 0x10000) {
  std::vector<uintptr_t> found;
  for (uintptr_t address = start; found.size() < count; address += 16) {
    if (want(address)) found.push_back(address);
  }
  return found;
}

std::map<uintptr_t, LiveAllocation> Contents(LiveAllocationTable& table) {
  std::map<uintptr_t, LiveAllocation> contents;
  table.ForEach([&](const LiveAllocation& live) {
    const bool inserted = contents.emplace(live.address, live).second;
    EXPECT_TRUE(inserted) << "ForEach visited " << live.address << " twice";
  });
  return contents;
}

bool SameEntry(const LiveAllocation& a, const LiveAllocation& b) {
  return a.address == b.address && a.size == b.size && a.stack_id == b.stack_id;
}

TEST(LiveAllocationTableTest, InsertRemoveReplace) {
  LiveAllocationTable table;
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table.capacity(), LiveAllocationTable::kShards * 1024);

  EXPECT_TRUE(table.Insert(0x1000, 100, 7));
  EXPECT_TRUE(table.Insert(0x2000, 200, 8));
  EXPECT_EQ(table.size(), 2u);

  // A second insert of the same address (a free we never saw) replaces it.
  EXPECT_TRUE(table.Insert(0x1000, 300, 9));
  EXPECT_EQ(table.size(), 2u);

  const auto removed = table.Remove(0x1000);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->address, 0x1000u);
  EXPECT_EQ(removed->size, 300u);
  EXPECT_EQ(removed->stack_id, 9u);
  EXPECT_EQ(table.size(), 1u);

  EXPECT_FALSE(table.Remove(0x1000).has_value()) << "removed twice";
  EXPECT_FALSE(table.Remove(0x3000).has_value()) << "never inserted";
  const auto other = table.Remove(0x2000);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->size, 200u);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.dropped(), 0u);
}

TEST(LiveAllocationTableTest, AddressZeroIsRejected) {
  // 0 marks an empty slot, so it can't be a key.
  LiveAllocationTable table(64);
  EXPECT_FALSE(table.Insert(0, 1, 1));
  EXPECT_FALSE(table.Remove(0).has_value());
  EXPECT_EQ(table.size(), 0u);
}

TEST(LiveAllocationTableTest, BackwardShiftAcrossTheShardEnd) {
  // A hand-made probe run that wraps: a, b and d live at home 63, c at home 0,
  // so they occupy slots 63, 0, 1, 2. Removing a must pull b, c and d back
  // one slot each; a naive "stop at the first misplaced entry" loses one.
  constexpr std::size_t kSlots = 64;
  LiveAllocationTable table(kSlots);
  const auto at_home = [&](std::size_t home, std::size_t count) {
    return AddressesWhere(count, [&](uintptr_t address) {
      return ShardOf(address) == 3 && HomeOf(address, kSlots) == home;
    });
  };
  const std::vector<uintptr_t> home63 = at_home(63, 3);
  const uintptr_t c = at_home(0, 1)[0];
  const uintptr_t a = home63[0], b = home63[1], d = home63[2];
  ASSERT_TRUE(table.Insert(a, 1, 1));
  ASSERT_TRUE(table.Insert(b, 2, 2));
  ASSERT_TRUE(table.Insert(c, 3, 3));
  ASSERT_TRUE(table.Insert(d, 4, 4));

  ASSERT_TRUE(table.Remove(a).has_value());
  for (uintptr_t address : {b, c, d}) {
    const auto removed = table.Remove(address);
    ASSERT_TRUE(removed.has_value()) << "lost " << address;
    EXPECT_EQ(removed->address, address);
  }
  EXPECT_EQ(table.size(), 0u);
}

// Drives the table and a model with the same random operations and checks
// every result, and periodically the full contents.
void RunChurnAgainstModel(LiveAllocationTable& table, std::size_t slots_per_shard,
                          const std::vector<uintptr_t>& pool, int operations, uint64_t seed) {
  std::unordered_map<uintptr_t, LiveAllocation> model;
  std::vector<std::size_t> per_shard(LiveAllocationTable::kShards, 0);
  uint64_t expected_dropped = 0;
  std::mt19937_64 generator(seed);
  for (int op = 0; op < operations; ++op) {
    const uintptr_t address = pool[generator() % pool.size()];
    const std::size_t shard = ShardOf(address);
    if (generator() % 10 < 6) {  // insert-heavy, so shards stay near full
      const LiveAllocation entry{address, generator() % 100000 + 1, static_cast<uint32_t>(generator() % 1000 + 1)};
      const bool present = model.contains(address);
      const bool shard_full = per_shard[shard] >= ShardLimit(slots_per_shard);
      const bool inserted = table.Insert(entry.address, entry.size, entry.stack_id);
      ASSERT_EQ(inserted, present || !shard_full) << "op " << op << " address " << address;
      if (inserted) {
        if (!present) ++per_shard[shard];
        model[address] = entry;
      } else {
        ++expected_dropped;
      }
    } else {
      const auto removed = table.Remove(address);
      const auto it = model.find(address);
      ASSERT_EQ(removed.has_value(), it != model.end()) << "op " << op << " address " << address;
      if (removed) {
        ASSERT_TRUE(SameEntry(*removed, it->second)) << "op " << op;
        model.erase(it);
        --per_shard[shard];
      }
    }
    ASSERT_EQ(table.size(), model.size()) << "op " << op;
    if (op % 1000 == 999 || op == operations - 1) {
      const auto contents = Contents(table);
      ASSERT_EQ(contents.size(), model.size()) << "op " << op;
      for (const auto& [key, entry] : model) {
        const auto found = contents.find(key);
        ASSERT_NE(found, contents.end()) << "op " << op << " missing " << key;
        ASSERT_TRUE(SameEntry(found->second, entry)) << "op " << op;
      }
      ASSERT_EQ(table.dropped(), expected_dropped);
    }
  }
  // Finally every live entry must still be reachable by Remove.
  for (const auto& [key, entry] : model) {
    const auto removed = table.Remove(key);
    ASSERT_TRUE(removed.has_value()) << "unreachable " << key;
    ASSERT_TRUE(SameEntry(*removed, entry));
  }
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(Contents(table).empty());
}

TEST(LiveAllocationTableTest, ChurnMatchesModelAcrossAllShards) {
  constexpr std::size_t kSlots = 64;  // 56 usable per shard: long probe runs
  LiveAllocationTable table(kSlots);
  ASSERT_TRUE(table.ok());
  // ~80 candidate addresses per shard for 56 places: shards fill up, so
  // refusals and near-full probing are exercised as well.
  std::vector<uintptr_t> pool;
  std::mt19937_64 generator(1);
  for (int i = 0; i < 5000; ++i) pool.push_back(((generator() & 0x0000'7fff'ffff'ffffull) | 1) << 4);
  RunChurnAgainstModel(table, kSlots, pool, 200'000, 42);
  EXPECT_GT(table.dropped(), 0u) << "the pool should overfill some shards";
}

TEST(LiveAllocationTableTest, ChurnMatchesModelInOneWrappingShard) {
  // Every address lives in one shard with a home slot at the end (58..63) or
  // the start (0..3) of the shard: runs constantly cross the end, the case
  // where backward shift's cyclic "home between hole and next" test matters.
  constexpr std::size_t kSlots = 64;
  LiveAllocationTable table(kSlots);
  const std::vector<uintptr_t> pool = AddressesWhere(80, [](uintptr_t address) {
    const std::size_t home = HomeOf(address, kSlots);
    return ShardOf(address) == 17 && (home >= 58 || home <= 3);
  });
  RunChurnAgainstModel(table, kSlots, pool, 50'000, 7);
}

TEST(LiveAllocationTableTest, FullShardRefusesInsertsAndCountsDrops) {
  constexpr std::size_t kSlots = 64;
  LiveAllocationTable table(kSlots);
  const std::size_t limit = ShardLimit(kSlots);
  const std::vector<uintptr_t> same_shard =
      AddressesWhere(limit + 2, [](uintptr_t address) { return ShardOf(address) == 9; });
  for (std::size_t i = 0; i < limit; ++i) ASSERT_TRUE(table.Insert(same_shard[i], i + 1, 1)) << i;
  EXPECT_EQ(table.size(), limit);

  EXPECT_FALSE(table.Insert(same_shard[limit], 1, 1));
  EXPECT_FALSE(table.Insert(same_shard[limit + 1], 1, 1));
  EXPECT_EQ(table.dropped(), 2u);
  EXPECT_EQ(table.size(), limit);
  EXPECT_FALSE(table.Remove(same_shard[limit]).has_value());

  // Replacing an entry that is already there needs no new slot.
  EXPECT_TRUE(table.Insert(same_shard[0], 999, 2));
  EXPECT_EQ(table.Remove(same_shard[0])->size, 999u);
  EXPECT_EQ(table.dropped(), 2u);

  // Other shards are unaffected, and a freed slot is reusable.
  const uintptr_t elsewhere = AddressesWhere(1, [](uintptr_t address) { return ShardOf(address) == 10; })[0];
  EXPECT_TRUE(table.Insert(elsewhere, 1, 1));
  EXPECT_TRUE(table.Insert(same_shard[limit], 5, 5));
  EXPECT_EQ(table.dropped(), 2u);
}

TEST(LiveAllocationTableTest, AShardGrowsToItsMaximumKeepingEveryEntry) {
  // From 8 slots to 512 in six doublings, each a rehash under the shard lock.
  constexpr std::size_t kSlots = 512;
  LiveAllocationTable table(kSlots, 8);
  const std::size_t limit = ShardLimit(kSlots);
  const std::vector<uintptr_t> same_shard =
      AddressesWhere(limit + 1, [](uintptr_t address) { return ShardOf(address) == 42; });
  for (std::size_t i = 0; i < limit; ++i) {
    ASSERT_TRUE(table.Insert(same_shard[i], i + 1, static_cast<uint32_t>(i))) << i;
    // What is already there survives every rehash.
    if ((i & (i + 1)) == 0) {
      const auto contents = Contents(table);
      ASSERT_EQ(contents.size(), i + 1);
      for (std::size_t j = 0; j <= i; ++j) ASSERT_TRUE(contents.contains(same_shard[j])) << j << " after " << i;
    }
  }
  EXPECT_EQ(table.dropped(), 0u);
  EXPECT_FALSE(table.Insert(same_shard[limit], 1, 1)) << "grew past its maximum";
  EXPECT_EQ(table.dropped(), 1u);
  for (std::size_t i = 0; i < limit; ++i) {
    const auto removed = table.Remove(same_shard[i]);
    ASSERT_TRUE(removed.has_value()) << i;
    EXPECT_EQ(removed->size, i + 1);
  }
  EXPECT_EQ(table.size(), 0u);
}

TEST(LiveAllocationTableTest, MemoryFollowsTheLiveSetNotTheChurn) {
  // The sampler's steady state: few samples live at a time, each at a new
  // address. The table keeps to its initial arrays instead of spreading over
  // its full capacity.
  LiveAllocationTable table;
  const std::size_t initial_bytes = table.bytes_in_use();
  EXPECT_EQ(initial_bytes, LiveAllocationTable::kShards * 16 * sizeof(LiveAllocation));
  std::vector<uintptr_t> live;
  std::mt19937_64 generator(3);
  for (int op = 0; op < 200'000; ++op) {
    if (live.size() == 40) {
      const std::size_t victim = generator() % live.size();
      ASSERT_TRUE(table.Remove(live[victim]).has_value());
      live[victim] = live.back();
      live.pop_back();
    }
    const uintptr_t address = ((generator() & 0x0000'7fff'ffff'ffffull) | 1) << 4;
    ASSERT_TRUE(table.Insert(address, 64, 1));
    live.push_back(address);
  }
  EXPECT_LT(table.bytes_in_use(), 2 * initial_bytes);
  EXPECT_LT(table.bytes_in_use() * 20, table.capacity() * sizeof(LiveAllocation));
  EXPECT_EQ(table.dropped(), 0u);
}

TEST(LiveAllocationTableTest, ForEachVisitsExactlyTheLiveSet) {
  LiveAllocationTable table(256);
  std::map<uintptr_t, LiveAllocation> expected;
  for (uintptr_t i = 1; i <= 3000; ++i) {
    const LiveAllocation entry{i * 48, i, static_cast<uint32_t>(i % 17)};
    ASSERT_TRUE(table.Insert(entry.address, entry.size, entry.stack_id));
    expected[entry.address] = entry;
  }
  for (uintptr_t i = 1; i <= 3000; i += 3) {
    ASSERT_TRUE(table.Remove(i * 48).has_value());
    expected.erase(i * 48);
  }
  const auto contents = Contents(table);
  ASSERT_EQ(contents.size(), expected.size());
  for (const auto& [address, entry] : expected) {
    ASSERT_TRUE(contents.contains(address)) << address;
    EXPECT_TRUE(SameEntry(contents.at(address), entry));
  }
}

TEST(LiveAllocationTableTest, ResetAfterForkEmptiesTheTable) {
  constexpr std::size_t kSlots = 64;
  LiveAllocationTable table(kSlots);
  const std::vector<uintptr_t> same_shard =
      AddressesWhere(ShardLimit(kSlots) + 1, [](uintptr_t address) { return ShardOf(address) == 0; });
  for (uintptr_t address : same_shard) table.Insert(address, 64, 1);
  ASSERT_EQ(table.dropped(), 1u);
  ASSERT_GT(table.size(), 0u);

  table.ResetAfterFork();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.dropped(), 0u);
  EXPECT_TRUE(Contents(table).empty());
  EXPECT_FALSE(table.Remove(same_shard[0]).has_value());
  // The per-shard fill count was reset too: the whole shard is usable again.
  for (std::size_t i = 0; i < ShardLimit(kSlots); ++i) ASSERT_TRUE(table.Insert(same_shard[i], 1, 1)) << i;
  EXPECT_EQ(table.dropped(), 0u);
}

// Thread t owns addresses ((t + 1) << 40) | (i << 4); size and stack id are
// functions of the address, so a reader can tell a torn or foreign entry.
constexpr int kWriterThreads = 8;
uintptr_t AddressOf(int thread, uint64_t index) { return (uintptr_t(thread + 1) << 40) | (index << 4); }
uint64_t SizeFor(uintptr_t address) { return (address >> 4) % 100003 + 1; }
uint32_t StackFor(uintptr_t address) { return static_cast<uint32_t>(address >> 40); }

TEST(LiveAllocationTableTest, ConcurrentWritersWithAConcurrentReader) {
  LiveAllocationTable table(256);
  constexpr uint64_t kAddressesPerThread = 1000;
  constexpr int kOperationsPerThread = 10'000;
  std::vector<std::vector<bool>> left_live(kWriterThreads, std::vector<bool>(kAddressesPerThread, false));
  std::atomic<int> writers_done{0};
  std::atomic<bool> reader_failed{false};
  int reader_passes = 0;

  std::thread reader([&] {
    // Walk repeatedly while the writers run; every entry seen must be one a
    // writer could have inserted, intact.
    do {
      table.ForEach([&](const LiveAllocation& live) {
        const auto owner = static_cast<int>(live.address >> 40) - 1;
        if (owner < 0 || owner >= kWriterThreads || live.size != SizeFor(live.address) ||
            live.stack_id != StackFor(live.address)) {
          reader_failed.store(true);
        }
      });
      ++reader_passes;
    } while (writers_done.load() < kWriterThreads);
  });

  std::vector<std::thread> writers;
  for (int t = 0; t < kWriterThreads; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937_64 generator(1000 + t);
      std::vector<bool>& live = left_live[t];
      for (int op = 0; op < kOperationsPerThread; ++op) {
        const uint64_t index = generator() % kAddressesPerThread;
        const uintptr_t address = AddressOf(t, index);
        if (live[index]) {
          // Only this thread touches its addresses, so the entry must be there.
          if (!table.Remove(address).has_value()) reader_failed.store(true);
          live[index] = false;
        } else {
          if (!table.Insert(address, SizeFor(address), StackFor(address))) reader_failed.store(true);
          live[index] = true;
        }
      }
      writers_done.fetch_add(1);
    });
  }
  for (auto& writer : writers) writer.join();
  reader.join();

  EXPECT_FALSE(reader_failed.load());
  EXPECT_GE(reader_passes, 1);
  EXPECT_EQ(table.dropped(), 0u);
  std::map<uintptr_t, LiveAllocation> expected;
  for (int t = 0; t < kWriterThreads; ++t) {
    for (uint64_t i = 0; i < kAddressesPerThread; ++i) {
      if (left_live[t][i]) {
        const uintptr_t address = AddressOf(t, i);
        expected[address] = {address, SizeFor(address), StackFor(address)};
      }
    }
  }
  const auto contents = Contents(table);
  ASSERT_EQ(contents.size(), expected.size());
  EXPECT_EQ(table.size(), expected.size());
  for (const auto& [address, entry] : expected) {
    ASSERT_TRUE(contents.contains(address)) << address;
    EXPECT_TRUE(SameEntry(contents.at(address), entry));
  }
}

}  // namespace
}  // namespace heapagent
