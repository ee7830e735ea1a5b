// Collects the tables of a pprof profile (perftools.profiles.Profile) and
// serializes them to protobuf wire format, without depending on libprotobuf.
//
// The verbs follow profile.proto's conventions and nothing more: strings are
// indexes into one string table whose entry 0 is "", and mappings, functions
// and locations are referred to by 1-based ids handed out by this builder.
//
// Thread-safety: none. A ProfileBuilder must be used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pprof/intern_table.h"

namespace heapagent::pprof {

struct MappingInfo {
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  // The {} initializers let callers omit these in designated initializers
  // without -Wmissing-field-initializers noise.
  std::string filename{};
  std::string build_id{};
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct LineInfo {
  uint64_t function_id = 0;
  int64_t line = 0;    // 1-based; 0 = unknown.
  int64_t column = 0;  // 1-based; 0 = unknown (profile.proto's newer Line.column, field 3).

  bool operator==(const LineInfo&) const = default;
};

// A sample label: a string label when `str` is non-empty, else a numeric one
// carrying `num` and, optionally, its unit (e.g. "bytes").
struct Label {
  std::string key{};
  std::string str{};
  int64_t num = 0;
  std::string num_unit{};
};

class ProfileBuilder {
 public:
  ProfileBuilder();

  // Index of `s` in the string table; equal strings share one index.
  int64_t InternString(std::string_view s);

  // Mappings are not deduplicated: each call adds one and returns its id.
  uint64_t AddMapping(const MappingInfo& mapping);

  // Returns the id of the function with exactly these fields, adding it if new.
  uint64_t InternFunction(std::string_view name, std::string_view system_name,
                          std::string_view filename, int64_t start_line = 0);

  // Returns the id of the location with this mapping, address and line list
  // (innermost inlined frame first, as profile.proto orders them), adding it
  // if new. mapping_id 0 means "no mapping". Ids must come from this builder.
  uint64_t InternLocation(uint64_t mapping_id, uint64_t address, std::span<const LineInfo> lines);

  // Sample types define the meaning of each position of Sample.value, in order.
  // Add them all before the first AddSample.
  void AddSampleType(std::string_view type, std::string_view unit);
  void SetPeriodType(std::string_view type, std::string_view unit, int64_t period);
  void SetTimeNanos(int64_t time_nanos);
  void SetDurationNanos(int64_t duration_nanos);
  void SetDefaultSampleType(std::string_view type);
  void AddComment(std::string_view comment);
  // Frames whose function name matches this regex, and everything above them
  // on the stack, are dropped by pprof when it reads the profile.
  void SetDropFrames(std::string_view regex);

  // Adds a sample whose stack is `location_ids`, leaf first.
  //
  // A sample with the same location list and the same labels (same order) as
  // an earlier one is merged into it: the values are added element-wise
  // (saturating), so the profile holds one sample per distinct stack+labels.
  //
  // Rejects the sample and returns false when values.size() differs from the
  // number of sample types, or when a location id was not returned by
  // InternLocation (pprof refuses a profile that refers to a missing location).
  bool AddSample(std::span<const uint64_t> location_ids, std::span<const int64_t> values,
                 std::span<const Label> labels = {});

  // Number of distinct samples, after merging.
  size_t sample_count() const;

  // The serialized Profile message (not gzipped).
  std::string Encode() const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  struct FunctionKey {
    int64_t name;
    int64_t system_name;
    int64_t filename;
    int64_t start_line;
    bool operator==(const FunctionKey&) const = default;
  };
  struct FunctionKeyHash {
    size_t operator()(const FunctionKey& key) const;
  };

  struct LocationKey {
    uint64_t mapping_id;
    uint64_t address;
    std::vector<LineInfo> lines;
    bool operator==(const LocationKey&) const = default;
  };
  struct LocationKeyHash {
    size_t operator()(const LocationKey& key) const;
  };

  // A Label with its strings replaced by string-table indexes.
  struct InternedLabel {
    int64_t key;
    int64_t str;
    int64_t num;
    int64_t num_unit;
    bool operator==(const InternedLabel&) const = default;
  };
  // What identifies a sample for merging.
  struct SampleKey {
    std::vector<uint64_t> location_ids;
    std::vector<InternedLabel> labels;
    bool operator==(const SampleKey&) const = default;
  };
  struct SampleKeyHash {
    size_t operator()(const SampleKey& key) const;
  };

  struct InternedMapping {
    uint64_t memory_start;
    uint64_t memory_limit;
    uint64_t file_offset;
    int64_t filename;
    int64_t build_id;
    bool has_functions;
    bool has_filenames;
    bool has_line_numbers;
    bool has_inline_frames;
  };

  // A (type, unit) pair of string-table indexes: profile.proto's ValueType.
  using ValueType = std::pair<int64_t, int64_t>;

  InternTable<std::string, StringHash> strings_;  // string-table index = id - 1
  std::vector<InternedMapping> mappings_;         // mapping id = index + 1
  InternTable<FunctionKey, FunctionKeyHash> functions_;
  InternTable<LocationKey, LocationKeyHash> locations_;
  InternTable<SampleKey, SampleKeyHash> sample_keys_;
  std::vector<std::vector<int64_t>> sample_values_;  // indexed by sample id - 1

  std::vector<ValueType> sample_types_;
  std::optional<ValueType> period_type_;
  int64_t period_ = 0;
  int64_t time_nanos_ = 0;
  int64_t duration_nanos_ = 0;
  int64_t default_sample_type_ = 0;
  int64_t drop_frames_ = 0;
  std::vector<int64_t> comments_;
};

}  // namespace heapagent::pprof
