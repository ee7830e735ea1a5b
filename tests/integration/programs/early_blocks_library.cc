// A library whose constructor runs before libheapagent.so's (a DT_NEEDED
// dependency of the program is initialised before the preloaded agent), so
// glibc serves every block here even when the agent then hands the malloc
// family to jemalloc. early_blocks_main frees, resizes and measures them
// after the switch.
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "early_blocks.h"

EarlyBlocks g_early;

__attribute__((constructor)) static void AllocateBeforeTheAgent() {
  EarlyBlocks& e = g_early;
  for (int i = 0; i < kSmallBlocks; ++i) e.small[i] = std::memset(std::malloc(16 + i * 8), 0x11, 16 + i * 8);
  e.big = std::memset(std::malloc(kBigBytes), 0x22, kBigBytes);  // glibc mmaps it: far from its heap
  e.zeroed = std::calloc(1000, 4);
  void* aligned = nullptr;
  if (posix_memalign(&aligned, 4096, 3000) == 0) e.aligned = std::memset(aligned, 0x33, 3000);
  e.c11_aligned = std::memset(aligned_alloc(64, 640), 0x44, 640);
  e.page = std::memset(valloc(100), 0x55, 100);
  e.duplicated = strdup("allocated before the agent");
  e.object = new std::string(200, 'x');  // operator new -> malloc
  e.to_grow = std::memset(std::malloc(1000), 0x66, 1000);
  e.to_shrink = std::memset(std::malloc(100000), 0x77, 100000);
  e.glibc_in_use_after_constructor = mallinfo2().uordblks + mallinfo2().hblkhd;
}
