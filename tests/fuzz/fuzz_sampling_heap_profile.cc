// Fuzzes cdp::ParseSamplingHeapProfile with arbitrary bytes as the CDP reply.
//
// Checked, beyond "no crash, no sanitizer report, no stack overflow":
//   - failure gives a non-empty, one-line error; success leaves it alone;
//   - a parsed profile keeps the documented invariants: nodes[0] is the root
//     (parent -1), every other node's parent precedes it, the tree is within
//     the depth and size caps, node ids are unique, and every kept sample's
//     node_index names the node with its node_id;
//   - parsing is deterministic.
// Building the pprof from the result is covered by tests/js_profile; the
// fuzz build does not link pprof/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cdp/sampling_heap_profile.h"

namespace {

using namespace heapagent::cdp;

#define FUZZ_CHECK(condition)                                                            \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

void CheckInvariants(const SamplingHeapProfile& profile) {
  FUZZ_CHECK(!profile.nodes.empty());
  FUZZ_CHECK(profile.nodes.size() <= kMaxProfileNodes);
  FUZZ_CHECK(profile.nodes[0].parent == -1);
  std::vector<int32_t> depth(profile.nodes.size(), 0);
  std::unordered_set<int64_t> ids;
  for (size_t i = 0; i < profile.nodes.size(); ++i) {
    const JsProfileNode& node = profile.nodes[i];
    FUZZ_CHECK(ids.insert(node.id).second);
    FUZZ_CHECK(node.self_size >= 0);
    if (i == 0) continue;
    FUZZ_CHECK(node.parent >= 0 && static_cast<size_t>(node.parent) < i);
    depth[i] = depth[node.parent] + 1;
    FUZZ_CHECK(depth[i] <= kMaxProfileTreeDepth);
  }
  for (const JsSample& sample : profile.samples) {
    FUZZ_CHECK(sample.node_index >= 0 && static_cast<size_t>(sample.node_index) < profile.nodes.size());
    FUZZ_CHECK(profile.nodes[sample.node_index].id == sample.node_id);
    FUZZ_CHECK(sample.size >= 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  std::string error = "untouched";
  const auto profile = ParseSamplingHeapProfile(json, &error);
  if (!profile.has_value()) {
    FUZZ_CHECK(!error.empty() && error != "untouched");
    FUZZ_CHECK(error.find('\n') == std::string::npos);
    FUZZ_CHECK(!ParseSamplingHeapProfile(json, nullptr).has_value());
    return 0;
  }
  FUZZ_CHECK(error == "untouched");
  CheckInvariants(*profile);
  const auto again = ParseSamplingHeapProfile(json, nullptr);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->nodes.size() == profile->nodes.size());
  FUZZ_CHECK(again->samples.size() == profile->samples.size());
  FUZZ_CHECK(again->dropped_samples == profile->dropped_samples);
  return 0;
}
