// The Prometheus API response decoder: nlohmann::json's SAX events straight into PromResponse,
// without a DOM (see prometheus_client.h for why). The HTTP side is in prometheus_client.cpp.
#include "agent/source/prometheus_client.h"

#include <charconv>
#include <cstdint>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/source/prometheus_internal.h"

namespace opspilot::agent {

namespace prometheus_internal {

std::string quote_text(std::string_view s) {
  std::string out = "\"";
  out.append(s.substr(0, 120));
  if (s.size() > 120) out.append("...");
  out.push_back('"');
  return out;
}

}  // namespace prometheus_internal

const char* to_string(PromResultType t) {
  switch (t) {
    case PromResultType::None: return "none";
    case PromResultType::Vector: return "vector";
    case PromResultType::Matrix: return "matrix";
    case PromResultType::Scalar: return "scalar";
    case PromResultType::String: return "string";
  }
  return "?";
}

std::size_t PromResult::sample_count() const {
  std::size_t n = 0;
  for (const auto& s : series) n += s.samples.size();
  return n;
}

bool parse_prometheus_value(std::string_view text, double& value) {
  // Prometheus writes special values as Go's strconv does: "NaN", "+Inf", "-Inf".
  if (text == "NaN") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "+Inf") {
    value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;
}

namespace {

using json = nlohmann::json;

// Where the decoder is in the document. Prometheus' answer has a fixed shape:
//   {"status":..., "errorType":..., "error":..., "warnings":[...],
//    "data":{"resultType":..., "result":[ {"metric":{...}, "value":[t,"v"] | "values":[[t,"v"],...]}
//                                         | t, "v" (scalar / string) ]}}
// Anything else (future fields, native histograms) is skipped whole.
enum class Ctx : std::uint8_t { Root, Data, Result, Series, Metric, Pair, Values, Warnings };
enum class Field : std::uint8_t {
  Unknown, Status, ErrorType, Error, Warnings, Data, ResultType, Result, Metric, Value, Values
};
enum class Shape : std::uint8_t { Empty, SeriesList, Pair };

using prometheus_internal::quote_text;

class Decoder {
 public:
  explicit Decoder(PromResponse& out) : out_(out) { stack_.reserve(8); }
  const std::string& error() const { return error_; }

  bool null() { return scalar_event("null"); }
  bool boolean(bool) { return scalar_event("a boolean"); }
  bool number_integer(json::number_integer_t v) { return number(static_cast<double>(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return number(static_cast<double>(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return number(v); }
  bool binary(json::binary_t&) { return scalar_event("binary data"); }

  bool string(json::string_t& v) {
    if (skip_ > 0 || stack_.empty()) return skip_ > 0 || fail("expected a JSON object, found a string");
    switch (stack_.back()) {
      case Ctx::Root:
        if (field_ == Field::Status) out_.status = std::move(v);
        else if (field_ == Field::ErrorType) out_.error_type = std::move(v);
        else if (field_ == Field::Error) out_.error = std::move(v);
        else if (field_ != Field::Unknown) return wrong_type("a string");
        return true;
      case Ctx::Data:
        if (field_ == Field::ResultType) return result_type(v);
        return field_ == Field::Unknown || wrong_type("a string");
      case Ctx::Metric:
        out_.result.series.back().labels.insert_or_assign(std::move(label_), std::move(v));
        return true;
      case Ctx::Warnings: out_.result.warnings.push_back(std::move(v)); return true;
      case Ctx::Pair: return pair_string(v);
      case Ctx::Result: return begin_result_pair() && pair_string(v);
      case Ctx::Series: return field_ == Field::Unknown || wrong_type("a string");
      case Ctx::Values: return fail(where() + ": expected a [time, \"value\"] pair, found a string");
    }
    return true;
  }

  bool key(json::string_t& k) {
    if (skip_ > 0) return true;
    switch (stack_.back()) {
      case Ctx::Root:
        field_ = k == "status" ? Field::Status
                 : k == "errorType" ? Field::ErrorType
                 : k == "error" ? Field::Error
                 : k == "warnings" ? Field::Warnings
                 : k == "data" ? Field::Data
                               : Field::Unknown;
        break;
      case Ctx::Data:
        field_ = k == "resultType" ? Field::ResultType : k == "result" ? Field::Result : Field::Unknown;
        break;
      case Ctx::Series:
        field_ = k == "metric" ? Field::Metric
                 : k == "value" ? Field::Value
                 : k == "values" ? Field::Values
                                 : Field::Unknown;
        break;
      case Ctx::Metric: label_ = std::move(k); return true;
      default: return true;
    }
    key_ = std::move(k);  // for messages
    return true;
  }

  bool start_object(std::size_t) {
    if (skip_ > 0) return ++skip_, true;
    if (stack_.empty()) return push(Ctx::Root);
    switch (stack_.back()) {
      case Ctx::Root:
        if (field_ == Field::Data) return push(Ctx::Data);
        return enter_unknown("an object");
      case Ctx::Data: return enter_unknown("an object");
      case Ctx::Result:
        if (shape_ == Shape::Pair) return fail(where() + ": mixes series objects with a scalar pair");
        shape_ = Shape::SeriesList;
        out_.result.series.emplace_back();
        return push(Ctx::Series);
      case Ctx::Series:
        if (field_ == Field::Metric) return push(Ctx::Metric);
        return enter_unknown("an object");
      default: return fail(where() + ": unexpected object");
    }
  }

  bool start_array(std::size_t) {
    if (skip_ > 0) return ++skip_, true;
    if (stack_.empty()) return fail("expected a JSON object, found an array");
    switch (stack_.back()) {
      case Ctx::Root:
        if (field_ == Field::Warnings) return push(Ctx::Warnings);
        return enter_unknown("an array");
      case Ctx::Data:
        if (field_ == Field::Result) {
          shape_ = Shape::Empty;
          saw_result_ = true;
          return push(Ctx::Result);
        }
        return enter_unknown("an array");
      case Ctx::Series:
        if (field_ == Field::Value) return begin_pair() && push(Ctx::Pair);
        if (field_ == Field::Values) {
          values_index_ = 0;
          return push(Ctx::Values);
        }
        return enter_unknown("an array");
      case Ctx::Values: return begin_pair() && push(Ctx::Pair);
      default: return fail(where() + ": unexpected array");
    }
  }

  bool end_object() { return end_container(); }
  bool end_array() { return end_container(); }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    // ex.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string what = ex.what();
    const auto close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
    if (error_.empty()) error_ = "malformed JSON: " + what;
    return false;
  }

  /// Checks the whole document once parsing succeeded.
  bool finish() {
    if (out_.status == "error") {
      if (out_.error_type.empty() && out_.error.empty())
        return fail("status is \"error\" but neither \"errorType\" nor \"error\" is given");
      return true;
    }
    if (out_.status != "success") {
      return fail(out_.status.empty() ? "missing \"status\"" : "unknown status " + quote_text(out_.status) +
                                                                   " (expected \"success\" or \"error\")");
    }
    if (out_.result.type == PromResultType::None) return fail("missing data.resultType");
    if (!saw_result_) return fail("missing data.result");
    const auto t = out_.result.type;
    if (t == PromResultType::Scalar || t == PromResultType::String) {
      if (shape_ != Shape::Pair) return fail(std::string("a ") + to_string(t) + " result must be [time, \"value\"]");
      PromSample s{pair_time_, std::numeric_limits<double>::quiet_NaN()};
      if (t == PromResultType::Scalar) {
        if (!parse_prometheus_value(scalar_text_, s.value))
          return fail("data.result: scalar value " + quote_text(scalar_text_) + " is not a number");
      } else {
        out_.result.string_value = std::move(scalar_text_);
      }
      out_.result.series.push_back(PromSeries{{}, {s}});
    } else if (shape_ == Shape::Pair) {
      return fail(std::string("a ") + to_string(t) + " result must be a list of series objects");
    }
    return true;
  }

 private:
  bool fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    return false;
  }
  bool push(Ctx c) {
    stack_.push_back(c);
    return true;
  }
  // A value under a key we do not know is skipped; under a key we know, it has the wrong type.
  bool enter_unknown(const char* found) {
    if (field_ != Field::Unknown) return wrong_type(found);
    skip_ = 1;
    return true;
  }
  bool wrong_type(const char* found) {
    return fail(where() + ": \"" + key_ + "\" has the wrong type (found " + found + ")");
  }
  bool scalar_event(const char* found) {
    if (skip_ > 0) return true;
    if (stack_.empty()) return fail(std::string("expected a JSON object, found ") + found);
    const Ctx c = stack_.back();
    if ((c == Ctx::Root || c == Ctx::Data || c == Ctx::Series) &&
        (field_ == Field::Unknown || field_ == Field::Warnings))
      return true;  // unknown keys, and "warnings": null
    return fail(where() + ": unexpected " + found);
  }
  bool number(double v) {
    if (skip_ > 0) return true;
    if (stack_.empty()) return fail("expected a JSON object, found a number");
    const Ctx c = stack_.back();
    if (c == Ctx::Result && !begin_result_pair()) return false;
    if (c == Ctx::Pair || c == Ctx::Result) {
      if (pair_index_ != 0) {
        return fail(where() + (pair_index_ == 1 ? ": expected the sample value as a string, found a number"
                                                : ": a sample has more than two elements"));
      }
      pair_time_ = v;
      pair_index_ = 1;
      return true;
    }
    if ((c == Ctx::Root || c == Ctx::Data || c == Ctx::Series) && field_ == Field::Unknown) return true;
    return c == Ctx::Root || c == Ctx::Data || c == Ctx::Series ? wrong_type("a number")
                                                                 : fail(where() + ": unexpected number");
  }
  bool result_type(const std::string& v) {
    auto& t = out_.result.type;
    t = v == "vector" ? PromResultType::Vector
        : v == "matrix" ? PromResultType::Matrix
        : v == "scalar" ? PromResultType::Scalar
        : v == "string" ? PromResultType::String
                        : PromResultType::None;
    if (t == PromResultType::None)
      return fail("unknown data.resultType " + quote_text(v) + " (expected vector, matrix, scalar or string)");
    return true;
  }
  bool begin_pair() {
    pair_index_ = 0;
    return true;
  }
  // Scalar and string results are a bare [t, "v"] pair directly under data.result.
  bool begin_result_pair() {
    if (shape_ == Shape::SeriesList) return fail(where() + ": mixes series objects with a scalar pair");
    if (shape_ == Shape::Empty) {
      shape_ = Shape::Pair;
      pair_index_ = 0;
    }
    return true;
  }
  bool pair_string(json::string_t& v) {
    if (pair_index_ != 1) {
      return fail(where() + (pair_index_ == 0 ? ": expected the sample time as a number, found a string"
                                              : ": a sample has more than two elements"));
    }
    pair_index_ = 2;
    if (stack_.back() == Ctx::Result) {
      scalar_text_ = std::move(v);  // scalar or string: interpreted in finish()
      return true;
    }
    PromSample s{pair_time_, 0};
    if (!parse_prometheus_value(v, s.value))
      return fail(where() + ": sample value " + quote_text(v) + " is not a number");
    out_.result.series.back().samples.push_back(s);
    return true;
  }
  bool end_container() {
    if (skip_ > 0) return --skip_, true;
    const Ctx c = stack_.back();
    if ((c == Ctx::Pair || (c == Ctx::Result && shape_ == Shape::Pair)) && pair_index_ != 2)
      return fail(where() + ": expected a [time, \"value\"] pair");
    if (c == Ctx::Pair && stack_[stack_.size() - 2] == Ctx::Values) ++values_index_;
    stack_.pop_back();
    field_ = Field::Unknown;
    return true;
  }
  // A path to the current position, for messages: data.result[3].values[17]
  std::string where() const {
    std::string w;
    for (std::size_t i = 0; i < stack_.size(); ++i) {
      switch (stack_[i]) {
        case Ctx::Root: w = "response"; break;
        case Ctx::Data: w = "data"; break;
        case Ctx::Result: w += ".result"; break;
        case Ctx::Series: w += "[" + std::to_string(out_.result.series.size() - 1) + "]"; break;
        case Ctx::Metric: w += ".metric"; break;
        case Ctx::Values: w += ".values"; break;
        case Ctx::Warnings: w += ".warnings"; break;
        case Ctx::Pair:
          w += stack_[i - 1] == Ctx::Values ? "[" + std::to_string(values_index_) + "]" : ".value";
          break;
      }
    }
    return w;
  }

  PromResponse& out_;
  std::vector<Ctx> stack_;
  Field field_ = Field::Unknown;
  std::string key_;    // the last known key, for messages
  std::string label_;  // the pending label name inside "metric"
  int skip_ = 0;       // nesting depth inside a skipped value
  Shape shape_ = Shape::Empty;
  bool saw_result_ = false;
  int pair_index_ = 0;
  double pair_time_ = 0;
  std::size_t values_index_ = 0;
  std::string scalar_text_;
  std::string error_;
};

}  // namespace

std::string decode_prometheus_response(std::string_view body, PromResponse& out) {
  out = PromResponse{};
  Decoder d(out);
  try {
    const bool ok = json::sax_parse(body.data(), body.data() + body.size(), &d);
    if (ok && d.finish()) return {};
  } catch (const std::exception& e) {  // not expected from a SAX parse; kept off the API anyway
    return std::string("cannot decode: ") + e.what();
  }
  return d.error().empty() ? std::string("cannot decode the response") : d.error();
}

}  // namespace opspilot::agent
