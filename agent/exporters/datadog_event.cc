#include "agent/exporters/datadog_event.h"

#include <cstdio>
#include <ctime>

#include "cdp/json_string.h"

namespace heapagent {
namespace {

std::string JsonList(const std::vector<std::string>& items) {
  std::string list = "[";
  for (size_t i = 0; i < items.size(); ++i) list += (i ? "," : "") + JsonString(items[i]);
  return list + "]";
}

}  // namespace

std::string Iso8601Millis(int64_t unix_nanos) {
  int64_t millis = unix_nanos / 1'000'000;
  if (unix_nanos < 0 && unix_nanos % 1'000'000 != 0) --millis;  // floor
  time_t seconds = static_cast<time_t>(millis / 1000);
  int64_t fraction = millis % 1000;
  if (fraction < 0) fraction += 1000, --seconds;
  tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(fraction));
  return text;
}

std::string DatadogEventJson(const DatadogEvent& event, const UploadIdentity& identity) {
  std::string json = "{";
  json += "\"attachments\":" + JsonList(event.attachments);
  json += ",\"start\":" + JsonString(Iso8601Millis(event.start_unix_nanos));
  json += ",\"end\":" + JsonString(Iso8601Millis(event.end_unix_nanos));
  json += ",\"family\":" + JsonString(event.family);
  json += ",\"version\":\"4\"";
  json += ",\"tags_profiler\":" + JsonString(event.tags_profiler);
  json += ",\"endpoint_counts\":{}";
  json += ",\"info\":{";
  json += "\"application\":{\"env\":" + JsonString(identity.env) + ",\"service\":" + JsonString(identity.service) +
          ",\"start_time\":" + JsonString(Iso8601Millis(identity.start_unix_nanos)) +
          ",\"version\":" + JsonString(identity.version) + "}";
  json += ",\"platform\":{";
  if (!identity.hostname.empty()) json += "\"hostname\":" + JsonString(identity.hostname) + ",";
  json += "\"kernel_name\":" + JsonString(identity.kernel_name) +
          ",\"kernel_release\":" + JsonString(identity.kernel_release) +
          ",\"kernel_version\":" + JsonString(identity.kernel_version) + "}";
  json += ",\"profiler\":{\"activation\":\"manual\",\"ssi\":{\"mechanism\":\"none\"},\"version\":" +
          JsonString(identity.agent_version) + ",\"serverless\":false,\"settings\":{\"heapSamplingInterval\":" +
          std::to_string(event.heap_sampling_interval) + ",\"profilerTypes\":" + JsonList(event.profiler_types) +
          ",\"uploadCompression\":{\"method\":\"gzip\"}},\"hasMissingSourceMaps\":false}";
  json += ",\"runtime\":{\"available_processors\":" + std::to_string(identity.available_processors) +
          ",\"engine\":\"nodejs\",\"version\":" + JsonString(identity.runtime_version) + "}";
  json += "}}";
  return json;
}

}  // namespace heapagent
