// pprof/wire_reader: every wire type, packed and unpacked repeated varints,
// and the malformed inputs a hostile file can hold.
#include "pprof/wire_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pprof/wire_writer.h"

namespace heapagent::pprof {
namespace {

std::vector<WireField> ReadAll(std::string_view data, std::string* error = nullptr) {
  WireReader reader(data);
  std::vector<WireField> fields;
  WireField field;
  while (reader.Next(&field)) fields.push_back(field);
  if (error) *error = reader.error();
  return fields;
}

TEST(WireReaderTest, ReadsWhatWireWriterWrites) {
  WireWriter writer;
  writer.Uint64Field(1, 300);
  writer.Int64Field(2, -5);
  writer.BytesField(3, "hello");
  const std::vector<uint64_t> packed = {1, 2, 1u << 20};
  writer.PackedUint64Field(4, packed);

  std::string error;
  const std::vector<WireField> fields = ReadAll(writer.bytes(), &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0].number, 1u);
  EXPECT_EQ(fields[0].number_value, 300u);
  EXPECT_EQ(static_cast<int64_t>(fields[1].number_value), -5);
  EXPECT_EQ(fields[2].type, WireField::Type::kLengthDelimited);
  EXPECT_EQ(fields[2].bytes, "hello");

  std::vector<uint64_t> values;
  ASSERT_TRUE(AppendRepeatedVarints(fields[3], &values, &error));
  EXPECT_EQ(values, packed);
  // An unpacked occurrence appends one value.
  ASSERT_TRUE(AppendRepeatedVarints(fields[0], &values, &error));
  EXPECT_EQ(values.back(), 300u);
}

TEST(WireReaderTest, ReadsFixedWidthFields) {
  const std::string data = std::string("\x09\x01\x00\x00\x00\x00\x00\x00\x80", 9) +
                           std::string("\x15\x02\x00\x00\x00", 5);
  std::string error;
  const std::vector<WireField> fields = ReadAll(data, &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].type, WireField::Type::kFixed64);
  EXPECT_EQ(fields[0].number_value, 0x8000000000000001u);
  EXPECT_EQ(fields[1].type, WireField::Type::kFixed32);
  EXPECT_EQ(fields[1].number_value, 2u);
}

TEST(WireReaderTest, RejectsMalformedInput) {
  const std::vector<std::string> malformed = {
      std::string("\x08", 1),                          // varint value missing
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12),  // 11-byte varint
      std::string("\x1a\x05hel", 5),                   // length past the end
      std::string("\x0b", 1),                          // start group
      std::string("\x0e", 1),                          // wire type 6
      std::string("\x00\x01", 2),                      // field number 0
      std::string("\x09\x01\x02", 3),                  // fixed64 truncated
  };
  for (const std::string& data : malformed) {
    std::string error;
    ReadAll(data, &error);
    EXPECT_NE(error, "") << "accepted " << testing::PrintToString(data);
  }
}

TEST(WireReaderTest, RejectsMalformedPackedVarints) {
  WireField field{.number = 1, .type = WireField::Type::kLengthDelimited, .number_value = 0,
                  .bytes = std::string_view("\x01\x80", 2)};
  std::vector<uint64_t> values;
  std::string error;
  EXPECT_FALSE(AppendRepeatedVarints(field, &values, &error));
  EXPECT_NE(error, "");
  field.type = WireField::Type::kFixed32;
  EXPECT_FALSE(AppendRepeatedVarints(field, &values, &error));
}

}  // namespace
}  // namespace heapagent::pprof
