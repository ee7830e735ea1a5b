// Tests for pprof/profile_transforms.h: renames, per-stack deltas, the
// sample-limit trimming with its remainder, the size bound, JS names.
#include "pprof/profile_transforms.h"

#include <gtest/gtest.h>

#include <numeric>

namespace heapagent::pprof {
namespace {

// A native-like profile: `stacks` samples, stack i = {leaf i, root}, values
// {alloc_objects, alloc_space, inuse_objects, inuse_space} = {i, 100*i, 1, 10*i}.
ProfileData NativeProfile(int stacks, int64_t scale = 1) {
  ProfileData profile;
  profile.sample_types = {{"alloc_objects", "count"}, {"alloc_space", "bytes"}, {"inuse_objects", "count"},
                          {"inuse_space", "bytes"}};
  profile.period_type = {"space", "bytes"};
  profile.period = 524288;
  profile.default_sample_type = "inuse_space";
  profile.comments = {"a comment"};
  profile.functions.push_back({1, "main", "main", "main.c", 1});
  profile.locations.push_back({1, 0, 0x1000, {{1, 10, 0}}, false});
  for (int i = 1; i <= stacks; ++i) {
    const uint64_t id = static_cast<uint64_t>(i) + 1;
    profile.functions.push_back({id, "f" + std::to_string(i), "f" + std::to_string(i), "f.c", 0});
    profile.locations.push_back({id, 0, 0x2000 + id, {{id, 5, 3}}, false});
    profile.samples.push_back({{id, 1}, {i * scale, 100 * i * scale, 1, 10 * i}, {}});
  }
  return profile;
}

int64_t Total(const ProfileData& profile, const std::string& type) {
  const int index = profile.SampleTypeIndex(type);
  int64_t total = 0;
  for (const SampleData& sample : profile.samples) total += sample.values[index];
  return total;
}

TEST(ProfileTransformsTest, RenameAndStrip) {
  ProfileData profile = NativeProfile(2);
  EXPECT_TRUE(RenameSampleType(profile, "inuse_space", {"inuse-space", "bytes"}));
  EXPECT_FALSE(RenameSampleType(profile, "nope", {"x", "y"}));
  EXPECT_EQ(profile.default_sample_type, "inuse-space");
  StripDecorations(profile);
  EXPECT_TRUE(profile.comments.empty());
  EXPECT_TRUE(profile.default_sample_type.empty());
  EXPECT_EQ(profile.locations[1].lines[0].column, 0);
  std::string error;
  EXPECT_TRUE(DecodeProfile(EncodeProfile(profile), &error)) << error;
}

TEST(ProfileTransformsTest, DropLabelsThenMerge) {
  ProfileData profile = NativeProfile(1);
  profile.samples.push_back(profile.samples[0]);
  profile.samples[0].labels = {{"age", "new", 0, ""}, {"thread id", "0", 0, ""}};
  profile.samples[1].labels = {{"age", "old", 0, ""}, {"thread id", "0", 0, ""}};
  DropLabels(profile, {"age"});
  MergeIdenticalSamples(profile);
  ASSERT_EQ(profile.samples.size(), 1u);
  EXPECT_EQ(profile.samples[0].values[1], 200);
  EXPECT_EQ(profile.samples[0].labels.size(), 1u);
}

TEST(CumulativeDeltaTest, PerStackGrowthAcrossProfilesWithDifferentIds) {
  CumulativeDelta delta({"alloc_objects", "alloc_space"});
  ProfileData first = NativeProfile(3);
  delta.Apply(first);
  EXPECT_EQ(Total(first, "alloc_space"), 600);  // first profile: whole values
  // Second profile: same stacks (ids renumbered, order reversed), doubled
  // allocations, plus a new stack.
  ProfileData second = NativeProfile(4, 2);
  std::reverse(second.samples.begin(), second.samples.end());
  for (LocationData& location : second.locations) location.id += 100;
  for (SampleData& sample : second.samples) {
    for (uint64_t& id : sample.location_ids) id += 100;
  }
  delta.Apply(second);
  // f1..f3: 200i - 100i; f4 new: 800.
  EXPECT_EQ(Total(second, "alloc_space"), 100 + 200 + 300 + 800);
  EXPECT_EQ(Total(second, "inuse_space"), 10 + 20 + 30 + 40);  // snapshots untouched
  // Third: nothing new allocated and nothing in use: every sample goes.
  ProfileData third = NativeProfile(4, 2);
  for (SampleData& sample : third.samples) sample.values[2] = sample.values[3] = 0;
  delta.Apply(third);
  EXPECT_TRUE(third.samples.empty());
}

TEST(FoldLightestSamplesTest, KeepsTheHeaviestAndOneNamedRemainder) {
  ProfileData profile = NativeProfile(10);
  const int64_t before = Total(profile, "alloc_space");
  EXPECT_EQ(FoldLightestSamples(profile, 4, "(folded)"), 7u);
  ASSERT_EQ(profile.samples.size(), 4u);
  EXPECT_EQ(Total(profile, "alloc_space"), before);  // nothing lost
  const SampleData& remainder = profile.samples.back();
  ASSERT_EQ(remainder.location_ids.size(), 1u);
  const LocationData* location = profile.FindLocation(remainder.location_ids[0]);
  ASSERT_NE(location, nullptr);
  EXPECT_EQ(profile.FindFunction(location->lines[0].function_id)->name, "(folded)");
  EXPECT_EQ(remainder.values[1], 100 * (1 + 2 + 3 + 4 + 5 + 6 + 7));
  // Heaviest kept: f10, f9, f8; the folded functions are gone from the tables.
  EXPECT_EQ(profile.functions.size(), 1u + 3u + 1u);
  // Folding again reuses the remainder rather than adding a second one.
  EXPECT_EQ(FoldLightestSamples(profile, 2, "(folded)"), 2u);
  ASSERT_EQ(profile.samples.size(), 2u);
  EXPECT_EQ(Total(profile, "alloc_space"), before);
  std::string error;
  EXPECT_TRUE(DecodeProfile(EncodeProfile(profile), &error)) << error;
}

TEST(EncodeWithinLimitsTest, SampleAndByteBounds) {
  ProfileData profile = NativeProfile(20000);
  EncodedWithinLimits limited = EncodeWithinLimits(profile, 16000, size_t{4} << 20, "(folded)");
  EXPECT_EQ(profile.samples.size(), 16000u);
  EXPECT_EQ(limited.folded_samples, 20000u - 15999u);
  std::string error;
  auto decoded = DecodeProfile(limited.encoded, &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->samples.size(), 16000u);

  ProfileData big = NativeProfile(5000);
  limited = EncodeWithinLimits(big, 16000, 20000, "(folded)");
  EXPECT_LE(limited.encoded.size(), 20000u);
  EXPECT_GT(limited.folded_samples, 0u);
  EXPECT_EQ(Total(big, "alloc_space"), 100 * 5000LL * 5001 / 2);

  ProfileData small = NativeProfile(3);
  limited = EncodeWithinLimits(small, 16000, size_t{4} << 20, "(folded)");
  EXPECT_EQ(limited.folded_samples, 0u);
  EXPECT_EQ(small.samples.size(), 3u);
}

TEST(QualifyFunctionNamesTest, LikeThePyroscopeNodeSdk) {
  ProfileData profile;
  profile.functions = {{1, "handler", "handler", "/srv/app/routes/a.js", 12},
                       {2, "(external)", "(external)", "", 0},
                       {3, "inner", "inner", "/elsewhere/b.js", 3},
                       {4, "x", "x", "file:///srv/app/c.mjs", 7}};
  QualifyFunctionNames(profile, "/srv/app");
  EXPECT_EQ(profile.functions[0].name, "./routes/a.js:handler:12");
  EXPECT_EQ(profile.functions[0].system_name, "handler");
  EXPECT_EQ(profile.functions[1].name, ":(external):0");
  EXPECT_EQ(profile.functions[2].name, "/elsewhere/b.js:inner:3");
  EXPECT_EQ(profile.functions[3].name, "./c.mjs:x:7");
}

}  // namespace
}  // namespace heapagent::pprof
