// The version gate: only node's own V8 of the three known lines.
#include "v8direct/known_runtimes.h"

#include <gtest/gtest.h>

namespace heapagent::v8direct {
namespace {

TEST(KnownRuntimesTest, NodeTwentyTwentyTwoTwentyFour) {
  EXPECT_EQ(KnownNodeMajorForV8("11.3.244.8-node.38"), 20);
  EXPECT_EQ(KnownNodeMajorForV8("12.4.254.21-node.57"), 22);
  EXPECT_EQ(KnownNodeMajorForV8("13.6.233.17-node.53"), 24);
}

TEST(KnownRuntimesTest, EverythingElseIsUnknown) {
  EXPECT_EQ(KnownNodeMajorForV8("10.2.154.26-node.36"), std::nullopt);  // node 18: not verified
  EXPECT_EQ(KnownNodeMajorForV8("14.1.146.11-node.1"), std::nullopt);
  EXPECT_EQ(KnownNodeMajorForV8("11.3.244.8"), std::nullopt);  // not node's build
  EXPECT_EQ(KnownNodeMajorForV8("11.30.1-node.1"), std::nullopt);
  EXPECT_EQ(KnownNodeMajorForV8("99.1.0-node.1"), std::nullopt);
  EXPECT_EQ(KnownNodeMajorForV8(""), std::nullopt);
  EXPECT_EQ(KnownNodeMajorForV8("node"), std::nullopt);
  EXPECT_EQ(KnownNodeMajorForV8("11."), std::nullopt);
}

}  // namespace
}  // namespace heapagent::v8direct
