#include "sampling/page_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace heapagent {
namespace {

// Regions are claimed and released with atomics only: AllocatePages may run
// in the library constructor, in a forked child, or on any thread.
constexpr int kTrackedRegions = 32;
struct TrackedRegion {
  std::atomic<uintptr_t> start{0};
  std::atomic<std::size_t> bytes{0};
};
TrackedRegion g_regions[kTrackedRegions];

void Track(const void* start, std::size_t bytes) noexcept {
  for (TrackedRegion& region : g_regions) {
    uintptr_t empty = 0;
    if (region.start.compare_exchange_strong(empty, reinterpret_cast<uintptr_t>(start))) {
      // A reader between the two stores sees 0 bytes: a moment's undercount.
      region.bytes.store(bytes, std::memory_order_relaxed);
      return;
    }
  }
}

void Untrack(const void* start) noexcept {
  for (TrackedRegion& region : g_regions) {
    uintptr_t expected = reinterpret_cast<uintptr_t>(start);
    if (region.start.compare_exchange_strong(expected, 0)) return;
  }
}

}  // namespace

void* AllocatePages(std::size_t bytes) noexcept {
  void* pages = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) return nullptr;
  Track(pages, bytes);
  return pages;
}

void FreePages(void* pages, std::size_t bytes) noexcept {
  if (pages == nullptr) return;
  Untrack(pages);
  munmap(pages, bytes);
}

void ZeroPages(void* pages, std::size_t bytes) noexcept {
  if (pages != nullptr) madvise(pages, bytes, MADV_DONTNEED);
}

void TrackAgentPages(const void* start, std::size_t bytes) noexcept { Track(start, bytes); }

AgentPagesUsage MeasureAgentPages() noexcept {
  AgentPagesUsage usage;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  unsigned char residency[1024];
  for (const TrackedRegion& tracked : g_regions) {
    const uintptr_t start = tracked.start.load();
    if (start == 0) continue;
    const std::size_t bytes = tracked.bytes.load(std::memory_order_relaxed);
    usage.mapped_bytes += bytes;
    // mincore wants a page-aligned start; a BSS region may begin mid-page.
    uintptr_t cursor = start & ~(page - 1);
    const uintptr_t end = start + bytes;
    while (cursor < end) {
      const uintptr_t chunk_end = std::min<uintptr_t>(end, cursor + sizeof residency * page);
      const std::size_t pages = (chunk_end - cursor + page - 1) / page;
      if (mincore(reinterpret_cast<void*>(cursor), chunk_end - cursor, residency) != 0) break;
      for (std::size_t i = 0; i < pages; ++i) usage.resident_bytes += (residency[i] & 1) ? page : 0;
      cursor += pages * page;
    }
  }
  return usage;
}

}  // namespace heapagent
