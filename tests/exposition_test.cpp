// The exposition parser on inline payloads of both text formats.
#include "agent/source/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace opspilot::agent::exposition {
namespace {

/// A sample copied out of its SampleView (views die with the callback).
struct Copied {
  std::string name, family;
  MetricType type;
  std::vector<std::pair<std::string, std::string>> labels;
  double value;
  std::optional<std::int64_t> ts;
  int line;
};

struct Collected {
  ParseStats stats;
  std::vector<Copied> samples;
};

Collected parse(std::string_view text, Format f = Format::Prometheus) {
  Parser parser(f);
  Collected c;
  c.stats = parser.parse(text, [&](const SampleView& s) {
    Copied x{std::string(s.name), std::string(s.family), s.type, {}, s.value, s.timestamp_ms, s.line};
    for (const Label& l : s.labels) x.labels.emplace_back(std::string(l.name), std::string(l.value));
    c.samples.push_back(std::move(x));
  });
  return c;
}

TEST(Exposition, PrometheusTextWithFamiliesLabelsAndTimestamps) {
  const auto c = parse(
      "# HELP http_requests_total Requests served.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"get\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"500\",} 3\n"
      "# TYPE latency_seconds histogram\n"
      "latency_seconds_bucket{le=\"0.1\"} 10\n"
      "latency_seconds_bucket{le=\"+Inf\"} 12\n"
      "latency_seconds_sum 1.5\n"
      "latency_seconds_count 12\n"
      "# TYPE rpc_seconds summary\n"
      "rpc_seconds{quantile=\"0.99\"} 0.25\n"
      "rpc_seconds_count 4\n"
      "# TYPE temperature gauge\n"
      "temperature -3.5e1\n"
      "no_type_declared 7\n"
      "# a plain comment\n");
  EXPECT_EQ(c.stats.bad_lines, 0u) << c.stats.first_error();
  EXPECT_FALSE(c.stats.saw_eof);
  ASSERT_EQ(c.samples.size(), 10u);
  EXPECT_EQ(c.stats.samples, 10u);
  EXPECT_EQ(c.stats.lines, 16u);

  EXPECT_EQ(c.samples[0].name, "http_requests_total");
  EXPECT_EQ(c.samples[0].family, "http_requests_total");
  EXPECT_EQ(c.samples[0].type, MetricType::Counter);
  ASSERT_EQ(c.samples[0].labels.size(), 2u);
  EXPECT_EQ(c.samples[0].labels[0], (std::pair<std::string, std::string>{"method", "get"}));
  EXPECT_EQ(c.samples[0].labels[1], (std::pair<std::string, std::string>{"code", "200"}));
  EXPECT_EQ(c.samples[0].value, 1027);
  EXPECT_EQ(c.samples[0].ts, 1395066363000);
  EXPECT_EQ(c.samples[0].line, 3);
  EXPECT_EQ(c.samples[1].labels.size(), 2u);  // trailing comma accepted
  EXPECT_FALSE(c.samples[1].ts.has_value());

  for (int i = 2; i <= 5; ++i) {
    EXPECT_EQ(c.samples[i].family, "latency_seconds") << c.samples[i].name;
    EXPECT_EQ(c.samples[i].type, MetricType::Histogram) << c.samples[i].name;
  }
  EXPECT_EQ(c.samples[3].labels[0].second, "+Inf");
  EXPECT_EQ(c.samples[6].family, "rpc_seconds");
  EXPECT_EQ(c.samples[7].type, MetricType::Summary);
  EXPECT_EQ(c.samples[8].type, MetricType::Gauge);
  EXPECT_EQ(c.samples[8].value, -35);
  EXPECT_EQ(c.samples[9].type, MetricType::Unknown);
  EXPECT_EQ(c.samples[9].family, "no_type_declared");
}

TEST(Exposition, UndeclaredSampleIsUnknownAndItsOwnFamily) {
  const auto c = parse("# TYPE a gauge\na 1\nb_total 2\nb_total{x=\"1\"} 3\n");
  ASSERT_EQ(c.samples.size(), 3u);
  EXPECT_EQ(c.samples[1].family, "b_total");
  EXPECT_EQ(c.samples[1].type, MetricType::Unknown);
  EXPECT_EQ(c.samples[2].type, MetricType::Unknown);
}

TEST(Exposition, OpenMetricsWithSuffixesExemplarsUnitsAndEof) {
  const auto c = parse(
      "# TYPE requests counter\n"
      "# UNIT requests requests\n"
      "# HELP requests Requests.\n"
      "requests_total{path=\"/\"} 10 1700000000.250 # {trace_id=\"abc\"} 1.0 1700000000.1\n"
      "requests_created{path=\"/\"} 1699999000\n"
      "# TYPE build info\n"
      "build_info{version=\"1.2\"} 1\n"
      "# TYPE feature stateset\n"
      "feature{feature=\"a\"} 1\n"
      "# TYPE queue gaugehistogram\n"
      "queue_bucket{le=\"+Inf\"} 4 # {id=\"x\"} 2\n"
      "queue_gcount 4\n"
      "queue_gsum 9\n"
      "# TYPE mystery unknown\n"
      "mystery 1\n"
      "# EOF\n",
      Format::OpenMetrics);
  EXPECT_EQ(c.stats.bad_lines, 0u) << c.stats.first_error();
  EXPECT_TRUE(c.stats.saw_eof);
  ASSERT_EQ(c.samples.size(), 8u);
  EXPECT_EQ(c.samples[0].family, "requests");
  EXPECT_EQ(c.samples[0].type, MetricType::Counter);
  EXPECT_EQ(c.samples[0].value, 10);
  EXPECT_EQ(c.samples[0].ts, 1700000000250);  // float seconds -> milliseconds
  EXPECT_EQ(c.samples[1].family, "requests");
  EXPECT_EQ(c.samples[2].type, MetricType::Info);
  EXPECT_EQ(c.samples[2].family, "build");
  EXPECT_EQ(c.samples[3].type, MetricType::StateSet);
  for (int i = 4; i <= 6; ++i) EXPECT_EQ(c.samples[i].type, MetricType::GaugeHistogram);
  EXPECT_EQ(c.samples[4].value, 4);
  EXPECT_EQ(c.samples[7].type, MetricType::Unknown);
  EXPECT_EQ(c.samples[7].family, "mystery");
}

TEST(Exposition, EscapedLabelValuesAreUnescapedAndStayValidTogether) {
  const auto c = parse(
      "m{a=\"x\\\"y\\\\z\\nw\",b=\"plain\",c=\"\\\\\",d=\"\"} 1\n"
      "m{a=\"second \\\"line\\\"\"} 2\n");
  ASSERT_EQ(c.samples.size(), 2u) << c.stats.first_error();
  const auto& l = c.samples[0].labels;
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].second, "x\"y\\z\nw");
  EXPECT_EQ(l[1].second, "plain");
  EXPECT_EQ(l[2].second, "\\");
  EXPECT_EQ(l[3].second, "");
  EXPECT_EQ(c.samples[1].labels[0].second, "second \"line\"");
}

TEST(Exposition, LabelLookupOnTheView) {
  Parser p;
  std::optional<std::string> le, missing;
  p.parse("h_bucket{le=\"0.5\",path=\"/a\"} 3\n", [&](const SampleView& s) {
    if (auto v = s.label("le")) le = std::string(*v);
    if (auto v = s.label("nope")) missing = std::string(*v);
  });
  EXPECT_EQ(le, "0.5");
  EXPECT_FALSE(missing.has_value());
}

TEST(Exposition, SpecialValues) {
  const auto c = parse("a +Inf\nb -Inf\nc NaN\nd 1e3\ne -0.5\nf inf\ng 0x10\nh +-1\n");
  ASSERT_EQ(c.samples.size(), 6u);
  EXPECT_TRUE(std::isinf(c.samples[0].value) && c.samples[0].value > 0);
  EXPECT_TRUE(std::isinf(c.samples[1].value) && c.samples[1].value < 0);
  EXPECT_TRUE(std::isnan(c.samples[2].value));
  EXPECT_EQ(c.samples[3].value, 1000);
  EXPECT_EQ(c.samples[4].value, -0.5);
  EXPECT_TRUE(std::isinf(c.samples[5].value));
  EXPECT_EQ(c.stats.bad_lines, 2u);  // hex and "+-1" are not values
  ASSERT_EQ(c.stats.errors.size(), 2u);
  EXPECT_EQ(c.stats.errors[0].line, 7);
  EXPECT_NE(c.stats.errors[0].message.find("\"0x10\""), std::string::npos) << c.stats.errors[0].message;
}

TEST(Exposition, BadLinesAreSkippedWithLineNumbersAndQuotedText) {
  const auto c = parse(
      "ok 1\n"
      "bad{code 200} 1\n"          // line 2: missing '='
      "ok 2\n"
      "bad{code=200} 1\n"          // line 4: unquoted value
      "bad{code=\"200} 1\n"        // line 5: unterminated
      "bad 12abc\n"                // line 6: bad value
      "bad 1 notatime\n"           // line 7: bad timestamp
      "9bad 1\n"                   // line 8: bad name
      "bad{x=\"\\q\"} 1\n"         // line 9: bad escape
      "# TYPE t wibble\n"          // line 10: unknown type
      "ok 3\n");
  EXPECT_EQ(c.samples.size(), 3u);
  EXPECT_EQ(c.stats.bad_lines, 8u);
  ASSERT_EQ(c.stats.errors.size(), ParseStats::kMaxRecordedErrors);
  EXPECT_EQ(c.stats.errors[0].line, 2);
  EXPECT_EQ(c.stats.errors[0].message,
            "column 10: expected '=' after label name \"code\", found \"200} 1\" in "
            "\"bad{code 200} 1\"");
  EXPECT_EQ(c.stats.errors[1].line, 4);
  EXPECT_NE(c.stats.errors[1].message.find("expected '\"' to open the value of label \"code\""),
            std::string::npos);
  EXPECT_EQ(c.stats.errors[2].line, 5);
  EXPECT_NE(c.stats.errors[2].message.find("closing"), std::string::npos);
  EXPECT_EQ(c.stats.errors[3].line, 6);
  EXPECT_NE(c.stats.errors[3].message.find("found \"12abc\""), std::string::npos);
  EXPECT_EQ(c.stats.errors[4].line, 7);
  EXPECT_NE(c.stats.errors[4].message.find("integer milliseconds"), std::string::npos);
  EXPECT_EQ(c.stats.first_error().rfind("line 2: column 10:", 0), 0u) << c.stats.first_error();
}

TEST(Exposition, MoreBadLineMessages) {
  const auto c = parse("9bad 1\nbad{x=\"\\q\"} 1\n# TYPE t wibble\nnovalue\nx 1 2 3\n");
  ASSERT_EQ(c.stats.errors.size(), 5u);
  EXPECT_NE(c.stats.errors[0].message.find("expected a metric name"), std::string::npos);
  EXPECT_NE(c.stats.errors[1].message.find("expected an escape"), std::string::npos);
  EXPECT_NE(c.stats.errors[2].message.find("found \"wibble\""), std::string::npos);
  EXPECT_NE(c.stats.errors[3].message.find("expected a sample value"), std::string::npos);
  EXPECT_NE(c.stats.errors[4].message.find("expected the end of the line"), std::string::npos);
}

TEST(Exposition, OpenMetricsTimestampMustBeAFloatNotGarbage) {
  const auto c = parse("a 1 1.5\nb 1 NaN\n# EOF\n", Format::OpenMetrics);
  ASSERT_EQ(c.samples.size(), 1u);
  EXPECT_EQ(c.samples[0].ts, 1500);
  EXPECT_EQ(c.stats.bad_lines, 1u);
  EXPECT_EQ(c.stats.errors[0].line, 2);
}

TEST(Exposition, CrlfBlankLinesAndLeadingBlanks) {
  const auto c = parse("# TYPE a counter\r\n\r\na_total 1\r\n\n   a_total{x=\"y\"} 2 \r\nlast 3");
  EXPECT_EQ(c.stats.bad_lines, 0u) << c.stats.first_error();
  ASSERT_EQ(c.samples.size(), 3u);
  EXPECT_EQ(c.samples[0].type, MetricType::Counter);
  EXPECT_EQ(c.samples[1].labels[0].second, "y");
  EXPECT_EQ(c.samples[2].value, 3);  // no final newline
}

TEST(Exposition, ContentAfterEofIsABadLine) {
  const auto c = parse("a 1\n# EOF\n\nb 2\n", Format::OpenMetrics);
  EXPECT_TRUE(c.stats.saw_eof);
  EXPECT_EQ(c.samples.size(), 1u);
  ASSERT_EQ(c.stats.bad_lines, 1u);
  EXPECT_EQ(c.stats.errors[0].line, 4);
  EXPECT_NE(c.stats.errors[0].message.find("nothing after \"# EOF\""), std::string::npos);
}

TEST(Exposition, DeclarationsDoNotLeakIntoTheNextParse) {
  Parser p;
  MetricType seen = MetricType::Gauge;
  p.parse("# TYPE x counter\nx 1\n", [](const SampleView&) {});
  p.parse("x 2\n", [&](const SampleView& s) { seen = s.type; });
  EXPECT_EQ(seen, MetricType::Unknown);
}

TEST(Exposition, DetectFormat) {
  EXPECT_EQ(detect_format("application/openmetrics-text; version=1.0.0; charset=utf-8"), Format::OpenMetrics);
  EXPECT_EQ(detect_format("Application/OpenMetrics-Text"), Format::OpenMetrics);
  EXPECT_EQ(detect_format("text/plain; version=0.0.4; charset=utf-8"), Format::Prometheus);
  EXPECT_EQ(detect_format(""), Format::Prometheus);
  EXPECT_EQ(detect_format("application/octet-stream", "a 1\n# EOF\n"), Format::OpenMetrics);
  EXPECT_EQ(detect_format("application/octet-stream", "a 1\n"), Format::Prometheus);
  EXPECT_EQ(detect_format("text/plain", "a 1\n# EOF\n"), Format::Prometheus);
}

}  // namespace
}  // namespace opspilot::agent::exposition
