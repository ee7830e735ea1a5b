// The two JSON primitives the command's outputs need: a quoted, escaped
// string and a number (finite; NaN and infinities become 0, which JSON cannot
// hold). Strings are also made safe to embed in an HTML <script> element
// ("</" and "<!--" cannot appear).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace heapagent::cli {

std::string JsonString(std::string_view text);
std::string JsonNumber(double value);

}  // namespace heapagent::cli
