// A Chrome DevTools Protocol session over one websocket to node's inspector:
// numbers requests, matches replies to the callers waiting for them, hands
// events to one handler, and reaches worker threads through NodeWorker's
// envelope (sendMessageToWorker out, receivedMessageFromWorker in), so a
// worker's replies and events look like the main target's.
//
// Requests to the main target and to workers share one id space, so an inner
// reply can never be mistaken for an outer one. Replies to ids nobody waits
// for (late, after a timeout, or invented by the peer) are dropped.
//
// Thread-safety: Call, CallWorker, SetEventHandler, Close, IsOpen and the
// accessors may be called from any thread concurrently; Call blocks only its
// caller. The event handler runs on the websocket's I/O thread, one event at
// a time: it must not block, and must not Call (a Call from the I/O thread
// fails at once instead of deadlocking until its timeout). It may Close the
// session (that only starts the close) but must never destroy it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "cdp/cdp_message.h"
#include "cdp/websocket_client.h"

namespace heapagent::cdp {

struct CdpEvent {
  std::string worker_session_id;  // empty for the main target
  std::string method;             // e.g. "NodeWorker.attachedToWorker"
  std::string params_json;        // raw JSON object text
};

struct CallResult {
  bool ok = false;
  std::string result_json;  // the reply's `result` object when ok; moved to the caller, never copied
  std::string error;        // when !ok: "timeout", "connection closed: ...", "CDP error -32000: ..."
};

class CdpSession {
 public:
  using EventHandler = std::function<void(CdpEvent&& event)>;

  struct ConnectResult {
    std::unique_ptr<CdpSession> session;  // null on failure
    std::string error;
  };

  // Connects to `url` (ws://host:port/uuid) within `timeout`. `on_thread_start`
  // runs first on the I/O thread; `on_event` may also be set later.
  static ConnectResult Connect(const std::string& url, std::chrono::milliseconds timeout,
                               std::function<void()> on_thread_start = {},
                               EventHandler on_event = {});

  // Close(1 s) if still open; returns once the I/O thread is gone (bounded,
  // see WebSocketClient::~WebSocketClient).
  ~CdpSession();

  CdpSession(const CdpSession&) = delete;
  CdpSession& operator=(const CdpSession&) = delete;

  // Replaces the event handler. The previous one may still be running, or
  // run once more, on the I/O thread when this returns.
  void SetEventHandler(EventHandler handler);

  // Runs once when the session closes, for whatever reason (the peer, the
  // network, Close), with the reason; on the I/O thread or Close's caller.
  // Must not block. Set it right after Connect.
  using CloseHandler = std::function<void(const std::string& reason)>;
  void SetCloseHandler(CloseHandler handler);

  // Sends {"id":N,"method":method,"params":params_json} and waits for its
  // reply at most `timeout`. `params_json` is a JSON object's text ("" = {}).
  // Fails at once if the session is closed, and as soon as the connection
  // closes while waiting.
  CallResult Call(std::string_view method, std::string_view params_json,
                  std::chrono::milliseconds timeout);

  // The same, inside the worker session `worker_session_id` (from
  // NodeWorker.attachedToWorker), through NodeWorker.sendMessageToWorker. An
  // error reply to the envelope itself (e.g. unknown session) fails the call.
  CallResult CallWorker(std::string_view worker_session_id, std::string_view method,
                        std::string_view params_json, std::chrono::milliseconds timeout);

  // Fails every pending call ("connection closed: closed by the agent"),
  // sends a close frame and waits for the handshake at most `timeout`, then
  // drops the TCP connection. Bounded; safe to call more than once.
  void Close(std::chrono::milliseconds timeout);

  bool IsOpen() const;
  std::string close_reason() const;  // empty while open

  // The socket's fd for a last-resort shutdown(2) at exit; see
  // WebSocketClient::native_socket.
  int native_socket() const;

  // Messages that were not valid CDP (ignored, or failing the call they named).
  uint64_t malformed_messages() const { return malformed_messages_.load(); }

 private:
  struct PendingCall {
    std::string worker_session_id;
    bool done = false;
    CallResult result;
    std::condition_variable finished;
  };

  CdpSession() = default;

  CallResult Send(std::string_view worker_session_id, std::string_view method,
                  std::string_view params_json, std::chrono::milliseconds timeout);

  // I/O thread.
  void OnMessage(std::string&& text);
  void Dispatch(const std::string& worker_session_id, IncomingMessage&& message);
  void Complete(const std::string& worker_session_id, IncomingMessage&& message);
  void DeliverEvent(CdpEvent&& event);

  // Any thread: marks the session closed and fails every pending call.
  void FailEverything(const std::string& reason);

  mutable std::mutex mutex_;
  std::unordered_map<int64_t, std::shared_ptr<PendingCall>> pending_;  // by request id
  std::unordered_map<int64_t, int64_t> envelope_to_inner_id_;  // sendMessageToWorker id -> inner id
  int64_t next_id_ = 1;
  bool closed_ = false;
  std::string close_reason_;
  std::shared_ptr<const EventHandler> event_handler_;
  std::shared_ptr<const CloseHandler> close_handler_;

  std::atomic<std::thread::id> io_thread_id_{};
  std::atomic<uint64_t> malformed_messages_{0};

  // Set once by Connect before the session is handed out; destroyed first.
  std::unique_ptr<WebSocketClient> client_;
};

}  // namespace heapagent::cdp
