// The PromQL subset's evaluator over a SeriesSource, and the Prometheus functions it transcribes
// (extrapolatedRate, bucketQuantile). See promql_subset.h for the semantics; the parser that
// builds the tree of promql_expr.h is in promql_parse.cpp.

// GCC 12 at -O2 with the sanitizers reports a false -Wmaybe-uninitialized inside std::regex's
// compiler (a std::function member of its NFA states); it is not our code and cannot be fixed here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "agent/source/promql_subset.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/source/promql_expr.h"

namespace opspilot::agent::promql {

double extrapolated_rate(std::span<const Point> points, TimePoint range_start, TimePoint range_end,
                         bool is_rate) {
  // A transcription of Prometheus' extrapolatedRate (promql/functions.go) with isCounter = true.
  if (points.size() < 2) return std::nan("");
  const Point& first = points.front();
  const Point& last = points.back();
  double result = last.v - first.v;
  double previous = 0;
  for (const Point& p : points) {  // a drop is a counter reset: the counter restarted from 0
    if (p.v < previous) result += previous;
    previous = p.v;
  }
  double to_start = to_seconds(first.t - range_start);
  double to_end = to_seconds(range_end - last.t);
  const double sampled = to_seconds(last.t - first.t);
  const double average_step = sampled / static_cast<double>(points.size() - 1);
  const double threshold = average_step * 1.1;
  if (to_start >= threshold) to_start = average_step / 2;
  if (result > 0 && first.v >= 0) {  // do not extrapolate below zero
    to_start = std::min(to_start, sampled * (first.v / result));
  }
  if (to_end >= threshold) to_end = average_step / 2;
  double factor = (sampled + to_start + to_end) / sampled;
  if (is_rate) factor /= to_seconds(range_end - range_start);
  return result * factor;
}

namespace {

bool almost_equal(double a, double b, double epsilon) {
  if (a == b) return true;
  const double min_normal = std::numeric_limits<double>::min();
  const double abs_sum = std::abs(a) + std::abs(b);
  const double diff = std::abs(a - b);
  if (a == 0 || b == 0 || abs_sum < min_normal) return diff < epsilon * min_normal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

}  // namespace

double bucket_quantile(double phi, std::vector<Bucket> buckets) {
  // A transcription of Prometheus' bucketQuantile (promql/quantile.go).
  if (std::isnan(phi)) return phi;
  if (phi < 0) return -std::numeric_limits<double>::infinity();
  if (phi > 1) return std::numeric_limits<double>::infinity();
  if (buckets.empty()) return std::nan("");
  std::sort(buckets.begin(), buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (!std::isinf(buckets.back().upper_bound) || buckets.back().upper_bound < 0) return std::nan("");
  std::vector<Bucket> merged;  // coalesce buckets with the same bound (e.g. from several series)
  for (const Bucket& b : buckets) {
    if (!merged.empty() && merged.back().upper_bound == b.upper_bound) merged.back().count += b.count;
    else merged.push_back(b);
  }
  // Rates of cumulative buckets scraped at slightly different moments can dip: make them monotonic.
  double prev = merged.front().count;
  for (std::size_t i = 1; i < merged.size(); ++i) {
    const double cur = merged[i].count;
    if (cur == prev) continue;
    if (almost_equal(prev, cur, 1e-12) || cur < prev) {
      merged[i].count = prev;
      continue;
    }
    prev = cur;
  }
  if (merged.size() < 2) return std::nan("");
  const double observations = merged.back().count;
  if (observations == 0) return std::nan("");
  double rank = phi * observations;
  std::size_t b = 0;
  while (b < merged.size() - 1 && merged[b].count < rank) ++b;
  if (b == merged.size() - 1) return merged[merged.size() - 2].upper_bound;
  if (b == 0 && merged[0].upper_bound <= 0) return merged[0].upper_bound;
  double start = 0;
  double count = merged[b].count;
  if (b > 0) {
    start = merged[b - 1].upper_bound;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return start + (merged[b].upper_bound - start) * (rank / count);
}

namespace {

struct Elem {
  LabelPairs labels;
  double v = 0;
  TimePoint t{};
};

struct Vec {
  std::vector<Elem> elems;
  std::string why_empty;  // set when elems is empty
  std::string nan_note;   // why some values are NaN
};

bool selector_matches(const Expr& sel, const SeriesRef& s) {
  for (const Matcher& m : sel.matchers) {
    std::string_view v;  // an absent label matches as ""
    if (m.label == "__name__") {
      v = s.name;
    } else {
      for (const auto& [name, value] : *s.labels) {
        if (name == m.label) {
          v = value;
          break;
        }
      }
    }
    if (!m.matches(v)) return false;
  }
  return true;
}

std::string window_text(Duration d) {
  const auto ms = d.count();
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Vec eval(const Expr& e, const SeriesSource& src, TimePoint now);

Vec eval_selector(const Expr& e, const SeriesSource& src) {
  Vec out;
  int matched = 0;
  src.for_each(e.metric, [&](const SeriesRef& s) {
    if (!selector_matches(e, s)) return;
    ++matched;
    if (s.current && !s.points.empty()) out.elems.push_back({*s.labels, s.points.back().v, s.points.back().t});
  });
  if (out.elems.empty()) {
    out.why_empty = matched == 0 ? "no series matched " + e.text + " in the scrape"
                                 : "no series matching " + e.text +
                                       " has a finite value in the latest scrape";
  }
  return out;
}

Vec eval_range_function(const Expr& e, const SeriesSource& src, TimePoint now) {
  const Expr& sel = *e.arg;
  const TimePoint start = now - sel.range;
  Vec out;
  int matched = 0;
  std::size_t most_points = 0;
  src.for_each(sel.metric, [&](const SeriesRef& s) {
    if (!selector_matches(sel, s)) return;
    ++matched;
    // Left-open range (start, now], as Prometheus 3 uses.
    auto lo = std::upper_bound(s.points.begin(), s.points.end(), start,
                               [](TimePoint t, const Point& p) { return t < p.t; });
    auto hi = std::upper_bound(lo, s.points.end(), now,
                               [](TimePoint t, const Point& p) { return t < p.t; });
    const std::span<const Point> in(lo, hi);
    most_points = std::max(most_points, in.size());
    if (in.size() < 2) return;
    double v = 0;
    if (e.kind == Kind::Irate) {
      const Point& a = in[in.size() - 2];
      const Point& b = in.back();
      const double delta = b.v < a.v ? b.v : b.v - a.v;  // a drop is a reset: count from zero
      v = delta / to_seconds(b.t - a.t);
    } else {
      v = extrapolated_rate(in, start, now, e.kind == Kind::Rate);
    }
    out.elems.push_back({*s.labels, v, in.back().t});
  });
  if (out.elems.empty()) {
    out.why_empty = matched == 0
                        ? "no series matched " + sel.metric + " in the scrape"
                        : "not enough data: need two scrapes of " + sel.text + " within the last " +
                              window_text(sel.range) + " (have " + std::to_string(most_points) + ")";
  }
  return out;
}

LabelPairs group_key(const LabelPairs& labels, const Expr& e) {
  LabelPairs key;
  for (const auto& kv : labels) {
    const bool listed = std::find(e.grouping.begin(), e.grouping.end(), kv.first) != e.grouping.end();
    if (listed != e.without) key.push_back(kv);
  }
  return key;
}

Vec eval_aggregation(const Expr& e, const SeriesSource& src, TimePoint now) {
  Vec in = eval(*e.arg, src, now);
  if (in.elems.empty()) return in;
  struct Acc {
    double sum = 0, min = 0, max = 0;
    int count = 0;
    TimePoint t{};
  };
  std::map<LabelPairs, Acc> groups;
  for (const Elem& x : in.elems) {
    Acc& a = groups[group_key(x.labels, e)];
    a.min = a.count == 0 ? x.v : std::min(a.min, x.v);
    a.max = a.count == 0 ? x.v : std::max(a.max, x.v);
    a.sum += x.v;
    ++a.count;
    a.t = std::max(a.t, x.t);
  }
  Vec out;
  out.nan_note = in.nan_note;
  for (auto& [key, a] : groups) {
    double v = a.sum;
    switch (e.op) {
      case AggOp::Sum: break;
      case AggOp::Avg: v = a.sum / a.count; break;
      case AggOp::Min: v = a.min; break;
      case AggOp::Max: v = a.max; break;
      case AggOp::Count: v = a.count; break;
    }
    out.elems.push_back({key, v, a.t});
  }
  return out;
}

Vec eval_quantile(const Expr& e, const SeriesSource& src, TimePoint now) {
  Vec in = eval(*e.arg, src, now);
  if (in.elems.empty()) return in;
  struct Group {
    std::vector<Bucket> buckets;
    TimePoint t{};
  };
  std::map<LabelPairs, Group> groups;
  for (Elem& x : in.elems) {
    auto le = std::find_if(x.labels.begin(), x.labels.end(), [](const auto& kv) { return kv.first == "le"; });
    if (le == x.labels.end()) continue;
    std::string_view bound = le->second;
    if (!bound.empty() && bound.front() == '+') bound.remove_prefix(1);  // "+Inf"
    double ub = 0;
    const auto [ptr, ec] = std::from_chars(bound.data(), bound.data() + bound.size(), ub);
    if (ec != std::errc() || ptr != bound.data() + bound.size()) continue;
    x.labels.erase(le);
    Group& g = groups[x.labels];
    g.buckets.push_back({ub, x.v});
    g.t = std::max(g.t, x.t);
  }
  Vec out;
  if (groups.empty()) {
    out.why_empty = "no series with an \"le\" label: histogram_quantile() needs _bucket series";
    return out;
  }
  for (auto& [key, g] : groups) {
    const bool has_inf = std::any_of(g.buckets.begin(), g.buckets.end(),
                                     [](const Bucket& b) { return std::isinf(b.upper_bound) && b.upper_bound > 0; });
    const double v = bucket_quantile(e.phi, g.buckets);
    if (std::isnan(v)) {
      out.nan_note = has_inf ? "histogram_quantile() is NaN: the histogram has no observations in the window"
                             : "histogram_quantile() is NaN: the histogram has no le=\"+Inf\" bucket";
    }
    out.elems.push_back({key, v, g.t});
  }
  return out;
}

Vec eval(const Expr& e, const SeriesSource& src, TimePoint now) {
  switch (e.kind) {
    case Kind::Selector: return eval_selector(e, src);
    case Kind::Rate:
    case Kind::Irate:
    case Kind::Increase: return eval_range_function(e, src, now);
    case Kind::Aggregate: return eval_aggregation(e, src, now);
    case Kind::Quantile: return eval_quantile(e, src, now);
  }
  return {};
}

}  // namespace

EvalResult Query::evaluate(const SeriesSource& source, TimePoint now) const {
  Vec vec = eval(*root_, source, now);
  EvalResult r;
  if (vec.elems.empty()) {
    r.reason = vec.why_empty;
    return r;
  }
  const bool quantile = root_->kind == Kind::Quantile;
  double v = quantile ? -std::numeric_limits<double>::infinity() : 0.0;
  for (const Elem& x : vec.elems) {
    if (std::isnan(x.v)) continue;
    v = quantile ? std::max(v, x.v) : v + x.v;
    r.sampled_at = std::max(r.sampled_at, x.t);
    ++r.series;
    // Kept for signals read per series (a pod's latency); bounded, like the history behind it.
    if (std::isfinite(x.v) && r.by_series.size() < 256) r.by_series.emplace_back(x.labels, x.v);
  }
  if (r.series == 0) {
    r.reason = vec.nan_note.empty() ? "the value of " + text_ + " is NaN" : vec.nan_note;
  } else if (!std::isfinite(v)) {
    r.reason = "the value of " + text_ + " is not finite (" + std::to_string(v) + ")";
  } else {
    r.value = v;
  }
  return r;
}

}  // namespace opspilot::agent::promql
