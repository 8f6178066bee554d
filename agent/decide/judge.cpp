// The canary / before-after judge: Mann-Whitney U (exact or normal), Hodges-Lehmann shift, an
// effect-size bound on the ratio of the means, and the direction that hurts. See judge.h.
#include "agent/decide/judge.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

namespace opspilot::agent {

const char* to_string(BadDirection d) {
  switch (d) {
    case BadDirection::Increase: return "increase";
    case BadDirection::Decrease: return "decrease";
    case BadDirection::Either: return "either";
  }
  return "unknown";
}

bool bad_direction_from_string(const std::string& s, BadDirection* out) {
  if (s == "increase") *out = BadDirection::Increase;
  else if (s == "decrease") *out = BadDirection::Decrease;
  else if (s == "either") *out = BadDirection::Either;
  else return false;
  return true;
}

const char* to_string(JudgeOutcome o) {
  switch (o) {
    case JudgeOutcome::Pass: return "pass";
    case JudgeOutcome::Fail: return "fail";
    case JudgeOutcome::NoData: return "no_data";
  }
  return "unknown";
}

namespace {

// The exact distribution is used up to this many values per group (as scipy's 'auto' does it);
// the counts then stay below C(40, 20) ≈ 1.4e11, exact in int64 and in a double.
constexpr std::size_t kExactMax = 20;

std::vector<double> finite_sorted(std::span<const double> values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values)
    if (std::isfinite(v)) out.push_back(v);
  std::sort(out.begin(), out.end());
  return out;
}

// Halves before adding so that the midpoint of two huge values of either sign cannot overflow;
// the result equals (a + b) / 2 rounded once, since halving a double is exact.
double midpoint(double a, double b) { return a / 2 + b / 2; }

double median_of_sorted(const std::vector<double>& v) {
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : midpoint(v[n / 2 - 1], v[n / 2]);
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

struct Ranks {
  double u = 0;           // U of the experiment group (midranks for ties)
  double tie_term = 0;    // Σ (t³ − t) over the tie groups of the pooled sample
  bool ties = false;      // any two pooled values equal
  bool all_equal = false; // one tie group holds every value: U carries no information
};

// Ranks the pooled sample by merging the two sorted groups: no pooled copy, O(N).
Ranks rank_groups(const std::vector<double>& c, const std::vector<double>& e) {
  Ranks r;
  const std::size_t n = c.size() + e.size();
  double rank_sum = 0;
  std::size_t i = 0, j = 0, below = 0;
  while (i < c.size() || j < e.size()) {
    const double v = j == e.size() || (i < c.size() && c[i] < e[j]) ? c[i] : e[j];
    std::size_t tc = 0, te = 0;
    while (i < c.size() && c[i] == v) ++i, ++tc;
    while (j < e.size() && e[j] == v) ++j, ++te;
    const std::size_t t = tc + te;
    // The t tied values share ranks below+1 .. below+t: each gets their mean.
    const double midrank = static_cast<double>(below) + (static_cast<double>(t) + 1) / 2;
    rank_sum += static_cast<double>(te) * midrank;
    if (t > 1) {
      r.ties = true;
      const double td = static_cast<double>(t);
      r.tie_term += td * td * td - td;
      if (t == n) r.all_equal = true;
    }
    below += t;
  }
  const double ne = static_cast<double>(e.size());
  r.u = rank_sum - ne * (ne + 1) / 2;
  return r;
}

// Two-sided exact p of U = u for groups of n1 (experiment) and n2 values without ties: every
// choice of the experiment's ranks is equally likely under H0, and the number of choices giving
// each U is the coefficient of the Gaussian binomial [n1+n2 choose n1]_q, built factor by factor
// as [n2+i choose i]_q = [n2+i−1 choose i−1]_q · (1 − q^(n2+i)) / (1 − q^i). Every intermediate
// is a polynomial with integer coefficients bounded by C(40, 20), so int64 counts are exact.
double exact_p(double u, std::size_t n1, std::size_t n2) {
  constexpr std::size_t kSize = kExactMax * kExactMax + kExactMax + 1;  // degree before a division
  std::array<std::int64_t, kSize> c{};
  c[0] = 1;
  std::size_t degree = 0;
  for (std::size_t i = 1; i <= n1; ++i) {
    const std::size_t a = n2 + i;
    for (std::size_t k = degree + a; k >= a; --k) c[k] -= c[k - a];  // × (1 − q^a), top down
    degree += a;
    for (std::size_t k = i; k <= degree; ++k) c[k] += c[k - i];      // ÷ (1 − q^i), bottom up
    degree -= i;
  }
  const auto target = static_cast<std::size_t>(std::llround(u));
  std::int64_t at_or_below = 0, at_or_above = 0, total = 0;
  for (std::size_t k = 0; k <= degree; ++k) {
    total += c[k];
    if (k <= target) at_or_below += c[k];
    if (k >= target) at_or_above += c[k];
  }
  const double p = 2 * static_cast<double>(std::min(at_or_below, at_or_above)) / static_cast<double>(total);
  return std::min(1.0, p);
}

// Orders doubles as unsigned integers (−inf < … < −0 < +0 < … < +inf), so a bisection over the
// integers walks every representable value between two bounds in at most 64 steps.
std::uint64_t order_key(double x) {
  const auto b = std::bit_cast<std::uint64_t>(x);
  return b >> 63 ? ~b : b | (std::uint64_t{1} << 63);
}
double from_order_key(std::uint64_t k) {
  return std::bit_cast<double>(k >> 63 ? k & ~(std::uint64_t{1} << 63) : ~k);
}

// How many pairs have e[i] − c[j] <= t, in O(n1 + n2): the computed difference falls as c[j]
// grows and rises with e[i] (rounding is monotone), so the first j with e[i] − c[j] <= t only
// moves right as i does.
std::size_t count_differences_at_most(const std::vector<double>& c, const std::vector<double>& e, double t) {
  std::size_t count = 0, j = 0;
  for (double ei : e) {
    while (j < c.size() && ei - c[j] > t) ++j;
    count += c.size() - j;
  }
  return count;
}

// The k-th smallest (1-based) of the n1·n2 differences e[i] − c[j], found by bisecting on the
// value: the smallest t with at least k differences <= t is exactly that difference. Never
// materialises the differences (a 10^4 × 10^4 comparison would need 800 MB).
double kth_difference(const std::vector<double>& c, const std::vector<double>& e, std::size_t k,
                      std::uint64_t lo) {
  std::uint64_t hi = order_key(e.back() - c.front());
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (count_differences_at_most(c, e, from_order_key(mid)) >= k) hi = mid;
    else lo = mid + 1;
  }
  return from_order_key(lo) + 0.0;  // + 0.0 turns a −0 into 0
}

double hodges_lehmann(const std::vector<double>& c, const std::vector<double>& e) {
  const std::size_t m = c.size() * e.size();
  const std::uint64_t lo = order_key(e.front() - c.back());
  if (m % 2) return kth_difference(c, e, m / 2 + 1, lo);
  const double below = kth_difference(c, e, m / 2, lo);
  return midpoint(below, kth_difference(c, e, m / 2 + 1, order_key(below)));
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// "experiment median 0.412 vs control 0.12 (+243%), mean ratio 3.3 > 1.1, Mann-Whitney
// p=0.0003 < 0.05 (n=40 vs 40)": the figures behind the outcome, in one clause per test.
std::string figures(const JudgeResult& r, const JudgeSpec& spec, bool significant, bool beyond_bound) {
  std::string s = "experiment median " + number(r.experiment_median) + " vs control " + number(r.control_median);
  if (r.control_median != 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%+.0f%%)",
                  (r.experiment_median - r.control_median) / std::fabs(r.control_median) * 100);
    s += buf;
  }
  char ratio[24];
  std::snprintf(ratio, sizeof ratio, "%.2f", r.effect_size);
  s += ", mean ratio ";
  s += ratio;
  char bound[64];
  switch (spec.bad) {
    case BadDirection::Increase:
      std::snprintf(bound, sizeof bound, " %s %.2f", beyond_bound ? ">" : "<=", spec.max_increase);
      break;
    case BadDirection::Decrease:
      std::snprintf(bound, sizeof bound, " %s %.2f", beyond_bound ? "<" : ">=", spec.min_decrease);
      break;
    case BadDirection::Either:
      std::snprintf(bound, sizeof bound, " %s [%.2f, %.2f]", beyond_bound ? "outside" : "within",
                    spec.min_decrease, spec.max_increase);
      break;
  }
  s += bound;
  char test[96];
  std::snprintf(test, sizeof test, ", Mann-Whitney p=%.2g %s %.3g (%sn=%zu vs %zu)", r.p_value,
                significant ? "<" : ">=", spec.alpha, r.exact ? "exact, " : "", r.n_experiment, r.n_control);
  s += test;
  return s;
}

}  // namespace

JudgeResult judge(std::span<const double> control, std::span<const double> experiment, const JudgeSpec& spec) {
  JudgeResult r;
  const std::vector<double> c = finite_sorted(control);
  const std::vector<double> e = finite_sorted(experiment);
  r.n_control = c.size();
  r.n_experiment = e.size();

  // An empty group has nothing to compare even when min_samples is 0.
  const std::size_t needed = std::max<std::size_t>(spec.min_samples, 1);
  if (c.size() < needed || e.size() < needed) {
    r.outcome = JudgeOutcome::NoData;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "no_data: %zu finite control values (%zu skipped) and %zu finite experiment values "
                  "(%zu skipped), need at least %zu in each group",
                  c.size(), control.size() - c.size(), e.size(), experiment.size() - e.size(), needed);
    r.detail = buf;
    return r;
  }

  r.control_mean = mean_of(c);
  r.experiment_mean = mean_of(e);
  r.control_median = median_of_sorted(c);
  r.experiment_median = median_of_sorted(e);
  if (r.control_mean == 0) {
    r.effect_size = r.experiment_mean == 0 ? 1 : std::copysign(std::numeric_limits<double>::infinity(), r.experiment_mean);
  } else {
    r.effect_size = r.experiment_mean / r.control_mean;
  }

  const Ranks ranks = rank_groups(c, e);
  r.u = ranks.u;
  const double n1 = static_cast<double>(e.size()), n2 = static_cast<double>(c.size()), n = n1 + n2;
  if (ranks.all_equal) {
    r.p_value = 1;  // σ² = 0: every arrangement gives the same U
  } else if (!ranks.ties && e.size() <= kExactMax && c.size() <= kExactMax) {
    r.exact = true;
    r.p_value = exact_p(r.u, e.size(), c.size());
  } else {
    // Normal approximation with the tie-corrected variance and a 0.5 continuity correction
    // towards the mean, as scipy.stats.mannwhitneyu(method='asymptotic', use_continuity=True).
    const double var = n1 * n2 / 12 * ((n + 1) - ranks.tie_term / (n * (n - 1)));
    const double d = r.u - n1 * n2 / 2;
    if (var > 0 && d != 0) {
      // |d| >= 0.5 here: U moves in halves and n1·n2/2 is a multiple of one half.
      r.z = (d - std::copysign(0.5, d)) / std::sqrt(var);
      r.p_value = std::min(1.0, std::erfc(std::fabs(r.z) / std::sqrt(2.0)));
    }
  }

  r.shift = hodges_lehmann(c, e);
  // The shift says which way the bulk moved; when half the pairs or more tie it is 0, and the
  // medians break the tie.
  const double moved = r.shift != 0 ? r.shift : r.experiment_median - r.control_median;
  const bool significant = r.p_value < spec.alpha;
  bool beyond_bound = false;
  switch (spec.bad) {
    case BadDirection::Increase:
      r.worse = moved > 0;
      r.better = significant && moved < 0;
      beyond_bound = r.effect_size > spec.max_increase;
      break;
    case BadDirection::Decrease:
      r.worse = moved < 0;
      r.better = significant && moved > 0;
      beyond_bound = r.effect_size < spec.min_decrease;
      break;
    case BadDirection::Either:
      r.worse = moved != 0;
      beyond_bound = r.effect_size > spec.max_increase || r.effect_size < spec.min_decrease;
      break;
  }
  const bool below_floor = spec.floor > 0 && r.control_mean <= spec.floor && r.experiment_mean <= spec.floor;
  r.outcome = significant && r.worse && beyond_bound && !below_floor ? JudgeOutcome::Fail : JudgeOutcome::Pass;

  r.detail = std::string(to_string(r.outcome)) + ": " + figures(r, spec, significant, beyond_bound);
  if (r.outcome == JudgeOutcome::Pass) {
    if (!significant) r.detail += ": no significant change";
    else if (r.better) r.detail += std::string(": significantly better (bad is ") + to_string(spec.bad) + ")";
    else if (!r.worse) r.detail += ": no shift between the groups";
    else if (!beyond_bound) r.detail += ": significant but within the effect bound";
    else r.detail += ": both means at or below the floor " + number(spec.floor);
  }
  return r;
}

}  // namespace opspilot::agent
