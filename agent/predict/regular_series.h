#pragma once
// From (timestamp, value) pairs as they come in a file to the regular series the forecasting
// library expects (agent/predict/forecast.h): the step inferred, points sorted onto a grid,
// duplicates merged, gaps as NaN, and every repair counted and said in words.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace opspilot::agent::forecast {

struct RegularizeOptions {
  bool non_negative = true;           // the quantity cannot be negative: report negative values
  std::size_t max_points = 2'000'000; // refuse grids larger than this (a wrong step, a bad file)
};

struct RegularSeries {
  double start = 0;                   // unix seconds of y[0]
  double step_seconds = 0;            // the inferred step: median positive spacing
  std::vector<double> y;              // value at start + i * step_seconds; NaN = gap
  std::size_t input_points = 0;       // pairs given
  std::size_t bad_timestamps = 0;     // non-finite timestamps, dropped
  std::size_t duplicates = 0;         // points that fell on an occupied slot, merged (mean)
  std::size_t off_grid = 0;           // timestamps more than 1% of a step off the grid, snapped
  std::size_t non_finite = 0;         // NaN/inf values, left as gaps
  std::size_t negatives = 0;          // values below zero (kept)
  std::size_t gaps = 0;               // slots without a finite value
  bool reordered = false;             // the input was not in time order
  std::vector<std::string> notes;     // each repair above, in words, when it happened
};

/// Regularizes `points` (unix seconds, value) given in file order. Errors are values: nullopt
/// with *error set (when non-null) when no step can be inferred (fewer than 2 distinct finite
/// timestamps) or the grid would exceed options.max_points.
/// Thread-safety: reentrant (no shared state).
std::optional<RegularSeries> regularize(const std::vector<std::pair<double, double>>& points,
                                        const RegularizeOptions& options, std::string* error);

}  // namespace opspilot::agent::forecast
