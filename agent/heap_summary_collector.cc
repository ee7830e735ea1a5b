#include "agent/heap_summary_collector.h"

#include "agent/agent_thread.h"
#include "agent/log.h"
#include "agent/process_memory.h"
#include "sampling/allocator_stats.h"
#include "sampling/page_memory.h"

namespace heapagent {

HeapSummaryCollector::HeapSummaryCollector(int pid, std::unique_ptr<SummaryFile> file,
                                           std::unique_ptr<DogStatsdSender> dogstatsd,
                                           const NativeHeapCollector* native, const V8HeapBoard* v8_board)
    : pid_(pid), file_(std::move(file)), dogstatsd_(std::move(dogstatsd)), native_(native), v8_board_(v8_board) {}

void HeapSummaryCollector::Collect(const pprof::ProfileWindow& window, bool is_final) {
  HeapSummary summary;
  summary.seq = next_seq_++;
  // Stamped when its figures are read (after this period's native profile),
  // so the V8 read it carries is never later than the record.
  summary.window_start_unix_nanos = previous_unix_nanos_ != 0 ? previous_unix_nanos_ : window.start_unix_nanos;
  summary.unix_nanos = previous_unix_nanos_ = UnixNanosNow();
  summary.is_final = is_final;
  summary.pid = pid_;
  summary.rss_bytes = ReadResidentBytes();
  if (v8_board_ != nullptr) summary.v8 = v8_board_->Latest();
  AllocatorStats allocator{};
  if (ReadAllocatorStats(&allocator)) {
    summary.allocator = allocator.allocator;
    summary.allocator_in_use_bytes = allocator.in_use_bytes;
    summary.allocator_mapped_bytes = allocator.mapped_bytes;
  }
  if (native_ != nullptr) {
    const NativeHeapCollector::SampledTotals& totals = native_->last_totals();
    summary.sampled_native_in_use_bytes = totals.in_use_bytes;
    summary.sampled_native_alloc_bytes = totals.alloc_bytes;
    summary.sampled_native_sites = totals.sites;
  }
  const AgentPagesUsage pages = MeasureAgentPages();
  summary.agent_tables_mapped_bytes = pages.mapped_bytes;
  summary.agent_tables_resident_bytes = pages.resident_bytes;

  if (file_ != nullptr) file_->Append(HeapSummaryJsonLine(summary));
  if (dogstatsd_ != nullptr) dogstatsd_->Send(summary);
  Log(LogLevel::kDebug, "heap summary %llu: rss %llu bytes%s", static_cast<unsigned long long>(summary.seq),
      static_cast<unsigned long long>(summary.rss_bytes.value_or(0)), is_final ? ", final" : "");
}

}  // namespace heapagent
