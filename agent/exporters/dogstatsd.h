// The heap summary as DogStatsD gauges, under the names dd-trace-js's runtime
// metrics use (runtime.node.mem.rss, .heap_used, .heap_total, .external), so
// existing Node runtime dashboards show them, plus heapagent.* gauges for
// what dd-trace does not measure (the allocator's view of the native heap,
// the sampled sites, array buffers, the agent's own tables).
//
// Wire format (DogStatsD datagram): one metric per line,
//   <name>:<value>|g|#<tag>,<tag>\n
// lines packed into datagrams of at most 1024 bytes (dd-trace's limit).
// Tags are dd-trace's for runtime metrics: DD_TAGS, then service, env and
// version, and runtime-id only when DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED;
// values keep [A-Za-z0-9_:./-] and every other character becomes '_'.
//
// DogStatsdSender sends them over UDP or a unix datagram socket from the
// agent thread: non-blocking, never retried (a gauge is replaced by the next
// period's), a name resolved once (and again after a failure), errors
// logged once per cause.
//
// Thread-safety: the functions are pure; a DogStatsdSender belongs to one
// thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/config.h"
#include "agent/heap_summary.h"

namespace heapagent {

inline constexpr size_t kDogStatsdMaxDatagramBytes = 1024;

struct DogStatsdIdentity {
  std::string service;
  std::string env;
  std::string version;
  std::string tags;        // DD_TAGS / HEAPAGENT_TAGS text
  std::string runtime_id;  // empty: no runtime-id tag
};

// "key:value" strings in dd-trace's order, sanitised.
std::vector<std::string> DogStatsdTags(const DogStatsdIdentity& identity);

// "<name>:<value>|g|#<tags>\n" (no "|#" part without tags).
std::string DogStatsdGaugeLine(std::string_view name, uint64_t value, const std::vector<std::string>& tags);

// The gauges of one summary record, only for the values it knows.
std::vector<std::pair<std::string_view, uint64_t>> SummaryGauges(const HeapSummary& summary);

// Lines joined into datagrams of at most `max_bytes` (a longer line goes alone).
std::vector<std::string> PackDatagrams(const std::vector<std::string>& lines,
                                       size_t max_bytes = kDogStatsdMaxDatagramBytes);

class DogStatsdSender {
 public:
  DogStatsdSender(DogStatsdAddress address, std::vector<std::string> tags);
  ~DogStatsdSender();
  DogStatsdSender(const DogStatsdSender&) = delete;
  DogStatsdSender& operator=(const DogStatsdSender&) = delete;

  // Sends the summary's gauges; returns how many datagrams left.
  size_t Send(const HeapSummary& summary);

 private:
  bool Ready();
  void ReportOnce(const std::string& cause);

  DogStatsdAddress address_;
  std::vector<std::string> tags_;
  int fd_ = -1;
  sockaddr_storage peer_{};  // the resolved destination
  socklen_t peer_length_ = 0;
  std::string last_reported_cause_;
};

}  // namespace heapagent
