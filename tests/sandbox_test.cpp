// The sandbox: its load model, replicas, queueing, incidents, metrics and actions (against the
// model), and the real opspilot-sandbox process over HTTP.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "examples/sandbox/api.h"
#include "examples/sandbox/config.h"
#include "examples/sandbox/load.h"
#include "examples/sandbox/metrics.h"
#include "examples/sandbox/model.h"
#include "tests/test_support.h"

namespace opspilot::sandbox {
namespace {

using nlohmann::json;

constexpr std::int64_t kWednesday = 1767744000;  // 2026-01-07T00:00:00Z

// One service at a flat 600 req/s (no cycle, no noise), μ = 60 req/s per replica.
constexpr const char* kFlatYaml = R"(
tick: 1s
services:
  - name: web
    load: {base: 600, daily_amplitude: 0, weekend_factor: 1, noise: 0}
    capacity: {per_replica: 60, workers: 4}
    latency: {p50: 50ms, p99: 200ms, cap: 10s}
    errors: {base_rate: 0}
    replicas: {initial: 20, max: 100, readiness_delay: 2m}
)";

SandboxSpec spec_from(const std::string& yaml) {
  auto r = parse_config(yaml);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.spec.value_or(SandboxSpec{});
}

std::string shipped_config() { return std::string(OPSPILOT_SOURCE_DIR) + "/examples/sandbox/sandbox.yaml"; }

agent::TimePoint at(std::int64_t start, double elapsed_s) {
  return agent::from_unix_seconds(static_cast<double>(start) + elapsed_s);
}

// The value of the exposition line `series` ("name{labels}"), or NaN.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nan("");
}

// PromQL's histogram_quantile over the increase of the buckets between two scrapes.
double histogram_quantile(double q, const std::string& before, const std::string& after, const std::string& svc) {
  std::vector<std::pair<double, double>> buckets;  // (le, increase)
  for (double le : kLatencyBuckets) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", le);
    const std::string s = "sandbox_http_request_duration_seconds_bucket{service=\"" + svc + "\",le=\"" + buf + "\"}";
    buckets.emplace_back(le, sample(after, s) - sample(before, s));
  }
  const std::string inf = "sandbox_http_request_duration_seconds_bucket{service=\"" + svc + "\",le=\"+Inf\"}";
  const double total = sample(after, inf) - sample(before, inf);
  const double rank = q * total;
  double prev_le = 0, prev_count = 0;
  for (const auto& [le, count] : buckets) {
    if (count >= rank) return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count);
    prev_le = le;
    prev_count = count;
  }
  return prev_le;
}

ApiResponse call(SandboxApi& api, const std::string& method, const std::string& target, double t,
                 const std::string& body = "") {
  return api.handle(ApiRequest{method, target, body}, at(kWednesday, t));
}

std::string scale_body(const std::string& id, int n, const std::string& service = "web") {
  return json{{"decision_id", id}, {"kind", "scale"},
              {"target", {{"kind", "Deployment"}, {"namespace", "shop"}, {"name", service}}}, {"replicas", n}}
      .dump();
}

std::string action_body(const std::string& id, const std::string& kind, const std::string& service = "web") {
  return json{{"decision_id", id}, {"kind", kind}, {"target", {{"kind", "Deployment"}, {"name", service}}}}.dump();
}

TEST(SandboxLoad, DailyCyclePeaksMidAfternoonAndTroughsAtNight) {
  LoadSpec spec;
  spec.base = 500;
  spec.daily_amplitude = 0.7;
  spec.peak_hour = 14.5;
  LoadGenerator gen(spec, kWednesday, 1);
  const double peak = gen.seasonal(14.5 * 3600), trough = gen.seasonal(2.5 * 3600);
  EXPECT_NEAR(peak, 500 * 1.7, 1e-6);
  EXPECT_NEAR(trough, 500 * 0.3, 1e-6);
  // With noise and bursts too: the afternoon hour carries several times the night hour.
  spec.noise_sigma = 0.1;
  spec.bursts.per_day = 4;
  LoadGenerator noisy(spec, kWednesday, 3);
  double night = 0, afternoon = 0;
  for (int m = 0; m < 24 * 60; ++m) {
    const double v = noisy.rate(m * 60.0);
    if (m / 60 == 2) night += v;
    if (m / 60 == 14) afternoon += v;
  }
  EXPECT_GT(afternoon, 3 * night);
}

TEST(SandboxLoad, WeekendIsLowerThanWeekdays) {
  LoadSpec spec;
  spec.weekend_factor = 0.6;
  LoadGenerator gen(spec, kWednesday, 1);
  const double wednesday = gen.seasonal(12 * 3600), saturday = gen.seasonal((3 * 24 + 12) * 3600);
  EXPECT_NEAR(saturday / wednesday, 0.6, 1e-9);
  EXPECT_NEAR(gen.weekly_factor((4 * 24 + 12) * 3600), 0.6, 1e-9);  // Sunday
  EXPECT_NEAR(gen.weekly_factor((5 * 24 + 12) * 3600), 1.0, 1e-9);  // Monday
}

TEST(SandboxLoad, NoiseAndBurstsDoNotDependOnHowTimeIsStepped) {
  LoadSpec spec;
  spec.noise_sigma = 0.2;
  spec.bursts.per_day = 50;
  LoadGenerator fine(spec, kWednesday, 9), coarse(spec, kWednesday, 9);
  for (int s = 0; s <= 6 * 3600; s += 7) {
    const double v = fine.rate(s);
    if (s % 700 == 0) {
      EXPECT_DOUBLE_EQ(v, coarse.rate(s)) << "at " << s << " s";
    }
  }
}

TEST(SandboxModel, DeterministicForASeed) {
  auto loaded = load_config_file(shipped_config());
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  auto run = [&](std::uint64_t seed) {
    Model m(*loaded.spec, kWednesday, seed);
    for (int i = 0; i < 36; ++i) m.step(600);
    std::ostringstream csv;
    m.write_csv(csv);
    return render_metrics(m) + csv.str();
  };
  const std::string a = run(7);
  EXPECT_EQ(a, run(7));
  EXPECT_NE(a, run(8));
}

TEST(SandboxModel, NewReplicasBecomeReadyAfterTheReadinessDelay) {
  Model m(spec_from(kFlatYaml), kWednesday, 1);
  ServiceSim& web = *m.find("web");
  m.step(60);
  web.scale(25, m.elapsed_s());
  EXPECT_EQ(web.desired(), 25);
  m.step(119);
  EXPECT_EQ(web.ready_count(m.elapsed_s()), 20);
  m.step(1);
  EXPECT_EQ(web.ready_count(m.elapsed_s()), 25);
  web.scale(12, m.elapsed_s());  // scale-down is immediate
  EXPECT_EQ(web.ready_count(m.elapsed_s()), 12);
}

TEST(SandboxModel, LatencyAndCpuRiseAsReplicasFall) {
  Model m(spec_from(kFlatYaml), kWednesday, 1);
  ServiceSim& web = *m.find("web");
  double last_p99 = 0, last_cpu = 0, first_p99 = 0;
  for (int replicas : {20, 14, 12, 11, 10}) {  // ρ = 0.5, 0.71, 0.83, 0.91, 1 (queue at 0.98)
    web.scale(replicas, m.elapsed_s());
    m.step(60);
    const ServiceStatus st = web.status(m.elapsed_s());
    EXPECT_NEAR(st.utilization, 600.0 / (60.0 * replicas), 1e-9);
    EXPECT_GT(st.p99_s, last_p99) << replicas << " replicas";
    if (replicas > 10) {
      EXPECT_GT(st.cpu, last_cpu) << replicas << " replicas";
    }
    if (first_p99 == 0) first_p99 = st.p99_s;
    last_p99 = st.p99_s;
    last_cpu = st.cpu;
  }
  EXPECT_GT(last_p99, 1.5 * first_p99);  // the queue shows in the tail
  EXPECT_EQ(last_cpu, 1.0);
}

TEST(SandboxModel, OverloadShedsTheExcessAs503) {
  Model m(spec_from(kFlatYaml), kWednesday, 1);
  ServiceSim& web = *m.find("web");
  m.step(60);
  const std::string before = render_metrics(m);
  EXPECT_EQ(sample(before, "sandbox_http_requests_total{service=\"web\",code=\"503\"}"), 0);
  web.scale(5, m.elapsed_s());  // capacity 300 req/s for 600 offered
  m.step(60);
  const std::string after = render_metrics(m);
  const double shed = sample(after, "sandbox_http_requests_total{service=\"web\",code=\"503\"}");
  EXPECT_NEAR(shed, (600 - 300 * kMaxQueueUtilization) * 60, 2);
  EXPECT_NEAR(web.status(m.elapsed_s()).error_ratio, 1 - 300 * kMaxQueueUtilization / 600, 1e-6);
  EXPECT_NEAR(web.history().samples().back().error_ratio, 1 - 300 * kMaxQueueUtilization / 600, 1e-6);
}

TEST(SandboxMetrics, CountersAreMonotonicAndHistogramQuantileMatchesTheModel) {
  Model m(spec_from(kFlatYaml), kWednesday, 1);
  m.find("web")->scale(12, 0);  // ρ = 0.83: queueing visible in the tail
  m.step(60);
  std::string prev = render_metrics(m);
  const std::string first = prev;
  for (int i = 0; i < 10; ++i) {
    m.step(30);
    const std::string cur = render_metrics(m);
    std::istringstream in(cur);
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#' || line.find("_total{") == std::string::npos) continue;
      const std::string series = line.substr(0, line.rfind(' '));
      EXPECT_GE(sample(cur, series), sample(prev, series)) << series;
    }
    prev = cur;
  }
  const double model_p99 = m.find("web")->status(m.elapsed_s()).p99_s;
  const double scraped_p99 = histogram_quantile(0.99, first, prev, "web");
  EXPECT_NEAR(scraped_p99 / model_p99, 1.0, 0.02) << "model " << model_p99 << " s, histogram " << scraped_p99 << " s";
  EXPECT_EQ(sample(prev, "sandbox_replicas{service=\"web\"}"), 12);
  EXPECT_EQ(sample(prev, "sandbox_up{service=\"web\"}"), 1);
}

TEST(SandboxModel, RollbackClearsADeployRegression) {
  SandboxApi api(Model(spec_from(kFlatYaml), kWednesday, 1));
  const double base_p99 = api.with_model([](Model& m) { m.step(60); return m.find("web")->status(60).p99_s; });
  auto r = call(api, "POST", "/api/v1/incidents", 60, R"({"service":"web","type":"latency_regression","latency_factor":3})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto p99_at = [&](double t) {
    return json::parse(call(api, "GET", "/api/v1/state", t).body)["services"][0]["p99_seconds"].get<double>();
  };
  EXPECT_GT(p99_at(60 + 180), 2.5 * base_p99);  // the new revision is rolled out and slow
  // The ground truth the agent's `incident` signal reads.
  auto incident_active = [&](double t) {
    return sample(call(api, "GET", "/services/web/metrics", t).body, "sandbox_incident_active{service=\"web\"}");
  };
  EXPECT_EQ(incident_active(240), 1);
  r = call(api, "POST", "/api/v1/actions", 300, action_body("d-rb", "rollback"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["observed"]["revision"], 1);
  EXPECT_EQ(json::parse(call(api, "GET", "/api/v1/actions/d-rb", 360).body)["state"], "in_progress");
  EXPECT_EQ(json::parse(call(api, "GET", "/api/v1/actions/d-rb", 430).body)["state"], "done");
  EXPECT_NEAR(p99_at(440), base_p99, 0.05 * base_p99);
  EXPECT_EQ(incident_active(440), 0);
  const json incidents = json::parse(call(api, "GET", "/api/v1/incidents", 440).body)["incidents"];
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0]["ended_by"], "rollback");
  // Nothing before revision 1: a second rollback is refused and says why.
  r = call(api, "POST", "/api/v1/actions", 450, action_body("d-rb2", "rollback"));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("no previous revision"), std::string::npos) << r.body;
}

TEST(SandboxModel, CrashLoopDropsReadyReplicasUntilRestarted) {
  SandboxApi api(Model(spec_from(kFlatYaml), kWednesday, 1));
  ASSERT_EQ(call(api, "POST", "/api/v1/incidents", 0, R"({"service":"web","type":"crash_loop"})").status, 200);
  int min_ready = 20;
  for (int t = 60; t <= 1200; t += 30) {
    min_ready = std::min(min_ready, api.with_model([&](Model& m) {
      m.advance_to(at(kWednesday, t));
      return m.find("web")->ready_count(t);
    }));
  }
  EXPECT_LT(min_ready, 10);
  auto r = call(api, "POST", "/api/v1/actions", 1200, action_body("d-restart", "restart"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(call(api, "GET", "/api/v1/actions/d-restart", 1330).body)["state"], "done");
  for (int t = 1330; t <= 2400; t += 60) {
    const json st = json::parse(call(api, "GET", "/api/v1/state", t).body)["services"][0];
    EXPECT_EQ(st["ready_replicas"], 20) << "at " << t << " s";
    EXPECT_EQ(st["signals"], "") << "at " << t << " s";
  }
}

TEST(SandboxModel, BadPodRaisesTheTailUntilRestarted) {
  SandboxApi api(Model(spec_from(kFlatYaml), kWednesday, 1));
  auto p99_at = [&](double t) {
    return json::parse(call(api, "GET", "/api/v1/state", t).body)["services"][0]["p99_seconds"].get<double>();
  };
  const double base_p99 = p99_at(60);
  // One replica in 20 takes 5 % of the traffic, 10× slower: the p99 is now that replica's.
  ASSERT_EQ(call(api, "POST", "/api/v1/incidents", 60, R"({"service":"web","type":"bad_pod","slow_factor":10})").status, 200);
  EXPECT_GT(p99_at(120), 3 * base_p99);
  ASSERT_EQ(call(api, "POST", "/api/v1/actions", 120, action_body("d-r", "restart")).status, 200);
  EXPECT_GT(p99_at(200), 3 * base_p99);  // still serving until the fresh replicas are ready
  EXPECT_NEAR(p99_at(260), base_p99, 0.05 * base_p99);
}

TEST(SandboxModel, DependencyOutageFailsRequestsWhateverTheReplicas) {
  SandboxApi api(Model(spec_from(kFlatYaml), kWednesday, 1));
  auto r = call(api, "POST", "/api/v1/incidents", 0,
                R"({"service":"web","type":"dependency_outage","duration":"20m","error_rate":0.3})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto err_at = [&](double t) {
    return json::parse(call(api, "GET", "/api/v1/state", t).body)["services"][0]["error_ratio"].get<double>();
  };
  EXPECT_NEAR(err_at(60), 0.3, 1e-6);
  ASSERT_EQ(call(api, "POST", "/api/v1/actions", 60, scale_body("d-more", 40)).status, 200);
  EXPECT_NEAR(err_at(300), 0.3, 1e-6);
  EXPECT_NEAR(err_at(1300), 0.0, 1e-6);  // over after 20 minutes
}

TEST(SandboxApi, ActionsAreIdempotentByDecisionId) {
  SandboxApi api(Model(spec_from(kFlatYaml), kWednesday, 1));
  auto r = call(api, "POST", "/api/v1/actions", 10, scale_body("d-1", 24));
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "accepted");
  EXPECT_EQ(j["observed"]["replicas"], 24);
  EXPECT_EQ(j["observed"]["ready_replicas"], 20);
  ASSERT_EQ(call(api, "POST", "/api/v1/actions", 20, scale_body("d-2", 30)).status, 200);
  // Replaying d-1 changes nothing: desired stays at d-2's 30.
  r = call(api, "POST", "/api/v1/actions", 30, scale_body("d-1", 24));
  ASSERT_EQ(r.status, 200) << r.body;
  j = json::parse(r.body);
  EXPECT_EQ(j["status"], "already_applied");
  EXPECT_EQ(j["observed"]["replicas"], 30);
  EXPECT_EQ(json::parse(call(api, "GET", "/api/v1/actions/d-1", 30).body)["state"], "failed");  // superseded
  EXPECT_EQ(json::parse(call(api, "GET", "/api/v1/actions/d-2", 200).body)["state"], "done");
  // The same id for a different action is refused, quoting both.
  r = call(api, "POST", "/api/v1/actions", 210, scale_body("d-1", 25));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("scale of web to 24 replicas"), std::string::npos) << r.body;
  // Malformed requests.
  EXPECT_EQ(call(api, "POST", "/api/v1/actions", 210, "{not json").status, 400);
  EXPECT_EQ(call(api, "POST", "/api/v1/actions", 210, scale_body("d-3", 5, "nosuch")).status, 404);
  EXPECT_EQ(call(api, "POST", "/api/v1/actions", 210, scale_body("d-4", 101)).status, 422);
  EXPECT_EQ(call(api, "POST", "/api/v1/actions", 210, scale_body("d-5", -1)).status, 422);
  r = call(api, "POST", "/api/v1/actions", 210, action_body("d-6", "resize"));
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("\\\"resize\\\""), std::string::npos) << r.body;
  EXPECT_EQ(call(api, "POST", "/api/v1/actions", 210, R"({"decision_id":"d-7","kind":"scale","target":{"name":"web"}})").status, 400);
  EXPECT_EQ(call(api, "GET", "/api/v1/actions/d-404", 210).status, 404);
  EXPECT_EQ(call(api, "GET", "/api/v1/actions", 210).status, 405);
  EXPECT_EQ(api.with_model([](Model& m) { return m.find("web")->desired(); }), 30);
}

TEST(SandboxApi, HistoryAndStateAsJson) {
  SandboxApi api(Model(spec_from(kFlatYaml), kWednesday, 1));
  const json h = json::parse(call(api, "GET", "/api/v1/history?service=web", 600).body);
  ASSERT_EQ(h["count"], 10);
  EXPECT_EQ(h["unix_seconds"][0], kWednesday);
  EXPECT_NEAR(h["load_rps"][9].get<double>(), 600, 1e-6);
  EXPECT_EQ(h["ready"][9], 20);
  EXPECT_EQ(call(api, "GET", "/api/v1/history", 600).status, 400);
  EXPECT_EQ(call(api, "GET", "/api/v1/history?service=nope", 600).status, 404);
  EXPECT_EQ(json::parse(call(api, "GET", "/api/v1/state", 600).body)["time"], "2026-01-07T00:10:00Z");
  EXPECT_EQ(call(api, "GET", "/services/web/metrics", 600).status, 200);
  EXPECT_EQ(call(api, "GET", "/services/nope/metrics", 600).status, 404);
}

TEST(SandboxConfig, ShippedExampleSchedulesItsIncidents) {
  auto loaded = load_config_file(shipped_config());
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  ASSERT_EQ(loaded.spec->services.size(), 3u);
  Model m(*loaded.spec, *loaded.spec->start_unix, loaded.spec->seed);
  m.step(38.5 * 3600);  // Tuesday 14:30, half an hour after checkout's deploy
  const ServiceSim& checkout = *m.find("checkout");
  EXPECT_EQ(checkout.revision(), 2);
  EXPECT_TRUE(checkout.history().samples().back().flags & kFlagRegression);
  EXPECT_FALSE(checkout.history().samples()[13 * 60].flags & kFlagRegression);  // Monday 13:00
}

TEST(SandboxConfig, ReportsEveryErrorWithItsPosition) {
  const auto r = parse_config("services:\n  - name: web\n    load: {base: -5}\n    replicass: 3\n", "t.yaml");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 2u) << r.message();
  EXPECT_NE(r.message().find("t.yaml:3:18: in service 'web' > load: base is -5, expected a number > 0"),
            std::string::npos) << r.message();
  EXPECT_NE(r.message().find("t.yaml:4:5: in service 'web': unknown key 'replicass'"), std::string::npos)
      << r.message();
  EXPECT_EQ(parse_duration("1d14h30m").value_or(-1), 138600);
  EXPECT_FALSE(parse_duration("1h30").has_value());
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2026-01-05T00:00:00Z")), "2026-01-05T00:00:00Z");
}

// The real binary: metrics over HTTP, an idempotent scale action followed to done, clean SIGTERM.
TEST(SandboxProcess, ServesMetricsAndFollowsAnIdempotentScaleToDone) {
  test::TempDir dir;
  const std::string port_file = dir.file("port");
  test::ChildProcess proc(OPSPILOT_SANDBOX_BIN,
                          {"--config", shipped_config(), "--listen", "127.0.0.1:0", "--port-file", port_file,
                           "--speed", "600", "--start", "2026-01-05T00:00:00Z", "--seed", "1"},
                          dir.file("sandbox.log"));
  int port = 0;
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::ifstream in(port_file);
    if (!(in >> port)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(port, 0) << "no port file; log:\n" << [&] { std::ifstream l(dir.file("sandbox.log")); std::stringstream s; s << l.rdbuf(); return s.str(); }();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(test::wait_for_http(base + "/healthz", std::chrono::seconds(5)));

  const auto metrics = test::http_get(base + "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.error;
  for (const char* svc : {"checkout", "search", "payments"}) {
    EXPECT_GE(sample(metrics.body, std::string("sandbox_replicas{service=\"") + svc + "\"}"), 1) << svc;
  }
  if (const std::string promtool = test::find_program("promtool"); !promtool.empty()) {
    test::TempDir scratch;
    const std::string file = scratch.write("metrics.txt", metrics.body);
    std::string out;
    EXPECT_EQ(test::run_command(promtool + " check metrics < " + file, &out), 0) << out;
  }
  const auto one = test::http_get(base + "/services/checkout/metrics");
  EXPECT_EQ(one.body.find("service=\"search\""), std::string::npos);
  EXPECT_NE(one.body.find("sandbox_http_requests_total{service=\"checkout\",code=\"200\"}"), std::string::npos);

  const std::string body = scale_body("d-proc-1", 8, "checkout");
  auto r = test::http_post(base + "/api/v1/actions", body);
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_EQ(json::parse(r.body)["status"], "accepted");
  r = test::http_post(base + "/api/v1/actions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"], "already_applied");

  std::string state;
  for (int i = 0; i < 100 && state != "done"; ++i) {  // 2 min readiness = 0.2 s at 600×
    const auto s = test::http_get(base + "/api/v1/actions/d-proc-1");
    ASSERT_EQ(s.status, 200) << s.body;
    const json j = json::parse(s.body);
    state = j["state"].get<std::string>();
    if (state == "done") {
      EXPECT_EQ(j["observed"]["ready_replicas"], 8);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(state, "done");

  proc.signal(SIGTERM);
  const int status = proc.wait(std::chrono::seconds(5));
  ASSERT_NE(status, -1) << "did not exit on SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(SandboxProcess, SimulateWritesTheMinuteHistoryAsCsv) {
  test::TempDir dir;
  const std::string csv = dir.file("history.csv");
  std::string output;
  const int rc = test::run_command(std::string(OPSPILOT_SANDBOX_BIN) + " --config " + shipped_config() +
                                       " --simulate 6h --csv " + csv + " --seed 3",
                                   &output);
  ASSERT_EQ(rc, 0) << output;
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, csv_header());
  int rows = 0;
  for (std::string line; std::getline(in, line);) ++rows;
  EXPECT_EQ(rows, 6 * 60 * 3);
  EXPECT_NE(test::run_command(std::string(OPSPILOT_SANDBOX_BIN) + " --config /nonexistent.yaml", &output), 0);
  EXPECT_NE(output.find("/nonexistent.yaml"), std::string::npos) << output;
}

}  // namespace
}  // namespace opspilot::sandbox
