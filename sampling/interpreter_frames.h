// Which JS function an interpreted V8 frame is running, read from the frame
// itself while a sampled allocation's stack is captured.
//
// Every frame of V8's interpreter returns into the same few builtins
// (InterpreterEntryTrampoline, InterpreterEnterAtBytecode...), so its return
// address names no function. The frame does: below its frame pointer V8
// keeps the BytecodeArray being run and the current bytecode offset, at
// fixed slots (x86-64: fp-32 and fp-40, the same in V8 11.3, 12.4 and 13.6).
// Their sum is the address of the current bytecode, which V8's code events
// (jit_code_map.h) map to the function. The capture replaces the frame's
// return address with that bytecode address, marked with kJsBytecodeTag so
// the symbolizer knows to look it up as JS.
//
// Reading the slots is only safe in a frame V8 built, so it is done only when
// the return address lies in one of the interpreter's code ranges, which the
// code events publish once (PublishInterpreterRange); anything implausible in
// the slots leaves the frame as it was.
//
// Thread-safety: InterpretedFrameBytecode runs inside allocator hooks on any
// thread and only reads the published ranges (acquire); PublishInterpreterRange
// may run on any thread (serialised internally).
#pragma once

#include <cstdint>

namespace heapagent {

// Bit 62 is never set in a user-space address on x86-64 or AArch64.
inline constexpr uintptr_t kJsBytecodeTag = uintptr_t{1} << 62;

inline bool IsJsBytecodeFrame(uintptr_t frame) { return (frame & kJsBytecodeTag) != 0; }
inline uintptr_t JsBytecodeAddress(uintptr_t frame) { return frame & ~kJsBytecodeTag; }

// Adds [begin, end) to the interpreter's code ranges (adjacent ranges are
// merged; beyond a fixed number of ranges the rest are ignored).
void PublishInterpreterRange(uintptr_t begin, uintptr_t end);

// True once any interpreter range is known: stacks then need frame pointers.
bool InterpreterRangesKnown();

// True if `return_address` lies in the interpreter's code.
bool IsInterpreterCode(uintptr_t return_address);

// The tagged bytecode address of the interpreted frame whose frame pointer
// is `frame_pointer`, or 0 if the slots do not look like V8's.
uintptr_t InterpretedFrameBytecode(uintptr_t frame_pointer);

// Forgets every range (tests only).
void ResetInterpreterRangesForTesting();

}  // namespace heapagent
