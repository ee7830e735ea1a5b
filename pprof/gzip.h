// gzip compression and decompression of in-memory buffers via zlib; pprof
// profiles are stored and uploaded gzipped.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace heapagent::pprof {

inline constexpr size_t kDefaultMaxGunzipBytes = size_t{256} << 20;  // 256 MiB

// Compresses `data` into a single gzip member. `level` is zlib's 0 (store) to
// 9 (smallest); anything else selects zlib's default. Returns an empty string
// only if zlib fails (out of memory): valid gzip output is never empty.
std::string GzipCompress(std::string_view data, int level = 6);

// Decompresses one gzip (or zlib) stream. Returns nullopt, rather than a
// partial result, for input that is corrupt, truncated, followed by trailing
// bytes, or that would expand beyond `max_output` bytes (which bounds the
// memory a hostile input can make us allocate).
std::optional<std::string> GzipDecompress(std::string_view data,
                                          size_t max_output = kDefaultMaxGunzipBytes);

}  // namespace heapagent::pprof
