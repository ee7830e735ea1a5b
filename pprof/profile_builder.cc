#include "pprof/profile_builder.h"

#include <limits>

#include "pprof/wire_writer.h"

namespace heapagent::pprof {
namespace {

// Field numbers of perftools.profiles (profile.proto).
namespace profile_field {
constexpr uint32_t kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5,
                   kStringTable = 6, kDropFrames = 7, kTimeNanos = 9, kDurationNanos = 10,
                   kPeriodType = 11, kPeriod = 12, kComment = 13, kDefaultSampleType = 14;
}
namespace value_type_field {
constexpr uint32_t kType = 1, kUnit = 2;
}
namespace sample_field {
constexpr uint32_t kLocationId = 1, kValue = 2, kLabel = 3;
}
namespace label_field {
constexpr uint32_t kKey = 1, kStr = 2, kNum = 3, kNumUnit = 4;
}
namespace mapping_field {
constexpr uint32_t kId = 1, kMemoryStart = 2, kMemoryLimit = 3, kFileOffset = 4, kFilename = 5,
                   kBuildId = 6, kHasFunctions = 7, kHasFilenames = 8, kHasLineNumbers = 9,
                   kHasInlineFrames = 10;
}
namespace location_field {
constexpr uint32_t kId = 1, kMappingId = 2, kAddress = 3, kLine = 4;
}
namespace line_field {
constexpr uint32_t kFunctionId = 1, kLine = 2, kColumn = 3;
}
namespace function_field {
constexpr uint32_t kId = 1, kName = 2, kSystemName = 3, kFilename = 4, kStartLine = 5;
}

// proto3 does not serialize a singular scalar that holds its default value;
// skipping them keeps the output canonical and small.
void PutUint64(WireWriter& out, uint32_t field, uint64_t value) {
  if (value != 0) out.Uint64Field(field, value);
}
void PutInt64(WireWriter& out, uint32_t field, int64_t value) {
  if (value != 0) out.Int64Field(field, value);
}
void PutBool(WireWriter& out, uint32_t field, bool value) {
  if (value) out.BoolField(field, value);
}

void PutValueType(WireWriter& out, uint32_t field, std::pair<int64_t, int64_t> type_and_unit,
                  WireWriter& scratch) {
  scratch.Clear();
  PutInt64(scratch, value_type_field::kType, type_and_unit.first);
  PutInt64(scratch, value_type_field::kUnit, type_and_unit.second);
  out.MessageField(field, scratch);
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

}  // namespace

size_t ProfileBuilder::FunctionKeyHash::operator()(const FunctionKey& key) const {
  size_t seed = 0;
  HashCombine(seed, key.name);
  HashCombine(seed, key.system_name);
  HashCombine(seed, key.filename);
  HashCombine(seed, key.start_line);
  return seed;
}

size_t ProfileBuilder::LocationKeyHash::operator()(const LocationKey& key) const {
  size_t seed = 0;
  HashCombine(seed, key.mapping_id);
  HashCombine(seed, key.address);
  for (const LineInfo& line : key.lines) {
    HashCombine(seed, line.function_id);
    HashCombine(seed, line.line);
    HashCombine(seed, line.column);
  }
  return seed;
}

size_t ProfileBuilder::SampleKeyHash::operator()(const SampleKey& key) const {
  size_t seed = 0;
  for (uint64_t id : key.location_ids) HashCombine(seed, id);
  for (const InternedLabel& label : key.labels) {
    HashCombine(seed, label.key);
    HashCombine(seed, label.str);
    HashCombine(seed, label.num);
    HashCombine(seed, label.num_unit);
  }
  return seed;
}

ProfileBuilder::ProfileBuilder() {
  InternString("");  // profile.proto requires string_table[0] == "".
}

int64_t ProfileBuilder::InternString(std::string_view s) {
  return static_cast<int64_t>(strings_.Intern(s)) - 1;
}

uint64_t ProfileBuilder::AddMapping(const MappingInfo& mapping) {
  mappings_.push_back(InternedMapping{
      .memory_start = mapping.memory_start,
      .memory_limit = mapping.memory_limit,
      .file_offset = mapping.file_offset,
      .filename = InternString(mapping.filename),
      .build_id = InternString(mapping.build_id),
      .has_functions = mapping.has_functions,
      .has_filenames = mapping.has_filenames,
      .has_line_numbers = mapping.has_line_numbers,
      .has_inline_frames = mapping.has_inline_frames,
  });
  return mappings_.size();
}

uint64_t ProfileBuilder::InternFunction(std::string_view name, std::string_view system_name,
                                        std::string_view filename, int64_t start_line) {
  return functions_.Intern(FunctionKey{
      .name = InternString(name),
      .system_name = InternString(system_name),
      .filename = InternString(filename),
      .start_line = start_line,
  });
}

uint64_t ProfileBuilder::InternLocation(uint64_t mapping_id, uint64_t address,
                                        std::span<const LineInfo> lines) {
  return locations_.Intern(LocationKey{
      .mapping_id = mapping_id,
      .address = address,
      .lines = {lines.begin(), lines.end()},
  });
}

void ProfileBuilder::AddSampleType(std::string_view type, std::string_view unit) {
  sample_types_.emplace_back(InternString(type), InternString(unit));
}

void ProfileBuilder::SetPeriodType(std::string_view type, std::string_view unit, int64_t period) {
  period_type_ = ValueType{InternString(type), InternString(unit)};
  period_ = period;
}

void ProfileBuilder::SetTimeNanos(int64_t time_nanos) { time_nanos_ = time_nanos; }

void ProfileBuilder::SetDurationNanos(int64_t duration_nanos) { duration_nanos_ = duration_nanos; }

void ProfileBuilder::SetDefaultSampleType(std::string_view type) {
  default_sample_type_ = InternString(type);
}

void ProfileBuilder::AddComment(std::string_view comment) {
  comments_.push_back(InternString(comment));
}

void ProfileBuilder::SetDropFrames(std::string_view regex) { drop_frames_ = InternString(regex); }

bool ProfileBuilder::AddSample(std::span<const uint64_t> location_ids,
                               std::span<const int64_t> values, std::span<const Label> labels) {
  if (values.size() != sample_types_.size()) return false;
  for (uint64_t id : location_ids) {
    if (!locations_.contains_id(id)) return false;
  }

  SampleKey key{.location_ids = {location_ids.begin(), location_ids.end()}, .labels = {}};
  key.labels.reserve(labels.size());
  for (const Label& label : labels) {
    const bool is_string = !label.str.empty();
    key.labels.push_back(InternedLabel{
        .key = InternString(label.key),
        .str = is_string ? InternString(label.str) : 0,
        .num = is_string ? 0 : label.num,
        .num_unit = is_string ? 0 : InternString(label.num_unit),
    });
  }

  const uint64_t id = sample_keys_.Intern(std::move(key));
  if (id > sample_values_.size()) {
    sample_values_.emplace_back(values.begin(), values.end());
    return true;
  }
  std::vector<int64_t>& merged = sample_values_[id - 1];
  for (size_t i = 0; i < values.size(); ++i) merged[i] = SaturatingAdd(merged[i], values[i]);
  return true;
}

size_t ProfileBuilder::sample_count() const { return sample_keys_.size(); }

std::string ProfileBuilder::Encode() const {
  WireWriter out;
  // Sub-messages are built in these and then copied in length-prefixed;
  // reusing them avoids one allocation per message. `inner` holds messages
  // nested one level deeper (ValueType, Label, Line).
  WireWriter message;
  WireWriter inner;

  for (const ValueType& type : sample_types_) {
    PutValueType(out, profile_field::kSampleType, type, message);
  }

  sample_keys_.ForEach([&](uint64_t id, const SampleKey& key) {
    message.Clear();
    message.PackedUint64Field(sample_field::kLocationId, key.location_ids);
    message.PackedInt64Field(sample_field::kValue, sample_values_[id - 1]);
    for (const InternedLabel& label : key.labels) {
      inner.Clear();
      PutInt64(inner, label_field::kKey, label.key);
      PutInt64(inner, label_field::kStr, label.str);
      PutInt64(inner, label_field::kNum, label.num);
      PutInt64(inner, label_field::kNumUnit, label.num_unit);
      message.MessageField(sample_field::kLabel, inner);
    }
    out.MessageField(profile_field::kSample, message);
  });

  for (size_t i = 0; i < mappings_.size(); ++i) {
    const InternedMapping& mapping = mappings_[i];
    message.Clear();
    PutUint64(message, mapping_field::kId, i + 1);
    PutUint64(message, mapping_field::kMemoryStart, mapping.memory_start);
    PutUint64(message, mapping_field::kMemoryLimit, mapping.memory_limit);
    PutUint64(message, mapping_field::kFileOffset, mapping.file_offset);
    PutInt64(message, mapping_field::kFilename, mapping.filename);
    PutInt64(message, mapping_field::kBuildId, mapping.build_id);
    PutBool(message, mapping_field::kHasFunctions, mapping.has_functions);
    PutBool(message, mapping_field::kHasFilenames, mapping.has_filenames);
    PutBool(message, mapping_field::kHasLineNumbers, mapping.has_line_numbers);
    PutBool(message, mapping_field::kHasInlineFrames, mapping.has_inline_frames);
    out.MessageField(profile_field::kMapping, message);
  }

  locations_.ForEach([&](uint64_t id, const LocationKey& location) {
    message.Clear();
    PutUint64(message, location_field::kId, id);
    PutUint64(message, location_field::kMappingId, location.mapping_id);
    PutUint64(message, location_field::kAddress, location.address);
    for (const LineInfo& line : location.lines) {
      inner.Clear();
      PutUint64(inner, line_field::kFunctionId, line.function_id);
      PutInt64(inner, line_field::kLine, line.line);
      PutInt64(inner, line_field::kColumn, line.column);
      message.MessageField(location_field::kLine, inner);
    }
    out.MessageField(profile_field::kLocation, message);
  });

  functions_.ForEach([&](uint64_t id, const FunctionKey& function) {
    message.Clear();
    PutUint64(message, function_field::kId, id);
    PutInt64(message, function_field::kName, function.name);
    PutInt64(message, function_field::kSystemName, function.system_name);
    PutInt64(message, function_field::kFilename, function.filename);
    PutInt64(message, function_field::kStartLine, function.start_line);
    out.MessageField(profile_field::kFunction, message);
  });

  // Every entry is written, including the empty string at index 0: a
  // repeated field's elements are positional, so none may be skipped.
  strings_.ForEach(
      [&](uint64_t, const std::string& s) { out.BytesField(profile_field::kStringTable, s); });

  PutInt64(out, profile_field::kDropFrames, drop_frames_);
  PutInt64(out, profile_field::kTimeNanos, time_nanos_);
  PutInt64(out, profile_field::kDurationNanos, duration_nanos_);
  if (period_type_) PutValueType(out, profile_field::kPeriodType, *period_type_, message);
  PutInt64(out, profile_field::kPeriod, period_);
  out.PackedInt64Field(profile_field::kComment, comments_);
  PutInt64(out, profile_field::kDefaultSampleType, default_sample_type_);

  return std::move(out).TakeBytes();
}

}  // namespace heapagent::pprof
