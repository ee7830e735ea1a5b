#include "v8direct/sampler_tree_layout.h"

namespace heapagent::v8direct {

std::optional<SamplerTreeLayout> SamplerTreeLayoutFor(int node_major) {
  // Shared by V8 11.3, 12.4 and 13.6 (sampler_tree_layout.h says how this
  // was checked); only i::HeapProfiler changed: 13.6 dropped members before
  // sampling_heap_profiler_.
  SamplerTreeLayout layout{
      .profiler_sampler = 0,
      .sampler_isolate = 0x0,
      .sampler_root = 0x58,
      .sampler_samples = 0xd8,
      .sampler_stack_depth = 0x110,
      .sampler_rate = 0x118,
      .node_children = 0x30,
      .node_parent = 0x60,
      .node_script_id = 0x68,
      .node_script_position = 0x6c,
      .node_name = 0x70,
      .node_id = 0x78,
      .sample_size = 0x0,
      .sample_owner = 0x8,
      .sample_id = 0x20,
  };
  switch (node_major) {
    case 20:
    case 22:
      layout.profiler_sampler = 0x68;
      return layout;
    case 24:
      layout.profiler_sampler = 0x48;
      return layout;
    default:
      return std::nullopt;
  }
}

}  // namespace heapagent::v8direct
