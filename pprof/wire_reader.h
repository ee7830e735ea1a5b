// Reads protobuf wire format field by field, without libprotobuf (pprof/ is
// linked into the LD_PRELOAD agent). The counterpart of wire_writer.h.
//
// Built for hostile input: every read is bounds-checked, a malformed field
// (varint longer than ten bytes, length past the end, group or unknown wire
// type) stops the reader and leaves a one-sentence reason in error(); nothing
// is allocated, the reader only hands out views into the input.
//
// Thread-safety: none; a WireReader is a cursor used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace heapagent::pprof {

// One decoded field. For wire types varint, fixed64 and fixed32 the value is
// in `number_value`; for length-delimited fields the payload is `bytes`.
struct WireField {
  enum class Type : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

  uint32_t number = 0;
  Type type = Type::kVarint;
  uint64_t number_value = 0;
  std::string_view bytes;
};

class WireReader {
 public:
  explicit WireReader(std::string_view data) : rest_(data) {}

  // Reads the next field into `field`. Returns false at the end of the input
  // or on a malformed field; ok() tells which.
  bool Next(WireField* field);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool ReadVarint(uint64_t* value);
  bool Fail(std::string reason);

  std::string_view rest_;
  std::string error_;
};

// Appends the values of a repeated varint field occurrence, packed (one
// length-delimited field) or not (one varint). Returns false, with a reason,
// if the field has another wire type or the packed payload is malformed.
bool AppendRepeatedVarints(const WireField& field, std::vector<uint64_t>* values,
                           std::string* error);

}  // namespace heapagent::pprof
