// Eight threads allocate and free concurrently (malloc, calloc, realloc,
// new/delete, posix_memalign) at the same time; each also retains exactly
// 4 MiB from ThreadRetainFourMiB. The profile at exit must show ~32 MiB in
// use there, and the process must finish normally.
#include <pthread.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {
constexpr int kThreads = 8;
void* g_retained[kThreads][8192];
}  // namespace

extern "C" __attribute__((noinline)) void ThreadRetainFourMiB(int thread) {
  for (int i = 0; i < 8192; ++i) {
    g_retained[thread][i] = std::malloc(512);
    std::memset(g_retained[thread][i], 1, 512);
  }
}

extern "C" __attribute__((noinline)) void ThreadChurn(int thread) {
  uint64_t random = 0x9E3779B97F4A7C15ull * (thread + 1);
  void* ring[256] = {};
  for (int i = 0; i < 400000; ++i) {
    random ^= random << 13, random ^= random >> 7, random ^= random << 17;
    const int slot = random % 256;
    const size_t size = 16 + random % 4096;
    switch (random >> 60) {
      case 0: ring[slot] = std::realloc(ring[slot], size); continue;
      case 1: std::free(ring[slot]); ring[slot] = std::calloc(1, size); continue;
      case 2: {
        std::free(ring[slot]);
        void* aligned = nullptr;
        ring[slot] = posix_memalign(&aligned, 64, size) == 0 ? aligned : nullptr;
        continue;
      }
      case 3: delete[] new char[size]; continue;
      default: std::free(ring[slot]); ring[slot] = std::malloc(size);
    }
  }
  for (void* block : ring) std::free(block);
}

int main() {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      ThreadRetainFourMiB(t);
      ThreadChurn(t);
    });
  }
  for (auto& thread : threads) thread.join();
  return 0;
}
