#include "sampling/stack_capture.h"

#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>

#include <algorithm>

#include "sampling/interpreter_frames.h"

namespace heapagent {
namespace {

// Set once at start-up (SetInterpretedFrameReading), read-only afterwards.
bool g_read_interpreted_frames = false;

// Our own code's range; written once at start-up, read-only afterwards.
uintptr_t g_agent_code_begin = 0;
uintptr_t g_agent_code_end = 0;

int FindOwnCode(dl_phdr_info* info, size_t, void* data) {
  const auto own_base = reinterpret_cast<uintptr_t>(data);
  if (info->dlpi_addr != own_base) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& header = info->dlpi_phdr[i];
    if (header.p_type == PT_LOAD && (header.p_flags & PF_X)) {
      g_agent_code_begin = info->dlpi_addr + header.p_vaddr;
      g_agent_code_end = g_agent_code_begin + header.p_memsz;
      return 1;
    }
  }
  return 0;
}

}  // namespace

void InitStackCapture() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&InitStackCapture), &info) == 0) return;
  dl_iterate_phdr(FindOwnCode, info.dli_fbase);
}

void SetInterpretedFrameReading(bool enabled) { g_read_interpreted_frames = enabled; }

bool IsAgentCode(uintptr_t pc) { return pc >= g_agent_code_begin && pc < g_agent_code_end; }

namespace {

// libunwind's fast trace: return addresses only.
int CaptureReturnAddresses(void** raw, int wanted) { return unw_backtrace(raw, wanted); }

// Step by step, so each frame's registers are at hand: a frame of V8's
// interpreter is replaced by the bytecode it runs (interpreter_frames.h).
// Much slower than unw_backtrace: once libunwind falls back to frame
// pointers (V8's frames have no unwind info) it validates every address it
// reads with system calls, and its global cache blocks signals around each
// lookup. So it is opt-in (HEAPAGENT_NATIVE_JS_INTERPRETED), and only once
// V8 has announced its interpreter.
int CaptureWithInterpretedFrames(void** raw, int wanted) {
  unw_context_t context;
  unw_cursor_t cursor;
  if (unw_getcontext(&context) != 0 || unw_init_local(&cursor, &context) != 0) return 0;
  int depth = 0;
  // The first frame is this function's own, dropped like unw_backtrace's.
  while (depth < wanted && unw_step(&cursor) > 0) {
    unw_word_t ip = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0) break;
    uintptr_t frame = ip;
    if (IsInterpreterCode(ip)) {
      unw_word_t fp = 0;
      if (unw_get_reg(&cursor, UNW_TDEP_BP, &fp) == 0) {
        if (const uintptr_t bytecode = InterpretedFrameBytecode(fp)) frame = bytecode;
      }
    }
    raw[depth++] = reinterpret_cast<void*>(frame);
  }
  return depth;
}

}  // namespace

int CaptureStack(uintptr_t* frames, int max_depth) {
  // A few extra slots for our own frames, which are removed below.
  constexpr int kOwnFramesSlack = 8;
  void* raw[kMaxStackDepth + kOwnFramesSlack];
  const int wanted = std::clamp(max_depth, 1, kMaxStackDepth) + kOwnFramesSlack;
  const int captured =
      g_read_interpreted_frames && InterpreterRangesKnown() ? CaptureWithInterpretedFrames(raw, wanted)
                                                            : CaptureReturnAddresses(raw, wanted);
  int first = 0;
  while (first < captured && IsAgentCode(reinterpret_cast<uintptr_t>(raw[first]))) ++first;
  const int depth = std::min(captured - first, max_depth);
  for (int i = 0; i < depth; ++i) frames[i] = reinterpret_cast<uintptr_t>(raw[first + i]);
  return std::max(depth, 0);
}

}  // namespace heapagent
