#include "cdp/node_domains.h"

#include <simdjson.h>

#include <cmath>

namespace heapagent::cdp {
namespace {

using simdjson::dom::element;

std::optional<element> ParseObject(simdjson::dom::parser& parser, std::string_view json) {
  element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS || !root.is_object()) return std::nullopt;
  return root;
}

// A JSON number as bytes: integers and doubles (V8 sends both), rounded;
// negative, non-finite or absurd values are rejected.
std::optional<int64_t> Bytes(element value) {
  double number = 0;
  int64_t integer = 0;
  if (value.get_int64().get(integer) == simdjson::SUCCESS) {
    return integer >= 0 ? std::optional<int64_t>(integer) : std::nullopt;
  }
  if (value.is_uint64()) return std::nullopt;  // beyond int64: not a real byte count
  if (value.get_double().get(number) != simdjson::SUCCESS || !std::isfinite(number) || number < 0 || number > 9.0e18) {
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(number));
}

}  // namespace

std::optional<AttachedWorker> ParseAttachedToWorker(std::string_view params_json) {
  simdjson::dom::parser parser;
  const auto root = ParseObject(parser, params_json);
  if (!root) return std::nullopt;
  std::string_view session_id, worker_id, title;
  if ((*root)["sessionId"].get(session_id) != simdjson::SUCCESS || session_id.empty()) return std::nullopt;
  element info;
  if ((*root)["workerInfo"].get(info) != simdjson::SUCCESS || !info.is_object()) return std::nullopt;
  AttachedWorker worker;
  worker.session_id = std::string(session_id);
  // workerId is the worker's threadId as a decimal string.
  if (info["workerId"].get(worker_id) == simdjson::SUCCESS) {
    int64_t id = 0;
    for (char c : worker_id) {
      if (c < '0' || c > '9' || id > 1'000'000'000'000) {
        id = 0;
        break;
      }
      id = id * 10 + (c - '0');
    }
    worker.thread_id = id;
  }
  if (info["title"].get(title) == simdjson::SUCCESS) worker.title = std::string(title);
  return worker;
}

std::optional<std::string> ParseDetachedFromWorker(std::string_view params_json) {
  simdjson::dom::parser parser;
  const auto root = ParseObject(parser, params_json);
  if (!root) return std::nullopt;
  std::string_view session_id;
  if ((*root)["sessionId"].get(session_id) != simdjson::SUCCESS || session_id.empty()) return std::nullopt;
  return std::string(session_id);
}

std::optional<MemoryUsage> ParseMemoryUsage(std::string_view evaluate_result_json) {
  simdjson::dom::parser parser;
  const auto root = ParseObject(parser, evaluate_result_json);
  if (!root) return std::nullopt;
  element value;
  if ((*root)["result"]["value"].get(value) != simdjson::SUCCESS || !value.is_object()) return std::nullopt;
  MemoryUsage usage;
  const auto field = [&](const char* name, int64_t& out) {
    element number;
    if (value[name].get(number) != simdjson::SUCCESS) return false;
    const auto bytes = Bytes(number);
    if (!bytes) return false;
    out = *bytes;
    return true;
  };
  if (!field("external", usage.external)) return std::nullopt;
  field("rss", usage.rss);
  field("heapTotal", usage.heap_total);
  field("heapUsed", usage.heap_used);
  field("arrayBuffers", usage.array_buffers);
  return usage;
}

bool IsSamplerNotStartedError(std::string_view error_message) {
  return error_message.find("sampling heap profiler was not started") != std::string_view::npos;
}

}  // namespace heapagent::cdp
