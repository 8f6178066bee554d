// PrometheusClient and PrometheusSource: the reduction rules, and the whole client against a real
// Prometheus (Debian's /usr/bin/prometheus) scraping itself. The decoder's tests on inline
// documents are in prometheus_decode_test.cpp.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>

#include "agent/source/prometheus_client.h"
#include "agent/source/prometheus_source.h"
#include "tests/prometheus_server.h"
#include "tests/test_support.h"

namespace opspilot::agent {
namespace {

using namespace std::chrono_literals;

const char* status_name(SignalStatus s) {
  switch (s) {
    case SignalStatus::Ok: return "Ok";
    case SignalStatus::Missing: return "Missing";
    case SignalStatus::Stale: return "Stale";
    case SignalStatus::Error: return "Error";
  }
  return "?";
}

TimePoint system_now() { return SystemClock().now(); }

// ---------------------------------------------------------------------------------------------
// Reducing a result to one signal value, without a server.

PromQueryResult vector_of(std::vector<std::pair<double, double>> time_value) {
  PromQueryResult q;
  q.result.type = PromResultType::Vector;
  for (const auto& [t, v] : time_value) q.result.series.push_back(PromSeries{{}, {{t, v}}});
  return q;
}

TEST(PrometheusSourceReduce, StatusRules) {
  const TimePoint now = from_unix_seconds(1700000100);
  const Duration stale_after = 2min;
  bool non_finite = true;

  auto v = reduce_to_signal(vector_of({{1700000095, 4}}), "q", now, stale_after, &non_finite);
  EXPECT_EQ(v.status, SignalStatus::Ok) << v.error;
  EXPECT_EQ(v.value, 4);
  EXPECT_EQ(v.query, "q");
  EXPECT_EQ(v.sampled_at, from_unix_seconds(1700000095));
  EXPECT_FALSE(non_finite);

  v = reduce_to_signal(vector_of({{1700000090, 1}, {1700000095, 2}}), "q", now, stale_after);
  EXPECT_EQ(v.status, SignalStatus::Ok);
  EXPECT_EQ(v.value, 3) << "several series are summed";
  EXPECT_EQ(v.sampled_at, from_unix_seconds(1700000090)) << "the oldest sample time";

  v = reduce_to_signal(vector_of({}), "q", now, stale_after);
  EXPECT_EQ(v.status, SignalStatus::Missing);
  EXPECT_EQ(v.error, "no data: query returned no series");

  v = reduce_to_signal(vector_of({{1700000095, 1}, {1700000095, std::nan("")}}), "q", now, stale_after,
                       &non_finite);
  EXPECT_EQ(v.status, SignalStatus::Error);
  EXPECT_EQ(v.error, "not a finite number: NaN (sum of 2 series)");
  EXPECT_TRUE(non_finite);

  v = reduce_to_signal(vector_of({{1700000095, -std::numeric_limits<double>::infinity()}}), "q", now,
                       stale_after);
  EXPECT_EQ(v.error, "not a finite number: -Inf");

  v = reduce_to_signal(vector_of({{1700000100 - 121, 1}}), "q", now, stale_after);
  EXPECT_EQ(v.status, SignalStatus::Stale);
  EXPECT_EQ(v.error, "sample is 121.0 s old; stale after 120.0 s");
  EXPECT_EQ(v.value, 1);

  auto matrix = vector_of({{1700000095, 1}});
  matrix.result.type = PromResultType::Matrix;
  v = reduce_to_signal(matrix, "x[5m]", now, stale_after);
  EXPECT_EQ(v.status, SignalStatus::Error);
  EXPECT_NE(v.error.find("range vector (matrix)"), std::string::npos) << v.error;

  PromQueryResult failed;
  failed.error = PromError{PromErrorKind::Transport, "cannot reach prometheus", 0, {}, "refused"};
  v = reduce_to_signal(failed, "q", now, stale_after, &non_finite);
  EXPECT_EQ(v.status, SignalStatus::Error);
  EXPECT_EQ(v.error, "cannot reach prometheus");
  EXPECT_FALSE(non_finite);
}

// ---------------------------------------------------------------------------------------------
// Against a real Prometheus, started once for the suite.

class PrometheusClientLive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_error_.clear();
    const std::string program = test::find_program("prometheus");
    if (program.empty()) {
      setup_error_ = "prometheus is not on PATH; `make test` installs Debian's prometheus package";
      return;
    }
    prom_ = std::make_unique<test::PrometheusServer>(std::vector<std::string>{"self"}, "self");
    url_ = prom_->url();
    if (!prom_->wait_ready(30s, &setup_error_)) return;
    // Prometheus applies a new scrape configuration only on its 5 s reload ticks, so the first
    // sample of `up` arrives 5-10 s after start.
    PrometheusClient client(PrometheusClientOptions{url_});
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = client.query("up");
      if (r.ok() && r.result.series.size() == 1 && !r.result.series[0].samples.empty()) {
        // The sample's own time (not the evaluation time) is `timestamp(up)`.
        auto t = client.query("timestamp(up)");
        if (t.ok() && t.result.series.size() == 1) {
          first_up_time_ = t.result.series[0].samples.at(0).value;
          return;
        }
      }
      std::this_thread::sleep_for(200ms);
    }
    setup_error_ = "prometheus at " + url_ + " has no sample of `up` after 30 s; log:\n" + prom_->log_tail();
  }

  static void TearDownTestSuite() {
    prom_.reset();
  }

  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static PrometheusClientOptions options() { return test::client_options(url_, 5s, 50ms); }

  static inline std::unique_ptr<test::PrometheusServer> prom_;
  static inline std::string url_;
  static inline std::string setup_error_;
  static inline double first_up_time_ = 0;
};

TEST_F(PrometheusClientLive, InstantQueryOfUpIsOne) {
  PrometheusClient client(options());
  const auto r = client.query("up");
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.attempts, 1);
  EXPECT_FALSE(r.used_post);
  EXPECT_EQ(r.result.type, PromResultType::Vector);
  ASSERT_EQ(r.result.series.size(), 1u);
  const auto& s = r.result.series[0];
  EXPECT_EQ(s.labels.at("__name__"), "up");
  EXPECT_EQ(s.labels.at("job"), "self");
  ASSERT_EQ(s.samples.size(), 1u);
  EXPECT_EQ(s.samples[0].value, 1.0);
  EXPECT_NEAR(s.samples[0].time, to_unix_seconds(system_now()), 10.0);
  EXPECT_EQ(client.stats().queries, 1u);
  EXPECT_EQ(client.stats().query_errors, 0u);
}

TEST_F(PrometheusClientLive, RangeQueryHasPointsAtTheStep) {
  // From just after the first sample of `up`, every 0.5 s for 5 s: 11 points, all 1.
  const TimePoint start = TimePoint(Duration(std::llround(first_up_time_ * 1000) + 1));
  for (const std::size_t max_get : {std::size_t{2048}, std::size_t{0}}) {  // GET, then POST
    auto o = options();
    o.max_get_url_bytes = max_get;
    PrometheusClient client(o);
    const auto r = client.query_range("up", start, start + 5s, 500ms);
    ASSERT_TRUE(r.ok()) << r.error->message;
    EXPECT_EQ(r.used_post, max_get == 0);
    EXPECT_EQ(r.result.type, PromResultType::Matrix);
    ASSERT_EQ(r.result.series.size(), 1u);
    const auto& samples = r.result.series[0].samples;
    ASSERT_EQ(samples.size(), 11u);
    EXPECT_NEAR(samples.front().time, to_unix_seconds(start), 1e-6);
    for (std::size_t i = 1; i < samples.size(); ++i) {
      EXPECT_NEAR(samples[i].time - samples[i - 1].time, 0.5, 1e-6) << "point " << i;
      EXPECT_EQ(samples[i].value, 1.0);
    }
  }
  PrometheusClient client(options());
  const auto bad = client.query_range("up", start, start + 5s, 0ms);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error->kind, PromErrorKind::InvalidArgument);
  EXPECT_NE(bad.error->message.find("step 0 ms is not positive"), std::string::npos) << bad.error->message;
  EXPECT_EQ(bad.attempts, 0);
}

TEST_F(PrometheusClientLive, RateOfHttpRequests) {
  PrometheusClient client(options());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  PromQueryResult r;
  do {  // rate() needs two scrapes inside its window
    r = client.query("rate(prometheus_http_requests_total[30s])");
    ASSERT_TRUE(r.ok()) << r.error->message;
    if (!r.result.series.empty()) break;
    std::this_thread::sleep_for(250ms);
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_FALSE(r.result.series.empty()) << "rate() returned no series within 10 s";
  EXPECT_EQ(r.result.type, PromResultType::Vector);
  bool saw_handler = false;
  for (const auto& s : r.result.series) {
    ASSERT_EQ(s.samples.size(), 1u);
    EXPECT_TRUE(std::isfinite(s.samples[0].value));
    EXPECT_GE(s.samples[0].value, 0.0);
    EXPECT_EQ(s.labels.count("__name__"), 0u) << "rate() drops the metric name";
    saw_handler = saw_handler || s.labels.count("handler") == 1;
  }
  EXPECT_TRUE(saw_handler);
}

TEST_F(PrometheusClientLive, BadQueryQuotesPrometheusAndIsNotRetried) {
  PrometheusClient client(options());
  const auto r = client.query("foo(");
  ASSERT_FALSE(r.ok());
  const PromError& e = *r.error;
  EXPECT_EQ(e.kind, PromErrorKind::Rejected);
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.error_type, "bad_data");
  EXPECT_NE(e.detail.find("1:5: parse error: unclosed left parenthesis"), std::string::npos) << e.detail;
  EXPECT_EQ(e.message.rfind("prometheus rejected query \"foo(\": bad_data: ", 0), 0u) << e.message;
  EXPECT_NE(e.message.find("parse error: unclosed left parenthesis"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("HTTP 400, 1 attempt)"), std::string::npos) << e.message;
  EXPECT_EQ(r.attempts, 1) << "a bad query is final";

  // An execution error (422) is final too.
  const auto m = client.query(R"((vector(1) or label_replace(vector(1), "a", "b", "", "")) + on() )"
                              R"((vector(1) or label_replace(vector(1), "a", "c", "", "")))");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error->http_status, 422) << m.error->message;
  EXPECT_EQ(m.error->error_type, "execution");
  EXPECT_NE(m.error->message.find("many-to-many matching not allowed"), std::string::npos) << m.error->message;
  EXPECT_EQ(m.attempts, 1);
  EXPECT_EQ(client.stats().retries, 0u);
  EXPECT_EQ(client.stats().query_errors, 2u);
}

TEST_F(PrometheusClientLive, ClosedPortFailsAfterTheConfiguredAttemptsWithBackoff) {
  PrometheusClientOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(test::free_port());
  o.timeout = 1s;
  o.retry.attempts = 3;
  o.retry.base = 100ms;
  o.retry.cap = 1s;
  PrometheusClient client(o);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = client.query("up");
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, PromErrorKind::Transport);
  EXPECT_EQ(r.error->http_status, 0);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_NE(r.error->message.find("Couldn't connect to server"), std::string::npos) << r.error->message;
  EXPECT_NE(r.error->message.find("(3 attempts, "), std::string::npos) << r.error->message;
  // Equal jitter: the waits are at least 50 ms then 100 ms, at most 100 ms then 200 ms.
  EXPECT_GE(r.backoff_seconds, 0.150);
  EXPECT_LE(r.backoff_seconds, 0.300 + 0.2);  // slack for a loaded machine oversleeping
  EXPECT_GE(elapsed, r.backoff_seconds);
  EXPECT_EQ(client.stats().retries, 2u);
  EXPECT_EQ(client.stats().query_errors, 1u);
}

TEST_F(PrometheusClientLive, ServerTimeoutIsRetriedThenQuoted) {
  // A second, short-lived Prometheus whose queries time out: it answers 503 errorType "timeout",
  // which is worth retrying.
  test::PrometheusServer prom({}, "", {"--query.timeout=1ms"});
  const std::string url = prom.url();
  std::string why;
  ASSERT_TRUE(prom.wait_ready(20s, &why)) << why;
  PrometheusClientOptions o;
  o.url = url;
  o.retry.attempts = 3;
  o.retry.base = 20ms;
  PrometheusClient client(o);
  const auto r = client.query(R"(sum(count_over_time(label_replace(vector(1), "a", "b", "", "")[10d:1s])))");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, PromErrorKind::Rejected);
  EXPECT_EQ(r.error->http_status, 503);
  EXPECT_EQ(r.error->error_type, "timeout");
  EXPECT_NE(r.error->message.find(": timeout: query timed out"), std::string::npos) << r.error->message;
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(client.stats().retries, 2u);
}

TEST_F(PrometheusClientLive, ConfiguredHeadersAreSent) {
  // A second Prometheus that demands basic auth (user admin, password test; bcrypt cost 4 so
  // checking it is fast). Without the configured Authorization header: 401, which is final.
  test::TempDir web_dir;
  const std::string web = web_dir.write(
      "web.yml", "basic_auth_users:\n  admin: $2b$04$opspilotopspilotopspiejQOT.9NhUweK37/TMds3kgDF7bDOnAC\n");
  test::PrometheusServer prom({}, "", {"--web.config.file=" + web});
  PrometheusSpec spec;
  spec.url = prom.url();
  spec.retries = 2;
  spec.backoff = 10ms;
  PrometheusClient anonymous(spec);
  spec.headers["Authorization"] = "Basic YWRtaW46dGVzdA==";
  PrometheusClient authorized(spec);

  PromQueryResult r;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  do {  // until the server listens and is ready (a loaded machine may see 503s while it starts)
    r = anonymous.query("vector(1)");
    if (!r.ok() && r.error->kind != PromErrorKind::Transport && r.error->http_status != 503) break;
    std::this_thread::sleep_for(50ms);
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error->http_status, 401) << r.error->message;
  // The wait above may have spent attempts on a server still starting; now that it answers, one
  // query must take exactly one attempt.
  r = anonymous.query("vector(1)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, PromErrorKind::HttpStatus) << r.error->message;
  EXPECT_EQ(r.error->http_status, 401);
  EXPECT_EQ(r.attempts, 1) << "401 is not worth retrying";
  EXPECT_NE(r.error->message.find("answered HTTP 401 to query \"vector(1)\" (1 attempt): \"Unauthorized"),
            std::string::npos)
      << r.error->message;

  r = authorized.query("vector(7)");
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.result.series.at(0).samples.at(0).value, 7.0);
}

TEST_F(PrometheusClientLive, NonFiniteValuesDecode) {
  PrometheusClient client(options());
  const std::vector<std::pair<std::string, double>> cases = {
      {"0/0", std::nan("")},
      {"1/0", std::numeric_limits<double>::infinity()},
      {"-1/0", -std::numeric_limits<double>::infinity()},
  };
  for (const auto& [q, expected] : cases) {
    const auto r = client.query(q);
    ASSERT_TRUE(r.ok()) << r.error->message;
    EXPECT_EQ(r.result.type, PromResultType::Scalar) << q;
    ASSERT_EQ(r.result.series.size(), 1u);
    const double v = r.result.series[0].samples.at(0).value;
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(v)) << q << " = " << v;
    } else {
      EXPECT_EQ(v, expected) << q;
    }
  }
}

TEST_F(PrometheusClientLive, VectorScalarAndStringResults) {
  PrometheusClient client(options());
  auto r = client.query("vector(1)");
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.result.type, PromResultType::Vector);
  ASSERT_EQ(r.result.series.size(), 1u);
  EXPECT_TRUE(r.result.series[0].labels.empty());
  EXPECT_EQ(r.result.series[0].samples.at(0).value, 1.0);

  r = client.query("scalar(vector(2)) * 3");
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.result.type, PromResultType::Scalar);
  EXPECT_EQ(r.result.series.at(0).samples.at(0).value, 6.0);

  r = client.query(R"("hello")");
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.result.type, PromResultType::String);
  EXPECT_EQ(r.result.string_value, "hello");
}

TEST_F(PrometheusClientLive, TimeParameterIsHonouredToTheMillisecond) {
  PrometheusClient client(options());
  const TimePoint at = TimePoint(Duration(std::llround(first_up_time_ * 1000) - 60'123));
  const auto r = client.query("time()", at);
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_NEAR(r.result.series.at(0).samples.at(0).value, to_unix_seconds(at), 1e-6);
}

TEST_F(PrometheusClientLive, LongQueryIsSentAsPostForm) {
  std::string alternatives = "self";
  while (alternatives.size() < 3000) alternatives += "|job_" + std::to_string(alternatives.size());
  const std::string q = "up{job=~\"" + alternatives + "\"}";
  PrometheusClient client(options());
  const auto r = client.query(q);
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_TRUE(r.used_post);
  ASSERT_EQ(r.result.series.size(), 1u);
  EXPECT_EQ(r.result.series[0].samples.at(0).value, 1.0);
}

TEST_F(PrometheusClientLive, ConcurrentQueriesShareOneClient) {
  PrometheusClient client(options());
  constexpr int kThreads = 4;
  constexpr int kQueries = 15;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kQueries; ++i) {
        const auto r = client.query("vector(" + std::to_string(t * 100 + i) + ")");
        if (r.ok() && r.result.series.size() == 1 && r.result.series[0].samples.at(0).value == t * 100 + i) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kQueries);
  EXPECT_EQ(client.stats().queries, static_cast<std::uint64_t>(kThreads * kQueries));
  EXPECT_EQ(client.stats().query_errors, 0u);
}

TEST_F(PrometheusClientLive, SourceFillsAnObservation) {
  auto client = std::make_shared<PrometheusClient>(options());
  PrometheusSource source(client, PrometheusSourceOptions{QueryTime::ServerNow, 2min});
  TargetSpec target;
  target.name = "web";
  target.signals["load"].query = "up";
  target.signals["absent"].query = "nonexistent_metric";
  target.signals["nan"].query = "0/0";
  target.signals["broken"].query = "foo(";
  target.signals["two"].query = R"(vector(1) or label_replace(vector(2), "x", "y", "", ""))";
  const TimePoint now = system_now();
  const Observation obs = source.observe(target, now);
  EXPECT_EQ(obs.at, now);
  EXPECT_EQ(obs.source, "prometheus " + url_);
  ASSERT_EQ(obs.signals.size(), 5u);

  const SignalValue* load = obs.get("load");
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->status, SignalStatus::Ok) << status_name(load->status) << ": " << load->error;
  EXPECT_EQ(load->value, 1.0);
  EXPECT_EQ(load->query, "up");
  EXPECT_LT(std::chrono::abs(now - load->sampled_at), 10s);

  const SignalValue* absent = obs.get("absent");
  EXPECT_EQ(absent->status, SignalStatus::Missing) << status_name(absent->status);
  EXPECT_EQ(absent->error, "no data: query returned no series");

  const SignalValue* nan = obs.get("nan");
  EXPECT_EQ(nan->status, SignalStatus::Error) << status_name(nan->status);
  EXPECT_EQ(nan->error, "not a finite number: NaN");

  const SignalValue* broken = obs.get("broken");
  EXPECT_EQ(broken->status, SignalStatus::Error) << status_name(broken->status);
  EXPECT_NE(broken->error.find("bad_data"), std::string::npos) << broken->error;

  const SignalValue* two = obs.get("two");
  EXPECT_EQ(two->status, SignalStatus::Ok) << two->error;
  EXPECT_EQ(two->value, 3.0) << "two series are summed";

  const PrometheusSourceStats st = source.stats();
  EXPECT_EQ(st.queries, 5u);
  EXPECT_EQ(st.query_errors, 1u);
  EXPECT_EQ(st.retries, 0u);
  EXPECT_EQ(st.non_finite, 1u);
  EXPECT_EQ(st.missing, 1u);
  EXPECT_EQ(st.stale, 0u);
}

TEST_F(PrometheusClientLive, SourceStaleAndQueryTimeModes) {
  TargetSpec target;
  target.signals["load"].query = "up";
  auto client = std::make_shared<PrometheusClient>(options());

  // ServerNow: Prometheus evaluates at its own now; an agent 10 minutes ahead sees a stale value.
  PrometheusSource server_now(client, PrometheusSourceOptions{QueryTime::ServerNow, 2min});
  auto obs = server_now.observe(target, system_now() + 10min);
  EXPECT_EQ(obs.get("load")->status, SignalStatus::Stale) << obs.get("load")->error;
  EXPECT_NE(obs.get("load")->error.find("stale after 120.0 s"), std::string::npos) << obs.get("load")->error;
  EXPECT_EQ(server_now.stats().stale, 1u);

  // AgentClock: the query is evaluated at the agent's time; an hour before Prometheus started
  // there was no data.
  PrometheusSource agent_clock(client, PrometheusSourceOptions{QueryTime::AgentClock, 2min});
  obs = agent_clock.observe(target, system_now() - 1h);
  EXPECT_EQ(obs.get("load")->status, SignalStatus::Missing) << obs.get("load")->error;

  // ...and at a time after the first scrape, the value is there, stamped with that time.
  const TimePoint at = TimePoint(Duration(std::llround(first_up_time_ * 1000) + 500));
  obs = agent_clock.observe(target, at);
  EXPECT_EQ(obs.get("load")->status, SignalStatus::Ok) << obs.get("load")->error;
  EXPECT_EQ(obs.get("load")->sampled_at, at);
}

TEST(PrometheusClientTimeout, SilentServerTimesOutAndIsRetried) {
  // A socket that listens but never answers: connections complete in the kernel's backlog, then
  // nothing comes back, so each attempt ends at the configured timeout.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);

  PrometheusClientOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  o.timeout = 200ms;
  o.retry.attempts = 2;
  o.retry.base = 10ms;
  PrometheusClient client(o);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = client.query("up");
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, PromErrorKind::Transport);
  EXPECT_NE(r.error->message.find("Timeout was reached"), std::string::npos) << r.error->message;
  EXPECT_EQ(r.attempts, 2);
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(PrometheusSourceConfig, QueryTimeFollowsTheClock) {
  EXPECT_EQ(query_time_for(SystemClock()), QueryTime::ServerNow);
  EXPECT_EQ(query_time_for(ManualClock()), QueryTime::AgentClock);
  EXPECT_EQ(query_time_for(ScaledClock(system_now(), 60.0)), QueryTime::AgentClock);
}

TEST(PrometheusSourceConfig, BuildsFromConfig) {
  Config config;
  config.prometheus.url = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/";
  config.prometheus.retries = 0;
  config.prometheus.timeout = 1s;
  config.prometheus.headers["Authorization"] = "Bearer secret";
  PrometheusSource source(config, QueryTime::ServerNow);
  EXPECT_EQ(source.client().url(), config.prometheus.url.substr(0, config.prometheus.url.size() - 1));
  TargetSpec target;
  target.signals["load"].query = "up";
  target.signals["errors"].query = "errors_total";
  const Observation obs = source.observe(target, system_now());
  ASSERT_EQ(obs.signals.size(), 2u) << "each signal is evaluated even when another failed";
  for (const auto& [role, v] : obs.signals) {
    EXPECT_EQ(v.status, SignalStatus::Error) << role;
    EXPECT_NE(v.error.find("cannot reach prometheus"), std::string::npos) << v.error;
    EXPECT_NE(v.error.find("(1 attempt)"), std::string::npos) << v.error;
  }
  EXPECT_EQ(source.stats().query_errors, 2u);

  const auto o = PrometheusClientOptions::from_spec(config.prometheus);
  EXPECT_EQ(o.retry.attempts, 1);
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_EQ(o.headers[0].first, "Authorization");
}

}  // namespace
}  // namespace opspilot::agent
