#include "agent/heap_summary.h"

#include <cstdio>
#include <string_view>

namespace heapagent {
namespace {

// Builds `"key":value` pairs of one JSON object.
class JsonObject {
 public:
  void Number(std::string_view key, std::optional<uint64_t> value) {
    if (value) {
      Key(key);
      text_ += std::to_string(*value);
    } else {
      Null(key);
    }
  }
  void Signed(std::string_view key, int64_t value) {
    Key(key);
    text_ += std::to_string(value);
  }
  void Boolean(std::string_view key, bool value) {
    Key(key);
    text_ += value ? "true" : "false";
  }
  void String(std::string_view key, std::string_view value) {
    if (value.empty()) return Null(key);
    Key(key);
    text_ += '"';
    for (const char c : value) {
      if (c == '"' || c == '\\') {
        text_ += '\\';
        text_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
        text_ += escaped;
      } else {
        text_ += c;
      }
    }
    text_ += '"';
  }
  void Null(std::string_view key) {
    Key(key);
    text_ += "null";
  }
  std::string Finish() { return text_ + "}\n"; }

 private:
  void Key(std::string_view key) {
    text_ += text_.size() > 1 ? ",\"" : "\"";
    text_ += key;
    text_ += "\":";
  }
  std::string text_ = "{";
};

std::optional<uint64_t> Millis(int64_t unix_nanos) {
  if (unix_nanos <= 0) return std::nullopt;
  return static_cast<uint64_t>(unix_nanos / 1'000'000);
}

}  // namespace

std::string HeapSummaryJsonLine(const HeapSummary& s) {
  JsonObject json;
  json.Number("seq", s.seq);
  json.Number("unix_ms", Millis(s.unix_nanos));
  json.Number("window_start_unix_ms", Millis(s.window_start_unix_nanos));
  json.Boolean("final", s.is_final);
  json.Signed("pid", s.pid);
  json.Number("rss_bytes", s.rss_bytes);
  const V8HeapFigures none;
  const V8HeapFigures& v8 = s.v8 ? *s.v8 : none;
  if (s.v8) {
    json.String("v8_source", v8.source);
    json.Number("v8_read_unix_ms", Millis(v8.read_unix_nanos));
    json.Number("v8_isolates", static_cast<uint64_t>(v8.isolates));
  } else {
    json.Null("v8_source");
    json.Null("v8_read_unix_ms");
    json.Null("v8_isolates");
  }
  json.Number("v8_heap_used_bytes", v8.heap_used_bytes);
  json.Number("v8_heap_total_bytes", v8.heap_total_bytes);
  json.Number("v8_external_bytes", v8.external_bytes);
  json.Number("v8_array_buffers_bytes", v8.array_buffers_bytes);
  json.String("allocator", s.allocator);
  json.Number("allocator_in_use_bytes", s.allocator_in_use_bytes);
  json.Number("allocator_mapped_bytes", s.allocator_mapped_bytes);
  json.Number("sampled_native_in_use_bytes", s.sampled_native_in_use_bytes);
  json.Number("sampled_native_alloc_bytes", s.sampled_native_alloc_bytes);
  json.Number("sampled_native_sites", s.sampled_native_sites);
  json.Number("sampled_js_in_use_bytes", s.v8 ? std::optional(v8.sampled_in_use_bytes) : std::nullopt);
  json.Number("sampled_js_sites", s.v8 ? std::optional(v8.sampled_sites) : std::nullopt);
  json.Number("agent_tables_mapped_bytes", s.agent_tables_mapped_bytes);
  json.Number("agent_tables_resident_bytes", s.agent_tables_resident_bytes);
  return json.Finish();
}

}  // namespace heapagent
