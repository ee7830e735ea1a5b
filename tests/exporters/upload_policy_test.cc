// Tests for retry_policy.h, drop_oldest_queue.h and node_version.h.
#include <gtest/gtest.h>

#include "agent/exporters/drop_oldest_queue.h"
#include "agent/exporters/node_version.h"
#include "agent/exporters/retry_policy.h"

namespace heapagent {
namespace {

TEST(JudgeResponseTest, RetryOnlyWhatCanSucceedLater) {
  const auto judge = [](long status) {
    HttpResponse response;
    response.status = status;
    return JudgeResponse(response);
  };
  EXPECT_EQ(judge(200), UploadVerdict::kDelivered);
  EXPECT_EQ(judge(202), UploadVerdict::kDelivered);
  for (long status : {0L, 408L, 429L, 500L, 502L, 503L}) EXPECT_EQ(judge(status), UploadVerdict::kRetry) << status;
  for (long status : {400L, 401L, 403L, 404L, 413L, 422L}) EXPECT_EQ(judge(status), UploadVerdict::kReject) << status;
}

TEST(ParseRetryAfterTest, SecondsAndHttpDate) {
  EXPECT_EQ(ParseRetryAfter(" 120\r\n", 0), 120.0);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 10.0);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0.0);  // in the past
  for (const char* bad : {"", "-1", "soon", "1.5", "Wed, 21 Oct 2015"}) EXPECT_EQ(ParseRetryAfter(bad, 0), std::nullopt) << bad;
}

TEST(RetryBackoffTest, ExponentialJitteredCappedAndHonoursRetryAfter) {
  RetryBackoff backoff(1, 8, 7);
  const double expected_caps[] = {1, 2, 4, 8, 8, 8};
  for (double cap : expected_caps) {
    const double delay = backoff.NextDelay(std::nullopt);
    EXPECT_GE(delay, cap / 2);
    EXPECT_LE(delay, cap);
  }
  backoff.Reset();
  EXPECT_GE(backoff.NextDelay(30.0), 30.0);
  EXPECT_LE(backoff.NextDelay(1e9), 600.0);  // a silly Retry-After is capped
}

TEST(DropOldestQueueTest, BoundedByBytesDropsOldestFirst) {
  DropOldestQueue<int> queue(100);
  EXPECT_EQ(queue.Push(1, 40), 0u);
  EXPECT_EQ(queue.Push(2, 40), 0u);
  EXPECT_EQ(queue.Push(3, 40), 1u);  // 1 goes
  EXPECT_EQ(queue.front(), 2);
  EXPECT_EQ(queue.bytes(), 80u);
  EXPECT_EQ(queue.Push(4, 101), 1u);  // larger than the bound: itself dropped
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.TakeDropped(), 2u);
  EXPECT_EQ(queue.TakeDropped(), 0u);
  queue.pop_front();
  EXPECT_EQ(queue.front(), 3);
  EXPECT_EQ(queue.bytes(), 40u);
}

TEST(NodeVersionTest, FromTheReleaseUrlOrTheInspectorString) {
  using namespace std::string_literals;
  EXPECT_EQ(FindNodeVersion("x\0https://nodejs.org/download/release/v20.20.2/node-v20.20.2.tar.gz\0"s), "20.20.2");
  EXPECT_EQ(FindNodeVersion("/json\0node.js/v22.1.0\0"s), "22.1.0");
  EXPECT_EQ(FindNodeVersion("node.js/vX node.js/v1.2"), "");
  EXPECT_EQ(NodeVersionOfExecutable("/nonexistent"), "");
}

}  // namespace
}  // namespace heapagent
