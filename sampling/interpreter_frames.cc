#include "sampling/interpreter_frames.h"

#include <atomic>

#include "sampling/spin_lock.h"

namespace heapagent {
namespace {

// The interpreter's entry trampolines: a few builtins, in V8's embedded blob
// and in the copy of it V8 may map next to its code (code_aliases.h).
constexpr int kMaxRanges = 64;
// Builtins are padded to an alignment; a gap this small between two of them
// holds no code anyone returns into.
constexpr uintptr_t kMergeGap = 64;

struct Range {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
};

Range g_ranges[kMaxRanges];
std::atomic<int> g_range_count{0};
SpinLock g_publish_lock;

// V8's interpreted frame below its frame pointer (InterpreterFrameConstants):
// fp-8 context, fp-16 JSFunction, fp-24 argument count, fp-32 the
// BytecodeArray, fp-40 the bytecode offset as a Smi.
constexpr intptr_t kBytecodeArrayFromFp = -32;
constexpr intptr_t kBytecodeOffsetFromFp = -40;
// Heap object pointers carry tag 1 in their low bits (8-byte aligned objects).
constexpr uintptr_t kHeapObjectTagMask = 7;
constexpr uintptr_t kHeapObjectTag = 1;
constexpr uintptr_t kMaxBytecodeOffset = uintptr_t{1} << 24;

// A Smi in a full stack slot: value << 32 without pointer compression,
// value << 1 with it. 0 if the slot holds neither.
uintptr_t SmiValue(uintptr_t slot) {
  if ((slot & 0xffffffffu) == 0) return slot >> 32;
  if ((slot & 1) == 0 && slot < (uintptr_t{1} << 32)) return slot >> 1;
  return 0;
}

}  // namespace

void PublishInterpreterRange(uintptr_t begin, uintptr_t end) {
  if (begin == 0 || end <= begin) return;
  std::lock_guard lock(g_publish_lock);
  const int count = g_range_count.load(std::memory_order_relaxed);
  // Only ever widen a range over adjacent interpreter code, never shrink or
  // move one: a reader racing with this sees either bound, both safe.
  for (int i = 0; i < count; ++i) {
    Range& range = g_ranges[i];
    const uintptr_t b = range.begin.load(std::memory_order_relaxed);
    const uintptr_t e = range.end.load(std::memory_order_relaxed);
    if (begin >= b && end <= e) return;
    if (begin >= b && begin <= e + kMergeGap) {
      if (end > e) range.end.store(end, std::memory_order_release);
      return;
    }
    if (end <= b && end + kMergeGap >= b) {
      range.begin.store(begin, std::memory_order_release);
      return;
    }
  }
  if (count == kMaxRanges) return;
  g_ranges[count].begin.store(begin, std::memory_order_relaxed);
  g_ranges[count].end.store(end, std::memory_order_relaxed);
  g_range_count.store(count + 1, std::memory_order_release);
}

bool InterpreterRangesKnown() { return g_range_count.load(std::memory_order_acquire) > 0; }

bool IsInterpreterCode(uintptr_t return_address) {
  const int count = g_range_count.load(std::memory_order_acquire);
  // A return address points after its call: the call is one byte back.
  const uintptr_t pc = return_address - 1;
  for (int i = 0; i < count; ++i) {
    if (pc >= g_ranges[i].begin.load(std::memory_order_acquire) && pc < g_ranges[i].end.load(std::memory_order_acquire)) {
      return true;
    }
  }
  return false;
}

uintptr_t InterpretedFrameBytecode(uintptr_t frame_pointer) {
  if (frame_pointer < 4096 || (frame_pointer & 7) != 0) return 0;
  const uintptr_t bytecode_array = *reinterpret_cast<const uintptr_t*>(frame_pointer + kBytecodeArrayFromFp);
  const uintptr_t offset = SmiValue(*reinterpret_cast<const uintptr_t*>(frame_pointer + kBytecodeOffsetFromFp));
  if ((bytecode_array & kHeapObjectTagMask) != kHeapObjectTag || bytecode_array < 4096) return 0;
  if (offset == 0 || offset >= kMaxBytecodeOffset) return 0;
  // V8 keeps the offset relative to the tagged BytecodeArray pointer, so the
  // sum is the address of the bytecode itself.
  const uintptr_t bytecode = bytecode_array + offset;
  if (bytecode & kJsBytecodeTag) return 0;
  return bytecode | kJsBytecodeTag;
}

void ResetInterpreterRangesForTesting() {
  std::lock_guard lock(g_publish_lock);
  g_range_count.store(0, std::memory_order_release);
}

}  // namespace heapagent
