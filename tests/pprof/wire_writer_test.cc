// Checks WireWriter's bytes against encodings worked out from the protobuf
// wire-format rules.
#include "pprof/wire_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace heapagent::pprof {
namespace {

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

std::string VarintOf(uint64_t value) {
  WireWriter writer;
  writer.Varint(value);
  return writer.bytes();
}

TEST(WireWriterTest, VarintUsesSevenBitGroupsLeastSignificantFirst) {
  EXPECT_EQ(VarintOf(0), Bytes({0x00}));
  EXPECT_EQ(VarintOf(1), Bytes({0x01}));
  EXPECT_EQ(VarintOf(127), Bytes({0x7f}));
  EXPECT_EQ(VarintOf(128), Bytes({0x80, 0x01}));
  EXPECT_EQ(VarintOf(300), Bytes({0xac, 0x02}));
  EXPECT_EQ(VarintOf(std::numeric_limits<uint64_t>::max()),
            Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(WireWriterTest, VarintSizeMatchesWrittenLength) {
  for (uint64_t value : {0ULL, 127ULL, 128ULL, 16383ULL, 16384ULL, 1ULL << 63, ~0ULL}) {
    EXPECT_EQ(VarintSize(value), VarintOf(value).size()) << value;
  }
}

TEST(WireWriterTest, TagCombinesFieldNumberAndWireType) {
  WireWriter writer;
  writer.Tag(1, WireType::kVarint);
  writer.Tag(2, WireType::kLengthDelimited);
  writer.Tag(16, WireType::kVarint);  // Field numbers >= 16 need two bytes.
  EXPECT_EQ(writer.bytes(), Bytes({0x08, 0x12, 0x80, 0x01}));
}

TEST(WireWriterTest, NegativeInt64IsTenByteTwosComplement) {
  WireWriter writer;
  writer.Int64Field(1, -1);
  EXPECT_EQ(writer.bytes(),
            Bytes({0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(WireWriterTest, ScalarFieldsAreWrittenEvenWhenZero) {
  WireWriter writer;
  writer.Uint64Field(3, 0);
  writer.BoolField(4, false);
  writer.BoolField(5, true);
  EXPECT_EQ(writer.bytes(), Bytes({0x18, 0x00, 0x20, 0x00, 0x28, 0x01}));
}

TEST(WireWriterTest, BytesFieldIsLengthPrefixed) {
  WireWriter writer;
  writer.BytesField(6, "");
  writer.BytesField(6, "ab");
  EXPECT_EQ(writer.bytes(), Bytes({0x32, 0x00, 0x32, 0x02, 'a', 'b'}));
}

TEST(WireWriterTest, MessageFieldEmbedsAnotherWritersBytes) {
  WireWriter inner;
  inner.Uint64Field(1, 150);
  WireWriter outer;
  outer.MessageField(3, inner);
  EXPECT_EQ(outer.bytes(), Bytes({0x1a, 0x03, 0x08, 0x96, 0x01}));
}

TEST(WireWriterTest, PackedFieldsHoldValuesBackToBack) {
  WireWriter writer;
  const std::vector<uint64_t> unsigned_values = {3, 270, 86942};
  writer.PackedUint64Field(4, unsigned_values);
  EXPECT_EQ(writer.bytes(), Bytes({0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05}));

  writer.Clear();
  const std::vector<int64_t> signed_values = {-1, 2};
  writer.PackedInt64Field(2, signed_values);
  EXPECT_EQ(writer.bytes(),
            Bytes({0x12, 0x0b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02}));
}

TEST(WireWriterTest, EmptyPackedFieldWritesNothing) {
  WireWriter writer;
  writer.PackedUint64Field(1, {});
  writer.PackedInt64Field(2, {});
  EXPECT_TRUE(writer.bytes().empty());
}

TEST(WireWriterTest, TakeBytesMovesTheBuffer) {
  WireWriter writer;
  writer.BytesField(1, "x");
  EXPECT_EQ(std::move(writer).TakeBytes(), Bytes({0x0a, 0x01, 'x'}));
}

}  // namespace
}  // namespace heapagent::pprof
