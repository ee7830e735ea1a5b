// Per-thread sampler state, in initial-exec TLS: the hot path reads and writes
// it with one fs-relative instruction, no TLS wrapper call, no allocation.
#pragma once

#include <cstdint>

namespace heapagent {

struct ThreadSamplerState {
  // Bytes left until this thread's next sample point; the allocator hooks
  // subtract each allocation's size and take the slow path when it goes
  // negative. Zero-initialised, so a new thread's first allocation takes the
  // slow path once, which seeds the generator and draws a real countdown.
  int64_t bytes_until_sample;
  uint64_t random_state;  // 0 = not seeded yet
  // Non-zero while this thread runs agent code (stack capture, the agent's own
  // thread): allocations made then are never sampled.
  uint32_t busy;
};

// A countdown that can never run out: for the agent's thread and inert processes.
inline constexpr int64_t kNeverSample = int64_t{1} << 62;

}  // namespace heapagent

// GNU __thread rather than thread_local: guaranteed constant-initialised,
// so every access is a plain TLS load/store.
extern __thread heapagent::ThreadSamplerState heapagent_thread_sampler __attribute__((tls_model("initial-exec")));
