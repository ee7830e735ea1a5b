// A library whose constructor allocates before libheapagent.so's constructor
// has run (a DT_NEEDED dependency of the program is initialised before the
// LD_PRELOADed agent). Its blocks are freed later, when the agent is live.
#include <cstdlib>
#include <cstring>

void* g_early_blocks[4096];

__attribute__((constructor)) static void AllocateBeforeTheAgent() {
  for (void*& block : g_early_blocks) block = std::memset(std::malloc(1024), 1, 1024);
  for (int i = 0; i < 1000; ++i) std::free(std::realloc(std::malloc(100), 5000));
}
