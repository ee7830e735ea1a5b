// A native malloc/free workload for comparing heap profilers on equal terms.
//
// Two threads each run N operations over a ring of live blocks: pick a slot
// at random, release the block it holds and put a fresh one there. So the
// live heap stays at a steady few MiB (what a profiler must track) while the
// allocator is kept busy (what a profiler slows down). Sizes are log-uniform
// from 16 B to 4 KiB, like a typical C++/Node addon mix, with one block in
// 1000 between 64 KiB and 1 MiB: those rare large blocks carry a third of the
// bytes, which is what byte-interval samplers such as heapagent's see most.
//
// Usage: native_alloc_workload [OPS_PER_THREAD] [--checksum]
// Silent by default so that wrappers (time, heaptrack) own stdout/stderr;
// --checksum prints a value to stderr that depends on every block touched.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 2;
constexpr size_t kSlotsPerThread = 4096;
// Sized so a bare glibc run takes about 2 s on a 2-core machine.
constexpr uint64_t kDefaultOpsPerThread = 25'000'000;

// splitmix64: tiny, fast and good enough; seeded per thread so every run of
// every configuration performs exactly the same calls.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

// Log-uniform by octave (uniform within each), from 2^low_bits up to
// 2^(low_bits + octaves); no floating point on the measured path.
size_t DrawSize(uint64_t random, unsigned low_bits, unsigned octaves) {
  const unsigned bits = low_bits + static_cast<unsigned>(random % octaves);
  const size_t base = size_t{1} << bits;
  return base + (random >> 8) % base;
}

size_t DrawBlockSize(Rng& rng) {
  const uint64_t random = rng.Next();
  if (random % 1000 == 0) return DrawSize(random >> 10, 16, 4);  // 64 KiB .. 1 MiB
  return DrawSize(random >> 10, 4, 8);                            // 16 B .. 4 KiB
}

[[noreturn]] void OutOfMemory(size_t size) {
  std::fprintf(stderr, "native_alloc_workload: allocation of %zu bytes failed\n", size);
  std::abort();
}

// One thread's share; returns a checksum of the bytes read back so the
// compiler cannot discard any block.
uint64_t RunThread(int index, uint64_t operations) {
  Rng rng(0x5eed0000ULL + static_cast<uint64_t>(index));
  std::vector<unsigned char*> ring(kSlotsPerThread, nullptr);
  uint64_t checksum = 0;
  for (uint64_t op = 0; op < operations; ++op) {
    const uint64_t random = rng.Next();
    unsigned char*& slot = ring[random % kSlotsPerThread];
    const size_t size = DrawBlockSize(rng);
    const unsigned kind = static_cast<unsigned>((random >> 32) % 10);
    unsigned char* block;
    if (kind == 0 && slot != nullptr) {
      // ~10% realloc: the first byte survives the move, read it back.
      block = static_cast<unsigned char*>(std::realloc(slot, size));
      if (block == nullptr) OutOfMemory(size);
      checksum += block[0];
    } else {
      if (slot != nullptr) checksum += slot[0];
      std::free(slot);
      // ~10% calloc, the rest malloc. Only calloc'd bytes are read back: a
      // fresh malloc block may start with the allocator's (ASLR-dependent)
      // free-list pointer, which would make the checksum vary between runs.
      if (kind == 1) {
        block = static_cast<unsigned char*>(std::calloc(1, size));
        if (block == nullptr) OutOfMemory(size);
        checksum += block[0] + 1;
      } else {
        block = static_cast<unsigned char*>(std::malloc(size));
        if (block == nullptr) OutOfMemory(size);
      }
    }
    block[0] = static_cast<unsigned char>(random >> 56);
    slot = block;
  }
  for (unsigned char* block : ring) {
    if (block != nullptr) checksum += block[0];
    std::free(block);
  }
  return checksum;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t operations = kDefaultOpsPerThread;
  bool print_checksum = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--checksum") == 0) {
      print_checksum = true;
    } else {
      char* end = nullptr;
      operations = std::strtoull(argv[i], &end, 10);
      if (end == argv[i] || *end != '\0' || operations == 0) {
        std::fprintf(stderr, "usage: %s [OPS_PER_THREAD] [--checksum]\n", argv[0]);
        return 2;
      }
    }
  }

  std::vector<uint64_t> checksums(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([i, operations, &checksums] { checksums[i] = RunThread(i, operations); });
  }
  for (std::thread& thread : threads) thread.join();

  if (print_checksum) {
    uint64_t total = 0;
    for (uint64_t value : checksums) total = total * 31 + value;
    std::fprintf(stderr, "checksum %llu ops %llu\n", static_cast<unsigned long long>(total),
                 static_cast<unsigned long long>(operations * kThreads));
  }
  return 0;
}
