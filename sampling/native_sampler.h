// The native sampler: the slow paths behind the allocator hooks, the tables
// they fill, and the snapshot the agent thread reads every period.
//
// Data flow: interpose.cc (hot path: countdown, filter) -> OnCountdownExpired /
// OnFreeOfMaybeSampled (here: stack capture, StackTable, LiveAllocationTable)
// -> TakeNativeHeapSnapshot (agent thread) -> pprof.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sampling/address_filter.h"

namespace heapagent {

struct NativeSamplerOptions {
  double mean_interval_bytes = 512 * 1024;
  int stack_depth = 64;
};

// Activates sampling for this process. Until then (and if never called) the
// hooks forward to the system allocator and sample nothing. Returns false if
// the tables could not be allocated (sampling stays off).
bool StartNativeSampler(const NativeSamplerOptions& options);

// Turns sampling off for good in this process (e.g. not a node process).
void MakeNativeSamplerInert();

bool NativeSamplerActive();

// Marks the calling thread as the agent's own: its allocations are never sampled.
void MarkThreadAsAgent();

// In a forked child: forgets everything sampled in the parent (fresh state)
// and every lock a vanished parent thread may have held.
void ResetNativeSamplerAfterFork();

// Slow paths, called by the hooks only.
void* OnCountdownExpired(void* pointer, size_t size);
void OnFreeOfMaybeSampled(void* pointer);

// The filter every free() consults first. Hidden: the hooks address it
// directly, not through the GOT.
extern AddressFilter g_sampled_address_filter __attribute__((visibility("hidden")));

// One allocation site as seen by the agent thread: its stack and unbiased
// estimates (allocated totals since start, in-use now).
struct NativeSite {
  std::vector<uintptr_t> frames;  // leaf first; empty for the overflow bucket
  double alloc_objects = 0, alloc_bytes = 0;
  double inuse_objects = 0, inuse_bytes = 0;
};

struct NativeHeapSnapshot {
  std::vector<NativeSite> sites;
  double mean_interval_bytes = 0;
  std::size_t live_samples = 0;
  std::size_t distinct_stacks = 0;
  uint64_t dropped_live_samples = 0;   // live table full
  uint64_t overflowed_stacks = 0;      // stack table full
};

// Reads the tables (one shard lock at a time). Agent thread only.
NativeHeapSnapshot TakeNativeHeapSnapshot();

}  // namespace heapagent
