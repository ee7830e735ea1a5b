// cdp::ParseSamplingHeapProfile: a hand-written reply whose every field is
// checked, a real node 20 reply, and hostile input (malformed, truncated,
// wrongly typed, deep) that must fail cleanly with a one-sentence error.
#include "cdp/sampling_heap_profile.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fixtures.h"

namespace heapagent::cdp {
namespace {

using testing_fixtures::kHandWrittenReply;
using testing_fixtures::ParseOrFail;
using testing_fixtures::RealNode20Reply;

// The profile object of kHandWrittenReply, without the {"profile":...} envelope.
std::string ProfileValueOnly() {
  std::string text(kHandWrittenReply);
  const size_t start = text.find(':') + 1;
  return text.substr(start, text.size() - start - 1);
}

void ExpectRejected(std::string_view json, std::string_view expected_fragment = "") {
  std::string error;
  const auto profile = ParseSamplingHeapProfile(json, &error);
  EXPECT_FALSE(profile.has_value()) << json;
  EXPECT_FALSE(error.empty()) << json;
  // One sentence: no line breaks, ends with a full stop.
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_EQ(error.back(), '.') << error;
  if (!expected_fragment.empty()) {
    EXPECT_NE(error.find(expected_fragment), std::string::npos) << error;
  }
}

void ExpectHandWrittenProfile(const SamplingHeapProfile& profile) {
  ASSERT_EQ(profile.nodes.size(), 5u);
  const JsProfileNode& root = profile.nodes[0];
  EXPECT_EQ(root.id, 1);
  EXPECT_EQ(root.parent, -1);
  EXPECT_EQ(root.frame.function_name, "(root)");
  EXPECT_EQ(root.frame.script_id, "0");
  EXPECT_EQ(root.frame.line, -1);
  EXPECT_EQ(root.frame.column, -1);

  const JsProfileNode& main = profile.nodes[1];
  EXPECT_EQ(main.id, 2);
  EXPECT_EQ(main.parent, 0);
  EXPECT_EQ(main.frame.function_name, "main");
  EXPECT_EQ(main.frame.url, "file:///app/main.js");
  EXPECT_EQ(main.frame.script_id, "5");
  EXPECT_EQ(main.frame.line, 9);
  EXPECT_EQ(main.frame.column, 4);
  EXPECT_EQ(main.self_size, 0);

  const JsProfileNode& leaky = profile.nodes[2];
  EXPECT_EQ(leaky.id, 3);
  EXPECT_EQ(leaky.parent, 1);
  EXPECT_EQ(leaky.frame.function_name, "leaky");
  EXPECT_EQ(leaky.frame.line, 19);
  EXPECT_EQ(leaky.frame.column, 15);
  EXPECT_EQ(leaky.self_size, 12288);

  const JsProfileNode& anonymous = profile.nodes[3];
  EXPECT_EQ(anonymous.id, 4);
  EXPECT_EQ(anonymous.parent, 1);
  EXPECT_EQ(anonymous.frame.function_name, "");
  EXPECT_EQ(anonymous.frame.line, 29);
  EXPECT_EQ(anonymous.frame.column, 0);

  const JsProfileNode& gc = profile.nodes[4];
  EXPECT_EQ(gc.id, 5);
  EXPECT_EQ(gc.parent, 0);
  EXPECT_EQ(gc.frame.function_name, "(GC)");
  EXPECT_EQ(gc.frame.url, "");
  EXPECT_EQ(gc.self_size, 8200);

  ASSERT_EQ(profile.samples.size(), 4u);
  const struct {
    double size;
    int64_t node_id;
    uint64_t ordinal;
    int32_t node_index;
  } expected[] = {{4096, 3, 1, 2}, {8192, 3, 2, 2}, {4100, 4, 3, 3}, {8200, 5, 4, 4}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(profile.samples[i].size, expected[i].size) << i;
    EXPECT_EQ(profile.samples[i].node_id, expected[i].node_id) << i;
    EXPECT_EQ(profile.samples[i].ordinal, expected[i].ordinal) << i;
    EXPECT_EQ(profile.samples[i].node_index, expected[i].node_index) << i;
  }
  EXPECT_EQ(profile.dropped_samples, 0u);
}

TEST(SamplingHeapProfileTest, ParsesHandWrittenReply) { ExpectHandWrittenProfile(ParseOrFail(kHandWrittenReply)); }

TEST(SamplingHeapProfileTest, AcceptsTheProfileValueWithoutEnvelope) {
  ExpectHandWrittenProfile(ParseOrFail(ProfileValueOnly()));
}

TEST(SamplingHeapProfileTest, NullErrorPointerIsAllowed) {
  EXPECT_FALSE(ParseSamplingHeapProfile("{", nullptr).has_value());
  EXPECT_TRUE(ParseSamplingHeapProfile(kHandWrittenReply, nullptr).has_value());
}

TEST(SamplingHeapProfileTest, ParsesRealNode20Reply) {
  const SamplingHeapProfile profile = ParseOrFail(RealNode20Reply());
  ASSERT_FALSE(profile.nodes.empty());
  EXPECT_EQ(profile.nodes[0].frame.function_name, "(root)");
  EXPECT_EQ(profile.nodes[0].parent, -1);
  std::set<std::string> names;
  std::set<int64_t> ids;
  for (size_t i = 0; i < profile.nodes.size(); ++i) {
    const JsProfileNode& node = profile.nodes[i];
    names.insert(node.frame.function_name);
    EXPECT_TRUE(ids.insert(node.id).second) << "duplicate id " << node.id;
    if (i > 0) {
      EXPECT_GE(node.parent, 0);
      EXPECT_LT(node.parent, static_cast<int32_t>(i));
    }
  }
  for (const char* name : {"leakyArrays", "retainStrings", "outer", "inner", ""}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
  for (const JsProfileNode& node : profile.nodes) {
    if (node.frame.function_name == "leakyArrays") {
      EXPECT_NE(node.frame.url.find("capture_sampling_profile.js"), std::string::npos) << node.frame.url;
      EXPECT_EQ(node.frame.line, 8);  // `function leakyArrays(n)` is on line 9
    }
  }
  EXPECT_GT(profile.samples.size(), 100u);
  EXPECT_EQ(profile.dropped_samples, 0u);
  std::set<uint64_t> ordinals;
  for (const JsSample& sample : profile.samples) {
    ASSERT_GE(sample.node_index, 0);
    ASSERT_LT(static_cast<size_t>(sample.node_index), profile.nodes.size());
    EXPECT_EQ(profile.nodes[sample.node_index].id, sample.node_id);
    EXPECT_GT(sample.size, 0);
    EXPECT_TRUE(ordinals.insert(sample.ordinal).second);
  }
}

TEST(SamplingHeapProfileTest, SamplesAreOptional) {
  const SamplingHeapProfile profile = ParseOrFail(
      R"json({"profile":{"head":{"callFrame":{"functionName":"(root)"},"selfSize":0,"id":1,"children":[
          {"callFrame":{"functionName":"f"},"selfSize":100,"id":2}]}}})json");
  ASSERT_EQ(profile.nodes.size(), 2u);
  EXPECT_EQ(profile.nodes[1].self_size, 100);
  EXPECT_TRUE(profile.samples.empty());
  EXPECT_EQ(profile.dropped_samples, 0u);
}

TEST(SamplingHeapProfileTest, MissingOptionalFieldsTakeDefaults) {
  const SamplingHeapProfile profile = ParseOrFail(R"json({"head":{"id":7},"samples":[{"nodeId":7}]})json");
  ASSERT_EQ(profile.nodes.size(), 1u);
  EXPECT_EQ(profile.nodes[0].id, 7);
  EXPECT_EQ(profile.nodes[0].frame.line, -1);
  EXPECT_EQ(profile.nodes[0].frame.function_name, "");
  ASSERT_EQ(profile.samples.size(), 1u);
  EXPECT_EQ(profile.samples[0].size, 0);
  EXPECT_EQ(profile.samples[0].ordinal, 0u);
}

TEST(SamplingHeapProfileTest, UnknownFieldsAreIgnored) {
  const SamplingHeapProfile profile =
      ParseOrFail(R"json({"profile":{"head":{"id":1,"extra":{"a":[1,2]},"callFrame":{"new":true}},
                     "samples":[{"nodeId":1,"size":8,"ordinal":3,"future":"x"}],"startTime":5}})json");
  EXPECT_EQ(profile.samples.size(), 1u);
}

TEST(SamplingHeapProfileTest, NumbersInOtherJsonSpellingsAreAccepted) {
  // CDP types ordinal and sizes as "number": integral doubles are fine.
  const SamplingHeapProfile profile =
      ParseOrFail(R"json({"head":{"id":1,"selfSize":1.5e3},"samples":[{"nodeId":1,"size":4096.0,"ordinal":1e3}]})json");
  EXPECT_EQ(profile.nodes[0].self_size, 1500);
  ASSERT_EQ(profile.samples.size(), 1u);
  EXPECT_EQ(profile.samples[0].size, 4096);
  EXPECT_EQ(profile.samples[0].ordinal, 1000u);
}

TEST(SamplingHeapProfileTest, SamplesOfUnknownNodesAreDroppedAndCounted) {
  const SamplingHeapProfile profile = ParseOrFail(
      R"json({"head":{"id":1,"children":[{"id":2}]},
          "samples":[{"nodeId":2,"size":10,"ordinal":1},{"nodeId":99,"size":20,"ordinal":2},
                     {"size":30,"ordinal":3},{"nodeId":1,"size":40,"ordinal":4}]})json");
  ASSERT_EQ(profile.samples.size(), 2u);
  EXPECT_EQ(profile.samples[0].ordinal, 1u);
  EXPECT_EQ(profile.samples[0].node_index, 1);
  EXPECT_EQ(profile.samples[1].ordinal, 4u);
  EXPECT_EQ(profile.samples[1].node_index, 0);
  EXPECT_EQ(profile.dropped_samples, 2u);
}

TEST(SamplingHeapProfileTest, RejectsMalformedInput) {
  ExpectRejected("", "empty");
  ExpectRejected("{", "not valid JSON");
  ExpectRejected("nul", "not valid JSON");
  ExpectRejected("{\"head\":{\"id\":1}} trailing", "not valid JSON");
  ExpectRejected("{\"head\":{\"id\":1},}", "not valid JSON");
  ExpectRejected(std::string("{\"head\":{\"id\":1,\"callFrame\":{\"url\":\"\xff\"}}}"), "not valid JSON");
  ExpectRejected("[]", "not a JSON object");
  ExpectRejected("null", "not a JSON object");
  ExpectRejected("\"profile\"", "not a JSON object");
  ExpectRejected("{}", "no \"head\"");
  ExpectRejected(R"json({"profile":3})json", "\"profile\" is not an object");
  ExpectRejected(R"json({"profile":{}})json", "no \"head\"");
  ExpectRejected(R"json({"profile":{"samples":[]}})json", "no \"head\"");
}

TEST(SamplingHeapProfileTest, RejectsWronglyTypedFields) {
  ExpectRejected(R"json({"head":[]})json", "not an object");
  ExpectRejected(R"json({"head":{}})json", "no \"id\"");
  ExpectRejected(R"json({"head":{"id":"1"}})json", "\"id\" that is not an integer");
  ExpectRejected(R"json({"head":{"id":1.5}})json", "\"id\" that is not an integer");
  ExpectRejected(R"json({"head":{"id":18446744073709551615}})json", "\"id\" that is not an integer");
  ExpectRejected(R"json({"head":{"id":1,"callFrame":"f"}})json", "Profile node 1 has a \"callFrame\" that is not an object");
  ExpectRejected(R"json({"head":{"id":1,"callFrame":{"functionName":3}}})json", "callFrame.functionName");
  ExpectRejected(R"json({"head":{"id":1,"callFrame":{"url":null}}})json", "callFrame.url");
  ExpectRejected(R"json({"head":{"id":1,"callFrame":{"scriptId":0}}})json", "callFrame.scriptId");
  ExpectRejected(R"json({"head":{"id":1,"callFrame":{"lineNumber":"3"}}})json", "callFrame.lineNumber");
  ExpectRejected(R"json({"head":{"id":1,"callFrame":{"lineNumber":3.5}}})json", "callFrame.lineNumber");
  ExpectRejected(R"json({"head":{"id":1,"callFrame":{"columnNumber":4294967296}}})json", "callFrame.columnNumber");
  ExpectRejected(R"json({"head":{"id":1,"selfSize":"0"}})json", "selfSize");
  ExpectRejected(R"json({"head":{"id":1,"selfSize":-1}})json", "selfSize");
  ExpectRejected(R"json({"head":{"id":1,"children":{}}})json", "children");
  ExpectRejected(R"json({"head":{"id":1,"children":[3]}})json", "not an object");
  ExpectRejected(R"json({"head":{"id":1,"children":[{"id":2},{"id":2}]}})json", "two nodes with id 2");
  ExpectRejected(R"json({"head":{"id":1,"children":[{"id":1}]}})json", "two nodes with id 1");
  ExpectRejected(R"json({"head":{"id":1},"samples":{}})json", "\"samples\" is not an array");
  ExpectRejected(R"json({"head":{"id":1},"samples":[1]})json", "sample 0 is not an object");
  ExpectRejected(R"json({"head":{"id":1},"samples":[{"nodeId":1},{"nodeId":1,"size":"8"}]})json", "sample 1");
  ExpectRejected(R"json({"head":{"id":1},"samples":[{"nodeId":1,"size":-8}]})json", "\"size\"");
  ExpectRejected(R"json({"head":{"id":1},"samples":[{"nodeId":"1"}]})json", "\"nodeId\"");
  ExpectRejected(R"json({"head":{"id":1},"samples":[{"nodeId":1,"ordinal":-1}]})json", "\"ordinal\"");
  ExpectRejected(R"json({"head":{"id":1},"samples":[{"nodeId":1,"ordinal":1.5}]})json", "\"ordinal\"");
  ExpectRejected(R"json({"head":{"id":1},"samples":[{"nodeId":1,"ordinal":1e30}]})json", "\"ordinal\"");
  ExpectRejected(R"json({"head":{"id":1},"samples":[{"nodeId":1,"size":1e999}]})json");
}

TEST(SamplingHeapProfileTest, RejectsEveryTruncation) {
  const std::string full(kHandWrittenReply);
  for (size_t length = 0; length < full.size(); ++length) {
    std::string error;
    EXPECT_FALSE(ParseSamplingHeapProfile(std::string_view(full).substr(0, length), &error).has_value())
        << "prefix of " << length << " bytes";
  }
  const std::string real = RealNode20Reply();
  for (size_t length : {size_t{1}, real.size() / 3, real.size() / 2, real.size() - 2, real.size() - 1}) {
    EXPECT_FALSE(ParseSamplingHeapProfile(std::string_view(real).substr(0, length), nullptr).has_value()) << length;
  }
}

// A chain of `depth` nodes below the root: JSON nesting 2 * depth deep.
std::string Chain(int depth) {
  std::string json = R"json({"head":{"id":0)json";
  for (int i = 1; i <= depth; ++i) json += R"json(,"children":[{"id":)json" + std::to_string(i);
  for (int i = 1; i <= depth; ++i) json += "}]";
  json += R"json(},"samples":[{"nodeId":)json" + std::to_string(depth) + R"json(,"size":8,"ordinal":1}]})json";
  return json;
}

TEST(SamplingHeapProfileTest, AcceptsTreesUpToTheDepthLimit) {
  const SamplingHeapProfile profile = ParseOrFail(Chain(kMaxProfileTreeDepth));
  ASSERT_EQ(profile.nodes.size(), static_cast<size_t>(kMaxProfileTreeDepth) + 1);
  for (size_t i = 1; i < profile.nodes.size(); ++i) EXPECT_EQ(profile.nodes[i].parent, static_cast<int32_t>(i) - 1);
  ASSERT_EQ(profile.samples.size(), 1u);
  EXPECT_EQ(profile.samples[0].node_index, kMaxProfileTreeDepth);
}

TEST(SamplingHeapProfileTest, RejectsDeeperTrees) {
  ExpectRejected(Chain(kMaxProfileTreeDepth + 1), "deeper than 1024");
  ExpectRejected(Chain(100'000));  // beyond simdjson's own depth limit too
}

TEST(SamplingHeapProfileTest, RejectsDeeplyNestedJunkWithoutOverflowingTheStack) {
  for (const char* open : {"[", "{\"a\":"}) {
    std::string json;
    for (int i = 0; i < 1'000'000; ++i) json += open;
    ExpectRejected(json);
    std::string wrapped = R"json({"head":{"id":1,"callFrame":)json" + json;
    ExpectRejected(wrapped);
  }
}

TEST(SamplingHeapProfileTest, WideTreesAreFine) {
  std::string json = R"json({"head":{"id":0,"children":[)json";
  constexpr int kChildren = 50'000;
  for (int i = 1; i <= kChildren; ++i) {
    if (i > 1) json += ',';
    json += R"json({"id":)json" + std::to_string(i) + R"json(,"callFrame":{"functionName":"f)json" + std::to_string(i) + R"json("}})json";
  }
  json += "]}}";
  const SamplingHeapProfile profile = ParseOrFail(json);
  ASSERT_EQ(profile.nodes.size(), static_cast<size_t>(kChildren) + 1);
  EXPECT_EQ(profile.nodes.back().frame.function_name, "f50000");
  EXPECT_EQ(profile.nodes.back().parent, 0);
}

}  // namespace
}  // namespace heapagent::cdp
