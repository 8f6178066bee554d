#include "agent/source/exposition.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace opspilot::agent::exposition {
namespace {

// Character classes as one table lookup each: this loop runs for every byte of every scrape.
constexpr std::uint8_t kNameStart = 1, kNameChar = 2, kLabelStart = 4, kLabelChar = 8;

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    std::uint8_t v = 0;
    if (alpha || c == ':') v |= kNameStart | kNameChar;
    if (digit) v |= kNameChar | kLabelChar;
    if (alpha) v |= kLabelStart | kLabelChar;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}
constexpr auto kClasses = make_classes();

inline bool has(char c, std::uint8_t cls) {
  return (kClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// A sample value or OpenMetrics timestamp: a Go-style float, "+Inf", "-Inf" or "NaN" (any
/// case, as Prometheus' ParseFloat accepts). The whole token must be consumed.
bool parse_float(std::string_view tok, double& out) {
  const char* b = tok.data();
  const char* e = b + tok.size();
  if (b != e && *b == '+') {  // from_chars rejects a leading '+', the formats write "+Inf"
    ++b;
    if (b == e || *b == '-' || *b == '+') return false;
  }
  const auto [ptr, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && ptr == e;
}

struct TypeWord {
  std::string_view word;
  MetricType type;
};
constexpr TypeWord kTypeWords[] = {
    {"counter", MetricType::Counter},     {"gauge", MetricType::Gauge},
    {"histogram", MetricType::Histogram}, {"gaugehistogram", MetricType::GaugeHistogram},
    {"summary", MetricType::Summary},     {"untyped", MetricType::Unknown},
    {"unknown", MetricType::Unknown},     {"info", MetricType::Info},
    {"stateset", MetricType::StateSet},
};

constexpr std::string_view kSuffixes[] = {"_total", "_bucket", "_sum",   "_count",
                                          "_created", "_gsum", "_gcount", "_info"};

/// Whether a sample named family+suffix belongs to a family of type `t`. Both formats are
/// accepted: a 0.0.4 counter family is declared with its "_total" (suffix ""), an OpenMetrics one
/// without (suffix "_total").
bool suffix_allowed(MetricType t, std::string_view s) {
  switch (t) {
    case MetricType::Counter:
      return s.empty() || s == "_total" || s == "_created";
    case MetricType::Histogram:
      return s == "_bucket" || s == "_sum" || s == "_count" || s == "_created";
    case MetricType::GaugeHistogram:
      return s == "_bucket" || s == "_gsum" || s == "_gcount";
    case MetricType::Summary:
      return s.empty() || s == "_sum" || s == "_count" || s == "_created";
    case MetricType::Info:
      return s.empty() || s == "_info";
    default:
      return s.empty();
  }
}

std::string quoted_excerpt(std::string_view s, std::size_t max) {
  std::string out = "\"";
  out.append(s.substr(0, max));
  if (s.size() > max) out += "...";
  out += '"';
  return out;
}

}  // namespace

const char* to_string(Format f) {
  return f == Format::OpenMetrics ? "OpenMetrics 1.0" : "Prometheus text 0.0.4";
}

const char* to_string(MetricType t) {
  switch (t) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
    case MetricType::GaugeHistogram: return "gaugehistogram";
    case MetricType::Summary: return "summary";
    case MetricType::Info: return "info";
    case MetricType::StateSet: return "stateset";
    case MetricType::Unknown: break;
  }
  return "unknown";
}

Format detect_format(std::string_view content_type) {
  static constexpr std::string_view kOpenMetrics = "application/openmetrics-text";
  if (content_type.size() < kOpenMetrics.size()) return Format::Prometheus;
  for (std::size_t i = 0; i + kOpenMetrics.size() <= content_type.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < kOpenMetrics.size() && match; ++j) {
      char c = content_type[i + j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      match = c == kOpenMetrics[j];
    }
    if (match) return Format::OpenMetrics;
  }
  return Format::Prometheus;
}

Format detect_format(std::string_view content_type, std::string_view body) {
  if (detect_format(content_type) == Format::OpenMetrics) return Format::OpenMetrics;
  if (content_type.find("text/plain") != std::string_view::npos) return Format::Prometheus;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || is_blank(body.back()))) {
    body.remove_suffix(1);
  }
  constexpr std::string_view kEof = "# EOF";
  const bool eof_last = body.size() >= kEof.size() && body.ends_with(kEof) &&
                        (body.size() == kEof.size() || body[body.size() - kEof.size() - 1] == '\n');
  return eof_last ? Format::OpenMetrics : Format::Prometheus;
}

std::optional<std::string_view> SampleView::label(std::string_view label_name) const {
  for (const Label& l : labels) {
    if (l.name == label_name) return l.value;
  }
  return std::nullopt;
}

std::string ParseStats::first_error() const {
  if (errors.empty()) return {};
  return "line " + std::to_string(errors.front().line) + ": " + errors.front().message;
}

void Parser::fail(ParseStats& stats, int line_no, std::string_view line, std::string_view what,
                  std::size_t column) {
  ++stats.bad_lines;
  if (stats.errors.size() >= ParseStats::kMaxRecordedErrors) return;  // count, don't format
  std::string msg = "column " + std::to_string(column + 1) + ": " + std::string(what) + ", found ";
  msg += column < line.size() ? quoted_excerpt(line.substr(column), 24) : "the end of the line";
  msg += " in " + quoted_excerpt(line, 160);
  stats.errors.push_back(LineError{line_no, std::move(msg)});
}

ParseStats Parser::parse(std::string_view text, SampleCallback on_sample) {
  ParseStats stats;
  families_.clear();
  current_ = {};
  last_name_ = {};
  last_resolved_ = {};
  const char* p = text.data();
  const char* const end = p + text.size();
  int line_no = 0;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    std::string_view line(p, static_cast<std::size_t>((nl ? nl : end) - p));
    p = nl ? nl + 1 : end;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
    if (line.empty()) continue;
    if (line.front() != '#') {
      if (parse_sample(line, line_no, stats, on_sample)) ++stats.samples;
      continue;
    }
    while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
    if (line == "# EOF") {
      stats.saw_eof = true;
      // Anything but blank lines after "# EOF" means a truncated or concatenated body.
      std::string_view rest(p, static_cast<std::size_t>(end - p));
      const auto first = rest.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos) {
        int extra_line = line_no + 1;
        for (std::size_t i = 0; i < first; ++i) extra_line += rest[i] == '\n';
        std::string_view extra = rest.substr(first);
        extra = extra.substr(0, extra.find_first_of("\r\n"));
        fail(stats, extra_line, extra, "expected nothing after \"# EOF\"", 0);
      }
      break;
    }
    parse_comment(line, line_no, stats);
  }
  stats.lines = static_cast<std::size_t>(line_no);
  return stats;
}

void Parser::parse_comment(std::string_view line, int line_no, ParseStats& stats) {
  // "# HELP name text", "# TYPE name type", "# UNIT name unit"; other comments are ignored.
  if (line.size() < 6 || line[1] != ' ') return;
  const std::string_view keyword = line.substr(2, 4);
  const bool is_type = keyword == "TYPE";
  if (!is_type && keyword != "HELP" && keyword != "UNIT") return;
  if (line.size() > 6 && !is_blank(line[6])) return;  // e.g. "# HELPER": a plain comment
  std::size_t i = 6;
  while (i < line.size() && is_blank(line[i])) ++i;
  const std::size_t b = i;
  if (i < line.size() && has(line[i], kNameStart)) {
    while (i < line.size() && has(line[i], kNameChar)) ++i;
  }
  const std::string_view name = line.substr(b, i - b);
  if (name.empty()) {
    fail(stats, line_no, line, "expected a metric name after \"# " + std::string(keyword) + "\"", b);
    return;
  }
  last_name_ = {};  // a new declaration may change how later names resolve
  if (!is_type) {
    const auto it = families_.find(name);
    current_ = {name, it == families_.end() ? MetricType::Unknown : it->second};
    return;
  }
  while (i < line.size() && is_blank(line[i])) ++i;
  const std::string_view word = line.substr(i);
  for (const TypeWord& t : kTypeWords) {
    if (t.word == word) {
      families_[name] = t.type;
      current_ = {name, t.type};
      return;
    }
  }
  fail(stats, line_no, line,
       "expected a metric type (counter, gauge, histogram, gaugehistogram, summary, info, "
       "stateset, unknown or untyped)",
       i);
}

Parser::Resolved Parser::resolve(std::string_view name) {
  // Fast path: samples follow their # TYPE line, so the current family almost always matches.
  const std::string_view fam = current_.family;
  if (!fam.empty() && name.starts_with(fam) && suffix_allowed(current_.type, name.substr(fam.size()))) {
    return current_;
  }
  if (name == last_name_) return last_resolved_;
  Resolved r{name, MetricType::Unknown};
  if (!families_.empty()) {
    auto it = families_.find(name);
    if (it != families_.end() && suffix_allowed(it->second, {})) {
      r = {it->first, it->second};
    } else {
      for (std::string_view sfx : kSuffixes) {
        if (!name.ends_with(sfx)) continue;
        it = families_.find(name.substr(0, name.size() - sfx.size()));
        if (it != families_.end() && suffix_allowed(it->second, sfx)) {
          r = {it->first, it->second};
          break;
        }
      }
    }
  }
  last_name_ = name;
  last_resolved_ = r;
  return r;
}

bool Parser::parse_sample(std::string_view line, int line_no, ParseStats& stats,
                          const SampleCallback& on_sample) {
  const char* s = line.data();
  const std::size_t n = line.size();
  std::size_t i = 0;
  if (!has(s[0], kNameStart)) {
    fail(stats, line_no, line, "expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", 0);
    return false;
  }
  while (i < n && has(s[i], kNameChar)) ++i;
  const std::string_view name(s, i);
  labels_.clear();
  std::size_t after_name = i;
  while (after_name < n && is_blank(s[after_name])) ++after_name;
  if (after_name < n && s[after_name] == '{') {
    i = after_name + 1;
    // Unescaped values are never longer than the line, so views into scratch_ stay valid
    // for the whole line: it is only resized here, before any view is taken.
    if (scratch_.size() < n) scratch_.resize(n);
    std::size_t used = 0;
    for (;;) {
      while (i < n && is_blank(s[i])) ++i;
      if (i < n && s[i] == '}') {
        ++i;
        break;
      }
      if (i >= n || !has(s[i], kLabelStart)) {
        fail(stats, line_no, line, "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}'", i);
        return false;
      }
      const std::size_t nb = i;
      while (i < n && has(s[i], kLabelChar)) ++i;
      const std::string_view lname(s + nb, i - nb);
      while (i < n && is_blank(s[i])) ++i;
      if (i >= n || s[i] != '=') {
        fail(stats, line_no, line, "expected '=' after label name \"" + std::string(lname) + "\"", i);
        return false;
      }
      ++i;
      while (i < n && is_blank(s[i])) ++i;
      if (i >= n || s[i] != '"') {
        fail(stats, line_no, line,
             "expected '\"' to open the value of label \"" + std::string(lname) + "\"", i);
        return false;
      }
      const std::size_t vb = ++i;
      const char* q = static_cast<const char*>(std::memchr(s + i, '"', n - i));
      const char* stop = q ? q : s + n;
      std::string_view value;
      if (std::memchr(s + i, '\\', static_cast<std::size_t>(stop - (s + i))) == nullptr) {
        if (q == nullptr) {
          fail(stats, line_no, line, "expected a closing '\"' for the value of label \"" +
                                         std::string(lname) + "\"", vb - 1);
          return false;
        }
        value = std::string_view(s + i, static_cast<std::size_t>(q - (s + i)));
        i = static_cast<std::size_t>(q - s) + 1;
      } else {  // slow path: the value has escapes (\\, \", \n)
        const std::size_t start = used;
        bool closed = false;
        while (i < n) {
          const char c = s[i];
          if (c == '"') {
            closed = true;
            ++i;
            break;
          }
          if (c != '\\') {
            scratch_[used++] = c;
            ++i;
            continue;
          }
          const char e = i + 1 < n ? s[i + 1] : '\0';
          if (e == '\\' || e == '"') {
            scratch_[used++] = e;
          } else if (e == 'n') {
            scratch_[used++] = '\n';
          } else {
            fail(stats, line_no, line, "expected an escape \\\\, \\\" or \\n in the value of label \"" +
                                           std::string(lname) + "\"", i);
            return false;
          }
          i += 2;
        }
        if (!closed) {
          fail(stats, line_no, line, "expected a closing '\"' for the value of label \"" +
                                         std::string(lname) + "\"", vb - 1);
          return false;
        }
        value = std::string_view(scratch_.data() + start, used - start);
      }
      labels_.push_back(Label{lname, value});
      while (i < n && is_blank(s[i])) ++i;
      if (i < n && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < n && s[i] == '}') {
        ++i;
        break;
      }
      fail(stats, line_no, line,
           "expected ',' or '}' after the value of label \"" + std::string(lname) + "\"", i);
      return false;
    }
  }
  const std::size_t before_blank = i;
  while (i < n && is_blank(s[i])) ++i;
  if (i == before_blank && i < n) {
    fail(stats, line_no, line, "expected a space and then the sample value", i);
    return false;
  }
  std::size_t b = i;
  while (i < n && !is_blank(s[i])) ++i;
  double value = 0;
  if (i == b || !parse_float(std::string_view(s + b, i - b), value)) {
    fail(stats, line_no, line, "expected a sample value (a float, +Inf, -Inf or NaN)", b);
    return false;
  }
  while (i < n && is_blank(s[i])) ++i;
  std::optional<std::int64_t> ts;
  if (i < n && s[i] != '#') {
    b = i;
    while (i < n && !is_blank(s[i])) ++i;
    if (format_ == Format::Prometheus) {
      std::int64_t ms = 0;
      const auto [ptr, ec] = std::from_chars(s + b, s + i, ms);
      if (ec != std::errc() || ptr != s + i) {
        fail(stats, line_no, line, "expected a timestamp in integer milliseconds", b);
        return false;
      }
      ts = ms;
    } else {
      double secs = 0;
      if (!parse_float(std::string_view(s + b, i - b), secs) || !std::isfinite(secs)) {
        fail(stats, line_no, line, "expected a timestamp in seconds (a finite float)", b);
        return false;
      }
      ts = std::llround(secs * 1000.0);
    }
    while (i < n && is_blank(s[i])) ++i;
  }
  // What may follow is an exemplar (" # {trace_id=\"..\"} 0.3 [ts]"): read past, not used.
  if (i < n && s[i] != '#') {
    fail(stats, line_no, line, "expected the end of the line or an exemplar (\" # {...} value\")", i);
    return false;
  }
  const Resolved r = resolve(name);
  const SampleView sample{name, r.family, r.type, labels_, value, ts, line_no};
  on_sample(sample);
  return true;
}

}  // namespace opspilot::agent::exposition
