// cdp/websocket_client against the fake inspector: the frames node accepts,
// large messages, the I/O thread's set-up, and bounded connect and close.
#include "cdp/websocket_client.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <string>

#include "tests/cdp/fake_inspector.h"

namespace heapagent::cdp {
namespace {

using namespace std::chrono_literals;
using testing::FakeConnection;
using testing::FakeInspector;

// Messages and close reasons as the I/O thread delivers them.
struct Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> messages;
  std::optional<std::string> close_reason;

  WebSocketClient::Callbacks Callbacks() {
    WebSocketClient::Callbacks callbacks;
    callbacks.on_message = [this](std::string&& message) {
      std::lock_guard lock(mutex);
      messages.push_back(std::move(message));
      changed.notify_all();
    };
    callbacks.on_close = [this](const std::string& reason) {
      std::lock_guard lock(mutex);
      close_reason = reason;
      changed.notify_all();
    };
    return callbacks;
  }
  bool WaitForMessages(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return messages.size() >= count; });
  }
  bool WaitForClose(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return close_reason.has_value(); });
  }
};

TEST(WebSocketClient, EchoesTextFramesByNodeRules) {
  FakeInspector server([](FakeConnection& connection) {
    for (int i = 0; i < 3; ++i) {
      auto text = connection.ReadText(5s);
      if (!text) return;
      connection.SendText("echo:" + *text);
    }
    // Then the client's close: answer like node does (a close frame, then
    // the TCP close when the script returns).
    connection.ReadFrame(5s);
    if (connection.close_frame_received()) connection.SendClose();
  });
  Inbox inbox;
  std::string error;
  auto client = WebSocketClient::Connect(server.url(), 5s, inbox.Callbacks(), &error);
  ASSERT_TRUE(client) << error;
  EXPECT_TRUE(client->IsOpen());
  EXPECT_GE(client->native_socket(), 0);
  EXPECT_TRUE(client->Send("one"));
  EXPECT_TRUE(client->Send(std::string(70000, 'x')));  // 16-bit length, then 64-bit below
  EXPECT_TRUE(client->Send(std::string(300000, 'y')));
  ASSERT_TRUE(inbox.WaitForMessages(3, 10s));
  EXPECT_EQ(inbox.messages[0], "echo:one");
  EXPECT_EQ(inbox.messages[1], "echo:" + std::string(70000, 'x'));
  EXPECT_EQ(inbox.messages[2], "echo:" + std::string(300000, 'y'));

  const auto start = std::chrono::steady_clock::now();
  client->Close(5s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_FALSE(client->IsOpen());
  EXPECT_EQ(client->native_socket(), -1);
  EXPECT_FALSE(client->Send("late"));
  ASSERT_TRUE(server.WaitDone(10s));
  EXPECT_EQ(server.violations(), std::vector<std::string>{});
  EXPECT_TRUE(inbox.WaitForClose(1s));
}

TEST(WebSocketClient, ReceivesOneLargeMessage) {
  const std::string big(40 << 20, 'z');  // one frame, above websocketpp's default 32 MB limit
  FakeInspector server([&](FakeConnection& connection) {
    connection.SendText(big);
    connection.ReadFrame(10s);  // the close frame
    connection.SendClose();
  });
  Inbox inbox;
  std::string error;
  auto client = WebSocketClient::Connect(server.url(), 5s, inbox.Callbacks(), &error);
  ASSERT_TRUE(client) << error;
  ASSERT_TRUE(inbox.WaitForMessages(1, 30s));
  EXPECT_EQ(inbox.messages[0].size(), big.size());
  EXPECT_TRUE(inbox.messages[0] == big);
  client.reset();
  ASSERT_TRUE(server.WaitDone(10s));
  EXPECT_EQ(server.violations(), std::vector<std::string>{});
}

TEST(WebSocketClient, IoThreadIsNamedBlocksSignalsAndRunsStartCallbackFirst) {
  FakeInspector server([](FakeConnection& connection) {
    connection.SendText("hello");
    connection.ReadFrame(5s);
    connection.SendClose();
  });
  std::promise<std::string> thread_facts;
  bool started = false;
  Inbox inbox;
  WebSocketClient::Callbacks callbacks = inbox.Callbacks();
  callbacks.on_thread_start = [&] {
    char name[32] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, nullptr, &mask);
    const bool all_blocked = sigismember(&mask, SIGINT) && sigismember(&mask, SIGTERM) &&
                             sigismember(&mask, SIGUSR1) && sigismember(&mask, SIGPIPE);
    started = true;
    thread_facts.set_value(std::string(name) + (all_blocked ? " blocked" : " unblocked"));
  };
  auto on_message = callbacks.on_message;
  callbacks.on_message = [&, on_message](std::string&& message) {
    EXPECT_TRUE(started);  // on_thread_start ran before any other callback
    on_message(std::move(message));
  };
  sigset_t before, after;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  std::string error;
  auto client = WebSocketClient::Connect(server.url(), 5s, std::move(callbacks), &error);
  ASSERT_TRUE(client) << error;
  pthread_sigmask(SIG_SETMASK, nullptr, &after);
  EXPECT_EQ(sigismember(&before, SIGINT), sigismember(&after, SIGINT));  // caller's mask restored
  auto facts = thread_facts.get_future();
  ASSERT_EQ(facts.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(facts.get(), "heapagent-cdp blocked");
  EXPECT_TRUE(inbox.WaitForMessages(1, 5s));
}

TEST(WebSocketClient, ConnectFailsFastWhenRefused) {
  int port = 0;
  {
    FakeInspector closed_server([](FakeConnection&) {});
    port = closed_server.port();
    // Connect once so the fake server finishes; then its port is closed.
    std::string error;
    auto client = WebSocketClient::Connect(closed_server.url(), 5s, {}, &error);
    client.reset();
    closed_server.WaitDone(5s);
  }
  std::string error;
  const auto start = std::chrono::steady_clock::now();
  auto client = WebSocketClient::Connect("ws://127.0.0.1:" + std::to_string(port) + "/x", 5s, {}, &error);
  EXPECT_FALSE(client);
  EXPECT_FALSE(error.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(WebSocketClient, ConnectTimesOutAgainstSilentPeer) {
  testing::SilentListener silent;
  std::string error;
  const auto start = std::chrono::steady_clock::now();
  auto client = WebSocketClient::Connect(silent.url(), 500ms, {}, &error);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(client);
  EXPECT_FALSE(error.empty());
  EXPECT_GE(elapsed, 450ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(WebSocketClient, RejectsBadUrlAndWrongPath) {
  std::string error;
  EXPECT_FALSE(WebSocketClient::Connect("not a url", 1s, {}, &error));
  EXPECT_FALSE(error.empty());

  FakeInspector server([](FakeConnection&) {});
  const std::string wrong = "ws://127.0.0.1:" + std::to_string(server.port()) + "/wrong-uuid";
  error.clear();
  EXPECT_FALSE(WebSocketClient::Connect(wrong, 5s, {}, &error));
  EXPECT_FALSE(error.empty());
  ASSERT_TRUE(server.WaitDone(5s));
}

TEST(WebSocketClient, CloseIsBoundedWhenPeerIgnoresCloseFrame) {
  std::promise<void> release;
  auto released = release.get_future();
  FakeInspector server([&](FakeConnection& connection) {
    // Swallow everything, never answer the close frame, never close; then
    // report whether the client dropped the TCP connection itself.
    EXPECT_TRUE(connection.WaitForEof(10s)) << "client never dropped the connection";
    EXPECT_TRUE(connection.close_frame_received());
    released.wait_for(10s);
  });
  Inbox inbox;
  std::string error;
  auto client = WebSocketClient::Connect(server.url(), 5s, inbox.Callbacks(), &error);
  ASSERT_TRUE(client) << error;
  const auto start = std::chrono::steady_clock::now();
  client->Close(300ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, 1500ms);
  EXPECT_FALSE(client->IsOpen());
  client.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  release.set_value();
  ASSERT_TRUE(server.WaitDone(10s));
  EXPECT_EQ(server.violations(), std::vector<std::string>{});
}

TEST(WebSocketClient, ReportsPeerDisappearing) {
  FakeInspector server([](FakeConnection& connection) {
    connection.SendText("bye");
    connection.CloseTcp();
  });
  Inbox inbox;
  std::string error;
  auto client = WebSocketClient::Connect(server.url(), 5s, inbox.Callbacks(), &error);
  ASSERT_TRUE(client) << error;
  ASSERT_TRUE(inbox.WaitForClose(5s));
  EXPECT_FALSE(client->IsOpen());
  EXPECT_FALSE(inbox.close_reason->empty());
  EXPECT_FALSE(client->Send("nobody listens"));
}

TEST(WebSocketClient, CloseFromACallbackReturnsAtOnceAndCloses) {
  FakeInspector server([](FakeConnection& connection) {
    connection.SendText("please close");
    connection.ReadFrame(5s);
    if (connection.close_frame_received()) connection.SendClose();
  });
  Inbox inbox;
  WebSocketClient* raw = nullptr;
  std::promise<void> connected;
  auto connected_future = connected.get_future().share();
  WebSocketClient::Callbacks callbacks = inbox.Callbacks();
  callbacks.on_message = [&](std::string&&) {
    connected_future.wait();
    const auto start = std::chrono::steady_clock::now();
    raw->Close(5s);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  };
  std::string error;
  auto client = WebSocketClient::Connect(server.url(), 5s, std::move(callbacks), &error);
  ASSERT_TRUE(client) << error;
  raw = client.get();
  connected.set_value();
  ASSERT_TRUE(inbox.WaitForClose(5s));
  EXPECT_FALSE(client->IsOpen());
  ASSERT_TRUE(server.WaitDone(10s));
  EXPECT_EQ(server.violations(), std::vector<std::string>{});
}

TEST(WebSocketClient, DestructorWithoutCloseIsBounded) {
  FakeInspector server([](FakeConnection& connection) { connection.WaitForEof(10s); });
  std::string error;
  auto client = WebSocketClient::Connect(server.url(), 5s, {}, &error);
  ASSERT_TRUE(client) << error;
  const auto start = std::chrono::steady_clock::now();
  client.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  ASSERT_TRUE(server.WaitDone(10s));
  EXPECT_EQ(server.violations(), std::vector<std::string>{});
}

}  // namespace
}  // namespace heapagent::cdp
