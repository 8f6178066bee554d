#pragma once
// A streaming parser of the two text formats a workload's /metrics endpoint speaks: the
// Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text. The sidecar (ScrapeSource)
// feeds a whole response body through it and receives one SampleView per sample line.
//
// Why a parser of our own: prometheus-cpp only writes the format. Why streaming views: a pod may
// expose tens of thousands of series every few seconds, and the agent only needs the handful a
// signal query reads, so nothing is copied or allocated per sample — names and label values are
// string_views into the body, and a label value is unescaped into a scratch buffer reused across
// lines only when it actually contains an escape.
//
// Leniency, on purpose (a sidecar should read what Prometheus reads): both formats accept
// "untyped" and "unknown", trailing commas and blanks inside {...}, exemplars (` # {..} v [ts]`)
// after the value, blank lines and CRLF line ends. A line that cannot be read is skipped and
// counted, with its 1-based line number and a message quoting it, and parsing goes on.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace opspilot::agent::exposition {

enum class Format {
  Prometheus,   // text/plain; version=0.0.4 — timestamps are integer milliseconds
  OpenMetrics,  // application/openmetrics-text; version=1.0.0 — timestamps are float seconds
};

const char* to_string(Format f);

/// The format a response is in, from its Content-Type header: "application/openmetrics-text"
/// (any parameters, any case) is OpenMetrics, everything else is the Prometheus text format.
Format detect_format(std::string_view content_type);

/// As above, but when the header names neither format (e.g. a static file served as
/// application/octet-stream), a body whose last non-blank line is "# EOF" is taken as OpenMetrics.
Format detect_format(std::string_view content_type, std::string_view body);

/// A family's declared type (`# TYPE`). Samples of families never declared are Unknown.
enum class MetricType : std::uint8_t {
  Unknown,  // "untyped" in the Prometheus format, "unknown" in OpenMetrics
  Counter,
  Gauge,
  Histogram,
  GaugeHistogram,
  Summary,
  Info,
  StateSet,
};

const char* to_string(MetricType t);

struct Label {
  std::string_view name;
  std::string_view value;  // unescaped
};

/// One sample line. Every view is valid only during the callback that receives it.
struct SampleView {
  std::string_view name;    // as written, e.g. "http_request_duration_seconds_bucket"
  std::string_view family;  // its family with the type's suffix resolved, e.g.
                            // "http_request_duration_seconds"; equal to `name` when undeclared
  MetricType type = MetricType::Unknown;
  std::span<const Label> labels;  // in the order written
  double value = 0;               // may be NaN or ±Inf: the parser does not judge values
  std::optional<std::int64_t> timestamp_ms;  // milliseconds since the Unix epoch, when written
  int line = 0;                              // 1-based

  /// The value of label `label_name`, or nullopt when the sample has no such label.
  std::optional<std::string_view> label(std::string_view label_name) const;
};

struct LineError {
  int line = 0;         // 1-based
  std::string message;  // quotes the offending text and says what was expected
};

struct ParseStats {
  static constexpr std::size_t kMaxRecordedErrors = 5;

  std::size_t lines = 0;      // lines read (up to and including "# EOF")
  std::size_t samples = 0;    // sample lines delivered to the callback
  std::size_t bad_lines = 0;  // lines skipped because they could not be read
  bool saw_eof = false;       // "# EOF" was found (required by OpenMetrics, absent in 0.0.4)
  std::vector<LineError> errors;  // the first kMaxRecordedErrors bad lines

  /// "line 7: ..." for the first error, or "" when there is none.
  std::string first_error() const;
};

/// A non-owning reference to a callable taking `const SampleView&`: one indirect call per
/// sample, no allocation (std::function may allocate for large captures).
class SampleCallback {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cv_t<F>, SampleCallback>)
  SampleCallback(F& f)  // NOLINT(google-explicit-constructor): wraps a lambda at call sites
      : obj_(static_cast<void*>(&f)),
        call_([](void* o, const SampleView& s) { (*static_cast<F*>(o))(s); }) {}
  void operator()(const SampleView& s) const { call_(obj_, s); }

 private:
  void* obj_;
  void (*call_)(void*, const SampleView&);
};

/// Parses exposition text. Keep one Parser per thread (or per target) and reuse it: its label
/// and scratch buffers grow to the largest line seen and are then reused, so steady-state parsing
/// allocates only per declared family (a hash-table node), never per sample.
/// Thread-safety: none; a Parser must not be used by two threads at once.
class Parser {
 public:
  explicit Parser(Format format = Format::Prometheus) : format_(format) {}

  void set_format(Format format) { format_ = format; }
  Format format() const { return format_; }

  /// Parses `text`, calling `on_sample` for each sample line in order.
  ParseStats parse(std::string_view text, SampleCallback on_sample);

  template <class F>
  ParseStats parse(std::string_view text, F&& on_sample) {
    return parse(text, SampleCallback(on_sample));
  }

 private:
  struct Resolved {
    std::string_view family;
    MetricType type = MetricType::Unknown;
  };

  void parse_comment(std::string_view line, int line_no, ParseStats& stats);
  bool parse_sample(std::string_view line, int line_no, ParseStats& stats,
                    const SampleCallback& on_sample);
  Resolved resolve(std::string_view name);
  void fail(ParseStats& stats, int line_no, std::string_view line, std::string_view what,
            std::size_t column);

  Format format_;
  std::vector<Label> labels_;
  std::string scratch_;  // unescaped label values; sized to the longest line, never shrunk
  // Families declared in the text being parsed; views into that text, cleared per parse.
  std::unordered_map<std::string_view, MetricType> families_;
  Resolved current_;          // the family of the last # TYPE/# HELP/# UNIT line
  std::string_view last_name_;  // the last sample name resolved through families_, and its result
  Resolved last_resolved_;
};

}  // namespace opspilot::agent::exposition
