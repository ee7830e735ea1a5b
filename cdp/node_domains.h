// The few small CDP payloads of node's own domains the agent reads, turned
// into plain structs: NodeWorker's attach/detach events and the value of a
// `process.memoryUsage()` evaluation. Pure functions over untrusted JSON:
// malformed input gives nullopt, never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heapagent::cdp {

// NodeWorker.attachedToWorker params:
// {sessionId, workerInfo: {workerId, type, title, url}, waitingForDebugger}
struct AttachedWorker {
  std::string session_id;
  int64_t thread_id = 0;  // workerInfo.workerId: the worker's threadId
  std::string title;
};
std::optional<AttachedWorker> ParseAttachedToWorker(std::string_view params_json);

// NodeWorker.detachedFromWorker params: {sessionId}
std::optional<std::string> ParseDetachedFromWorker(std::string_view params_json);

// The result of Runtime.evaluate("process.memoryUsage()", returnByValue):
// {result: {type: "object", value: {rss, heapTotal, heapUsed, external, arrayBuffers}}}
struct MemoryUsage {
  int64_t rss = 0;
  int64_t heap_total = 0;
  int64_t heap_used = 0;
  int64_t external = 0;
  int64_t array_buffers = 0;
};
std::optional<MemoryUsage> ParseMemoryUsage(std::string_view evaluate_result_json);

// Whether a CDP error message says V8's sampling heap profiler is not running.
bool IsSamplerNotStartedError(std::string_view error_message);

}  // namespace heapagent::cdp
