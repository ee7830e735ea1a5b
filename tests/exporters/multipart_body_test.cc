// Tests for agent/exporters/multipart_body.h: dd-trace-js's FormData layout.
#include "agent/exporters/multipart_body.h"

#include <gtest/gtest.h>

namespace heapagent {
namespace {

TEST(EncodeMultipartTest, ExactLayout) {
  const MultipartBody body = EncodeMultipart(
      {{"event", "event.json", "application/json", "{}"}, {"space.pprof", "space.pprof", "application/octet-stream",
                                                           std::string_view("\x1f\x8b\0\r\n", 5)}},
      "0123456789abcdef");
  EXPECT_EQ(body.content_type, "multipart/form-data; boundary=0123456789abcdef");
  EXPECT_EQ(body.body, std::string("--0123456789abcdef\r\n"
                                   "Content-Disposition: form-data; name=\"event\"; filename=\"event.json\"\r\n"
                                   "Content-Type: application/json\r\n\r\n{}\r\n"
                                   "--0123456789abcdef\r\n"
                                   "Content-Disposition: form-data; name=\"space.pprof\"; filename=\"space.pprof\"\r\n"
                                   "Content-Type: application/octet-stream\r\n\r\n") +
                           std::string("\x1f\x8b\0\r\n", 5) + "\r\n--0123456789abcdef--\r\n");
}

TEST(EncodeMultipartTest, RandomBoundaryNeverInTheData) {
  const MultipartBody body = EncodeMultipart({{"a", "a", "text/plain", "--fixed"}}, "fixed");
  const std::string boundary = body.content_type.substr(body.content_type.find('=') + 1);
  EXPECT_NE(boundary, "fixed");
  EXPECT_EQ(boundary.size(), 32u);
  EXPECT_EQ(body.body.rfind("--" + boundary + "--\r\n"), body.body.size() - boundary.size() - 6);
}

}  // namespace
}  // namespace heapagent
