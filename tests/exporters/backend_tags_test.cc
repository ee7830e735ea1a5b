// Tests for agent/exporters/backend_tags.h and ParseTags: the exact series
// name Pyroscope gets and the exact tags_profiler string Datadog gets.
#include "agent/exporters/backend_tags.h"

#include <gtest/gtest.h>

namespace heapagent {
namespace {

UploadIdentity QuotesApi() {
  UploadIdentity identity;
  identity.service = "quotes-api";
  identity.env = "staging";
  identity.version = "1.2.3";
  identity.hostname = "pod-7";
  identity.pid = 42;
  identity.runtime_version = "20.20.2";
  identity.agent_version = "0.1.0";
  identity.runtime_id = "11111111-2222-4333-8444-555555555555";
  return identity;
}

TEST(ParseTagsTest, DdTagsForms) {
  EXPECT_EQ(ParseTags("team:mem,region:eu"), (std::vector<Tag>{{"team", "mem"}, {"region", "eu"}}));
  EXPECT_EQ(ParseTags("team:mem region:eu"), (std::vector<Tag>{{"team", "mem"}, {"region", "eu"}}));
  EXPECT_EQ(ParseTags("a=b, url:http://x"), (std::vector<Tag>{{"a", "b"}, {"url", "http://x"}}));
  EXPECT_EQ(ParseTags("novalue,:x,y:,,"), std::vector<Tag>{});
}

TEST(PyroscopeSeriesNameTest, SdkLabelsThenOursThenTheUsers) {
  UploadIdentity identity = QuotesApi();
  identity.tags = {{"team", "mem"}, {"env", "prod"}};  // replaces env
  EXPECT_EQ(PyroscopeSeriesName(identity, "js"),
            "quotes-api{otel.scope.name=heapagent,otel.scope.version=0.1.0,process.runtime.name=nodejs,"
            "process.runtime.version=20.20.2,heap=js,host.name=pod-7,process.pid=42,env=prod,version=1.2.3,team=mem}");
}

TEST(PyroscopeSeriesNameTest, SanitisesWhatTheServerWouldReject) {
  UploadIdentity identity = QuotesApi();
  identity.service = "my app{x}";
  identity.env = "";  // unset: no label
  identity.runtime_version = "";
  identity.tags = {{"bad key", "a,b}c"}, {"__name__", "x"}};
  const std::string name = PyroscopeSeriesName(identity, "native");
  EXPECT_EQ(name.substr(0, name.find('{')), "my_app_x_");
  EXPECT_EQ(name.find("env="), std::string::npos);
  EXPECT_EQ(name.find("process.runtime.version"), std::string::npos);
  EXPECT_NE(name.find("bad_key=a_b_c"), std::string::npos) << name;
  EXPECT_EQ(name.find("__name__"), std::string::npos);
  EXPECT_NE(name.find("heap=native"), std::string::npos);
}

TEST(DatadogProfilerTagsTest, DdTraceKeysInOrder) {
  UploadIdentity identity = QuotesApi();
  identity.tags = {{"team", "mem"}, {"service", "ignored"}};
  EXPECT_EQ(DatadogProfilerTags(identity, "js", 3, false),
            "language:javascript,runtime:nodejs,runtime_arch:x64,runtime_os:linux,runtime_version:v20.20.2,"
            "process_id:42,profiler_version:0.1.0,format:pprof,service:quotes-api,env:staging,version:1.2.3,"
            "team:mem,runtime-id:11111111-2222-4333-8444-555555555555,snapshot:periodic,profile_seq:3");
  const std::string native = DatadogProfilerTags(identity, "native", 0, true);
  EXPECT_EQ(native.rfind("language:native,", 0), 0u);
  EXPECT_NE(native.find("snapshot:on_shutdown,profile_seq:0"), std::string::npos);
}

TEST(DatadogProfilerTagsTest, NoCommaInsideATag) {
  UploadIdentity identity = QuotesApi();
  identity.env = "a,b";
  identity.tags = {{"k", "x,y"}};
  const std::string tags = DatadogProfilerTags(identity, "js", 0, false);
  EXPECT_NE(tags.find("env:a_b,"), std::string::npos) << tags;
  EXPECT_NE(tags.find("k:x_y,"), std::string::npos) << tags;
}

}  // namespace
}  // namespace heapagent
