// The cost of one malloc+free pair, measured bare and with the agent
// preloaded (bench/run.sh runs this binary both ways). A pair the allocator
// serves from its thread cache takes a few ns, so this isolates what the
// interposed entry points add: the countdown update, the free-side filter
// load, and - once per sampling interval of bytes - the sampled slow path.
// That last share grows with the block size: at the default 512 KiB mean
// interval a 4 KiB pair is sampled about once in 128, a 16 B pair once in
// 32768, so the 4096 row carries the sampler's cost and the 16 row hardly any.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <thread>

namespace {

void BM_MallocFree(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    void* block = std::malloc(size);
    benchmark::DoNotOptimize(block);
    std::free(block);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_MallocFree)->Arg(16)->Arg(256)->Arg(4096);

// Log-uniform sizes from 16 B to 4 KiB, drawn once up front so the loop only
// measures the allocator (and whatever is interposed on it).
constexpr size_t kMixSizes = 4096;
std::array<size_t, kMixSizes> MakeMix() {
  std::array<size_t, kMixSizes> sizes{};
  uint64_t state = 42;
  for (size_t& size : sizes) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG: plenty here
    const unsigned bits = 4 + static_cast<unsigned>((state >> 33) % 8);
    size = (size_t{1} << bits) + (state >> 40) % (size_t{1} << bits);
  }
  return sizes;
}

void BM_MallocFreeMix(benchmark::State& state) {
  static const std::array<size_t, kMixSizes> sizes = MakeMix();
  size_t next = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const size_t size = sizes[next++ % kMixSizes];
    void* block = std::malloc(size);
    benchmark::DoNotOptimize(block);
    std::free(block);
    bytes += static_cast<int64_t>(size);
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_MallocFreeMix);

}  // namespace

int main(int argc, char** argv) {
  // glibc's malloc skips its arena locks while a process has only one thread.
  // The agent always adds a thread (and Node always has several), so without
  // this idle thread the bare run alone would be lock-free and the locks -
  // ~15 ns per pair on blocks too big for the thread cache - would be
  // charged to the agent's hooks.
  std::thread([] {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }).detach();

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
