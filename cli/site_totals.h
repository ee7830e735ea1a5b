// Flat and cumulative totals per function (function + file), the numbers of
// `heapagent top` and of a diff's "top growing sites". Flat is what the
// function allocated itself (it is the leaf); cumulative includes its
// callees, counted once per stack even under recursion.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "cli/profile_files.h"
#include "cli/stack_frames.h"

namespace heapagent::cli {

struct SiteTotal {
  Frame frame;  // line is the first one seen
  double flat = 0;
  double cumulative = 0;
};

// Sums `type` over all samples of `profiles`; profiles without that type
// contribute nothing. Sorted by flat, then cumulative, descending.
std::vector<SiteTotal> FunctionTotals(const std::vector<const pprof::ProfileData*>& profiles,
                                      const std::string& type, double* total = nullptr);

// The sample type a command uses when none is asked for: inuse_space, else
// the profile's default type, else its last one (pprof's rule).
std::string DefaultSampleType(const pprof::ProfileData& profile);

}  // namespace heapagent::cli
