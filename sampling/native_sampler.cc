#include "sampling/native_sampler.h"

#include <x86intrin.h>

#include <atomic>
#include <new>
#include <unordered_map>

#include "sampling/geometric_sampler.h"
#include "sampling/live_allocation_table.h"
#include "sampling/page_memory.h"
#include "sampling/stack_capture.h"
#include "sampling/stack_table.h"
#include "sampling/thread_sampler_state.h"

__thread heapagent::ThreadSamplerState heapagent_thread_sampler __attribute__((tls_model("initial-exec")));

namespace heapagent {
namespace {

enum class SamplerState : int { kNotStarted, kInert, kActive };

// While the agent has not decided yet (before the constructor), threads look
// again after this many bytes.
constexpr int64_t kRecheckBytes = 256 * 1024;

std::atomic<SamplerState> g_state{SamplerState::kNotStarted};
NativeSamplerOptions g_options;
std::atomic<uint64_t> g_seed_counter{0};

// The tables are created once and never destroyed: threads may allocate and
// free until the very last instruction of the process, after every static
// destructor has run.
alignas(LiveAllocationTable) unsigned char g_live_storage[sizeof(LiveAllocationTable)];
alignas(StackTable) unsigned char g_stack_storage[sizeof(StackTable)];
LiveAllocationTable* g_live = nullptr;
StackTable* g_stacks = nullptr;

// Zero-initialised BSS: no constructor runs, and pages cost RSS only once a
// sampled address touches them.
uint8_t g_filter_counters[AddressFilter::kBuckets];

uint64_t FreshSeed() {
  // Mix the TSC, this thread's TLS address and a counter: distinct per thread
  // and per process without a syscall.
  uint64_t seed = __rdtsc() ^ reinterpret_cast<uintptr_t>(&heapagent_thread_sampler) ^
                  (g_seed_counter.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ull);
  return MixAddress(seed) | 1;
}

int64_t DrawCountdown(ThreadSamplerState& thread) {
  FastRandom random(thread.random_state);
  const int64_t draw = DrawBytesUntilSample(random, g_options.mean_interval_bytes);
  thread.random_state = random.state();
  return draw;
}

void RecordSample(void* pointer, size_t size) {
  uintptr_t frames[kMaxStackDepth];
  const int depth = CaptureStack(frames, g_options.stack_depth);
  const SampleWeight weight = WeightOfSample(size, g_options.mean_interval_bytes);
  const uint32_t stack_id =
      g_stacks->InternAndCount({frames, static_cast<size_t>(depth)}, {weight.count, weight.bytes});
  if (g_live->Insert(reinterpret_cast<uintptr_t>(pointer), size, stack_id)) {
    g_sampled_address_filter.Add(pointer);
  }
}

}  // namespace

constinit AddressFilter g_sampled_address_filter{g_filter_counters};

bool StartNativeSampler(const NativeSamplerOptions& options) {
  g_options = options;
  TrackAgentPages(g_filter_counters, sizeof g_filter_counters);
  InitStackCapture();
  g_live = new (g_live_storage) LiveAllocationTable();
  g_stacks = new (g_stack_storage) StackTable();
  if (!g_live->ok() || !g_stacks->ok()) {
    g_state.store(SamplerState::kInert, std::memory_order_release);
    return false;
  }
  g_state.store(SamplerState::kActive, std::memory_order_release);
  return true;
}

void MakeNativeSamplerInert() { g_state.store(SamplerState::kInert, std::memory_order_release); }

bool NativeSamplerActive() { return g_state.load(std::memory_order_acquire) == SamplerState::kActive; }

void MarkThreadAsAgent() {
  heapagent_thread_sampler.busy = 1;
  heapagent_thread_sampler.bytes_until_sample = kNeverSample;
}

void ResetNativeSamplerAfterFork() {
  if (!NativeSamplerActive()) return;
  // Give the filter back its zeros first (only the buckets of live samples
  // were ever raised), then empty the tables.
  g_live->ForEach([](const LiveAllocation& live) {
    g_sampled_address_filter.Remove(reinterpret_cast<void*>(live.address));
  });
  g_live->ResetAfterFork();
  g_stacks->ResetAfterFork();
}

void* OnCountdownExpired(void* pointer, size_t size) {
  ThreadSamplerState& thread = heapagent_thread_sampler;
  const SamplerState state = g_state.load(std::memory_order_acquire);
  if (state != SamplerState::kActive) {
    thread.bytes_until_sample = state == SamplerState::kInert ? kNeverSample : kRecheckBytes;
    return pointer;
  }
  if (thread.random_state == 0) {
    // First look at this thread: the bytes already counted against the
    // zero countdown are charged to a freshly drawn one.
    thread.random_state = FreshSeed();
    thread.bytes_until_sample += DrawCountdown(thread);
    if (thread.bytes_until_sample >= 0) return pointer;
  }
  // Memorylessness: the next sample point is a fresh draw from here.
  thread.bytes_until_sample = DrawCountdown(thread);
  // Agent code allocating (stack capture, start-up, fork handling) is never
  // sampled; the fresh countdown above keeps the thread's own sampling going.
  if (pointer == nullptr || thread.busy != 0) return pointer;
  ++thread.busy;
  RecordSample(pointer, size);
  --thread.busy;
  return pointer;
}

void OnFreeOfMaybeSampled(void* pointer) {
  if (pointer == nullptr || g_live == nullptr) return;
  ThreadSamplerState& thread = heapagent_thread_sampler;
  ++thread.busy;
  if (g_live->Remove(reinterpret_cast<uintptr_t>(pointer))) g_sampled_address_filter.Remove(pointer);
  --thread.busy;
}

NativeHeapSnapshot TakeNativeHeapSnapshot() {
  NativeHeapSnapshot snapshot;
  snapshot.mean_interval_bytes = g_options.mean_interval_bytes;
  if (!NativeSamplerActive()) return snapshot;

  struct InUse {
    double objects = 0, bytes = 0;
  };
  std::unordered_map<uint32_t, InUse> in_use;
  in_use.reserve(g_live->size() + 64);
  std::vector<LiveAllocation> live;
  live.reserve(g_live->size() + 1024);
  // Copy under the shard locks, weigh afterwards.
  g_live->ForEach([&](const LiveAllocation& entry) {
    if (live.size() < live.capacity()) live.push_back(entry);
  });
  for (const LiveAllocation& entry : live) {
    const SampleWeight weight = WeightOfSample(entry.size, g_options.mean_interval_bytes);
    InUse& site = in_use[entry.stack_id];
    site.objects += weight.count;
    site.bytes += weight.bytes;
  }

  std::vector<std::pair<uint32_t, StackTable::Totals>> totals;
  totals.reserve(g_stacks->size() + 1);
  g_stacks->ForEachTotals([&](uint32_t stack_id, const StackTable::Totals& t) {
    if (totals.size() < totals.capacity()) totals.emplace_back(stack_id, t);
  });

  snapshot.sites.reserve(totals.size());
  for (const auto& [stack_id, allocated] : totals) {
    NativeSite site;
    g_stacks->CopyFrames(stack_id, site.frames);
    site.alloc_objects = allocated.alloc_count;
    site.alloc_bytes = allocated.alloc_bytes;
    if (auto found = in_use.find(stack_id); found != in_use.end()) {
      site.inuse_objects = found->second.objects;
      site.inuse_bytes = found->second.bytes;
    }
    snapshot.sites.push_back(std::move(site));
  }
  snapshot.live_samples = live.size();
  snapshot.distinct_stacks = g_stacks->size();
  snapshot.dropped_live_samples = g_live->dropped();
  snapshot.overflowed_stacks = g_stacks->overflowed();
  return snapshot;
}

}  // namespace heapagent
