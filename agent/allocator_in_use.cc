// TODO(merge): use sampling/allocator_stats.h
#include "agent/allocator_in_use.h"

#include <malloc.h>

namespace heapagent {

bool ReadAllocatorInUse(AllocatorInUse* stats) {
  // The agent's malloc family forwards to glibc's (sampling/interpose.cc), so
  // glibc's own counters are the process's native heap.
  const struct mallinfo2 info = mallinfo2();
  // uordblks: bytes in use in the arenas; hblkhd: bytes in blocks served by
  // their own mmap() (large allocations), which are in use by definition.
  stats->in_use_bytes = info.uordblks + info.hblkhd;
  stats->mapped_bytes = info.arena + info.hblkhd;
  stats->allocator = "glibc";
  return true;
}

}  // namespace heapagent
