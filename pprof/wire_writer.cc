#include "pprof/wire_writer.h"

namespace heapagent::pprof {

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

void WireWriter::Varint(uint64_t value) {
  while (value >= 0x80) {
    buffer_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  buffer_.push_back(static_cast<char>(value));
}

void WireWriter::Tag(uint32_t field_number, WireType type) {
  Varint((static_cast<uint64_t>(field_number) << 3) | static_cast<uint64_t>(type));
}

void WireWriter::Uint64Field(uint32_t field_number, uint64_t value) {
  Tag(field_number, WireType::kVarint);
  Varint(value);
}

void WireWriter::Int64Field(uint32_t field_number, int64_t value) {
  Uint64Field(field_number, static_cast<uint64_t>(value));
}

void WireWriter::BoolField(uint32_t field_number, bool value) {
  Uint64Field(field_number, value ? 1 : 0);
}

void WireWriter::BytesField(uint32_t field_number, std::string_view bytes) {
  Tag(field_number, WireType::kLengthDelimited);
  Varint(bytes.size());
  buffer_.append(bytes);
}

void WireWriter::MessageField(uint32_t field_number, const WireWriter& message) {
  BytesField(field_number, message.bytes());
}

void WireWriter::PackedUint64Field(uint32_t field_number, std::span<const uint64_t> values) {
  if (values.empty()) return;
  // The length prefix comes first, so size the payload before writing it.
  size_t payload_size = 0;
  for (uint64_t value : values) payload_size += VarintSize(value);
  Tag(field_number, WireType::kLengthDelimited);
  Varint(payload_size);
  for (uint64_t value : values) Varint(value);
}

void WireWriter::PackedInt64Field(uint32_t field_number, std::span<const int64_t> values) {
  if (values.empty()) return;
  size_t payload_size = 0;
  for (int64_t value : values) payload_size += VarintSize(static_cast<uint64_t>(value));
  Tag(field_number, WireType::kLengthDelimited);
  Varint(payload_size);
  for (int64_t value : values) Varint(static_cast<uint64_t>(value));
}

}  // namespace heapagent::pprof
