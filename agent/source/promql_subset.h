#pragma once
// The part of PromQL the sidecar evaluates itself, so that one signal text works in both modes:
// in controller mode it is sent to Prometheus, in sidecar mode (ScrapeSource) it is parsed here
// and evaluated on the samples scraped from the workload's own /metrics.
//
// Supported, and nothing else (everything else is refused at parse time with the 1-based column
// and what was expected):
//   name  |  name{l="v", l!="v", l=~"re", l!~"re"}       instant selector (regexes fully anchored,
//                                                         ECMAScript syntax, compiled once)
//   rate(sel[W])  irate(sel[W])  increase(sel[W])         W: 30s, 1m, 5m, 1h, 1h30m, 500ms, ...
//   sum|avg|min|max|count [by|without (l, ...)] (expr) [by|without (l, ...)]
//   histogram_quantile(φ, expr)                           φ a number literal
//
// Semantics follow Prometheus: ranges are left-open (now-W, now]; rate()/increase() extrapolate
// like Prometheus' extrapolatedRate (counter resets add the value before the drop; extrapolation
// stops at the window's edges, at 1.1 average intervals past the samples, and where the counter
// would reach zero); irate() uses the last two points; histogram_quantile() interpolates linearly
// within the bucket, needs an le="+Inf" bucket, makes cumulative counts monotonic, returns the
// upper bound of the second-highest bucket when the rank falls in the +Inf bucket, and is NaN
// when the histogram has no observations.
//
// A signal is ONE number, so the vector a query yields is reduced: several series are SUMMED
// (a bare selector or rate() over several label sets gives their total), except when the query is
// a histogram_quantile() that still yields several series (grouping kept labels other than le):
// a quantile of a sum is not a sum of quantiles, so the largest — the worst latency — is taken.
// An empty vector, or only NaN values, is "no data" with the reason in words.
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/clock.h"

namespace opspilot::agent::promql {

/// A series' labels without __name__, sorted by label name.
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

struct Point {
  TimePoint t;
  double v = 0;  // finite: non-finite samples never enter a history
};

/// One series as stored by whoever scraped it.
struct SeriesRef {
  std::string_view name;
  const LabelPairs* labels = nullptr;
  std::span<const Point> points;  // oldest first, strictly increasing times
  bool current = false;           // present in the most recent successful scrape
};

/// What a query is evaluated on. Implemented by the sidecar's per-target history
/// (scrape_source.h) and by tests.
class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  /// Calls `fn` for every stored series named `metric`.
  virtual void for_each(std::string_view metric,
                        const std::function<void(const SeriesRef&)>& fn) const = 0;
};

/// A query outside the subset, or malformed.
struct QueryError {
  int column = 0;       // 1-based character offset in the query text (newlines count as one)
  std::string message;  // what was found and what was expected
  std::string to_string() const { return "column " + std::to_string(column) + ": " + message; }
};

/// A metric a query reads, and the history it needs (0 for an instant selector).
struct MetricUse {
  std::string name;
  Duration window{0};
};

struct EvalResult {
  std::optional<double> value;  // set when there is data
  std::string reason;           // why there is no value, in words
  TimePoint sampled_at{};       // time of the newest point used
  int series = 0;               // how many series the value was reduced from
  /// The finite values `value` was reduced from, with their labels (at most 256): a per-pod
  /// signal's pods.
  std::vector<std::pair<LabelPairs, double>> by_series;
  bool ok() const { return value.has_value(); }
};

struct Expr;  // the parsed tree, private to promql_expr.h (promql_parse.cpp, promql_eval.cpp)

/// A parsed query. Immutable once parsed.
/// Thread-safety: const methods may be called concurrently (std::regex matching is const).
class Query {
 public:
  /// Parses `text`; on failure `error` tells where and what was expected.
  static std::shared_ptr<const Query> parse(std::string_view text, QueryError* error);

  const std::string& text() const { return text_; }
  /// The metrics this query reads; the sidecar keeps history for exactly these.
  const std::vector<MetricUse>& metrics() const { return metrics_; }
  /// The longest range window in the query (0 when there is none).
  Duration longest_window() const;
  /// The rate()/increase() range selectors whose extrapolated increase scales the query's value
  /// (not those inside histogram_quantile(), where a common factor cancels): with history that
  /// starts inside their window, Prometheus' extrapolation stops short of the window's start
  /// and they read low.
  const std::vector<MetricUse>& extrapolated() const { return extrapolated_; }

  /// Evaluates at `now` over `source`, reduced to one number as the header comment describes.
  EvalResult evaluate(const SeriesSource& source, TimePoint now) const;

  Query(std::string text, std::shared_ptr<const Expr> root, std::vector<MetricUse> metrics);

 private:
  std::string text_;
  std::shared_ptr<const Expr> root_;
  std::vector<MetricUse> metrics_;
  std::vector<MetricUse> extrapolated_;
};

/// Prometheus' extrapolatedRate over points already cut to the range (start, end]: the increase
/// over the range (is_rate = false) or per second (is_rate = true). Requires >= 2 points.
double extrapolated_rate(std::span<const Point> points, TimePoint range_start, TimePoint range_end,
                         bool is_rate);

/// One bucket of a classic histogram: cumulative count of observations <= upper_bound.
struct Bucket {
  double upper_bound = 0;
  double count = 0;
};

/// Prometheus' bucketQuantile: the φ-quantile of `buckets` (any order). NaN when there is no
/// +Inf bucket, fewer than two buckets, or no observations; -Inf/+Inf for φ < 0 / φ > 1.
double bucket_quantile(double phi, std::vector<Bucket> buckets);

}  // namespace opspilot::agent::promql
