// The PromQL subset: a recursive-descent parser into a private tree, and its evaluator over a
// SeriesSource. See promql_subset.h for the grammar and the semantics.

// GCC 12 at -O2 with the sanitizers reports a false -Wmaybe-uninitialized inside std::regex's
// compiler (a std::function member of its NFA states); it is not our code and cannot be fixed here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "agent/source/promql_subset.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <regex>


namespace opspilot::agent::promql {

enum class Kind { Selector, Rate, Irate, Increase, Aggregate, Quantile };
enum class AggOp { Sum, Avg, Min, Max, Count };

struct Matcher {
  enum class Op { Eq, Neq, Re, Nre } op = Op::Eq;
  std::string label;
  std::string value;
  std::shared_ptr<const std::regex> re;  // compiled once, anchored: ^(?:value)$

  bool matches(std::string_view v) const {
    switch (op) {
      case Op::Eq: return v == value;
      case Op::Neq: return v != value;
      case Op::Re: return std::regex_match(v.begin(), v.end(), *re);
      case Op::Nre: return !std::regex_match(v.begin(), v.end(), *re);
    }
    return false;
  }
};

struct Expr {
  Kind kind = Kind::Selector;
  // Selector
  std::string metric;
  std::vector<Matcher> matchers;
  Duration range{0};
  std::string text;  // the selector as written, for messages
  // Aggregate
  AggOp op = AggOp::Sum;
  bool without = false;
  std::vector<std::string> grouping;
  // Quantile
  double phi = 0;
  std::shared_ptr<const Expr> arg;  // Rate/Irate/Increase: the range selector; others: the input
};

namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

constexpr const char* kExprExpected =
    "expected a metric selector, rate(), irate(), increase(), sum(), avg(), min(), max(), count() "
    "or histogram_quantile()";

struct Named {
  std::string_view name;
  int id;
};
constexpr Named kAggregations[] = {{"sum", int(AggOp::Sum)},   {"avg", int(AggOp::Avg)},
                                   {"min", int(AggOp::Min)},   {"max", int(AggOp::Max)},
                                   {"count", int(AggOp::Count)}};
constexpr Named kFunctions[] = {{"rate", int(Kind::Rate)},
                                {"irate", int(Kind::Irate)},
                                {"increase", int(Kind::Increase)},
                                {"histogram_quantile", int(Kind::Quantile)}};

template <std::size_t N>
int find_named(const Named (&table)[N], std::string_view name) {
  for (const Named& n : table) {
    if (n.name == name) return n.id;
  }
  return -1;
}

/// Recursive descent over the query text. Stops at the first error, which it records with the
/// 1-based column; every parse_* returns nullptr after an error.
class QueryParser {
 public:
  explicit QueryParser(std::string_view text) : text_(text) {}

  std::shared_ptr<Expr> parse_all(QueryError* error) {
    auto e = parse_expr(false);
    if (e) {
      skip_ws();
      if (pos_ < text_.size()) {
        fail(pos_, "expected the end of the query (binary operators, offset, @ and other PromQL "
                   "features are not evaluated in sidecar mode)");
        e.reset();
      }
    }
    if (!e && error) *error = error_;
    return e;
  }

 private:
  void skip_ws() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  /// The token at `at`, quoted, for "found ..." in messages.
  std::string found(std::size_t at) const {
    if (at >= text_.size()) return "the end of the query";
    std::size_t end = at + 1;
    if (is_ident_char(text_[at])) {
      while (end < text_.size() && is_ident_char(text_[end])) ++end;
    } else if (end < text_.size() && (text_[end] == '=' || text_[end] == '~')) {
      ++end;
    }
    return "\"" + std::string(text_.substr(at, end - at)) + "\"";
  }

  std::nullptr_t fail(std::size_t at, const std::string& expected) {
    if (error_.column == 0) {
      error_.column = static_cast<int>(at) + 1;
      error_.message = expected + ", found " + found(at);
    }
    return nullptr;
  }

  bool expect(char c, const std::string& what) {
    skip_ws();
    if (peek() == c) {
      ++pos_;
      return true;
    }
    fail(pos_, what);
    return false;
  }

  std::string_view ident() {
    const std::size_t b = pos_;
    if (pos_ < text_.size() && is_ident_start(text_[pos_])) {
      while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
    }
    return text_.substr(b, pos_ - b);
  }

  /// The keyword "by" or "without" at the cursor, not consumed.
  std::string_view peek_grouping() const {
    std::size_t e = pos_;
    while (e < text_.size() && is_ident_char(text_[e])) ++e;
    const std::string_view w = text_.substr(pos_, e - pos_);
    return (w == "by" || w == "without") ? w : std::string_view();
  }

  std::shared_ptr<Expr> parse_expr(bool allow_range) {
    skip_ws();
    const std::size_t at = pos_;
    const char c = peek();
    if (c == '{') return fail(at, "expected a metric name before '{' (selectors without one are not supported)");
    if ((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+') {
      return fail(at, std::string(kExprExpected) +
                          " (a number is only supported as histogram_quantile()'s first argument)");
    }
    const std::string_view name = ident();
    if (name.empty()) return fail(at, kExprExpected);
    skip_ws();
    const int agg = find_named(kAggregations, name);
    if (agg >= 0 && (peek() == '(' || !peek_grouping().empty())) return parse_aggregation(AggOp(agg));
    const int fn = find_named(kFunctions, name);
    if (fn >= 0 && peek() == '(') return parse_function(Kind(fn), name);
    if (peek() == '(') {
      return fail(at, "expected one of the functions rate, irate, increase, histogram_quantile, "
                      "sum, avg, min, max, count (others are not evaluated in sidecar mode)");
    }
    auto sel = parse_selector(std::string(name), at);
    if (sel && sel->range.count() > 0 && !allow_range) {
      return fail(at, "expected an instant selector (a range selector such as " + sel->text +
                          " is only allowed inside rate(), irate() or increase())");
    }
    return sel;
  }

  std::shared_ptr<Expr> parse_selector(std::string name, std::size_t at) {
    auto e = std::make_shared<Expr>();
    e->kind = Kind::Selector;
    e->metric = std::move(name);
    skip_ws();
    if (peek() == '{') {
      ++pos_;
      for (;;) {
        skip_ws();
        if (peek() == '}') {
          ++pos_;
          break;
        }
        Matcher m;
        const std::size_t label_at = pos_;
        m.label = std::string(ident());
        if (m.label.empty() || m.label.find(':') != std::string::npos) {
          return fail(label_at, "expected a label name or '}'");
        }
        skip_ws();
        const std::string_view op = text_.substr(pos_, 2);
        if (op == "=~") m.op = Matcher::Op::Re;
        else if (op == "!~") m.op = Matcher::Op::Nre;
        else if (op == "!=") m.op = Matcher::Op::Neq;
        else if (peek() == '=') m.op = Matcher::Op::Eq;
        else return fail(pos_, "expected a matcher (=, !=, =~ or !~) after label \"" + m.label + "\"");
        pos_ += m.op == Matcher::Op::Eq ? 1 : 2;
        skip_ws();
        const std::size_t value_at = pos_;
        if (!parse_string(&m.value)) return nullptr;
        if (m.op == Matcher::Op::Re || m.op == Matcher::Op::Nre) {
          try {  // parse time, not the hot path: std::regex reports bad patterns by throwing
            m.re = std::make_shared<const std::regex>("^(?:" + m.value + ")$",
                                                      std::regex::ECMAScript | std::regex::optimize);
          } catch (const std::regex_error& ex) {
            return fail(value_at, "expected a valid regular expression for label \"" + m.label +
                                      "\" (" + ex.what() + ")");
          }
        }
        e->matchers.push_back(std::move(m));
        skip_ws();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        if (peek() == '}') {
          ++pos_;
          break;
        }
        return fail(pos_, "expected ',' or '}' after the label matcher");
      }
    }
    skip_ws();
    if (peek() == '[') {
      ++pos_;
      skip_ws();
      if (!parse_duration(&e->range)) return nullptr;
      if (!expect(']', "expected ']' after the range duration")) return nullptr;
    }
    e->text = std::string(text_.substr(at, pos_ - at));
    while (!e->text.empty() && std::isspace(static_cast<unsigned char>(e->text.back()))) e->text.pop_back();
    return e;
  }

  bool parse_string(std::string* out) {
    const std::size_t at = pos_;
    const char quote = peek();
    if (quote != '"' && quote != '\'' && quote != '`') {
      fail(at, "expected a quoted label value");
      return false;
    }
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == quote) return true;
      if (c != '\\' || quote == '`') {  // backquoted strings are raw
        out->push_back(c);
        continue;
      }
      const char e = peek();
      static constexpr std::string_view kFrom = "\\\"'ntr";
      static constexpr std::string_view kTo = "\\\"'\n\t\r";
      const auto k = kFrom.find(e);
      if (e == '\0' || k == std::string_view::npos) {
        fail(pos_ - 1, "expected an escape \\\\, \\\", \\', \\n, \\t or \\r in the string");
        return false;
      }
      out->push_back(kTo[k]);
      ++pos_;
    }
    fail(at, "expected a closing " + std::string(1, quote) + " for the string starting here");
    return false;
  }

  bool parse_duration(Duration* out) {
    const std::size_t at = pos_;
    std::int64_t total_ms = 0;
    bool any = false;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      std::int64_t n = 0;
      const auto [ptr, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), n);
      if (ec != std::errc()) break;
      pos_ = static_cast<std::size_t>(ptr - text_.data());
      static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
          {"ms", 1},           {"s", 1000},          {"m", 60'000},           {"h", 3'600'000},
          {"d", 86'400'000},   {"w", 604'800'000},   {"y", 31'536'000'000}};
      bool unit = false;
      for (const auto& [u, ms] : kUnits) {
        if (text_.substr(pos_, u.size()) == u) {
          constexpr std::int64_t kMaxMs = 100 * 31'536'000'000;  // 100y: no overflow below
          if (n > kMaxMs / ms || total_ms > kMaxMs - n * ms) {
            fail(at, "expected a duration of at most 100y");
            return false;
          }
          pos_ += u.size();
          total_ms += n * ms;
          unit = any = true;
          break;
        }
      }
      if (!unit) {
        fail(pos_, "expected a duration unit (ms, s, m, h, d, w or y)");
        return false;
      }
    }
    if (!any || total_ms <= 0) {
      fail(at, "expected a positive duration such as 30s, 5m or 1h");
      return false;
    }
    *out = Duration(total_ms);
    return true;
  }

  bool parse_grouping(Expr* e) {
    e->without = ident() == "without";
    if (!expect('(', "expected '(' after \"" + std::string(e->without ? "without" : "by") + "\"")) {
      return false;
    }
    for (;;) {
      skip_ws();
      if (peek() == ')') {
        ++pos_;
        return true;
      }
      const std::size_t at = pos_;
      const std::string_view label = ident();
      if (label.empty()) {
        fail(at, "expected a label name or ')' in the grouping");
        return false;
      }
      e->grouping.emplace_back(label);
      skip_ws();
      if (peek() == ',') ++pos_;
      else if (peek() != ')') {
        fail(pos_, "expected ',' or ')' in the grouping");
        return false;
      }
    }
  }

  std::shared_ptr<Expr> parse_aggregation(AggOp op) {
    auto e = std::make_shared<Expr>();
    e->kind = Kind::Aggregate;
    e->op = op;
    bool grouped = !peek_grouping().empty();
    if (grouped && !parse_grouping(e.get())) return nullptr;
    if (!expect('(', "expected '(' to open the aggregation's argument")) return nullptr;
    e->arg = parse_expr(false);
    if (!e->arg) return nullptr;
    if (!expect(')', "expected ')' to close the aggregation (it takes one argument)")) return nullptr;
    skip_ws();
    if (!grouped && !peek_grouping().empty() && !parse_grouping(e.get())) return nullptr;
    return e;
  }

  std::shared_ptr<Expr> parse_function(Kind kind, std::string_view name) {
    auto e = std::make_shared<Expr>();
    e->kind = kind;
    ++pos_;  // '('
    skip_ws();
    if (kind == Kind::Quantile) {
      const std::size_t at = pos_;
      std::size_t end = pos_;
      while (end < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[end])) ||
                                    text_[end] == '.' || text_[end] == 'e' || text_[end] == 'E' ||
                                    ((text_[end] == '-' || text_[end] == '+') && end > at &&
                                     (text_[end - 1] == 'e' || text_[end - 1] == 'E')))) {
        ++end;
      }
      const auto [ptr, ec] = std::from_chars(text_.data() + at, text_.data() + end, e->phi);
      if (end == at || ec != std::errc() || ptr != text_.data() + end) {
        return fail(at, "expected the quantile as a number literal (e.g. 0.99) as the first "
                        "argument of histogram_quantile()");
      }
      if (e->phi < 0 || e->phi > 1) return fail(at, "expected a quantile between 0 and 1");
      pos_ = end;
      if (!expect(',', "expected ',' after the quantile")) return nullptr;
      e->arg = parse_expr(false);
    } else {
      const std::size_t at = pos_;
      e->arg = parse_expr(true);
      if (e->arg && (e->arg->kind != Kind::Selector || e->arg->range.count() == 0)) {
        return fail(at, "expected a range selector such as name[5m] as the argument of " +
                            std::string(name) + "()");
      }
    }
    if (!e->arg) return nullptr;
    if (!expect(')', "expected ')' to close " + std::string(name) + "()")) return nullptr;
    return e;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  QueryError error_;
};

void collect_metrics(const Expr& e, std::vector<MetricUse>* out) {
  if (e.kind == Kind::Selector) {
    for (MetricUse& m : *out) {
      if (m.name == e.metric) {
        m.window = std::max(m.window, e.range);
        return;
      }
    }
    out->push_back(MetricUse{e.metric, e.range});
    return;
  }
  if (e.arg) collect_metrics(*e.arg, out);
}

}  // namespace

std::shared_ptr<const Query> Query::parse(std::string_view text, QueryError* error) {
  QueryParser parser(text);
  auto root = parser.parse_all(error);
  if (!root) return nullptr;
  std::vector<MetricUse> metrics;
  collect_metrics(*root, &metrics);
  return std::make_shared<const Query>(std::string(text), std::move(root), std::move(metrics));
}

Query::Query(std::string text, std::shared_ptr<const Expr> root, std::vector<MetricUse> metrics)
    : text_(std::move(text)), root_(std::move(root)), metrics_(std::move(metrics)) {}

Duration Query::longest_window() const {
  Duration w{0};
  for (const MetricUse& m : metrics_) w = std::max(w, m.window);
  return w;
}

// ---- evaluation ------------------------------------------------------------------------------

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
