#include "agent/exporters/multipart_body.h"

#include <random>

namespace heapagent {
namespace {

std::string RandomBoundary() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::string boundary;
  for (int i = 0; i < 32; ++i) boundary += kHex[device() % 16];
  return boundary;
}

bool OccursIn(const std::vector<MultipartPart>& parts, const std::string& boundary) {
  const std::string delimiter = "--" + boundary;
  for (const MultipartPart& part : parts) {
    if (part.bytes.find(delimiter) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

MultipartBody EncodeMultipart(const std::vector<MultipartPart>& parts, std::string boundary) {
  if (boundary.empty()) boundary = RandomBoundary();
  while (OccursIn(parts, boundary)) boundary = RandomBoundary();
  size_t size = boundary.size() + 8;
  for (const MultipartPart& part : parts) size += part.bytes.size() + part.name.size() + part.filename.size() + 128;
  MultipartBody result;
  result.content_type = "multipart/form-data; boundary=" + boundary;
  std::string& body = result.body;
  body.reserve(size);
  for (const MultipartPart& part : parts) {
    body += "--" + boundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + part.name + "\"; filename=\"" + part.filename + "\"\r\n";
    body += "Content-Type: " + part.content_type + "\r\n\r\n";
    body += part.bytes;
    body += "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return result;
}

}  // namespace heapagent
