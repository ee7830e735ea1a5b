// IsolateHeapCopy -> cdp::SamplingHeapProfile: CDP's conventions, counts kept.
#include "v8direct/heap_copy_conversion.h"

#include <gtest/gtest.h>

namespace heapagent::v8direct {
namespace {

const std::vector<std::string> kStrings = {"", "(root)", "leaky", "/app/main.js"};

IsolateHeapCopy SmallCopy() {
  IsolateHeapCopy copy;
  copy.nodes = {{.node_id = 1, .parent = -1, .name = 1, .url = 0, .script_id = 0, .line = 0, .column = 0},
                {.node_id = 9, .parent = 0, .name = 2, .url = 3, .script_id = 7, .line = 20, .column = 4}};
  copy.samples = {{.node_id = 9, .count = 3, .size = 32, .sample_id = 5},
                  {.node_id = 9, .count = 1, .size = 800016, .sample_id = 6},
                  {.node_id = 42, .count = 1, .size = 16, .sample_id = 7}};
  return copy;
}

TEST(HeapCopyConversionTest, FollowsCdpConventionsAndKeepsCounts) {
  std::string problem;
  const auto profile = ToSamplingHeapProfile(SmallCopy(), kStrings, &problem);
  ASSERT_TRUE(profile) << problem;
  ASSERT_EQ(profile->nodes.size(), 2u);
  EXPECT_EQ(profile->nodes[0].frame.function_name, "(root)");
  EXPECT_EQ(profile->nodes[0].frame.line, -1);
  EXPECT_EQ(profile->nodes[0].frame.column, -1);
  const cdp::JsProfileNode& leaky = profile->nodes[1];
  EXPECT_EQ(leaky.id, 9);
  EXPECT_EQ(leaky.parent, 0);
  EXPECT_EQ(leaky.frame.function_name, "leaky");
  EXPECT_EQ(leaky.frame.url, "/app/main.js");
  EXPECT_EQ(leaky.frame.script_id, "7");
  EXPECT_EQ(leaky.frame.line, 19);  // CDP: 0-based
  EXPECT_EQ(leaky.frame.column, 3);
  EXPECT_DOUBLE_EQ(leaky.self_size, 96 + 800016);
  ASSERT_EQ(profile->samples.size(), 2u);
  EXPECT_DOUBLE_EQ(profile->samples[0].size, 96);
  EXPECT_EQ(profile->samples[0].object_count, 3u);
  EXPECT_EQ(profile->samples[0].ordinal, 5u);
  EXPECT_EQ(profile->samples[0].node_index, 1);
  EXPECT_EQ(profile->dropped_samples, 1u);  // node 42 is not in the tree
}

TEST(HeapCopyConversionTest, RejectsInconsistentCopies) {
  std::string problem;
  IsolateHeapCopy copy = SmallCopy();
  copy.nodes[1].name = 99;  // no such string
  EXPECT_FALSE(ToSamplingHeapProfile(copy, kStrings, &problem));
  copy = SmallCopy();
  copy.nodes[1].node_id = 1;  // twice
  EXPECT_FALSE(ToSamplingHeapProfile(copy, kStrings, &problem));
  copy = SmallCopy();
  copy.nodes[1].parent = 1;  // itself
  EXPECT_FALSE(ToSamplingHeapProfile(copy, kStrings, &problem));
}

}  // namespace
}  // namespace heapagent::v8direct
