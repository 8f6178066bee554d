// The Kubernetes actuator against the Kubernetes API simulator (examples/k8s-sim), both real
// processes talking HTTP on loopback:
//   1. a scale end to end — plan, apply, then verify until the new replica is Ready — and how much
//      longer it takes than the simulated readiness delay itself (the agent's own time);
//   2. 10,000 actions (scales and rolling restarts) replayed while random 409, 429, 500 and 503
//      faults are injected in front of the API; every action must end applied exactly once or
//      reported failed, with the effective writes counted from the simulator's own log.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actuators/kubernetes/kubernetes_actuator.h"
#include <thread>
#include "examples/k8s-sim/sim_process.h"

namespace {

using namespace opspilot;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr double kReadySeconds = 0.25;  // simulated = real at time scale 1

std::string seed_state() {
  return "namespaces: [shop]\n"
         "deployments:\n"
         "  - {name: web, namespace: shop, replicas: 3, image: \"nginx:1.25\", labels: {app: web}}\n"
         "  - {name: api, namespace: shop, replicas: 3, image: \"nginx:1.25\", labels: {app: api}}\n";
}

std::string kubeconfig(const k8s_sim::testing::SimProcess& sim) {
  return sim.dir().write("kubeconfig",
                         "apiVersion: v1\nkind: Config\ncurrent-context: sim\n"
                         "clusters: [{name: sim, cluster: {server: \"" + sim.url() + "\"}}]\n"
                         "users: [{name: agent, user: {token: bench}}]\n"
                         "contexts: [{name: sim, context: {cluster: sim, user: agent, namespace: shop}}]\n");
}

actuators::Action scale(const std::string& id, const std::string& name, int from, int to) {
  actuators::Action a;
  a.decision_id = id;
  a.kind = actuators::ActionKind::Scale;
  a.target = {"Deployment", "shop", name};
  a.from_replicas = from;
  a.replicas = to;
  return a;
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct E2E {
  std::vector<double> beyond_ms;  // end to end minus the readiness delay
  std::vector<double> calls_ms;   // time inside plan/apply/verify calls
};

E2E run_scale_e2e(int rounds) {
  E2E out;
  k8s_sim::testing::SimProcess sim(seed_state(), {"--time-scale", "1", "--pod-ready-seconds", std::to_string(kReadySeconds)});
  if (!sim.error().empty()) {
    std::fprintf(stderr, "%s\n", sim.error().c_str());
    return out;
  }
  actuators::KubernetesActuator k({{"kubeconfig", kubeconfig(sim)}, {"retries", "4"}});
  int replicas = 3;
  for (int i = 0; i < rounds; ++i) {
    const actuators::Action a = scale("e2e-" + std::to_string(i), "web", replicas, replicas + 1);
    const auto t0 = Clock::now();
    double in_calls = 0;
    auto c0 = Clock::now();
    (void)k.plan(a);
    const auto applied = k.apply(a);
    in_calls += ms_since(c0);
    if (!applied.ok) {
      std::fprintf(stderr, "scale failed: %s\n", applied.error.c_str());
      return out;
    }
    for (;;) {
      c0 = Clock::now();
      const auto v = k.verify(a);
      in_calls += ms_since(c0);
      if (v.state == actuators::VerifyState::Done) break;
      if (v.state == actuators::VerifyState::Failed || ms_since(t0) > 10'000) {
        std::fprintf(stderr, "verify: %s\n", v.detail.c_str());
        return out;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    out.beyond_ms.push_back(ms_since(t0) - kReadySeconds * 1000);
    out.calls_ms.push_back(in_calls);
    ++replicas;
    if (replicas > 8) {  // back down (not measured), so pod counts stay small
      (void)k.apply(scale("e2e-down-" + std::to_string(i), "web", replicas, 3));
      replicas = 3;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return out;
}

struct Replay {
  int actions = 0, applied = 0, already = 0, failed = 0, faults = 0;
  int replayed = 0, replay_not_recognised = 0;  // successful actions applied a second time
  int duplicates = 0;       // an action with more than one effective write
  int silent_failures = 0;  // reported failed, yet the log shows an effective write
  int lost = 0;             // reported applied, yet no effective write (and not a replay)
  double seconds = 0;
};

/// The writes in the simulator's log that changed the workload (2xx, not a fault, not dry-run,
/// and a new resourceVersion).
int effective_writes(const json& entries, std::string& last_rv) {
  int n = 0;
  for (const auto& e : entries) {
    const int code = e.value("code", 0);
    if (code < 200 || code >= 300 || e.value("fault", false) || e.value("dryRun", false)) continue;
    const std::string m = e.value("method", "");
    if (m != "PUT" && m != "PATCH" && m != "POST") continue;
    const std::string rv = e.value("resourceVersion", "");
    if (rv == last_rv) continue;  // a no-op write writes nothing
    last_rv = rv;
    ++n;
  }
  return n;
}

Replay run_replay(int actions, double fault_rate) {
  Replay r;
  k8s_sim::testing::SimProcess sim(seed_state(), {"--time-scale", "50", "--pod-ready-seconds", "1"});
  if (!sim.error().empty()) {
    std::fprintf(stderr, "%s\n", sim.error().c_str());
    return r;
  }
  actuators::KubernetesActuator k({{"kubeconfig", kubeconfig(sim)}, {"retries", "4"}, {"retry_base", "1ms"}});
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  const int codes[] = {409, 429, 500, 503};
  int replicas[2] = {3, 3};
  const char* names[2] = {"web", "api"};
  std::string last_rv[2];
  const auto t0 = Clock::now();
  (void)sim.send("DELETE", "/sim/log");
  for (int i = 0; i < actions; ++i) {
    const int w = static_cast<int>(i % 2);
    actuators::Action a;
    if (i % 5 == 4) {
      a.decision_id = "replay-" + std::to_string(i);
      a.kind = actuators::ActionKind::Restart;
      a.target = {"Deployment", "shop", names[w]};
    } else {
      const int to = replicas[w] == 3 ? 4 : 3;
      a = scale("replay-" + std::to_string(i), names[w], replicas[w], to);
    }
    if (u(rng) < fault_rate) {
      const int code = codes[static_cast<std::size_t>(u(rng) * 4) % 4];
      json fault = {{"pathPrefix", std::string("/apis/apps/v1/namespaces/shop/deployments/") + names[w]},
                    {"code", code}, {"count", 1 + static_cast<int>(u(rng) * 3)}, {"retryAfterSeconds", 0}};
      if (code == 409) fault["method"] = "PATCH";
      (void)sim.send("POST", "/sim/fault", fault.dump());
      ++r.faults;
    }
    // The agent's side: an apply that failed retryably is applied again (as after a restart) —
    // the decision id must keep it from acting twice.
    actuators::ApplyResult res;
    for (int attempt = 0; attempt < 3; ++attempt) {
      res = k.apply(a);
      if (res.ok || !res.retryable) break;
    }
    // And one in five successful actions is applied again, as an agent restarted mid-action
    // replays a decision journaled as acting: it must find its own write and change nothing.
    if (res.ok && u(rng) < 0.2) {
      const auto again = k.apply(a);
      ++r.replayed;
      if (!again.ok || !again.already_applied) ++r.replay_not_recognised;
    }
    (void)sim.send("DELETE", "/sim/faults");
    const auto log = json::parse(sim.send("GET", "/sim/log").body, nullptr, false);
    (void)sim.send("DELETE", "/sim/log");
    const int writes = log.is_discarded() ? -1 : effective_writes(log["entries"], last_rv[w]);
    ++r.actions;
    if (writes > 1) ++r.duplicates;
    if (res.ok && res.already_applied) ++r.already;
    else if (res.ok) ++r.applied;
    else ++r.failed;
    if (!res.ok && writes > 0) ++r.silent_failures;
    if (res.ok && !res.already_applied && writes == 0) ++r.lost;
    if (res.ok && a.kind == actuators::ActionKind::Scale) replicas[w] = a.replicas;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

double median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int actions = 10000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--actions=", 0) == 0) actions = std::stoi(a.substr(10));
  }
  const E2E e2e = run_scale_e2e(21);
  const Replay rp = run_replay(actions, 0.3);

  std::printf("\nscale end to end (plan -> apply -> verified Ready), %zu rounds, readiness delay %.0f ms:\n",
              e2e.beyond_ms.size(), kReadySeconds * 1000);
  std::printf("  beyond readiness: median %.1f ms, max %.1f ms; inside actuator calls: median %.1f ms\n",
              median(e2e.beyond_ms), e2e.beyond_ms.empty() ? -1 : *std::max_element(e2e.beyond_ms.begin(), e2e.beyond_ms.end()),
              median(e2e.calls_ms));
  std::printf("replay: %d actions in %.1f s, %d with injected faults: %d applied, %d already applied, %d failed; "
              "%d applied twice on purpose (%d not recognised as replays); "
              "%d duplicates, %d failed-yet-written, %d applied-yet-unwritten\n",
              rp.actions, rp.seconds, rp.faults, rp.applied, rp.already, rp.failed, rp.replayed,
              rp.replay_not_recognised, rp.duplicates, rp.silent_failures, rp.lost);
  const double beyond = median(e2e.beyond_ms);
  const bool e2e_ok = !e2e.beyond_ms.empty() && beyond < 100;
  const bool replay_ok = rp.actions == actions && rp.duplicates == 0 && rp.silent_failures == 0 && rp.lost == 0 &&
                         rp.replay_not_recognised == 0;
  std::printf("TARGET scale end to end beyond the readiness delay: measured %.1f ms (target < 100 ms) -> %s\n", beyond,
              e2e_ok ? "PASS" : "FAIL");
  std::printf("TARGET %d actions under 409/429/5xx faults, duplicates: measured %d (target 0; every action applied "
              "once or reported failed) -> %s\n",
              rp.actions, rp.duplicates + rp.silent_failures + rp.lost + rp.replay_not_recognised,
              replay_ok ? "PASS" : "FAIL");
  return e2e_ok && replay_ok ? 0 : 1;
}
