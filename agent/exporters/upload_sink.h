// The sink that ships profiles to the configured backends (Pyroscope, the
// Datadog agent) from one uploader thread of the agent's own, so a slow or
// dead backend never delays node's threads, the collectors, or exit by more
// than the flush budget.
//
//   Deliver (collector threads)        uploader thread
//   copy into the inbox ──────────────> decode once; per backend: Prepare
//   (bounded, drops oldest)             (transform, encode, gzip) into its
//                                       pending queue (bounded, drops oldest);
//                                       POST the oldest when its backoff is
//                                       over; retry network errors, 408,
//                                       429 (Retry-After), 5xx; drop the rest
//                                       with one log line.
//
// Memory: the inbox holds at most queue_bytes of raw profiles, and each
// backend at most queue_bytes of prepared uploads. Drops are counted and
// logged at most once per log_interval per backend.
//
// libcurl is loaded by the uploader thread on its first profile; when it is
// missing, profiles go to `file_fallback` instead (if given): uploads off,
// files on.
//
// Thread-safety: Deliver and Flush may be called from any thread; the
// backends and the transport belong to the uploader thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "agent/exporters/drop_oldest_queue.h"
#include "agent/exporters/http_transport.h"
#include "agent/exporters/retry_policy.h"
#include "agent/exporters/upload_backend.h"
#include "agent/profile_sink.h"

namespace heapagent {

struct UploaderOptions {
  size_t queue_bytes = 8 << 20;
  HttpTimeouts timeouts;
  std::chrono::milliseconds log_interval{60000};  // the period
  std::string user_agent = "heapagent";
  double initial_backoff_seconds = 1;
  double max_backoff_seconds = 60;
};

class UploadingSink final : public ProfileSink {
 public:
  using FileFallback = std::function<std::unique_ptr<ProfileSink>()>;
  UploadingSink(std::vector<std::unique_ptr<UploadBackend>> backends, UploadIdentity identity,
                UploaderOptions options, FileFallback file_fallback);
  // Starts the uploader thread (signals blocked, detached); false if it could not.
  bool Start();
  void Deliver(const FinishedProfile& profile) override;
  // Gives what is queued one chance to go out, ignoring backoff; returns by
  // `deadline`, aborting a transfer still running then. Later profiles are
  // not sent.
  void Flush(std::chrono::steady_clock::time_point deadline) override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Backend {
    std::unique_ptr<UploadBackend> exporter;
    DropOldestQueue<PreparedUpload> pending;
    RetryBackoff backoff;
    Clock::time_point next_attempt{};
    bool failed_during_flush = false;
    uint64_t dropped = 0, stale = 0, rejected = 0;  // not yet logged
    Clock::time_point last_log{};
  };

  void Run();
  void PrepareAll(std::vector<QueuedProfile>& profiles);
  void AttemptOne(Backend& backend);
  void LogDrops(Backend& backend, bool force);
  bool ShouldAbortTransfer() const;
  bool HasWorkNow(Clock::time_point now) const;  // with mutex_ held
  Clock::time_point NextDue() const;

  std::vector<Backend> backends_;
  UploadIdentity identity_;
  UploaderOptions options_;
  FileFallback file_fallback_;
  std::unique_ptr<HttpTransport> transport_;    // uploader thread
  std::unique_ptr<ProfileSink> fallback_sink_;  // uploader thread, when libcurl is missing

  mutable std::mutex mutex_;
  std::condition_variable wake_;      // the uploader: new profile, flush, abandon
  std::condition_variable flushed_;   // Flush: the uploader finished its flush
  DropOldestQueue<QueuedProfile> inbox_;
  bool running_ = false;
  bool flushing_ = false;
  bool flush_done_ = false;
  Clock::time_point flush_deadline_{};
  std::atomic<bool> abandoned_{false};
  std::atomic<int64_t> abort_after_ns_{INT64_MAX};  // steady-clock ns at which transfers abort
};

}  // namespace heapagent
