#include "tests/cdp/fake_inspector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include <websocketpp/base64/base64.hpp>
#include <websocketpp/sha1/sha1.hpp>

namespace heapagent::cdp::testing {
namespace {

constexpr char kUuid[] = "3f1c2b7e-0d5a-4c8e-9b61-7a2f4e9d0c11";
constexpr std::chrono::milliseconds kAcceptTimeout{10000};
constexpr std::chrono::milliseconds kHandshakeTimeout{5000};

int ListenOnLoopback(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(fd, 4) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

int MillisecondsUntil(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

bool WaitReadable(int fd, std::chrono::steady_clock::time_point deadline) {
  pollfd poll_fd{fd, POLLIN, 0};
  for (;;) {
    const int ready = ::poll(&poll_fd, 1, MillisecondsUntil(deadline));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string HeaderValue(const std::string& request, const std::string& name) {
  // Case-insensitive search for "\r\nName:".
  std::string lower_request = request, lower_name = "\r\n" + name + ":";
  for (auto& c : lower_request) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lower_request.find(lower_name);
  if (at == std::string::npos) return {};
  auto begin = at + lower_name.size();
  auto end = request.find("\r\n", begin);
  while (begin < end && request[begin] == ' ') ++begin;
  return request.substr(begin, end - begin);
}

std::string AcceptKey(const std::string& key) {
  const std::string magic = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char hash[20];
  websocketpp::sha1::calc(magic.data(), magic.size(), hash);
  return websocketpp::base64_encode(hash, sizeof(hash));
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t written = ::send(fd, data, size, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

}  // namespace

// --- FakeConnection --------------------------------------------------------------

bool FakeConnection::ReadExact(char* out, size_t size, std::chrono::steady_clock::time_point deadline) {
  while (buffer_.size() < size) {
    if (fd_ < 0 || !WaitReadable(fd_, deadline)) return false;
    char chunk[65536];
    const ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(got));
  }
  std::memcpy(out, buffer_.data(), size);
  buffer_.erase(0, size);
  return true;
}

std::optional<Frame> FakeConnection::ReadFrame(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  unsigned char header[2];
  if (!ReadExact(reinterpret_cast<char*>(header), 2, deadline)) return std::nullopt;
  Frame frame;
  frame.fin = header[0] & 0x80;
  frame.rsv = header[0] & 0x70;
  frame.opcode = header[0] & 0x0f;
  frame.masked = header[1] & 0x80;
  uint64_t length = header[1] & 0x7f;
  if (length == 126 || length == 127) {
    unsigned char extended[8];
    const size_t bytes = length == 126 ? 2 : 8;
    if (!ReadExact(reinterpret_cast<char*>(extended), bytes, deadline)) return std::nullopt;
    length = 0;
    for (size_t i = 0; i < bytes; ++i) length = (length << 8) | extended[i];
  }
  unsigned char mask[4] = {0, 0, 0, 0};
  if (frame.masked && !ReadExact(reinterpret_cast<char*>(mask), 4, deadline)) return std::nullopt;
  if (length > (uint64_t{1} << 31)) return std::nullopt;
  frame.payload.resize(length);
  if (length > 0 && !ReadExact(frame.payload.data(), length, deadline)) return std::nullopt;
  for (size_t i = 0; i < frame.payload.size(); ++i) frame.payload[i] ^= static_cast<char>(mask[i % 4]);

  if (!frame.fin) violations_.push_back("frame without FIN");
  if (frame.rsv) violations_.push_back("frame with RSV bits (compression?)");
  if (!frame.masked) violations_.push_back("unmasked client frame");
  if (frame.opcode != 0x1 && frame.opcode != 0x8) {
    violations_.push_back("frame with opcode " + std::to_string(frame.opcode) + " (only text and close allowed)");
  }
  if (frame.opcode == 0x8) close_frame_received_ = true;
  return frame;
}

std::optional<std::string> FakeConnection::ReadText(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto frame = ReadFrame(std::chrono::milliseconds(MillisecondsUntil(deadline)));
    if (!frame || frame->opcode == 0x8) return std::nullopt;
    if (frame->opcode == 0x1) return std::move(frame->payload);
  }
}

bool FakeConnection::SendRaw(std::string_view bytes) {
  return fd_ >= 0 && WriteAll(fd_, bytes.data(), bytes.size());
}

bool FakeConnection::SendText(std::string_view payload) {
  std::string frame;
  frame.push_back(static_cast<char>(0x81));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() <= 0xffff) {
    frame.push_back(static_cast<char>(126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    frame.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
  }
  frame.append(payload);
  return SendRaw(frame);
}

bool FakeConnection::SendClose() { return SendRaw(std::string("\x88\x00", 2)); }

bool FakeConnection::WaitForEof(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0) {
    if (!buffer_.empty()) {
      // Parse what is buffered, so frames are checked even here.
      if (!ReadFrame(std::chrono::milliseconds(MillisecondsUntil(deadline)))) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        buffer_.clear();
      }
      continue;
    }
    if (!WaitReadable(fd_, deadline)) return false;
    char chunk[65536];
    const ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return true;  // EOF or reset: the client's side is gone
    buffer_.append(chunk, static_cast<size_t>(got));
  }
  return true;
}

void FakeConnection::CloseTcp() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// --- FakeInspector ----------------------------------------------------------------

FakeInspector::FakeInspector(Script script) {
  listen_fd_ = ListenOnLoopback(&port_);
  thread_ = std::thread([this, script = std::move(script)] { Serve(script); });
}

FakeInspector::~FakeInspector() {
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string FakeInspector::url() const {
  return "ws://127.0.0.1:" + std::to_string(port_) + "/" + kUuid;
}

bool FakeInspector::WaitDone(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return done_changed_.wait_for(lock, timeout, [this] { return done_; });
}

std::vector<std::string> FakeInspector::violations() const {
  std::lock_guard lock(mutex_);
  return violations_;
}

void FakeInspector::Serve(Script script) {
  std::vector<std::string> violations;
  int fd = -1;
  if (listen_fd_ >= 0 && WaitReadable(listen_fd_, std::chrono::steady_clock::now() + kAcceptTimeout)) {
    fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  if (fd >= 0) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // The upgrade request.
    std::string request;
    const auto deadline = std::chrono::steady_clock::now() + kHandshakeTimeout;
    while (request.find("\r\n\r\n") == std::string::npos && WaitReadable(fd, deadline)) {
      char chunk[4096];
      const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
      if (got <= 0) break;
      request.append(chunk, static_cast<size_t>(got));
    }
    const std::string key = HeaderValue(request, "Sec-WebSocket-Key");
    const std::string expected_start = std::string("GET /") + kUuid + " HTTP/1.1\r\n";
    std::string after_headers;
    if (const auto end = request.find("\r\n\r\n"); end != std::string::npos) after_headers = request.substr(end + 4);
    if (request.compare(0, expected_start.size(), expected_start) != 0 || key.empty()) {
      violations.push_back("bad upgrade request: " + request.substr(0, request.find("\r\n")));
      const char kBadRequest[] = "HTTP/1.0 400 Bad Request\r\n\r\nWebSockets request was expected\r\n";
      WriteAll(fd, kBadRequest, sizeof(kBadRequest) - 1);
    } else {
      if (!HeaderValue(request, "Sec-WebSocket-Extensions").empty()) {
        violations.push_back("client offered extensions: " + HeaderValue(request, "Sec-WebSocket-Extensions"));
      }
      const std::string response =
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: " + AcceptKey(key) + "\r\n\r\n";
      WriteAll(fd, response.data(), response.size());
      FakeConnection connection(fd);
      if (!after_headers.empty()) violations.push_back("data before the handshake completed");
      if (script) script(connection);
      connection.CloseTcp();
      fd = -1;
      violations.insert(violations.end(), connection.violations().begin(), connection.violations().end());
    }
    if (fd >= 0) ::close(fd);
  } else {
    violations.push_back("no connection accepted");
  }
  std::lock_guard lock(mutex_);
  violations_ = std::move(violations);
  done_ = true;
  done_changed_.notify_all();
}

// --- SilentListener ----------------------------------------------------------------

SilentListener::SilentListener() { fd_ = ListenOnLoopback(&port_); }
SilentListener::~SilentListener() {
  if (fd_ >= 0) ::close(fd_);
}
std::string SilentListener::url() const {
  return "ws://127.0.0.1:" + std::to_string(port_) + "/" + kUuid;
}

}  // namespace heapagent::cdp::testing
