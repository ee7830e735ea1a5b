// Frees what a constructor allocated before the agent existed, then retains
// 8 MiB from MainRetainEightMiB: the process must run normally and the
// profile must show the 8 MiB.
#include <cstdlib>
#include <cstring>

extern void* g_early_blocks[4096];
void* g_kept[8192];

extern "C" __attribute__((noinline)) void MainRetainEightMiB() {
  for (void*& block : g_kept) block = std::memset(std::malloc(1024), 1, 1024);
}

int main() {
  for (void* block : g_early_blocks) std::free(block);
  MainRetainEightMiB();
  return 0;
}
