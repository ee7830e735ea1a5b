// pprof::JsSampleAges: new/old classification of CDP sample ordinals across
// reads, per thread, with memory bounded by the live set.
#include "pprof/js_sample_ages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace heapagent::pprof {
namespace {

std::vector<cdp::JsSample> WithOrdinals(std::vector<uint64_t> ordinals) {
  std::vector<cdp::JsSample> samples;
  for (uint64_t ordinal : ordinals) samples.push_back({.size = 8, .node_id = 1, .ordinal = ordinal});
  return samples;
}

TEST(JsSampleAgesTest, FirstReadIsAllNew) {
  JsSampleAges ages;
  EXPECT_EQ(ages.Advance(0, WithOrdinals({1, 2, 3})), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(ages.remembered_threads(), 1u);
  EXPECT_EQ(ages.remembered_samples(), 3u);
}

TEST(JsSampleAgesTest, SurvivorsAreOldAndOnlyTheLiveSetIsKept) {
  JsSampleAges ages;
  ages.Advance(0, WithOrdinals({1, 2, 3}));
  // 1 died, 2 and 3 survived, 4 and 5 are new; order of samples is arbitrary.
  EXPECT_EQ(ages.Advance(0, WithOrdinals({5, 3, 2, 4})), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(ages.remembered_samples(), 4u);
  // Compared with the previous read only, not with all history: 1 came back
  // (cannot happen in V8, but shows what is remembered).
  EXPECT_EQ(ages.Advance(0, WithOrdinals({1, 4})), (std::vector<bool>{false, true}));
  EXPECT_EQ(ages.Advance(0, {}), std::vector<bool>{});
  EXPECT_EQ(ages.remembered_samples(), 0u);
}

TEST(JsSampleAgesTest, ThreadsAreIndependent) {
  JsSampleAges ages;
  ages.Advance(0, WithOrdinals({1, 2}));
  ages.Advance(7, WithOrdinals({2, 3}));
  EXPECT_EQ(ages.Advance(0, WithOrdinals({2, 3})), (std::vector<bool>{true, false}));
  EXPECT_EQ(ages.Advance(7, WithOrdinals({1, 3})), (std::vector<bool>{false, true}));
}

TEST(JsSampleAgesTest, ForgetStartsAThreadOver) {
  JsSampleAges ages;
  ages.Advance(0, WithOrdinals({1, 2}));
  ages.Advance(1, WithOrdinals({1, 2}));
  ages.Forget(0);  // its sampler restarted: ordinals start again
  EXPECT_EQ(ages.Advance(0, WithOrdinals({1, 2})), (std::vector<bool>{false, false}));
  EXPECT_EQ(ages.Advance(1, WithOrdinals({1, 2})), (std::vector<bool>{true, true}));
}

TEST(JsSampleAgesTest, RetainOnlyDropsExitedThreads) {
  JsSampleAges ages;
  ages.Advance(0, WithOrdinals({1}));
  ages.Advance(2, WithOrdinals({1, 2}));
  ages.Advance(3, WithOrdinals({1, 2, 3}));
  const int64_t live[] = {0, 3};
  ages.RetainOnly(live);
  EXPECT_EQ(ages.remembered_threads(), 2u);
  EXPECT_EQ(ages.remembered_samples(), 4u);
  EXPECT_EQ(ages.Advance(2, WithOrdinals({1})), std::vector<bool>{false});
}

TEST(JsSampleAgesTest, DuplicateOrdinalsAreRememberedOnce) {
  JsSampleAges ages;
  ages.Advance(0, WithOrdinals({4, 4, 4}));
  EXPECT_EQ(ages.remembered_samples(), 1u);
  EXPECT_EQ(ages.Advance(0, WithOrdinals({4, 4})), (std::vector<bool>{true, true}));
}

}  // namespace
}  // namespace heapagent::pprof
