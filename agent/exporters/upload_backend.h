// What every backend exporter provides to the uploader: turning one finished
// profile into the request that backend expects, and explaining a rejection.
//
// Thread-safety: a backend is used by the uploader thread only (it keeps
// per-kind state: delta bases, sequence numbers).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/exporters/http_transport.h"
#include "agent/exporters/upload_identity.h"
#include "pprof/native_heap_profile.h"  // ProfileWindow
#include "pprof/profile_data.h"

namespace heapagent {

// A profile as the collectors handed it over, copied into the inbox.
struct QueuedProfile {
  std::string kind;  // "native" or "js"
  pprof::ProfileWindow window;
  std::string encoded;  // serialized pprof, not gzipped
  bool is_final = false;
};

struct PreparedUpload {
  std::string what;  // for log lines: "js profile #3"
  HttpRequest request;
  int64_t window_end_unix_nanos = 0;
  size_t uncompressed_bytes = 0;  // the pprof before gzip
  size_t samples = 0;
};

class UploadBackend {
 public:
  virtual ~UploadBackend() = default;
  virtual const char* name() const = 0;  // "pyroscope", "datadog"
  // This backend's request for one profile (`decoded` is `profile.encoded`
  // decoded; each backend reshapes its own copy). nullopt: nothing to send.
  virtual std::optional<PreparedUpload> Prepare(const QueuedProfile& profile, const pprof::ProfileData& decoded,
                                                const UploadIdentity& identity) = 0;
  // How old (window end) a profile may be before the backend rejects it.
  virtual std::optional<std::chrono::seconds> max_age() const { return std::nullopt; }
  // One sentence for the log when the backend refuses an upload for good.
  virtual std::string ExplainRejection(const HttpResponse& response, const PreparedUpload& upload) const = 0;
};

}  // namespace heapagent
