// How much memory the serving allocator holds, for the heap summary series.
// Slow path only (takes the allocator's locks): never call it from a hook.
#pragma once

#include <cstdint>

namespace heapagent {

struct AllocatorStats {
  uint64_t in_use_bytes;   // handed out to the program and not freed
  uint64_t mapped_bytes;   // what the allocator holds from the kernel for it
  const char* allocator;   // "glibc" or "jemalloc" (static strings)
};

// False (and *stats untouched) only if the allocator would not say.
bool ReadAllocatorStats(AllocatorStats* stats);

}  // namespace heapagent
