#include "agent/exporters/pyroscope_exporter.h"

#include "agent/exporters/backend_tags.h"
#include "agent/log.h"
#include "pprof/gzip.h"

namespace heapagent {
namespace {

int64_t UnixSeconds(int64_t unix_nanos) { return unix_nanos / 1'000'000'000; }

}  // namespace

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return encoded;
}

std::optional<PreparedUpload> PyroscopeExporter::Prepare(const QueuedProfile& profile,
                                                         const pprof::ProfileData& decoded,
                                                         const UploadIdentity& identity) {
  pprof::ProfileData variant = decoded;
  if (profile.kind == "js") {
    pprof::RenameSampleType(variant, "inuse_samples", {"inuse_objects", "count"});
    variant.period_type = {"inuse_space", "bytes"};
    pprof::QualifyFunctionNames(variant, settings_.working_directory);
  } else {
    native_allocations_.Apply(variant);
  }
  pprof::DropAllLabels(variant);
  pprof::StripDecorations(variant);
  variant.time_nanos = profile.window.end_unix_nanos;
  const pprof::EncodedWithinLimits limited =
      pprof::EncodeWithinLimits(variant, kPyroscopeMaxSamples, kPyroscopeMaxProfileBytes, kFoldedStacksFunction);
  if (limited.encoded.empty()) {
    Log(LogLevel::kWarn, "pyroscope: a %s profile does not fit in 4 MiB even folded; not sent", profile.kind.c_str());
    return std::nullopt;
  }
  if (limited.folded_samples > 0) {
    Log(LogLevel::kInfo, "pyroscope: folded %zu of the lightest %s stacks to stay within %zu samples and 4 MiB",
        limited.folded_samples, profile.kind.c_str(), kPyroscopeMaxSamples);
  }

  // Windows are contiguous per kind: a profile dropped before preparation
  // widens the next one's window (its delta covers both periods).
  int64_t start = profile.window.start_unix_nanos;
  if (const auto previous = previous_end_nanos_.find(profile.kind); previous != previous_end_nanos_.end()) {
    start = std::min(start, previous->second);
  }
  previous_end_nanos_[profile.kind] = profile.window.end_unix_nanos;

  PreparedUpload upload;
  upload.what = profile.kind + " profile";
  upload.window_end_unix_nanos = profile.window.end_unix_nanos;
  upload.uncompressed_bytes = limited.encoded.size();
  upload.samples = variant.samples.size();
  HttpRequest& request = upload.request;
  request.url = settings_.url + "/ingest?format=pprof&from=" + std::to_string(UnixSeconds(start)) +
                "&name=" + UrlEncode(PyroscopeSeriesName(identity, profile.kind)) +
                "&spyName=nodespy&until=" + std::to_string(UnixSeconds(profile.window.end_unix_nanos));
  request.headers.push_back("Content-Type: application/octet-stream");
  if (!settings_.bearer_token.empty()) {
    request.headers.push_back("Authorization: Bearer " + settings_.bearer_token);
  } else if (!settings_.basic_auth_user.empty()) {
    request.basic_auth_user = settings_.basic_auth_user;
    request.basic_auth_password = settings_.basic_auth_password;
  }
  if (!settings_.tenant.empty()) request.headers.push_back("X-Scope-OrgID: " + settings_.tenant);
  request.body = pprof::GzipCompress(limited.encoded);
  if (request.body.empty()) return std::nullopt;
  return upload;
}

std::string PyroscopeExporter::ExplainRejection(const HttpResponse& response, const PreparedUpload& upload) const {
  std::string why;
  switch (response.status) {
    case 400: why = "the server refused the profile as invalid"; break;
    case 401: case 403: why = "check HEAPAGENT_PYROSCOPE_USER/_PASSWORD, _TOKEN and _TENANT"; break;
    case 404: why = "no /ingest there: check HEAPAGENT_PYROSCOPE_URL"; break;
    case 413:
      why = "over a size limit: this profile is " + std::to_string(upload.request.body.size()) + " bytes gzipped, " +
            std::to_string(upload.uncompressed_bytes) + " uncompressed, " + std::to_string(upload.samples) +
            " samples (Pyroscope's default limits: 4 MiB uncompressed, 16000 samples; the server's may be lower)";
      break;
    case 422: why = "the server could not ingest the profile"; break;
    default: why = "not retried"; break;
  }
  std::string body = response.body.substr(0, 200);
  for (char& c : body) c = std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  return "pyroscope rejected a " + upload.what + " with HTTP " + std::to_string(response.status) + ": " + why +
         (body.empty() ? "" : " (server said: " + body + ")");
}

}  // namespace heapagent
