// The statistics of the leak finder, on one site's series of in-use bytes
// (one point per profile), kept free of profiles so they can be tested on
// synthetic series.
//
// A point carries its standard error from sampling: an estimate made of n
// samples has a relative error of about 1/sqrt(n) (Poisson). AssessGrowth
// turns a series into a growth rate and a confidence that the site leaks:
//
//   1. Warm-up is skipped: the first quarter of the series (at least one
//      point once there are five) is not used; start-up allocations are
//      expected to grow.
//   2. Trend: a weighted least-squares line (weights 1/SE²; the slope's error
//      is widened when the points scatter more than their SEs say) gives a
//      z-score; trend confidence = Φ(z − 2), so a slope within two standard
//      errors of zero never counts.
//   3. Monotonicity: the Mann–Kendall test (z of Kendall's S, continuity
//      corrected); confidence = Φ(z − 1.645). A leak keeps growing; churn and
//      noise go up and down.
//   4. Persistence: the slope of the later half of the window must still be
//      at least half the overall slope and itself above zero; confidence =
//      Φ((late − overall/2) / SE(late)) · Φ(late / SE(late) − 1). A cache
//      that fills and then plateaus fails it.
//   5. Survival (JS, when the profile labels samples with age=old): the bytes
//      of objects already live at the previous profile must grow too;
//      confidence = Φ(z_old − 1). Churn allocates new objects that die.
//
// The confidence is the product of these; the reported rate is the
// Theil–Sen slope (median of pairwise slopes) of the window, robust to a
// single odd period.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <span>

namespace heapagent::cli {

struct SeriesPoint {
  double minutes = 0;         // time since the first profile
  double value = 0;           // in-use bytes of the site
  double standard_error = 0;  // of `value`, from its number of samples
};

struct LinearFit {
  double slope = 0;
  double intercept = 0;
  double slope_standard_error = 0;
};

double NormalCdf(double z);
// Median of the pairwise slopes; 0 for fewer than two distinct times.
double TheilSenSlope(std::span<const SeriesPoint> points);
// Weighted least squares (weights 1/SE², SEs floored at a tiny epsilon); the
// slope's standard error is multiplied by sqrt(reduced χ²) when that is > 1.
LinearFit WeightedLinearFit(std::span<const SeriesPoint> points);
// z of Mann–Kendall's S (with continuity correction); positive = rising.
double MannKendallZ(std::span<const SeriesPoint> points);

struct GrowthOptions {
  double warmup_fraction = 0.25;
  size_t min_window_points = 4;
};

struct GrowthAssessment {
  size_t window_begin = 0;            // index of the first point used
  size_t window_points = 0;           // 0: too short a series, nothing assessed
  double rate_per_minute = 0;         // Theil–Sen slope of the window
  double trend_z = 0;
  double mann_kendall_z = 0;
  double late_rate_per_minute = 0;    // WLS slope of the later half
  double trend_confidence = 0;
  double monotonic_confidence = 0;
  double persistence_confidence = 0;
  double survival_confidence = 1;     // 1 when there is no age information
  double confidence = 0;              // product of the four
};

// `old_values`, when not empty, is the series of bytes labelled age=old, with
// the same points in time as `values`.
GrowthAssessment AssessGrowth(std::span<const SeriesPoint> values, std::span<const SeriesPoint> old_values,
                              const GrowthOptions& options = {});

}  // namespace heapagent::cli
