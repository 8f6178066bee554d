#include "agent/predict/detect/detect_internal.h"

#include "agent/predict/predictor.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace opspilot::agent::detect::internal {

double chi_square_quantile(double p, double k) {
  const double z = normal_quantile(p);
  const double a = 2.0 / (9.0 * k);
  const double c = 1 - a + z * std::sqrt(a);
  return k * c * c * c;
}

Signal refused_signal(const std::string& detector, const std::string& series, double t, double x,
                      Refusal r, double last_t) {
  Signal s;
  s.detector = detector;
  s.series = series;
  s.value = x;
  char buf[200];
  switch (r) {
    case Refusal::kGap:
      std::snprintf(buf, sizeof buf, "%s has no value at %s (gap); state unchanged", series.c_str(),
                    clock_time(t).c_str());
      break;
    case Refusal::kNonFinite:
      std::snprintf(buf, sizeof buf, "%s value %s at %s is not finite; skipped", series.c_str(),
                    num(x).c_str(), clock_time(t).c_str());
      break;
    case Refusal::kOutOfOrder:
      std::snprintf(buf, sizeof buf,
                    "%s timestamp %.3f is not after the last accepted one %.3f (duplicate or out of "
                    "order); skipped",
                    series.c_str(), t, last_t);
      break;
    case Refusal::kNone: buf[0] = 0; break;
  }
  s.explanation = buf;
  return s;
}

std::string clock_time(double t, bool with_date) {
  if (!std::isfinite(t)) return "?";
  const std::time_t secs = static_cast<std::time_t>(std::floor(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
  return buf;
}

std::string num(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a != 0 && (a >= 1e6 || a < 1e-3))
    std::snprintf(buf, sizeof buf, "%.3g", v);
  else if (a >= 100)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (a >= 1)
    std::snprintf(buf, sizeof buf, "%.2f", v);
  else
    std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

std::string describe(const std::string& series, double value, double expected,
                     const char* expected_what, double deviation, const char* unit,
                     const std::optional<double>& since) {
  char buf[320];
  const char* dir = value >= expected ? "above" : "below";
  int n = std::snprintf(buf, sizeof buf, "%s %s is %.1f %s %s the %s %s", series.c_str(),
                        num(value).c_str(), std::fabs(deviation), unit, dir, expected_what,
                        num(expected).c_str());
  if (since && n > 0 && static_cast<std::size_t>(n) < sizeof buf)
    std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), " since %s",
                  clock_time(*since).c_str());
  return buf;
}

void RobustWindow::push(double x) {
  double* first = sorted_.data();
  if (size_ < kCap) {
    double* end = first + size_;
    double* at = std::upper_bound(first, end, x);
    std::memmove(at + 1, at, static_cast<std::size_t>(end - at) * sizeof(double));
    *at = x;
    ++size_;
  } else {
    // Full: the oldest value leaves and x enters; only the values between the two positions
    // move, by one slot, in a single memmove.
    const double old = ring_[head_];
    double* out = std::lower_bound(first, first + size_, old);
    double* in = std::upper_bound(first, first + size_, x);
    if (in > out) {
      --in;  // the slot freed by `old` shifts everything after it down by one
      std::memmove(out, out + 1, static_cast<std::size_t>(in - out) * sizeof(double));
    } else {
      std::memmove(in + 1, in, static_cast<std::size_t>(out - in) * sizeof(double));
    }
    *in = x;
  }
  ring_[head_] = x;
  head_ = (head_ + 1) % kCap;
}

double RobustWindow::quantile(double p) const {
  if (size_ == 0) return 0;
  const double pos = std::clamp(p, 0.0, 1.0) * static_cast<double>(size_ - 1);
  const std::size_t lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, size_ - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted_[lo] + (sorted_[hi] - sorted_[lo]) * frac;
}

double RobustWindow::mad(double center) const {
  if (size_ == 0) return 0;
  // Distances from `center` form two sorted runs: a[i] = center - sorted[right - 1 - i] going
  // left and b[j] = sorted[right + j] - center going right. The MAD is the k-th smallest of their
  // union (k = the lower median's rank), found by binary search on how many come from a.
  const std::size_t k = (size_ - 1) / 2 + 1;
  const std::size_t right = static_cast<std::size_t>(
      std::lower_bound(sorted_.data(), sorted_.data() + size_, center) - sorted_.data());
  const std::size_t nl = right, nr = size_ - right;
  auto a = [&](std::size_t i) { return center - sorted_[right - 1 - i]; };
  auto b = [&](std::size_t j) { return sorted_[right + j] - center; };
  std::size_t lo = k > nr ? k - nr : 0, hi = std::min(k, nl);
  while (true) {
    const std::size_t i = lo + (hi - lo) / 2, j = k - i;
    if (i < hi && j > 0 && b(j - 1) > a(i)) {
      lo = i + 1;  // too few from a
    } else if (i > lo && j < nr && a(i - 1) > b(j)) {
      hi = i - 1;  // too many from a
    } else {
      const double from_a = i > 0 ? a(i - 1) : -INFINITY;
      const double from_b = j > 0 ? b(j - 1) : -INFINITY;
      return std::max(from_a, from_b);
    }
  }
}

}  // namespace opspilot::agent::detect::internal
