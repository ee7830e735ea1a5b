// pprof/profile_data: decoding what ProfileBuilder, Go's runtime/pprof and
// `go tool pprof -proto` write; EncodeProfile round trips, checked against
// libprotobuf's decoder; and the clear refusal of bad input.
#include "pprof/profile_data.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pprof/gzip.h"
#include "pprof/profile_builder.h"
#include "pprof/wire_writer.h"
#include "profile.pb.h"

namespace heapagent::pprof {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Fixture(const char* name) {
  return ReadFile(std::filesystem::path(HEAPAGENT_PROFILE_DATA_DIR) / name);
}

// A profile shaped like the agent's native one: mappings, an inlined frame,
// labels of both kinds, comments.
std::string BuildNativeLikeProfile() {
  ProfileBuilder builder;
  builder.AddSampleType("alloc_objects", "count");
  builder.AddSampleType("alloc_space", "bytes");
  builder.AddSampleType("inuse_objects", "count");
  builder.AddSampleType("inuse_space", "bytes");
  builder.SetPeriodType("space", "bytes", 524288);
  builder.SetTimeNanos(1'700'000'000'000'000'000);
  builder.SetDurationNanos(10'000'000'000);
  builder.SetDefaultSampleType("inuse_space");
  builder.SetDropFrames("heapagent::.*");
  builder.AddComment("written by profile_data_tests");
  const uint64_t app = builder.AddMapping({.memory_start = 0x400000,
                                           .memory_limit = 0x800000,
                                           .file_offset = 0x1000,
                                           .filename = "/usr/bin/node",
                                           .build_id = "ebeaf2df",
                                           .has_functions = true,
                                           .has_filenames = true,
                                           .has_line_numbers = true,
                                           .has_inline_frames = true});
  const uint64_t main_fn = builder.InternFunction("main", "main", "node_main.cc", 1);
  const uint64_t outer_fn = builder.InternFunction("Outer", "_Z5Outerv", "outer.cc", 20);
  const uint64_t inlined_fn = builder.InternFunction("Inlined", "_Z7Inlinedv", "inlined.h", 5);
  const uint64_t main_loc = builder.InternLocation(app, 0x401000, std::vector<LineInfo>{{main_fn, 3, 0}});
  const uint64_t outer_loc = builder.InternLocation(
      app, 0x402000, std::vector<LineInfo>{{inlined_fn, 7, 2}, {outer_fn, 25, 0}});
  const uint64_t js_loc = builder.InternLocation(
      0, 0, std::vector<LineInfo>{{builder.InternFunction("handle", "handle", "file:///app.js"), 12, 9}});
  builder.AddSample(std::vector<uint64_t>{outer_loc, main_loc}, std::vector<int64_t>{4, 4096, 2, 2048},
                    std::vector<Label>{{.key = "bytes", .num = 1024, .num_unit = "bytes"}});
  builder.AddSample(std::vector<uint64_t>{js_loc, main_loc}, std::vector<int64_t>{1, 100, -1, -100},
                    std::vector<Label>{{.key = "age", .str = "old"}, {.key = "thread id", .num = 1}});
  return builder.Encode();
}

// Samples keyed by their resolved stack and labels: equal for two profiles
// that mean the same thing whatever their ids.
std::map<std::string, std::vector<int64_t>> CanonicalSamples(const ProfileData& profile) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const SampleData& sample : profile.samples) {
    std::string key;
    for (uint64_t id : sample.location_ids) {
      const LocationData* location = profile.FindLocation(id);
      key += "[";
      if (const MappingData* mapping = profile.FindMapping(location->mapping_id)) key += mapping->filename + "@";
      for (const LineData& line : location->lines) {
        const FunctionData* function = profile.FindFunction(line.function_id);
        key += function->name + "|" + function->system_name + "|" + function->filename + ":" +
               std::to_string(line.line) + ":" + std::to_string(line.column) + ";";
      }
      key += "]";
    }
    for (const LabelData& label : sample.labels) {
      key += "{" + label.key + "=" + label.str + "/" + std::to_string(label.num) + label.num_unit + "}";
    }
    std::vector<int64_t>& values = out[key];
    values.resize(sample.values.size());
    for (size_t i = 0; i < sample.values.size(); ++i) values[i] += sample.values[i];
  }
  return out;
}

ProfileData DecodeOrDie(std::string_view data) {
  std::string error;
  std::optional<ProfileData> profile = DecodeProfile(data, &error);
  EXPECT_TRUE(profile.has_value()) << error;
  return profile ? std::move(*profile) : ProfileData{};
}

TEST(ProfileDataTest, DecodesEveryFieldProfileBuilderWrites) {
  const ProfileData p = DecodeOrDie(GzipCompress(BuildNativeLikeProfile()));
  ASSERT_EQ(p.sample_types.size(), 4u);
  EXPECT_EQ(p.sample_types[3], (ValueTypeData{"inuse_space", "bytes"}));
  EXPECT_EQ(p.SampleTypeIndex("inuse_objects"), 2);
  EXPECT_EQ(p.SampleTypeIndex("nope"), -1);
  EXPECT_EQ(p.period_type, (ValueTypeData{"space", "bytes"}));
  EXPECT_EQ(p.period, 524288);
  EXPECT_EQ(p.time_nanos, 1'700'000'000'000'000'000);
  EXPECT_EQ(p.duration_nanos, 10'000'000'000);
  EXPECT_EQ(p.default_sample_type, "inuse_space");
  EXPECT_EQ(p.drop_frames, "heapagent::.*");
  EXPECT_EQ(p.comments, std::vector<std::string>{"written by profile_data_tests"});
  ASSERT_EQ(p.mappings.size(), 1u);
  EXPECT_EQ(p.mappings[0].filename, "/usr/bin/node");
  EXPECT_EQ(p.mappings[0].build_id, "ebeaf2df");
  EXPECT_EQ(p.mappings[0].file_offset, 0x1000u);
  EXPECT_TRUE(p.mappings[0].has_inline_frames);
  ASSERT_EQ(p.samples.size(), 2u);
  const SampleData& native = p.samples[0];
  EXPECT_EQ(native.values, (std::vector<int64_t>{4, 4096, 2, 2048}));
  ASSERT_EQ(native.location_ids.size(), 2u);
  const LocationData* leaf = p.FindLocation(native.location_ids[0]);
  ASSERT_NE(leaf, nullptr);
  ASSERT_EQ(leaf->lines.size(), 2u);
  EXPECT_EQ(p.FindFunction(leaf->lines[0].function_id)->name, "Inlined");
  EXPECT_EQ(leaf->lines[0].column, 2);
  EXPECT_EQ(p.FindFunction(leaf->lines[1].function_id)->system_name, "_Z5Outerv");
  EXPECT_EQ(native.labels, (std::vector<LabelData>{{"bytes", "", 1024, "bytes"}}));
  const SampleData& js = p.samples[1];
  EXPECT_EQ(js.values[3], -100);  // negative values survive (diffs)
  EXPECT_EQ(p.FindLocation(js.location_ids[0])->mapping_id, 0u);
  EXPECT_EQ(js.labels[0], (LabelData{"age", "old", 0, ""}));
}

TEST(ProfileDataTest, EncodeThenDecodeKeepsTheMeaning) {
  const ProfileData first = DecodeOrDie(BuildNativeLikeProfile());
  ProfileData with_keep = first;
  with_keep.keep_frames = "main";
  const ProfileData second = DecodeOrDie(EncodeProfile(with_keep));
  EXPECT_EQ(CanonicalSamples(first), CanonicalSamples(second));
  EXPECT_EQ(second.sample_types, first.sample_types);
  EXPECT_EQ(second.period, first.period);
  EXPECT_EQ(second.time_nanos, first.time_nanos);
  EXPECT_EQ(second.comments, first.comments);
  EXPECT_EQ(second.drop_frames, first.drop_frames);
  EXPECT_EQ(second.keep_frames, "main");
  EXPECT_EQ(second.default_sample_type, "inuse_space");
}

TEST(ProfileDataTest, LibprotobufReadsWhatEncodeProfileWrites) {
  ProfileData profile = DecodeOrDie(BuildNativeLikeProfile());
  profile.keep_frames = "main";
  perftools::profiles::Profile message;
  ASSERT_TRUE(message.ParseFromString(EncodeProfile(profile)));
  ASSERT_GT(message.string_table_size(), 0);
  EXPECT_EQ(message.string_table(0), "");
  EXPECT_EQ(message.sample_size(), 2);
  EXPECT_EQ(message.location_size(), 3);
  EXPECT_EQ(message.function_size(), 4);
  EXPECT_EQ(message.string_table(message.keep_frames()), "main");
  EXPECT_EQ(message.string_table(message.default_sample_type()), "inuse_space");
}

TEST(ProfileDataTest, ReadsWhatLibprotobufWritesIncludingUnpackedFieldsAndAnyFieldOrder) {
  // A minimal profile written field by field, strings last and repeated
  // integers unpacked, as some producers do.
  WireWriter sample;
  sample.Uint64Field(1, 7);  // location_id, unpacked
  sample.Int64Field(2, 5);   // value, unpacked
  sample.Int64Field(2, 640);
  WireWriter type0, type1, function, line, location;
  type0.Int64Field(1, 1);
  type0.Int64Field(2, 2);
  type1.Int64Field(1, 3);
  type1.Int64Field(2, 4);
  function.Uint64Field(1, 9);
  function.Int64Field(2, 5);
  line.Uint64Field(1, 9);
  line.Int64Field(2, 42);
  location.Uint64Field(1, 7);
  location.MessageField(4, line);
  WireWriter profile;
  profile.MessageField(2, sample);
  profile.MessageField(1, type0);
  profile.MessageField(1, type1);
  profile.MessageField(4, location);
  profile.MessageField(5, function);
  for (const char* s : {"", "objects", "count", "space", "bytes", "retain"}) profile.BytesField(6, s);

  const ProfileData p = DecodeOrDie(profile.bytes());
  ASSERT_EQ(p.samples.size(), 1u);
  EXPECT_EQ(p.samples[0].values, (std::vector<int64_t>{5, 640}));
  EXPECT_EQ(p.sample_types[1].type, "space");
  EXPECT_EQ(p.FindFunction(p.FindLocation(7)->lines[0].function_id)->name, "retain");
  EXPECT_EQ(p.FindLocation(7)->lines[0].line, 42);
}

TEST(ProfileDataTest, ReadsGoRuntimeHeapProfile) {
  // data/go_runtime_heap.pprof.gz: runtime/pprof's "heap" profile of
  // data/go_runtime_heap.go.txt (8 MB retained by main.leakyCache).
  const ProfileData p = DecodeOrDie(Fixture("go_runtime_heap.pprof.gz"));
  ASSERT_EQ(p.sample_types.size(), 4u);
  EXPECT_EQ(p.sample_types[0], (ValueTypeData{"alloc_objects", "count"}));
  EXPECT_EQ(p.sample_types[3], (ValueTypeData{"inuse_space", "bytes"}));
  EXPECT_EQ(p.period_type.type, "space");
  EXPECT_FALSE(p.mappings.empty());
  int64_t leaky_inuse = 0;
  for (const SampleData& sample : p.samples) {
    const LocationData* leaf = p.FindLocation(sample.location_ids.at(0));
    for (const LineData& line : leaf->lines) {
      if (p.FindFunction(line.function_id)->name == "main.leakyCache") leaky_inuse += sample.values[3];
    }
  }
  EXPECT_GT(leaky_inuse, 7'000'000);
  EXPECT_LT(leaky_inuse, 10'000'000);
}

TEST(ProfileDataTest, ReadsGoToolPprofProtoOutputAndItsRoundTrip) {
  // data/go_tool_pprof_proto.pprof.gz: `go tool pprof -proto` of the same file.
  const ProfileData original = DecodeOrDie(Fixture("go_runtime_heap.pprof.gz"));
  const ProfileData rewritten = DecodeOrDie(Fixture("go_tool_pprof_proto.pprof.gz"));
  auto total = [](const ProfileData& p) {
    int64_t sum = 0;
    for (const SampleData& s : p.samples) sum += s.values[3];
    return sum;
  };
  EXPECT_EQ(total(original), total(rewritten));
  EXPECT_EQ(CanonicalSamples(rewritten), CanonicalSamples(DecodeOrDie(EncodeProfile(rewritten))));
}

TEST(ProfileDataTest, GoToolPprofReadsAndRewritesWhatEncodeProfileWrites) {
  if (std::system("command -v go >/dev/null 2>&1") != 0) GTEST_SKIP() << "go is not on PATH";
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("profile_data_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const ProfileData ours = DecodeOrDie(BuildNativeLikeProfile());
  {
    std::ofstream out(dir / "in.pb.gz", std::ios::binary);
    out << GzipCompress(EncodeProfile(ours));
  }
  const std::string command = "cd " + dir.string() + " && go tool pprof -proto in.pb.gz > out.pb.gz 2>err.txt";
  ASSERT_EQ(std::system(command.c_str()), 0) << ReadFile(dir / "err.txt");
  const ProfileData rewritten = DecodeOrDie(ReadFile(dir / "out.pb.gz"));
  // go1.19's pprof predates Line.column and drops it.
  ProfileData ours_without_columns = ours;
  for (LocationData& location : ours_without_columns.locations) {
    for (LineData& line : location.lines) line.column = 0;
  }
  EXPECT_EQ(CanonicalSamples(rewritten), CanonicalSamples(ours_without_columns));
  std::filesystem::remove_all(dir);
}

// Re-serializes `original` after `mutate` has edited it with libprotobuf.
template <typename Mutate>
std::string Mutated(const std::string& original, Mutate mutate) {
  perftools::profiles::Profile message;
  EXPECT_TRUE(message.ParseFromString(original));
  mutate(message);
  return message.SerializeAsString();
}

std::string DecodeError(std::string_view data) {
  std::string error;
  EXPECT_FALSE(DecodeProfile(data, &error).has_value());
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(ProfileDataTest, RefusesBadInputWithAReason) {
  const std::string good = BuildNativeLikeProfile();
  const std::string gzipped = GzipCompress(good);
  EXPECT_EQ(DecodeError(""), "empty input");
  EXPECT_NE(DecodeError("hello, this is not a profile\n").find("not"), std::string::npos);
  EXPECT_NE(DecodeError(gzipped.substr(0, gzipped.size() / 2)).find("gzip"), std::string::npos);
  EXPECT_NE(DecodeError(good.substr(0, good.size() - 3)).find("truncated"), std::string::npos);

  using perftools::profiles::Profile;
  EXPECT_NE(DecodeError(Mutated(good, [](Profile& p) { p.set_string_table(0, "x"); })).find("string_table[0]"),
            std::string::npos);
  EXPECT_NE(DecodeError(Mutated(good, [](Profile& p) { p.mutable_sample(0)->add_value(1); })).find("values"),
            std::string::npos);
  EXPECT_NE(DecodeError(Mutated(good, [](Profile& p) { p.mutable_sample(0)->add_location_id(99); }))
                .find("missing location"),
            std::string::npos);
  EXPECT_NE(DecodeError(Mutated(good, [](Profile& p) { p.mutable_location(1)->set_id(1); })).find("id 1"),
            std::string::npos);
  EXPECT_NE(DecodeError(Mutated(good, [](Profile& p) { p.mutable_function(0)->set_id(0); })).find("id 0"),
            std::string::npos);
  EXPECT_NE(DecodeError(Mutated(good, [](Profile& p) { p.mutable_location(0)->set_mapping_id(5); }))
                .find("missing mapping"),
            std::string::npos);
  EXPECT_NE(DecodeError(Mutated(good, [](Profile& p) { p.mutable_function(0)->set_name(1000); }))
                .find("string table"),
            std::string::npos);
  EXPECT_NE(DecodeError(Mutated(good, [](Profile& p) { p.mutable_location(0)->mutable_line(0)->set_function_id(77); }))
                .find("missing function"),
            std::string::npos);
  // A second time_nanos is how Go's reader recognises concatenated profiles.
  WireWriter second_time;
  second_time.Int64Field(9, 1);
  EXPECT_NE(DecodeError(good + second_time.bytes()).find("twice"), std::string::npos);
}

}  // namespace
}  // namespace heapagent::pprof
