// Memory for the agent's fixed-size tables, taken straight from mmap.
//
// Tables live outside the malloc heap so that they are never sampled, survive
// fork in a known state, and cost RSS only for the pages actually touched.
#pragma once

#include <cstddef>

namespace heapagent {

// Returns zeroed, page-aligned memory or nullptr. Never calls malloc.
void* AllocatePages(std::size_t bytes) noexcept;
void FreePages(void* pages, std::size_t bytes) noexcept;
// Gives the pages back to the kernel; they read as zero when touched again.
void ZeroPages(void* pages, std::size_t bytes) noexcept;

}  // namespace heapagent
