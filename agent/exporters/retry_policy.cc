#include "agent/exporters/retry_policy.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

namespace heapagent {

UploadVerdict JudgeResponse(const HttpResponse& response) {
  const long status = response.status;
  if (status >= 200 && status < 300) return UploadVerdict::kDelivered;
  if (status == 0 || status == 408 || status == 429 || status >= 500) return UploadVerdict::kRetry;
  return UploadVerdict::kReject;
}

std::optional<double> ParseRetryAfter(std::string_view value, int64_t now_unix_seconds) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' ||
                            value.back() == '\n')) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return static_cast<double>(seconds);
  }
  // IMF-fixdate, the only date form RFC 9110 asks senders to use.
  const std::string text(value);
  tm date{};
  const char* parsed = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &date);
  if (parsed == nullptr || *parsed != '\0') return std::nullopt;
  const int64_t when = static_cast<int64_t>(timegm(&date));
  return static_cast<double>(std::max<int64_t>(0, when - now_unix_seconds));
}

double RetryBackoff::NextDelay(std::optional<double> retry_after) {
  ++failures_;
  const double exponential = initial_seconds_ * std::pow(2.0, std::min(failures_ - 1, 30));
  const double capped = std::min(exponential, max_seconds_);
  const double jittered = capped * std::uniform_real_distribution<double>(0.5, 1.0)(random_);
  constexpr double kLongestRetryAfter = 600;
  if (retry_after) return std::max(jittered, std::min(*retry_after, kLongestRetryAfter));
  return jittered;
}

}  // namespace heapagent
