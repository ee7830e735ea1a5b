// cli/stack_frames, cli/call_tree and cli/site_totals: frames of each kind,
// inlined frames expanded, trees merged by function, flat and cumulative
// totals counted once under recursion.
#include <gtest/gtest.h>

#include "cli/call_tree.h"
#include "cli/site_totals.h"
#include "cli/stack_frames.h"
#include "pprof/profile_builder.h"

namespace heapagent::cli {
namespace {

pprof::ProfileData MixedProfile() {
  pprof::ProfileBuilder b;
  b.AddSampleType("inuse_space", "bytes");
  const uint64_t node = b.AddMapping({.memory_start = 0x1000, .memory_limit = 0x9000, .filename = "/usr/bin/node",
                                      .has_functions = true});
  const pprof::LineInfo inlined[] = {{b.InternFunction("Inner", "_Z5Innerv", "inner.h"), 3, 0},
                                     {b.InternFunction("Outer", "_Z5Outerv", "outer.cc"), 9, 0}};
  const uint64_t native_loc = b.InternLocation(node, 0x2000, inlined);
  const uint64_t unsymbolized = b.InternLocation(node, 0x3abc, {});
  const pprof::LineInfo js_line{b.InternFunction("handle", "handle", "file:///app.js"), 4, 2};
  const uint64_t js_loc = b.InternLocation(0, 0, {&js_line, 1});
  const pprof::LineInfo recurse_line{b.InternFunction("walk", "walk", "file:///walk.js"), 1, 1};
  const uint64_t walk = b.InternLocation(0, 0, {&recurse_line, 1});
  const pprof::LineInfo external_line{b.InternFunction("(external)", "(external)", ""), 0, 0};
  const uint64_t external = b.InternLocation(0, 0, {&external_line, 1});
  b.AddSample(std::vector<uint64_t>{native_loc, unsymbolized, js_loc}, std::vector<int64_t>{100});
  b.AddSample(std::vector<uint64_t>{walk, walk, js_loc}, std::vector<int64_t>{10});
  b.AddSample(std::vector<uint64_t>{external}, std::vector<int64_t>{1000});
  std::string error;
  return *pprof::DecodeProfile(b.Encode(), &error);
}

TEST(StackFramesTest, ResolvesKindsInlinedFramesAndBareAddresses) {
  const pprof::ProfileData profile = MixedProfile();
  StackResolver resolver(profile);
  const std::vector<Frame> stack = resolver.LeafFirst(profile.samples[0]);
  ASSERT_EQ(stack.size(), 4u);
  EXPECT_EQ(stack[0].function, "Inner");
  EXPECT_EQ(stack[0].kind, FrameKind::kNative);
  EXPECT_EQ(stack[1].function, "Outer");
  EXPECT_EQ(stack[2].function, "node+0x3abc");
  EXPECT_FALSE(stack[2].symbolized);
  EXPECT_TRUE(stack[1].symbolized);
  EXPECT_EQ(stack[3].kind, FrameKind::kJs);
  EXPECT_EQ(stack[3].Describe(), "handle (file:///app.js:4)");
  EXPECT_EQ(resolver.LeafFirst(profile.samples[2])[0].kind, FrameKind::kPlaceholder);
}

TEST(StackFramesTest, JsFramesOfNativeStacksAreJs) {
  // The agent's mixed stacks: JS frames carry the "[js]" mapping, and
  // "[unknown]" (an address nothing named) is no symbol.
  pprof::ProfileBuilder b;
  b.AddSampleType("inuse_space", "bytes");
  const uint64_t node = b.AddMapping({.memory_start = 0x1000, .memory_limit = 0x9000, .filename = "/usr/bin/node",
                                      .has_functions = true});
  const uint64_t js = b.AddMapping({.filename = "[js]", .has_functions = true});
  const pprof::LineInfo native_line{b.InternFunction("node::Buffer::New", "_ZN4node6Buffer3NewE", ""), 0, 0};
  const pprof::LineInfo js_line{b.InternFunction("compressReport", "compressReport", "/srv/report.js"), 12, 29};
  const pprof::LineInfo unknown_line{b.InternFunction("[unknown]", "", ""), 0, 0};
  const std::vector<uint64_t> stack = {b.InternLocation(node, 0x2000, {&native_line, 1}),
                                       b.InternLocation(0, 0x7f0000001000, {&unknown_line, 1}),
                                       b.InternLocation(js, 0x7f0000002000, {&js_line, 1})};
  b.AddSample(stack, std::vector<int64_t>{4096});
  std::string error;
  const pprof::ProfileData profile = *pprof::DecodeProfile(b.Encode(), &error);
  StackResolver resolver(profile);
  const std::vector<Frame> frames = resolver.LeafFirst(profile.samples[0]);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].kind, FrameKind::kNative);
  EXPECT_FALSE(frames[1].symbolized);
  EXPECT_EQ(frames[2].kind, FrameKind::kJs);
  EXPECT_EQ(frames[2].Describe(), "compressReport (/srv/report.js:12)");
}

TEST(CallTreeTest, MergesFromTheRoot) {
  const pprof::ProfileData profile = MixedProfile();
  StackResolver resolver(profile);
  CallTree tree(2);
  for (const auto& sample : profile.samples) {
    const std::vector<double> values = {static_cast<double>(sample.values[0])};
    tree.Add(resolver.LeafFirst(sample), values, 1);
  }
  EXPECT_EQ(tree.root().values[0], 0);
  EXPECT_EQ(tree.root().values[1], 1110);
  ASSERT_EQ(tree.root().children.size(), 2u);  // handle, (external)
  const CallTreeNode& handle = tree.nodes()[tree.root().children[0]];
  EXPECT_EQ(handle.frame.function, "handle");
  EXPECT_EQ(handle.values[1], 110);
  EXPECT_EQ(handle.children.size(), 2u);  // node+0x3abc, walk
}

TEST(SiteTotalsTest, FlatAndCumulativeOncePerStack) {
  const pprof::ProfileData profile = MixedProfile();
  double total = 0;
  const auto totals = FunctionTotals({&profile}, "inuse_space", &total);
  EXPECT_EQ(total, 1110);
  EXPECT_EQ(totals[0].frame.function, "(external)");
  for (const SiteTotal& t : totals) {
    if (t.frame.function == "walk") {
      EXPECT_EQ(t.flat, 10);
      EXPECT_EQ(t.cumulative, 10);  // recursion counted once
    }
    if (t.frame.function == "handle") {
      EXPECT_EQ(t.flat, 0);
      EXPECT_EQ(t.cumulative, 110);
    }
  }
  EXPECT_EQ(DefaultSampleType(profile), "inuse_space");
}

}  // namespace
}  // namespace heapagent::cli
