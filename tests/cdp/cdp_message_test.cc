// cdp/cdp_message: parsing incoming CDP messages, the NodeWorker envelope,
// and building requests.
#include "cdp/cdp_message.h"

#include <gtest/gtest.h>

#include <string>

namespace heapagent::cdp {
namespace {

TEST(CdpMessage, ParsesReplyWithRawResult) {
  const IncomingMessage message = ParseIncomingMessage(
      std::string_view(R"({"id":7,"result":{"usedSize":123,"nested":{"a":[1,2,"x\"y"]}}})"));
  EXPECT_EQ(message.kind, MessageKind::kReply);
  EXPECT_TRUE(message.has_id);
  EXPECT_EQ(message.id, 7);
  EXPECT_EQ(message.payload_json, R"({"usedSize":123,"nested":{"a":[1,2,"x\"y"]}})");
}

TEST(CdpMessage, ParsesReplyInPlaceFromOwnedString) {
  std::string text = R"(  {"result" : {"profile":{"head":{}}} , "id":9}  )";
  const IncomingMessage message = ParseIncomingMessage(std::move(text));
  EXPECT_EQ(message.kind, MessageKind::kReply);
  EXPECT_EQ(message.id, 9);
  EXPECT_EQ(message.payload_json, R"({"profile":{"head":{}}})");
}

TEST(CdpMessage, ParsesErrorReply) {
  const IncomingMessage message = ParseIncomingMessage(std::string_view(
      R"({"id":3,"error":{"code":-32000,"message":"V8 sampling heap profiler was not started."}})"));
  EXPECT_EQ(message.kind, MessageKind::kErrorReply);
  EXPECT_EQ(message.id, 3);
  EXPECT_EQ(message.error_code, -32000);
  EXPECT_EQ(message.error_message, "V8 sampling heap profiler was not started.");
}

TEST(CdpMessage, ParsesEventWithAndWithoutParams) {
  IncomingMessage message = ParseIncomingMessage(
      std::string_view(R"({"method":"NodeRuntime.waitingForDisconnect","params":{}})"));
  EXPECT_EQ(message.kind, MessageKind::kEvent);
  EXPECT_FALSE(message.has_id);
  EXPECT_EQ(message.method, "NodeRuntime.waitingForDisconnect");
  EXPECT_EQ(message.payload_json, "{}");

  message = ParseIncomingMessage(std::string_view(R"({"method":"HeapProfiler.resetProfiles"})"));
  EXPECT_EQ(message.kind, MessageKind::kEvent);
  EXPECT_EQ(message.payload_json, "{}");
}

TEST(CdpMessage, ReportsMalformedMessages) {
  for (const char* text : {"", "not json", "[]", "42", "{}", R"({"id":"1","result":{}})",
                           R"({"id":1.5,"result":{}})", R"({"id":99999999999999999999,"result":{}})",
                           R"({"method":3})", R"({"method":"x","params":[1]})", R"({"id":1,"result":{)",
                           R"({"id":1,"result":{"a":"unterminated)", "{\"id\":1,\"result\":{}", "\xff\xfe",
                           R"({"id":1,"error":{"code":"x"}})", R"({"id":1,"error":[]})"}) {
    const IncomingMessage message = ParseIncomingMessage(std::string_view(text));
    EXPECT_EQ(message.kind, MessageKind::kMalformed) << text;
    EXPECT_FALSE(message.malformed_reason.empty()) << text;
    EXPECT_TRUE(message.payload_json.empty()) << text;
  }
}

TEST(CdpMessage, MalformedReplyStillNamesItsId) {
  // So the session can fail the call at once instead of at its timeout.
  IncomingMessage message = ParseIncomingMessage(std::string_view(R"({"id":5,"result":"nope"})"));
  EXPECT_EQ(message.kind, MessageKind::kMalformed);
  EXPECT_TRUE(message.has_id);
  EXPECT_EQ(message.id, 5);
  message = ParseIncomingMessage(std::string_view(R"({"id":6})"));
  EXPECT_EQ(message.kind, MessageKind::kMalformed);
  EXPECT_TRUE(message.has_id);
  EXPECT_EQ(message.id, 6);
}

TEST(CdpMessage, BuildsRequests) {
  EXPECT_EQ(BuildRequest(1, "Runtime.getHeapUsage", ""),
            R"({"id":1,"method":"Runtime.getHeapUsage","params":{}})");
  EXPECT_EQ(BuildRequest(-2, "HeapProfiler.startSampling", R"({"samplingInterval":65536})"),
            R"({"id":-2,"method":"HeapProfiler.startSampling","params":{"samplingInterval":65536}})");
  const IncomingMessage parsed =
      ParseIncomingMessage(std::string_view(R"({"method":"x","params":)" +
                                            std::string(R"({"samplingInterval":65536})") + "}"));
  EXPECT_EQ(parsed.payload_json, R"({"samplingInterval":65536})");
}

TEST(CdpMessage, WorkerEnvelopeRoundTrips) {
  const std::string inner = BuildRequest(12, "HeapProfiler.getSamplingProfile", R"({"a":"q\"\\\n"})");
  const std::string params = BuildSendMessageToWorkerParams("1", inner);
  EXPECT_EQ(params.find('\n'), std::string::npos);
  const auto envelope = ParseWorkerEnvelope(params);
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->session_id, "1");
  EXPECT_EQ(envelope->message, inner);
  // And the inner request parses back (as a message with id and method).
  const std::string all_bytes = [] {
    std::string text;
    for (int c = 1; c < 128; ++c) text.push_back(static_cast<char>(c));
    return text + "\xe2\x82\xac";
  }();
  const auto again = ParseWorkerEnvelope(BuildSendMessageToWorkerParams("s", all_bytes));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->message, all_bytes);
}

TEST(CdpMessage, ParsesReceivedMessageFromWorker) {
  const std::string event =
      R"({"method":"NodeWorker.receivedMessageFromWorker","params":{"sessionId":"2","message":"{\"id\":4,\"result\":{\"usedSize\":1}}","workerId":"1"}})";
  IncomingMessage outer = ParseIncomingMessage(std::string_view(event));
  ASSERT_EQ(outer.kind, MessageKind::kEvent);
  EXPECT_EQ(outer.method, kReceivedMessageFromWorker);
  auto envelope = ParseWorkerEnvelope(std::move(outer.payload_json));
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->session_id, "2");
  const IncomingMessage inner = ParseIncomingMessage(std::move(envelope->message));
  EXPECT_EQ(inner.kind, MessageKind::kReply);
  EXPECT_EQ(inner.id, 4);
  EXPECT_EQ(inner.payload_json, R"({"usedSize":1})");
}

TEST(CdpMessage, RejectsBadWorkerEnvelopes) {
  for (const char* text : {"", "{}", R"({"sessionId":"1"})", R"({"message":"{}"})",
                           R"({"sessionId":1,"message":"{}"})", R"({"sessionId":"1","message":{}})",
                           R"({"sessionId":"1","message":"\ud800"})", "[1]"}) {
    EXPECT_FALSE(ParseWorkerEnvelope(std::string_view(text)).has_value()) << text;
  }
}

TEST(CdpMessage, HandlesLargePayloads) {
  std::string big = R"({"id":1,"result":{"profile":{"samples":[)";
  for (int i = 0; i < 200000; ++i) big += R"({"size":4104,"nodeId":)" + std::to_string(i) + "},";
  big += R"({"size":1,"nodeId":0}]}}})";
  const size_t expected_size = big.size() - std::string(R"({"id":1,"result":)").size() - 1;
  const IncomingMessage message = ParseIncomingMessage(std::move(big));
  ASSERT_EQ(message.kind, MessageKind::kReply);
  EXPECT_EQ(message.payload_json.size(), expected_size);
  EXPECT_EQ(message.payload_json.substr(0, 12), R"({"profile":{)");
}

}  // namespace
}  // namespace heapagent::cdp
