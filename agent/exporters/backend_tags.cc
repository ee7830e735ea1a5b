#include "agent/exporters/backend_tags.h"

#include <cctype>
#include <utility>
#include <vector>

namespace heapagent {
namespace {

std::string Keep(std::string_view text, bool (*allowed)(unsigned char)) {
  std::string kept;
  for (char c : text) kept += allowed(static_cast<unsigned char>(c)) ? c : '_';
  return kept;
}
bool AppNameChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '/'; }
bool LabelKeyChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '.'; }
bool LabelValueChar(unsigned char c) {
  return std::isgraph(c) && c != ',' && c != '{' && c != '}' && c != '=' && c != '"';
}
// Datadog tags are "key:value" joined by commas: no commas or spaces inside.
bool DatadogTagChar(unsigned char c) { return std::isgraph(c) && c != ','; }

}  // namespace

std::string PyroscopeSeriesName(const UploadIdentity& identity, std::string_view heap_kind) {
  std::vector<std::pair<std::string, std::string>> labels = {
      {"otel.scope.name", "heapagent"},
      {"otel.scope.version", identity.agent_version},
      {"process.runtime.name", "nodejs"},
      {"process.runtime.version", identity.runtime_version},
      {"heap", std::string(heap_kind)},
      {"host.name", identity.hostname},
      {"process.pid", std::to_string(identity.pid)},
      {"env", identity.env},
      {"version", identity.version},
  };
  for (const Tag& tag : identity.tags) {
    const std::string key = Keep(tag.key, LabelKeyChar);
    if (key.rfind("__", 0) == 0) continue;
    bool replaced = false;
    for (auto& label : labels) {
      if (label.first == key) label.second = tag.value, replaced = true;
    }
    if (!replaced) labels.emplace_back(key, tag.value);
  }
  std::string app = Keep(identity.service, AppNameChar);
  if (app.empty()) app = "node";
  std::string name = app + "{";
  bool first = true;
  for (const auto& [key, value] : labels) {
    const std::string clean = Keep(value, LabelValueChar);
    if (clean.empty()) continue;  // unknown or unset: no label rather than an empty one
    name += (first ? "" : ",") + key + "=" + clean;
    first = false;
  }
  return name + "}";
}

std::string DatadogProfilerTags(const UploadIdentity& identity, std::string_view heap_kind, uint64_t profile_seq,
                                bool is_final) {
  std::vector<std::pair<std::string, std::string>> tags = {
      {"language", heap_kind == "js" ? "javascript" : "native"},
      {"runtime", "nodejs"},
      {"runtime_arch", identity.arch},
      {"runtime_os", "linux"},
      {"runtime_version", identity.runtime_version.empty() ? "" : "v" + identity.runtime_version},
      {"process_id", std::to_string(identity.pid)},
      {"profiler_version", identity.agent_version},
      {"format", "pprof"},
      {"service", identity.service},
      {"env", identity.env},
      {"version", identity.version},
  };
  for (const Tag& tag : identity.tags) {
    // DD_TAGS may repeat service/env/version; the dedicated variables win, as in dd-trace.
    if (tag.key == "service" || tag.key == "env" || tag.key == "version") continue;
    tags.emplace_back(tag.key, tag.value);
  }
  tags.emplace_back("runtime-id", identity.runtime_id);
  tags.emplace_back("snapshot", is_final ? "on_shutdown" : "periodic");
  tags.emplace_back("profile_seq", std::to_string(profile_seq));
  std::string joined;
  for (const auto& [key, value] : tags) {
    if (value.empty()) continue;
    if (!joined.empty()) joined += ',';
    joined += Keep(key, DatadogTagChar) + ":" + Keep(value, DatadogTagChar);
  }
  return joined;
}

}  // namespace heapagent
