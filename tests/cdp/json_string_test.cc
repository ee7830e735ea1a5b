// cdp/json_string: the agent's one JSON string escaper.
#include "cdp/json_string.h"

#include <gtest/gtest.h>

#include <string>

namespace heapagent {
namespace {

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  AppendJsonString(out, std::string_view("a\"b\\c\n\r\t\b\f\x01\x1f\x7f\xc3\xa9/", 16));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\xc3\xa9/\"");
}

TEST(JsonString, EscapesNul) {
  std::string out;
  AppendJsonString(out, std::string_view("\0", 1));
  EXPECT_EQ(out, "\"\\u0000\"");
}

TEST(JsonString, AppendsAfterWhatIsThere) {
  std::string out = "{\"k\":";
  AppendJsonString(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

TEST(JsonString, CopiesUtf8AsItIs) { EXPECT_EQ(JsonString("h\xc3\xa9"), "\"h\xc3\xa9\""); }

TEST(JsonString, EmptyIsTwoQuotes) { EXPECT_EQ(JsonString(""), "\"\""); }

}  // namespace
}  // namespace heapagent
