// The agent's only voice: single "heapagent: ..." lines on stderr.
//
// The host's stdout/stderr belong to the app, so by default the agent speaks
// only when something is wrong (bad configuration, a part it had to turn off).
// HEAPAGENT_LOG=off|error|warn|info|debug sets how much it says. Each line is
// one write(2), so it never interleaves with the app's output mid-line, and
// it never allocates.
#pragma once

namespace heapagent {

enum class LogLevel { kOff = 0, kError = 1, kWarn = 2, kInfo = 3, kDebug = 4 };

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// printf-style; the "heapagent: " prefix and the newline are added.
void Log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace heapagent
