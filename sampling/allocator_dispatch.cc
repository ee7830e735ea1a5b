#include "sampling/allocator_dispatch.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "sampling/foreign_pointer_set.h"
#include "sampling/system_allocator.h"

#define HEAPAGENT_UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace heapagent {
namespace {

// Zero-initialised BSS: usable before any constructor, and only the pages
// early blocks hash to are ever touched.
uintptr_t g_foreign_slots[ForeignPointerSet::kSlots];
constinit ForeignPointerSet g_foreign{g_foreign_slots};

constinit std::atomic<ServingAllocator> g_serving{ServingAllocator::kUndecided};
// Written once before the switch's release stores; read behind an acquire
// load of a switched entry point.
constinit JemallocFunctions g_jemalloc;
constinit size_t g_page_size = 4096;

// glibc exports malloc_usable_size under that name only (no __libc_ alias),
// and the agent's own definition of the name comes first in the global
// scope, so it is looked up in libc's own scope.
constinit std::atomic<UsableSizeFunction> g_glibc_usable_size{nullptr};

size_t GlibcUsableSize(void* pointer) {
  UsableSizeFunction usable = g_glibc_usable_size.load(std::memory_order_acquire);
  if (HEAPAGENT_UNLIKELY(usable == nullptr)) {
    // Only before the agent's constructor; dlopen/dlsym may allocate, which
    // goes through malloc, never back here.
    ResolveSystemAllocatorExtras();
    usable = g_glibc_usable_size.load(std::memory_order_acquire);
    if (usable == nullptr) return 0;  // cannot happen with glibc; 0 is always a safe answer
  }
  return usable(pointer);
}

// --- Recording: glibc serves, every block it hands out is remembered --------

void* Recorded(void* pointer) {
  if (pointer != nullptr) g_foreign.Insert(pointer);
  return pointer;
}

void* RecordingMalloc(size_t size) { return Recorded(__libc_malloc(size)); }
void* RecordingCalloc(size_t count, size_t size) { return Recorded(__libc_calloc(count, size)); }
void* RecordingMemalign(size_t alignment, size_t size) { return Recorded(__libc_memalign(alignment, size)); }
void* RecordingValloc(size_t size) { return Recorded(__libc_valloc(size)); }
void* RecordingPvalloc(size_t size) { return Recorded(__libc_pvalloc(size)); }

// A block leaves the set *before* glibc gets it back: afterwards another
// thread may be handed the same address and record it, and removing then
// would drop that thread's entry.
void RecordingFree(void* pointer) {
  if (pointer != nullptr) g_foreign.Remove(pointer);
  __libc_free(pointer);
}

void* RecordingRealloc(void* pointer, size_t size) {
  if (pointer != nullptr) g_foreign.Remove(pointer);
  void* resized = __libc_realloc(pointer, size);
  if (resized != nullptr) {
    g_foreign.Insert(resized);
  } else if (pointer != nullptr && size != 0) {
    g_foreign.Insert(pointer);  // realloc failed: the old block is still live
  }
  return resized;
}

// --- jemalloc serves; glibc's early blocks go back to glibc ------------------

bool IsEarlySystemBlock(void* pointer) {
  return HEAPAGENT_UNLIKELY(g_foreign.MayContain(pointer)) && g_foreign.Contains(pointer);
}

void JemallocFree(void* pointer) {
  if (HEAPAGENT_UNLIKELY(g_foreign.MayContain(pointer)) && g_foreign.Remove(pointer)) {
    __libc_free(pointer);
    return;
  }
  g_jemalloc.free(pointer);
}

// An early block being resized moves to jemalloc: jemalloc cannot resize
// glibc's block, and after this it is one of jemalloc's like any other.
void* MoveEarlyBlockToJemalloc(void* pointer, size_t size) {
  if (size == 0) {  // glibc's realloc(p, 0): free p, return NULL
    g_foreign.Remove(pointer);
    __libc_free(pointer);
    return nullptr;
  }
  void* moved = g_jemalloc.malloc(size);
  if (moved == nullptr) return nullptr;  // the old block stays valid, and glibc's
  const size_t old_size = GlibcUsableSize(pointer);
  std::memcpy(moved, pointer, old_size < size ? old_size : size);
  g_foreign.Remove(pointer);
  __libc_free(pointer);
  return moved;
}

void* JemallocRealloc(void* pointer, size_t size) {
  if (IsEarlySystemBlock(pointer)) return MoveEarlyBlockToJemalloc(pointer, size);
  return g_jemalloc.realloc(pointer, size);
}

size_t JemallocUsableSize(void* pointer) {
  if (IsEarlySystemBlock(pointer)) return GlibcUsableSize(pointer);
  return g_jemalloc.usable_size(pointer);
}

// jemalloc has no pvalloc: glibc's meaning, a whole number of pages.
void* JemallocPvalloc(size_t size) {
  size_t rounded;
  if (__builtin_add_overflow(size, g_page_size - 1, &rounded)) {
    errno = ENOMEM;
    return nullptr;
  }
  rounded &= ~(g_page_size - 1);
  return g_jemalloc.valloc(rounded == 0 ? g_page_size : rounded);
}

}  // namespace

constinit AllocatorEntryPoints g_allocator{
    RecordingMalloc, RecordingFree,    RecordingCalloc,  RecordingRealloc,
    RecordingMemalign, RecordingValloc, RecordingPvalloc, GlibcUsableSize,
};

void ResolveSystemAllocatorExtras() {
  if (g_glibc_usable_size.load(std::memory_order_acquire) != nullptr) return;
  void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  void* found = libc != nullptr ? dlsym(libc, "malloc_usable_size") : nullptr;
  if (libc != nullptr) dlclose(libc);  // RTLD_NOLOAD took a reference
  g_glibc_usable_size.store(reinterpret_cast<UsableSizeFunction>(found), std::memory_order_release);
}

void SettleOnSystemAllocator() {
  ResolveSystemAllocatorExtras();
  ServingAllocator expected = ServingAllocator::kUndecided;
  if (!g_serving.compare_exchange_strong(expected, ServingAllocator::kSystem)) return;
  constexpr auto kRelease = std::memory_order_release;
  g_allocator.malloc.store(__libc_malloc, kRelease);
  g_allocator.free.store(__libc_free, kRelease);
  g_allocator.calloc.store(__libc_calloc, kRelease);
  g_allocator.realloc.store(__libc_realloc, kRelease);
  g_allocator.memalign.store(__libc_memalign, kRelease);
  g_allocator.valloc.store(__libc_valloc, kRelease);
  g_allocator.pvalloc.store(__libc_pvalloc, kRelease);
  if (UsableSizeFunction usable = g_glibc_usable_size.load(std::memory_order_acquire)) {
    g_allocator.usable_size.store(usable, kRelease);
  }
}

SwitchOutcome SwitchToJemalloc(const JemallocFunctions& jemalloc) {
  ResolveSystemAllocatorExtras();
  if (CurrentAllocator() != ServingAllocator::kUndecided) return SwitchOutcome::kAlreadyDecided;
  if (!jemalloc.complete() || g_glibc_usable_size.load(std::memory_order_acquire) == nullptr) {
    SettleOnSystemAllocator();
    return SwitchOutcome::kIncomplete;
  }
  // An incomplete record means some early block would be handed to jemalloc.
  if (g_foreign.overflowed()) {
    SettleOnSystemAllocator();
    return SwitchOutcome::kTooManyEarlyBlocks;
  }
  ServingAllocator expected = ServingAllocator::kUndecided;
  if (!g_serving.compare_exchange_strong(expected, ServingAllocator::kJemalloc)) {
    return SwitchOutcome::kAlreadyDecided;
  }
  g_jemalloc = jemalloc;
  const long page = sysconf(_SC_PAGESIZE);
  if (page > 0) g_page_size = static_cast<size_t>(page);
  constexpr auto kRelease = std::memory_order_release;
  // The releasing side first: these accept glibc's blocks and jemalloc's, so
  // once a jemalloc block can exist (the allocating side, switched next),
  // whoever frees it already calls them. Blocks glibc still hands out in
  // between are recorded, so they are recognised too.
  g_allocator.free.store(JemallocFree, kRelease);
  g_allocator.usable_size.store(JemallocUsableSize, kRelease);
  g_allocator.realloc.store(JemallocRealloc, kRelease);
  g_allocator.malloc.store(jemalloc.malloc, kRelease);
  g_allocator.calloc.store(jemalloc.calloc, kRelease);
  g_allocator.memalign.store(jemalloc.memalign, kRelease);
  g_allocator.valloc.store(jemalloc.valloc, kRelease);
  g_allocator.pvalloc.store(JemallocPvalloc, kRelease);
  return SwitchOutcome::kSwitched;
}

ServingAllocator CurrentAllocator() { return g_serving.load(std::memory_order_acquire); }

const JemallocFunctions* ServingJemalloc() {
  return CurrentAllocator() == ServingAllocator::kJemalloc ? &g_jemalloc : nullptr;
}

size_t LiveEarlySystemBlocks() { return g_foreign.live(); }

}  // namespace heapagent
