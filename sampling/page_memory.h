// Memory for the agent's fixed-size tables, taken straight from mmap.
//
// Tables live outside the malloc heap so that they are never sampled, survive
// fork in a known state, and cost RSS only for the pages actually touched.
// Every region handed out here (and any other fixed region of the agent's
// registered with TrackAgentPages) is remembered, so the heap summary can say
// what the agent's tables cost: their address space and their resident pages.
#pragma once

#include <cstddef>

namespace heapagent {

// Returns zeroed, page-aligned memory or nullptr. Never calls malloc.
void* AllocatePages(std::size_t bytes) noexcept;
void FreePages(void* pages, std::size_t bytes) noexcept;
// Gives the pages back to the kernel; they read as zero when touched again.
void ZeroPages(void* pages, std::size_t bytes) noexcept;

// Counts a fixed region of the agent's that did not come from AllocatePages
// (e.g. a table in the library's BSS). At most 32 regions are tracked.
void TrackAgentPages(const void* start, std::size_t bytes) noexcept;

struct AgentPagesUsage {
  std::size_t mapped_bytes = 0;    // address space of the tracked regions
  std::size_t resident_bytes = 0;  // of which in RAM now (mincore)
};
// Walks the tracked regions; a few microseconds per MiB. Any thread.
AgentPagesUsage MeasureAgentPages() noexcept;

}  // namespace heapagent
