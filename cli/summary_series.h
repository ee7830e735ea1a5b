// The agent's heap summary series ({service}-{pid}-summary.jsonl, and the
// previous generation {service}-{pid}-summary.1.jsonl): one record of the
// process's memory per period (RSS, V8 heap, the allocator's in-use bytes,
// sampled totals). The report plots it; the leak finder weighs suspects
// against it.
//
// Reading is lenient per line and strict per value: a line that is not a
// JSON object (a cut-off last line, a foreign line) is skipped and counted;
// a value that is not a non-negative number is unknown, never 0.
//
// Thread-safety: plain values and functions with no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapagent::cli {

struct SummaryRecord {
  uint64_t seq = 0;
  double unix_ms = 0;
  bool is_final = false;
  std::optional<double> rss_bytes;
  std::optional<double> v8_heap_used_bytes;
  std::optional<double> v8_heap_total_bytes;
  std::optional<double> v8_external_bytes;
  std::optional<double> v8_array_buffers_bytes;
  std::optional<double> allocator_in_use_bytes;
  std::optional<double> sampled_native_in_use_bytes;
  std::optional<double> sampled_js_in_use_bytes;
};

struct SummarySeries {
  std::vector<std::string> files;       // oldest generation first
  std::vector<SummaryRecord> records;   // by seq, duplicates dropped
  size_t skipped_lines = 0;
};

// Parses JSON lines into `series` (records appended, not yet sorted).
void ParseSummaryLines(std::string_view text, SummarySeries* series);
// Sorts by seq and drops repeated seqs.
void OrderSummaryRecords(SummarySeries* series);

// The summary of `pid` in `directory` (both generations); nullopt when the
// agent wrote none (older agents, files off). Throws InputError when a file
// exists but cannot be read.
std::optional<SummarySeries> LoadSummarySeries(const std::string& directory, int64_t pid);

}  // namespace heapagent::cli
