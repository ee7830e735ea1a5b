// The `event` part (event.json) of a Datadog profile upload, with the keys
// and shapes dd-trace-js 5.x sends (see uploads.md): attachments, start and
// end as ISO-8601 UTC with milliseconds and "Z", family, version "4",
// tags_profiler as one comma-joined string, endpoint_counts {}, and info
// {application, platform, profiler, runtime}.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/exporters/upload_identity.h"

namespace heapagent {

struct DatadogEvent {
  std::vector<std::string> attachments;  // e.g. {"space.pprof"}
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  std::string family;                    // "node" (JS heap) or "native"
  std::string tags_profiler;             // DatadogProfilerTags()
  int64_t heap_sampling_interval = 0;    // bytes
  std::vector<std::string> profiler_types;  // e.g. {"space"}
};

// "2026-11-25T10:01:58.826Z"
std::string Iso8601Millis(int64_t unix_nanos);

// Compact, one-line JSON.
std::string DatadogEventJson(const DatadogEvent& event, const UploadIdentity& identity);

}  // namespace heapagent
