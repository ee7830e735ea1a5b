// The heap-summary job of each period, on the agent thread after the native
// heap's: gathers one HeapSummary (RSS, the V8 heap figures of the JS
// collector's latest read, the allocator's statistics, the sampled totals,
// the agent's own tables), appends it to the summary file and sends it to
// DogStatsD. Everything here is a read of counters: no GC, nothing on node's
// threads (the V8 figures were taken during the JS collector's own read).
//
// Thread-safety: none; runs on the agent thread only.
#pragma once

#include <memory>

#include "agent/exporters/dogstatsd.h"
#include "agent/native_heap_collector.h"
#include "agent/summary_file.h"
#include "agent/v8_heap_board.h"
#include "pprof/native_heap_profile.h"

namespace heapagent {

class HeapSummaryCollector {
 public:
  // Any of the parts may be null: no file, no DogStatsD, no native sampler.
  HeapSummaryCollector(int pid, std::unique_ptr<SummaryFile> file, std::unique_ptr<DogStatsdSender> dogstatsd,
                       const NativeHeapCollector* native, const V8HeapBoard* v8_board);

  void Collect(const pprof::ProfileWindow& window, bool is_final);

 private:
  const int pid_;
  std::unique_ptr<SummaryFile> file_;
  std::unique_ptr<DogStatsdSender> dogstatsd_;
  const NativeHeapCollector* native_;
  const V8HeapBoard* v8_board_;
  uint64_t next_seq_ = 0;
  int64_t previous_unix_nanos_ = 0;  // the previous record's time: windows are contiguous
};

}  // namespace heapagent
