// Protobuf wire-format cursor; see wire_reader.h.
#include "pprof/wire_reader.h"

#include <utility>

namespace heapagent::pprof {

bool WireReader::Fail(std::string reason) {
  if (error_.empty()) error_ = std::move(reason);
  rest_ = {};
  return false;
}

bool WireReader::ReadVarint(uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (rest_.empty()) return Fail("a varint runs past the end of its message (truncated data)");
    const auto byte = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    result |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80u) == 0) {
      *value = result;
      return true;
    }
  }
  return Fail("a varint is longer than ten bytes");
}

bool WireReader::Next(WireField* field) {
  if (rest_.empty()) return false;
  uint64_t tag = 0;
  if (!ReadVarint(&tag)) return false;
  const uint64_t number = tag >> 3;
  if (number == 0 || number > 0x1fffffff) return Fail("a field has number 0 or one out of range (not protobuf)");
  field->number = static_cast<uint32_t>(number);
  field->number_value = 0;
  field->bytes = {};
  switch (tag & 7) {
    case 0:
      field->type = WireField::Type::kVarint;
      return ReadVarint(&field->number_value);
    case 1:
    case 5: {
      const size_t size = (tag & 7) == 1 ? 8 : 4;
      if (rest_.size() < size) return Fail("a fixed-size field runs past the end of its message (truncated data)");
      uint64_t value = 0;
      for (size_t i = 0; i < size; ++i) value |= uint64_t{static_cast<uint8_t>(rest_[i])} << (8 * i);
      rest_.remove_prefix(size);
      field->type = size == 8 ? WireField::Type::kFixed64 : WireField::Type::kFixed32;
      field->number_value = value;
      return true;
    }
    case 2: {
      uint64_t length = 0;
      if (!ReadVarint(&length)) return false;
      if (length > rest_.size()) {
        return Fail("a length-delimited field runs past the end of its message (truncated data)");
      }
      field->type = WireField::Type::kLengthDelimited;
      field->bytes = rest_.substr(0, length);
      rest_.remove_prefix(length);
      return true;
    }
    default:
      return Fail("a field has wire type " + std::to_string(tag & 7) +
                  ", which proto3 profiles never use (not protobuf, or corrupt)");
  }
}

bool AppendRepeatedVarints(const WireField& field, std::vector<uint64_t>* values,
                           std::string* error) {
  if (field.type == WireField::Type::kVarint) {
    values->push_back(field.number_value);
    return true;
  }
  if (field.type != WireField::Type::kLengthDelimited) {
    *error = "repeated integer field " + std::to_string(field.number) + " has the wrong wire type";
    return false;
  }
  std::string_view rest = field.bytes;
  while (!rest.empty()) {
    uint64_t result = 0;
    int shift = 0;
    for (;; shift += 7) {
      if (shift >= 64) {
        *error = "a packed varint is longer than ten bytes";
        return false;
      }
      if (rest.empty()) {
        *error = "a packed varint runs past the end of its field (truncated data)";
        return false;
      }
      const auto byte = static_cast<uint8_t>(rest.front());
      rest.remove_prefix(1);
      result |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80u) == 0) break;
    }
    values->push_back(result);
  }
  return true;
}

}  // namespace heapagent::pprof
