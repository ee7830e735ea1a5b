#include "agent/exporters/upload_sink.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <random>

#include "agent/background_thread.h"
#include "agent/exporters/node_version.h"
#include "agent/log.h"
#include "pprof/profile_data.h"
#include "sampling/native_sampler.h"

namespace heapagent {
namespace {

int64_t UnixNanosNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SteadyNanos(std::chrono::steady_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

}  // namespace

UploadingSink::UploadingSink(std::vector<std::unique_ptr<UploadBackend>> backends, UploadIdentity identity,
                             UploaderOptions options, FileFallback file_fallback)
    : identity_(std::move(identity)),
      options_(std::move(options)),
      file_fallback_(std::move(file_fallback)),
      inbox_(options_.queue_bytes) {
  std::random_device seed;
  for (auto& exporter : backends) {
    backends_.push_back(Backend{std::move(exporter), DropOldestQueue<PreparedUpload>(options_.queue_bytes),
                                RetryBackoff(options_.initial_backoff_seconds, options_.max_backoff_seconds,
                                             (uint64_t{seed()} << 32) | seed())});
  }
}

bool UploadingSink::Start() {
  if (!StartBackgroundThread<&UploadingSink::Run>("heapagent-up", this)) return false;
  std::lock_guard lock(mutex_);
  running_ = true;
  return true;
}

void UploadingSink::Deliver(const FinishedProfile& profile) {
  QueuedProfile copy{std::string(profile.kind), profile.window, std::string(profile.encoded), profile.is_final};
  const size_t bytes = copy.encoded.size();
  std::lock_guard lock(mutex_);
  if (flush_done_ || abandoned_) return;  // exit is over: nobody will send it
  inbox_.Push(std::move(copy), bytes);
  wake_.notify_all();
}

void UploadingSink::Flush(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (running_) {
    flushing_ = true;
    flush_deadline_ = deadline;
    abort_after_ns_ = SteadyNanos(deadline);
    wake_.notify_all();
    flushed_.wait_until(lock, deadline, [this] { return flush_done_; });
  }
  flush_done_ = true;
  // From here on the uploader sends nothing more and aborts what it is doing.
  abandoned_ = true;
  wake_.notify_all();
}

bool UploadingSink::ShouldAbortTransfer() const {
  return abandoned_.load(std::memory_order_relaxed) ||
         SteadyNanos(Clock::now()) > abort_after_ns_.load(std::memory_order_relaxed);
}

bool UploadingSink::HasWorkNow(Clock::time_point now) const {
  if (!inbox_.empty() || abandoned_) return true;
  for (const Backend& backend : backends_) {
    if (backend.pending.empty()) continue;
    if (flushing_ ? !backend.failed_during_flush : now >= backend.next_attempt) return true;
  }
  // A flush with nothing left to try must still be reported done.
  return flushing_ && !flush_done_;
}

UploadingSink::Clock::time_point UploadingSink::NextDue() const {
  Clock::time_point due = Clock::time_point::max();
  for (const Backend& backend : backends_) {
    if (!backend.pending.empty()) due = std::min(due, backend.next_attempt);
  }
  // Drop counts are logged even while nothing can be sent.
  return std::min(due, Clock::now() + options_.log_interval);
}

void UploadingSink::Run() {
  MarkThreadAsAgent();  // our allocations are not the app's
  identity_.runtime_version = NodeVersionOfExecutable();
  bool transport_tried = false;

  std::unique_lock lock(mutex_);
  while (!abandoned_) {
    wake_.wait_until(lock, NextDue(), [this] { return HasWorkNow(Clock::now()); });
    if (abandoned_) break;
    std::vector<QueuedProfile> profiles;
    while (!inbox_.empty()) {
      profiles.push_back(std::move(inbox_.front()));
      inbox_.pop_front();
    }
    const uint64_t inbox_dropped = inbox_.TakeDropped();
    const bool flushing = flushing_;
    lock.unlock();

    if (!transport_tried && !profiles.empty()) {
      transport_tried = true;
      transport_ = HttpTransport::Create(options_.user_agent);
      if (transport_ == nullptr && file_fallback_) fallback_sink_ = file_fallback_();
    }
    for (Backend& backend : backends_) backend.dropped += inbox_dropped;
    if (transport_ == nullptr) {
      // No libcurl: uploads are off; the files the user would otherwise not get.
      for (const QueuedProfile& profile : profiles) {
        if (fallback_sink_) fallback_sink_->Deliver({profile.kind, profile.window, profile.encoded, profile.is_final});
      }
    } else {
      PrepareAll(profiles);
      for (Backend& backend : backends_) {
        const bool due = flushing ? !backend.failed_during_flush : Clock::now() >= backend.next_attempt;
        if (!backend.pending.empty() && due && !abandoned_) AttemptOne(backend);
        LogDrops(backend, false);
      }
    }

    lock.lock();
    if (flushing_ && !flush_done_ && inbox_.empty()) {
      const bool finished = transport_ == nullptr ||
                            std::all_of(backends_.begin(), backends_.end(), [](const Backend& backend) {
                              return backend.pending.empty() || backend.failed_during_flush;
                            });
      if (finished) {
        flush_done_ = true;
        flushed_.notify_all();
      }
    }
  }
}

void UploadingSink::PrepareAll(std::vector<QueuedProfile>& profiles) {
  for (const QueuedProfile& profile : profiles) {
    std::string error;
    const std::optional<pprof::ProfileData> decoded = pprof::DecodeProfile(profile.encoded, &error);
    if (!decoded) {
      Log(LogLevel::kError, "could not decode our own %s profile for upload: %s", profile.kind.c_str(), error.c_str());
      continue;
    }
    for (Backend& backend : backends_) {
      std::optional<PreparedUpload> upload = backend.exporter->Prepare(profile, *decoded, identity_);
      if (!upload) continue;
      const size_t bytes = upload->request.body.size() + upload->request.url.size();
      backend.dropped += backend.pending.Push(std::move(*upload), bytes);
    }
  }
}

void UploadingSink::AttemptOne(Backend& backend) {
  // Profiles the backend would refuse as too old are dropped unsent.
  if (const auto max_age = backend.exporter->max_age()) {
    const int64_t oldest_allowed = UnixNanosNow() - std::chrono::nanoseconds(*max_age).count();
    while (!backend.pending.empty() && backend.pending.front().window_end_unix_nanos < oldest_allowed) {
      backend.pending.pop_front();
      ++backend.stale;
    }
    if (backend.pending.empty()) return;
  }
  PreparedUpload& upload = backend.pending.front();
  HttpTimeouts timeouts = options_.timeouts;
  const auto now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (flushing_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(flush_deadline_ - now);
      if (left.count() <= 0) {
        backend.failed_during_flush = true;
        return;
      }
      timeouts.total = std::min(timeouts.total, left);
      timeouts.connect = std::min(timeouts.connect, left);
    }
  }
  const HttpResponse response = transport_->Post(upload.request, timeouts, [this] { return ShouldAbortTransfer(); });
  if (abandoned_) return;
  switch (JudgeResponse(response)) {
    case UploadVerdict::kDelivered:
      if (backend.backoff.failures() > 0) {
        Log(LogLevel::kInfo, "%s: uploads go through again", backend.exporter->name());
      }
      Log(LogLevel::kDebug, "%s: sent a %s (%zu bytes)", backend.exporter->name(), upload.what.c_str(),
          upload.request.body.size());
      backend.pending.pop_front();
      backend.backoff.Reset();
      backend.next_attempt = Clock::now();
      break;
    case UploadVerdict::kRetry: {
      const double delay = backend.backoff.NextDelay(response.retry_after_seconds);
      backend.next_attempt = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(delay * 1000));
      {
        std::lock_guard lock(mutex_);
        if (flushing_) backend.failed_during_flush = true;
      }
      // The first failure in a row is worth a line; the rest only in debug.
      const LogLevel level = backend.backoff.failures() == 1 ? LogLevel::kWarn : LogLevel::kDebug;
      const std::string what = response.status == 0 ? response.error : "HTTP " + std::to_string(response.status);
      Log(level, "%s: upload failed (%s); retrying in %.1fs, keeping at most %zu KiB of profiles meanwhile",
          backend.exporter->name(), what.c_str(), delay, backend.pending.max_bytes() >> 10);
      break;
    }
    case UploadVerdict::kReject:
      // Retrying would get the same answer: say why once, drop it.
      if (backend.rejected++ == 0) {
        Log(LogLevel::kWarn, "%s", backend.exporter->ExplainRejection(response, upload).c_str());
      }
      backend.pending.pop_front();
      backend.backoff.Reset();
      break;
  }
}

void UploadingSink::LogDrops(Backend& backend, bool force) {
  const auto now = Clock::now();
  if (!force && now - backend.last_log < options_.log_interval) return;
  if (backend.dropped == 0 && backend.stale == 0 && backend.rejected <= 1) return;
  std::string counts;
  const auto count = [&](uint64_t n, const char* what) {
    if (n == 0) return;
    counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  count(backend.dropped, "dropped oldest first (HEAPAGENT_UPLOAD_QUEUE_BYTES bounds the queue)");
  count(backend.stale, "too old for the backend");
  count(backend.rejected, "rejected");
  Log(LogLevel::kWarn, "%s: profiles not delivered since the last report: %s (queue bound %zu KiB)",
      backend.exporter->name(), counts.c_str(), backend.pending.max_bytes() >> 10);
  backend.dropped = backend.stale = 0;
  backend.rejected = 0;
  backend.last_log = now;
}

}  // namespace heapagent
