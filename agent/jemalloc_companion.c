/* libheapagent-jemalloc.so: the companion that brings Debian's jemalloc into
 * a process at start-up, so that HEAPAGENT_ALLOCATOR=jemalloc can use it.
 *
 * Its only content is its dependency on libjemalloc.so.2. libheapagent.so
 * names it as an auxiliary filter ($ORIGIN/libheapagent-jemalloc.so): the
 * loader loads it, and through it jemalloc, with the program when both are
 * present, and silently skips it otherwise. See sampling/jemalloc_library.h
 * for why jemalloc cannot simply be dlopen()ed later (static TLS). */
int heapagent_jemalloc_companion;
