// Captures the call stack of a sampled allocation with libunwind.
//
// Runs inside the allocator hook, so it must not take the agent's locks or
// recurse into sampling (the caller marks the thread busy; libunwind's own
// allocations then pass straight through). Frames that belong to
// libheapagent.so itself (the hook and the sampler) are dropped, so the first
// frame returned is the allocation site's return address.
#pragma once

#include <cstddef>
#include <cstdint>

namespace heapagent {

inline constexpr int kMaxStackDepth = 256;

// Learns the address range of this library's code. Call once at start-up,
// before any stack is captured.
void InitStackCapture();

// Fills `frames` (leaf first, return addresses) with at most `max_depth`
// frames and returns how many were written.
int CaptureStack(uintptr_t* frames, int max_depth);

// Whether frames of V8's interpreter are read for the bytecode they run
// (interpreter_frames.h): slower captures, named interpreted JS frames.
// Call once at start-up, before any stack is captured. Off by default.
void SetInterpretedFrameReading(bool enabled);

// True if `pc` lies in libheapagent.so's own code.
bool IsAgentCode(uintptr_t pc);

}  // namespace heapagent
