#include "agent/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace heapagent {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kWarn};
}

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

bool LogEnabled(LogLevel level) {
  return level != LogLevel::kOff && static_cast<int>(level) <= static_cast<int>(g_level.load(std::memory_order_relaxed));
}

void Log(LogLevel level, const char* format, ...) {
  if (!LogEnabled(level)) return;
  char line[1024] = "heapagent: ";
  constexpr int kPrefix = sizeof("heapagent: ") - 1;
  va_list args;
  va_start(args, format);
  int length = std::vsnprintf(line + kPrefix, sizeof line - kPrefix - 1, format, args);
  va_end(args);
  if (length < 0) return;
  length = kPrefix + (length < static_cast<int>(sizeof line) - kPrefix - 1 ? length : static_cast<int>(sizeof line) - kPrefix - 2);
  line[length++] = '\n';
  [[maybe_unused]] ssize_t ignored = write(STDERR_FILENO, line, length);
}

}  // namespace heapagent
