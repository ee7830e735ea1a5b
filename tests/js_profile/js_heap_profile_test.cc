// pprof::BuildJsHeapProfile, decoded with libprotobuf's generated classes:
// every field of the hand-written profile, the real node 20 profile's totals,
// several threads, off-heap memory, ages, and odd hand-built inputs.
#include "pprof/js_heap_profile.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fixtures.h"
#include "pprof/gzip.h"
#include "pprof/profile_builder.h"
#include "profile.pb.h"

namespace heapagent::pprof {
namespace {

using perftools::profiles::Profile;
using testing_fixtures::kHandWrittenReply;
using testing_fixtures::ParseOrFail;
using testing_fixtures::RealNode20Reply;
using WireFormat = google::protobuf::internal::WireFormatLite;

constexpr int64_t kStart = 1'700'000'000'000'000'000;
constexpr int64_t kEnd = kStart + 10'000'000'000;
template <typename Line>
constexpr bool kHasColumn = requires(Line line) { line.column; };
constexpr bool kBuilderHasColumns = kHasColumn<LineInfo>;

Profile Decode(const std::string& encoded) {
  // The path a profile takes to disk: gzip, then any reader gunzips.
  const auto gunzipped = GzipDecompress(GzipCompress(encoded));
  EXPECT_TRUE(gunzipped.has_value());
  Profile profile;
  EXPECT_TRUE(profile.ParseFromString(gunzipped.value_or("")));
  return profile;
}

const std::string& Str(const Profile& profile, int64_t index) {
  static const std::string kOutOfRange = "<string index out of range>";
  if (index < 0 || index >= profile.string_table_size()) {
    ADD_FAILURE() << "string index " << index << " out of range";
    return kOutOfRange;
  }
  return profile.string_table(static_cast<int>(index));
}

// How many times each top-level field occurs (a parser hides duplicates).
std::map<uint32_t, int> CountFields(const std::string& message) {
  std::map<uint32_t, int> counts;
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(message.data()),
                                               static_cast<int>(message.size()));
  while (const uint32_t tag = input.ReadTag()) {
    ++counts[WireFormat::GetTagFieldNumber(tag)];
    if (!WireFormat::SkipField(&input, tag)) {
      ADD_FAILURE() << "malformed field with tag " << tag;
      break;
    }
  }
  return counts;
}

// A decoded sample in names: the stack as function names, leaf first.
struct DecodedSample {
  std::vector<std::string> stack;
  std::map<std::string, std::string> labels;
  int64_t count = 0;
  int64_t bytes = 0;
};

std::vector<DecodedSample> Samples(const Profile& profile) {
  std::map<uint64_t, const perftools::profiles::Location*> locations;
  std::map<uint64_t, const perftools::profiles::Function*> functions;
  for (const auto& location : profile.location()) locations[location.id()] = &location;
  for (const auto& function : profile.function()) functions[function.id()] = &function;
  std::vector<DecodedSample> samples;
  for (const auto& sample : profile.sample()) {
    DecodedSample decoded;
    for (uint64_t id : sample.location_id()) {
      const auto* location = locations.at(id);
      EXPECT_EQ(location->line_size(), 1);
      decoded.stack.push_back(Str(profile, functions.at(location->line(0).function_id())->name()));
    }
    for (const auto& label : sample.label()) {
      EXPECT_EQ(label.num(), 0);
      EXPECT_TRUE(decoded.labels.emplace(Str(profile, label.key()), Str(profile, label.str())).second)
          << "repeated label key";
    }
    EXPECT_EQ(sample.value_size(), 2);
    decoded.count = sample.value(0);
    decoded.bytes = sample.value(1);
    samples.push_back(decoded);
  }
  return samples;
}

std::string StackKey(const DecodedSample& sample) {
  std::string key;
  for (const std::string& frame : sample.stack) key += frame + ";";
  auto age = sample.labels.find("age");
  if (age != sample.labels.end()) key += "age=" + age->second;
  return key;
}

std::map<std::string, DecodedSample> ByStack(const Profile& profile) {
  std::map<std::string, DecodedSample> by_stack;
  for (DecodedSample& sample : Samples(profile)) {
    const std::string key = StackKey(sample);
    EXPECT_TRUE(by_stack.emplace(key, sample).second) << "two samples for " << key;
  }
  return by_stack;
}

std::string AllComments(const Profile& profile) {
  std::string text;
  for (int64_t comment : profile.comment()) text += Str(profile, comment) + "\n";
  return text;
}

JsHeapProfileOptions Options(int64_t interval = 4096) {
  JsHeapProfileOptions options;
  options.sampling_interval = interval;
  options.window = {.start_unix_nanos = kStart, .end_unix_nanos = kEnd};
  return options;
}

class HandWrittenProfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parsed_ = ParseOrFail(kHandWrittenReply);
    JsThreadHeap main{.thread_name = "Main Event Loop",
                      .thread_id = 0,
                      .os_thread_id = 1234,
                      .profile = &parsed_,
                      .external_bytes = 5000,
                      .array_buffer_bytes = 1000};
    encoded_ = BuildJsHeapProfile({&main, 1}, Options());
    profile_ = Decode(encoded_);
  }

  cdp::SamplingHeapProfile parsed_;
  std::string encoded_;
  Profile profile_;
};

TEST_F(HandWrittenProfileTest, HeaderFields) {
  ASSERT_GE(profile_.string_table_size(), 1);
  EXPECT_EQ(profile_.string_table(0), "");
  ASSERT_EQ(profile_.sample_type_size(), 2);
  EXPECT_EQ(Str(profile_, profile_.sample_type(0).type()), "inuse_samples");
  EXPECT_EQ(Str(profile_, profile_.sample_type(0).unit()), "count");
  EXPECT_EQ(Str(profile_, profile_.sample_type(1).type()), "inuse_space");
  EXPECT_EQ(Str(profile_, profile_.sample_type(1).unit()), "bytes");
  EXPECT_EQ(Str(profile_, profile_.default_sample_type()), "inuse_space");
  EXPECT_EQ(Str(profile_, profile_.period_type().type()), "space");
  EXPECT_EQ(Str(profile_, profile_.period_type().unit()), "bytes");
  EXPECT_EQ(profile_.period(), 4096);
  EXPECT_EQ(profile_.time_nanos(), kStart);
  EXPECT_EQ(profile_.duration_nanos(), kEnd - kStart);
  const auto fields = CountFields(encoded_);
  EXPECT_EQ(fields.at(9), 1);   // time_nanos
  EXPECT_EQ(fields.at(10), 1);  // duration_nanos
  EXPECT_EQ(profile_.mapping_size(), 0);
  EXPECT_EQ(profile_.drop_frames(), 0);
}

TEST_F(HandWrittenProfileTest, SamplesAreSumsPerStackLeafFirst) {
  const auto by_stack = ByStack(profile_);
  ASSERT_EQ(by_stack.size(), 4u);
  const DecodedSample& leaky = by_stack.at("leaky;main;");
  EXPECT_EQ(leaky.count, 2);
  EXPECT_EQ(leaky.bytes, 4096 + 8192);
  const DecodedSample& anonymous = by_stack.at("(anonymous);main;");
  EXPECT_EQ(anonymous.count, 1);
  EXPECT_EQ(anonymous.bytes, 4100);
  const DecodedSample& gc = by_stack.at("(GC);");
  EXPECT_EQ(gc.count, 1);
  EXPECT_EQ(gc.bytes, 8200);
  const DecodedSample& external = by_stack.at("(external);");
  EXPECT_EQ(external.count, 1);
  EXPECT_EQ(external.bytes, 5000);
}

TEST_F(HandWrittenProfileTest, EverySampleHasTheThreadLabels) {
  for (const DecodedSample& sample : Samples(profile_)) {
    const std::map<std::string, std::string> expected = {
        {"thread name", "Main Event Loop"}, {"thread id", "0"}, {"os thread id", "1234"}};
    EXPECT_EQ(sample.labels, expected) << StackKey(sample);
  }
}

TEST_F(HandWrittenProfileTest, FunctionsAndLinesAreOneBased) {
  std::map<std::string, const perftools::profiles::Function*> functions;
  for (const auto& function : profile_.function()) {
    const std::string& name = Str(profile_, function.name());
    EXPECT_TRUE(functions.emplace(name, &function).second) << name;
    EXPECT_EQ(Str(profile_, function.system_name()), name);
  }
  EXPECT_EQ(functions.count("(root)"), 0u);
  EXPECT_EQ(functions.count(""), 0u);
  ASSERT_EQ(functions.size(), 5u);  // main, leaky, (anonymous), (GC), (external)

  EXPECT_EQ(Str(profile_, functions.at("leaky")->filename()), "file:///app/main.js");
  EXPECT_EQ(functions.at("leaky")->start_line(), 20);
  EXPECT_EQ(functions.at("main")->start_line(), 10);
  EXPECT_EQ(Str(profile_, functions.at("(anonymous)")->filename()), "file:///app/main.js");
  EXPECT_EQ(functions.at("(anonymous)")->start_line(), 30);
  EXPECT_EQ(Str(profile_, functions.at("(GC)")->filename()), "");
  EXPECT_EQ(functions.at("(GC)")->start_line(), 0);
  EXPECT_EQ(Str(profile_, functions.at("(external)")->filename()), "");

  const std::map<std::string, std::pair<int64_t, int64_t>> expected_lines = {
      {"main", {10, 5}}, {"leaky", {20, 16}}, {"(anonymous)", {30, 1}}, {"(GC)", {0, 0}}, {"(external)", {0, 0}}};
  ASSERT_EQ(profile_.location_size(), 5);
  for (const auto& location : profile_.location()) {
    EXPECT_NE(location.id(), 0u);
    EXPECT_EQ(location.mapping_id(), 0u);
    EXPECT_EQ(location.address(), 0u);
    ASSERT_EQ(location.line_size(), 1);
    const auto& line = location.line(0);
    std::string name;
    for (const auto& [function_name, function] : functions) {
      if (function->id() == line.function_id()) name = function_name;
    }
    ASSERT_TRUE(expected_lines.count(name)) << name;
    EXPECT_EQ(line.line(), expected_lines.at(name).first) << name;
    EXPECT_EQ(line.column(), kBuilderHasColumns ? expected_lines.at(name).second : 0) << name;
  }
}

TEST_F(HandWrittenProfileTest, CommentsSummariseTheProfile) {
  const std::string comments = AllComments(profile_);
  for (const char* fragment :
       {"sampling interval 4096 bytes", "4 raw samples", "4 distinct samples", "0 samples dropped",
        "thread \"Main Event Loop\" (id 0): 4 samples, 24588 bytes", "external 5000 bytes",
        "array buffers 1000 bytes (part of external)"}) {
    EXPECT_NE(comments.find(fragment), std::string::npos) << fragment << "\n" << comments;
  }
}

TEST(JsHeapProfileTest, RealNode20ProfileValuesAreTheSumsOfSampleSizes) {
  const cdp::SamplingHeapProfile parsed = ParseOrFail(RealNode20Reply());
  JsThreadHeap main{.thread_name = "Main Event Loop", .profile = &parsed};
  const Profile profile = Decode(BuildJsHeapProfile({&main, 1}, Options()));

  double expected_bytes = 0;
  for (const cdp::JsSample& sample : parsed.samples) expected_bytes += sample.size;
  int64_t count = 0;
  int64_t bytes = 0;
  std::set<std::string> leaves;
  for (const DecodedSample& sample : Samples(profile)) {
    count += sample.count;
    bytes += sample.bytes;
    ASSERT_FALSE(sample.stack.empty());
    leaves.insert(sample.stack.front());
    for (const std::string& frame : sample.stack) EXPECT_NE(frame, "(root)");
    EXPECT_EQ(sample.labels.count("os thread id"), 0u);  // os_thread_id 0 = unknown
    EXPECT_EQ(sample.labels.at("thread id"), "0");
  }
  EXPECT_EQ(count, static_cast<int64_t>(parsed.samples.size()));
  EXPECT_EQ(bytes, std::llround(expected_bytes));
  EXPECT_TRUE(leaves.count("leakyArrays") || leaves.count("fill")) << "no leakyArrays leaf";

  // Every user function of the capture script is a frame with its file and a
  // 1-based line.
  std::map<std::string, const perftools::profiles::Function*> functions;
  for (const auto& function : profile.function()) functions[Str(profile, function.name())] = &function;
  EXPECT_EQ(functions.count("(root)"), 0u);
  EXPECT_EQ(functions.count(""), 0u);
  EXPECT_EQ(functions.count("(anonymous)"), 1u);
  for (const auto& [name, line] : std::map<std::string, int64_t>{
           {"leakyArrays", 9}, {"retainStrings", 12}, {"outer", 15}, {"inner", 17}}) {
    ASSERT_TRUE(functions.count(name)) << name;
    EXPECT_NE(Str(profile, functions.at(name)->filename()).find("capture_sampling_profile.js"), std::string::npos);
    EXPECT_EQ(functions.at(name)->start_line(), line) << name;
  }
  // inner is called from outer: its stacks run inner, outer, ... leaf first.
  bool saw_inner_stack = false;
  for (const DecodedSample& sample : Samples(profile)) {
    for (size_t i = 0; i + 1 < sample.stack.size(); ++i) {
      if (sample.stack[i] == "inner") {
        EXPECT_EQ(sample.stack[i + 1], "outer");
        saw_inner_stack = true;
      }
    }
  }
  EXPECT_TRUE(saw_inner_stack);
}

TEST(JsHeapProfileTest, ThreadsAreLabelledApart) {
  const cdp::SamplingHeapProfile parsed = ParseOrFail(kHandWrittenReply);
  const JsThreadHeap threads[] = {
      {.thread_name = "Main Event Loop", .thread_id = 0, .os_thread_id = 100, .profile = &parsed},
      {.thread_name = "Worker #3", .thread_id = 3, .os_thread_id = 0, .profile = &parsed, .external_bytes = 77},
      {.thread_name = "", .thread_id = 4, .profile = nullptr, .external_bytes = 0},
  };
  const Profile profile = Decode(BuildJsHeapProfile(threads, Options()));
  std::map<std::string, int64_t> bytes_by_thread;
  for (const DecodedSample& sample : Samples(profile)) {
    const std::string& thread = sample.labels.at("thread name");
    bytes_by_thread[thread] += sample.bytes;
    if (thread == "Main Event Loop") {
      EXPECT_EQ(sample.labels.at("thread id"), "0");
      EXPECT_EQ(sample.labels.at("os thread id"), "100");
    } else {
      EXPECT_EQ(sample.labels.count("os thread id"), 0u);
    }
    if (thread == "Worker #3") {
      EXPECT_EQ(sample.labels.at("thread id"), "3");
    } else if (thread == "Worker #4") {
      EXPECT_EQ(sample.labels.at("thread id"), "4");
    }
  }
  EXPECT_EQ(bytes_by_thread.at("Main Event Loop"), 24588);
  EXPECT_EQ(bytes_by_thread.at("Worker #3"), 24588 + 77);
  EXPECT_EQ(bytes_by_thread.at("Worker #4"), 0);  // an empty name gets the default
  const std::string comments = AllComments(profile);
  EXPECT_NE(comments.find("8 raw samples"), std::string::npos) << comments;
  EXPECT_NE(comments.find("thread \"Worker #3\" (id 3): 4 samples, 24588 bytes"), std::string::npos) << comments;
  EXPECT_NE(comments.find("thread \"Worker #4\" (id 4): 0 samples"), std::string::npos) << comments;
}

TEST(JsHeapProfileTest, AgesLabelNewAndOldSamplesAcrossReads) {
  JsSampleAges ages;
  JsHeapProfileOptions options = Options();
  options.ages = &ages;

  // First read: everything is new.
  const cdp::SamplingHeapProfile first = ParseOrFail(kHandWrittenReply);
  JsThreadHeap main{.thread_name = "Main Event Loop", .profile = &first, .external_bytes = 10};
  for (const DecodedSample& sample : Samples(Decode(BuildJsHeapProfile({&main, 1}, options)))) {
    if (sample.stack.front() == "(external)") {
      EXPECT_EQ(sample.labels.count("age"), 0u);
    } else {
      EXPECT_EQ(sample.labels.at("age"), "new") << StackKey(sample);
    }
  }

  // Second read: ordinal 1 died, 2 and 4 survived, 5 (on leaky) and 6 (on
  // the anonymous function) are new; leaky's samples split by age.
  const cdp::SamplingHeapProfile second = ParseOrFail(
      R"json({"head":{"id":1,"callFrame":{"functionName":"(root)"},"children":[
          {"id":2,"callFrame":{"functionName":"main"},"children":[
            {"id":3,"callFrame":{"functionName":"leaky"}},{"id":4,"callFrame":{"functionName":""}}]},
          {"id":5,"callFrame":{"functionName":"(GC)"}}]},
          "samples":[{"size":8192,"nodeId":3,"ordinal":2},{"size":8200,"nodeId":5,"ordinal":4},
                     {"size":1000,"nodeId":3,"ordinal":5},{"size":2000,"nodeId":4,"ordinal":6}]})json");
  main.profile = &second;
  const auto by_stack = ByStack(Decode(BuildJsHeapProfile({&main, 1}, options)));
  EXPECT_EQ(by_stack.at("leaky;main;age=old").bytes, 8192);
  EXPECT_EQ(by_stack.at("leaky;main;age=new").bytes, 1000);
  EXPECT_EQ(by_stack.at("(anonymous);main;age=new").bytes, 2000);
  EXPECT_EQ(by_stack.at("(GC);age=old").bytes, 8200);
  EXPECT_EQ(by_stack.at("(external);").bytes, 10);
  EXPECT_EQ(by_stack.size(), 5u);
  EXPECT_EQ(ages.remembered_samples(), 4u);  // only the live set
}

TEST(JsHeapProfileTest, NoAgesMeansNoAgeLabel) {
  const cdp::SamplingHeapProfile parsed = ParseOrFail(kHandWrittenReply);
  JsThreadHeap main{.profile = &parsed};
  for (const DecodedSample& sample : Samples(Decode(BuildJsHeapProfile({&main, 1}, Options())))) {
    EXPECT_EQ(sample.labels.count("age"), 0u);
    EXPECT_EQ(sample.labels.at("thread name"), "Main Event Loop");
  }
}

TEST(JsHeapProfileTest, HandBuiltProfilesResolveIdsAndSurviveOddities) {
  cdp::SamplingHeapProfile profile;
  profile.nodes.push_back({.id = 10, .parent = -1, .frame = {.function_name = "(root)"}});
  profile.nodes.push_back({.id = 11, .parent = 0, .frame = {.function_name = "f", .line = 0, .column = 0}});
  // A parent pointing forward (impossible from the parser) must not loop.
  profile.nodes.push_back({.id = 12, .parent = 2, .frame = {.function_name = "self_parent"}});
  profile.dropped_samples = 1;
  profile.samples = {
      {.size = 100, .node_id = 11},                                    // no node_index: looked up
      {.size = 50, .node_id = 11, .node_index = 0},                    // wrong hint: looked up
      {.size = 7, .node_id = 10, .node_index = 0},                     // on the root itself
      {.size = 1, .node_id = 999},                                     // unknown: dropped
      {.size = 2, .node_id = 12, .node_index = 2},                     // cyclic parent
      {.size = 1e300, .node_id = 11, .ordinal = 9, .node_index = 1}};  // saturates, no UB
  JsThreadHeap main{.profile = &profile, .external_bytes = std::numeric_limits<int64_t>::max()};
  const Profile decoded = Decode(BuildJsHeapProfile({&main, 1}, Options()));
  const auto by_stack = ByStack(decoded);
  EXPECT_EQ(by_stack.at("f;").count, 3);
  EXPECT_EQ(by_stack.at("f;").bytes, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(by_stack.at("(no JS frame);").bytes, 7);
  EXPECT_EQ(by_stack.at("self_parent;").bytes, 2);
  EXPECT_EQ(by_stack.at("(external);").bytes, std::numeric_limits<int64_t>::max());
  EXPECT_NE(AllComments(decoded).find("2 samples dropped"), std::string::npos) << AllComments(decoded);
}

TEST(JsHeapProfileTest, NoThreadsStillMakesAValidProfile) {
  const Profile profile = Decode(BuildJsHeapProfile({}, Options(524288)));
  EXPECT_EQ(profile.sample_size(), 0);
  EXPECT_EQ(profile.period(), 524288);
  EXPECT_EQ(profile.sample_type_size(), 2);
}

}  // namespace
}  // namespace heapagent::pprof
