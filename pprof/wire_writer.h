// Appends protobuf wire-format fields to a byte string, so the profile can be
// serialized without linking libprotobuf into the LD_PRELOAD agent.
//
// Every method writes exactly what it is asked to: proto3's "omit fields that
// hold their default value" rule is the caller's decision, because it is not
// true for every field (string_table[0] is an empty string that must be
// written).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace heapagent::pprof {

enum class WireType : uint8_t {
  kVarint = 0,
  kLengthDelimited = 2,
};

class WireWriter {
 public:
  // Base-128 varint, least significant group first.
  void Varint(uint64_t value);
  void Tag(uint32_t field_number, WireType type);

  // uint64, uint32, enum and bool fields all share the varint encoding.
  void Uint64Field(uint32_t field_number, uint64_t value);
  // int64 (not sint64) is the two's complement bit pattern as a varint, so a
  // negative value always takes ten bytes.
  void Int64Field(uint32_t field_number, int64_t value);
  void BoolField(uint32_t field_number, bool value);

  // string, bytes, or an already-encoded sub-message.
  void BytesField(uint32_t field_number, std::string_view bytes);
  void MessageField(uint32_t field_number, const WireWriter& message);

  // Packed repeated varints: one length-delimited field holding the values
  // back to back. Writes nothing for an empty span (an absent repeated field
  // and an empty one mean the same thing).
  void PackedUint64Field(uint32_t field_number, std::span<const uint64_t> values);
  void PackedInt64Field(uint32_t field_number, std::span<const int64_t> values);

  const std::string& bytes() const { return buffer_; }
  std::string TakeBytes() && { return std::move(buffer_); }
  // Empties the buffer but keeps its capacity, for reuse as scratch space.
  void Clear() { buffer_.clear(); }

 private:
  std::string buffer_;
};

// Number of bytes Varint(value) appends.
size_t VarintSize(uint64_t value);

}  // namespace heapagent::pprof
