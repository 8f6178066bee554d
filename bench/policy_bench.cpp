// Policy engine targets: evaluating one proposal against 1,000 rules (p99 < 50 us, every rule
// applying to the target: the worst case, not an index hit), and loading + validating a 1 MB
// policy file (< 100 ms, from disk, with every check the CLI runs).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "policies/engine.h"
#include "policies/loader.h"

namespace {

using namespace opspilot::policies;

// One document of ten rules, all selecting prod/web*: 4 cooldowns, 2 rate limits, 2 freezes,
// 2 approval rules.
std::string document(int i) {
  const std::string n = std::to_string(i);
  return "apiVersion: opspilot.dev/v1\nkind: Policy\nmetadata:\n  name: p" + n +
         "\n  description: generated policy number " + n +
         " for the load benchmark; long enough to look like a real, commented policy file\nspec:\n"
         "  targets:\n    - namespace: prod\n      name: \"web*\"\n      labels: {tier: frontend}\n"
         "  timezone: Europe/Berlin\n"
         "  cooldowns: {scale_up: " + std::to_string(1 + i % 5) + "m, scale_down: 10m, restart: 15m, rollback: 1h}\n"
         "  rate_limits:\n    - {kind: restart, max: 3, window: 1h}\n    - {kind: scale, max: 50, window: 1h}\n"
         "  freezes:\n    - {name: year-end, from: 2026-12-21, to: 2027-01-04, kinds: [scale_down, restart]}\n"
         "    - {name: weekend, cron: \"0 16 * * fri\", duration: 64h, kinds: [restart, rollback]}\n"
         "  approval:\n    rules:\n"
         "      - {name: big, kinds: [scale_up], min_step: 50, approvers: {slack_groups: [S0SRE]}}\n"
         "      - {name: unsure, kinds: [scale], confidence_below: 0.2, approvers: {tokens: [oncall]}}\n"
         "---\n";
}

std::string policy_text(std::size_t min_bytes, int* docs) {
  std::string s;
  int i = 0;
  while (s.size() < min_bytes || (docs && *docs > 0 && i < *docs)) {
    s += document(i++);
    if (docs && *docs > 0 && i >= *docs && s.size() >= min_bytes) break;
  }
  if (docs) *docs = i;
  return s;
}

void BM_Evaluate1000Rules(benchmark::State& state) {
  int docs = 100;
  const LoadResult r = load_policy_string(policy_text(0, &docs), "bench.yaml");
  if (!r.ok() || r.rules != 1000) {
    state.SkipWithError(("policy did not load as 1,000 rules: " + r.report()).c_str());
    return;
  }
  Proposal p;
  p.namespace_ = "prod";
  p.target = "web-frontend";
  p.action = "scale";
  p.current_replicas = 6;
  p.desired_replicas = 9;
  p.confidence = 0.9;
  p.labels = {{"tier", "frontend"}};
  Context c;
  c.now = std::chrono::system_clock::time_point(std::chrono::seconds(1772618400));  // Wed 2026-03-04 10:00Z
  for (int k = 0; k < 10; ++k) c.history.push_back(ActionRecord{"restart", c.now - std::chrono::minutes(7 * k), 1});
  std::vector<double> us;
  us.reserve(200000);
  std::size_t checked = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    Evaluation ev = r.engine->evaluate(p, c);
    const auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(ev);
    checked = ev.rules.size();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.counters["rules_checked"] = static_cast<double>(checked);
}
BENCHMARK(BM_Evaluate1000Rules)->Iterations(5000)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_Load1MBPolicyFile(benchmark::State& state) {
  int docs = 0;
  const std::string text = policy_text(1 << 20, &docs);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("opspilot-policy-bench-" + std::to_string(::getpid()) + ".yaml")).string();
  std::ofstream(path) << text;
  std::size_t rules = 0;
  for (auto _ : state) {
    const LoadResult r = load_policy_paths({path});
    if (!r.ok()) {
      state.SkipWithError(r.report().substr(0, 300).c_str());
      break;
    }
    rules = r.rules;
  }
  std::filesystem::remove(path);
  state.counters["bytes"] = static_cast<double>(text.size());
  state.counters["policies"] = docs;
  state.counters["rules"] = static_cast<double>(rules);
}
BENCHMARK(BM_Load1MBPolicyFile)->Unit(benchmark::kMillisecond)->Iterations(5)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace

int main(int argc, char** argv) {
  opspilot::bench::MedianReporter reporter;
  if (!opspilot::bench::run_benchmarks(&argc, argv, reporter)) return 1;
  bool ok = true;
  auto target = [&](const char* name, double value, const char* unit, double limit) {
    const bool pass = value < limit;
    ok = ok && pass;
    std::printf("TARGET %s: measured %.2f %s (target < %.0f) -> %s\n", name, value, unit, limit, pass ? "PASS" : "FAIL");
  };
  if (auto it = reporter.medians.find("BM_Evaluate1000Rules"); it != reporter.medians.end()) {
    std::printf("policy evaluation, 1,000 rules: p50 %.2f us, p99 %.2f us (median of 5 runs of 5,000)\n",
                it->second.counters["p50_us"].value, it->second.counters["p99_us"].value);
    target("policy_eval_1000_rules_p99", it->second.counters["p99_us"].value, "us", 50);
  }
  if (auto it = reporter.medians.find("BM_Load1MBPolicyFile"); it != reporter.medians.end())
    target("policy_load_validate_1MB", it->second.GetAdjustedRealTime(), "ms", 100);
  return ok ? 0 : 1;
}
