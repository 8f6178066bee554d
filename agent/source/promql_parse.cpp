// The PromQL subset's parser: recursive descent over the query text into the private tree of
// promql_expr.h. See promql_subset.h for the grammar; the evaluator is in promql_eval.cpp.

// GCC 12 at -O2 with the sanitizers reports a false -Wmaybe-uninitialized inside std::regex's
// compiler (a std::function member of its NFA states); it is not our code and cannot be fixed here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "agent/source/promql_subset.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/source/promql_expr.h"

namespace opspilot::agent::promql {

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

void collect_extrapolated(const Expr& e, bool in_quantile, std::vector<MetricUse>* out) {
  if ((e.kind == Kind::Rate || e.kind == Kind::Increase) && !in_quantile && e.arg) {
    out->push_back(MetricUse{e.arg->metric, e.arg->range});
    return;
  }
  if (e.arg) collect_extrapolated(*e.arg, in_quantile || e.kind == Kind::Quantile, out);
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
    : text_(std::move(text)), root_(std::move(root)), metrics_(std::move(metrics)) {
  if (root_) collect_extrapolated(*root_, false, &extrapolated_);
}

Duration Query::longest_window() const {
  Duration w{0};
  for (const MetricUse& m : metrics_) w = std::max(w, m.window);
  return w;
}

}  // namespace opspilot::agent::promql
