// The sandbox incident suite: does opspilot take the right action, never a harmful one, and how
// fast does it get from detection to a verified recovery?
//
// Five kinds of incident — crash loop, bad deploy, saturation (a sudden surge of load), dependency
// outage, one bad pod — each in 20 seeded variations (load level and noise, incident size, time
// of onset), 100 runs in all. Each run is the agent's own decision code (SimWorld: the live
// Reconciler with its scraping, detectors, planners, policy check, journal and actuator protocol)
// driving one sandbox service in simulated time: 2 h of normal traffic, the incident, then 40
// minutes. The right action, from the sandbox's ground truth:
//   crash_loop        restart (rolling)            bad_deploy  rollback
//   saturation        scale up, nothing else       bad_pod     restart of the slow pod only
//   dependency_outage no restart and no rollback (escalate): any restart or rollback is harmful
//
// Detection-to-verified-recovery (the TARGET), simulated time. From detection — the first
// decision that classifies the incident (any class) or, in a saturation run, the first scale-up if
// that comes sooner — to the moment the service is back to normal for good, read off the
// sandbox's own state at its tick resolution (5 s): from 30 minutes before the onset to the end,
// the sandbox is advanced 5 s at a time and the service's p99 latency and error ratio over the
// tick just simulated (ServiceStatus) are recorded. "Normal": p99 within 25% of the median of the
// 5 s samples of the 30 minutes before the onset, and the error ratio within +0.5 points of
// theirs. Recovered: the END of the first 5 s tick that starts at or after the fixing action and
// from which every tick of the following 60 s is normal (a blip does not count). The fixing
// action is the first, from detection on, that fixes that kind (restart, rollback, the bad pod's
// restart, a scale-up) and that the agent's own verification confirmed: its decision ended
// Verified and, for remediations, the Mann-Whitney judge passed the triggering signal; runs
// without one (dependency outages: nothing to fix) are not in the median.
// Also printed, for comparison: the old whole-minute figure (the end of the first whole minute of
// the sandbox's per-minute record after the action that is back to normal — by construction up
// to a minute plus 0-60 s of alignment later than the recovery itself), the time to the
// verification's verdict (the judge needs post-rollout samples), and how often the "normal"
// bounds call the healthy baseline itself abnormal.
//
// Targets (issue: "Sandbox incident suite"): right action ≥ 90%; harmful actions on dependency
// outages = 0; detection-to-verified-recovery median < 2 min. Reference: Argo Rollouts' and
// Flagger's documented analysis examples take 5–15 minutes (interval × failure limit).
//
// In the environment, OPSPILOT_INCIDENT_CASES=1 prints one line per run (seconds after detection)
// and OPSPILOT_INCIDENT_TRACE=<kind>:<seed> (e.g. saturation:1) that run's decisions and 5 s ticks.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_support.h"
#include "examples/backtest/sim_world.h"
#include "examples/sandbox/model.h"
#include "tests/test_support.h"

namespace {

namespace agent = opspilot::agent;
namespace sandbox = opspilot::sandbox;
namespace backtest = opspilot::backtest;

constexpr int kSeeds = 20;
constexpr double kWarmupS = 2 * 3600;
constexpr double kAfterS = 40 * 60;
const char* kKinds[] = {"crash_loop", "bad_deploy", "saturation", "dependency_outage", "bad_pod"};

agent::SignalSpec sig(const std::string& q) { return agent::SignalSpec{q, {}}; }

agent::TargetSpec target_spec() {
  agent::TargetSpec t;
  t.name = "web";
  t.namespace_ = "shop";
  t.scrape_url = "sandbox:/services/web/metrics";
  const std::string s = "{service=\"web\"}";
  t.signals["load"] = sig("sum(rate(sandbox_http_requests_total" + s + "[1m]))");
  t.signals["replicas"] = sig("sandbox_replicas" + s);
  t.signals["ready_replicas"] = sig("sandbox_ready_replicas" + s);
  t.signals["saturation"] = sig("sandbox_cpu_utilization" + s);
  t.signals["latency"] = sig(
      "histogram_quantile(0.99, sum by (le) (rate(sandbox_http_request_duration_seconds_bucket" + s + "[1m])))");
  t.signals["errors"] = sig("sum(rate(sandbox_http_requests_total{service=\"web\",code=~\"5..\"}[1m]))");
  t.signals["dependency_errors"] = sig("sum(rate(sandbox_http_requests_total{service=\"web\",code=\"502\"}[1m]))");
  t.signals["restarts"] = sig("sandbox_pod_restarts_total" + s);
  t.signals["revision"] = sig("sandbox_revision" + s);
  t.signals["pod_latency"] = sig("sandbox_pod_latency_seconds" + s);
  t.capacity.per_replica = 50;
  t.capacity.target_utilization = 0.7;
  t.limits.min_replicas = 2;
  t.limits.max_replicas = 40;
  t.limits.cooldown_up = std::chrono::seconds(15);
  t.limits.cooldown_down = std::chrono::minutes(1);
  t.readiness_delay = std::chrono::seconds(60);
  return t;
}

constexpr double kTickS = 5;       // the sandbox's tick: the resolution recovery is measured at
constexpr double kSustainS = 60;   // back to normal for this long, or it is not a recovery
constexpr double kBaselineS = 1800;

struct Case {
  std::string kind;
  int seed = 0;
  bool right = false;
  bool harmful = false;
  std::optional<double> recovery_s;  // detection to the sustained 5 s-resolution recovery the verification confirmed
  std::optional<double> minute_s;    // the same, old measure: end of the first whole normal minute
  std::optional<double> verdict_s;   // detection to the verification's verdict
  std::optional<double> acted_s;     // detection to the fixing action's decision
  int baseline_samples = 0;          // 5 s samples before the onset, and how many of them the
  int baseline_abnormal = 0;         // bounds would call abnormal (their false-alarm rate)
  std::string what;                  // the actions taken, for the table
};

/// The service as the sandbox saw it over one 5 s tick.
struct TickSample {
  double end_s = 0;  // simulated seconds since the world's start, at the end of the tick
  double p99_s = 0;
  double error_ratio = 0;
};

/// "Back to normal" from a baseline's samples: p99 within 25% of their median, the error ratio
/// within +0.5 points of theirs.
std::pair<double, double> normal_bounds(std::vector<double> p99, std::vector<double> err) {
  std::sort(p99.begin(), p99.end());
  std::sort(err.begin(), err.end());
  return {p99.empty() ? 0 : p99[p99.size() / 2] * 1.25, err.empty() ? 0 : err[err.size() / 2] + 0.005};
}

Case run_case(const std::string& kind, int seed) {
  Case c;
  c.kind = kind;
  c.seed = seed;
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed) * 7919 + std::hash<std::string>{}(kind));
  std::uniform_real_distribution<double> u(0, 1);

  opspilot::test::TempDir dir;
  backtest::WorldOptions w;
  w.config.interval = std::chrono::seconds(15);
  w.config.stale_after = std::chrono::minutes(1);
  w.config.mode = agent::Mode::Active;
  w.config.journal.path = dir.file("journal");
  w.config.journal.fsync = false;
  w.config.targets = {target_spec()};
  sandbox::ServiceSpec svc;
  svc.name = "web";
  svc.per_replica = 50;
  svc.readiness_delay_s = 60;
  const double base = 120 + 180 * u(rng);  // 120–300 req/s
  svc.initial_replicas = static_cast<int>(std::ceil(base / 35.0));
  w.sandbox.seed = static_cast<std::uint64_t>(seed);
  w.sandbox.tick_s = 5;
  w.sandbox.history_s = 6 * 3600;
  w.sandbox.services = {svc};
  w.start_unix = 1767600000 + static_cast<std::int64_t>(seed) * 86400;  // Jan 2026, a different day per seed
  w.seed = static_cast<std::uint64_t>(seed);

  // The load: flat with per-minute noise; saturation adds a sudden surge at the onset.
  const double onset_s = kWarmupS + 600 * u(rng);
  const double noise = 0.03 + 0.07 * u(rng);
  const double surge = 1.8 + 0.8 * u(rng);
  std::normal_distribution<double> n01(0, 1);
  std::vector<double> trace;
  for (double t = 0; t < kWarmupS + 600 + kAfterS + 600; t += 60)
    trace.push_back(base * std::max(0.2, 1 + noise * n01(rng)) * (kind == "saturation" && t >= onset_s ? surge : 1.0));

  std::vector<agent::Decision> decisions;
  w.on_decision = [&](const agent::Decision& d) { decisions.push_back(d); };
  std::string err;
  auto world = backtest::SimWorld::create(std::move(w), &err);
  if (!world) {
    c.what = "set-up failed: " + err;
    return c;
  }
  world->sandbox().with_model([&](sandbox::Model& m) {
    m.services().front().load().replay(trace, 60);
    return 0;
  });
  const agent::TimePoint start = world->now();
  const auto at = [&](double s) { return start + agent::Duration(static_cast<std::int64_t>(s * 1000)); };
  // Coarse (agent-interval) steps up to the baseline window, then 5 s ticks: the sandbox is
  // advanced one tick at a time up to each agent tick, its state read after every one, then the
  // world steps (the sandbox is already there, so this is the same simulation as run_until()).
  std::vector<TickSample> ticks;
  const agent::Duration tick = agent::Duration(static_cast<std::int64_t>(kTickS * 1000));
  const auto fine_until = [&](agent::TimePoint until) {
    const agent::Duration interval = world->config().interval;
    while (world->now() + interval <= until) {
      const agent::TimePoint next = world->now() + interval;
      for (agent::TimePoint t = world->now() + tick; t <= next; t += tick) {
        world->sandbox().advance(t);
        world->sandbox().with_model([&](sandbox::Model& m) {
          const sandbox::ServiceStatus st = m.services().front().status(m.elapsed_s());
          ticks.push_back(TickSample{agent::to_seconds(t - start), st.p99_s, st.error_ratio});
          return 0;
        });
      }
      world->step();
    }
  };
  world->run_until(at(onset_s - kBaselineS - 60));  // a little more than the baseline window
  fine_until(at(onset_s));

  const double injected_s = agent::to_seconds(world->now() - start);  // the incident starts here
  std::uint64_t bad_pod_id = 0;
  if (kind != "saturation") {
    sandbox::IncidentSpec spec;
    if (kind == "crash_loop") {
      spec = sandbox::defaults_for(sandbox::IncidentType::CrashLoop);
      spec.crash_uptime_s = 60 + 60 * u(rng);
    } else if (kind == "bad_deploy") {
      spec = sandbox::defaults_for(sandbox::IncidentType::Deploy);
      spec.latency_factor = 2 + 2 * u(rng);
      spec.error_rate = 0.02 + 0.06 * u(rng);
    } else if (kind == "dependency_outage") {
      spec = sandbox::defaults_for(sandbox::IncidentType::DependencyOutage);
      spec.duration_s = 20 * 60;
      spec.error_rate = 0.1 + 0.3 * u(rng);
      spec.latency_factor = 1 + u(rng);
    } else {
      spec = sandbox::defaults_for(sandbox::IncidentType::BadPod);
      spec.slow_factor = 6 + 6 * u(rng);
      spec.error_rate = 0.02 + 0.04 * u(rng);
    }
    world->sandbox().with_model([&](sandbox::Model& m) {
      bad_pod_id = m.inject(m.services().front(), spec).pod_id;
      return 0;
    });
  }
  const std::size_t before = decisions.size();
  fine_until(at(onset_s + kAfterS));

  std::string bad_pod;
  std::vector<sandbox::MinuteSample> minutes;
  world->sandbox().with_model([&](sandbox::Model& m) {
    const sandbox::ServiceSim& s = m.services().front();
    minutes.assign(s.history().samples().begin(), s.history().samples().end());
    for (const sandbox::Pod& p : s.pods())
      if (p.id == bad_pod_id) bad_pod = s.pod_name(p);
    if (bad_pod.empty() && bad_pod_id != 0) bad_pod = "web-" + std::to_string(bad_pod_id);
    return 0;
  });
  // The old measure, for comparison: the end of the first whole minute of the sandbox's record
  // after `from` whose p99 latency and error ratio are back to the 30 minutes before the onset
  // (p99 within 25%, errors within +0.5 points).
  const double onset_unix = agent::to_unix_seconds(at(onset_s));
  std::vector<double> base_p99, base_err;
  for (const auto& m : minutes)
    if (m.unix_s >= onset_unix - 1800 && m.unix_s + 60 <= onset_unix) {
      base_p99.push_back(m.p99_s);
      base_err.push_back(m.error_ratio);
    }
  const auto [p99_ok, err_ok] = normal_bounds(std::move(base_p99), std::move(base_err));
  auto minute_recovered_after = [&](agent::TimePoint from) -> std::optional<agent::TimePoint> {
    for (const auto& m : minutes)
      if (static_cast<double>(m.unix_s) >= agent::to_unix_seconds(from) && m.p99_s <= p99_ok && m.error_ratio <= err_ok)
        return agent::from_unix_seconds(static_cast<double>(m.unix_s + 60));
    return std::nullopt;
  };

  // The measure: the same bounds on the 5 s ticks, from the 5 s ticks of the 30 minutes before
  // the incident was injected.
  const auto in_baseline = [&](const TickSample& x) {
    return x.end_s - kTickS >= injected_s - kBaselineS - 1e-6 && x.end_s <= injected_s + 1e-6;
  };
  std::vector<double> tick_p99, tick_err;
  for (const TickSample& x : ticks)
    if (in_baseline(x)) {
      tick_p99.push_back(x.p99_s);
      tick_err.push_back(x.error_ratio);
    }
  const auto [tick_p99_ok, tick_err_ok] = normal_bounds(std::move(tick_p99), std::move(tick_err));
  const auto normal = [&](const TickSample& x) { return x.p99_s <= tick_p99_ok && x.error_ratio <= tick_err_ok; };
  for (const TickSample& x : ticks)
    if (in_baseline(x)) {
      ++c.baseline_samples;
      c.baseline_abnormal += !normal(x);
    }
  // The end of the first tick starting at or after `from` from which every tick of the next
  // kSustainS seconds is normal (the whole stretch observed).
  auto recovered_after = [&](agent::TimePoint from) -> std::optional<double> {
    const double from_s = agent::to_seconds(from - start);
    for (std::size_t i = 0; i < ticks.size(); ++i) {
      const double begins = ticks[i].end_s - kTickS;
      if (begins < from_s - 1e-6 || !normal(ticks[i])) continue;
      bool held = true, seen_all = false;
      for (std::size_t j = i; j < ticks.size() && held; ++j) {
        if (ticks[j].end_s > begins + kSustainS + 1e-6) {
          seen_all = true;
          break;
        }
        held = normal(ticks[j]);
      }
      if (held && seen_all) return ticks[i].end_s;
    }
    return std::nullopt;
  };

  if (const char* tr = std::getenv("OPSPILOT_INCIDENT_TRACE"); tr && kind + ":" + std::to_string(seed) == tr) {
    for (std::size_t i = before; i < decisions.size(); ++i) {
      const agent::Decision& d = decisions[i];
      std::printf("TRACE %+7.0f %-8s %-9s %2d->%2d %s | %s\n", agent::to_seconds(d.created - start) - injected_s,
                  d.action.c_str(), agent::to_string(d.state), d.current_replicas, d.desired_replicas,
                  d.reason.substr(0, 200).c_str(), d.outcome.substr(0, 120).c_str());
    }
    for (const TickSample& x : ticks)
      if (x.end_s > injected_s - 60 && x.end_s < injected_s + 400)
        std::printf("TICK %+6.0f p99 %.3f err %.4f\n", x.end_s - injected_s, x.p99_s, x.error_ratio);
  }
  // What the agent did after the onset: every action and escalation, first occurrence by id.
  std::optional<agent::TimePoint> detected;
  std::map<std::string, agent::Decision> by_id;
  std::vector<std::string> order;
  for (std::size_t i = before; i < decisions.size(); ++i) {
    const agent::Decision& d = decisions[i];
    if (!detected && d.remediation.classified()) detected = d.created;  // any class, saturation too
    if (kind == "saturation" && !detected && d.action == "scale" && d.desired_replicas > d.current_replicas)
      detected = d.created;
    if (d.action == "hold") continue;
    if (!by_id.count(d.id)) order.push_back(d.id);
    by_id[d.id] = d;
  }
  bool restart_all = false, restart_pod_right = false, restart_pod_wrong = false, rollback = false, scale_up = false;
  std::optional<agent::TimePoint> fixed, acted_at;
  for (const std::string& id : order) {
    const agent::Decision& d = by_id[id];
    const bool acted = d.state == agent::DecisionState::Verified || d.state == agent::DecisionState::Applied ||
                       d.state == agent::DecisionState::Failed || d.state == agent::DecisionState::Acting;
    if (!acted) continue;
    c.what += (c.what.empty() ? "" : ", ") + d.action + (d.params.count("pod") ? "(" + d.params.at("pod") + ")" : "") +
              ":" + agent::to_string(d.state);
    if (d.action == "restart" && d.params.count("pod")) {
      (d.params.at("pod") == bad_pod ? restart_pod_right : restart_pod_wrong) = true;
    } else if (d.action == "restart") {
      restart_all = true;
    } else if (d.action == "rollback") {
      rollback = true;
    } else if (d.action == "scale" && d.desired_replicas > d.current_replicas) {
      scale_up = true;
    }
    const bool verified = d.state == agent::DecisionState::Verified &&
                          (d.remediation.recovery.empty() || d.remediation.recovery == "pass");
    const bool fixes = (kind == "crash_loop" && d.action == "restart" && !d.params.count("pod")) ||
                       (kind == "bad_deploy" && d.action == "rollback") ||
                       (kind == "bad_pod" && d.action == "restart" && d.params.count("pod")) ||
                       (kind == "saturation" && d.action == "scale" && d.desired_replicas > d.current_replicas);
    // The fix is the first verified fixing action from detection on (a scale-down just before
    // the surge is not one).
    if (verified && fixes && !fixed && (!detected || d.created >= *detected)) {
      fixed = d.updated;
      acted_at = d.created;
    }
  }
  if (kind == "crash_loop") c.right = restart_all && !rollback && !restart_pod_wrong;
  if (kind == "bad_deploy") c.right = rollback;
  if (kind == "saturation") c.right = scale_up && !restart_all && !rollback && !restart_pod_right && !restart_pod_wrong;
  if (kind == "bad_pod") c.right = restart_pod_right && !restart_all && !rollback;
  if (kind == "dependency_outage") {
    c.harmful = restart_all || rollback || restart_pod_right || restart_pod_wrong;
    c.right = !c.harmful;
  }
  if (detected && fixed && *fixed >= *detected) {
    c.verdict_s = agent::to_seconds(*fixed - *detected);
    const double detected_s = agent::to_seconds(*detected - start);
    c.acted_s = agent::to_seconds(*acted_at - *detected);
    if (const auto back = recovered_after(*acted_at)) c.recovery_s = std::max(0.0, *back - detected_s);
    if (const auto back = minute_recovered_after(*acted_at)) c.minute_s = std::max(0.0, agent::to_seconds(*back - *detected));
  }
  if (c.what.empty()) c.what = "no action";
  return c;
}

std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}

void BM_IncidentSuite(benchmark::State& state) {
  for (auto _ : state) {
    cases().clear();
    for (const char* kind : kKinds)
      for (int seed = 1; seed <= kSeeds; ++seed) cases().push_back(run_case(kind, seed));
  }
  state.counters["runs"] = static_cast<double>(cases().size());
}
BENCHMARK(BM_IncidentSuite)->Iterations(1)->Unit(benchmark::kSecond);

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string seconds_text(double v) { return std::isnan(v) ? "-" : std::to_string(static_cast<int>(std::lround(v))) + " s"; }

}  // namespace

int main(int argc, char** argv) {
  opspilot::bench::MedianReporter reporter;
  if (!opspilot::bench::run_benchmarks(&argc, argv, reporter)) return 1;
  const auto& all = cases();
  if (const char* e = std::getenv("OPSPILOT_INCIDENT_CASES"); e && *e && std::string(e) != "0") {
    const auto opt = [](const std::optional<double>& v) { return v ? seconds_text(*v) : std::string("-"); };
    std::printf("\n%-18s %4s %8s %9s %8s %8s  %s\n", "incident", "seed", "acted", "recovery", "minute", "verdict",
                "actions");
    for (const Case& c : all)
      std::printf("%-18s %4d %8s %9s %8s %8s  %s\n", c.kind.c_str(), c.seed, opt(c.acted_s).c_str(),
                  opt(c.recovery_s).c_str(), opt(c.minute_s).c_str(), opt(c.verdict_s).c_str(),
                  c.what.substr(0, 100).c_str());
  }
  // Per kind: medians of seconds after detection.
  std::printf("\n%-18s %6s %8s %7s %9s %8s %8s  %s\n", "incident", "right", "harmful", "acted", "recovery", "minute",
              "verdict", "example actions (seed 1)");
  int right = 0, harmful_dep = 0, verified_fixes = 0, never_back = 0, baseline_n = 0, baseline_bad = 0;
  std::vector<double> recoveries, minute_recoveries, verdicts;
  for (const char* kind : kKinds) {
    int r = 0, h = 0;
    std::vector<double> act, rec, min, ver;
    std::string example;
    for (const Case& c : all) {
      if (c.kind != kind) continue;
      r += c.right;
      h += c.harmful;
      baseline_n += c.baseline_samples;
      baseline_bad += c.baseline_abnormal;
      if (c.acted_s) act.push_back(*c.acted_s);
      if (c.verdict_s) {
        ++verified_fixes;
        if (!c.recovery_s) ++never_back;
        ver.push_back(*c.verdict_s);
        verdicts.push_back(*c.verdict_s);
      }
      if (c.recovery_s) {
        rec.push_back(*c.recovery_s);
        recoveries.push_back(*c.recovery_s);
      }
      if (c.minute_s) {
        min.push_back(*c.minute_s);
        minute_recoveries.push_back(*c.minute_s);
      }
      if (c.seed == 1) example = c.what;
    }
    right += r;
    if (std::string(kind) == "dependency_outage") harmful_dep += h;
    std::printf("%-18s %3d/%-2d %8d %7s %9s %8s %8s  %s\n", kind, r, kSeeds, h, seconds_text(median(act)).c_str(),
                seconds_text(median(rec)).c_str(), seconds_text(median(min)).c_str(), seconds_text(median(ver)).c_str(),
                example.substr(0, 80).c_str());
  }
  std::printf("(medians, seconds after detection: acted = the fixing action's decision; recovery = sustained (%.0f s) "
              "recovery at the sandbox's %.0f s resolution; minute = the old whole-minute measure; verdict = the "
              "verification's verdict)\n",
              kSustainS, kTickS);
  for (const Case& c : all)
    if (!c.right) std::printf("  wrong: %s seed %d: %s\n", c.kind.c_str(), c.seed, c.what.substr(0, 140).c_str());
  std::printf("verified fixes %d, of which with no sustained recovery in the %.0f min observed: %d; the bounds call "
              "%.2f %% of the healthy baseline's %d five-second samples abnormal\n",
              verified_fixes, kAfterS / 60, never_back,
              baseline_n ? 100.0 * baseline_bad / static_cast<double>(baseline_n) : 0.0, baseline_n);
  if (!recoveries.empty()) {
    std::vector<double> r = recoveries;
    std::sort(r.begin(), r.end());
    const auto q = [&](double f) { return r[static_cast<std::size_t>(f * static_cast<double>(r.size() - 1))]; };
    std::printf("recovery (5 s resolution, sustained): min %.0f s, quartiles %.0f / %.0f / %.0f s, max %.0f s; "
                "%td of %zu under 2 min\n",
                r.front(), q(0.25), q(0.5), q(0.75), r.back(),
                std::count_if(r.begin(), r.end(), [](double x) { return x < 120; }), r.size());
  }
  const double pct = all.empty() ? 0 : 100.0 * right / static_cast<double>(all.size());
  const double med = median(recoveries) / 60.0;
  std::printf("\nreference: Argo Rollouts' and Flagger's documented analysis examples take 5-15 min from detection to rollback\n");
  std::printf("TARGET incident suite right action: measured %.1f %% of %zu runs (target >= 90 %%) -> %s\n", pct,
              all.size(), pct >= 90 ? "PASS" : "FAIL");
  std::printf("TARGET harmful actions on dependency outages: measured %d (target 0) -> %s\n", harmful_dep,
              harmful_dep == 0 ? "PASS" : "FAIL");
  std::printf("TARGET detection-to-verified-recovery median: measured %.2f min simulated over %zu verified recoveries "
              "(sustained %.0f s, %.0f s resolution) (target < 2 min) -> %s\n",
              med, recoveries.size(), kSustainS, kTickS, !std::isnan(med) && med < 2 ? "PASS" : "FAIL");
  std::printf("(the old whole-minute measure of the same recoveries: median %.2f min over %zu; detection to the "
              "verification's verdict, which needs the recovered window observed: median %.2f min)\n",
              median(minute_recoveries) / 60.0, minute_recoveries.size(), median(verdicts) / 60.0);
  return 0;
}
