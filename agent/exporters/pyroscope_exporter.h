// Grafana Pyroscope: POST {url}/ingest?format=pprof&from=&name=&spyName=&until=
// with the gzipped pprof as the whole body (application/octet-stream), as
// @pyroscope/nodejs 0.6 sends it (uploads.md).
//
// Variants, from the same decoded profile:
// - js: the Node SDK's shape: sample types inuse_objects/count (our count of
//   V8 samples, see the README) and inuse_space/bytes, period type
//   inuse_space/bytes, function names "./file.js:name:line", no labels.
// - native: Go's heap shape; alloc_* turned into per-period deltas (/ingest
//   stores profiles as non-delta), inuse_* snapshots, no labels.
// Both with series label heap=js|native so neither overwrites the other, at
// most 16,000 samples and 4 MiB uncompressed (the server's default limits:
// the lightest stacks are folded into one "(heapagent: lighter stacks
// folded)" frame), and never older than the server's 1 h limit.
//
// Thread-safety: see upload_backend.h.
#pragma once

#include <map>
#include <string>

#include "agent/exporters/upload_backend.h"
#include "pprof/profile_transforms.h"

namespace heapagent {

struct PyroscopeSettings {
  std::string url;  // http(s)://host:port[/prefix], no trailing slash
  std::string basic_auth_user;
  std::string basic_auth_password;
  std::string bearer_token;
  std::string tenant;  // X-Scope-OrgID
  std::string working_directory;  // for "./file.js" names
};

inline constexpr size_t kPyroscopeMaxSamples = 16000;
inline constexpr size_t kPyroscopeMaxProfileBytes = size_t{4} << 20;
inline constexpr const char* kFoldedStacksFunction = "(heapagent: lighter stacks folded)";

class PyroscopeExporter final : public UploadBackend {
 public:
  explicit PyroscopeExporter(PyroscopeSettings settings) : settings_(std::move(settings)) {}
  const char* name() const override { return "pyroscope"; }
  std::optional<PreparedUpload> Prepare(const QueuedProfile& profile, const pprof::ProfileData& decoded,
                                        const UploadIdentity& identity) override;
  // The server rejects profiles older than 1 h; keep a margin for the trip.
  std::optional<std::chrono::seconds> max_age() const override { return std::chrono::seconds(55 * 60); }
  std::string ExplainRejection(const HttpResponse& response, const PreparedUpload& upload) const override;

 private:
  PyroscopeSettings settings_;
  pprof::CumulativeDelta native_allocations_{{"alloc_objects", "alloc_space"}};
  std::map<std::string, int64_t> previous_end_nanos_;  // per kind: where the next window starts
};

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string UrlEncode(std::string_view text);

}  // namespace heapagent
