// Decoding a pprof profile into ProfileData, and encoding it back through
// ProfileBuilder; see profile_data.h.
//
// Decoding makes two passes over the top-level fields: the first collects the
// string table (producers may write it anywhere in the message, Go writes it
// last), the second decodes every table with its strings resolved. Then one
// validation pass checks the cross references every consumer relies on.
#include "pprof/profile_data.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "pprof/gzip.h"
#include "pprof/profile_builder.h"
#include "pprof/wire_reader.h"
#include "pprof/wire_writer.h"

namespace heapagent::pprof {
namespace {

// Field numbers of perftools.profiles (profile.proto).
namespace profile_field {
constexpr uint32_t kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5,
                   kStringTable = 6, kDropFrames = 7, kKeepFrames = 8, kTimeNanos = 9,
                   kDurationNanos = 10, kPeriodType = 11, kPeriod = 12, kComment = 13,
                   kDefaultSampleType = 14;
}  // namespace profile_field

using Type = WireField::Type;

// Decodes one message at a time; the first error wins and stops everything.
class Decoder {
 public:
  explicit Decoder(std::string_view message) : message_(message) {}

  std::optional<ProfileData> Decode(std::string* error) {
    if (CollectStrings() && DecodeTables() && Validate()) return std::move(profile_);
    if (error) *error = error_;
    return std::nullopt;
  }

 private:
  bool Fail(std::string reason) {
    if (error_.empty()) error_ = std::move(reason);
    return false;
  }

  // Runs `on_field` for every field of `message`; fails on malformed wire data.
  template <typename OnField>
  bool ForEachField(std::string_view message, std::string_view what, OnField&& on_field) {
    WireReader reader(message);
    WireField field;
    while (reader.Next(&field)) {
      if (!on_field(field)) return false;
    }
    if (!reader.ok()) return Fail(std::string(what) + ": " + reader.error());
    return true;
  }

  bool ExpectType(const WireField& field, Type type, std::string_view what) {
    if (field.type == type) return true;
    return Fail(std::string(what) + ": field " + std::to_string(field.number) +
                " has the wrong wire type (not a pprof profile?)");
  }

  bool String(const WireField& field, std::string_view what, std::string* out) {
    if (!ExpectType(field, Type::kVarint, what)) return false;
    if (field.number_value >= strings_.size()) {
      return Fail(std::string(what) + " refers to string " + std::to_string(field.number_value) +
                  " but the string table has " + std::to_string(strings_.size()) + " entries");
    }
    *out = strings_[field.number_value];
    return true;
  }

  bool Varint(const WireField& field, std::string_view what, uint64_t* out) {
    if (!ExpectType(field, Type::kVarint, what)) return false;
    *out = field.number_value;
    return true;
  }
  bool Varint(const WireField& field, std::string_view what, int64_t* out) {
    uint64_t value = 0;
    if (!Varint(field, what, &value)) return false;
    *out = static_cast<int64_t>(value);
    return true;
  }
  bool Varint(const WireField& field, std::string_view what, bool* out) {
    uint64_t value = 0;
    if (!Varint(field, what, &value)) return false;
    *out = value != 0;
    return true;
  }

  template <typename T>
  bool Append(std::vector<T>* table, std::string_view what) {
    if (table->size() >= kMaxProfileTableEntries) {
      return Fail(std::string("too many ") + std::string(what) + " entries (limit " +
                  std::to_string(kMaxProfileTableEntries) + ")");
    }
    table->emplace_back();
    return true;
  }

  bool CollectStrings() {
    if (!ForEachField(message_, "profile", [&](const WireField& field) {
          if (field.number != profile_field::kStringTable) return true;
          if (!ExpectType(field, Type::kLengthDelimited, "string_table")) return false;
          if (!Append(&strings_, "string_table")) return false;
          strings_.back() = std::string(field.bytes);
          return true;
        })) {
      return false;
    }
    if (strings_.empty()) return Fail("no string table: not a pprof profile (or an empty one)");
    if (!strings_[0].empty()) return Fail("string_table[0] is not \"\": not a valid pprof profile");
    return true;
  }

  bool DecodeValueType(std::string_view message, std::string_view what, ValueTypeData* out) {
    return ForEachField(message, what, [&](const WireField& field) {
      if (field.number == 1) return String(field, what, &out->type);
      if (field.number == 2) return String(field, what, &out->unit);
      return true;
    });
  }

  bool DecodeLabel(std::string_view message, LabelData* out) {
    return ForEachField(message, "label", [&](const WireField& field) {
      switch (field.number) {
        case 1: return String(field, "label key", &out->key);
        case 2: return String(field, "label str", &out->str);
        case 3: return Varint(field, "label num", &out->num);
        case 4: return String(field, "label num_unit", &out->num_unit);
        default: return true;
      }
    });
  }

  bool DecodeSample(std::string_view message, SampleData* out) {
    std::vector<uint64_t> values;
    std::string reason;
    const bool ok = ForEachField(message, "sample", [&](const WireField& field) {
      switch (field.number) {
        case 1:
          return AppendRepeatedVarints(field, &out->location_ids, &reason) ||
                 Fail("sample location_id: " + reason);
        case 2:
          return AppendRepeatedVarints(field, &values, &reason) || Fail("sample value: " + reason);
        case 3:
          if (!ExpectType(field, Type::kLengthDelimited, "sample label")) return false;
          if (!Append(&out->labels, "label")) return false;
          return DecodeLabel(field.bytes, &out->labels.back());
        default:
          return true;
      }
    });
    // Packed fields expand up to ten-fold (one-byte varints into eight-byte
    // values): bound their total like the tables.
    sample_integers_ += out->location_ids.size() + values.size();
    if (ok && sample_integers_ > kMaxProfileTableEntries) {
      return Fail("too many location ids and values in samples (limit " +
                  std::to_string(kMaxProfileTableEntries) + ")");
    }
    out->values.reserve(values.size());
    for (uint64_t value : values) out->values.push_back(static_cast<int64_t>(value));
    return ok;
  }

  bool DecodeMapping(std::string_view message, MappingData* out) {
    return ForEachField(message, "mapping", [&](const WireField& field) {
      switch (field.number) {
        case 1: return Varint(field, "mapping id", &out->id);
        case 2: return Varint(field, "mapping memory_start", &out->memory_start);
        case 3: return Varint(field, "mapping memory_limit", &out->memory_limit);
        case 4: return Varint(field, "mapping file_offset", &out->file_offset);
        case 5: return String(field, "mapping filename", &out->filename);
        case 6: return String(field, "mapping build_id", &out->build_id);
        case 7: return Varint(field, "mapping has_functions", &out->has_functions);
        case 8: return Varint(field, "mapping has_filenames", &out->has_filenames);
        case 9: return Varint(field, "mapping has_line_numbers", &out->has_line_numbers);
        case 10: return Varint(field, "mapping has_inline_frames", &out->has_inline_frames);
        default: return true;
      }
    });
  }

  bool DecodeLine(std::string_view message, LineData* out) {
    return ForEachField(message, "line", [&](const WireField& field) {
      switch (field.number) {
        case 1: return Varint(field, "line function_id", &out->function_id);
        case 2: return Varint(field, "line line", &out->line);
        case 3: return Varint(field, "line column", &out->column);
        default: return true;
      }
    });
  }

  bool DecodeLocation(std::string_view message, LocationData* out) {
    return ForEachField(message, "location", [&](const WireField& field) {
      switch (field.number) {
        case 1: return Varint(field, "location id", &out->id);
        case 2: return Varint(field, "location mapping_id", &out->mapping_id);
        case 3: return Varint(field, "location address", &out->address);
        case 4:
          if (!ExpectType(field, Type::kLengthDelimited, "location line")) return false;
          if (!Append(&out->lines, "line")) return false;
          return DecodeLine(field.bytes, &out->lines.back());
        case 5: return Varint(field, "location is_folded", &out->is_folded);
        default: return true;
      }
    });
  }

  bool DecodeFunction(std::string_view message, FunctionData* out) {
    return ForEachField(message, "function", [&](const WireField& field) {
      switch (field.number) {
        case 1: return Varint(field, "function id", &out->id);
        case 2: return String(field, "function name", &out->name);
        case 3: return String(field, "function system_name", &out->system_name);
        case 4: return String(field, "function filename", &out->filename);
        case 5: return Varint(field, "function start_line", &out->start_line);
        default: return true;
      }
    });
  }

  // Decodes a length-delimited sub-message into a new entry of `table`.
  template <typename T, typename DecodeEntry>
  bool DecodeEntryInto(const WireField& field, std::vector<T>* table, std::string_view what,
                       DecodeEntry decode_entry) {
    if (!ExpectType(field, Type::kLengthDelimited, what)) return false;
    if (!Append(table, what)) return false;
    return (this->*decode_entry)(field.bytes, &table->back());
  }

  bool DecodeTables() {
    ProfileData& p = profile_;
    bool seen_time = false;
    return ForEachField(message_, "profile", [&](const WireField& field) {
      switch (field.number) {
        case profile_field::kSampleType:
          if (!ExpectType(field, Type::kLengthDelimited, "sample_type")) return false;
          if (!Append(&p.sample_types, "sample_type")) return false;
          return DecodeValueType(field.bytes, "sample_type", &p.sample_types.back());
        case profile_field::kSample:
          return DecodeEntryInto(field, &p.samples, "sample", &Decoder::DecodeSample);
        case profile_field::kMapping:
          return DecodeEntryInto(field, &p.mappings, "mapping", &Decoder::DecodeMapping);
        case profile_field::kLocation:
          return DecodeEntryInto(field, &p.locations, "location", &Decoder::DecodeLocation);
        case profile_field::kFunction:
          return DecodeEntryInto(field, &p.functions, "function", &Decoder::DecodeFunction);
        case profile_field::kDropFrames: return String(field, "drop_frames", &p.drop_frames);
        case profile_field::kKeepFrames: return String(field, "keep_frames", &p.keep_frames);
        case profile_field::kTimeNanos:
          // Go's reader takes a second time_nanos for two concatenated profiles.
          if (seen_time) return Fail("time_nanos appears twice: concatenated profiles");
          seen_time = true;
          return Varint(field, "time_nanos", &p.time_nanos);
        case profile_field::kDurationNanos:
          return Varint(field, "duration_nanos", &p.duration_nanos);
        case profile_field::kPeriodType:
          if (!ExpectType(field, Type::kLengthDelimited, "period_type")) return false;
          return DecodeValueType(field.bytes, "period_type", &p.period_type);
        case profile_field::kPeriod: return Varint(field, "period", &p.period);
        case profile_field::kComment: {
          std::vector<uint64_t> indexes;
          std::string reason;
          if (!AppendRepeatedVarints(field, &indexes, &reason)) return Fail("comment: " + reason);
          for (uint64_t index : indexes) {
            if (index >= strings_.size()) return Fail("a comment refers to a missing string");
            if (!Append(&p.comments, "comment")) return false;
            p.comments.back() = strings_[index];
          }
          return true;
        }
        case profile_field::kDefaultSampleType:
          return String(field, "default_sample_type", &p.default_sample_type);
        default:
          return true;
      }
    });
  }

  // Checks that ids are non-zero and unique; fills `ids`.
  template <typename T>
  bool CollectIds(const std::vector<T>& table, std::string_view what,
                  std::unordered_set<uint64_t>* ids) {
    ids->reserve(table.size());
    for (const T& entry : table) {
      if (entry.id == 0) return Fail(std::string("a ") + std::string(what) + " has id 0");
      if (!ids->insert(entry.id).second) {
        return Fail(std::string("two ") + std::string(what) + "s have id " + std::to_string(entry.id));
      }
    }
    return true;
  }

  bool Validate() {
    const ProfileData& p = profile_;
    std::unordered_set<uint64_t> mapping_ids, function_ids, location_ids;
    if (!CollectIds(p.mappings, "mapping", &mapping_ids) ||
        !CollectIds(p.functions, "function", &function_ids) ||
        !CollectIds(p.locations, "location", &location_ids)) {
      return false;
    }
    for (const LocationData& location : p.locations) {
      if (location.mapping_id != 0 && !mapping_ids.contains(location.mapping_id)) {
        return Fail("location " + std::to_string(location.id) + " refers to missing mapping " +
                    std::to_string(location.mapping_id));
      }
      for (const LineData& line : location.lines) {
        if (line.function_id != 0 && !function_ids.contains(line.function_id)) {
          return Fail("location " + std::to_string(location.id) + " refers to missing function " +
                      std::to_string(line.function_id));
        }
      }
    }
    for (const SampleData& sample : p.samples) {
      if (sample.values.size() != p.sample_types.size()) {
        return Fail("a sample has " + std::to_string(sample.values.size()) + " values but there are " +
                    std::to_string(p.sample_types.size()) + " sample types");
      }
      for (uint64_t id : sample.location_ids) {
        if (!location_ids.contains(id)) {
          return Fail("a sample refers to missing location " + std::to_string(id));
        }
      }
    }
    return true;
  }

  std::string_view message_;
  size_t sample_integers_ = 0;
  std::vector<std::string> strings_;
  ProfileData profile_;
  std::string error_;
};

// Entry with this id: O(1) when ids are the dense 1..n every producer we know
// writes, a linear scan otherwise.
template <typename T>
const T* FindById(const std::vector<T>& table, uint64_t id) {
  if (id == 0) return nullptr;
  if (id <= table.size() && table[id - 1].id == id) return &table[id - 1];
  for (const T& entry : table) {
    if (entry.id == id) return &entry;
  }
  return nullptr;
}

}  // namespace

int ProfileData::SampleTypeIndex(std::string_view type) const {
  for (size_t i = 0; i < sample_types.size(); ++i) {
    if (sample_types[i].type == type) return static_cast<int>(i);
  }
  return -1;
}

const LocationData* ProfileData::FindLocation(uint64_t id) const { return FindById(locations, id); }
const FunctionData* ProfileData::FindFunction(uint64_t id) const { return FindById(functions, id); }
const MappingData* ProfileData::FindMapping(uint64_t id) const { return FindById(mappings, id); }

std::optional<ProfileData> DecodeProfile(std::string_view data, std::string* error) {
  auto fail = [&](std::string reason) -> std::optional<ProfileData> {
    if (error) *error = std::move(reason);
    return std::nullopt;
  };
  if (data.empty()) return fail("empty input");
  std::optional<std::string> gunzipped;
  if (data.size() >= 2 && static_cast<uint8_t>(data[0]) == 0x1f &&
      static_cast<uint8_t>(data[1]) == 0x8b) {
    gunzipped = GzipDecompress(data, kMaxDecodedProfileBytes);
    if (!gunzipped) {
      return fail("gzip data is corrupt, truncated, or larger than " +
                  std::to_string(kMaxDecodedProfileBytes >> 20) + " MiB once decompressed");
    }
    data = *gunzipped;
    if (data.empty()) return fail("empty profile inside the gzip data");
  } else if (data.size() > kMaxDecodedProfileBytes) {
    return fail("larger than " + std::to_string(kMaxDecodedProfileBytes >> 20) + " MiB");
  }
  return Decoder(data).Decode(error);
}

std::string EncodeProfile(const ProfileData& profile) {
  ProfileBuilder builder;
  for (const ValueTypeData& type : profile.sample_types) builder.AddSampleType(type.type, type.unit);
  if (!profile.period_type.type.empty() || !profile.period_type.unit.empty() || profile.period != 0) {
    builder.SetPeriodType(profile.period_type.type, profile.period_type.unit, profile.period);
  }
  builder.SetTimeNanos(profile.time_nanos);
  builder.SetDurationNanos(profile.duration_nanos);
  if (!profile.default_sample_type.empty()) builder.SetDefaultSampleType(profile.default_sample_type);
  if (!profile.drop_frames.empty()) builder.SetDropFrames(profile.drop_frames);
  for (const std::string& comment : profile.comments) builder.AddComment(comment);

  // The builder hands out its own ids; map the profile's ids onto them.
  std::unordered_map<uint64_t, uint64_t> mapping_ids, function_ids, location_ids;
  for (const MappingData& m : profile.mappings) {
    mapping_ids[m.id] = builder.AddMapping(MappingInfo{
        .memory_start = m.memory_start,
        .memory_limit = m.memory_limit,
        .file_offset = m.file_offset,
        .filename = m.filename,
        .build_id = m.build_id,
        .has_functions = m.has_functions,
        .has_filenames = m.has_filenames,
        .has_line_numbers = m.has_line_numbers,
        .has_inline_frames = m.has_inline_frames,
    });
  }
  for (const FunctionData& f : profile.functions) {
    function_ids[f.id] = builder.InternFunction(f.name, f.system_name, f.filename, f.start_line);
  }
  auto lookup = [](const std::unordered_map<uint64_t, uint64_t>& ids, uint64_t id) -> uint64_t {
    auto it = ids.find(id);
    return it == ids.end() ? 0 : it->second;
  };
  std::vector<LineInfo> lines;
  for (const LocationData& location : profile.locations) {
    lines.clear();
    for (const LineData& line : location.lines) {
      lines.push_back(LineInfo{.function_id = lookup(function_ids, line.function_id),
                               .line = line.line,
                               .column = line.column});
    }
    location_ids[location.id] =
        builder.InternLocation(lookup(mapping_ids, location.mapping_id), location.address, lines);
  }
  std::vector<uint64_t> stack;
  std::vector<Label> labels;
  for (const SampleData& sample : profile.samples) {
    stack.clear();
    for (uint64_t id : sample.location_ids) stack.push_back(lookup(location_ids, id));
    labels.clear();
    for (const LabelData& label : sample.labels) {
      labels.push_back(Label{.key = label.key, .str = label.str, .num = label.num, .num_unit = label.num_unit});
    }
    builder.AddSample(stack, sample.values, labels);  // rejects only what DecodeProfile rejects
  }

  // ProfileBuilder has no keep_frames verb. Fields of a message may come in
  // any order, and repeated ones (the string table) concatenate, so it is
  // appended after the builder's output, its string interned first.
  const int64_t keep_frames =
      profile.keep_frames.empty() ? 0 : builder.InternString(profile.keep_frames);
  std::string encoded = builder.Encode();
  if (keep_frames != 0) {
    WireWriter tail;
    tail.Int64Field(profile_field::kKeepFrames, keep_frames);
    encoded += tail.bytes();
  }
  return encoded;
}

}  // namespace heapagent::pprof
