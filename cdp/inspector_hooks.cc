#include "cdp/inspector_hooks.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>
#include <thread>

#define HEAPAGENT_EXPORT extern "C" __attribute__((visibility("default")))
#define HEAPAGENT_UNLIKELY(x) __builtin_expect(!!(x), 0)

extern "C" {
extern char** environ;
// glibc's own entry points behind the names interposed here.
size_t _IO_fwrite(const void* data, size_t size, size_t count, FILE* stream);
int _IO_fputs(const char* text, FILE* stream);
int __vfprintf_chk(FILE* stream, int flag, const char* format, va_list args);
}

namespace heapagent::cdp {
namespace {

// The NODE_OPTIONS value for node's one start-up read; taken by that read.
std::atomic<char*> g_node_options_for_startup{nullptr};

// Set once the console is watched; the hooks' only check when unarmed.
std::atomic<bool> g_console_watched{false};

constexpr std::string_view kBannerFormat = "Debugger %s on %s\n";
constexpr std::string_view kHelpFormat = "For help, see: %s\n";
constexpr std::string_view kAttachedLine = "Debugger attached.\n";
constexpr std::string_view kWaitingLine = "Waiting for the debugger to disconnect...\n";

struct ConsoleState {
  std::mutex mutex;
  std::condition_variable url_published;
  InspectorOwner owner = InspectorOwner::kUnavailable;
  std::string url;
  bool stop_waiting = false;
  bool swallow_help_line = false;
  bool expect_own_attach = false;
  bool own_session = false;
  int own_session_fd = -1;
  uint64_t own_session_generation = 0;
  std::function<void()> on_exit_waiting;
  std::chrono::milliseconds grace{0};
};

ConsoleState& State() {
  static ConsoleState* state = new ConsoleState;  // never destroyed: hooks run during exit
  return *state;
}

bool OnMainThread() { return syscall(SYS_gettid) == getpid(); }

// Shuts the agent's socket down if its session is still the one that was open
// when node started waiting: node then sees the debugger leave and exits.
void StartExitWatchdog(uint64_t generation, std::chrono::milliseconds grace) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  try {
    std::thread([generation, grace] {
      std::this_thread::sleep_for(grace);
      ConsoleState& state = State();
      std::lock_guard lock(state.mutex);
      if (state.own_session_generation == generation && state.own_session_fd >= 0) {
        shutdown(state.own_session_fd, SHUT_RDWR);
      }
    }).detach();
  } catch (...) {
    // No thread: the agent's own exit path still bounds the wait.
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

// A line node's inspector prints on stderr: true if it is the agent's to
// swallow. `banner_verb`/`banner_url` are set for the banner only.
bool ShouldSwallow(std::string_view line, const char* banner_verb, const char* banner_url, bool is_help_line) {
  ConsoleState& state = State();
  std::function<void()> on_exit_waiting;
  bool swallow = false;
  {
    std::lock_guard lock(state.mutex);
    const bool agent_owns = state.owner == InspectorOwner::kAgent;
    if (banner_url != nullptr) {
      if (std::string_view(banner_verb) == "listening" && std::string_view(banner_url).substr(0, 5) == "ws://" &&
          state.url.empty()) {
        state.url = banner_url;
        state.url_published.notify_all();
      }
      swallow = agent_owns;
      state.swallow_help_line = agent_owns;
    } else if (is_help_line) {
      swallow = state.swallow_help_line;
      state.swallow_help_line = false;
    } else if (line == kAttachedLine) {
      swallow = state.expect_own_attach;
      state.expect_own_attach = false;
    } else if (line == kWaitingLine && state.own_session) {
      swallow = true;
      on_exit_waiting = state.on_exit_waiting;
      StartExitWatchdog(state.own_session_generation, state.grace);
    }
  }
  if (on_exit_waiting) on_exit_waiting();
  return swallow;
}

int FilteredVfprintf(FILE* stream, int check_flag, const char* format, va_list args) {
  const std::string_view format_view(format);
  if (format_view == kBannerFormat) {
    va_list copy;
    va_copy(copy, args);
    const char* verb = va_arg(copy, const char*);
    const char* url = va_arg(copy, const char*);
    va_end(copy);
    if (verb != nullptr && url != nullptr && ShouldSwallow({}, verb, url, false)) {
      return static_cast<int>(std::strlen(verb) + std::strlen(url) + format_view.size() - 4);
    }
  } else if (format_view == kHelpFormat) {
    if (ShouldSwallow({}, nullptr, nullptr, true)) return 0;
  }
  return check_flag < 0 ? vfprintf(stream, format, args) : __vfprintf_chk(stream, check_flag, format, args);
}

bool IsWatchedStderr(FILE* stream) {
  return HEAPAGENT_UNLIKELY(g_console_watched.load(std::memory_order_relaxed)) && stream == stderr;
}

bool MaybeSwallowPlainLine(const void* data, size_t length) {
  if (length != kAttachedLine.size() && length != kWaitingLine.size()) return false;
  const std::string_view line(static_cast<const char*>(data), length);
  if (line != kAttachedLine && line != kWaitingLine) return false;
  return ShouldSwallow(line, nullptr, nullptr, false);
}

}  // namespace

void ArmNodeOptionsForStartup(const std::string& node_options) {
  char* copy = strdup(node_options.c_str());
  if (char* previous = g_node_options_for_startup.exchange(copy)) free(previous);
}

void WatchInspectorConsole(InspectorOwner owner) {
  ConsoleState& state = State();
  {
    std::lock_guard lock(state.mutex);
    state.owner = owner;
  }
  g_console_watched.store(true, std::memory_order_relaxed);
}

std::string WaitForInspectorUrl(std::chrono::milliseconds timeout) {
  ConsoleState& state = State();
  std::unique_lock lock(state.mutex);
  state.url_published.wait_for(lock, timeout, [&] { return !state.url.empty() || state.stop_waiting; });
  return state.stop_waiting ? std::string() : state.url;
}

void StopWaitingForInspectorUrl() {
  ConsoleState& state = State();
  std::lock_guard lock(state.mutex);
  state.stop_waiting = true;
  state.url_published.notify_all();
}

void BeginOwnSession(std::function<void()> on_exit_waiting, std::chrono::milliseconds grace) {
  ConsoleState& state = State();
  std::lock_guard lock(state.mutex);
  state.expect_own_attach = true;
  state.own_session = true;
  state.own_session_fd = -1;
  ++state.own_session_generation;
  state.on_exit_waiting = std::move(on_exit_waiting);
  state.grace = grace;
}

void SetOwnSessionSocket(int fd) {
  ConsoleState& state = State();
  std::lock_guard lock(state.mutex);
  if (state.own_session) state.own_session_fd = fd;
}

void EndOwnSession() {
  ConsoleState& state = State();
  std::lock_guard lock(state.mutex);
  state.own_session = false;
  state.own_session_fd = -1;
  state.expect_own_attach = false;
  ++state.own_session_generation;
  state.on_exit_waiting = nullptr;
}

}  // namespace heapagent::cdp

using heapagent::cdp::FilteredVfprintf;
using heapagent::cdp::IsWatchedStderr;
using heapagent::cdp::MaybeSwallowPlainLine;

HEAPAGENT_EXPORT char* getenv(const char* name) {
  if (name == nullptr || name[0] == '\0') return nullptr;
  if (HEAPAGENT_UNLIKELY(heapagent::cdp::g_node_options_for_startup.load(std::memory_order_relaxed) != nullptr) &&
      std::strcmp(name, "NODE_OPTIONS") == 0 && heapagent::cdp::OnMainThread()) {
    // Deliberately leaked: node keeps no pointer, but a string it got from
    // getenv must stay valid.
    if (char* value = heapagent::cdp::g_node_options_for_startup.exchange(nullptr)) return value;
  }
  // glibc's getenv is this scan of environ.
  if (environ == nullptr) return nullptr;
  const size_t length = std::strlen(name);
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, name, length) == 0 && (*entry)[length] == '=') return *entry + length + 1;
  }
  return nullptr;
}

HEAPAGENT_EXPORT int fprintf(FILE* stream, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int result = IsWatchedStderr(stream) ? FilteredVfprintf(stream, -1, format, args) : vfprintf(stream, format, args);
  va_end(args);
  return result;
}

HEAPAGENT_EXPORT int __fprintf_chk(FILE* stream, int flag, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int result =
      IsWatchedStderr(stream) ? FilteredVfprintf(stream, flag, format, args) : __vfprintf_chk(stream, flag, format, args);
  va_end(args);
  return result;
}

HEAPAGENT_EXPORT size_t fwrite(const void* data, size_t size, size_t count, FILE* stream) {
  if (IsWatchedStderr(stream) && size != 0 && MaybeSwallowPlainLine(data, size * count)) return count;
  return _IO_fwrite(data, size, count, stream);
}

HEAPAGENT_EXPORT int fputs(const char* text, FILE* stream) {
  if (IsWatchedStderr(stream) && MaybeSwallowPlainLine(text, std::strlen(text))) return 1;
  return _IO_fputs(text, stream);
}
