// The sidecar's PromQL subset: parse errors with columns, and evaluation against hand-computed
// values (Prometheus' extrapolatedRate and bucketQuantile worked through by hand).
#include "agent/source/promql_subset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace opspilot::agent::promql {
namespace {

const TimePoint kT0 = TimePoint(Duration(1'700'000'000'000));
TimePoint at(double seconds) { return kT0 + Duration(static_cast<std::int64_t>(seconds * 1000)); }

/// An in-memory SeriesSource: what the sidecar's SeriesHistory would hold.
class Series final : public SeriesSource {
 public:
  void add(const std::string& name, LabelPairs labels, std::vector<std::pair<double, double>> pts,
           bool current = true) {
    std::sort(labels.begin(), labels.end());
    Entry e{name, std::move(labels), {}, current};
    for (auto [t, v] : pts) e.points.push_back(Point{at(t), v});
    entries_.push_back(std::move(e));
  }
  void for_each(std::string_view metric, const std::function<void(const SeriesRef&)>& fn) const override {
    for (const Entry& e : entries_) {
      if (e.name == metric) fn(SeriesRef{e.name, &e.labels, e.points, e.current});
    }
  }

 private:
  struct Entry {
    std::string name;
    LabelPairs labels;
    std::vector<Point> points;
    bool current;
  };
  std::vector<Entry> entries_;
};

QueryError parse_error(const std::string& q) {
  QueryError err;
  auto parsed = Query::parse(q, &err);
  EXPECT_EQ(parsed, nullptr) << q;
  return err;
}

std::shared_ptr<const Query> must_parse(const std::string& q) {
  QueryError err;
  auto parsed = Query::parse(q, &err);
  EXPECT_NE(parsed, nullptr) << q << ": " << err.to_string();
  return parsed;
}

EvalResult eval(const std::string& q, const Series& s, double now_seconds) {
  auto parsed = must_parse(q);
  if (!parsed) return {};
  return parsed->evaluate(s, at(now_seconds));
}

TEST(PromqlSubset, ParseErrorsGiveColumnAndExpectation) {
  struct Case {
    std::string query;
    int column;
    std::string expected_fragment;
  };
  const std::vector<Case> cases = {
      {"", 1, "expected a metric selector, rate()"},
      {"rate(http_requests_total)", 6, "expected a range selector such as name[5m] as the argument of rate(), found \"http_requests_total\""},
      {"foo + bar", 5, "expected the end of the query (binary operators"},
      {"abs(foo)", 1, "expected one of the functions rate, irate, increase"},
      {"foo[5m]", 1, "range selector such as foo[5m] is only allowed inside rate()"},
      {"histogram_quantile(x, foo)", 20, "expected the quantile as a number literal"},
      {"histogram_quantile(1.5, foo)", 20, "expected a quantile between 0 and 1"},
      {"foo{a~\"b\"}", 6, "expected a matcher (=, !=, =~ or !~) after label \"a\", found \"~\""},
      {"foo{a=b}", 7, "expected a quoted label value, found \"b\""},
      {"foo{a=\"b\" c=\"d\"}", 11, "expected ',' or '}' after the label matcher, found \"c\""},
      {"foo{a=~\"(\"}", 8, "expected a valid regular expression for label \"a\""},
      {"foo{a=\"b}", 7, "expected a closing \" for the string"},
      {"rate(foo[5x])", 11, "expected a duration unit (ms, s, m, h, d, w or y), found \"x\""},
      {"rate(foo[])", 10, "expected a positive duration such as 30s, 5m or 1h"},
      {"rate(foo[5m]", 13, "expected ')' to close rate(), found the end of the query"},
      {"sum by (le (foo)", 12, "expected ',' or ')' in the grouping, found \"(\""},
      {"sum(foo, bar)", 8, "expected ')' to close the aggregation"},
      {"{job=\"x\"}", 1, "expected a metric name before '{'"},
      {"0.5", 1, "a number is only supported as histogram_quantile()'s first argument"},
      {"rate(sum(foo))", 6, "expected a range selector"},
      {"foo offset 5m", 5, "expected the end of the query"},
      {"rate(foo[99999999999999y])", 10, "expected a duration of at most 100y"},
  };
  for (const Case& c : cases) {
    const QueryError err = parse_error(c.query);
    EXPECT_EQ(err.column, c.column) << c.query << " -> " << err.to_string();
    EXPECT_NE(err.message.find(c.expected_fragment), std::string::npos)
        << c.query << " -> " << err.to_string();
  }
}

TEST(PromqlSubset, ParsesTheSubsetAndReportsWhatItReads) {
  auto q = must_parse(
      "histogram_quantile(0.99, sum by (le) (rate(latency_bucket{job=~\"api|web\"}[5m])))");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->metrics().size(), 1u);
  EXPECT_EQ(q->metrics()[0].name, "latency_bucket");
  EXPECT_EQ(q->longest_window(), std::chrono::minutes(5));
  EXPECT_TRUE(must_parse("sum(rate(a_total[1h30m])) by (code)"));
  EXPECT_EQ(must_parse("increase(a_total[1h30m])")->longest_window(), std::chrono::minutes(90));
  EXPECT_TRUE(must_parse("count without (pod) (up{job!=\"x\", pod!~'db-.*'})"));
  EXPECT_TRUE(must_parse("max(irate(a[30s]))"));
  EXPECT_TRUE(must_parse("avg(min(a))"));
  EXPECT_TRUE(must_parse("histogram_quantile(5e-1, a_bucket)"));
  EXPECT_EQ(must_parse("replicas")->longest_window(), Duration(0));
  EXPECT_EQ(must_parse("rate(a[500ms])")->longest_window(), Duration(500));
  // Rates whose extrapolation scales the value (a short history reads them low); not those
  // inside histogram_quantile (a ratio), not irate (its last two points), not a gauge.
  EXPECT_TRUE(q->extrapolated().empty());
  const auto load = must_parse("sum by (code) (increase(a_total[1h30m]))")->extrapolated();
  ASSERT_EQ(load.size(), 1u);
  EXPECT_EQ(load[0].name, "a_total");
  EXPECT_EQ(load[0].window, std::chrono::minutes(90));
  EXPECT_EQ(must_parse("max(rate(b[30s]))")->extrapolated().at(0).window, std::chrono::seconds(30));
  EXPECT_TRUE(must_parse("max(irate(a[30s]))")->extrapolated().empty());
  EXPECT_TRUE(must_parse("replicas")->extrapolated().empty());
}

TEST(PromqlSubset, SelectorSumsMatchingCurrentSeriesWithAnchoredRegexes) {
  Series s;
  s.add("req", {{"code", "200"}}, {{0, 10}});
  s.add("req", {{"code", "2000"}}, {{0, 100}});
  s.add("req", {{"code", "500"}}, {{0, 1}});
  s.add("req", {{"code", "201"}}, {{0, 1000}}, /*current=*/false);  // gone from the last scrape
  EXPECT_EQ(eval("req", s, 0).value, 111.0);
  EXPECT_EQ(eval("req", s, 0).series, 3);
  EXPECT_EQ(eval("req{code=~\"2..\"}", s, 0).value, 10.0);  // anchored: "2000" does not match
  EXPECT_EQ(eval("req{code!~\"2.*\"}", s, 0).value, 1.0);
  EXPECT_EQ(eval("req{code!=\"200\"}", s, 0).value, 101.0);
  EXPECT_EQ(eval("req{code=\"500\"}", s, 0).value, 1.0);
  EXPECT_EQ(eval("req{__name__=\"req\", code=\"500\"}", s, 0).value, 1.0);
  EXPECT_EQ(eval("req{absent=\"\"}", s, 0).value, 111.0);  // absent label matches ""
  EXPECT_EQ(eval("max(req)", s, 0).value, 100.0);
  EXPECT_EQ(eval("min(req)", s, 0).value, 1.0);
  EXPECT_EQ(eval("avg(req)", s, 0).value, 37.0);
  EXPECT_EQ(eval("count(req)", s, 0).value, 3.0);
  EXPECT_EQ(eval("sum by (code) (req)", s, 0).value, 111.0);

  const EvalResult none = eval("req{code=\"404\"}", s, 0);
  EXPECT_FALSE(none.ok());
  EXPECT_EQ(none.reason, "no series matched req{code=\"404\"} in the scrape");
  EXPECT_NE(eval("req{code=\"201\"}", s, 0).reason.find("latest scrape"), std::string::npos);
}

TEST(PromqlSubset, RateIncreaseAndIrateHandleCounterResets) {
  // 10 s scrapes; the counter resets between t=30 (120) and t=40 (5).
  Series s;
  s.add("c_total", {{"pod", "a"}}, {{10, 100}, {20, 110}, {30, 120}, {40, 5}, {50, 15}, {60, 25}});
  // increase = 25-100 + 120 (reset) = 45; first point 10 s after the range start (< 1.1 * 10 s
  // average step) so extrapolate to it; zero-point limit 50*100/45 s is further. Factor 60/50.
  EXPECT_NEAR(*eval("increase(c_total[1m])", s, 60).value, 54.0, 1e-9);
  EXPECT_NEAR(*eval("rate(c_total[1m])", s, 60).value, 0.9, 1e-9);
  EXPECT_NEAR(*eval("irate(c_total[1m])", s, 60).value, 1.0, 1e-9);  // (25-15)/10 s
  // irate across the reset itself: the new value counts from zero, 5 over 10 s.
  EXPECT_NEAR(*eval("irate(c_total[1m])", s, 40).value, 0.5, 1e-9);
  EXPECT_EQ(eval("rate(c_total[1m])", s, 60).sampled_at, at(60));
}

TEST(PromqlSubset, RateExtrapolationStopsWhereTheCounterWouldBeZero) {
  Series s;
  s.add("c_total", {}, {{30, 1}, {40, 11}, {50, 21}, {60, 31}});
  // result 30, 30 s sampled; the start gap (30 s) exceeds 1.1 * 10 s, so half a step (5 s) ...
  // ... but at 1/s the counter was 0 just 1 s before the first point: extrapolate 1 s only.
  EXPECT_NEAR(*eval("increase(c_total[1m])", s, 60).value, 31.0, 1e-9);
  // Ending 20 s after the last point (> 11 s): extrapolate half a step (5 s) at the end too.
  EXPECT_NEAR(*eval("increase(c_total[90s])", s, 80).value, 30.0 * 36.0 / 30.0, 1e-9);
}

TEST(PromqlSubset, RangeIsLeftOpenAndNeedsTwoPoints) {
  Series s;
  s.add("c_total", {}, {{0, 1}, {60, 7}});
  const EvalResult r = eval("rate(c_total[1m])", s, 60);  // the point at t=0 is outside (0, 60]
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason.rfind("not enough data: need two scrapes", 0), 0u) << r.reason;
  EXPECT_NE(r.reason.find("within the last 1m (have 1)"), std::string::npos) << r.reason;
  EXPECT_TRUE(eval("rate(c_total[61s])", s, 60).ok());
  EXPECT_EQ(eval("rate(nothing[1m])", s, 60).reason, "no series matched nothing in the scrape");
}

TEST(PromqlSubset, BucketQuantileMatchesHandComputedValues) {
  const std::vector<Bucket> h = {{0.1, 10}, {0.5, 30}, {1, 40}, {INFINITY, 40}};
  EXPECT_NEAR(bucket_quantile(0.5, h), 0.1 + 0.4 * (10.0 / 20.0), 1e-12);   // 0.3
  EXPECT_NEAR(bucket_quantile(0.99, h), 0.5 + 0.5 * (9.6 / 10.0), 1e-12);   // 0.98
  EXPECT_NEAR(bucket_quantile(0.05, h), 0.1 * (2.0 / 10.0), 1e-12);          // 0.02
  // Rank in the +Inf bucket: the upper bound of the highest finite bucket.
  EXPECT_EQ(bucket_quantile(0.9, {{0.1, 10}, {0.5, 30}, {1, 40}, {INFINITY, 50}}), 1.0);
  // Non-monotonic counts are raised to the running maximum: 10,10,40,40.
  EXPECT_NEAR(bucket_quantile(0.5, {{0.1, 10}, {0.5, 8}, {1, 40}, {INFINITY, 40}}),
              0.5 + 0.5 * (10.0 / 30.0), 1e-12);
  // Order does not matter, duplicate bounds are merged.
  EXPECT_NEAR(bucket_quantile(0.5, {{INFINITY, 20}, {0.5, 15}, {0.1, 5}, {0.5, 15}, {0.1, 5}, {INFINITY, 20}}),
              0.3, 1e-12);
  EXPECT_TRUE(std::isnan(bucket_quantile(0.5, {{0.1, 0}, {INFINITY, 0}})));   // no observations
  EXPECT_TRUE(std::isnan(bucket_quantile(0.5, {{0.1, 3}, {1, 5}})));          // no +Inf bucket
  EXPECT_TRUE(std::isnan(bucket_quantile(0.5, {{INFINITY, 5}})));             // one bucket
  EXPECT_EQ(bucket_quantile(-0.1, h), -INFINITY);
  EXPECT_EQ(bucket_quantile(1.1, h), INFINITY);
  EXPECT_EQ(bucket_quantile(0.01, {{-1, 5}, {INFINITY, 10}}), -1.0);  // non-positive first bound
}

TEST(PromqlSubset, HistogramQuantileOverRatesOfBuckets) {
  // Two handlers, 10 s scrapes at t=40,50,60, window 30 s: each rate is delta/20 s exactly
  // (start gap 10 s < 11 s extrapolates by 10 s: factor 30/20, divided by 30 s).
  Series s;
  auto bucket = [&](const char* handler, const char* le, double v0, double v1, double v2) {
    s.add("lat_bucket", {{"handler", handler}, {"le", le}}, {{40, v0}, {50, v1}, {60, v2}});
  };
  bucket("a", "0.1", 1000, 1010, 1020);  // rate 1
  bucket("a", "0.5", 1000, 1030, 1060);  // rate 3
  bucket("a", "+Inf", 1000, 1040, 1080); // rate 4
  bucket("b", "0.1", 1000, 1000, 1000);  // rate 0
  bucket("b", "0.5", 1000, 1010, 1020);  // rate 1
  bucket("b", "+Inf", 1000, 1020, 1040); // rate 2
  // Summed by le: 1, 4, 6. rank 3 lands in (0.1, 0.5]: 0.1 + 0.4 * (3-1)/(4-1).
  const EvalResult summed = eval("histogram_quantile(0.5, sum by (le) (rate(lat_bucket[30s])))", s, 60);
  ASSERT_TRUE(summed.ok()) << summed.reason;
  EXPECT_NEAR(*summed.value, 0.1 + 0.4 * 2.0 / 3.0, 1e-9);
  EXPECT_EQ(summed.sampled_at, at(60));
  EXPECT_NEAR(*eval("histogram_quantile(0.5, sum(rate(lat_bucket[30s])) by (le))", s, 60).value,
              0.1 + 0.4 * 2.0 / 3.0, 1e-9);
  // Per handler: a -> 0.3, b -> 0.5; several quantiles reduce to the largest.
  const EvalResult per_handler = eval("histogram_quantile(0.5, rate(lat_bucket[30s]))", s, 60);
  EXPECT_NEAR(*per_handler.value, 0.5, 1e-9);
  EXPECT_EQ(per_handler.series, 2);
  EXPECT_NEAR(*eval("histogram_quantile(0.5, rate(lat_bucket{handler=\"a\"}[30s]))", s, 60).value, 0.3, 1e-9);
}

TEST(PromqlSubset, HistogramQuantileWithoutDataSaysWhy) {
  Series s;
  s.add("idle_bucket", {{"le", "1"}}, {{50, 7}, {60, 7}});
  s.add("idle_bucket", {{"le", "+Inf"}}, {{50, 7}, {60, 7}});
  s.add("noinf_bucket", {{"le", "1"}}, {{50, 7}, {60, 9}});
  s.add("nole", {}, {{50, 7}, {60, 9}});
  const EvalResult idle = eval("histogram_quantile(0.9, sum by (le) (rate(idle_bucket[1m])))", s, 60);
  EXPECT_FALSE(idle.ok());
  EXPECT_NE(idle.reason.find("no observations"), std::string::npos) << idle.reason;
  EXPECT_NE(eval("histogram_quantile(0.9, rate(noinf_bucket[1m]))", s, 60).reason.find("+Inf"),
            std::string::npos);
  EXPECT_NE(eval("histogram_quantile(0.9, rate(nole[1m]))", s, 60).reason.find("\"le\" label"),
            std::string::npos);
  EXPECT_EQ(eval("histogram_quantile(0.9, rate(idle_bucket[1m]))", s, 30).reason.rfind("not enough data", 0), 0u);
}

}  // namespace
}  // namespace opspilot::agent::promql
