// Finds Debian's libjemalloc2 in this process and resolves the functions
// the dispatch forwards to (see allocator_dispatch.h).
//
// Why jemalloc is usually loaded at start-up rather than by dlopen here:
// libjemalloc.so.2 is built with initial-exec TLS (2.6 KiB of it, flag
// STATIC_TLS), and glibc lets a library dlopen()ed after start-up take at
// most glibc.rtld.optional_static_tls (512 bytes by default) of static TLS:
// dlopen fails with "cannot allocate memory in static TLS block". So
// libheapagent.so names a tiny companion, libheapagent-jemalloc.so (whose
// only content is its dependency on libjemalloc.so.2), as an *auxiliary
// filter* (DT_AUXILIARY): glibc loads it with the program when it is found
// next to libheapagent.so and its dependency resolves, and ignores it
// silently otherwise. jemalloc then sits in the initial link map, behind
// libheapagent.so, libc and libstdc++ in the global scope (so the agent's
// malloc and libstdc++'s operator new stay the ones everybody calls), and
// here it is only looked up (RTLD_NOLOAD).
#pragma once

#include <string>

#include "sampling/allocator_dispatch.h"

namespace heapagent {

struct JemallocLookup {
  JemallocFunctions functions;  // complete() when found
  std::string version;          // jemalloc's "version" mallctl
  std::string problem;          // why not, as one sentence, when not found
};

// `path`: a specific library to dlopen (HEAPAGENT_JEMALLOC_PATH), or empty
// for libjemalloc.so.2 as loaded through the companion (or dlopen()able).
JemallocLookup FindJemalloc(const std::string& path);

}  // namespace heapagent
