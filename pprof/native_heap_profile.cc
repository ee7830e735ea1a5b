#include "pprof/native_heap_profile.h"

#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <vector>

#include "pprof/mapping_names.h"
#include "pprof/profile_builder.h"
#include "sampling/interpreter_frames.h"

namespace heapagent::pprof {
namespace {

// Maps the symbolizer's frames and modules onto the builder's tables,
// creating each pprof mapping, function and location once.
class NativeLocations {
 public:
  NativeLocations(ProfileBuilder& builder, Symbolizer& symbolizer) : builder_(builder), symbolizer_(symbolizer) {}

  uint64_t ForReturnAddress(uintptr_t return_address) {
    if (auto found = locations_.find(return_address); found != locations_.end()) return found->second;
    const SymbolizedFrame& frame = symbolizer_.Symbolize(return_address);
    const uint64_t function = builder_.InternFunction(frame.function, frame.system_name, frame.file);
    const LineInfo line{function, frame.line, frame.column};
    const uint64_t address = IsJsBytecodeFrame(return_address) ? JsBytecodeAddress(return_address) : return_address - 1;
    const uint64_t location = builder_.InternLocation(MappingId(frame.mapping), address, {&line, 1});
    locations_.emplace(return_address, location);
    return location;
  }

  uint64_t ForPlaceholder(const char* name) {
    const LineInfo line{builder_.InternFunction(name, name, ""), 0};
    return builder_.InternLocation(0, 0, {&line, 1});
  }

 private:
  uint64_t MappingId(int index) {
    if (index == SymbolizedFrame::kJsCode) return JsMappingId();
    if (index < 0) return 0;
    if (auto found = mappings_.find(index); found != mappings_.end()) return found->second;
    const ModuleMapping& module = symbolizer_.mappings()[index];
    MappingInfo mapping;
    mapping.memory_start = module.start;
    mapping.memory_limit = module.limit;
    mapping.file_offset = module.file_offset;
    mapping.filename = module.path;
    mapping.build_id = module.build_id;
    // Every location carries its function already: tell pprof and Pyroscope
    // not to re-symbolise (they would overwrite our names otherwise).
    mapping.has_functions = true;
    mapping.has_filenames = module.has_lines;
    mapping.has_line_numbers = module.has_lines;
    const uint64_t id = builder_.AddMapping(mapping);
    mappings_.emplace(index, id);
    return id;
  }

  // JS functions V8 compiled get a mapping of their own, named "[js]", so
  // that viewers can tell (and colour) JS frames in native stacks.
  uint64_t JsMappingId() {
    if (js_mapping_ == 0) {
      js_mapping_ = builder_.AddMapping({.filename = std::string(kJsMappingName),
                                         .has_functions = true,
                                         .has_filenames = true,
                                         .has_line_numbers = true});
    }
    return js_mapping_;
  }

  ProfileBuilder& builder_;
  Symbolizer& symbolizer_;
  uint64_t js_mapping_ = 0;
  std::unordered_map<uintptr_t, uint64_t> locations_;
  std::unordered_map<int, uint64_t> mappings_;
};

}  // namespace

std::string BuildNativeHeapProfile(const NativeHeapSnapshot& snapshot, Symbolizer& symbolizer,
                                   const ProfileWindow& window) {
  ProfileBuilder builder;
  builder.AddSampleType("alloc_objects", "count");
  builder.AddSampleType("alloc_space", "bytes");
  builder.AddSampleType("inuse_objects", "count");
  builder.AddSampleType("inuse_space", "bytes");
  builder.SetDefaultSampleType("inuse_space");
  builder.SetPeriodType("space", "bytes", std::llround(snapshot.mean_interval_bytes));
  builder.SetTimeNanos(window.start_unix_nanos);
  builder.SetDurationNanos(window.end_unix_nanos - window.start_unix_nanos);

  char comment[256];
  std::snprintf(comment, sizeof comment,
                "heapagent native heap: mean sampling interval %.0f bytes, %zu live samples, %zu stacks, "
                "%llu samples dropped (live table full), %llu stacks overflowed",
                snapshot.mean_interval_bytes, snapshot.live_samples, snapshot.distinct_stacks,
                static_cast<unsigned long long>(snapshot.dropped_live_samples),
                static_cast<unsigned long long>(snapshot.overflowed_stacks));
  builder.AddComment(comment);
  if (window.at_exit) builder.AddComment(kAtExitComment);

  symbolizer.AllowModuleRefresh();
  NativeLocations locations(builder, symbolizer);
  std::vector<uint64_t> location_ids;
  for (const NativeSite& site : snapshot.sites) {
    const int64_t values[4] = {std::llround(site.alloc_objects), std::llround(site.alloc_bytes),
                               std::llround(site.inuse_objects), std::llround(site.inuse_bytes)};
    if (values[0] == 0 && values[1] == 0 && values[2] == 0 && values[3] == 0) continue;
    location_ids.clear();
    for (uintptr_t frame : site.frames) location_ids.push_back(locations.ForReturnAddress(frame));
    if (location_ids.empty()) location_ids.push_back(locations.ForPlaceholder("[heapagent: stack not recorded]"));
    builder.AddSample(location_ids, values);
  }
  return builder.Encode();
}

}  // namespace heapagent::pprof
