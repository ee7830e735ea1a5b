#include "agent/exporters/datadog_exporter.h"

#include "agent/exporters/backend_tags.h"
#include "agent/exporters/datadog_event.h"
#include "agent/exporters/multipart_body.h"
#include "pprof/gzip.h"

namespace heapagent {
namespace {

constexpr std::string_view kIntakePath = "/profiling/v1/input";

// dd-trace-js's heap profile, from ours (see the header).
void ShapeLikeDdTraceJs(pprof::ProfileData& profile, const QueuedProfile& source) {
  pprof::RenameSampleType(profile, "inuse_samples", {"inuse_objects", "count"});
  profile.period_type = {"inuse_space", "bytes"};
  pprof::DropLabels(profile, {"age"});
  pprof::MergeIdenticalSamples(profile);  // "new" and "old" of one stack are one sample again
  pprof::StripDecorations(profile);
  profile.time_nanos = source.window.end_unix_nanos;
}

// ddprof's names for the allocation sample types.
void ShapeLikeDdprof(pprof::ProfileData& profile) {
  pprof::RenameSampleType(profile, "alloc_objects", {"alloc-samples", "count"});
  pprof::RenameSampleType(profile, "alloc_space", {"alloc-space", "bytes"});
  pprof::RenameSampleType(profile, "inuse_objects", {"inuse-objects", "count"});
  pprof::RenameSampleType(profile, "inuse_space", {"inuse-space", "bytes"});
  pprof::StripDecorations(profile);
}

}  // namespace

std::optional<PreparedUpload> DatadogExporter::Prepare(const QueuedProfile& profile,
                                                       const pprof::ProfileData& decoded,
                                                       const UploadIdentity& identity) {
  const bool js = profile.kind == "js";
  pprof::ProfileData variant = decoded;
  if (js) {
    ShapeLikeDdTraceJs(variant, profile);
  } else {
    native_allocations_.Apply(variant);
    ShapeLikeDdprof(variant);
  }
  pprof::RemoveUnreferenced(variant);
  const std::string encoded = pprof::EncodeProfile(variant);
  const std::string gzipped = pprof::GzipCompress(encoded);
  if (gzipped.empty()) return std::nullopt;

  const std::string attachment = js ? "space.pprof" : "profile.pprof";
  DatadogEvent event;
  event.attachments = {attachment};
  event.start_unix_nanos = profile.window.start_unix_nanos;
  event.end_unix_nanos = profile.window.end_unix_nanos;
  event.family = js ? "node" : "native";
  const uint64_t seq = next_seq_[profile.kind]++;
  event.tags_profiler = DatadogProfilerTags(identity, profile.kind, seq, profile.is_final);
  event.heap_sampling_interval = decoded.period;
  event.profiler_types = {js ? "space" : "native-heap"};
  const std::string event_json = DatadogEventJson(event, identity);

  MultipartBody body = EncodeMultipart({
      {"event", "event.json", "application/json", event_json},
      {attachment, attachment, "application/octet-stream", gzipped},
  });

  PreparedUpload upload;
  upload.what = profile.kind + " profile #" + std::to_string(seq);
  upload.window_end_unix_nanos = profile.window.end_unix_nanos;
  upload.uncompressed_bytes = encoded.size();
  upload.samples = variant.samples.size();
  HttpRequest& request = upload.request;
  const std::string& agent = settings_.agent_url;
  if (agent.rfind("unix://", 0) == 0) {
    request.unix_socket_path = agent.substr(7);
    request.url = "http://localhost" + std::string(kIntakePath);
  } else {
    request.url = agent + std::string(kIntakePath);
  }
  request.headers = {"DD-EVP-ORIGIN: heapagent", "DD-EVP-ORIGIN-VERSION: " + identity.agent_version,
                     "Content-Type: " + body.content_type};
  request.body = std::move(body.body);
  return upload;
}

std::string DatadogExporter::ExplainRejection(const HttpResponse& response, const PreparedUpload& upload) const {
  std::string why;
  switch (response.status) {
    case 400: why = "the intake refused the profile as invalid"; break;
    case 403: why = "the agent's API key was refused"; break;
    case 404: why = "this agent has no /profiling/v1/input: check DD_TRACE_AGENT_URL and the agent's version"; break;
    case 413:
      why = "over the intake's size limit: this upload is " + std::to_string(upload.request.body.size()) +
            " bytes (" + std::to_string(upload.uncompressed_bytes) + " bytes of pprof before gzip)";
      break;
    default: why = "not retried"; break;
  }
  std::string body = response.body.substr(0, 200);
  for (char& c : body) c = std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  return "the Datadog agent rejected a " + upload.what + " with HTTP " + std::to_string(response.status) + ": " +
         why + (body.empty() ? "" : " (agent said: " + body + ")");
}

}  // namespace heapagent
