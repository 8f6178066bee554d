#include "agent/predict/regular_series.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "agent/format.h"

namespace opspilot::agent::forecast {

std::optional<RegularSeries> regularize(const std::vector<std::pair<double, double>>& points,
                                        const RegularizeOptions& options, std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<RegularSeries> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  RegularSeries r;
  r.input_points = points.size();
  std::vector<std::pair<double, double>> pts;
  pts.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].first)) { ++r.bad_timestamps; continue; }
    if (!pts.empty() && points[i].first < pts.back().first) r.reordered = true;
    pts.push_back(points[i]);
  }
  // Stable, so duplicates of one timestamp keep their file order (irrelevant for the mean, but
  // deterministic).
  std::stable_sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<double> spacing;
  for (std::size_t i = 1; i < pts.size(); ++i)
    if (pts[i].first > pts[i - 1].first) spacing.push_back(pts[i].first - pts[i - 1].first);
  if (spacing.empty())
    return fail(std::to_string(spacing.size() + (pts.empty() ? 0 : 1)) +
                " distinct timestamp(s); need at least 2 to infer the step");
  std::nth_element(spacing.begin(), spacing.begin() + static_cast<std::ptrdiff_t>(spacing.size() / 2), spacing.end());
  r.step_seconds = spacing[spacing.size() / 2];
  r.start = pts.front().first;
  const double span = pts.back().first - r.start;
  const double slots = std::floor(span / r.step_seconds + 0.5) + 1;
  if (slots > static_cast<double>(options.max_points))
    return fail("the series would have " + fmt("%.0f", slots) + " points at a step of " + fmt("%g", r.step_seconds) +
                " s over " + fmt("%g", span) + " s; at most " + std::to_string(options.max_points) + " are allowed");

  const auto n = static_cast<std::size_t>(slots);
  std::vector<double> sum(n, 0.0), count(n, 0.0);
  std::vector<char> seen(n, 0);
  for (const auto& [t, v] : pts) {
    const double pos = (t - r.start) / r.step_seconds;
    const auto slot = static_cast<std::size_t>(std::min(std::floor(pos + 0.5), slots - 1));
    if (std::abs(pos - static_cast<double>(slot)) > 0.01) ++r.off_grid;
    if (seen[slot]) ++r.duplicates;
    seen[slot] = 1;
    if (!std::isfinite(v)) { ++r.non_finite; continue; }
    if (v < 0) ++r.negatives;
    sum[slot] += v;
    count[slot] += 1;
  }
  r.y.assign(n, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < n; ++i) {
    if (count[i] > 0) r.y[i] = sum[i] / count[i];
    else ++r.gaps;
  }

  const std::string step = fmt("%g", r.step_seconds) + " s";
  r.notes.push_back("step " + step + " (median spacing of " + std::to_string(pts.size()) + " timestamps), " +
                    std::to_string(n) + " slots");
  if (r.bad_timestamps) r.notes.push_back(std::to_string(r.bad_timestamps) + " points with a non-finite timestamp dropped");
  if (r.reordered) r.notes.push_back("points were not in time order: sorted");
  if (r.duplicates) r.notes.push_back(std::to_string(r.duplicates) + " points fell on an occupied slot: merged (mean)");
  if (r.off_grid) r.notes.push_back(std::to_string(r.off_grid) + " timestamps off the " + step + " grid: snapped to the nearest slot");
  if (r.non_finite) r.notes.push_back(std::to_string(r.non_finite) + " NaN/inf values treated as gaps");
  if (r.gaps) r.notes.push_back(std::to_string(r.gaps) + " of " + std::to_string(n) + " slots have no value (gaps)");
  if (r.negatives && options.non_negative)
    r.notes.push_back(std::to_string(r.negatives) + " negative values in a quantity declared non-negative");
  return r;
}

}  // namespace opspilot::agent::forecast
