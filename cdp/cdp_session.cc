#include "cdp/cdp_session.h"

#include <utility>

namespace heapagent::cdp {
namespace {

constexpr std::chrono::milliseconds kDestructorCloseTimeout{1000};

std::string ErrorReplyText(const IncomingMessage& message) {
  return "CDP error " + std::to_string(message.error_code) + ": " + message.error_message;
}

}  // namespace

CdpSession::ConnectResult CdpSession::Connect(const std::string& url,
                                              std::chrono::milliseconds timeout,
                                              std::function<void()> on_thread_start,
                                              EventHandler on_event) {
  std::unique_ptr<CdpSession> session(new CdpSession());
  if (on_event) session->event_handler_ = std::make_shared<const EventHandler>(std::move(on_event));
  CdpSession* raw = session.get();  // the client (and its thread) never outlives the session

  WebSocketClient::Callbacks callbacks;
  callbacks.on_thread_start = [raw, on_thread_start = std::move(on_thread_start)] {
    raw->io_thread_id_.store(std::this_thread::get_id());
    if (on_thread_start) on_thread_start();
  };
  callbacks.on_message = [raw](std::string&& text) { raw->OnMessage(std::move(text)); };
  callbacks.on_close = [raw](const std::string& reason) { raw->FailEverything(reason); };

  ConnectResult result;
  session->client_ = WebSocketClient::Connect(url, timeout, std::move(callbacks), &result.error);
  if (session->client_) result.session = std::move(session);
  return result;
}

CdpSession::~CdpSession() {
  if (client_ && client_->IsOpen()) Close(kDestructorCloseTimeout);
  client_.reset();  // joins the I/O thread before the members it uses go
}

void CdpSession::SetEventHandler(EventHandler handler) {
  auto shared = handler ? std::make_shared<const EventHandler>(std::move(handler)) : nullptr;
  std::lock_guard lock(mutex_);
  event_handler_ = std::move(shared);
}

void CdpSession::SetCloseHandler(CloseHandler handler) {
  auto shared = handler ? std::make_shared<const CloseHandler>(std::move(handler)) : nullptr;
  bool already_closed;
  std::string reason;
  {
    std::lock_guard lock(mutex_);
    already_closed = closed_;
    reason = close_reason_;
    if (!already_closed) close_handler_ = shared;
  }
  if (already_closed && shared) (*shared)(reason);  // it closed before the handler was set
}

CallResult CdpSession::Call(std::string_view method, std::string_view params_json,
                            std::chrono::milliseconds timeout) {
  return Send({}, method, params_json, timeout);
}

CallResult CdpSession::CallWorker(std::string_view worker_session_id, std::string_view method,
                                  std::string_view params_json, std::chrono::milliseconds timeout) {
  if (worker_session_id.empty()) return {false, {}, "empty worker session id"};
  return Send(worker_session_id, method, params_json, timeout);
}

CallResult CdpSession::Send(std::string_view worker_session_id, std::string_view method,
                            std::string_view params_json, std::chrono::milliseconds timeout) {
  if (std::this_thread::get_id() == io_thread_id_.load()) {
    return {false, {}, "called on the CDP I/O thread (would deadlock)"};
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const bool to_worker = !worker_session_id.empty();
  auto pending = std::make_shared<PendingCall>();
  pending->worker_session_id.assign(worker_session_id);
  int64_t id = 0, envelope_id = 0;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return {false, {}, "connection closed: " + close_reason_};
    id = next_id_++;
    pending_.emplace(id, pending);
    if (to_worker) {
      envelope_id = next_id_++;
      envelope_to_inner_id_.emplace(envelope_id, id);
    }
  }
  auto forget = [&] {
    pending_.erase(id);
    if (to_worker) envelope_to_inner_id_.erase(envelope_id);
  };

  std::string request = BuildRequest(id, method, params_json);
  if (to_worker) {
    request = BuildRequest(envelope_id, kSendMessageToWorker,
                           BuildSendMessageToWorkerParams(worker_session_id, request));
  }
  if (!client_->Send(std::move(request))) {
    std::lock_guard lock(mutex_);
    forget();
    if (pending->done) return std::move(pending->result);
    return {false, {}, "connection closed" + (close_reason_.empty() ? "" : ": " + close_reason_)};
  }

  std::unique_lock lock(mutex_);
  if (!pending->finished.wait_until(lock, deadline, [&] { return pending->done; })) {
    forget();
    return {false, {}, "timeout"};
  }
  return std::move(pending->result);  // completers already removed it from the maps
}

void CdpSession::Close(std::chrono::milliseconds timeout) {
  FailEverything("closed by the agent");
  if (client_) client_->Close(timeout);
}

bool CdpSession::IsOpen() const {
  std::lock_guard lock(mutex_);
  return !closed_;
}

std::string CdpSession::close_reason() const {
  std::lock_guard lock(mutex_);
  return close_reason_;
}

int CdpSession::native_socket() const { return client_ ? client_->native_socket() : -1; }

void CdpSession::FailEverything(const std::string& reason) {
  std::shared_ptr<const CloseHandler> close_handler;
  std::string final_reason;
  {
    std::lock_guard lock(mutex_);
    if (!closed_) {
      closed_ = true;
      close_reason_ = reason;
      close_handler.swap(close_handler_);  // runs once, on the first close
    }
    final_reason = close_reason_;
    for (auto& [id, pending] : pending_) {
      pending->done = true;
      pending->result = {false, {}, "connection closed: " + close_reason_};
      pending->finished.notify_all();
    }
    pending_.clear();
    envelope_to_inner_id_.clear();
  }
  if (close_handler) (*close_handler)(final_reason);
}

// --- I/O thread ---------------------------------------------------------------

void CdpSession::OnMessage(std::string&& text) {
  Dispatch({}, ParseIncomingMessage(std::move(text)));
}

void CdpSession::Dispatch(const std::string& worker_session_id, IncomingMessage&& message) {
  switch (message.kind) {
    case MessageKind::kReply:
    case MessageKind::kErrorReply:
      Complete(worker_session_id, std::move(message));
      return;
    case MessageKind::kMalformed:
      malformed_messages_.fetch_add(1);
      if (message.has_id) Complete(worker_session_id, std::move(message));
      return;
    case MessageKind::kEvent:
      break;
  }
  // Only the main target's envelope is unwrapped: a worker's own
  // NodeWorker events (nested workers) are delivered as they are.
  if (worker_session_id.empty() && message.method == kReceivedMessageFromWorker) {
    std::optional<WorkerEnvelope> envelope = ParseWorkerEnvelope(std::move(message.payload_json));
    if (!envelope) {
      malformed_messages_.fetch_add(1);
      return;
    }
    Dispatch(envelope->session_id, ParseIncomingMessage(std::move(envelope->message)));
    return;
  }
  DeliverEvent({worker_session_id, std::move(message.method), std::move(message.payload_json)});
}

void CdpSession::Complete(const std::string& worker_session_id, IncomingMessage&& message) {
  std::lock_guard lock(mutex_);
  int64_t id = message.id;
  if (worker_session_id.empty()) {
    // The reply to a sendMessageToWorker envelope: {} means "delivered"; an
    // error means the inner request will never be answered.
    if (auto envelope = envelope_to_inner_id_.find(id); envelope != envelope_to_inner_id_.end()) {
      const int64_t inner_id = envelope->second;
      envelope_to_inner_id_.erase(envelope);
      if (message.kind == MessageKind::kReply) return;
      id = inner_id;
    }
  }
  auto found = pending_.find(id);
  if (found == pending_.end()) return;
  PendingCall& pending = *found->second;
  if (pending.worker_session_id != worker_session_id && id == message.id) return;  // not its target
  switch (message.kind) {
    case MessageKind::kReply:
      pending.result = {true, std::move(message.payload_json), {}};
      break;
    case MessageKind::kErrorReply:
      pending.result = {false, {}, ErrorReplyText(message)};
      break;
    default:
      pending.result = {false, {}, "malformed reply: " + message.malformed_reason};
      break;
  }
  pending.done = true;
  pending.finished.notify_all();
  pending_.erase(found);
}

void CdpSession::DeliverEvent(CdpEvent&& event) {
  std::shared_ptr<const EventHandler> handler;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    handler = event_handler_;
  }
  if (handler && *handler) (*handler)(std::move(event));
}

}  // namespace heapagent::cdp
