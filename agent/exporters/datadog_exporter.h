// The Datadog agent's profiling intake: POST {agent}/profiling/v1/input
// (over TCP, or its unix socket), multipart/form-data with an `event` part
// (event.json) and one pprof part, headers DD-EVP-ORIGIN and
// DD-EVP-ORIGIN-VERSION. The agent adds the API key and forwards it.
//
// - js: exactly dd-trace-js's heap profile (uploads.md): part and filename
//   space.pprof, family "node", sample types inuse_objects/count (our count
//   of V8 samples, see the README) and inuse_space/bytes, period type
//   inuse_space/bytes with the interval as period, time_nanos = window end,
//   the thread labels on every sample and the (external) sample; no age
//   label, comments, default type, duration, columns or start lines (dd-trace
//   sends none of these).
// - native: the way Datadog's native profiler (ddprof, libdatadog) sends
//   allocations: family "native", part profile.pprof, sample types
//   alloc-samples/count, alloc-space/bytes (per-period deltas),
//   inuse-objects/count, inuse-space/bytes. Unverified against the backend.
//
// Thread-safety: see upload_backend.h.
#pragma once

#include <map>
#include <string>

#include "agent/exporters/upload_backend.h"
#include "pprof/profile_transforms.h"

namespace heapagent {

struct DatadogSettings {
  std::string agent_url;  // http(s)://host:port or unix:///path
};

class DatadogExporter final : public UploadBackend {
 public:
  explicit DatadogExporter(DatadogSettings settings) : settings_(std::move(settings)) {}
  const char* name() const override { return "datadog"; }
  std::optional<PreparedUpload> Prepare(const QueuedProfile& profile, const pprof::ProfileData& decoded,
                                        const UploadIdentity& identity) override;
  std::string ExplainRejection(const HttpResponse& response, const PreparedUpload& upload) const override;

 private:
  DatadogSettings settings_;
  pprof::CumulativeDelta native_allocations_{{"alloc_objects", "alloc_space"}};
  std::map<std::string, uint64_t> next_seq_;  // per kind: profile_seq
};

}  // namespace heapagent
