#include "v8direct/flat_id_map.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace heapagent::v8direct {
namespace {

TEST(FlatIdMapTest, FindsWhatWasInsertedAndRefusesDuplicatesAndZero) {
  FlatIdMap<uint32_t> map;
  EXPECT_TRUE(map.Insert(0x7f0000001000, 1));
  EXPECT_TRUE(map.Insert(0x7f0000001090, 2));
  EXPECT_FALSE(map.Insert(0x7f0000001000, 3));
  EXPECT_FALSE(map.Insert(0, 4));
  ASSERT_NE(map.Find(0x7f0000001000), nullptr);
  EXPECT_EQ(*map.Find(0x7f0000001000), 1u);
  EXPECT_EQ(*map.Find(0x7f0000001090), 2u);
  EXPECT_EQ(map.Find(0x7f0000001010), nullptr);
  EXPECT_EQ(map.Find(0), nullptr);
  EXPECT_EQ(map.size(), 2u);
  *map.Find(0x7f0000001090) = 5;
  EXPECT_EQ(*map.Find(0x7f0000001090), 5u);
}

// Addresses in malloc's regular strides, far more than the first array
// holds: the map grows and still finds every one.
TEST(FlatIdMapTest, GrowsPastItsFirstSize) {
  FlatIdMap<uint32_t> map;
  constexpr uint32_t kKeys = 50'000;
  for (uint32_t i = 1; i <= kKeys; ++i) ASSERT_TRUE(map.Insert(0x55550000 + uint64_t{i} * 144, i));
  EXPECT_EQ(map.size(), kKeys);
  for (uint32_t i = 1; i <= kKeys; ++i) {
    const uint32_t* found = map.Find(0x55550000 + uint64_t{i} * 144);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, i);
  }
  EXPECT_EQ(map.Find(0x55550000 + uint64_t{kKeys + 1} * 144), nullptr);
}

TEST(FlatIdMapTest, ResetEmptiesIt) {
  FlatIdMap<uint64_t> map;
  for (uint64_t i = 1; i <= 3000; ++i) map.Insert(i, i * 2);
  map.Reset(10);
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.Find(1), nullptr);
  EXPECT_TRUE(map.Insert(1, 7));
  EXPECT_EQ(*map.Find(1), 7u);
}

}  // namespace
}  // namespace heapagent::v8direct
