#include "sampling/page_memory.h"

#include <sys/mman.h>

namespace heapagent {

void* AllocatePages(std::size_t bytes) noexcept {
  void* pages = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return pages == MAP_FAILED ? nullptr : pages;
}

void FreePages(void* pages, std::size_t bytes) noexcept {
  if (pages != nullptr) munmap(pages, bytes);
}

void ZeroPages(void* pages, std::size_t bytes) noexcept {
  if (pages != nullptr) madvise(pages, bytes, MADV_DONTNEED);
}

}  // namespace heapagent
