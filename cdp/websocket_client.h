// One websocket client connection (ws://, no TLS) with its own I/O thread,
// shaped for node's inspector, which drops the connection on anything else:
// every message goes out as one masked FIN text frame, no pings, no
// permessage-deflate; incoming messages may be up to 256 MiB.
//
// The I/O thread blocks every signal (the app's handlers run on the app's
// threads), is named "heapagent-cdp", and runs the caller's `on_thread_start`
// before anything else. websocketpp/asio never print anything (logging is
// compiled out) and never throw past this class.
//
// websocketpp 0.8.2 does not compile as C++20: only websocket_client.cc
// includes it (compiled as C++17); this header must stay C++17 and free of it.
//
// Thread-safety: Send, Close, IsOpen and native_socket may be called from any
// thread. Callbacks run on the I/O thread, one at a time, and must not block
// (a callback blocked for longer than the destructor's bound leaves the I/O
// thread detached, still referencing what the callback captured).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace heapagent::cdp {

class WebSocketClient {
 public:
  struct Callbacks {
    // First thing the I/O thread runs (e.g. marking it as the agent's own).
    std::function<void()> on_thread_start;
    // Each complete text message, moved out of websocketpp's buffer.
    std::function<void(std::string&& message)> on_message;
    // Once, when an open connection ends for any reason (close handshake,
    // peer vanished, Close, error). Not called if Connect fails.
    std::function<void(const std::string& reason)> on_close;
  };

  // Connects and completes the websocket handshake, waiting at most `timeout`.
  // On failure returns nullptr and sets `*error` (e.g. "timeout",
  // "connection refused"); no callback has run except on_thread_start.
  static std::unique_ptr<WebSocketClient> Connect(const std::string& url,
                                                  std::chrono::milliseconds timeout,
                                                  Callbacks callbacks, std::string* error);

  // Close(1 s) if still open, then joins the I/O thread, waiting at most
  // about one more second; if it is still stuck (in a callback), or this is
  // the I/O thread itself, it is detached: it keeps the connection state
  // alive by itself, frees it when it ends, and invokes no further callbacks.
  ~WebSocketClient();

  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  // Queues one text message for the I/O thread to send. False if the
  // connection is not open (the message is dropped). True does not mean the
  // peer received it.
  bool Send(std::string message);

  // Sends a close frame and waits for the close handshake; if the peer has
  // not finished it within `timeout`, drops the TCP connection. Returns after
  // at most about `timeout` + 200 ms. Safe to call more than once. From a
  // callback it only starts the close (websocketpp's close-handshake timer,
  // also `timeout`, then drops the connection) and returns at once.
  void Close(std::chrono::milliseconds timeout);

  bool IsOpen() const;

  // The TCP socket's file descriptor while the connection is open, else -1:
  // for a last-resort watchdog at exit, which may shutdown(2) it (never
  // close(2)) when everything else is stuck. The value can go stale the
  // moment it is read; the fd stays allocated until this object is destroyed.
  int native_socket() const;

  struct State;  // shared with the I/O thread; defined in the .cc

 private:
  WebSocketClient() = default;

  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace heapagent::cdp
