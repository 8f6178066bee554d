// ScrapeSource against a real HTTP server (python3 -m http.server serving a metrics file that the
// test rewrites between scrapes), with time stepped by a ManualClock.
#include "agent/source/scrape_source.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <thread>

#include "tests/test_support.h"

namespace opspilot::agent {
namespace {

using std::chrono::seconds;

/// python3's http.server over a temporary directory, on a free loopback port.
class MetricsServer {
 public:
  MetricsServer() : port_(test::free_port()) {
    const std::string python = test::find_program("python3");
    if (python.empty()) throw std::runtime_error("python3 is not on PATH");
    dir_.write("ready", "ok");
    server_ = std::make_unique<test::ChildProcess>(
        python, std::vector<std::string>{"-m", "http.server", std::to_string(port_), "--bind",
                                         "127.0.0.1", "--directory", dir_.path().string()},
        dir_.file("server.log"));
    if (!test::wait_for_http(url("ready"), std::chrono::seconds(10))) {
      throw std::runtime_error("python3 -m http.server did not start on port " + std::to_string(port_));
    }
  }
  std::string url(const std::string& file) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + file;
  }
  void write(const std::string& file, const std::string& content) const { dir_.write(file, content); }

 private:
  int port_;
  test::TempDir dir_;
  std::unique_ptr<test::ChildProcess> server_;
};

/// A 0.0.4 exposition of a web app: requests by code, a gauge, a latency histogram.
std::string exposition(double ok, double errors, double replicas, const std::vector<double>& buckets) {
  std::string s =
      "# HELP http_requests_total Requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{code=\"200\",handler=\"/api\"} " + std::to_string(ok) + "\n"
      "http_requests_total{code=\"500\",handler=\"/api\"} " + std::to_string(errors) + "\n"
      "# TYPE replicas gauge\n"
      "replicas " + std::to_string(replicas) + "\n"
      "# TYPE latency_seconds histogram\n";
  const char* les[] = {"0.1", "0.5", "+Inf"};
  for (std::size_t i = 0; i < buckets.size() && i < 3; ++i) {
    s += "latency_seconds_bucket{le=\"" + std::string(les[i]) + "\"} " + std::to_string(buckets[i]) + "\n";
  }
  s += "latency_seconds_count " + std::to_string(buckets.empty() ? 0 : buckets.back()) + "\n";
  return s;
}

TargetSpec make_target(const std::string& url) {
  TargetSpec t;
  t.name = "web";
  t.scrape_url = url;
  t.signals["load"].query = "sum(rate(http_requests_total[1m]))";
  t.signals["errors"].query = "rate(http_requests_total{code=~\"5..\"}[1m])";
  t.signals["replicas"].query = "replicas";
  t.signals["latency"].query = "histogram_quantile(0.5, sum by (le) (rate(latency_seconds_bucket[1m])))";
  t.signals["broken"].query = "rate(http_requests_total)";
  return t;
}

ScrapeSpec fast_spec(int retries = 0) {
  ScrapeSpec spec;
  spec.timeout = std::chrono::milliseconds(1000);
  spec.retries = retries;
  return spec;
}

TEST(ScrapeSource, RatesGrowAcrossScrapesAndSurviveACounterReset) {
  MetricsServer server;
  ManualClock clock;
  const TimePoint t0 = clock.now();
  ScrapeSource source(fast_spec());
  const TargetSpec target = make_target(server.url("metrics"));

  server.write("metrics", exposition(100, 5, 3, {0, 0, 0}));
  Observation o1 = source.observe(target, clock.now());
  EXPECT_EQ(o1.at, t0);
  EXPECT_EQ(o1.source, "scrape " + server.url("metrics"));
  ASSERT_EQ(o1.signals.size(), 5u);
  EXPECT_EQ(o1.get("replicas")->status, SignalStatus::Ok) << o1.get("replicas")->error;
  EXPECT_EQ(o1.get("replicas")->value, 3.0);
  EXPECT_EQ(o1.get("replicas")->sampled_at, t0);
  EXPECT_EQ(o1.get("load")->status, SignalStatus::Missing);
  EXPECT_EQ(o1.get("load")->error.rfind("not enough data: need two scrapes", 0), 0u) << o1.get("load")->error;
  EXPECT_EQ(o1.get("load")->query, "sum(rate(http_requests_total[1m]))");
  EXPECT_EQ(o1.get("broken")->status, SignalStatus::Error);
  EXPECT_NE(o1.get("broken")->error.find("column 6: expected a range selector"), std::string::npos)
      << o1.get("broken")->error;

  // +15 s: code 200 went 100 -> 400, code 500 went 5 -> 15. Two points 15 s apart in a 1m window:
  // Prometheus would extrapolate half a step towards the window's start, not the 45 s the agent
  // never saw, and read the rate low; the rates are missing until the scrapes reach within 1.1
  // steps of the start. The histogram's quantile is a ratio (the same factor on every bucket).
  clock.advance(seconds(15));
  server.write("metrics", exposition(400, 15, 4, {10, 30, 40}));
  Observation o2 = source.observe(target, clock.now());
  ASSERT_EQ(o2.get("load")->status, SignalStatus::Missing);
  EXPECT_EQ(o2.get("load")->error,
            "warming up: http_requests_total has been scraped for 15s (2 scrapes) of the 1m window its rate is "
            "taken over, which would read low; honest after about 44s of scrapes at this interval");
  EXPECT_EQ(o2.get("errors")->status, SignalStatus::Missing);
  EXPECT_EQ(o2.get("replicas")->value, 4.0);
  // Buckets went 0 -> 10, 30, 40: the quantile is that of (10, 30, 40): rank 20 in (0.1, 0.5]
  // -> 0.1 + 0.4 * 10/20.
  ASSERT_EQ(o2.get("latency")->status, SignalStatus::Ok) << o2.get("latency")->error;
  EXPECT_NEAR(o2.get("latency")->value, 0.3, 1e-9);

  // +15 s: the app restarted, code 200 is back at 50. Still 30 s short of the window's start.
  clock.advance(seconds(15));
  server.write("metrics", exposition(50, 20, 4, {10, 30, 40}));
  Observation o3 = source.observe(target, clock.now());
  EXPECT_EQ(o3.get("load")->status, SignalStatus::Missing);

  // +15 s: 45 s of scrapes, the window's start 15 s before the first one: within 1.1 steps, so
  // extrapolated to it, capped where the counter would be zero (sampled × first / increase).
  // 200: 100 -> 400 -> 50 (a reset) -> 200, increase 100 + 400 = 500, start min(15, 45*100/500);
  // 500: 5 -> 15 -> 20 -> 26, increase 21, start min(15, 45*5/21).
  clock.advance(seconds(15));
  server.write("metrics", exposition(200, 26, 4, {10, 30, 40}));
  Observation o4 = source.observe(target, clock.now());
  ASSERT_EQ(o4.get("load")->status, SignalStatus::Ok) << o4.get("load")->error;
  const double ok_rate = 500.0 * ((45.0 + 9.0) / 45.0) / 60.0;
  const double err_rate = 21.0 * ((45.0 + 45.0 * 5.0 / 21.0) / 45.0) / 60.0;
  EXPECT_NEAR(o4.get("load")->value, ok_rate + err_rate, 1e-9);
  EXPECT_EQ(o4.get("load")->sampled_at, t0 + seconds(45));
  EXPECT_NEAR(o4.get("errors")->value, err_rate, 1e-9);
  EXPECT_EQ(o4.get("latency")->status, SignalStatus::Ok);

  const ScrapeStats st = source.stats();
  EXPECT_EQ(st.scrapes, 4u);
  EXPECT_EQ(st.scrape_errors, 0u);
  EXPECT_EQ(st.counter_resets, 1u);
  EXPECT_EQ(st.bad_lines, 0u);
  EXPECT_EQ(st.samples, 4u * 7u);
}

TEST(ScrapeSource, BadLinesAndNanSamplesAreCountedAndExplained) {
  MetricsServer server;
  ManualClock clock;
  ScrapeSource source(fast_spec());
  TargetSpec target;
  target.name = "app";
  target.scrape_url = server.url("metrics");
  target.signals["load"].query = "queue_depth";
  target.signals["missing"].query = "not_exposed";
  server.write("metrics",
               "queue_depth{shard=\"a\"} 7\n"
               "queue_depth{shard=\"b\"} NaN\n"
               "queue_depth{shard=\"c\"} +Inf\n"
               "broken{x=1} 2\n");
  const Observation o = source.observe(target, clock.now());
  EXPECT_EQ(o.get("load")->status, SignalStatus::Ok);
  EXPECT_EQ(o.get("load")->value, 7.0);  // NaN and +Inf never become values
  const SignalValue* missing = o.get("missing");
  EXPECT_EQ(missing->status, SignalStatus::Missing);
  EXPECT_NE(missing->error.find("no series matched not_exposed"), std::string::npos) << missing->error;
  EXPECT_NE(missing->error.find("line 4: column 10"), std::string::npos) << missing->error;
  EXPECT_EQ(source.stats().nan_samples, 2u);
  EXPECT_EQ(source.stats().bad_lines, 1u);
}

TEST(ScrapeSource, OpenMetricsBodyWithTimestampsIsRecognisedAndUsed) {
  MetricsServer server;
  ManualClock clock;
  ScrapeSource source(fast_spec());
  TargetSpec target;
  target.name = "om";
  target.scrape_url = server.url("metrics");  // served as application/octet-stream: sniffed
  target.signals["load"].query = "increase(jobs_total[20s])";
  const double base = to_unix_seconds(clock.now());
  auto body = [&](double ts, double v) {
    return "# TYPE jobs counter\njobs_total " + std::to_string(v) + " " + std::to_string(ts) +
           " # {trace_id=\"1\"} 1\njobs_created 1\n# EOF\n";
  };
  server.write("metrics", body(base - 5, 1000));
  source.observe(target, clock.now());
  clock.advance(seconds(10));
  server.write("metrics", body(base + 5, 1010));
  const Observation o = source.observe(target, clock.now());
  ASSERT_EQ(o.get("load")->status, SignalStatus::Ok) << o.get("load")->error;
  // Points at now-15 s and now-5 s (their own timestamps, not the scrape times): a 10 s step;
  // the window (now-20 s, now]: start gap 5 s and end gap 5 s, both under 11 s, extrapolate fully:
  // increase 10 * (10+5+5)/10.
  EXPECT_NEAR(o.get("load")->value, 20.0, 1e-6);
  EXPECT_EQ(o.get("load")->sampled_at, clock.now() - seconds(5));
}

TEST(ScrapeSource, NotFoundIsAnErrorQuotingStatusAndBody) {
  MetricsServer server;
  ScrapeSource source(fast_spec(/*retries=*/2));
  const TargetSpec target = make_target(server.url("no-such-file"));
  const Observation o = source.observe(target, ManualClock().now());
  for (const auto& [role, sv] : o.signals) {
    EXPECT_EQ(sv.status, SignalStatus::Error) << role;
    if (role == "broken") continue;  // its own parse error wins
    EXPECT_NE(sv.error.find("failed after 1 attempt: HTTP 404 (expected 200), body \""), std::string::npos)
        << sv.error;  // 404 is final: not retried
    EXPECT_NE(sv.error.find("File not found"), std::string::npos) << sv.error;
    EXPECT_LE(sv.error.size(), 500u);
  }
  EXPECT_EQ(source.stats().scrape_errors, 1u);
}

TEST(ScrapeSource, ConnectionRefusedIsAnErrorAfterRetries) {
  const int port = test::free_port();  // nothing listens here
  ScrapeSource source(fast_spec(/*retries=*/1));
  const TargetSpec target = make_target("http://127.0.0.1:" + std::to_string(port) + "/metrics");
  const Observation o = source.observe(target, ManualClock().now());
  const SignalValue* load = o.get("load");
  EXPECT_EQ(load->status, SignalStatus::Error);
  EXPECT_NE(load->error.find("failed after 2 attempts: "), std::string::npos) << load->error;
  EXPECT_NE(load->error.find("onnect"), std::string::npos) << load->error;  // "Couldn't connect"
  EXPECT_EQ(source.stats().scrape_errors, 1u);
}

TEST(ScrapeSource, TimeoutIsAnError) {
  // A listener whose connections are accepted by the kernel but never answered.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ScrapeSpec spec;
  spec.timeout = std::chrono::milliseconds(300);
  spec.retries = 0;
  ScrapeSource source(spec);
  const TargetSpec target = make_target("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/metrics");
  const auto started = std::chrono::steady_clock::now();
  const Observation o = source.observe(target, ManualClock().now());
  const auto took = std::chrono::steady_clock::now() - started;
  ::close(fd);
  EXPECT_EQ(o.get("load")->status, SignalStatus::Error);
  EXPECT_NE(o.get("load")->error.find("Timeout"), std::string::npos) << o.get("load")->error;
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(ScrapeSource, QueryCacheFollowsConfigChangesAndTargetsRunConcurrently) {
  MetricsServer server;
  server.write("metrics", exposition(100, 5, 3, {0, 0, 0}));
  ScrapeSource source(fast_spec());
  ManualClock clock;
  TargetSpec a;
  a.name = "a";
  a.scrape_url = server.url("metrics");
  a.signals["load"].query = "replicas +";
  EXPECT_EQ(source.observe(a, clock.now()).get("load")->status, SignalStatus::Error);
  a.signals["load"].query = "max(replicas)";  // fixed in a config reload
  EXPECT_EQ(source.observe(a, clock.now()).get("load")->value, 3.0);

  TargetSpec b = a;
  b.name = "b";
  b.signals["load"].query = "sum(http_requests_total)";
  std::vector<Observation> oa(4), ob(4);
  std::thread ta([&] { for (auto& o : oa) o = source.observe(a, clock.now()); });
  std::thread tb([&] { for (auto& o : ob) o = source.observe(b, clock.now()); });
  ta.join();
  tb.join();
  for (const auto& o : oa) EXPECT_EQ(o.get("load")->value, 3.0);
  for (const auto& o : ob) EXPECT_EQ(o.get("load")->value, 105.0);
  EXPECT_EQ(source.stats().scrapes, 9u);  // the unparsable query did not scrape
}

TEST(SeriesHistory, BoundedPointsAndForgottenSeries) {
  SeriesHistory h(/*max_series=*/2, /*max_points=*/3);
  const TimePoint t0 = ManualClock().now();
  const exposition::Label la[] = {{"x", "a"}}, lb[] = {{"x", "b"}}, lc[] = {{"x", "c"}};
  for (int i = 0; i < 5; ++i) {
    h.begin_scrape(t0 + seconds(i));
    EXPECT_NE(h.add("m", la, t0 + seconds(i), i), SeriesHistory::AddResult::Full);
  }
  EXPECT_EQ(h.add("m", la, t0 + seconds(4), 9), SeriesHistory::AddResult::Duplicate);
  EXPECT_EQ(h.add("m", lb, t0 + seconds(4), 1), SeriesHistory::AddResult::Added);
  EXPECT_EQ(h.add("m", lc, t0 + seconds(4), 1), SeriesHistory::AddResult::Full);
  h.begin_scrape(t0 + seconds(5));
  EXPECT_EQ(h.add("m", la, t0 + seconds(5), 0), SeriesHistory::AddResult::CounterReset);
  std::size_t points_a = 0;
  h.for_each("m", [&](const promql::SeriesRef& s) {
    if ((*s.labels)[0].second == "a") points_a = s.points.size();
  });
  EXPECT_EQ(points_a, 3u);
  h.trim("m", t0 + seconds(10), t0 + seconds(5));  // b last seen at 4 s: forgotten
  EXPECT_EQ(h.series_count(), 1u);
  h.for_each("m", [&](const promql::SeriesRef& s) { EXPECT_EQ(s.points.size(), 1u); });  // newest kept
  h.retain_only({});
  EXPECT_EQ(h.series_count(), 0u);
}

}  // namespace
}  // namespace opspilot::agent
