// SamplerTreeReader over V8's sampler objects rebuilt with real libstdc++
// containers (fake_v8_sampler.h), through both plain and checked loads; and
// the copier's side: names and locations from the tree, and the comparison
// that proves a layout.
#include "v8direct/sampler_tree_reader.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <set>
#include <string>

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

// What a full read of the sampler at `heap_profiler` says when it refuses it;
// empty when it reads it (into `*out`, when given).
std::string ReadProblem(const void* heap_profiler, MemoryAccess access,
                        const SamplerExpectations& expected = Expected(), RawTree* out = nullptr) {
  SamplerTreeReader reader(Layout());
  RawTree raw;
  std::string problem;
  if (reader.Read(heap_profiler, expected, access, kMaxCopiedNodes, kMaxCopiedSamples, out ? *out : raw, &problem)) {
    return "";
  }
  return problem.empty() ? "(refused without a reason)" : problem;
}

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

// Parents before children, each subtree in one run (what the copy and the
// conversion rely on); sibling order is the walk's own.
bool InPreOrder(const RawTree& raw) {
  std::vector<int32_t> path;  // ancestors of the node before
  for (size_t i = 0; i < raw.nodes.size(); ++i) {
    const int32_t parent = raw.nodes[i].parent;
    if (i == 0) {
      if (parent != -1) return false;
    } else {
      while (!path.empty() && path.back() != parent) path.pop_back();
      if (path.empty()) return false;
    }
    path.push_back(static_cast<int32_t>(i));
  }
  return true;
}

TEST_P(BothAccesses, ReadsTheTreeInPreOrderAndTheLiveSamples) {
  Tree tree;
  RawTree raw;
  ASSERT_EQ(ReadProblem(tree.v8.heap_profiler(), GetParam(), Expected(), &raw), "");
  EXPECT_FALSE(raw.truncated);
  ASSERT_EQ(raw.nodes.size(), 5u);
  EXPECT_TRUE(InPreOrder(raw));
  std::map<uint32_t, const RawNode*> by_id;
  for (const RawNode& node : raw.nodes) by_id[node.node_id] = &node;
  ASSERT_EQ(by_id.size(), 5u);
  const auto parent_id = [&raw](const RawNode* node) {
    return node->parent < 0 ? 0u : raw.nodes[static_cast<size_t>(node->parent)].node_id;
  };
  EXPECT_EQ(raw.nodes[0].node_id, 1u);
  EXPECT_STREQ(raw.nodes[0].name, "(root)");
  const RawNode& main = *by_id.at(2);
  EXPECT_EQ(parent_id(&main), 1u);
  EXPECT_STREQ(main.name, "main");
  EXPECT_EQ(main.script_id, 7);
  EXPECT_EQ(main.position, 10);
  EXPECT_EQ(parent_id(by_id.at(3)), 2u);
  EXPECT_EQ(parent_id(by_id.at(4)), 2u);
  EXPECT_EQ(by_id.at(4)->position, 20);
  EXPECT_EQ(parent_id(by_id.at(5)), 1u);
  EXPECT_STREQ(by_id.at(5)->name, "(GC)");

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
  SamplerExpectations other_rate = Expected();
  other_rate.rate = 2048;
  const std::string problem = ReadProblem(tree.v8.heap_profiler(), GetParam(), other_rate);
  EXPECT_NE(problem.find("rate"), std::string::npos);
  SamplerExpectations other_isolate = Expected();
  other_isolate.isolate = &other_rate;
  EXPECT_NE(ReadProblem(tree.v8.heap_profiler(), GetParam(), other_isolate), "");
  SamplerExpectations other_depth = Expected();
  other_depth.stack_depth = 64;
  EXPECT_NE(ReadProblem(tree.v8.heap_profiler(), GetParam(), other_depth), "");
}

TEST_P(BothAccesses, RefusesARootThatIsNotNamedRoot) {
  Tree tree;
  tree.v8.root().name = "main";
  const std::string problem = ReadProblem(tree.v8.heap_profiler(), GetParam());
  EXPECT_NE(problem.find("(root)"), std::string::npos);
}

TEST_P(BothAccesses, RefusesAChildThatDoesNotPointBackToItsParent) {
  Tree tree;
  tree.other->parent = tree.gc;
  const std::string problem = ReadProblem(tree.v8.heap_profiler(), GetParam());
  EXPECT_NE(problem.find("parent"), std::string::npos);
}

TEST_P(BothAccesses, RefusesASampleOfNoNodeOfTheTree) {
  Tree tree;
  FakeSamplerNode stray;
  tree.v8.AddSample(stray, 64);
  const std::string problem = ReadProblem(tree.v8.heap_profiler(), GetParam());
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

// Wide children maps (red-black trees many levels deep) and thousands of
// samples (buckets holding several): every node and sample read once.
TEST_P(BothAccesses, ReadsWideMapsAndManySamples) {
  Tree tree;
  std::map<uint32_t, uint32_t> parent_of{{2, 1}, {3, 2}, {4, 2}, {5, 1}};
  std::map<uint64_t, uint32_t> owner_of_sample{{1, 3}, {2, 3}, {3, 5}};
  for (int i = 0; i < 3000; ++i) {
    FakeSamplerNode& callee = tree.v8.AddChild(*tree.other, "f" + std::to_string(i), 8, 100 + i);
    parent_of[callee.id] = tree.other->id;
    FakeSamplerNode* owner = &callee;
    if (i % 3 == 0) {
      owner = &tree.v8.AddChild(callee, "g" + std::to_string(i), 9, i);
      parent_of[owner->id] = callee.id;
    }
    for (int k = 0; k <= i % 4; ++k) owner_of_sample[tree.v8.AddSample(*owner, 16 + 8 * k).sample_id] = owner->id;
  }
  RawTree raw;
  ASSERT_EQ(ReadProblem(tree.v8.heap_profiler(), GetParam(), Expected(), &raw), "");
  EXPECT_FALSE(raw.truncated);
  EXPECT_TRUE(InPreOrder(raw));
  ASSERT_EQ(raw.nodes.size(), parent_of.size() + 1);
  std::set<uint32_t> seen_nodes;
  for (const RawNode& node : raw.nodes) {
    EXPECT_TRUE(seen_nodes.insert(node.node_id).second);
    if (node.parent < 0) continue;
    EXPECT_EQ(raw.nodes[static_cast<size_t>(node.parent)].node_id, parent_of.at(node.node_id));
  }
  ASSERT_EQ(raw.samples.size(), owner_of_sample.size());
  std::set<uint64_t> seen_samples;
  for (const CopiedSample& sample : raw.samples) {
    EXPECT_TRUE(seen_samples.insert(sample.sample_id).second);
    EXPECT_EQ(sample.node_id, owner_of_sample.at(sample.sample_id));
    EXPECT_EQ(sample.count, V8ScaledCount(sample.size));
  }
}

TEST_P(BothAccesses, RefusesAChildrenMapWhoseNodesDoNotPointBackAtEachOther) {
  Tree tree;
  for (int i = 0; i < 20; ++i) tree.v8.AddChild(*tree.other, "f" + std::to_string(i), 8, 100 + i);
  // The red-black node holding one child (std::map keeps the value after
  // its 32-byte base): its parent pointer now names another map node.
  auto& children = tree.other->children;
  auto* holder = reinterpret_cast<uintptr_t*>(reinterpret_cast<char*>(&*std::next(children.begin(), 7)) - kRbValue);
  auto* elsewhere = reinterpret_cast<char*>(&*std::next(children.begin(), 3)) - kRbValue;
  const uintptr_t kept = holder[kRbParent / sizeof(uintptr_t)];
  holder[kRbParent / sizeof(uintptr_t)] = reinterpret_cast<uintptr_t>(elsewhere);
  const std::string problem = ReadProblem(tree.v8.heap_profiler(), GetParam());
  EXPECT_NE(problem.find("children"), std::string::npos);
  holder[kRbParent / sizeof(uintptr_t)] = kept;
}

TEST_P(BothAccesses, RefusesASamplesMapWhoseSizeIsNotWhatItHolds) {
  Tree tree;
  for (int i = 0; i < 200; ++i) tree.v8.AddSample(*tree.leaky, 64);
  // libstdc++'s element count, as the layout places it.
  auto* size = reinterpret_cast<size_t*>(reinterpret_cast<char*>(&tree.v8.sampler().samples) + kHashSize);
  ASSERT_EQ(*size, 203u);
  for (const size_t wrong : {size_t{202}, size_t{204}}) {
    *size = wrong;
    const std::string problem = ReadProblem(tree.v8.heap_profiler(), GetParam());
    EXPECT_NE(problem.find("samples"), std::string::npos) << problem;
  }
  *size = 203;
  EXPECT_EQ(ReadProblem(tree.v8.heap_profiler(), GetParam()), "");
}

TEST(SamplerTreeReaderTest, CheckedLoadsReportUnmappedMemoryInsteadOfFaulting) {
  Tree tree;
  const long page = sysconf(_SC_PAGESIZE);
  void* hole = mmap(nullptr, static_cast<size_t>(page), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(hole, MAP_FAILED);
  // The sampler slot points into inaccessible memory.
  tree.v8.PointProfilerAt(hole);
  const std::string problem = ReadProblem(tree.v8.heap_profiler(), MemoryAccess::kChecked);
  EXPECT_NE(problem, "");
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
  EXPECT_FALSE(copier.CopyFromTree(raw, MemoryAccess::kDirect, false, copy));
  EXPECT_FALSE(copy.from_tree);  // what the read falls back to is no tree read
  // Unless frames without a line are allowed this time.
  ASSERT_TRUE(copier.CopyFromTree(raw, MemoryAccess::kDirect, true, copy));
  EXPECT_TRUE(copy.from_tree);
  EXPECT_EQ(copy.unlocated_nodes, 3u);  // main, leaky, other; (root) and (GC) have no script
  for (const CopiedNode& node : copy.nodes) {
    EXPECT_EQ(node.url, 0u);
    EXPECT_EQ(node.line, 0);
  }

  TreeAsProfile v8;
  testing::FakeDecoder decoder;
  IsolateHeapCopy full;
  ASSERT_TRUE(copier.Copy(v8.root, v8.profile.Samples(), decoder, full, &problem)) << problem;
  ASSERT_TRUE(copier.CopyFromTree(raw, MemoryAccess::kDirect, false, copy));
  EXPECT_TRUE(copy.from_tree);
  EXPECT_EQ(copy.unlocated_nodes, 0u);
  uint32_t first = 0;
  const std::vector<std::string> strings = copier.TakeNewStrings(&first);
  ASSERT_EQ(copy.nodes.size(), 5u);
  ASSERT_EQ(first, 0u);
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

  // A later read reuses what the first made of each node; a node id whose
  // function is another (a restarted sampler) is made again.
  ASSERT_TRUE(copier.CopyFromTree(raw, MemoryAccess::kDirect, false, copy));
  ASSERT_EQ(copy.nodes.size(), 5u);
  tree.leaky->name = tree.main->name;
  ASSERT_TRUE(reader.Read(tree.v8.heap_profiler(), Expected(), MemoryAccess::kDirect, kMaxCopiedNodes,
                          kMaxCopiedSamples, raw, &problem));
  ASSERT_TRUE(copier.CopyFromTree(raw, MemoryAccess::kDirect, false, copy));
  const std::vector<std::string> more = copier.TakeNewStrings(&first);
  bool leaky_is_main = false;
  for (const CopiedNode& node : copy.nodes) {
    if (node.node_id == 3) leaky_is_main = node.name < strings.size() && strings[node.name] == "main";
  }
  EXPECT_TRUE(leaky_is_main);
  EXPECT_TRUE(more.empty());  // "main" was interned already

  // A function never in a profile makes the tree read unusable, or, when
  // allowed, a frame with its script's URL and no line.
  FakeSamplerNode& fresh = tree.v8.AddChild(*tree.leaky, "fresh", 7, 90);
  tree.v8.AddSample(fresh, 16);
  ASSERT_TRUE(reader.Read(tree.v8.heap_profiler(), Expected(), MemoryAccess::kDirect, kMaxCopiedNodes,
                          kMaxCopiedSamples, raw, &problem));
  EXPECT_FALSE(copier.CopyFromTree(raw, MemoryAccess::kDirect, false, copy));
  ASSERT_TRUE(copier.CopyFromTree(raw, MemoryAccess::kDirect, true, copy));
  EXPECT_EQ(copy.unlocated_nodes, 1u);
  const std::vector<std::string> last = copier.TakeNewStrings(&first);
  for (const CopiedNode& node : copy.nodes) {
    if (node.node_id != fresh.id) continue;
    EXPECT_EQ(node.line, 0);
    EXPECT_EQ(strings[node.url], "/app/main.js");
    ASSERT_GE(node.name, first);
    EXPECT_EQ(last[node.name - first], "fresh");
  }
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
