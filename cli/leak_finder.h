// Leak suspects of one process: turns its series of heap profiles (per heap
// kind) into one in-use series per allocation site, assesses each with
// AssessGrowth (leak_statistics.h) and ranks the sites that grow by
// growth rate × confidence.
//
// A site is, for JS, the allocating function and its script (V8 attributes
// an object to the function running when it was allocated; node's own
// modules and V8 builtins are skipped to the application's innermost frame,
// since they allocate for their caller); for native code, the call stack
// (one C++ function is reached from many places): its first 16 symbolized
// frames, V8's generated code (JIT addresses, Builtins_*) left out.
// Each point's standard error comes from its number of samples: JS profiles
// count them (inuse_samples); for native ones the count is recovered from
// the unsampled object count, the average size and the sampling period.
//
// Thread-safety: plain values and a pure function.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/leak_statistics.h"
#include "cli/profile_files.h"
#include "cli/stack_frames.h"
#include "cli/summary_series.h"

namespace heapagent::cli {

struct LeakSuspect {
  HeapKind kind = HeapKind::kNative;
  Frame site;                      // the allocation site
  std::vector<Frame> stack;        // its heaviest stack in the last profile, leaf first
  std::vector<double> in_use_bytes;  // one per profile of the series
  std::vector<double> samples;       // samples behind each point
  GrowthAssessment growth;
  double score = 0;                // rate × confidence
  bool unseen_in_process = false;  // the process's heap did not grow with it (confidence halved)
  size_t analysed_profiles = 0;    // the first ones; an exit profile is left out

  // In-use bytes at the last analysed profile.
  double InUseNow() const { return analysed_profiles ? in_use_bytes[analysed_profiles - 1] : 0; }
};

// In-use totals of one heap kind, one point per profile.
struct HeapTimeline {
  HeapKind kind = HeapKind::kNative;
  std::vector<double> minutes;
  std::vector<double> in_use_bytes;
  std::vector<std::string> files;
  size_t analysed_profiles = 0;  // the last is left out when taken at exit
  int64_t first_time_nanos = 0;  // the clock origin of `minutes` (0 = unknown)
};

// One whole-process memory figure over time, from the agent's heap summary
// (summary_series.h): the process's RSS, its V8 heaps' used bytes, or the
// native heap as the allocator counts it. The final record (taken while node
// tears down) is left out.
struct ProcessMemorySeries {
  std::string name;  // "RSS", "V8 heap used", "allocator in use"
  std::vector<double> minutes;  // on the same clock as the heap timelines
  std::vector<double> bytes;
  double rate_per_minute = 0;  // Theil–Sen slope after warm-up
  double mann_kendall_z = 0;
  bool grows = false;          // a significant, monotonic rise
  bool plotted = true;         // false for figures derived only to judge suspects
};

struct LeakReport {
  std::vector<HeapTimeline> timelines;
  std::vector<ProcessMemorySeries> process;  // empty without a heap summary
  std::vector<LeakSuspect> suspects;  // best first, confidence >= min_confidence
  std::vector<std::string> notes;     // e.g. "js: 3 profiles, too few to judge"
};

struct LeakOptions {
  double min_confidence = 0.5;
  GrowthOptions growth;
};

// With `summary`, every suspect is also weighed against the whole process:
// a site whose growth the process's own heap does not show (the V8 heap for
// JS sites, the allocator's in-use bytes for native ones, else RSS, growing
// less than a quarter as fast over the same window) is churn or is offset
// elsewhere, and its confidence is halved; the notes say whether the process
// grows and how much of that growth the suspects explain.
LeakReport FindLeaks(const std::vector<ProfileSeries>& series, const LeakOptions& options = {},
                     const SummarySeries* summary = nullptr);

}  // namespace heapagent::cli
