// multipart/form-data bodies (RFC 7578), laid out byte for byte like
// dd-trace-js's FormData: per part a boundary line, Content-Disposition with
// name and filename, Content-Type, a blank line, the bytes and CRLF; then the
// closing boundary and CRLF.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace heapagent {

struct MultipartPart {
  std::string name;          // form field name
  std::string filename;      // sent as filename="..."
  std::string content_type;  // e.g. application/json
  std::string_view bytes;    // must outlive the Encode call
};

struct MultipartBody {
  std::string content_type;  // "multipart/form-data; boundary=..."
  std::string body;
};

// Encodes `parts` with `boundary`, or with a fresh random one (32 hex digits)
// when `boundary` is empty. A boundary that occurs in a part's bytes is
// replaced by another random one, so the body always parses back to `parts`.
MultipartBody EncodeMultipart(const std::vector<MultipartPart>& parts, std::string boundary = "");

}  // namespace heapagent
