// A stand-in for node's inspector websocket endpoint, for the CDP tests: it
// listens on 127.0.0.1 (ephemeral port), accepts one connection, answers the
// RFC 6455 upgrade like node does (exact /<uuid> path, no extensions), then
// runs the test's script against the raw connection on its own thread.
//
// It is written over raw sockets, not websocketpp, so a script can misbehave
// in ways a library would not (truncate, ignore close frames, stall), and so
// every frame the client sends is checked against node's rules: FIN, masked,
// no RSV bits, text or close only (a ping, pong, binary or continuation frame
// is what makes node drop a connection). Violations are recorded, not fatal.
//
// Compiled as C++17 (it borrows websocketpp's header-only SHA-1 and base64).
//
// Thread-safety: the script runs on the server thread; the test thread may
// call url(), WaitDone() and, after WaitDone(), violations().
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace heapagent::cdp::testing {

struct Frame {
  bool fin = false;
  bool rsv = false;
  bool masked = false;
  int opcode = 0;
  std::string payload;  // unmasked
};

class FakeConnection {
 public:
  explicit FakeConnection(int fd) : fd_(fd) {}

  // The next frame, or nullopt on EOF, error or timeout.
  std::optional<Frame> ReadFrame(std::chrono::milliseconds timeout);
  // The next text message's payload; nullopt on a close frame (then
  // close_frame_received() is true), EOF, error or timeout.
  std::optional<std::string> ReadText(std::chrono::milliseconds timeout);

  bool SendText(std::string_view payload);  // one FIN text frame, unmasked, as node sends
  bool SendClose();                         // an empty close frame, as node answers one
  bool SendRaw(std::string_view bytes);
  // True once the client has closed its side (EOF) within `timeout`; data
  // read meanwhile is checked and discarded.
  bool WaitForEof(std::chrono::milliseconds timeout);
  void CloseTcp();

  bool close_frame_received() const { return close_frame_received_; }
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  bool ReadExact(char* out, size_t size, std::chrono::steady_clock::time_point deadline);

  int fd_;
  std::string buffer_;  // read ahead
  bool close_frame_received_ = false;
  std::vector<std::string> violations_;
};

class FakeInspector {
 public:
  using Script = std::function<void(FakeConnection& connection)>;

  explicit FakeInspector(Script script);
  ~FakeInspector();  // waits for the script (tests give scripts bounded waits)

  std::string url() const;  // ws://127.0.0.1:<port>/<uuid>
  int port() const { return port_; }

  // True once the script has returned and the connection is closed.
  bool WaitDone(std::chrono::milliseconds timeout);
  // Frame-rule and handshake violations seen; read after WaitDone().
  std::vector<std::string> violations() const;

 private:
  void Serve(Script script);

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  std::vector<std::string> violations_;
};

// A TCP listener that accepts connections (into the kernel backlog) but never
// reads or answers: for handshake and connect timeouts.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  std::string url() const;

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace heapagent::cdp::testing
