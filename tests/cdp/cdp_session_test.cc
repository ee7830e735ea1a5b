// cdp/cdp_session against the fake inspector: request/reply matching, events,
// the NodeWorker envelope both ways, hostile messages, and every way a call
// can end without a reply (closed, timed out, after close).
#include "cdp/cdp_session.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cdp/cdp_message.h"
#include "tests/cdp/fake_inspector.h"

namespace heapagent::cdp {
namespace {

using namespace std::chrono_literals;
using testing::FakeConnection;
using testing::FakeInspector;

struct IncomingRequest {
  int64_t id = 0;
  std::string method;
  std::string params_json;
};

// Requests are parsed with a small ad-hoc reading of our own output format.
std::optional<IncomingRequest> ParseRequest(const std::string& text) {
  // {"id":N,"method":"...","params":{...}}
  IncomingRequest request;
  if (text.rfind("{\"id\":", 0) != 0) return std::nullopt;
  size_t position = 6;
  request.id = std::stoll(text.substr(position));
  const auto method_at = text.find(",\"method\":\"");
  if (method_at == std::string::npos) return std::nullopt;
  const auto method_end = text.find('"', method_at + 11);
  request.method = text.substr(method_at + 11, method_end - method_at - 11);
  const auto params_at = text.find(",\"params\":", method_end);
  if (params_at == std::string::npos) return std::nullopt;
  request.params_json = text.substr(params_at + 10, text.size() - params_at - 11);
  return request;
}

// Answers each request with `answer(request)` (nothing if it returns no
// messages) until the client closes, then completes the close handshake.
FakeInspector::Script Responder(std::function<std::vector<std::string>(const IncomingRequest&)> answer) {
  return [answer = std::move(answer)](FakeConnection& connection) {
    while (auto text = connection.ReadText(20s)) {
      const auto request = ParseRequest(*text);
      if (!request) {
        ADD_FAILURE() << "unparsable request: " << *text;
        continue;
      }
      for (const std::string& reply : answer(*request)) connection.SendText(reply);
    }
    if (connection.close_frame_received()) connection.SendClose();
  };
}

std::string Reply(int64_t id, const std::string& result) {
  return "{\"id\":" + std::to_string(id) + ",\"result\":" + result + "}";
}

struct EventLog {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<CdpEvent> events;

  CdpSession::EventHandler Handler() {
    return [this](CdpEvent&& event) {
      std::lock_guard lock(mutex);
      events.push_back(std::move(event));
      changed.notify_all();
    };
  }
  bool WaitFor(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return events.size() >= count; });
  }
};

std::unique_ptr<CdpSession> MustConnect(const FakeInspector& server, CdpSession::EventHandler handler = {}) {
  auto connected = CdpSession::Connect(server.url(), 5s, {}, std::move(handler));
  EXPECT_TRUE(connected.session) << connected.error;
  return std::move(connected.session);
}

TEST(CdpSession, MatchesRepliesToCalls) {
  FakeInspector server(Responder([](const IncomingRequest& request) -> std::vector<std::string> {
    if (request.method == "Runtime.getHeapUsage") return {Reply(request.id, R"({"usedSize":1,"totalSize":2})")};
    if (request.method == "Echo.params") return {Reply(request.id, request.params_json)};
    if (request.method == "HeapProfiler.getSamplingProfile") {
      return {"{\"id\":" + std::to_string(request.id) +
              R"(,"error":{"code":-32000,"message":"V8 sampling heap profiler was not started."}})"};
    }
    return {};
  }));
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  CallResult usage = session->Call("Runtime.getHeapUsage", "", 5s);
  EXPECT_TRUE(usage.ok) << usage.error;
  EXPECT_EQ(usage.result_json, R"({"usedSize":1,"totalSize":2})");

  CallResult echo = session->Call("Echo.params", R"({"samplingInterval":65536})", 5s);
  EXPECT_TRUE(echo.ok);
  EXPECT_EQ(echo.result_json, R"({"samplingInterval":65536})");

  CallResult error = session->Call("HeapProfiler.getSamplingProfile", "{}", 5s);
  EXPECT_FALSE(error.ok);
  EXPECT_EQ(error.error, "CDP error -32000: V8 sampling heap profiler was not started.");

  session->Close(2s);
  EXPECT_FALSE(session->IsOpen());
  ASSERT_TRUE(server.WaitDone(10s));
  EXPECT_EQ(server.violations(), std::vector<std::string>{});
}

TEST(CdpSession, ConcurrentCallersGetTheirOwnRepliesOutOfOrder) {
  // The server collects 8 requests, then answers them in reverse order, with
  // a stray reply to an id nobody asked for first.
  FakeInspector server([](FakeConnection& connection) {
    std::vector<IncomingRequest> requests;
    while (requests.size() < 8) {
      auto text = connection.ReadText(10s);
      if (!text) return;
      requests.push_back(*ParseRequest(*text));
    }
    connection.SendText(Reply(987654, R"({"stray":true})"));
    for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
      connection.SendText(Reply(it->id, it->params_json));
    }
    connection.ReadText(10s);
    connection.SendClose();
  });
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  std::vector<std::future<CallResult>> results;
  for (int i = 0; i < 8; ++i) {
    results.push_back(std::async(std::launch::async, [&session, i] {
      return session->Call("Echo.params", "{\"n\":" + std::to_string(i) + "}", 10s);
    }));
  }
  for (int i = 0; i < 8; ++i) {
    CallResult result = results[i].get();
    EXPECT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.result_json, "{\"n\":" + std::to_string(i) + "}");
  }
  session.reset();
  ASSERT_TRUE(server.WaitDone(10s));
  EXPECT_EQ(server.violations(), std::vector<std::string>{});
}

TEST(CdpSession, DeliversEventsIncludingUnwrappedWorkerEvents) {
  FakeInspector server([](FakeConnection& connection) {
    connection.SendText(R"({"method":"NodeWorker.attachedToWorker","params":{"sessionId":"1","workerInfo":{"workerId":"1"},"waitingForDebugger":false}})");
    connection.SendText(R"({"method":"NodeRuntime.waitingForDisconnect"})");
    const std::string inner = R"({"method":"HeapProfiler.resetProfiles","params":{"x":"a\"b"}})";
    connection.SendText(R"({"method":"NodeWorker.receivedMessageFromWorker","params":)" +
                        BuildSendMessageToWorkerParams("1", inner) + "}");
    connection.ReadText(10s);
    connection.SendClose();
  });
  EventLog log;
  auto session = MustConnect(server, log.Handler());
  ASSERT_TRUE(session);
  ASSERT_TRUE(log.WaitFor(3, 5s));
  EXPECT_EQ(log.events[0].worker_session_id, "");
  EXPECT_EQ(log.events[0].method, "NodeWorker.attachedToWorker");
  EXPECT_EQ(log.events[0].params_json,
            R"({"sessionId":"1","workerInfo":{"workerId":"1"},"waitingForDebugger":false})");
  EXPECT_EQ(log.events[1].method, "NodeRuntime.waitingForDisconnect");
  EXPECT_EQ(log.events[1].params_json, "{}");
  EXPECT_EQ(log.events[2].worker_session_id, "1");
  EXPECT_EQ(log.events[2].method, "HeapProfiler.resetProfiles");
  EXPECT_EQ(log.events[2].params_json, R"({"x":"a\"b"})");
}

TEST(CdpSession, CallsWorkersThroughTheEnvelope) {
  // A fake NodeWorker: unwraps sendMessageToWorker, acknowledges it, answers
  // the inner request inside receivedMessageFromWorker; session "9" is unknown.
  FakeInspector server(Responder([](const IncomingRequest& request) -> std::vector<std::string> {
    if (request.method != kSendMessageToWorker) return {Reply(request.id, R"({"main":true})")};
    auto envelope = ParseWorkerEnvelope(request.params_json);
    if (!envelope) return {"{\"id\":" + std::to_string(request.id) + R"(,"error":{"code":-32602,"message":"Invalid parameters"}})"};
    if (envelope->session_id == "9") {
      return {"{\"id\":" + std::to_string(request.id) + R"(,"error":{"code":-32602,"message":"Unknown session"}})"};
    }
    const auto inner = ParseRequest(envelope->message);
    std::vector<std::string> out;
    // The inner reply first (node may deliver it before the envelope's ack),
    // then an inner event, then the ack.
    const std::string inner_reply = Reply(inner->id, R"({"worker":)" + inner->params_json + "}");
    out.push_back(R"({"method":"NodeWorker.receivedMessageFromWorker","params":)" +
                  BuildSendMessageToWorkerParams(envelope->session_id, inner_reply) + "}");
    out.push_back(Reply(request.id, "{}"));
    return out;
  }));
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  CallResult in_worker = session->CallWorker("1", "HeapProfiler.getSamplingProfile", R"({"q":"\"quoted\""})", 5s);
  EXPECT_TRUE(in_worker.ok) << in_worker.error;
  EXPECT_EQ(in_worker.result_json, R"({"worker":{"q":"\"quoted\""}})");

  CallResult main = session->Call("Runtime.getHeapUsage", "", 5s);
  EXPECT_TRUE(main.ok);
  EXPECT_EQ(main.result_json, R"({"main":true})");

  const auto start = std::chrono::steady_clock::now();
  CallResult unknown = session->CallWorker("9", "Runtime.getHeapUsage", "", 5s);
  EXPECT_FALSE(unknown.ok);
  EXPECT_EQ(unknown.error, "CDP error -32602: Unknown session");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  session->Close(2s);
  ASSERT_TRUE(server.WaitDone(10s));
  EXPECT_EQ(server.violations(), std::vector<std::string>{});
}

TEST(CdpSession, WorkerReplyFromTheWrongSessionIsIgnored) {
  FakeInspector server(Responder([](const IncomingRequest& request) -> std::vector<std::string> {
    auto envelope = ParseWorkerEnvelope(request.params_json);
    const auto inner = ParseRequest(envelope->message);
    // Claims to come from worker "2" although the request went to "1".
    return {R"({"method":"NodeWorker.receivedMessageFromWorker","params":)" +
                BuildSendMessageToWorkerParams("2", Reply(inner->id, "{}")) + "}",
            Reply(request.id, "{}")};
  }));
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  CallResult result = session->CallWorker("1", "Runtime.getHeapUsage", "", 300ms);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "timeout");
}

TEST(CdpSession, SurvivesMalformedAndTruncatedMessages) {
  FakeInspector server(Responder([](const IncomingRequest& request) -> std::vector<std::string> {
    const std::string id = std::to_string(request.id);
    if (request.method == "Bad.reply") return {"{\"id\":" + id + ",\"result\":[1,2]}"};
    if (request.method == "Truncated.reply") return {"{\"id\":" + id + ",\"result\":{\"a\":"};
    return {"garbage", "", "{", "[]", R"({"method":"NodeWorker.receivedMessageFromWorker","params":{"sessionId":"1"}})",
            R"({"method":"NodeWorker.receivedMessageFromWorker","params":{"sessionId":"1","message":"not json"}})",
            R"({"method":"NodeWorker.receivedMessageFromWorker","params":{"sessionId":"1","message":"{\"id\":1e99}"}})",
            R"({"id":"string id","result":{}})", R"({"id":12345678901234567890,"result":{}})",
            Reply(request.id, R"({"fine":true})")};
  }));
  EventLog log;
  auto session = MustConnect(server, log.Handler());
  ASSERT_TRUE(session);
  const auto start = std::chrono::steady_clock::now();
  CallResult bad = session->Call("Bad.reply", "", 5s);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("malformed reply"), std::string::npos) << bad.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // failed at once, not at the timeout
  // A truncated message names no readable id: that call can only time out.
  CallResult truncated = session->Call("Truncated.reply", "", 300ms);
  EXPECT_FALSE(truncated.ok);
  EXPECT_EQ(truncated.error, "timeout");

  CallResult fine = session->Call("Anything", "", 5s);
  EXPECT_TRUE(fine.ok) << fine.error;
  EXPECT_EQ(fine.result_json, R"({"fine":true})");
  EXPECT_TRUE(session->IsOpen());
  EXPECT_GE(session->malformed_messages(), 10u);
  EXPECT_TRUE(log.events.empty());
}

TEST(CdpSession, InvalidUtf8TextFrameEndsTheConnectionAndFailsCalls) {
  // RFC 6455 makes invalid UTF-8 in a text frame fatal; websocketpp enforces
  // it. Node's CDP output is ASCII (non-ASCII is \u-escaped), so this is a
  // hostile peer: the session must report it, not hang.
  FakeInspector server([](FakeConnection& connection) {
    if (connection.ReadText(10s)) connection.SendText("{\"id\":1,\"result\":{\"s\":\"\xff\xfe\"}}");
    connection.WaitForEof(5s);
  });
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  const auto start = std::chrono::steady_clock::now();
  CallResult result = session->Call("Runtime.getHeapUsage", "", 30s);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("connection closed"), std::string::npos) << result.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(session->IsOpen());
}

TEST(CdpSession, PendingCallFailsFastWhenServerClosesMidReply) {
  FakeInspector server([](FakeConnection& connection) {
    auto text = connection.ReadText(10s);
    if (!text) return;
    // The start of a large text frame, then the connection drops.
    std::string partial("\x81\x7f\x00\x00\x00\x00\x00\x10\x00\x00", 10);
    partial += R"({"id":1,"result":{"profile":)";
    connection.SendRaw(partial);
    connection.CloseTcp();
  });
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  const auto start = std::chrono::steady_clock::now();
  CallResult result = session->Call("HeapProfiler.getSamplingProfile", "", 30s);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("connection closed"), std::string::npos) << result.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(session->IsOpen());
  EXPECT_FALSE(session->close_reason().empty());

  // Calls after the close fail at once.
  const auto after = std::chrono::steady_clock::now();
  CallResult late = session->Call("Runtime.getHeapUsage", "", 30s);
  EXPECT_FALSE(late.ok);
  EXPECT_NE(late.error.find("connection closed"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - after, 100ms);
}

TEST(CdpSession, CloseHandlerRunsOnceWhenThePeerCloses) {
  FakeInspector server([](FakeConnection& connection) { connection.CloseTcp(); });
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  std::promise<std::string> closed;
  std::atomic<int> calls{0};
  session->SetCloseHandler([&](const std::string& reason) {
    if (calls.fetch_add(1) == 0) closed.set_value(reason);
  });
  auto reason = closed.get_future();
  ASSERT_EQ(reason.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(reason.get().empty());
  session->Close(500ms);  // a later Close does not run it again
  EXPECT_EQ(calls.load(), 1);
  // Set after the close: runs at once with the reason.
  std::string late_reason;
  session->SetCloseHandler([&](const std::string& reason) { late_reason = reason; });
  EXPECT_FALSE(late_reason.empty());
}

TEST(CdpSession, CallTimesOutAtItsTimeoutAgainstSilentServer) {
  std::promise<void> release;
  auto released = release.get_future();
  FakeInspector server([&](FakeConnection& connection) {
    released.wait_for(20s);  // reads nothing, answers nothing
  });
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  const auto start = std::chrono::steady_clock::now();
  CallResult result = session->Call("Runtime.getHeapUsage", "", 400ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "timeout");
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LT(elapsed, 1400ms);
  // Close against a server that reads nothing and ignores the close frame.
  const auto close_start = std::chrono::steady_clock::now();
  session->Close(300ms);
  session.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - close_start, 3s);
  release.set_value();
  ASSERT_TRUE(server.WaitDone(10s));
}

TEST(CdpSession, CloseFailsPendingCallsPromptly) {
  std::promise<void> release, call_received;
  auto released = release.get_future();
  FakeInspector server([&](FakeConnection& connection) {
    if (connection.ReadText(10s)) call_received.set_value();  // the call, never answered
    released.wait_for(20s);
  });
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  auto waiter = std::async(std::launch::async, [&] {
    return session->Call("HeapProfiler.getSamplingProfile", "", 30s);
  });
  ASSERT_EQ(call_received.get_future().wait_for(5s), std::future_status::ready);
  const auto start = std::chrono::steady_clock::now();
  session->Close(200ms);
  ASSERT_EQ(waiter.wait_for(2s), std::future_status::ready);
  CallResult result = waiter.get();
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("connection closed"), std::string::npos) << result.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  release.set_value();
}

TEST(CdpSession, CallFromTheEventHandlerFailsInsteadOfDeadlocking) {
  FakeInspector server([](FakeConnection& connection) {
    connection.SendText(R"({"method":"Some.event"})");
    connection.ReadText(10s);
    connection.SendClose();
  });
  std::promise<CallResult> from_handler;
  CdpSession* raw = nullptr;
  std::promise<void> ready;
  auto ready_future = ready.get_future().share();
  auto connected = CdpSession::Connect(server.url(), 5s, {}, [&](CdpEvent&&) {
    ready_future.wait();
    from_handler.set_value(raw->Call("Runtime.getHeapUsage", "", 5s));
  });
  ASSERT_TRUE(connected.session) << connected.error;
  raw = connected.session.get();
  ready.set_value();
  auto future = from_handler.get_future();
  ASSERT_EQ(future.wait_for(2s), std::future_status::ready);
  CallResult result = future.get();
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("I/O thread"), std::string::npos);
}

TEST(CdpSession, LargeReplyArrivesWhole) {
  std::string profile = R"({"profile":{"head":{},"samples":[)";
  while (profile.size() < (12 << 20)) profile += R"({"size":4104,"nodeId":1,"ordinal":1},)";
  profile += R"({"size":1,"nodeId":1,"ordinal":2}]}})";
  FakeInspector server(Responder([&](const IncomingRequest& request) -> std::vector<std::string> {
    return {Reply(request.id, profile)};
  }));
  auto session = MustConnect(server);
  ASSERT_TRUE(session);
  CallResult result = session->Call("HeapProfiler.getSamplingProfile", "", 30s);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_TRUE(result.result_json == profile);
}

TEST(CdpSession, ConnectFailureIsAnError) {
  testing::SilentListener silent;
  auto connected = CdpSession::Connect(silent.url(), 300ms);
  EXPECT_FALSE(connected.session);
  EXPECT_FALSE(connected.error.empty());
}

}  // namespace
}  // namespace heapagent::cdp
