// Synthetic profiles for the cli units: JS-heap-shaped (inuse_samples,
// inuse_space, age labels, no mappings) and native-shaped (four heap types,
// a mapping), built with ProfileBuilder and decoded back, as the CLI would
// read them from the agent's files.
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "pprof/profile_builder.h"
#include "pprof/profile_data.h"

namespace heapagent::cli::testing {

struct JsSite {
  std::string function;
  std::string file;
  double bytes = 0;      // in use
  double old_bytes = 0;  // of which labelled age=old
  std::string caller = "main";
};

inline constexpr double kJsSampleBytes = 16384;

inline pprof::ProfileData JsProfile(const std::vector<JsSite>& sites, int64_t time_nanos) {
  pprof::ProfileBuilder builder;
  builder.AddSampleType("inuse_samples", "count");
  builder.AddSampleType("inuse_space", "bytes");
  builder.SetPeriodType("space", "bytes", static_cast<int64_t>(kJsSampleBytes));
  builder.SetTimeNanos(time_nanos);
  for (const JsSite& site : sites) {
    const pprof::LineInfo caller_line{builder.InternFunction(site.caller, site.caller, "file:///app/main.js"), 1, 1};
    const pprof::LineInfo site_line{builder.InternFunction(site.function, site.function, site.file), 10, 3};
    const uint64_t caller = builder.InternLocation(0, 0, {&caller_line, 1});
    const uint64_t leaf = builder.InternLocation(0, 0, {&site_line, 1});
    const std::vector<uint64_t> stack = {leaf, caller};
    for (const auto& [bytes, age] : {std::pair{site.bytes - site.old_bytes, "new"}, std::pair{site.old_bytes, "old"}}) {
      const double samples = std::round(bytes / kJsSampleBytes);
      if (samples <= 0) continue;
      builder.AddSample(stack, std::vector<int64_t>{static_cast<int64_t>(samples), static_cast<int64_t>(samples * kJsSampleBytes)},
                        std::vector<pprof::Label>{{.key = "age", .str = age}});
    }
  }
  const uint64_t external_line_function = builder.InternFunction("(external)", "(external)", "");
  const pprof::LineInfo external_line{external_line_function, 0, 0};
  const uint64_t external = builder.InternLocation(0, 0, {&external_line, 1});
  builder.AddSample(std::vector<uint64_t>{external}, std::vector<int64_t>{1, 1 << 20});
  std::string error;
  return *pprof::DecodeProfile(builder.Encode(), &error);
}

}  // namespace heapagent::cli::testing
