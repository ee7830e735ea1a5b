// Compiled as C++17 with ASIO_STANDALONE (see cdp/CMakeLists.txt): the only
// file that includes websocketpp.
#include "cdp/websocket_client.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <condition_variable>
#include <mutex>
#include <utility>

#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>
#include <websocketpp/logger/stub.hpp>

namespace heapagent::cdp {
namespace {

// asio_client with logging compiled out (the host app's stdout/stderr are not
// ours) and a message limit for 10+ MB heap profiles. permessage-deflate stays
// disabled, as in asio_client.
struct QuietClientConfig : public websocketpp::config::asio_client {
  typedef QuietClientConfig type;
  typedef websocketpp::config::asio_client base;

  typedef websocketpp::log::stub elog_type;
  typedef websocketpp::log::stub alog_type;

  struct transport_config : public base::transport_config {
    typedef type::elog_type elog_type;
    typedef type::alog_type alog_type;
  };
  typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;

  static const size_t max_message_size = size_t{256} << 20;
};

using Endpoint = websocketpp::client<QuietClientConfig>;
using ConnectionPtr = Endpoint::connection_ptr;
using MessagePtr = Endpoint::message_ptr;

constexpr std::chrono::milliseconds kForcedCloseGrace{200};
constexpr std::chrono::milliseconds kDestructorCloseTimeout{1000};
constexpr std::chrono::milliseconds kDestructorJoinTimeout{1000};

}  // namespace

struct WebSocketClient::State {
  enum class Phase { kConnecting, kOpen, kClosed, kFailed };

  Endpoint endpoint;
  ConnectionPtr connection;  // set before the I/O thread starts, never reassigned
  Callbacks callbacks;
  std::atomic<bool> callbacks_enabled{true};
  std::atomic<int> socket_fd{-1};
  std::atomic<std::thread::id> io_thread_id{};

  std::mutex mutex;
  std::condition_variable changed;
  Phase phase = Phase::kConnecting;  // guarded by mutex
  bool opened = false;               // guarded by mutex: the handshake completed once
  std::string failure;               // guarded by mutex
  bool thread_finished = false;      // guarded by mutex

  bool IsOpen() {
    std::lock_guard lock(mutex);
    return phase == Phase::kOpen;
  }

  // --- I/O thread ---------------------------------------------------------

  void OnOpen() {
    int fd = -1;
    try {
      fd = connection->get_raw_socket().native_handle();
    } catch (...) {
    }
    socket_fd.store(fd);
    std::lock_guard lock(mutex);
    phase = Phase::kOpen;
    opened = true;
    changed.notify_all();
  }

  // websocketpp calls the fail handler for a connection that never opened
  // and the close handler for one that did.
  void OnFail() {
    std::string reason = "connection failed";
    try {
      const auto ec = connection->get_ec();
      if (ec) reason = ec.message();
    } catch (...) {
    }
    std::lock_guard lock(mutex);
    if (phase == Phase::kConnecting) {
      phase = Phase::kFailed;
      failure = std::move(reason);
    } else {
      phase = Phase::kClosed;
    }
    changed.notify_all();
  }

  void OnClose() {
    std::string reason;
    try {
      const auto remote_code = connection->get_remote_close_code();
      const auto ec = connection->get_ec();
      if (remote_code != websocketpp::close::status::abnormal_close) {
        reason = "closed (code " + std::to_string(remote_code);
        const std::string& remote_reason = connection->get_remote_close_reason();
        if (!remote_reason.empty()) reason += ", " + remote_reason;
        reason += ")";
      } else if (ec) {
        reason = "connection lost: " + ec.message();
      } else {
        reason = "connection lost";
      }
    } catch (...) {
      reason = "connection closed";
    }
    socket_fd.store(-1);
    bool was_open;
    {
      std::lock_guard lock(mutex);
      was_open = phase == Phase::kOpen;
      phase = Phase::kClosed;
      changed.notify_all();
    }
    if (was_open && callbacks_enabled.load() && callbacks.on_close) {
      try {
        callbacks.on_close(reason);
      } catch (...) {
      }
    }
  }

  void OnMessage(MessagePtr message) {
    if (!message || message->get_opcode() != websocketpp::frame::opcode::text) return;
    if (!callbacks_enabled.load() || !callbacks.on_message) return;
    try {
      callbacks.on_message(std::move(message->get_raw_payload()));
    } catch (...) {
    }
  }

  bool OnIoThread() const { return std::this_thread::get_id() == io_thread_id.load(); }

  void Run() {
    io_thread_id.store(std::this_thread::get_id());
    pthread_setname_np(pthread_self(), "heapagent-cdp");
    if (callbacks.on_thread_start) {
      try {
        callbacks.on_thread_start();
      } catch (...) {
      }
    }
    // run() ends when the connection is gone and nothing is pending, or when
    // stopped. A handler that throws ends it early: carry on.
    for (;;) {
      try {
        endpoint.run();
        break;
      } catch (...) {
      }
    }
    std::lock_guard lock(mutex);
    thread_finished = true;
    if (phase == Phase::kConnecting) {
      phase = Phase::kFailed;
      failure = "I/O thread stopped";
    } else if (phase == Phase::kOpen) {
      phase = Phase::kClosed;
    }
    changed.notify_all();
  }

  // --- any thread -----------------------------------------------------------

  // Runs `task` on the I/O thread; exceptions are swallowed there.
  template <typename Task>
  void Post(Task task) {
    try {
      asio::post(endpoint.get_io_service(), [task = std::move(task)]() mutable {
        try {
          task();
        } catch (...) {
        }
      });
    } catch (...) {
    }
  }

  void Stop() {
    try {
      endpoint.stop();
    } catch (...) {
    }
  }
};

std::unique_ptr<WebSocketClient> WebSocketClient::Connect(const std::string& url,
                                                          std::chrono::milliseconds timeout,
                                                          Callbacks callbacks, std::string* error) {
  std::unique_ptr<WebSocketClient> client(new WebSocketClient());
  std::string failure;
  try {
    auto state = std::make_shared<State>();
    client->state_ = state;
    state->callbacks = std::move(callbacks);
    State* raw = state.get();  // handlers live inside *state, so they never outlive it

    Endpoint& endpoint = state->endpoint;
    endpoint.clear_access_channels(websocketpp::log::alevel::all);
    endpoint.clear_error_channels(websocketpp::log::elevel::all);
    websocketpp::lib::error_code ec;
    endpoint.init_asio(ec);
    if (ec) throw std::runtime_error("init: " + ec.message());
    endpoint.set_max_message_size(QuietClientConfig::max_message_size);

    ConnectionPtr connection = endpoint.get_connection(url, ec);
    if (ec || !connection) throw std::runtime_error("bad url: " + (ec ? ec.message() : url));
    connection->set_open_handshake_timeout(static_cast<long>(timeout.count()));
    connection->set_close_handshake_timeout(static_cast<long>(kDestructorCloseTimeout.count()));
    connection->set_max_message_size(QuietClientConfig::max_message_size);
    connection->set_open_handler([raw](websocketpp::connection_hdl) { raw->OnOpen(); });
    connection->set_fail_handler([raw](websocketpp::connection_hdl) { raw->OnFail(); });
    connection->set_close_handler([raw](websocketpp::connection_hdl) { raw->OnClose(); });
    connection->set_message_handler(
        [raw](websocketpp::connection_hdl, MessagePtr message) { raw->OnMessage(std::move(message)); });
    // Node's inspector drops the connection on a ping: never send one.
    state->connection = connection;
    endpoint.connect(connection);

    // Block every signal in the I/O thread; it inherits the mask.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    try {
      client->thread_ = std::thread([state] { state->Run(); });
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      throw std::runtime_error("cannot create the I/O thread");
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);

    std::unique_lock lock(state->mutex);
    const bool settled = state->changed.wait_for(
        lock, timeout, [&] { return state->phase != State::Phase::kConnecting; });
    // Opened counts even if the peer has already closed again: the callbacks
    // have seen the connection, and on_close has reported its end.
    if (settled && state->opened) return client;
    failure = !settled ? "timeout"
              : state->phase == State::Phase::kFailed ? state->failure
                                                      : "closed during the handshake";
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unexpected error";
  }
  if (error) *error = failure.empty() ? "connection failed" : failure;
  if (client->state_) client->state_->callbacks_enabled.store(false);
  client.reset();  // stops and joins (bounded) the I/O thread
  return nullptr;
}

WebSocketClient::~WebSocketClient() {
  if (!state_) return;
  if (state_->OnIoThread()) {
    // Destroyed from one of its own callbacks: start the close, and let the
    // thread finish it (bounded by websocketpp's close-handshake timer) and
    // end by itself, calling back nothing more.
    state_->callbacks_enabled.store(false);
    if (state_->IsOpen()) Close(kDestructorCloseTimeout);
    if (thread_.joinable()) thread_.detach();
    return;
  }
  if (state_->IsOpen()) Close(kDestructorCloseTimeout);
  state_->callbacks_enabled.store(false);
  state_->Stop();
  if (thread_.joinable()) {
    std::unique_lock lock(state_->mutex);
    const bool finished = state_->changed.wait_for(lock, kDestructorJoinTimeout,
                                                   [&] { return state_->thread_finished; });
    lock.unlock();
    // A thread stuck in a callback is left to finish on its own: it owns a
    // reference to the state and, with callbacks disabled, calls nothing else.
    if (finished) {
      thread_.join();
    } else {
      thread_.detach();
    }
  }
}

bool WebSocketClient::Send(std::string message) {
  if (!state_ || !state_->IsOpen()) return false;
  std::shared_ptr<State> state = state_;
  state->Post([state, message = std::move(message)] {
    // One message is always one FIN frame (websocketpp never fragments),
    // masked because we are the client. An error means the connection is
    // going away; the close handler reports that.
    (void)state->connection->send(message, websocketpp::frame::opcode::text);
  });
  return true;
}

void WebSocketClient::Close(std::chrono::milliseconds timeout) {
  if (!state_) return;
  std::shared_ptr<State> state = state_;
  auto done = [&] { return state->phase != State::Phase::kOpen && state->phase != State::Phase::kConnecting; };
  {
    std::lock_guard lock(state->mutex);
    if (done() || state->thread_finished) return;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const bool from_callback = state->OnIoThread();
  state->Post([state, timeout] {
    websocketpp::lib::error_code ec;
    state->connection->set_close_handshake_timeout(static_cast<long>(timeout.count()) + 1);
    if (state->connection->get_state() == websocketpp::session::state::open) {
      state->connection->close(websocketpp::close::status::going_away, "", ec);
    } else if (state->connection->get_state() == websocketpp::session::state::connecting) {
      state->connection->terminate(ec);
    }
  });
  // From a callback the I/O thread cannot wait for itself: the close
  // handshake and its timeout run on once the callback returns.
  if (from_callback) return;
  std::unique_lock lock(state->mutex);
  if (state->changed.wait_until(lock, deadline, [&] { return done() || state->thread_finished; })) return;
  lock.unlock();

  // The peer did not finish the close handshake: drop the TCP connection. The
  // I/O thread sees the error and closes its side.
  const int fd = state->socket_fd.load();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  state->Post([state] {
    websocketpp::lib::error_code ec;
    state->connection->terminate(ec);
  });
  lock.lock();
  if (state->changed.wait_for(lock, kForcedCloseGrace, [&] { return done() || state->thread_finished; })) {
    return;
  }
  lock.unlock();
  // The I/O thread is not responding: stop it where it is.
  state->Stop();
  lock.lock();
  state->phase = State::Phase::kClosed;
  state->socket_fd.store(-1);
}

bool WebSocketClient::IsOpen() const { return state_ && state_->IsOpen(); }

int WebSocketClient::native_socket() const { return state_ ? state_->socket_fd.load() : -1; }

}  // namespace heapagent::cdp
