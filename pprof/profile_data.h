// A pprof profile as plain data: every table of profile.proto with its
// strings resolved, so code that reads or reshapes profiles (the heapagent
// CLI, the exporters' per-backend variants) never touches wire format or
// string-table indexes.
//
//   bytes ──DecodeProfile──> ProfileData ──(transforms)──> EncodeProfile ──> bytes
//
// Decoding accepts gzipped or plain input and is hardened against hostile
// files (fuzzed): a truncated, non-pprof or inconsistent input gives nullopt
// and a one-sentence reason, never a crash. Encoding goes through
// ProfileBuilder, so its output follows the same conventions as everything
// the agent writes.
//
// Thread-safety: plain values; the functions have no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapagent::pprof {

struct ValueTypeData {
  std::string type;  // e.g. "inuse_space"
  std::string unit;  // e.g. "bytes"
  bool operator==(const ValueTypeData&) const = default;
};

struct MappingData {
  uint64_t id = 0;
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  std::string filename;
  std::string build_id;
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct FunctionData {
  uint64_t id = 0;
  std::string name;
  std::string system_name;
  std::string filename;
  int64_t start_line = 0;
};

struct LineData {
  uint64_t function_id = 0;
  int64_t line = 0;
  int64_t column = 0;
};

struct LocationData {
  uint64_t id = 0;
  uint64_t mapping_id = 0;  // 0: none
  uint64_t address = 0;
  std::vector<LineData> lines;  // innermost inlined frame first
  bool is_folded = false;
};

struct LabelData {
  std::string key;
  std::string str;  // string label when non-empty
  int64_t num = 0;
  std::string num_unit;
  bool operator==(const LabelData&) const = default;
};

struct SampleData {
  std::vector<uint64_t> location_ids;  // leaf first
  std::vector<int64_t> values;         // one per sample type
  std::vector<LabelData> labels;
};

struct ProfileData {
  std::vector<ValueTypeData> sample_types;
  std::vector<SampleData> samples;
  std::vector<MappingData> mappings;
  std::vector<LocationData> locations;
  std::vector<FunctionData> functions;
  std::string drop_frames;
  std::string keep_frames;
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  ValueTypeData period_type;
  int64_t period = 0;
  std::vector<std::string> comments;
  std::string default_sample_type;

  // Index of the sample type named `type`, or -1.
  int SampleTypeIndex(std::string_view type) const;
  // Lookups by id (linear-time maps are built by the caller if needed);
  // null when absent.
  const LocationData* FindLocation(uint64_t id) const;
  const FunctionData* FindFunction(uint64_t id) const;
  const MappingData* FindMapping(uint64_t id) const;
};

// Limits a decoded profile may not exceed (hostile input): bytes after
// gunzip, and the number of entries of each table.
inline constexpr size_t kMaxDecodedProfileBytes = size_t{512} << 20;
inline constexpr size_t kMaxProfileTableEntries = 50'000'000;

// `data` may be gzipped (1f 8b) or a plain serialized Profile. Checks what
// every consumer relies on: string_table[0] == "", valid string indexes,
// non-zero unique ids, samples whose value count matches the sample types and
// whose locations exist, locations whose mapping and functions exist.
std::optional<ProfileData> DecodeProfile(std::string_view data, std::string* error);

// The serialized Profile (not gzipped).
std::string EncodeProfile(const ProfileData& profile);

}  // namespace heapagent::pprof
