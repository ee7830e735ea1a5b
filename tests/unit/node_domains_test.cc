// Tests for cdp/node_domains.h: NodeWorker events and process.memoryUsage()
// results as node 20 sends them, and hostile variants.
#include "cdp/node_domains.h"

#include <gtest/gtest.h>

namespace heapagent::cdp {
namespace {

TEST(NodeDomainsTest, AttachedToWorkerAsNodeSendsIt) {
  const auto worker = ParseAttachedToWorker(
      R"({"sessionId":"1","workerInfo":{"workerId":"3","type":"worker","title":"[worker 3] cruncher","url":"file:///app/w.js"},"waitingForDebugger":false})");
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->session_id, "1");
  EXPECT_EQ(worker->thread_id, 3);
  EXPECT_EQ(worker->title, "[worker 3] cruncher");
}

TEST(NodeDomainsTest, AttachedToWorkerRejectsWhatItCannotUse) {
  EXPECT_FALSE(ParseAttachedToWorker(R"({"workerInfo":{"workerId":"3"}})"));
  EXPECT_FALSE(ParseAttachedToWorker(R"({"sessionId":"1"})"));
  EXPECT_FALSE(ParseAttachedToWorker(R"({"sessionId":1,"workerInfo":{}})"));
  EXPECT_FALSE(ParseAttachedToWorker("[1,2]"));
  EXPECT_FALSE(ParseAttachedToWorker(R"({"sessionId":"1","workerInfo":{"workerId":"3")"));
  // An id that is not a small decimal is kept as unknown (0), not misread.
  const auto odd = ParseAttachedToWorker(R"({"sessionId":"s","workerInfo":{"workerId":"-7x"}})");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->thread_id, 0);
}

TEST(NodeDomainsTest, DetachedFromWorker) {
  EXPECT_EQ(ParseDetachedFromWorker(R"({"sessionId":"12"})"), "12");
  EXPECT_FALSE(ParseDetachedFromWorker(R"({"sessionId":""})"));
  EXPECT_FALSE(ParseDetachedFromWorker("nope"));
}

TEST(NodeDomainsTest, MemoryUsage) {
  const auto usage = ParseMemoryUsage(
      R"({"result":{"type":"object","value":{"rss":51380224,"heapTotal":6438912,"heapUsed":5683552,"external":1612345.0,"arrayBuffers":10515}}})");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->rss, 51380224);
  EXPECT_EQ(usage->heap_used, 5683552);
  EXPECT_EQ(usage->external, 1612345);
  EXPECT_EQ(usage->array_buffers, 10515);
  EXPECT_FALSE(ParseMemoryUsage(R"({"result":{"type":"object","value":{"external":-1}}})"));
  EXPECT_FALSE(ParseMemoryUsage(R"({"result":{"type":"undefined"}})"));
  EXPECT_FALSE(ParseMemoryUsage(R"({"exceptionDetails":{}})"));
  EXPECT_FALSE(ParseMemoryUsage(R"({"result":{"value":{"external":1e300}}})"));
}

TEST(NodeDomainsTest, SamplerNotStarted) {
  EXPECT_TRUE(IsSamplerNotStartedError("CDP error -32000: V8 sampling heap profiler was not started."));
  EXPECT_FALSE(IsSamplerNotStartedError("timeout"));
}

}  // namespace
}  // namespace heapagent::cdp
