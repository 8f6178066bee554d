#pragma once
// The parsed form of a PromQL-subset query, shared by the parser (promql_parse.cpp) and the
// evaluator (promql_eval.cpp). Private to agent/source: only those two files include it; the
// public interface is promql_subset.h, which forward-declares Expr.
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/source/promql_subset.h"

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

}  // namespace opspilot::agent::promql
