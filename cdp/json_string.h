// JSON string literals, written: the agent's one escaper, shared by the CDP
// client, the Datadog event, the heap summary lines and the JS bootstrap.
// It has no dependencies, so the core library (which must not pull in
// simdjson) can link it too.
#pragma once

#include <string>
#include <string_view>

namespace heapagent {

// Appends `text` as a JSON string literal (with the quotes). Quotes,
// backslashes and control characters are escaped; other bytes, including
// non-ASCII UTF-8, are copied as they are (so the result is valid JSON iff
// `text` is valid UTF-8).
void AppendJsonString(std::string& out, std::string_view text);

// The same, as a new string.
std::string JsonString(std::string_view text);

}  // namespace heapagent
