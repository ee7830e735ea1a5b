// Retains known amounts from known functions and churns from a third, then
// exits still holding the retained blocks, so the profile written at exit
// must show: RetainSixtyFourMiB ~64 MiB in use, workload::RetainEightMiB
// ~8 MiB in use (through operator new), ChurnTwoHundredFiftySixMiB ~0 in use
// but ~256 MiB allocated.
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {
std::vector<void*>* g_kept = nullptr;
std::vector<char*>* g_kept_new = nullptr;
}  // namespace

extern "C" __attribute__((noinline)) void RetainSixtyFourMiB() {
  for (int i = 0; i < 65536; ++i) {
    void* block = std::malloc(1024);
    std::memset(block, 1, 1024);
    g_kept->push_back(block);
  }
}

namespace workload {
__attribute__((noinline)) void RetainEightMiB() {
  for (int i = 0; i < 8192; ++i) {
    char* block = new char[1024];
    std::memset(block, 2, 1024);
    g_kept_new->push_back(block);
  }
}
}  // namespace workload

extern "C" __attribute__((noinline)) void ChurnTwoHundredFiftySixMiB() {
  for (int i = 0; i < 65536; ++i) {
    auto* volatile block = static_cast<char*>(std::malloc(4096));
    block[0] = 3;
    std::free(block);
  }
}

int main() {
  g_kept = new std::vector<void*>();
  g_kept->reserve(65536);
  g_kept_new = new std::vector<char*>();
  g_kept_new->reserve(8192);
  RetainSixtyFourMiB();
  workload::RetainEightMiB();
  ChurnTwoHundredFiftySixMiB();
  return 0;
}
