// One small record of the process's memory per period: what the OS, V8, the
// allocator and the agent itself say, beside what the sampled sites add up
// to. Written as one JSON line ({service}-{pid}-summary.jsonl, see
// summary_file.h) and sent as DogStatsD gauges (dogstatsd.h).
//
// Every figure is optional: a value the agent could not read is written as
// null, never guessed (e.g. the V8 heap when JS profiling is off, array
// buffers on a node whose allocator layout is not known).
//
// Thread-safety: plain values and a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace heapagent {

// The V8 heaps of every isolate (main thread and workers) at the JS
// collector's latest read, summed.
struct V8HeapFigures {
  int64_t read_unix_nanos = 0;  // when the read was taken (at most a period old)
  std::string source;           // "direct" (in-process) or "cdp"
  int isolates = 0;
  std::optional<uint64_t> heap_used_bytes;     // process.memoryUsage().heapUsed
  std::optional<uint64_t> heap_total_bytes;    // .heapTotal
  std::optional<uint64_t> external_bytes;      // .external
  std::optional<uint64_t> array_buffers_bytes;  // .arrayBuffers
  // What the JS profile's sampled sites add up to.
  uint64_t sampled_in_use_bytes = 0;
  uint64_t sampled_sites = 0;
};

struct HeapSummary {
  uint64_t seq = 0;  // 0, 1, 2 ... per process
  int64_t unix_nanos = 0;
  int64_t window_start_unix_nanos = 0;
  bool is_final = false;
  int pid = 0;

  std::optional<uint64_t> rss_bytes;  // /proc/self/statm

  std::optional<V8HeapFigures> v8;

  // The allocator's own statistics (glibc mallinfo2, jemalloc stats).
  std::string allocator;  // "glibc", "jemalloc"; empty = unknown
  std::optional<uint64_t> allocator_in_use_bytes;
  std::optional<uint64_t> allocator_mapped_bytes;

  // The native sampler's estimates, when native profiling is on.
  std::optional<uint64_t> sampled_native_in_use_bytes;
  std::optional<uint64_t> sampled_native_alloc_bytes;
  std::optional<uint64_t> sampled_native_sites;  // stacks with bytes in use

  // What the agent can count of its own memory: its fixed tables (mapped
  // address space, and the part of it resident).
  std::optional<uint64_t> agent_tables_mapped_bytes;
  std::optional<uint64_t> agent_tables_resident_bytes;
};

// The record as one JSON object on one line, '\n'-terminated. Keys are flat
// (see README "Heap summary series"); unknown values are null.
std::string HeapSummaryJsonLine(const HeapSummary& summary);

}  // namespace heapagent
