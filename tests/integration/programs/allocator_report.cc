// Test-only companion preloaded *after* libheapagent.so by the jemalloc-mode
// tests: at exit it appends one line to $HEAPAGENT_TEST_ALLOCATOR_REPORT
//   <executable> <jemalloc allocations so far> <glibc bytes in use>
// read from the allocators themselves (jemalloc's mallctl statistics,
// glibc's mallinfo2), not from the agent, so a switch that silently did not
// happen shows: jemalloc's count stays 0 when glibc serves, even though
// libheapagent-jemalloc.so has jemalloc loaded in every process.
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace {

using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);

// Cumulative allocations of every arena: small and large size classes.
int64_t JemallocAllocations() {
  void* jemalloc = dlopen("libjemalloc.so.2", RTLD_LAZY | RTLD_NOLOAD);
  if (jemalloc == nullptr) return -1;
  auto mallctl = reinterpret_cast<Mallctl>(dlsym(jemalloc, "mallctl"));
  if (mallctl == nullptr) return -1;
  uint64_t epoch = 1;
  size_t length = sizeof epoch;
  mallctl("epoch", &epoch, &length, &epoch, sizeof epoch);
  int64_t total = 0;
  for (const char* name : {"stats.arenas.4096.small.nmalloc", "stats.arenas.4096.large.nmalloc"}) {
    uint64_t count = 0;
    length = sizeof count;
    if (mallctl(name, &count, &length, nullptr, 0) != 0) return -1;
    total += static_cast<int64_t>(count);
  }
  return total;
}

__attribute__((destructor)) void ReportAllocators() {
  const char* path = std::getenv("HEAPAGENT_TEST_ALLOCATOR_REPORT");
  if (path == nullptr) return;
  char executable[256] = "?";
  const ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
  if (length > 0) executable[length] = '\0';
  const char* name = std::strrchr(executable, '/');
  const struct mallinfo2 glibc = mallinfo2();
  char line[512];
  const int size = std::snprintf(line, sizeof line, "%s %lld %llu\n", name != nullptr ? name + 1 : executable,
                                 static_cast<long long>(JemallocAllocations()),
                                 static_cast<unsigned long long>(glibc.uordblks + glibc.hblkhd));
  const int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (write(fd, line, size) != size) std::perror("allocator_report");
  close(fd);
}

}  // namespace
