// Human-readable units; see human_units.h.
#include "cli/human_units.h"

#include <cmath>
#include <cstdio>

namespace heapagent::cli {
namespace {

std::string Scaled(double value, double base, const char* const* suffixes, int suffix_count) {
  const double magnitude = std::fabs(value);
  int index = 0;
  double scaled = magnitude;
  while (scaled >= base && index + 1 < suffix_count) {
    scaled /= base;
    ++index;
  }
  char buffer[64];
  const char* sign = value < 0 ? "-" : "";
  if (index == 0) {
    std::snprintf(buffer, sizeof buffer, "%s%.0f%s", sign, scaled, suffixes[0]);
  } else {
    const int decimals = scaled < 10 ? 2 : scaled < 100 ? 1 : 0;
    std::snprintf(buffer, sizeof buffer, "%s%.*f%s", sign, decimals, scaled, suffixes[index]);
  }
  return buffer;
}

}  // namespace

std::string FormatBytes(double bytes) {
  static const char* const kSuffixes[] = {" B", " KiB", " MiB", " GiB", " TiB"};
  return Scaled(bytes, 1024, kSuffixes, 5);
}

std::string FormatCount(double count) {
  static const char* const kSuffixes[] = {"", "k", "M", "G", "T"};
  return Scaled(count, 1000, kSuffixes, 5);
}

std::string FormatValue(double value, const std::string& unit) {
  return unit == "bytes" ? FormatBytes(value) : FormatCount(value);
}

std::string FormatRate(double bytes_per_minute) {
  return (bytes_per_minute >= 0 ? "+" : "") + FormatBytes(bytes_per_minute) + "/min";
}

std::string FormatPercent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", fraction * 100);
  return buffer;
}

}  // namespace heapagent::cli
