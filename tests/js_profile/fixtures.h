// Sampling heap profiles shared by the js_profile tests: a small hand-written
// CDP reply whose every value is known, and the real node 20 reply captured by
// data/capture_sampling_profile.js.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "cdp/sampling_heap_profile.h"

namespace heapagent::testing_fixtures {

// (root) 1
// ├── main 2             file:///app/main.js line 9 col 4 (0-based)
// │   ├── leaky 3        line 19 col 15: samples ordinal 1 (4096 B), 2 (8192 B)
// │   └── "" 4           line 29 col 0:  sample ordinal 3 (4100 B)
// └── (GC) 5             sample ordinal 4 (8200 B)
inline constexpr std::string_view kHandWrittenReply = R"json({"profile":{"head":
{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,"children":[
 {"callFrame":{"functionName":"main","scriptId":"5","url":"file:///app/main.js","lineNumber":9,"columnNumber":4},"selfSize":0,"id":2,"children":[
  {"callFrame":{"functionName":"leaky","scriptId":"5","url":"file:///app/main.js","lineNumber":19,"columnNumber":15},"selfSize":12288,"id":3,"children":[]},
  {"callFrame":{"functionName":"","scriptId":"5","url":"file:///app/main.js","lineNumber":29,"columnNumber":0},"selfSize":4100,"id":4,"children":[]}]},
 {"callFrame":{"functionName":"(GC)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":8200,"id":5,"children":[]}]},
"samples":[{"size":4096,"nodeId":3,"ordinal":1},{"size":8192,"nodeId":3,"ordinal":2},
           {"size":4100,"nodeId":4,"ordinal":3},{"size":8200,"nodeId":5,"ordinal":4}]}})json";

inline std::string ReadTestData(const std::string& name) {
  std::ifstream file(std::string(HEAPAGENT_JS_PROFILE_TEST_DATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(file.good()) << name;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The real reply: `result` of HeapProfiler.getSamplingProfile on node 20.
inline std::string RealNode20Reply() { return ReadTestData("node20_sampling_profile.json"); }

inline cdp::SamplingHeapProfile ParseOrFail(std::string_view json) {
  std::string error;
  auto profile = cdp::ParseSamplingHeapProfile(json, &error);
  EXPECT_TRUE(profile.has_value()) << error;
  return profile.value_or(cdp::SamplingHeapProfile{});
}

}  // namespace heapagent::testing_fixtures
