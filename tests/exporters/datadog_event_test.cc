// Tests for agent/exporters/datadog_event.h: event.json as dd-trace-js sends it.
#include "agent/exporters/datadog_event.h"

#include <gtest/gtest.h>

namespace heapagent {
namespace {

TEST(Iso8601MillisTest, UtcWithMillisecondsAndZ) {
  EXPECT_EQ(Iso8601Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Iso8601Millis(1795600918826'999'999), "2026-11-25T10:01:58.826Z");  // truncated, not rounded
  EXPECT_EQ(Iso8601Millis(-1'000'000), "1969-12-31T23:59:59.999Z");
}

TEST(DatadogEventJsonTest, EveryKeyDdTraceSends) {
  UploadIdentity identity;
  identity.service = "quotes-api";
  identity.env = "staging";
  identity.version = "1.2.3";
  identity.hostname = "h";
  identity.runtime_version = "20.20.2";
  identity.agent_version = "0.1.0";
  identity.kernel_name = "Linux";
  identity.kernel_release = "6.1";
  identity.kernel_version = "#1";
  identity.available_processors = 4;
  DatadogEvent event;
  event.attachments = {"space.pprof"};
  event.start_unix_nanos = 1795600918826'000'000;
  event.end_unix_nanos = 1795600928826'000'000;
  event.family = "node";
  event.tags_profiler = "language:javascript,service:quotes-api";
  event.heap_sampling_interval = 524288;
  event.profiler_types = {"space"};
  EXPECT_EQ(DatadogEventJson(event, identity),
            "{\"attachments\":[\"space.pprof\"],\"start\":\"2026-11-25T10:01:58.826Z\","
            "\"end\":\"2026-11-25T10:02:08.826Z\",\"family\":\"node\",\"version\":\"4\","
            "\"tags_profiler\":\"language:javascript,service:quotes-api\",\"endpoint_counts\":{},"
            "\"info\":{\"application\":{\"env\":\"staging\",\"service\":\"quotes-api\","
            "\"start_time\":\"1970-01-01T00:00:00.000Z\",\"version\":\"1.2.3\"},"
            "\"platform\":{\"hostname\":\"h\",\"kernel_name\":\"Linux\",\"kernel_release\":\"6.1\","
            "\"kernel_version\":\"#1\"},\"profiler\":{\"activation\":\"manual\",\"ssi\":{\"mechanism\":\"none\"},"
            "\"version\":\"0.1.0\",\"serverless\":false,\"settings\":{\"heapSamplingInterval\":524288,"
            "\"profilerTypes\":[\"space\"],\"uploadCompression\":{\"method\":\"gzip\"}},"
            "\"hasMissingSourceMaps\":false},\"runtime\":{\"available_processors\":4,\"engine\":\"nodejs\","
            "\"version\":\"20.20.2\"}}}");
}

}  // namespace
}  // namespace heapagent
