// Which allocator really serves the malloc family: glibc (the default) or
// jemalloc (HEAPAGENT_ALLOCATOR=jemalloc), chosen once by the agent's
// constructor.
//
// The hooks in interpose.cc call through g_allocator: one atomic function
// pointer per entry point, read with a plain load and called indirectly -
// the same cost as the GOT-indirect call to glibc's __libc_* they made
// before (built with -fno-plt). The table has three states:
//
//   recording (from the first malloc until the constructor decides): glibc
//     serves, and every block it hands out is recorded in the foreign-pointer
//     set, so it can be given back to glibc if jemalloc takes over;
//   system: glibc's __libc_* entry points themselves, nothing recorded - the
//     hot path of the default mode is exactly what it was;
//   jemalloc: jemalloc's functions; free/realloc/malloc_usable_size first ask
//     the foreign-pointer set (a range test, then a lookup) and give glibc's
//     early blocks back to glibc.
//
// The table is constant-initialised to the recording state, so it is valid
// from the loader's very first allocation, before any constructor; every
// switch replaces complete, already-resolved functions, so nothing can call
// into a half-initialised table, and jemalloc's own start-up (it runs its
// constructor at load time, before the agent's) never comes back here.
#pragma once

#include <atomic>
#include <cstddef>

namespace heapagent {

using MallocFunction = void* (*)(size_t size);
using FreeFunction = void (*)(void* pointer);
using CallocFunction = void* (*)(size_t count, size_t size);
using ReallocFunction = void* (*)(void* pointer, size_t size);
using MemalignFunction = void* (*)(size_t alignment, size_t size);
using UsableSizeFunction = size_t (*)(void* pointer);
using MallctlFunction = int (*)(const char* name, void* old_value, size_t* old_length, void* new_value,
                                size_t new_length);

struct AllocatorEntryPoints {
  std::atomic<MallocFunction> malloc;
  std::atomic<FreeFunction> free;
  std::atomic<CallocFunction> calloc;
  std::atomic<ReallocFunction> realloc;
  std::atomic<MemalignFunction> memalign;  // also posix_memalign and aligned_alloc (validated by the hooks)
  std::atomic<MallocFunction> valloc;
  std::atomic<MallocFunction> pvalloc;
  std::atomic<UsableSizeFunction> usable_size;
};

// Read by the hooks on every call (acquire: free on x86-64, and it orders
// the reads of the jemalloc functions behind a switched entry).
// Hidden: the hooks address it directly, not through the GOT.
extern AllocatorEntryPoints g_allocator __attribute__((visibility("hidden")));

// jemalloc's unprefixed entry points, as Debian's libjemalloc2 exports them
// (resolved with dlsym on its handle, never through the global scope, where
// the agent's own malloc comes first).
struct JemallocFunctions {
  MallocFunction malloc = nullptr;
  FreeFunction free = nullptr;
  CallocFunction calloc = nullptr;
  ReallocFunction realloc = nullptr;
  MemalignFunction memalign = nullptr;
  MallocFunction valloc = nullptr;
  UsableSizeFunction usable_size = nullptr;
  MallctlFunction mallctl = nullptr;

  bool complete() const {
    return malloc && free && calloc && realloc && memalign && valloc && usable_size && mallctl;
  }
};

enum class ServingAllocator { kUndecided, kSystem, kJemalloc };

// Resolves what the dispatch needs from glibc beyond its __libc_* exports
// (malloc_usable_size). The agent's constructor calls it first; until then a
// call resolves it lazily.
void ResolveSystemAllocatorExtras();

// Ends recording: glibc serves for good. Idempotent.
void SettleOnSystemAllocator();

enum class SwitchOutcome { kSwitched, kTooManyEarlyBlocks, kAlreadyDecided, kIncomplete };
// Hands the malloc family to jemalloc. On anything but kSwitched, glibc
// serves for good (SettleOnSystemAllocator was called).
SwitchOutcome SwitchToJemalloc(const JemallocFunctions& jemalloc);

ServingAllocator CurrentAllocator();
// jemalloc's functions while it serves, else nullptr.
const JemallocFunctions* ServingJemalloc();
// glibc's blocks from before the switch that are still live (diagnostics).
size_t LiveEarlySystemBlocks();

}  // namespace heapagent
