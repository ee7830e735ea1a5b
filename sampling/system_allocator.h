// The allocator that really serves memory: glibc's, reached through its
// exported __libc_* entry points. Calling these directly (rather than looking
// up the "next" malloc with dlsym) means there is no recursion at start-up and
// nothing to initialise: allocations made before our constructor, by the
// dynamic loader, by exiting threads or by libunwind all simply work.
#pragma once

#include <cstddef>

extern "C" {
void* __libc_malloc(size_t size);
void __libc_free(void* pointer);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void* __libc_valloc(size_t size);
void* __libc_pvalloc(size_t size);
}
