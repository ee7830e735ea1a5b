// HEAPAGENT_ALLOCATOR: hands the malloc family of a profiled process to
// jemalloc, or leaves it with glibc. Called once by the agent's constructor,
// before the agent starts any thread.
#pragma once

#include "agent/config.h"

namespace heapagent {

// In a process the agent profiles: switches to jemalloc when asked and
// possible (else one "heapagent:" line, and glibc).
void ChooseAllocator(const Config& config);

// In a process the agent leaves alone: glibc, always.
void KeepSystemAllocator();

}  // namespace heapagent
