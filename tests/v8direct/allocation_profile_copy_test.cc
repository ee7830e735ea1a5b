// AllocationProfileCopier over a fake profile laid out as v8_abi.h declares:
// pre-order copy, names decoded once per node id, and the sanity checks.
#include "v8direct/allocation_profile_copy.h"

#include <gtest/gtest.h>

#include "fake_v8_profile.h"

namespace heapagent::v8direct {
namespace {

using testing::FakeDecoder;
using testing::FakeProfile;

// (root) 1 ─ main 2 ─ leaky 3
//          └ (GC) 4
struct SmallTree {
  FakeProfile profile;
  V8AllocationNode* root;
  SmallTree() {
    root = profile.Add(nullptr, "(root)", "", 1);
    V8AllocationNode* main = profile.Add(root, "main", "/app/main.js", 2, 10);
    profile.Add(main, "leaky", "/app/main.js", 3, 20);
    profile.Add(root, "(GC)", "", 4);
    profile.AddSample(3, 32, 16385, 100);
    profile.AddSample(4, 64, 8193, 101);
  }
};

TEST(AllocationProfileCopyTest, CopiesTheTreeInPreOrderWithParents) {
  SmallTree tree;
  AllocationProfileCopier copier;
  FakeDecoder decoder;
  IsolateHeapCopy copy;
  std::string problem;
  ASSERT_TRUE(copier.Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem)) << problem;
  ASSERT_EQ(copy.nodes.size(), 4u);
  EXPECT_EQ(copy.nodes[0].node_id, 1u);
  EXPECT_EQ(copy.nodes[0].parent, -1);
  EXPECT_EQ(copy.nodes[1].node_id, 2u);
  EXPECT_EQ(copy.nodes[1].parent, 0);
  EXPECT_EQ(copy.nodes[2].node_id, 3u);
  EXPECT_EQ(copy.nodes[2].parent, 1);
  EXPECT_EQ(copy.nodes[3].node_id, 4u);
  EXPECT_EQ(copy.nodes[3].parent, 0);
  EXPECT_EQ(copy.nodes[2].line, 20);
  EXPECT_EQ(copy.nodes[2].column, 3);
  ASSERT_EQ(copy.samples.size(), 2u);
  EXPECT_EQ(copy.samples[0].node_id, 3u);
  EXPECT_EQ(copy.samples[0].count, 16385u);
  EXPECT_EQ(copy.samples[0].size, 32u);
  EXPECT_EQ(copy.samples[1].sample_id, 101u);

  uint32_t first = 99;
  const std::vector<std::string> strings = copier.TakeNewStrings(&first);
  EXPECT_EQ(first, 0u);
  ASSERT_EQ(strings.size(), 6u);  // "", (root), main, /app/main.js, leaky, (GC)
  EXPECT_EQ(strings[copy.nodes[2].name], "leaky");
  EXPECT_EQ(strings[copy.nodes[2].url], "/app/main.js");
  EXPECT_EQ(strings[copy.nodes[3].url], "");
}

TEST(AllocationProfileCopyTest, NamesAreDecodedOnlyForNewNodeIds) {
  SmallTree tree;
  AllocationProfileCopier copier;
  FakeDecoder decoder;
  IsolateHeapCopy copy;
  std::string problem;
  ASSERT_TRUE(copier.Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
  const int first_calls = decoder.calls;
  uint32_t first = 0;
  copier.TakeNewStrings(&first);
  ASSERT_TRUE(copier.Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
  EXPECT_EQ(decoder.calls, first_calls);
  EXPECT_TRUE(copier.TakeNewStrings(&first).empty());
  EXPECT_EQ(first, 6u);

  tree.profile.Add(tree.root, "later", "/app/later.js", 5, 2);
  ASSERT_TRUE(copier.Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
  EXPECT_EQ(decoder.calls, first_calls + 2);  // name and a new script's URL
  const auto strings = copier.TakeNewStrings(&first);
  EXPECT_EQ(first, 6u);
  EXPECT_EQ(strings, (std::vector<std::string>{"later", "/app/later.js"}));
}

TEST(AllocationProfileCopyTest, RejectsARootNotNamedRoot) {
  FakeProfile profile;
  V8AllocationNode* root = profile.Add(nullptr, "garbage", "", 1);
  AllocationProfileCopier copier;
  FakeDecoder decoder;
  IsolateHeapCopy copy;
  std::string problem;
  EXPECT_FALSE(copier.Copy(root, profile.Samples(), decoder, copy, &problem));
  EXPECT_NE(problem.find("(root)"), std::string::npos);
}

TEST(AllocationProfileCopyTest, RejectsMalformedData) {
  AllocationProfileCopier copier;
  FakeDecoder decoder;
  IsolateHeapCopy copy;
  std::string problem;
  EXPECT_FALSE(copier.Copy(nullptr, {}, decoder, copy, &problem));

  {  // a null child pointer
    SmallTree tree;
    static V8AllocationNode* null_child[1] = {nullptr};
    tree.root->children = {null_child, null_child + 1, null_child + 1};
    problem.clear();
    EXPECT_FALSE(AllocationProfileCopier().Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
    EXPECT_NE(problem.find("child"), std::string::npos);
  }
  {  // a vector whose end is before its begin
    SmallTree tree;
    tree.root->children = {tree.root->children.end_, tree.root->children.begin_, tree.root->children.end_};
    problem.clear();
    EXPECT_FALSE(AllocationProfileCopier().Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
  }
  {  // a negative line
    SmallTree tree;
    tree.root->line_number = -5;
    problem.clear();
    EXPECT_FALSE(AllocationProfileCopier().Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
  }
  {  // samples of size 0 or absurd sizes
    SmallTree tree;
    tree.profile.AddSample(3, 0, 1, 200);
    problem.clear();
    EXPECT_FALSE(AllocationProfileCopier().Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
    EXPECT_NE(problem.find("sample"), std::string::npos);
  }
  {  // a cycle: stopped by the depth cap, not a hang
    SmallTree tree;
    static V8AllocationNode* self[1];
    self[0] = tree.root;
    tree.root->children = {self, self + 1, self + 1};
    problem.clear();
    EXPECT_FALSE(AllocationProfileCopier().Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
  }
}

TEST(AllocationProfileCopyTest, ForgetNodesDecodesAgainAfterARestart) {
  SmallTree tree;
  AllocationProfileCopier copier;
  FakeDecoder decoder;
  IsolateHeapCopy copy;
  std::string problem;
  ASSERT_TRUE(copier.Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
  const int calls = decoder.calls;
  copier.ForgetNodes();
  ASSERT_TRUE(copier.Copy(tree.root, tree.profile.Samples(), decoder, copy, &problem));
  EXPECT_EQ(decoder.calls, calls + 4);  // each node's name again; script URLs are per script id
}

}  // namespace
}  // namespace heapagent::v8direct
