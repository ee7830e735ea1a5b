// Fuzzes cdp/cdp_message: ParseIncomingMessage (both overloads),
// ParseWorkerEnvelope, and the request builders.
//
// Input: the bytes are one incoming CDP message as the websocket delivers it.
//
// Checked, beyond "no crash, no sanitizer report":
//   - both ParseIncomingMessage overloads agree on every field;
//   - a reply or event's payload is a JSON object's text ({...}) that parses
//     again as the params of an event, unchanged;
//   - for an event, the worker envelope parse does not crash, and when it
//     succeeds its inner message parses too (the session's path);
//   - round trip: BuildSendMessageToWorkerParams around the input (as an
//     arbitrary string) parses back to exactly the input when the input is
//     valid UTF-8 (JSON cannot carry anything else), and BuildRequest's output
//     parses as an event-shaped message with the same method.
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cdp/cdp_message.h"

namespace {

using namespace heapagent::cdp;

#define FUZZ_CHECK(condition)                                                              \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition);   \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

bool SameMessage(const IncomingMessage& a, const IncomingMessage& b) {
  return a.kind == b.kind && a.has_id == b.has_id && a.id == b.id && a.method == b.method &&
         a.payload_json == b.payload_json && a.error_code == b.error_code &&
         a.error_message == b.error_message && a.malformed_reason == b.malformed_reason;
}

void CheckPayload(const IncomingMessage& message) {
  if (message.kind != MessageKind::kReply && message.kind != MessageKind::kEvent) {
    FUZZ_CHECK(message.payload_json.empty());
    return;
  }
  const std::string& payload = message.payload_json;
  FUZZ_CHECK(payload.size() >= 2 && payload.front() == '{' && payload.back() == '}');
  // The payload, re-wrapped as an event's params, comes back unchanged.
  const IncomingMessage again =
      ParseIncomingMessage(std::string_view("{\"method\":\"m\",\"params\":" + payload + "}"));
  FUZZ_CHECK(again.kind == MessageKind::kEvent);
  FUZZ_CHECK(again.payload_json == payload);
}

void CheckRoundTrips(std::string_view text) {
  const std::string params = BuildSendMessageToWorkerParams("session-1", text);
  const auto envelope = ParseWorkerEnvelope(params);
  if (simdjson::validate_utf8(text.data(), text.size())) {
    FUZZ_CHECK(envelope.has_value());
    FUZZ_CHECK(envelope->session_id == "session-1");
    FUZZ_CHECK(envelope->message == text);

    // The same text as a session id, and as a method name.
    const auto by_session = ParseWorkerEnvelope(BuildSendMessageToWorkerParams(text, "{}"));
    FUZZ_CHECK(by_session.has_value() && by_session->session_id == text && by_session->message == "{}");
    const IncomingMessage request = ParseIncomingMessage(BuildRequest(-7, text, R"({"a":1})"));
    // Has an id and a method but no result: a malformed *reply* naming id -7.
    FUZZ_CHECK(request.kind == MessageKind::kMalformed && request.has_id && request.id == -7);
  } else {
    FUZZ_CHECK(!envelope.has_value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const IncomingMessage viewed = ParseIncomingMessage(text);
  const IncomingMessage owned = ParseIncomingMessage(std::string(text));
  FUZZ_CHECK(SameMessage(viewed, owned));
  CheckPayload(viewed);
  if (viewed.kind == MessageKind::kMalformed) FUZZ_CHECK(!viewed.malformed_reason.empty());

  if (viewed.kind == MessageKind::kEvent) {
    // The session's worker path: envelope, then the inner message.
    std::string params = viewed.payload_json;
    if (auto envelope = ParseWorkerEnvelope(std::move(params))) {
      const IncomingMessage inner = ParseIncomingMessage(std::move(envelope->message));
      CheckPayload(inner);
    }
  }
  // The input as a bare params object, too.
  if (auto envelope = ParseWorkerEnvelope(text)) {
    CheckPayload(ParseIncomingMessage(std::string_view(envelope->message)));
  }

  CheckRoundTrips(text);
  return 0;
}
