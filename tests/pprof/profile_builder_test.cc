// Encodes profiles with ProfileBuilder, gzips and gunzips them, and decodes
// them with libprotobuf's generated classes to check every field.
#include "pprof/profile_builder.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pprof/gzip.h"
#include "profile.pb.h"

namespace heapagent::pprof {
namespace {

using perftools::profiles::Profile;
using WireFormat = google::protobuf::internal::WireFormatLite;

// Goes through the same gzip path a profile takes on its way to disk.
Profile DecodeViaGzip(const ProfileBuilder& builder) {
  const std::string encoded = builder.Encode();
  const auto gunzipped = GzipDecompress(GzipCompress(encoded));
  EXPECT_TRUE(gunzipped.has_value());
  EXPECT_EQ(gunzipped.value_or(""), encoded);
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

struct FieldOccurrence {
  int count = 0;
  WireFormat::WireType wire_type = WireFormat::WIRETYPE_VARINT;
};

// Field number -> how often, and with which wire type, it occurs at the top
// level of `message`. Lets tests see encoding choices a parser hides
// (packed vs. unpacked, a scalar written twice).
std::map<uint32_t, FieldOccurrence> ScanFields(const std::string& message) {
  std::map<uint32_t, FieldOccurrence> fields;
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(message.data()),
                                               static_cast<int>(message.size()));
  while (const uint32_t tag = input.ReadTag()) {
    FieldOccurrence& field = fields[WireFormat::GetTagFieldNumber(tag)];
    ++field.count;
    field.wire_type = WireFormat::GetTagWireType(tag);
    if (!WireFormat::SkipField(&input, tag)) {
      ADD_FAILURE() << "malformed field with tag " << tag;
      break;
    }
  }
  return fields;
}

// The heap-profile shape the agent produces, with every feature in use.
class HeapProfileTest : public ::testing::Test {
 protected:
  static constexpr int64_t kTimeNanos = 1'700'000'000'123'456'789;
  static constexpr int64_t kDurationNanos = 30'000'000'000;
  static constexpr int64_t kPeriod = 524288;

  void SetUp() override {
    builder_.AddSampleType("alloc_objects", "count");
    builder_.AddSampleType("alloc_space", "bytes");
    builder_.AddSampleType("inuse_objects", "count");
    builder_.AddSampleType("inuse_space", "bytes");
    builder_.SetPeriodType("space", "bytes", kPeriod);
    builder_.SetTimeNanos(kTimeNanos);
    builder_.SetDurationNanos(kDurationNanos);
    builder_.SetDefaultSampleType("inuse_space");
    builder_.AddComment("heapagent test profile");
    builder_.AddComment("second comment");
    builder_.SetDropFrames("^malloc$");

    node_mapping_ = builder_.AddMapping({
        .memory_start = 0x400000,
        .memory_limit = 0x2400000,
        .file_offset = 0,
        .filename = "/usr/bin/node",
        .build_id = "8f3c2a1b9d",
        .has_functions = true,
        .has_filenames = true,
        .has_line_numbers = true,
        .has_inline_frames = true,
    });
    libc_mapping_ = builder_.AddMapping({
        .memory_start = 0x7f0000000000,
        .memory_limit = 0x7f0000200000,
        .file_offset = 0x28000,
        .filename = "/lib/x86_64-linux-gnu/libc.so.6",
        .build_id = "c0ffee",
        .has_functions = true,
    });

    main_fn_ = builder_.InternFunction("main", "main", "src/node_main.cc", 10);
    allocate_fn_ = builder_.InternFunction("v8::internal::Heap::Allocate",
                                           "_ZN2v88internal4Heap8AllocateEv", "heap.cc", 100);
    allocate_raw_fn_ = builder_.InternFunction(
        "v8::internal::Heap::AllocateRaw", "_ZN2v88internal4Heap11AllocateRawEv", "heap-inl.h", 50);
    malloc_fn_ = builder_.InternFunction("malloc", "malloc", "");

    const LineInfo main_lines[] = {{main_fn_, 12}};
    main_loc_ = builder_.InternLocation(node_mapping_, 0x401000, main_lines);
    // AllocateRaw was inlined into Allocate: innermost frame first.
    const LineInfo allocate_lines[] = {{allocate_raw_fn_, 55}, {allocate_fn_, 120}};
    allocate_loc_ = builder_.InternLocation(node_mapping_, 0x402abc, allocate_lines);
    const LineInfo malloc_lines[] = {{malloc_fn_, 0}};
    malloc_loc_ = builder_.InternLocation(libc_mapping_, 0x7f0000031234, malloc_lines);

    const uint64_t deep_stack[] = {malloc_loc_, allocate_loc_, main_loc_};
    const Label deep_labels[] = {{.key = "bytes", .num = 1024, .num_unit = "bytes"},
                                 {.key = "thread", .str = "main"}};
    ASSERT_TRUE(
        builder_.AddSample(deep_stack, std::vector<int64_t>{1, 1024, 1, 1024}, deep_labels));

    const uint64_t short_stack[] = {allocate_loc_, main_loc_};
    const Label short_labels[] = {{.key = "bytes", .num = 32, .num_unit = "bytes"}};
    ASSERT_TRUE(builder_.AddSample(short_stack, std::vector<int64_t>{2, 64, 0, 0}, short_labels));

    // Same stack and labels as the first sample: merged into it.
    ASSERT_TRUE(
        builder_.AddSample(deep_stack, std::vector<int64_t>{3, 3072, 2, 2048}, deep_labels));

    // Negative values exercise ten-byte int64 varints inside packed fields.
    const uint64_t leaf_only[] = {main_loc_};
    ASSERT_TRUE(builder_.AddSample(leaf_only, std::vector<int64_t>{0, 0, -1, -512}));
  }

  ProfileBuilder builder_;
  uint64_t node_mapping_ = 0, libc_mapping_ = 0;
  uint64_t main_fn_ = 0, allocate_fn_ = 0, allocate_raw_fn_ = 0, malloc_fn_ = 0;
  uint64_t main_loc_ = 0, allocate_loc_ = 0, malloc_loc_ = 0;
};

TEST_F(HeapProfileTest, HeaderFieldsRoundTrip) {
  const Profile profile = DecodeViaGzip(builder_);

  ASSERT_EQ(profile.sample_type_size(), 4);
  const std::pair<std::string, std::string> expected_types[] = {{"alloc_objects", "count"},
                                                                {"alloc_space", "bytes"},
                                                                {"inuse_objects", "count"},
                                                                {"inuse_space", "bytes"}};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Str(profile, profile.sample_type(i).type()), expected_types[i].first);
    EXPECT_EQ(Str(profile, profile.sample_type(i).unit()), expected_types[i].second);
  }

  ASSERT_TRUE(profile.has_period_type());
  EXPECT_EQ(Str(profile, profile.period_type().type()), "space");
  EXPECT_EQ(Str(profile, profile.period_type().unit()), "bytes");
  EXPECT_EQ(profile.period(), kPeriod);
  EXPECT_EQ(profile.time_nanos(), kTimeNanos);
  EXPECT_EQ(profile.duration_nanos(), kDurationNanos);
  EXPECT_EQ(Str(profile, profile.default_sample_type()), "inuse_space");
  EXPECT_EQ(Str(profile, profile.drop_frames()), "^malloc$");
  EXPECT_EQ(profile.keep_frames(), 0);
  ASSERT_EQ(profile.comment_size(), 2);
  EXPECT_EQ(Str(profile, profile.comment(0)), "heapagent test profile");
  EXPECT_EQ(Str(profile, profile.comment(1)), "second comment");
}

TEST_F(HeapProfileTest, StringTableStartsEmptyAndHasNoDuplicates) {
  const Profile profile = DecodeViaGzip(builder_);
  ASSERT_GT(profile.string_table_size(), 0);
  EXPECT_EQ(profile.string_table(0), "");
  const std::set<std::string> distinct(profile.string_table().begin(),
                                       profile.string_table().end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(profile.string_table_size()));
}

TEST_F(HeapProfileTest, MappingsRoundTrip) {
  const Profile profile = DecodeViaGzip(builder_);
  ASSERT_EQ(profile.mapping_size(), 2);
  EXPECT_EQ(node_mapping_, 1u);
  EXPECT_EQ(libc_mapping_, 2u);

  const auto& node = profile.mapping(0);
  EXPECT_EQ(node.id(), node_mapping_);
  EXPECT_EQ(node.memory_start(), 0x400000u);
  EXPECT_EQ(node.memory_limit(), 0x2400000u);
  EXPECT_EQ(node.file_offset(), 0u);
  EXPECT_EQ(Str(profile, node.filename()), "/usr/bin/node");
  EXPECT_EQ(Str(profile, node.build_id()), "8f3c2a1b9d");
  EXPECT_TRUE(node.has_functions());
  EXPECT_TRUE(node.has_filenames());
  EXPECT_TRUE(node.has_line_numbers());
  EXPECT_TRUE(node.has_inline_frames());

  const auto& libc = profile.mapping(1);
  EXPECT_EQ(libc.id(), libc_mapping_);
  EXPECT_EQ(libc.memory_start(), 0x7f0000000000u);
  EXPECT_EQ(libc.memory_limit(), 0x7f0000200000u);
  EXPECT_EQ(libc.file_offset(), 0x28000u);
  EXPECT_EQ(Str(profile, libc.filename()), "/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(Str(profile, libc.build_id()), "c0ffee");
  EXPECT_TRUE(libc.has_functions());
  EXPECT_FALSE(libc.has_filenames());
  EXPECT_FALSE(libc.has_line_numbers());
  EXPECT_FALSE(libc.has_inline_frames());
}

TEST_F(HeapProfileTest, FunctionsRoundTrip) {
  const Profile profile = DecodeViaGzip(builder_);
  ASSERT_EQ(profile.function_size(), 4);
  struct Expected {
    uint64_t id;
    std::string name, system_name, filename;
    int64_t start_line;
  };
  const Expected expected[] = {
      {main_fn_, "main", "main", "src/node_main.cc", 10},
      {allocate_fn_, "v8::internal::Heap::Allocate", "_ZN2v88internal4Heap8AllocateEv", "heap.cc",
       100},
      {allocate_raw_fn_, "v8::internal::Heap::AllocateRaw", "_ZN2v88internal4Heap11AllocateRawEv",
       "heap-inl.h", 50},
      {malloc_fn_, "malloc", "malloc", "", 0},
  };
  for (int i = 0; i < 4; ++i) {
    const auto& function = profile.function(i);
    EXPECT_EQ(function.id(), expected[i].id);
    EXPECT_EQ(function.id(), static_cast<uint64_t>(i + 1));
    EXPECT_EQ(Str(profile, function.name()), expected[i].name);
    EXPECT_EQ(Str(profile, function.system_name()), expected[i].system_name);
    EXPECT_EQ(Str(profile, function.filename()), expected[i].filename);
    EXPECT_EQ(function.start_line(), expected[i].start_line);
  }
}

TEST_F(HeapProfileTest, LocationsRoundTripWithInlinedLines) {
  const Profile profile = DecodeViaGzip(builder_);
  ASSERT_EQ(profile.location_size(), 3);

  const auto& main = profile.location(0);
  EXPECT_EQ(main.id(), main_loc_);
  EXPECT_EQ(main.mapping_id(), node_mapping_);
  EXPECT_EQ(main.address(), 0x401000u);
  EXPECT_FALSE(main.is_folded());
  ASSERT_EQ(main.line_size(), 1);
  EXPECT_EQ(main.line(0).function_id(), main_fn_);
  EXPECT_EQ(main.line(0).line(), 12);
  EXPECT_EQ(main.line(0).column(), 0);

  const auto& allocate = profile.location(1);
  EXPECT_EQ(allocate.id(), allocate_loc_);
  EXPECT_EQ(allocate.mapping_id(), node_mapping_);
  EXPECT_EQ(allocate.address(), 0x402abcu);
  ASSERT_EQ(allocate.line_size(), 2);
  EXPECT_EQ(allocate.line(0).function_id(), allocate_raw_fn_);
  EXPECT_EQ(allocate.line(0).line(), 55);
  EXPECT_EQ(allocate.line(1).function_id(), allocate_fn_);
  EXPECT_EQ(allocate.line(1).line(), 120);

  const auto& malloc = profile.location(2);
  EXPECT_EQ(malloc.id(), malloc_loc_);
  EXPECT_EQ(malloc.mapping_id(), libc_mapping_);
  EXPECT_EQ(malloc.address(), 0x7f0000031234u);
  ASSERT_EQ(malloc.line_size(), 1);
  EXPECT_EQ(malloc.line(0).function_id(), malloc_fn_);
  EXPECT_EQ(malloc.line(0).line(), 0);
}

TEST_F(HeapProfileTest, SamplesRoundTripMergedWithLabels) {
  EXPECT_EQ(builder_.sample_count(), 3u);
  const Profile profile = DecodeViaGzip(builder_);
  ASSERT_EQ(profile.sample_size(), 3);

  const auto& deep = profile.sample(0);
  EXPECT_EQ(std::vector<uint64_t>(deep.location_id().begin(), deep.location_id().end()),
            (std::vector<uint64_t>{malloc_loc_, allocate_loc_, main_loc_}));
  EXPECT_EQ(std::vector<int64_t>(deep.value().begin(), deep.value().end()),
            (std::vector<int64_t>{4, 4096, 3, 3072}));
  ASSERT_EQ(deep.label_size(), 2);
  EXPECT_EQ(Str(profile, deep.label(0).key()), "bytes");
  EXPECT_EQ(deep.label(0).str(), 0);
  EXPECT_EQ(deep.label(0).num(), 1024);
  EXPECT_EQ(Str(profile, deep.label(0).num_unit()), "bytes");
  EXPECT_EQ(Str(profile, deep.label(1).key()), "thread");
  EXPECT_EQ(Str(profile, deep.label(1).str()), "main");
  EXPECT_EQ(deep.label(1).num(), 0);
  EXPECT_EQ(deep.label(1).num_unit(), 0);

  const auto& shallow = profile.sample(1);
  EXPECT_EQ(std::vector<uint64_t>(shallow.location_id().begin(), shallow.location_id().end()),
            (std::vector<uint64_t>{allocate_loc_, main_loc_}));
  EXPECT_EQ(std::vector<int64_t>(shallow.value().begin(), shallow.value().end()),
            (std::vector<int64_t>{2, 64, 0, 0}));
  ASSERT_EQ(shallow.label_size(), 1);
  EXPECT_EQ(Str(profile, shallow.label(0).key()), "bytes");
  EXPECT_EQ(shallow.label(0).num(), 32);
  EXPECT_EQ(Str(profile, shallow.label(0).num_unit()), "bytes");

  const auto& leaf = profile.sample(2);
  EXPECT_EQ(std::vector<uint64_t>(leaf.location_id().begin(), leaf.location_id().end()),
            (std::vector<uint64_t>{main_loc_}));
  EXPECT_EQ(std::vector<int64_t>(leaf.value().begin(), leaf.value().end()),
            (std::vector<int64_t>{0, 0, -1, -512}));
  EXPECT_EQ(leaf.label_size(), 0);
}

TEST_F(HeapProfileTest, ScalarsWrittenOnceAndSampleFieldsPacked) {
  builder_.SetTimeNanos(kTimeNanos + 1);  // Setting twice must not write twice.
  const std::string encoded = builder_.Encode();
  auto top = ScanFields(encoded);
  for (uint32_t field : {7u, 9u, 10u, 11u, 12u, 13u, 14u}) {
    EXPECT_EQ(top[field].count, 1) << "Profile field " << field;
  }
  EXPECT_EQ(top[13].wire_type, WireFormat::WIRETYPE_LENGTH_DELIMITED);  // Packed comments.
  EXPECT_EQ(top[8].count, 0);                                           // keep_frames is never set.

  Profile profile;
  ASSERT_TRUE(profile.ParseFromString(encoded));
  EXPECT_EQ(profile.time_nanos(), kTimeNanos + 1);
  for (const auto& sample : profile.sample()) {
    auto fields = ScanFields(sample.SerializeAsString());
    EXPECT_EQ(fields[1].count, 1);
    EXPECT_EQ(fields[1].wire_type, WireFormat::WIRETYPE_LENGTH_DELIMITED);
    EXPECT_EQ(fields[2].count, 1);
    EXPECT_EQ(fields[2].wire_type, WireFormat::WIRETYPE_LENGTH_DELIMITED);
  }
}

// libprotobuf re-serializes packed fields packed whatever it read, so the
// test above checks its output; this one checks ours directly.
TEST_F(HeapProfileTest, RawSampleEncodingIsPacked) {
  const std::string encoded = builder_.Encode();
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(encoded.data()),
                                               static_cast<int>(encoded.size()));
  int samples_seen = 0;
  while (const uint32_t tag = input.ReadTag()) {
    if (WireFormat::GetTagFieldNumber(tag) != 2) {
      ASSERT_TRUE(WireFormat::SkipField(&input, tag));
      continue;
    }
    std::string sample_bytes;
    ASSERT_TRUE(WireFormat::ReadBytes(&input, &sample_bytes));
    ++samples_seen;
    auto fields = ScanFields(sample_bytes);
    EXPECT_EQ(fields[1].count, 1);
    EXPECT_EQ(fields[1].wire_type, WireFormat::WIRETYPE_LENGTH_DELIMITED);
    EXPECT_EQ(fields[2].count, 1);
    EXPECT_EQ(fields[2].wire_type, WireFormat::WIRETYPE_LENGTH_DELIMITED);
  }
  EXPECT_EQ(samples_seen, 3);
}

TEST(ProfileBuilderTest, InterningDeduplicates) {
  ProfileBuilder builder;
  EXPECT_EQ(builder.InternString(""), 0);
  const int64_t a = builder.InternString("a");
  EXPECT_EQ(a, 1);
  EXPECT_EQ(builder.InternString(std::string("a")), a);
  EXPECT_NE(builder.InternString("b"), a);

  const uint64_t f = builder.InternFunction("f", "_Z1fv", "f.cc", 3);
  EXPECT_EQ(f, 1u);
  EXPECT_EQ(builder.InternFunction("f", "_Z1fv", "f.cc", 3), f);
  EXPECT_NE(builder.InternFunction("f", "_Z1fv", "f.cc", 4), f);
  EXPECT_NE(builder.InternFunction("f", "_Z1fv", "g.cc", 3), f);
  EXPECT_NE(builder.InternFunction("f", "f", "f.cc", 3), f);
  EXPECT_NE(builder.InternFunction("g", "_Z1fv", "f.cc", 3), f);

  const uint64_t mapping = builder.AddMapping({.filename = "bin"});
  const LineInfo lines[] = {{f, 10}, {f, 20}};
  const uint64_t loc = builder.InternLocation(mapping, 0x1000, lines);
  EXPECT_EQ(loc, 1u);
  EXPECT_EQ(builder.InternLocation(mapping, 0x1000, std::vector<LineInfo>{{f, 10}, {f, 20}}), loc);
  EXPECT_NE(builder.InternLocation(mapping, 0x1001, lines), loc);
  EXPECT_NE(builder.InternLocation(0, 0x1000, lines), loc);
  EXPECT_NE(builder.InternLocation(mapping, 0x1000, std::span(lines, 1)), loc);
  EXPECT_NE(builder.InternLocation(mapping, 0x1000, std::vector<LineInfo>{{f, 10}, {f, 21}}), loc);

  const Profile profile = DecodeViaGzip(builder);
  // "", a, b, f, _Z1fv, f.cc, g.cc, g, bin: each once.
  EXPECT_EQ(profile.string_table_size(), 9);
  EXPECT_EQ(profile.function_size(), 5);
  EXPECT_EQ(profile.location_size(), 5);
}

TEST(ProfileBuilderTest, MappingsAreNotDeduplicated) {
  ProfileBuilder builder;
  const MappingInfo mapping{.memory_start = 1, .memory_limit = 2, .filename = "x"};
  EXPECT_EQ(builder.AddMapping(mapping), 1u);
  EXPECT_EQ(builder.AddMapping(mapping), 2u);
}

TEST(ProfileBuilderTest, OnlyIdenticalStacksAndLabelsMerge) {
  ProfileBuilder builder;
  builder.AddSampleType("inuse_space", "bytes");
  const uint64_t f = builder.InternFunction("f", "f", "");
  const uint64_t loc1 = builder.InternLocation(0, 1, std::vector<LineInfo>{{f, 1}});
  const uint64_t loc2 = builder.InternLocation(0, 2, std::vector<LineInfo>{{f, 2}});
  const std::vector<int64_t> one = {1};
  const std::vector<uint64_t> stack12 = {loc1, loc2};
  const std::vector<uint64_t> stack21 = {loc2, loc1};
  const Label x = {.key = "k", .str = "x"};
  const Label y = {.key = "k", .str = "y"};
  const Label n5 = {.key = "n", .num = 5};
  const Label n5_bytes = {.key = "n", .num = 5, .num_unit = "bytes"};

  ASSERT_TRUE(builder.AddSample(stack12, one));
  ASSERT_TRUE(builder.AddSample(stack12, one));                            // merges
  ASSERT_TRUE(builder.AddSample(stack21, one));                            // stack order
  ASSERT_TRUE(builder.AddSample(stack12, one, std::vector{x}));            // labels
  ASSERT_TRUE(builder.AddSample(stack12, one, std::vector{x}));            // merges
  ASSERT_TRUE(builder.AddSample(stack12, one, std::vector{y}));            // label value
  ASSERT_TRUE(builder.AddSample(stack12, one, std::vector{x, n5}));        // label count
  ASSERT_TRUE(builder.AddSample(stack12, one, std::vector{n5, x}));        // label order
  ASSERT_TRUE(builder.AddSample(stack12, one, std::vector{n5_bytes, x}));  // unit
  EXPECT_EQ(builder.sample_count(), 7u);

  const Profile profile = DecodeViaGzip(builder);
  ASSERT_EQ(profile.sample_size(), 7);
  EXPECT_EQ(profile.sample(0).value(0), 2);
  EXPECT_EQ(profile.sample(1).value(0), 1);
  EXPECT_EQ(profile.sample(2).value(0), 2);
  for (int i = 3; i < 7; ++i) EXPECT_EQ(profile.sample(i).value(0), 1) << i;
}

TEST(ProfileBuilderTest, StringLabelIgnoresNumericFields) {
  ProfileBuilder builder;
  builder.AddSampleType("inuse_space", "bytes");
  const Label label = {.key = "k", .str = "v", .num = 7, .num_unit = "bytes"};
  ASSERT_TRUE(builder.AddSample({}, std::vector<int64_t>{1}, std::span(&label, 1)));
  const Profile profile = DecodeViaGzip(builder);
  ASSERT_EQ(profile.sample_size(), 1);
  ASSERT_EQ(profile.sample(0).label_size(), 1);
  EXPECT_EQ(Str(profile, profile.sample(0).label(0).str()), "v");
  EXPECT_EQ(profile.sample(0).label(0).num(), 0);
  EXPECT_EQ(profile.sample(0).label(0).num_unit(), 0);
}

TEST(ProfileBuilderTest, MergingSaturatesInsteadOfOverflowing) {
  ProfileBuilder builder;
  builder.AddSampleType("a", "count");
  builder.AddSampleType("b", "count");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  ASSERT_TRUE(builder.AddSample({}, std::vector<int64_t>{kMax, kMin}));
  ASSERT_TRUE(builder.AddSample({}, std::vector<int64_t>{1, -1}));
  const Profile profile = DecodeViaGzip(builder);
  ASSERT_EQ(profile.sample_size(), 1);
  EXPECT_EQ(profile.sample(0).value(0), kMax);
  EXPECT_EQ(profile.sample(0).value(1), kMin);
}

TEST(ProfileBuilderTest, RejectsWrongValueCount) {
  ProfileBuilder builder;
  builder.AddSampleType("alloc_objects", "count");
  builder.AddSampleType("alloc_space", "bytes");
  const uint64_t f = builder.InternFunction("f", "f", "");
  const uint64_t loc = builder.InternLocation(0, 1, std::vector<LineInfo>{{f, 1}});
  const std::vector<uint64_t> stack = {loc};

  EXPECT_FALSE(builder.AddSample(stack, std::vector<int64_t>{}));
  EXPECT_FALSE(builder.AddSample(stack, std::vector<int64_t>{1}));
  EXPECT_FALSE(builder.AddSample(stack, std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(builder.sample_count(), 0u);
  EXPECT_TRUE(builder.AddSample(stack, std::vector<int64_t>{1, 2}));
  EXPECT_EQ(builder.sample_count(), 1u);
  EXPECT_EQ(DecodeViaGzip(builder).sample_size(), 1);
}

TEST(ProfileBuilderTest, RejectsUnknownLocationIds) {
  ProfileBuilder builder;
  builder.AddSampleType("inuse_space", "bytes");
  const uint64_t loc = builder.InternLocation(0, 1, {});
  const std::vector<int64_t> value = {1};
  EXPECT_FALSE(builder.AddSample(std::vector<uint64_t>{0}, value));
  EXPECT_FALSE(builder.AddSample(std::vector<uint64_t>{loc, loc + 1}, value));
  EXPECT_EQ(builder.sample_count(), 0u);
  EXPECT_TRUE(builder.AddSample(std::vector<uint64_t>{loc}, value));
}

TEST(ProfileBuilderTest, EmptyProfileIsValid) {
  const ProfileBuilder builder;
  EXPECT_EQ(builder.sample_count(), 0u);
  // Only string_table[0] = "" is present.
  EXPECT_EQ(builder.Encode(), std::string("\x32\x00", 2));

  const Profile profile = DecodeViaGzip(builder);
  ASSERT_EQ(profile.string_table_size(), 1);
  EXPECT_EQ(profile.string_table(0), "");
  EXPECT_EQ(profile.sample_type_size(), 0);
  EXPECT_EQ(profile.sample_size(), 0);
  EXPECT_EQ(profile.mapping_size(), 0);
  EXPECT_EQ(profile.location_size(), 0);
  EXPECT_EQ(profile.function_size(), 0);
  EXPECT_FALSE(profile.has_period_type());
  EXPECT_EQ(profile.time_nanos(), 0);
  EXPECT_EQ(profile.comment_size(), 0);
}

TEST(ProfileBuilderTest, ProfileWithTypesButNoSamplesIsValid) {
  ProfileBuilder builder;
  builder.AddSampleType("inuse_space", "bytes");
  builder.SetPeriodType("space", "bytes", 524288);
  builder.SetDefaultSampleType("inuse_space");
  const Profile profile = DecodeViaGzip(builder);
  EXPECT_EQ(profile.sample_size(), 0);
  ASSERT_EQ(profile.sample_type_size(), 1);
  EXPECT_EQ(Str(profile, profile.sample_type(0).type()), "inuse_space");
  EXPECT_EQ(profile.default_sample_type(), profile.sample_type(0).type());
  EXPECT_EQ(profile.period(), 524288);
}

}  // namespace
}  // namespace heapagent::pprof
