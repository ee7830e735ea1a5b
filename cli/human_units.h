// Numbers for people: 1.5 MiB, 12.3k, +640 KiB/min. Used by every text
// table the command prints (the HTML pages format in their own script).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

namespace heapagent::cli {

// Binary units (B, KiB, MiB, GiB), three significant digits; negative values
// keep their sign.
std::string FormatBytes(double bytes);
// Plain counts with k/M/G suffixes.
std::string FormatCount(double count);
// A value in the unit of a sample type: bytes for "bytes", counts otherwise.
std::string FormatValue(double value, const std::string& unit);
// Signed growth rate, e.g. "+1.20 MiB/min".
std::string FormatRate(double bytes_per_minute);
// Percentage with one decimal.
std::string FormatPercent(double fraction);

}  // namespace heapagent::cli
