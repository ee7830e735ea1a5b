// SamplerTreeReader over V8's sampler objects rebuilt with real libstdc++
// containers (fake_v8_sampler.h), through both plain and checked loads; and
// the copier's side: names and locations from the tree, and the comparison
// that proves a layout.
#include "v8direct/sampler_tree_reader.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>

#include "fake_v8_profile.h"
#include "fake_v8_sampler.h"

namespace heapagent::v8direct {
namespace {

using testing::FakeSamplerNode;
using testing::FakeV8Sampler;
using testing::OffsetIn;

constexpr uint64_t kRate = 1024;
constexpr int kDepth = 128;
const int kIsolate = 0;  // its address stands for the isolate

SamplerTreeLayout Layout(int node_major = 20) { return *SamplerTreeLayoutFor(node_major); }
SamplerExpectations Expected() { return {.isolate = &kIsolate, .rate = kRate, .stack_depth = kDepth}; }

// (root) 1 ─ main 2 (script 7 @10) ─ leaky 3 (script 7 @40)
//          │                       └ other 4 (script 7 @20)
//          └ (GC) 5
struct Tree {
  FakeV8Sampler v8{Layout(), &kIsolate, kRate, kDepth};
  FakeSamplerNode* main;
  FakeSamplerNode* leaky;
  FakeSamplerNode* other;
  FakeSamplerNode* gc;
  Tree() {
    main = &v8.AddChild(v8.root(), "main", 7, 10);
    leaky = &v8.AddChild(*main, "leaky", 7, 40);
    other = &v8.AddChild(*main, "other", 7, 20);
    gc = &v8.AddChild(v8.root(), "(GC)", 0, 0);
    v8.AddSample(*leaky, 32);
    v8.AddSample(*leaky, 32);
    v8.AddSample(*gc, 4096);
  }
};

uint32_t V8ScaledCount(uint64_t size) {
  return static_cast<uint32_t>(1.0 / (1.0 - std::exp(-static_cast<double>(size) / kRate)) + 0.5);
}

TEST(SamplerTreeReaderTest, FakeSamplerHasTheLayoutOfNodesV8) {
  for (const int major : {20, 22, 24}) {
    const SamplerTreeLayout layout = Layout(major);
    FakeV8Sampler v8(layout, &kIsolate, kRate, kDepth);
    testing::FakeSampler& sampler = v8.sampler();
    EXPECT_EQ(OffsetIn(sampler, sampler.isolate), layout.sampler_isolate);
    EXPECT_EQ(OffsetIn(sampler, sampler.root), layout.sampler_root);
    EXPECT_EQ(OffsetIn(sampler, sampler.samples), layout.sampler_samples);
    EXPECT_EQ(OffsetIn(sampler, sampler.stack_depth), layout.sampler_stack_depth);
    EXPECT_EQ(OffsetIn(sampler, sampler.rate), layout.sampler_rate);
    const FakeSamplerNode& node = sampler.root;
    EXPECT_EQ(OffsetIn(node, node.children), layout.node_children);
    EXPECT_EQ(OffsetIn(node, node.parent), layout.node_parent);
    EXPECT_EQ(OffsetIn(node, node.script_id), layout.node_script_id);
    EXPECT_EQ(OffsetIn(node, node.script_position), layout.node_script_position);
    EXPECT_EQ(OffsetIn(node, node.name), layout.node_name);
    EXPECT_EQ(OffsetIn(node, node.id), layout.node_id);
    testing::FakeSamplerSample sample;
    EXPECT_EQ(OffsetIn(sample, sample.size), layout.sample_size);
    EXPECT_EQ(OffsetIn(sample, sample.owner), layout.sample_owner);
    EXPECT_EQ(OffsetIn(sample, sample.sample_id), layout.sample_id);
  }
  EXPECT_EQ(Layout(20).profiler_sampler, 0x68u);
  EXPECT_EQ(Layout(24).profiler_sampler, 0x48u);
  EXPECT_FALSE(SamplerTreeLayoutFor(18).has_value());
  EXPECT_FALSE(SamplerTreeLayoutFor(26).has_value());
}

class BothAccesses : public ::testing::TestWithParam<MemoryAccess> {};
INSTANTIATE_TEST_SUITE_P(SamplerTreeReaderTest, BothAccesses,
                         ::testing::Values(MemoryAccess::kDirect, MemoryAccess::kChecked));

TEST_P(BothAccesses, ReadsTheTreeInPreOrderWithV8sChildOrderAndTheLiveSamples) {
  Tree tree;
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  ASSERT_TRUE(reader.Read(tree.v8.heap_profiler(), Expected(), GetParam(), kMaxCopiedNodes, kMaxCopiedSamples, raw,
                          &problem))
      << problem;
  EXPECT_FALSE(raw.truncated);
  ASSERT_EQ(raw.nodes.size(), 5u);
  // V8 orders children by function id: script id, then position; no-script
  // nodes (odd ids from name addresses) after... whatever std::map says.
  std::vector<uint32_t> ids;
  for (const RawNode& node : raw.nodes) ids.push_back(node.node_id);
  const std::vector<uint32_t> main_first = {1, 2, 4, 3, 5};
  const std::vector<uint32_t> gc_first = {1, 5, 2, 4, 3};
  EXPECT_TRUE(ids == main_first || ids == gc_first);
  const bool gc_is_first = ids == gc_first;
  const RawNode& main = raw.nodes[gc_is_first ? 2 : 1];
  const RawNode& other = raw.nodes[gc_is_first ? 3 : 2];
  EXPECT_EQ(raw.nodes[0].parent, -1);
  EXPECT_STREQ(raw.nodes[0].name, "(root)");
  EXPECT_EQ(main.parent, 0);
  EXPECT_STREQ(main.name, "main");
  EXPECT_EQ(main.script_id, 7);
  EXPECT_EQ(main.position, 10);
  EXPECT_EQ(other.node_id, 4u);
  EXPECT_EQ(raw.nodes[static_cast<size_t>(other.parent)].node_id, 2u);
  EXPECT_EQ(other.position, 20);

  ASSERT_EQ(raw.samples.size(), 3u);
  size_t leaky_samples = 0;
  for (const CopiedSample& sample : raw.samples) {
    EXPECT_EQ(sample.count, V8ScaledCount(sample.size));
    if (sample.node_id == 3) {
      ++leaky_samples;
      EXPECT_EQ(sample.size, 32u);
    } else {
      EXPECT_EQ(sample.node_id, 5u);
      EXPECT_EQ(sample.size, 4096u);
      EXPECT_EQ(sample.sample_id, 3u);
    }
  }
  EXPECT_EQ(leaky_samples, 2u);
}

TEST_P(BothAccesses, RefusesASamplerThatIsNotTheAgents) {
  Tree tree;
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  SamplerExpectations other_rate = Expected();
  other_rate.rate = 2048;
  EXPECT_FALSE(reader.Read(tree.v8.heap_profiler(), other_rate, GetParam(), kMaxCopiedNodes, kMaxCopiedSamples, raw,
                           &problem));
  EXPECT_NE(problem.find("rate"), std::string::npos);
  SamplerExpectations other_isolate = Expected();
  other_isolate.isolate = &other_rate;
  EXPECT_FALSE(reader.Read(tree.v8.heap_profiler(), other_isolate, GetParam(), kMaxCopiedNodes, kMaxCopiedSamples,
                           raw, &problem));
  SamplerExpectations other_depth = Expected();
  other_depth.stack_depth = 64;
  EXPECT_FALSE(reader.Read(tree.v8.heap_profiler(), other_depth, GetParam(), kMaxCopiedNodes, kMaxCopiedSamples, raw,
                           &problem));
}

TEST_P(BothAccesses, RefusesARootThatIsNotNamedRoot) {
  Tree tree;
  tree.v8.root().name = "main";
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  EXPECT_FALSE(reader.Read(tree.v8.heap_profiler(), Expected(), GetParam(), kMaxCopiedNodes, kMaxCopiedSamples, raw,
                           &problem));
  EXPECT_NE(problem.find("(root)"), std::string::npos);
}

TEST_P(BothAccesses, RefusesAChildThatDoesNotPointBackToItsParent) {
  Tree tree;
  tree.other->parent = tree.gc;
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  EXPECT_FALSE(reader.Read(tree.v8.heap_profiler(), Expected(), GetParam(), kMaxCopiedNodes, kMaxCopiedSamples, raw,
                           &problem));
  EXPECT_NE(problem.find("parent"), std::string::npos);
}

TEST_P(BothAccesses, RefusesASampleOfNoNodeOfTheTree) {
  Tree tree;
  FakeSamplerNode stray;
  tree.v8.AddSample(stray, 64);
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  EXPECT_FALSE(reader.Read(tree.v8.heap_profiler(), Expected(), GetParam(), kMaxCopiedNodes, kMaxCopiedSamples, raw,
                           &problem));
  EXPECT_NE(problem.find("no node"), std::string::npos);
}

TEST_P(BothAccesses, ABoundedWalkStopsEarlyAndSaysSo) {
  Tree tree;
  for (int i = 0; i < 50; ++i) tree.v8.AddChild(*tree.leaky, "f" + std::to_string(i), 8, 100 + i);
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  ASSERT_TRUE(reader.Read(tree.v8.heap_profiler(), Expected(), GetParam(), 6, 2, raw, &problem)) << problem;
  EXPECT_TRUE(raw.truncated);
  EXPECT_LE(raw.nodes.size(), 6u);
  EXPECT_LE(raw.samples.size(), 2u);
  EXPECT_EQ(raw.nodes[0].node_id, 1u);
}

TEST(SamplerTreeReaderTest, CheckedLoadsReportUnmappedMemoryInsteadOfFaulting) {
  Tree tree;
  const long page = sysconf(_SC_PAGESIZE);
  void* hole = mmap(nullptr, static_cast<size_t>(page), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(hole, MAP_FAILED);
  // The sampler slot points into inaccessible memory.
  tree.v8.PointProfilerAt(hole);
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  EXPECT_FALSE(reader.Read(tree.v8.heap_profiler(), Expected(), MemoryAccess::kChecked, kMaxCopiedNodes,
                           kMaxCopiedSamples, raw, &problem));
  EXPECT_FALSE(problem.empty());
  std::string name;
  EXPECT_FALSE(SamplerTreeReader::ReadName(static_cast<const char*>(hole), MemoryAccess::kChecked, name));
  munmap(hole, static_cast<size_t>(page));
}

TEST(SamplerTreeReaderTest, CheckedLoadsWorkHere) { EXPECT_TRUE(SamplerTreeReader::CheckedLoadsWork()); }

TEST(SamplerTreeReaderTest, SeesAStoppedSampler) {
  Tree tree;
  EXPECT_FALSE(SamplerTreeReader::SamplerAbsent(tree.v8.heap_profiler(), Layout(), MemoryAccess::kChecked));
  tree.v8.PointProfilerAt(nullptr);
  EXPECT_TRUE(SamplerTreeReader::SamplerAbsent(tree.v8.heap_profiler(), Layout(), MemoryAccess::kChecked));
  EXPECT_TRUE(SamplerTreeReader::SamplerAbsent(tree.v8.heap_profiler(), Layout(), MemoryAccess::kDirect));
}

// The AllocationProfile V8 would give for Tree (fake_v8_profile.h).
struct TreeAsProfile {
  testing::FakeProfile profile;
  V8AllocationNode* root;
  explicit TreeAsProfile(const std::string& main_name = "main") {
    root = profile.Add(nullptr, "(root)", "", 1);
    V8AllocationNode* main = profile.Add(root, main_name, "/app/main.js", 2, 1);
    V8AllocationNode* other = profile.Add(main, "other", "/app/main.js", 4, 2);
    V8AllocationNode* leaky = profile.Add(main, "leaky", "/app/main.js", 3, 4);
    profile.Add(root, "(GC)", "", 5);
    main->start_position = 10;
    other->start_position = 20;
    leaky->start_position = 40;
    for (V8AllocationNode* node : {main, other, leaky}) node->script_id = 7;
    profile.AddSample(3, 32, V8ScaledCount(32), 1);
    profile.AddSample(3, 32, V8ScaledCount(32), 2);
    profile.AddSample(5, 4096, V8ScaledCount(4096), 3);
  }
};

TEST(SamplerTreeCopyTest, ATreeReadTakesUrlsAndLinesFromAnEarlierProfile) {
  Tree tree;
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  ASSERT_TRUE(reader.Read(tree.v8.heap_profiler(), Expected(), MemoryAccess::kDirect, kMaxCopiedNodes,
                          kMaxCopiedSamples, raw, &problem));
  AllocationProfileCopier copier;
  IsolateHeapCopy copy;
  // Nothing seen yet: main.js's functions have no URL or line.
  EXPECT_FALSE(copier.CopyFromTree(raw, MemoryAccess::kDirect, copy));

  TreeAsProfile v8;
  testing::FakeDecoder decoder;
  IsolateHeapCopy full;
  ASSERT_TRUE(copier.Copy(v8.root, v8.profile.Samples(), decoder, full, &problem)) << problem;
  ASSERT_TRUE(copier.CopyFromTree(raw, MemoryAccess::kDirect, copy));
  EXPECT_TRUE(copy.from_tree);
  uint32_t first = 0;
  const std::vector<std::string> strings = copier.TakeNewStrings(&first);
  ASSERT_EQ(copy.nodes.size(), 5u);
  for (const CopiedNode& node : copy.nodes) {
    if (node.node_id == 3) {
      EXPECT_EQ(strings[node.name], "leaky");
      EXPECT_EQ(strings[node.url], "/app/main.js");
      EXPECT_EQ(node.line, 4);
      EXPECT_EQ(node.column, 3);
      EXPECT_EQ(node.position, 40);
    }
    if (node.node_id == 5) {
      EXPECT_EQ(strings[node.name], "(GC)");
      EXPECT_EQ(strings[node.url], "");
      EXPECT_EQ(node.line, 0);
    }
  }
  EXPECT_EQ(copy.samples.size(), 3u);

  // A function never in a profile makes the tree read unusable.
  FakeSamplerNode& fresh = tree.v8.AddChild(*tree.leaky, "fresh", 7, 90);
  tree.v8.AddSample(fresh, 16);
  ASSERT_TRUE(reader.Read(tree.v8.heap_profiler(), Expected(), MemoryAccess::kDirect, kMaxCopiedNodes,
                          kMaxCopiedSamples, raw, &problem));
  EXPECT_FALSE(copier.CopyFromTree(raw, MemoryAccess::kDirect, copy));
}

TEST(SamplerTreeCopyTest, ComparesAWalkWithTheProfileOfTheSameMoment) {
  Tree tree;
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  ASSERT_TRUE(reader.Read(tree.v8.heap_profiler(), Expected(), MemoryAccess::kChecked, kMaxCopiedNodes,
                          kMaxCopiedSamples, raw, &problem));
  testing::FakeDecoder decoder;
  {
    AllocationProfileCopier copier;
    TreeAsProfile v8;
    IsolateHeapCopy full;
    ASSERT_TRUE(copier.Copy(v8.root, v8.profile.Samples(), decoder, full, &problem));
    EXPECT_EQ(copier.Compare(raw, MemoryAccess::kChecked, full), AllocationProfileCopier::Agreement::kSame);
  }
  {
    AllocationProfileCopier copier;
    TreeAsProfile v8("renamed");
    IsolateHeapCopy full;
    ASSERT_TRUE(copier.Copy(v8.root, v8.profile.Samples(), decoder, full, &problem));
    EXPECT_EQ(copier.Compare(raw, MemoryAccess::kChecked, full), AllocationProfileCopier::Agreement::kDifferent);
  }
  {
    // V8 sampled once more while translating: the walk lacks a sample.
    AllocationProfileCopier copier;
    TreeAsProfile v8;
    v8.profile.AddSample(2, 64, V8ScaledCount(64), 4);
    IsolateHeapCopy full;
    ASSERT_TRUE(copier.Copy(v8.root, v8.profile.Samples(), decoder, full, &problem));
    EXPECT_EQ(copier.Compare(raw, MemoryAccess::kChecked, full), AllocationProfileCopier::Agreement::kInconclusive);
  }
  {
    // A sample of another size than the walk read: a wrong layout.
    AllocationProfileCopier copier;
    testing::FakeProfile profile;
    TreeAsProfile v8;
    IsolateHeapCopy full;
    ASSERT_TRUE(copier.Copy(v8.root, v8.profile.Samples(), decoder, full, &problem));
    full.samples[2].size = 2048;
    EXPECT_EQ(copier.Compare(raw, MemoryAccess::kChecked, full), AllocationProfileCopier::Agreement::kDifferent);
  }
}

}  // namespace
}  // namespace heapagent::v8direct
