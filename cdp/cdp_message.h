// CDP messages as text: one incoming message (reply, error reply, event)
// parsed into a plain struct, the NodeWorker envelope unwrapped, and outgoing
// requests built, with JSON string escaping done here and nowhere else.
//
// Input is untrusted (anything that can reach the inspector port can talk to
// us through it): every parser returns a result, never throws, never reads out
// of bounds, and is fuzzed (tests/fuzz/fuzz_cdp_message.cc).
//
// Thread-safety: pure functions, callable from any thread concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heapagent::cdp {

enum class MessageKind {
  kReply,       // {"id":N,"result":{...}}
  kErrorReply,  // {"id":N,"error":{"code":C,"message":"..."}}
  kEvent,       // {"method":"Domain.event","params":{...}}
  kMalformed,   // anything else; `id`/`has_id` are set if an integer id was readable
};

struct IncomingMessage {
  MessageKind kind = MessageKind::kMalformed;
  bool has_id = false;
  int64_t id = 0;
  std::string method;        // events only
  std::string payload_json;  // raw JSON of `result` (replies) or `params` (events; "{}" if absent)
  int64_t error_code = 0;    // error replies only
  std::string error_message; // error replies only
  std::string malformed_reason;  // kMalformed only: what was wrong, for logs
};

// Parses one message. The text does not need to be padded or NUL-terminated.
IncomingMessage ParseIncomingMessage(std::string_view json);

// The same, reusing `json`'s buffer for `payload_json` (the payload is cut
// out in place instead of copied), so a 10 MB reply is never held twice.
IncomingMessage ParseIncomingMessage(std::string&& json);

// The params of NodeWorker.receivedMessageFromWorker:
// {"sessionId":"...","message":"<inner CDP message as a JSON string>",...}.
struct WorkerEnvelope {
  std::string session_id;
  std::string message;  // unescaped: the inner CDP message's own JSON text
};
std::optional<WorkerEnvelope> ParseWorkerEnvelope(std::string_view params_json);
// The same, consuming (and freeing) `params_json` instead of copying it.
std::optional<WorkerEnvelope> ParseWorkerEnvelope(std::string&& params_json);

inline constexpr std::string_view kReceivedMessageFromWorker = "NodeWorker.receivedMessageFromWorker";
inline constexpr std::string_view kSendMessageToWorker = "NodeWorker.sendMessageToWorker";

// {"id":N,"method":"...","params":<params_json>}. `params_json` must be a
// JSON object's text (trusted: it comes from our own code); empty means {}.
std::string BuildRequest(int64_t id, std::string_view method, std::string_view params_json);

// The params of NodeWorker.sendMessageToWorker:
// {"sessionId":"...","message":"<inner_message escaped as a JSON string>"}.
std::string BuildSendMessageToWorkerParams(std::string_view worker_session_id,
                                           std::string_view inner_message);

}  // namespace heapagent::cdp
