#include "pprof/js_heap_profile.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_map>
#include <vector>

#include "pprof/profile_builder.h"

namespace heapagent::pprof {
namespace {

// Sizes are doubles from untrusted JSON: llround of a huge one is undefined.
int64_t SaturatingRound(double value) {
  if (!(value < 9.2e18)) return std::numeric_limits<int64_t>::max();
  if (value < 0) return 0;
  return std::llround(value);
}

// profile.proto's Line.column is recent; ProfileBuilder gets it when LineInfo
// has a `column` member, and until then columns are left out.
template <typename Line>
void SetColumn(Line& line, int64_t column) {
  if constexpr (requires { line.column; }) line.column = column;
}

uint64_t PlaceholderLocation(ProfileBuilder& builder, std::string_view name) {
  const LineInfo line{.function_id = builder.InternFunction(name, name, ""), .line = 0};
  return builder.InternLocation(0, 0, {&line, 1});
}

// One thread's profile tree mapped onto the builder's functions and
// locations, each node's location created once.
class JsLocations {
 public:
  JsLocations(ProfileBuilder& builder, const cdp::SamplingHeapProfile& profile)
      : builder_(builder), nodes_(profile.nodes), location_of_node_(profile.nodes.size(), 0) {}

  // The stack of node `index`, leaf first, up to and excluding the root.
  void Stack(int32_t index, std::vector<uint64_t>& location_ids) {
    location_ids.clear();
    // Parents precede children (cdp's parser guarantees it); checking it
    // keeps a hand-built profile with a cycle from looping forever.
    while (index >= 0 && nodes_[index].parent >= 0) {
      location_ids.push_back(ForNode(index));
      const int32_t parent = nodes_[index].parent;
      if (parent >= index) break;
      index = parent;
    }
    if (location_ids.empty()) location_ids.push_back(PlaceholderLocation(builder_, "(no JS frame)"));
  }

 private:
  uint64_t ForNode(int32_t index) {
    uint64_t& location = location_of_node_[index];
    if (location != 0) return location;
    const cdp::JsCallFrame& frame = nodes_[index].frame;
    // Both branches string_view: a `const char*` branch would make the
    // conditional a temporary std::string, and `name` would dangle.
    const std::string_view name =
        frame.function_name.empty() ? std::string_view("(anonymous)") : std::string_view(frame.function_name);
    const int64_t line = frame.line >= 0 ? int64_t{frame.line} + 1 : 0;
    LineInfo line_info{.function_id = builder_.InternFunction(name, name, frame.url, line), .line = line};
    SetColumn(line_info, frame.column >= 0 ? int64_t{frame.column} + 1 : 0);
    location = builder_.InternLocation(0, 0, {&line_info, 1});
    return location;
  }

  ProfileBuilder& builder_;
  const std::vector<cdp::JsProfileNode>& nodes_;
  std::vector<uint64_t> location_of_node_;  // 0 = not created yet
};

// Index of the node a sample belongs to, or -1. Uses the parser's resolved
// index when it checks out, else looks the id up (hand-built profiles).
class NodeResolver {
 public:
  explicit NodeResolver(const cdp::SamplingHeapProfile& profile) : nodes_(profile.nodes) {}

  int32_t IndexOf(const cdp::JsSample& sample) {
    const int32_t hint = sample.node_index;
    if (hint >= 0 && static_cast<size_t>(hint) < nodes_.size() && nodes_[hint].id == sample.node_id) return hint;
    if (index_of_id_.empty()) {
      for (size_t i = 0; i < nodes_.size(); ++i) index_of_id_.emplace(nodes_[i].id, static_cast<int32_t>(i));
    }
    const auto found = index_of_id_.find(sample.node_id);
    return found == index_of_id_.end() ? -1 : found->second;
  }

 private:
  const std::vector<cdp::JsProfileNode>& nodes_;
  std::unordered_map<int64_t, int32_t> index_of_id_;
};

struct Totals {
  uint64_t samples = 0;
  uint64_t objects = 0;  // sum of object_count (exact counts only)
  double bytes = 0;
};

std::vector<Label> ThreadLabels(const JsThreadHeap& thread) {
  std::string name = thread.thread_name;
  if (name.empty()) name = thread.thread_id == 0 ? "Main Event Loop" : "Worker #" + std::to_string(thread.thread_id);
  std::vector<Label> labels;
  labels.push_back({.key = "thread name", .str = std::move(name)});
  labels.push_back({.key = "thread id", .str = std::to_string(thread.thread_id)});
  if (thread.os_thread_id != 0) labels.push_back({.key = "os thread id", .str = std::to_string(thread.os_thread_id)});
  return labels;
}

}  // namespace

std::string BuildJsHeapProfile(std::span<const JsThreadHeap> threads, const JsHeapProfileOptions& options) {
  ProfileBuilder builder;
  builder.AddSampleType(options.exact_object_counts ? "inuse_objects" : "inuse_samples", "count");
  builder.AddSampleType("inuse_space", "bytes");
  builder.SetDefaultSampleType("inuse_space");
  builder.SetPeriodType("space", "bytes", options.sampling_interval);
  builder.SetTimeNanos(options.window.start_unix_nanos);
  builder.SetDurationNanos(options.window.end_unix_nanos - options.window.start_unix_nanos);

  const bool with_ages = options.ages != nullptr;
  uint64_t total_samples = 0;
  uint64_t total_dropped = 0;
  std::vector<std::string> thread_comments;
  std::vector<uint64_t> location_ids;

  for (const JsThreadHeap& thread : threads) {
    std::vector<Label> labels = ThreadLabels(thread);
    Totals totals;
    uint64_t dropped = 0;

    if (thread.profile != nullptr) {
      const cdp::SamplingHeapProfile& profile = *thread.profile;
      dropped = profile.dropped_samples;
      std::vector<bool> is_old;
      if (with_ages) is_old = options.ages->Advance(thread.thread_id, profile.samples);

      // Sum per (node, age): slot = node index * slots_per_node + (old ? 1 : 0).
      const size_t slots_per_node = with_ages ? 2 : 1;
      std::vector<Totals> per_slot(profile.nodes.size() * slots_per_node);
      NodeResolver resolver(profile);
      for (size_t i = 0; i < profile.samples.size(); ++i) {
        const cdp::JsSample& sample = profile.samples[i];
        const int32_t node = resolver.IndexOf(sample);
        if (node < 0) {
          ++dropped;
          continue;
        }
        Totals& slot = per_slot[node * slots_per_node + (with_ages && is_old[i] ? 1 : 0)];
        ++slot.samples;
        slot.objects += sample.object_count;
        slot.bytes += sample.size;
        ++totals.samples;
        totals.bytes += sample.size;
      }

      JsLocations locations(builder, profile);
      if (with_ages) labels.push_back({.key = "age"});
      for (size_t slot_index = 0; slot_index < per_slot.size(); ++slot_index) {
        const Totals& slot = per_slot[slot_index];
        if (slot.samples == 0) continue;
        if (with_ages) labels.back().str = slot_index % slots_per_node == 1 ? "old" : "new";
        locations.Stack(static_cast<int32_t>(slot_index / slots_per_node), location_ids);
        const uint64_t count = options.exact_object_counts ? slot.objects : slot.samples;
        const int64_t values[2] = {static_cast<int64_t>(count), SaturatingRound(slot.bytes)};
        builder.AddSample(location_ids, values, labels);
      }
      if (with_ages) labels.pop_back();
    }

    if (thread.external_bytes.has_value()) {
      const uint64_t external = PlaceholderLocation(builder, kExternalFunctionName);
      const int64_t values[2] = {1, *thread.external_bytes};
      builder.AddSample({&external, 1}, values, labels);
    }

    std::string line = "thread \"" + labels.front().str + "\" (id " + std::to_string(thread.thread_id) +
                       "): " + std::to_string(totals.samples) + " samples, " +
                       std::to_string(SaturatingRound(totals.bytes)) + " bytes, " + std::to_string(dropped) +
                       " dropped samples";
    if (thread.external_bytes.has_value()) line += "; external " + std::to_string(*thread.external_bytes) + " bytes";
    if (thread.array_buffer_bytes.has_value()) {
      line += "; array buffers " + std::to_string(*thread.array_buffer_bytes) + " bytes (part of external)";
    }
    thread_comments.push_back(std::move(line));
    total_samples += totals.samples;
    total_dropped += dropped;
  }

  char summary[256];
  std::snprintf(summary, sizeof summary,
                "heapagent JS heap: sampling interval %lld bytes, %llu raw samples, %zu distinct samples "
                "(stack x labels), %llu samples dropped (unknown node id)",
                static_cast<long long>(options.sampling_interval), static_cast<unsigned long long>(total_samples),
                builder.sample_count(), static_cast<unsigned long long>(total_dropped));
  builder.AddComment(summary);
  if (options.window.at_exit) builder.AddComment(kAtExitComment);
  for (const std::string& line : thread_comments) builder.AddComment(line);
  return builder.Encode();
}

}  // namespace heapagent::pprof
