// Growth statistics of the leak finder; the method is described in
// leak_statistics.h.
#include "cli/leak_statistics.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace heapagent::cli {
namespace {

constexpr double kMinStandardError = 1e-9;

}  // namespace

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double TheilSenSlope(std::span<const SeriesPoint> points) {
  std::vector<double> slopes;
  for (size_t i = 0; i < points.size(); ++i) {
    for (size_t j = i + 1; j < points.size(); ++j) {
      const double dt = points[j].minutes - points[i].minutes;
      if (dt != 0) slopes.push_back((points[j].value - points[i].value) / dt);
    }
  }
  if (slopes.empty()) return 0;
  const size_t middle = slopes.size() / 2;
  std::nth_element(slopes.begin(), slopes.begin() + middle, slopes.end());
  if (slopes.size() % 2 == 1) return slopes[middle];
  const double upper = slopes[middle];
  const double lower = *std::max_element(slopes.begin(), slopes.begin() + middle);
  return (lower + upper) / 2;
}

LinearFit WeightedLinearFit(std::span<const SeriesPoint> points) {
  LinearFit fit;
  double sum_w = 0, sum_wt = 0, sum_wy = 0;
  for (const SeriesPoint& p : points) {
    const double se = std::max(p.standard_error, kMinStandardError);
    const double w = 1 / (se * se);
    sum_w += w;
    sum_wt += w * p.minutes;
    sum_wy += w * p.value;
  }
  if (points.size() < 2 || sum_w == 0) {
    fit.slope_standard_error = INFINITY;
    return fit;
  }
  const double mean_t = sum_wt / sum_w, mean_y = sum_wy / sum_w;
  double sxx = 0, sxy = 0;
  for (const SeriesPoint& p : points) {
    const double se = std::max(p.standard_error, kMinStandardError);
    const double w = 1 / (se * se);
    sxx += w * (p.minutes - mean_t) * (p.minutes - mean_t);
    sxy += w * (p.minutes - mean_t) * (p.value - mean_y);
  }
  if (sxx == 0) {
    fit.slope_standard_error = INFINITY;
    return fit;
  }
  fit.slope = sxy / sxx;
  fit.intercept = mean_y - fit.slope * mean_t;
  double chi_square = 0;
  for (const SeriesPoint& p : points) {
    const double se = std::max(p.standard_error, kMinStandardError);
    const double residual = (p.value - (fit.intercept + fit.slope * p.minutes)) / se;
    chi_square += residual * residual;
  }
  const double reduced = points.size() > 2 ? chi_square / static_cast<double>(points.size() - 2) : 1;
  fit.slope_standard_error = std::sqrt(1 / sxx) * std::sqrt(std::max(1.0, reduced));
  return fit;
}

double MannKendallZ(std::span<const SeriesPoint> points) {
  const double n = static_cast<double>(points.size());
  if (points.size() < 3) return 0;
  double s = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    for (size_t j = i + 1; j < points.size(); ++j) {
      s += (points[j].value > points[i].value) - (points[j].value < points[i].value);
    }
  }
  const double variance = n * (n - 1) * (2 * n + 5) / 18;
  if (s > 0) return (s - 1) / std::sqrt(variance);
  if (s < 0) return (s + 1) / std::sqrt(variance);
  return 0;
}

GrowthAssessment AssessGrowth(std::span<const SeriesPoint> values, std::span<const SeriesPoint> old_values,
                              const GrowthOptions& options) {
  GrowthAssessment result;
  const size_t n = values.size();
  size_t skip = static_cast<size_t>(std::floor(static_cast<double>(n) * options.warmup_fraction));
  if (n >= 5) skip = std::max<size_t>(skip, 1);
  if (n < skip + options.min_window_points) return result;
  result.window_begin = skip;
  result.window_points = n - skip;
  const std::span<const SeriesPoint> window = values.subspan(skip);

  result.rate_per_minute = TheilSenSlope(window);
  const LinearFit overall = WeightedLinearFit(window);
  result.trend_z = overall.slope / overall.slope_standard_error;
  result.trend_confidence = NormalCdf(result.trend_z - 2);

  result.mann_kendall_z = MannKendallZ(window);
  result.monotonic_confidence = NormalCdf(result.mann_kendall_z - 1.645);

  const size_t late_points = std::max<size_t>(3, (window.size() + 1) / 2);
  const LinearFit late = WeightedLinearFit(window.subspan(window.size() - late_points));
  result.late_rate_per_minute = late.slope;
  // Still growing at the end: at least half the overall rate, and by itself
  // distinguishable from flat.
  result.persistence_confidence =
      overall.slope > 0 ? NormalCdf((late.slope - overall.slope / 2) / late.slope_standard_error) *
                              NormalCdf(late.slope / late.slope_standard_error - 1)
                        : 0;

  if (old_values.size() == n) {
    const LinearFit old_fit = WeightedLinearFit(old_values.subspan(skip));
    result.survival_confidence = NormalCdf(old_fit.slope / old_fit.slope_standard_error - 1);
  }
  result.confidence = result.trend_confidence * result.monotonic_confidence *
                      result.persistence_confidence * result.survival_confidence;
  if (!std::isfinite(result.confidence) || result.rate_per_minute <= 0) result.confidence = 0;
  return result;
}

}  // namespace heapagent::cli
