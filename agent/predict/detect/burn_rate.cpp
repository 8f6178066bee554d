// SLO burn rate, multi-window and multi-burn-rate (Google SRE workbook, "Alerting on SLOs").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "agent/predict/detect/detect_internal.h"
#include "agent/predict/detect/detector.h"

namespace opspilot::agent::detect {

std::vector<BurnWindow> default_burn_windows() {
  // For a 30-day budget: 2% of it in 1 h, 5% in 6 h (page); 10% in 1 d, 10% in 3 d (ticket).
  return {{3600, 300, 14.4, "page"}, {21600, 1800, 6, "page"}, {86400, 7200, 3, "ticket"},
          {259200, 21600, 1, "ticket"}};
}

namespace {

/// Event counts over one window length, in `n` buckets of length/n seconds each. Bounded.
struct Ring {
  double length = 0, width = 0;
  std::vector<long long> bucket;  // bucket number (floor(t / width)) held by each slot
  std::vector<double> good, total;

  Ring(double len, std::size_t n)
      : length(len), width(len / static_cast<double>(n)), bucket(n, -1), good(n), total(n) {}
  void add(double t, double g, double tot) {
    const auto b = static_cast<long long>(std::floor(t / width));
    const std::size_t slot = static_cast<std::size_t>(((b % static_cast<long long>(bucket.size())) +
                                                       static_cast<long long>(bucket.size())) %
                                                      static_cast<long long>(bucket.size()));
    if (bucket[slot] != b) bucket[slot] = b, good[slot] = 0, total[slot] = 0;
    good[slot] += g, total[slot] += tot;
  }
  /// Error ratio over the buckets that overlap (now - window, now]; NaN with no events.
  double error_ratio(double now, double window) const {
    const auto cur = static_cast<long long>(std::floor(now / width));
    const auto span = static_cast<long long>(std::ceil(window / width - 1e-9));
    double g = 0, tot = 0;
    for (std::size_t i = 0; i < bucket.size(); ++i)
      if (bucket[i] > cur - span && bucket[i] <= cur) g += good[i], tot += total[i];
    return tot > 0 ? (tot - g) / tot : std::nan("");
  }
};

}  // namespace

struct BurnRate::Impl {
  std::string series;
  BurnRateOptions o;
  internal::InputGate gate;
  std::vector<Ring> rings;  // one per distinct window length, shortest first
  double now = 0;
  bool firing = false;
  double firing_since = 0;

  Impl(std::string s, BurnRateOptions opt) : series(std::move(s)), o(std::move(opt)) {
    std::vector<double> lengths;
    for (const auto& w : o.windows) lengths.push_back(w.long_seconds), lengths.push_back(w.short_seconds);
    std::sort(lengths.begin(), lengths.end());
    lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
    const std::size_t n = std::max<std::size_t>(o.buckets_per_window, 1);
    for (double len : lengths)
      if (len > 0) rings.emplace_back(len, n);
  }
  double budget() const { return std::max(1e-12, 1.0 - o.objective); }
  double burn(double window) const {
    // The finest ring that covers the window.
    for (const Ring& r : rings)
      if (r.length + 1e-9 >= window) {
        const double ratio = r.error_ratio(now, window);
        return std::isnan(ratio) ? 0 : ratio / budget();
      }
    if (rings.empty()) return 0;
    const double ratio = rings.back().error_ratio(now, rings.back().length);
    return std::isnan(ratio) ? 0 : ratio / budget();
  }
};

BurnRate::BurnRate(std::string series, BurnRateOptions o) : impl_(std::make_unique<Impl>(std::move(series), std::move(o))) {}
BurnRate::~BurnRate() = default;
BurnRate::BurnRate(BurnRate&&) noexcept = default;
BurnRate& BurnRate::operator=(BurnRate&&) noexcept = default;
double BurnRate::burn_rate(double window_seconds) const { return impl_->burn(window_seconds); }
InputCounts BurnRate::input_counts() const { return impl_->gate.counts(); }

std::size_t BurnRate::state_bytes() const {
  std::size_t bytes = sizeof(*this) + sizeof(Impl) + impl_->o.windows.capacity() * sizeof(BurnWindow);
  for (const auto& w : impl_->o.windows) bytes += w.severity.capacity() > 15 ? w.severity.capacity() + 1 : 0;
  for (const Ring& r : impl_->rings)
    bytes += sizeof(Ring) + r.bucket.capacity() * sizeof(long long) + (r.good.capacity() + r.total.capacity()) * sizeof(double);
  return bytes;
}

std::vector<BurnAlert> BurnRate::alerts() const {
  std::vector<BurnAlert> out;
  for (const auto& w : impl_->o.windows) {
    BurnAlert a;
    a.window = w;
    a.long_burn = impl_->burn(w.long_seconds);
    a.short_burn = impl_->burn(w.short_seconds);
    a.firing = a.long_burn >= w.factor && a.short_burn >= w.factor;
    out.push_back(a);
  }
  return out;
}

Signal BurnRate::update_ratio(double t, double error_ratio) {
  if (std::isfinite(error_ratio) && (error_ratio < 0 || error_ratio > 1)) {
    impl_->gate.refuse(internal::Refusal::kNonFinite);
    Signal s;
    s.detector = "burn-rate";
    s.series = impl_->series;
    s.value = error_ratio;
    s.explanation = impl_->series + " error ratio " + internal::num(error_ratio) +
                    " is outside [0, 1]; skipped";
    return s;
  }
  return update_counts(t, 1.0 - error_ratio, std::isnan(error_ratio) ? std::nan("") : 1.0);
}

Signal BurnRate::update_counts(double t, double good, double total) {
  Impl& m = *impl_;
  Signal s;
  s.detector = "burn-rate";
  s.series = m.series;
  if (std::isnan(good) || std::isnan(total)) {
    m.gate.refuse(internal::Refusal::kGap);
    return internal::refused_signal("burn-rate", m.series, t, good, internal::Refusal::kGap, m.gate.last_t());
  }
  if (!std::isfinite(good) || !std::isfinite(total) || total < 0 || good < 0 || good > total) {
    m.gate.refuse(internal::Refusal::kNonFinite);
    s.value = good;
    s.explanation = m.series + " counts good " + internal::num(good) + " of total " + internal::num(total) +
                    " are not valid (expected 0 <= good <= total, finite); skipped";
    return s;
  }
  if (m.gate.check_time(t) != internal::Refusal::kNone)
    return internal::refused_signal("burn-rate", m.series, t, good, internal::Refusal::kOutOfOrder, m.gate.last_t());
  m.now = t;
  for (Ring& r : m.rings) r.add(t, good, total);

  // The most urgent rule: firing before not, page before ticket, then the highest binding ratio.
  double best_ratio = -1;
  const BurnWindow* best = nullptr;
  BurnAlert best_alert;
  bool any_page = false, any_ticket = false;
  const auto all = alerts();
  auto rank = [](const BurnAlert& a, double ratio) {
    return std::make_tuple(a.firing, a.window.severity == "page", ratio);
  };
  for (std::size_t i = 0; i < all.size(); ++i) {
    const BurnAlert& a = all[i];
    const double ratio = std::min(a.long_burn, a.short_burn) / std::max(a.window.factor, 1e-12);
    if (a.firing) (a.window.severity == "page" ? any_page : any_ticket) = true;
    if (!best || rank(a, ratio) > rank(best_alert, best_ratio)) {
      best_ratio = ratio, best_alert = a, best = &m.o.windows[i];
    }
  }
  const bool firing = any_page || any_ticket;
  if (firing && !m.firing) m.firing_since = t;
  m.firing = firing;
  // Scores by urgency: a firing page rule scores in [0.9, 1), a firing ticket rule in
  // [0.6, 0.85), and a rule approaching its factor (binding ratio r < 1) 0.49 r^2; within a band
  // the score grows with how far past its factor the rule burns.
  double score;
  if (any_page) score = 0.9 + 0.1 * (1 - 1 / std::max(best_ratio, 1.0));
  else if (any_ticket) score = 0.6 + 0.25 * (1 - 1 / std::max(best_ratio, 1.0));
  else score = 0.49 * std::min(best_ratio, 1.0) * std::min(best_ratio, 1.0);
  s.score = std::clamp(score, 0.0, 1.0);
  s.anomalous = firing;
  s.value = total > 0 ? (total - good) / total : 0;
  s.expected = 1.0 - m.o.objective;
  s.unit = "x budget burn";
  if (best) {
    s.deviation = best_alert.long_burn;
    if (firing) s.since = m.firing_since;
    if (firing || s.score >= 0.3) {
      char buf[260];
      auto span = [](double sec) {
        return sec >= 86400 ? std::to_string(static_cast<int>(sec / 86400)) + "d"
               : sec >= 3600 ? std::to_string(static_cast<int>(sec / 3600)) + "h"
                             : std::to_string(static_cast<int>(sec / 60)) + "m";
      };
      std::snprintf(buf, sizeof buf,
                    "%s burns the error budget %.1fx over %s and %.1fx over %s, %s the %.1fx %s threshold",
                    m.series.c_str(), best_alert.long_burn, span(best->long_seconds).c_str(), best_alert.short_burn,
                    span(best->short_seconds).c_str(), best_alert.firing ? "above" : "approaching", best->factor,
                    best->severity.c_str());
      s.explanation = buf;
      if (s.since) s.explanation += " since " + internal::clock_time(*s.since);
    } else {
      s.explanation = "normal";
    }
  }
  return s;
}

}  // namespace opspilot::agent::detect
