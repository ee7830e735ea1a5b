// Round-trips and abuse cases for the zlib wrappers.
#include "pprof/gzip.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace heapagent::pprof {
namespace {

std::string CompressibleText(size_t size) {
  std::string text;
  while (text.size() < size)
    text += "heapagent pprof sample line " + std::to_string(text.size()) + "\n";
  text.resize(size);
  return text;
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

TEST(GzipTest, RoundTripsAtEveryLevel) {
  const std::string original = CompressibleText(100'000);
  for (int level = -1; level <= 9; ++level) {
    const std::string compressed = GzipCompress(original, level);
    ASSERT_FALSE(compressed.empty());
    const auto restored = GzipDecompress(compressed);
    ASSERT_TRUE(restored.has_value()) << "level " << level;
    EXPECT_EQ(*restored, original) << "level " << level;
  }
}

TEST(GzipTest, OutputHasGzipMagic) {
  const std::string compressed = GzipCompress("hello");
  ASSERT_GE(compressed.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(compressed[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(compressed[1]), 0x8b);
}

TEST(GzipTest, CompressesRepetitiveData) {
  const std::string original = CompressibleText(100'000);
  EXPECT_LT(GzipCompress(original).size(), original.size() / 4);
}

TEST(GzipTest, RoundTripsEmptyInput) {
  const std::string compressed = GzipCompress("");
  EXPECT_FALSE(compressed.empty());
  const auto restored = GzipDecompress(compressed);
  ASSERT_TRUE(restored.has_value());
  EXPECT_TRUE(restored->empty());
}

TEST(GzipTest, RoundTripsIncompressibleData) {
  // Random data expands slightly, exercising output larger than input.
  const std::string original = RandomBytes(300'000, 1);
  const auto restored = GzipDecompress(GzipCompress(original, 9));
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(*restored, original);
}

TEST(GzipTest, OutOfRangeLevelFallsBackToDefault) {
  const std::string original = CompressibleText(10'000);
  for (int level : {-7, 10, 1000}) {
    const auto restored = GzipDecompress(GzipCompress(original, level));
    ASSERT_TRUE(restored.has_value());
    EXPECT_EQ(*restored, original);
  }
}

TEST(GzipTest, GarbageIsRejected) {
  EXPECT_FALSE(GzipDecompress("").has_value());
  EXPECT_FALSE(GzipDecompress("not gzip at all").has_value());
  EXPECT_FALSE(GzipDecompress(std::string("\x1f\x8b", 2)).has_value());
  for (uint32_t seed = 0; seed < 200; ++seed) {
    EXPECT_FALSE(GzipDecompress(RandomBytes(1 + seed * 7, seed)).has_value()) << seed;
  }
}

TEST(GzipTest, GarbageAfterValidHeaderIsRejected) {
  std::string bytes = GzipCompress(CompressibleText(1000)).substr(0, 10);
  bytes += RandomBytes(500, 99);
  EXPECT_FALSE(GzipDecompress(bytes).has_value());
}

TEST(GzipTest, EveryTruncationIsRejected) {
  const std::string compressed = GzipCompress(CompressibleText(5000));
  for (size_t length = 0; length < compressed.size(); ++length) {
    EXPECT_FALSE(GzipDecompress(compressed.substr(0, length)).has_value()) << length;
  }
}

TEST(GzipTest, CorruptedBodyOrChecksumIsRejected) {
  const std::string compressed = GzipCompress(CompressibleText(5000));
  std::string flipped_checksum = compressed;
  flipped_checksum[flipped_checksum.size() - 6] ^= 0x01;  // Inside the CRC-32 trailer.
  EXPECT_FALSE(GzipDecompress(flipped_checksum).has_value());

  std::string flipped_length = compressed;
  flipped_length[flipped_length.size() - 1] ^= 0x01;  // Inside the ISIZE trailer.
  EXPECT_FALSE(GzipDecompress(flipped_length).has_value());
}

TEST(GzipTest, TrailingBytesAreRejected) {
  EXPECT_FALSE(GzipDecompress(GzipCompress("payload") + "extra").has_value());
}

TEST(GzipTest, MaxOutputIsHonoured) {
  const std::string original = CompressibleText(10'000);
  const std::string compressed = GzipCompress(original);
  EXPECT_TRUE(GzipDecompress(compressed, original.size()).has_value());
  EXPECT_FALSE(GzipDecompress(compressed, original.size() - 1).has_value());
  EXPECT_FALSE(GzipDecompress(compressed, 0).has_value());
  EXPECT_TRUE(GzipDecompress(GzipCompress(""), 0).has_value());
}

TEST(GzipTest, DecompressionBombStopsAtMaxOutput) {
  // 64 MiB of zeros compresses to about 64 KiB; a 1 MiB cap must stop early.
  const std::string bomb = GzipCompress(std::string(64 << 20, '\0'), 9);
  EXPECT_LT(bomb.size(), 1u << 20);
  EXPECT_FALSE(GzipDecompress(bomb, 1 << 20).has_value());
}

TEST(GzipTest, AlsoAcceptsZlibStreams) {
  // A zlib-wrapped stream of "hi" (deflate level 0), built by hand.
  const std::string zlib_stream("\x78\x01\x01\x02\x00\xfd\xff\x68\x69\x01\x3b\x00\xd2", 13);
  const auto restored = GzipDecompress(zlib_stream);
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(*restored, "hi");
}

}  // namespace
}  // namespace heapagent::pprof
