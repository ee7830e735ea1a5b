// The native heap as the allocator itself counts it: bytes handed out and
// not freed, and bytes it holds from the kernel.
//
// TODO(merge): use sampling/allocator_stats.h (ReadAllocatorStats, which also
// knows jemalloc's mallctl stats); this glibc-only stand-in has the same shape.
//
// Thread-safety: any thread. glibc's mallinfo2 locks each arena in turn while
// it walks that arena's free lists, so a call costs time in proportion to
// the free chunks and briefly delays mallocs in the arena being walked: call
// it once per period, from the agent's thread.
#pragma once

#include <cstdint>

namespace heapagent {

struct AllocatorInUse {
  uint64_t in_use_bytes = 0;  // allocated and not freed (including mmap()ed blocks)
  uint64_t mapped_bytes = 0;  // obtained from the kernel: arenas plus mmap()ed blocks
  const char* allocator = "";
};

// False when the process's allocator is not one whose statistics are known.
bool ReadAllocatorInUse(AllocatorInUse* stats);

}  // namespace heapagent
