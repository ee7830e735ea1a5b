// When to try an upload again: which answers are worth a retry, how long to
// wait (exponential backoff with jitter, never earlier than the server's
// Retry-After), and how to read Retry-After.
//
// Thread-safety: RetryBackoff is one backend's state, used by the uploader
// thread only; the functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace heapagent {

// What the transport saw: an HTTP status, or 0 when no answer came
// (connection refused or reset, timeout, DNS).
struct HttpResponse {
  long status = 0;
  std::string error;                       // transport error text when status == 0
  std::string body;                        // the first bytes of the answer, for the log
  std::optional<double> retry_after_seconds;
};

enum class UploadVerdict {
  kDelivered,  // 2xx
  kRetry,      // no answer, 408, 429, 5xx
  kReject,     // any other status: retrying would get the same answer
};
UploadVerdict JudgeResponse(const HttpResponse& response);

// Retry-After as delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015
// 07:28:00 GMT"), in seconds from `now_unix_seconds` (never negative).
std::optional<double> ParseRetryAfter(std::string_view value, int64_t now_unix_seconds);

class RetryBackoff {
 public:
  RetryBackoff(double initial_seconds, double max_seconds, uint64_t seed)
      : initial_seconds_(initial_seconds), max_seconds_(max_seconds), random_(seed) {}

  // The wait before the next attempt after one more failure: the n-th
  // failure in a row waits initial * 2^(n-1), capped at max, times a random
  // factor in [0.5, 1] (so processes that failed together do not retry
  // together); at least `retry_after` (itself capped at 10 minutes).
  double NextDelay(std::optional<double> retry_after);
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  double initial_seconds_;
  double max_seconds_;
  int failures_ = 0;
  std::mt19937_64 random_;
};

}  // namespace heapagent
