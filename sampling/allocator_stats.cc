#include "sampling/allocator_stats.h"

#include <malloc.h>

#include <cstddef>

#include "sampling/allocator_dispatch.h"

namespace heapagent {
namespace {

struct GlibcHeap {
  uint64_t in_use, mapped;
};

// mallinfo2: uordblks is what is handed out from the arenas, hblkhd the
// blocks glibc mmapped one by one (in use by definition), arena the bytes
// the arenas hold from the kernel (brk and heap mmaps).
GlibcHeap ReadGlibcHeap() {
  const struct mallinfo2 info = mallinfo2();
  return {info.uordblks + info.hblkhd, info.arena + info.hblkhd};
}

bool ReadJemalloc(const JemallocFunctions& jemalloc, uint64_t& allocated, uint64_t& mapped) {
  // jemalloc's statistics are a snapshot refreshed by writing "epoch".
  uint64_t epoch = 1;
  size_t length = sizeof epoch;
  if (jemalloc.mallctl("epoch", &epoch, &length, &epoch, sizeof epoch) != 0) return false;
  size_t value = 0;
  length = sizeof value;
  if (jemalloc.mallctl("stats.allocated", &value, &length, nullptr, 0) != 0) return false;
  allocated = value;
  length = sizeof value;
  if (jemalloc.mallctl("stats.mapped", &value, &length, nullptr, 0) != 0) return false;
  mapped = value;
  return true;
}

}  // namespace

bool ReadAllocatorStats(AllocatorStats* stats) {
  if (const JemallocFunctions* jemalloc = ServingJemalloc()) {
    uint64_t allocated = 0, mapped = 0;
    if (!ReadJemalloc(*jemalloc, allocated, mapped)) return false;
    // glibc still holds the blocks made before the switch (few, in node):
    // count them too, so nothing the process uses is missing.
    const GlibcHeap early = ReadGlibcHeap();
    *stats = {allocated + early.in_use, mapped + early.mapped, "jemalloc"};
    return true;
  }
  const GlibcHeap heap = ReadGlibcHeap();
  *stats = {heap.in_use, heap.mapped, "glibc"};
  return true;
}

}  // namespace heapagent
