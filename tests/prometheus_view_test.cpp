// Controller mode and sidecar mode must see a workload the same way. A real Prometheus (Debian's
// /usr/bin/prometheus) scrapes the real sandbox every second; PrometheusSource asks it with PromQL
// (controller mode) while ScrapeSource scrapes the sandbox's checkout service itself (sidecar
// mode), both every second on the system clock, and their views are compared signal by signal.
// Also: a Prometheus killed mid-way turns every signal into an Error (never a value), and the
// opspilot binary in controller mode becomes ready and reports the load it read from Prometheus.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/source/prometheus_client.h"
#include "agent/source/prometheus_source.h"
#include "agent/source/scrape_source.h"
#include "examples/sandbox/history.h"
#include "tests/e2e_support.h"
#include "tests/prometheus_server.h"

namespace opspilot::agent {
namespace {

using namespace std::chrono_literals;

// Tuesday 03:00 UTC, the night trough: checkout's ~160 req/s on its 4 initial replicas (60 req/s
// each) is ρ ≈ 0.7. At the e2e suites' default noon start it is over capacity: CPU pins at 1 and
// requests are shed, so saturation and latency would agree trivially.
constexpr const char* kSandboxStart = "2026-01-06T03:00:00Z";

// The demo's signals (examples/demo/opspilot-demo.yaml.in) with [30s] windows instead of [1m]:
// with 1 s scrapes a 30 s window is full after half a minute in both modes, so the two views
// cover the same span within the test's time budget.
const char* const kLoad = R"(sum(rate(sandbox_http_requests_total{service="checkout"}[30s])))";
const char* const kReplicas = R"(sandbox_replicas{service="checkout"})";
const char* const kReady = R"(sandbox_ready_replicas{service="checkout"})";
const char* const kSaturation = R"(sandbox_cpu_utilization{service="checkout"})";
const char* const kLatency =
    R"(histogram_quantile(0.99, sum by (le) (rate(sandbox_http_request_duration_seconds_bucket{service="checkout"}[30s]))))";

/// One target spec for both modes: PrometheusSource ignores scrape_url, ScrapeSource uses it.
TargetSpec checkout_target(const std::string& sandbox_base) {
  TargetSpec t;
  t.name = "checkout";
  t.namespace_ = "shop";
  t.scrape_url = sandbox_base + "/services/checkout/metrics";
  t.signals["load"].query = kLoad;
  t.signals["replicas"].query = kReplicas;
  t.signals["ready_replicas"].query = kReady;
  t.signals["saturation"].query = kSaturation;
  t.signals["latency"].query = kLatency;
  return t;
}

PrometheusClientOptions client_options(const std::string& url) {
  return test::client_options(url, 2000ms, 20ms);
}

/// Waits until `p` answers /-/ready and the load query returns a value (rate() needs two
/// scrapes, and Prometheus applies its scrape config on a 5 s reload tick, so 5-10 s after start).
/// Returns "" or why not.
std::string await_samples(const test::PrometheusServer& p) {
  std::string why;
  if (!p.wait_ready(30s, &why)) return why;
  PrometheusClient client(client_options(p.url()));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = client.query(kLoad);
    if (r.ok() && r.result.series.size() == 1) return "";
    last = r.ok() ? std::to_string(r.result.series.size()) + " series" : r.error->message;
    std::this_thread::sleep_for(200ms);
  }
  return "prometheus at " + p.url() + " has no rate of checkout's requests after 30 s (last: " + last +
         "); log:\n" + p.log_tail();
}

/// One sandbox and two Prometheus servers scraping it, started once for the suite: `main_` for
/// the comparison and the agent binary, `doomed_` to be killed. They start together so their
/// 5-10 s warm-ups overlap.
class PrometheusView : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_error_.clear();
    // Speed 1: the sandbox's counters advance in real seconds, the unit of Prometheus' rate().
    sandbox_ = std::make_unique<test::Sandbox>(1.0, kSandboxStart);
    if (sandbox_->port == 0) {
      setup_error_ = "the sandbox did not write its port; log in " + sandbox_->dir.file("sandbox.log");
      return;
    }
    const std::vector<std::string> sandbox{"127.0.0.1:" + std::to_string(sandbox_->port)};
    main_ = std::make_unique<test::PrometheusServer>(sandbox);
    doomed_ = std::make_unique<test::PrometheusServer>(sandbox);
    setup_error_ = await_samples(*main_);
    if (setup_error_.empty()) setup_error_ = await_samples(*doomed_);
  }
  static void TearDownTestSuite() {
    doomed_.reset();
    main_.reset();
    sandbox_.reset();
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static inline std::unique_ptr<test::Sandbox> sandbox_;
  static inline std::unique_ptr<test::PrometheusServer> main_;
  static inline std::unique_ptr<test::PrometheusServer> doomed_;
  static inline std::string setup_error_;
};

const char* const kRoles[] = {"load", "replicas", "ready_replicas", "saturation", "latency"};

/// "ok 162.3" or "missing: <why>", for failure messages.
std::string show(const SignalValue* v) {
  if (v == nullptr) return "absent";
  if (v->ok()) return "ok " + std::to_string(v->value);
  return std::string(to_string(v->status)) + ": " + v->error;
}

/// Width of the histogram bucket (of the sandbox's latency histogram) that holds `v` seconds.
double bucket_width(double v) {
  double lower = 0;
  for (const double le : sandbox::kLatencyBuckets) {
    if (v <= le) return le - lower;
    lower = le;
  }
  return std::numeric_limits<double>::infinity();  // above the largest finite bound
}

/// The largest and mean of a set of differences.
struct Spread {
  double max = 0;
  double sum = 0;
  int n = 0;
  void add(double d) {
    max = std::max(max, d);
    sum += d;
    ++n;
  }
  double mean() const { return n == 0 ? 0 : sum / n; }
};

/// |a − b| relative to the larger; 0 when both are 0 (never NaN, which a max would skip silently).
double relative(double a, double b) {
  const double scale = std::max(std::abs(a), std::abs(b));
  return scale == 0 ? 0 : std::abs(a - b) / scale;
}

TEST_F(PrometheusView, SidecarAndControllerSeeTheSameCheckout) {
  auto client = std::make_shared<PrometheusClient>(client_options(main_->url()));
  PrometheusSource controller(client, PrometheusSourceOptions{QueryTime::ServerNow, 2min});
  ScrapeSpec scrape;
  scrape.timeout = 2000ms;
  scrape.retries = 1;
  ScrapeSource sidecar(scrape);
  const TargetSpec target = checkout_target(sandbox_->base);
  const SystemClock clock;

  // The sidecar's first scrape is at second 0; Prometheus' first one was a second or two before
  // (the suite's set-up waits only for its first rate). A rate over a window that samples cover
  // only partly reads low — rate() extrapolates at most half an interval past the first sample —
  // so Prometheus' view ramps up over the first 30 s, while the sidecar holds its load back as
  // warming up until its scrapes nearly cover the window. From second 31 both [30s] windows are
  // full; only those seconds are compared for the rates.
  constexpr int kSeconds = 37;
  constexpr int kFullWindowFrom = 31;
  Spread load, saturation, latency, latency_early, load_early;
  int latency_in_bucket = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i <= kSeconds; ++i) {
    std::this_thread::sleep_until(t0 + std::chrono::seconds(i));
    const TimePoint now = clock.now();
    const Observation side = sidecar.observe(target, now);
    const Observation ctrl = controller.observe(target, now);
    SCOPED_TRACE("second " + std::to_string(i));
    ASSERT_EQ(ctrl.signals.size(), 5u);
    ASSERT_EQ(side.signals.size(), 5u);
    for (const char* role : kRoles) {
      // Prometheus had at least two scrapes before this test began: every signal is there at once.
      EXPECT_TRUE(ctrl.get(role)->ok()) << role << ": " << show(ctrl.get(role));
      // The sidecar's gauges are there at once; its rates need a second scrape. The load, a rate
      // that a short history would read low, waits until its scrapes reach within 1.1 steps of
      // its window's start (28.9 s of 1 s scrapes); p99, a ratio of rates, does not.
      const bool needs_history = std::string(role) == "load" || std::string(role) == "latency";
      const bool warming = std::string(role) == "load" && i >= 1 && i < kFullWindowFrom - 1;
      if (!needs_history || (i > 0 && !warming)) {
        EXPECT_TRUE(side.get(role)->ok()) << role << ": " << show(side.get(role));
      } else if (warming && i < kFullWindowFrom - 3) {  // seconds 28-29 may go either way
        EXPECT_EQ(side.get(role)->status, SignalStatus::Missing) << role << ": " << show(side.get(role));
        EXPECT_NE(side.get(role)->error.find("warming up"), std::string::npos) << side.get(role)->error;
      } else if (!warming) {
        EXPECT_EQ(side.get(role)->status, SignalStatus::Missing) << role << ": " << show(side.get(role));
        EXPECT_NE(side.get(role)->error.find("need two scrapes"), std::string::npos) << side.get(role)->error;
      }
    }
    auto both_ok = [&](const char* role) { return ctrl.get(role)->ok() && side.get(role)->ok(); };
    // Nothing scales the sandbox during the test: the replica counts are integers and must match.
    if (both_ok("replicas")) {
      EXPECT_EQ(ctrl.get("replicas")->value, side.get("replicas")->value);
    }
    if (both_ok("ready_replicas")) {
      EXPECT_EQ(ctrl.get("ready_replicas")->value, side.get("ready_replicas")->value);
    }
    if (both_ok("saturation")) {
      saturation.add(relative(ctrl.get("saturation")->value, side.get("saturation")->value));
    }
    if (both_ok("load")) {
      (i >= kFullWindowFrom ? load : load_early).add(relative(ctrl.get("load")->value, side.get("load")->value));
    }
    if (both_ok("latency")) {
      const double c = ctrl.get("latency")->value, s = side.get("latency")->value;
      (i >= kFullWindowFrom ? latency : latency_early).add(relative(c, s));
      if (i >= kFullWindowFrom && std::abs(c - s) <= bucket_width(std::max(c, s))) ++latency_in_bucket;
    }
    if (i == kSeconds) {
      std::printf("[ view ] checkout at second %d: prometheus load %.2f req/s, p99 %.4f s, cpu %.4f, "
                  "replicas %.0f/%.0f; scrape load %.2f req/s, p99 %.4f s, cpu %.4f, replicas %.0f/%.0f\n",
                  i, ctrl.get("load")->value, ctrl.get("latency")->value, ctrl.get("saturation")->value,
                  ctrl.get("ready_replicas")->value, ctrl.get("replicas")->value, side.get("load")->value,
                  side.get("latency")->value, side.get("saturation")->value,
                  side.get("ready_replicas")->value, side.get("replicas")->value);
    }
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ view ] relative difference, full windows (seconds %d-%d): load max %.3f%% mean %.3f%% (n=%d); "
              "p99 latency max %.3f%% mean %.3f%% (n=%d, %d within one bucket)\n",
              kFullWindowFrom, kSeconds, 100 * load.max, 100 * load.mean(), load.n, 100 * latency.max,
              100 * latency.mean(), latency.n, latency_in_bucket);
  std::printf("[ view ] relative difference, filling windows (seconds 1-%d): load max %.3f%% mean %.3f%%; "
              "p99 latency max %.3f%% mean %.3f%%; saturation (all seconds) max %.3f%% mean %.3f%% (n=%d); "
              "loop took %.1f s\n",
              kFullWindowFrom - 1, 100 * load_early.max, 100 * load_early.mean(), 100 * latency_early.max,
              100 * latency_early.mean(), 100 * saturation.max, 100 * saturation.mean(), saturation.n, elapsed);

  // Enough compared seconds for the maxima to mean something, even on a slow machine.
  ASSERT_GE(load.n, 4) << "the loop fell behind: " << elapsed << " s";
  ASSERT_GE(latency.n, 4);
  ASSERT_GE(saturation.n, 20);
  // Tolerances, from what can make the two views differ. The sandbox's counters are fluid (no
  // Poisson noise) and both modes apply Prometheus' rate() rules, so they differ only by WHEN
  // they sample: Prometheus' window ends at its last scrape (up to 1 s before the query, on its
  // own 1 s grid), the sidecar's at its own scrape, and either may stamp a sample a little before
  // the sandbox really answered (a slow scrape on a loaded machine under ASan).
  //  - load: a window shifted by 1 s changes a 30 s rate by (λ(end) − λ(start))/λ/30, under 0.2 %
  //    for checkout's load, which wanders a few % a minute; a sample stamped δ late moves it by
  //    δ/30 s; whole-number counters add ±1 in ~4000 requests per window. Measured on an idle
  //    machine: at most 0.03 %. 2 % allows 0.6 s of stamping jitter and still fails a rate that
  //    divided the increase between the first and last sample by the window without Prometheus'
  //    extrapolation to its edges (one scrape interval in 30 s, ≈ 3.3 % low), let alone a wrong
  //    window or counter-reset handling.
  EXPECT_LE(load.max, 0.02) << "load: controller and sidecar rates differ by " << 100 * load.max << " %";
  //  - p99: every bucket comes from the same scrape, so stamping jitter cancels in their ratios;
  //    what remains is the flooring of each bucket counter (±1 request moves the interpolated p99
  //    by ~0.15 ms inside the 0.1-0.25 s bucket) and ρ's drift. Measured: at most 0.3 %. 2 % is far
  //    tighter than the one-bucket bound (a bucket here is 60 % of the value), which is checked
  //    too because it is what "the same view" means to an operator.
  EXPECT_LE(latency.max, 0.02) << "p99 latency differs by " << 100 * latency.max << " %";
  EXPECT_EQ(latency_in_bucket, latency.n) << "p99 latency differs by more than one histogram bucket";
  //  - saturation: an instant gauge (ρ, printed with 6 digits) read up to ~1 s apart; ρ drifts
  //    ~0.1 % a second with the load. Measured: at most 0.02 %. 1 % allows ~10 s of offset, so it
  //    fails only when one view reads a different sample than the other could have.
  EXPECT_LE(saturation.max, 0.01) << "saturation differs by " << 100 * saturation.max << " %";
}

TEST_F(PrometheusView, PrometheusKilledMidwayTurnsEverySignalIntoAnError) {
  auto client = std::make_shared<PrometheusClient>(client_options(doomed_->url()));
  PrometheusSource controller(client, PrometheusSourceOptions{QueryTime::ServerNow, 2min});
  const TargetSpec target = checkout_target(sandbox_->base);
  const SystemClock clock;
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      doomed_->process()->signal(SIGKILL);
      ASSERT_NE(doomed_->process()->wait(5000ms), -1) << "prometheus did not die of SIGKILL";
    }
    SCOPED_TRACE("observation " + std::to_string(i));
    const Observation obs = controller.observe(target, clock.now());
    ASSERT_EQ(obs.signals.size(), 5u);
    for (const char* role : kRoles) {
      const SignalValue* v = obs.get(role);
      if (i < 3) {
        EXPECT_TRUE(v->ok()) << role << ": " << show(v);
        continue;
      }
      // Never a value: not the last one seen, not a stale one.
      EXPECT_EQ(v->status, SignalStatus::Error) << role << ": " << show(v);
      EXPECT_TRUE(std::isnan(v->value)) << role << " carries the value " << v->value;
      EXPECT_NE(v->error.find("cannot reach prometheus at " + doomed_->url()), std::string::npos) << v->error;
      EXPECT_NE(v->error.find("Couldn't connect to server"), std::string::npos) << v->error;
      EXPECT_NE(v->error.find("(2 attempts"), std::string::npos) << v->error;
    }
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(controller.stats().queries, 6u * 5u);
  EXPECT_EQ(controller.stats().query_errors, 3u * 5u);
  EXPECT_EQ(controller.source_stats().query_errors, 3u * 5u);
}

TEST_F(PrometheusView, AgentBinaryInControllerModeBecomesReady) {
  test::TempDir dir;
  const int port = test::free_port();
  std::string targets =
      "targets:\n"
      "  - name: checkout\n"
      "    namespace: shop\n"
      "    metrics:\n";
  for (const auto& [role, spec] : checkout_target(sandbox_->base).signals) {
    targets += "      " + role + ": '" + spec.query + "'\n";  // single quotes: the queries hold '"'
  }
  targets +=
      "    capacity: {per_replica: 60, target_utilization: 0.7}\n"
      "    limits: {min_replicas: 1, max_replicas: 60}\n";
  const std::string cfg = dir.write("opspilot.yaml", "mode: dry-run\ninterval: 2s\nstale_after: 1m\n"
                                                     "http:\n  listen: \"127.0.0.1:" + std::to_string(port) +
                                                         "\"\nprometheus:\n  url: " + main_->url() +
                                                         "\n  timeout: 2s\n  retries: 1\n  backoff: 50ms\n"
                                                         "actuator:\n  type: dry-run\njournal:\n  path: " +
                                                         dir.file("journal") + "\n" + targets);
  std::string out;
  ASSERT_EQ(test::run_command(std::string(OPSPILOT_BIN) + " validate -c " + cfg, &out), 0) << out;

  test::ChildProcess agent(OPSPILOT_BIN, {"run", "-c", cfg}, dir.file("agent.log"));
  const std::string api = "http://127.0.0.1:" + std::to_string(port);
  auto log_tail = [&] {
    std::string tail;
    test::run_command("tail -n 30 '" + dir.file("agent.log") + "'", &tail);
    return tail;
  };
  ASSERT_TRUE(test::wait_for_http(api + "/healthz", 10s)) << "agent log:\n" << log_tail();
  ASSERT_TRUE(test::wait_for_http(api + "/readyz", 15s)) << "never became ready; agent log:\n" << log_tail();

  const nlohmann::json status = nlohmann::json::parse(test::http_get(api + "/api/v1/status").body, nullptr, false);
  ASSERT_TRUE(status.is_object()) << "status is not JSON";
  EXPECT_EQ(status["mode"], "dry-run");
  EXPECT_EQ(status["source"], "prometheus " + main_->url());
  EXPECT_TRUE(status["ready"].get<bool>());
  ASSERT_EQ(status["targets"].size(), 1u);
  const nlohmann::json& signals = status["targets"][0]["signals"];
  ASSERT_EQ(signals["load"]["status"], "ok") << signals.dump();
  EXPECT_EQ(signals["load"]["query"], kLoad);
  EXPECT_EQ(signals["replicas"]["status"], "ok") << signals.dump();

  // The binary read what Prometheus serves: compare with a query of our own. Its observation may
  // be up to one 2 s interval older than ours; a 30 s rate moves well under 1 % in 2 s (see the
  // comparison above), so 3 % fails only a different query or source, not the delay.
  PrometheusSource direct(std::make_shared<PrometheusClient>(client_options(main_->url())),
                          PrometheusSourceOptions{QueryTime::ServerNow, 2min});
  const Observation obs = direct.observe(checkout_target(sandbox_->base), SystemClock().now());
  ASSERT_TRUE(obs.get("load")->ok()) << show(obs.get("load"));
  EXPECT_LE(relative(signals["load"]["value"].get<double>(), obs.get("load")->value), 0.03)
      << "agent: " << signals["load"].dump() << ", direct query: " << obs.get("load")->value;
  EXPECT_EQ(signals["replicas"]["value"].get<double>(), obs.get("replicas")->value);

  agent.signal(SIGTERM);
  const int st = agent.wait(15000ms);
  ASSERT_NE(st, -1) << "did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "exit status " << st;
}

}  // namespace
}  // namespace opspilot::agent
