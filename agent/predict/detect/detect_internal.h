#pragma once
// Pieces shared by the detectors' implementations (not part of the public API): input checks,
// the deviation-to-score mapping, the bounded robust window and sentence formatting.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/predict/detect/detector.h"
#include "agent/predict/predictor.h"

namespace opspilot::agent::detect::internal {

/// Maps a non-negative deviation to a score in [0, 1): 0 at 0, 0.5 at `threshold`, ~0.94 at
/// twice the threshold. Smooth, so scores can be averaged and thresholded anywhere.
inline double deviation_score(double deviation, double threshold) {
  if (!(deviation > 0) || !(threshold > 0)) return 0;
  const double r = deviation / threshold;
  return 1.0 - std::exp2(-r * r);
}

/// 1 - (1 - p) ^ (1 / halflife): the EWMA weight that halves an old value's weight every
/// `halflife` updates (0 or less: no smoothing).
inline double ewma_alpha(double halflife) {
  return halflife > 0 ? 1.0 - std::exp2(-1.0 / halflife) : 1.0;
}

using opspilot::agent::normal_quantile;  // agent/predict/predictor.h

/// Wilson-Hilferty: the p-quantile of chi-square with k degrees of freedom (within ~1% for k >= 2).
double chi_square_quantile(double p, double k);

/// Why an input was refused, if it was.
enum class Refusal { kNone, kGap, kNonFinite, kOutOfOrder };

/// Checks each input against the shared rules (NaN = gap, inf = refused, timestamps strictly
/// increasing) and counts what it refuses. Thread-safety: none.
class InputGate {
 public:
  Refusal check(double t, double x) {
    if (std::isnan(x)) return refuse(Refusal::kGap);
    if (!std::isfinite(x)) return refuse(Refusal::kNonFinite);
    return check_time(t);
  }
  Refusal check_time(double t) {
    if (!std::isfinite(t)) return refuse(Refusal::kOutOfOrder);
    if (has_last_ && !(t > last_t_)) return refuse(Refusal::kOutOfOrder);
    has_last_ = true;
    last_t_ = t;
    ++counts_.accepted;
    return Refusal::kNone;
  }
  Refusal refuse(Refusal r) {
    switch (r) {
      case Refusal::kGap: ++counts_.gaps; break;
      case Refusal::kNonFinite: ++counts_.non_finite; break;
      case Refusal::kOutOfOrder: ++counts_.out_of_order; break;
      case Refusal::kNone: break;
    }
    return r;
  }
  const InputCounts& counts() const { return counts_; }
  double last_t() const { return last_t_; }

 private:
  InputCounts counts_;
  double last_t_ = 0;
  bool has_last_ = false;
};

/// The Signal returned for a refused input: score 0, state unchanged, and why.
Signal refused_signal(const std::string& detector, const std::string& series, double t, double x,
                      Refusal r, double last_t);

/// "12:03:07" (UTC) for a unix time; the date is added when `with_date`.
std::string clock_time(double t_unix_seconds, bool with_date = false);

/// A compact number for sentences: 412, 0.0123, 1.5e+06.
std::string num(double v);

/// One sentence for a signal: "<series> <value> is <dev> <unit> above|below the <what> <expected>
/// since <time>".
std::string describe(const std::string& series, double value, double expected,
                     const char* expected_what, double deviation, const char* unit,
                     const std::optional<double>& since);

/// The last `kCap` admitted values in arrival order and sorted, for streaming median, quartiles
/// and MAD with bounded state (2 * kCap doubles). Insert and evict are O(kCap) memmoves, which
/// at kCap = 40 cost tens of nanoseconds. Thread-safety: none.
class RobustWindow {
 public:
  static constexpr std::size_t kCap = 40;
  void clear() { size_ = 0, head_ = 0; }
  std::size_t size() const { return size_; }
  bool full() const { return size_ == kCap; }
  void push(double x);
  /// Quantile by linear interpolation between order statistics, p in [0, 1]; requires size() > 0.
  double quantile(double p) const;
  double median() const { return quantile(0.5); }
  /// Median absolute deviation from `center`, O(size).
  double mad(double center) const;
  /// The i-th smallest admitted value, i < size().
  double sorted(std::size_t i) const { return sorted_[i]; }

 private:
  std::array<double, kCap> ring_{};
  std::array<double, kCap> sorted_{};
  std::size_t size_ = 0, head_ = 0;
};

}  // namespace opspilot::agent::detect::internal
