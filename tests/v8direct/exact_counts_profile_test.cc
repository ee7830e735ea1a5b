// pprof::BuildJsHeapProfile with exact object counts (the direct path):
// inuse_objects/count carries the sum of V8's scaled counts, bytes unchanged.
#include <gtest/gtest.h>

#include "pprof/js_heap_profile.h"
#include "profile.pb.h"
#include "v8direct/heap_copy_conversion.h"

namespace heapagent::v8direct {
namespace {

TEST(ExactCountsProfileTest, InuseObjectsAreTheSumOfScaledCounts) {
  IsolateHeapCopy copy;
  copy.nodes = {{.node_id = 1, .parent = -1, .name = 1},
                {.node_id = 2, .parent = 0, .name = 2, .url = 3, .script_id = 5, .line = 4, .column = 1}};
  copy.samples = {{.node_id = 2, .count = 16385, .size = 32, .sample_id = 1},
                  {.node_id = 2, .count = 2, .size = 1000000, .sample_id = 2}};
  const std::vector<std::string> strings = {"", "(root)", "retain", "/app.js"};
  std::string problem;
  const auto converted = ToSamplingHeapProfile(copy, strings, &problem);
  ASSERT_TRUE(converted) << problem;

  pprof::JsThreadHeap thread;
  thread.profile = &*converted;
  thread.external_bytes = 1234;
  pprof::JsHeapProfileOptions options;
  options.sampling_interval = 16384;
  options.exact_object_counts = true;
  perftools::profiles::Profile profile;
  ASSERT_TRUE(profile.ParseFromString(pprof::BuildJsHeapProfile({&thread, 1}, options)));
  ASSERT_EQ(profile.sample_type_size(), 2);
  EXPECT_EQ(profile.string_table(profile.sample_type(0).type()), "inuse_objects");
  EXPECT_EQ(profile.string_table(profile.sample_type(0).unit()), "count");
  EXPECT_EQ(profile.string_table(profile.sample_type(1).type()), "inuse_space");
  int64_t objects = 0, bytes = 0, external = 0;
  for (const auto& sample : profile.sample()) {
    const auto& location = profile.location(static_cast<int>(sample.location_id(0)) - 1);
    const auto& function = profile.function(static_cast<int>(location.line(0).function_id()) - 1);
    if (profile.string_table(function.name()) == "(external)") {
      external = sample.value(1);
      EXPECT_EQ(sample.value(0), 1);
      continue;
    }
    EXPECT_EQ(profile.string_table(function.name()), "retain");
    EXPECT_EQ(location.line(0).line(), 4);  // V8's 1-based line, through CDP's 0-based and back
    objects += sample.value(0);
    bytes += sample.value(1);
  }
  EXPECT_EQ(objects, 16385 + 2);
  EXPECT_EQ(bytes, 32 * 16385 + 2000000);
  EXPECT_EQ(external, 1234);
}

TEST(ExactCountsProfileTest, CdpLayoutIsUnchangedByDefault) {
  cdp::SamplingHeapProfile cdp_profile;
  cdp_profile.nodes.push_back({.id = 1, .parent = -1, .frame = {.function_name = "(root)"}});
  cdp_profile.nodes.push_back({.id = 2, .parent = 0, .frame = {.function_name = "f", .line = 3}});
  cdp_profile.samples.push_back({.size = 4096, .node_id = 2, .ordinal = 1});
  pprof::JsThreadHeap thread;
  thread.profile = &cdp_profile;
  perftools::profiles::Profile profile;
  ASSERT_TRUE(profile.ParseFromString(pprof::BuildJsHeapProfile({&thread, 1}, {})));
  EXPECT_EQ(profile.string_table(profile.sample_type(0).type()), "inuse_samples");
  ASSERT_EQ(profile.sample_size(), 1);
  EXPECT_EQ(profile.sample(0).value(0), 1);
  EXPECT_EQ(profile.sample(0).value(1), 4096);
}

}  // namespace
}  // namespace heapagent::v8direct
