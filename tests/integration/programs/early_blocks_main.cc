// Releases, after the agent's constructor, blocks glibc handed out before it
// (early_blocks_library), and prints what each allocator saw:
//   early_bytes_returned_to_glibc <bytes>   glibc's in-use drop over the frees
//   jemalloc_grew <bytes> glibc_grew <bytes> over a 32 MiB allocation
// Exits non-zero if a block lost its contents. A block handed to the wrong
// allocator aborts the run (glibc's free checks the chunk it is given) or
// shows in the numbers (jemalloc does not: the drop in glibc's in-use bytes
// is the check).
//
// Why not AddressSanitizer or MALLOC_CHECK_: ASan replaces malloc itself, so
// under ASan neither glibc nor jemalloc would serve anything, and glibc 2.34+
// honours MALLOC_CHECK_ only with libc_malloc_debug.so preloaded, which also
// takes malloc over from the agent. Both would test another allocator.
#include <dlfcn.h>
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "early_blocks.h"

namespace {

// Runs after the agent's constructor (the program's own constructors run
// last): served by whatever the agent chose.
void* g_from_late_constructor = nullptr;
__attribute__((constructor)) void AllocateAfterTheAgent() { g_from_late_constructor = std::memset(std::malloc(5000), 0x5A, 5000); }

size_t GlibcInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

size_t JemallocAllocated() {
  void* jemalloc = dlopen("libjemalloc.so.2", RTLD_LAZY | RTLD_NOLOAD);
  auto mallctl = jemalloc ? reinterpret_cast<int (*)(const char*, void*, size_t*, void*, size_t)>(
                                dlsym(jemalloc, "mallctl"))
                          : nullptr;
  if (mallctl == nullptr) return 0;
  uint64_t epoch = 1;
  size_t length = sizeof epoch;
  mallctl("epoch", &epoch, &length, &epoch, sizeof epoch);
  size_t allocated = 0;
  length = sizeof allocated;
  mallctl("stats.allocated", &allocated, &length, nullptr, 0);
  return allocated;
}

bool Holds(const void* block, size_t size, unsigned char value) {
  const auto* bytes = static_cast<const unsigned char*>(block);
  for (size_t i = 0; i < size; ++i) {
    if (bytes[i] != value) return false;
  }
  return true;
}

int g_failures = 0;
void Expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "early_blocks_main: %s\n", what);
    ++g_failures;
  }
}

}  // namespace

int main() {
  EarlyBlocks& e = g_early;
  // malloc_usable_size of glibc's blocks must be glibc's answer.
  Expect(malloc_usable_size(e.big) >= kBigBytes, "usable size of the big early block");
  Expect(malloc_usable_size(e.to_shrink) >= 100000, "usable size of an early block");
  Expect(malloc_usable_size(g_from_late_constructor) >= 5000, "usable size of a late block");
  Expect(Holds(g_from_late_constructor, 5000, 0x5A), "late block contents");

  const size_t glibc_before = GlibcInUse();
  size_t early_bytes = kBigBytes + 4000 + 3000 + 640 + 100 + 1000 + 100000;
  // Half of the small blocks are freed on another thread.
  std::thread other([&] {
    for (int i = 0; i < kSmallBlocks; i += 2) std::free(e.small[i]);
  });
  for (int i = 1; i < kSmallBlocks; i += 2) std::free(e.small[i]);
  other.join();
  for (int i = 0; i < kSmallBlocks; ++i) early_bytes += 16 + i * 8;
  Expect(Holds(e.big, kBigBytes, 0x22), "big block contents");
  std::free(e.big);
  std::free(e.zeroed);
  Expect(Holds(e.aligned, 3000, 0x33), "aligned block contents");
  std::free(e.aligned);
  std::free(e.c11_aligned);
  std::free(e.page);
  Expect(std::strcmp(e.duplicated, "allocated before the agent") == 0, "strdup contents");
  std::free(e.duplicated);
  Expect(e.object->size() == 200 && (*e.object)[199] == 'x', "string contents");
  delete e.object;
  // Resized early blocks keep their contents wherever they end up.
  auto* grown = static_cast<unsigned char*>(std::realloc(e.to_grow, 300000));
  Expect(grown != nullptr && Holds(grown, 1000, 0x66), "grown block contents");
  auto* shrunk = static_cast<unsigned char*>(std::realloc(e.to_shrink, 10));
  Expect(shrunk != nullptr && Holds(shrunk, 10, 0x77), "shrunk block contents");
  const size_t glibc_after = GlibcInUse();
  std::free(grown);
  std::free(shrunk);
  std::free(g_from_late_constructor);

  const size_t jemalloc_start = JemallocAllocated(), glibc_start = GlibcInUse();
  void* big = std::memset(std::malloc(32 << 20), 1, 32 << 20);
  const size_t jemalloc_grew = JemallocAllocated() - jemalloc_start, glibc_grew = GlibcInUse() - glibc_start;
  std::free(big);

  std::printf("early_bytes %zu early_bytes_returned_to_glibc %lld\n", early_bytes,
              static_cast<long long>(glibc_before) - static_cast<long long>(glibc_after));
  std::printf("jemalloc_grew %zu glibc_grew %zu\n", jemalloc_grew, glibc_grew);
  return g_failures == 0 ? 0 : 1;
}
