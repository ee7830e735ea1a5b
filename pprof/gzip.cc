#include "pprof/gzip.h"

#define ZLIB_CONST  // Lets next_in point at const input without a cast.
#include <zlib.h>

#include <algorithm>
#include <limits>

namespace heapagent::pprof {
namespace {

// zlib counts bytes in uInt (32 bits), so larger buffers are fed in slices.
constexpr size_t kMaxSlice = std::numeric_limits<uInt>::max();

// 15 = the largest (32 KiB) window; +16 asks for a gzip wrapper, +32 for
// detecting gzip or zlib from the header.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kAutoDetectWindowBits = 15 + 32;

constexpr int kDefaultMemLevel = 8;
constexpr size_t kMinOutputGrowth = 64 * 1024;

class DeflateStream {
 public:
  bool Init(int level) {
    initialized_ = deflateInit2(&stream_, level, Z_DEFLATED, kGzipWindowBits, kDefaultMemLevel,
                                Z_DEFAULT_STRATEGY) == Z_OK;
    return initialized_;
  }
  ~DeflateStream() {
    if (initialized_) deflateEnd(&stream_);
  }
  z_stream* get() { return &stream_; }

 private:
  z_stream stream_{};
  bool initialized_ = false;
};

class InflateStream {
 public:
  bool Init() {
    initialized_ = inflateInit2(&stream_, kAutoDetectWindowBits) == Z_OK;
    return initialized_;
  }
  ~InflateStream() {
    if (initialized_) inflateEnd(&stream_);
  }
  z_stream* get() { return &stream_; }

 private:
  z_stream stream_{};
  bool initialized_ = false;
};

// Points the stream's input at the next slice of `data` once the previous
// slice is used up. `fed` counts the bytes of `data` handed over so far.
void FeedInput(z_stream& stream, std::string_view data, size_t& fed) {
  if (stream.avail_in != 0 || fed == data.size()) return;
  const size_t slice = std::min(data.size() - fed, kMaxSlice);
  stream.next_in = reinterpret_cast<const Bytef*>(data.data() + fed);
  stream.avail_in = static_cast<uInt>(slice);
  fed += slice;
}

// Points the stream's output at the free tail of `out` (whose first
// `produced` bytes are filled) and returns the number of bytes offered.
size_t OfferOutput(z_stream& stream, std::string& out, size_t produced) {
  const size_t offered = std::min(out.size() - produced, kMaxSlice);
  stream.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
  stream.avail_out = static_cast<uInt>(offered);
  return offered;
}

}  // namespace

std::string GzipCompress(std::string_view data, int level) {
  if (level < Z_NO_COMPRESSION || level > Z_BEST_COMPRESSION) level = Z_DEFAULT_COMPRESSION;
  DeflateStream deflater;
  if (!deflater.Init(level)) return {};
  z_stream& stream = *deflater.get();

  // deflateBound is enough for the whole output in one go; the growth below
  // only matters if it is ever not.
  std::string out(deflateBound(&stream, data.size()), '\0');
  size_t fed = 0;
  size_t produced = 0;
  while (true) {
    FeedInput(stream, data, fed);
    if (produced == out.size()) out.resize(out.size() * 2 + kMinOutputGrowth);
    const size_t offered = OfferOutput(stream, out, produced);
    const bool all_input_fed = fed == data.size();
    const int result = deflate(&stream, all_input_fed ? Z_FINISH : Z_NO_FLUSH);
    produced += offered - stream.avail_out;
    if (result == Z_STREAM_END) break;
    // Z_BUF_ERROR only means "no progress possible with this buffer"; the
    // next round offers more input or output.
    if (result != Z_OK && result != Z_BUF_ERROR) return {};
  }
  out.resize(produced);
  return out;
}

std::optional<std::string> GzipDecompress(std::string_view data, size_t max_output) {
  InflateStream inflater;
  if (!inflater.Init()) return std::nullopt;
  z_stream& stream = *inflater.get();

  // The buffer may hold one byte more than allowed: producing that byte is
  // how an over-long stream is detected without inflating all of it.
  const size_t capacity_limit =
      max_output == std::numeric_limits<size_t>::max() ? max_output : max_output + 1;
  std::string out;
  size_t fed = 0;
  size_t produced = 0;
  while (true) {
    FeedInput(stream, data, fed);
    if (produced == out.size()) {
      // Double each time (starting near the likely ratio for profiles), so
      // a large output costs few reallocations.
      const size_t wanted = std::max({out.size() * 2, data.size() * 4, kMinOutputGrowth});
      out.resize(std::min(wanted, capacity_limit));
    }
    const size_t offered = OfferOutput(stream, out, produced);
    const int result = inflate(&stream, Z_NO_FLUSH);
    produced += offered - stream.avail_out;
    if (produced > max_output) return std::nullopt;
    if (result == Z_STREAM_END) break;
    if (result == Z_BUF_ERROR) {
      // No progress: fine if it only wanted more room, fatal if it wanted
      // more input and there is none (a truncated stream).
      if (stream.avail_out != 0 && stream.avail_in == 0 && fed == data.size()) {
        return std::nullopt;
      }
      continue;
    }
    if (result != Z_OK) return std::nullopt;  // Corrupt data, dictionary, OOM.
  }
  if (stream.avail_in != 0 || fed != data.size()) return std::nullopt;  // Trailing bytes.
  out.resize(produced);
  return out;
}

}  // namespace heapagent::pprof
