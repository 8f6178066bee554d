// `opspilot backtest`: the command-line face of backtest.h.
#include "examples/backtest/backtest_cmd.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/cli/commands.h"
#include "agent/cli/csv_input.h"
#include "agent/config/duration.h"
#include "agent/config/loader.h"
#include "examples/backtest/backtest.h"
#include "examples/backtest/operating_points.h"
#include "examples/sandbox/config.h"
#include "policies/policy_set.h"

namespace opspilot::backtest {
namespace {

namespace fs = std::filesystem;
using agent::cli::Args;

constexpr const char* kUsage =
    "  backtest --trace FILE -c FILE [--policy PATH[,PATH]] [--target T] [--peak-replicas N | --scale X]\n"
    "           [--per-second] [--value-column C] [--sandbox FILE --service S] [--seed N]\n"
    "           [--duration D] [--latency-slo 0.5] [--error-slo 0.01] [--quantiles Q[,Q]] [--out DIR] [--json]\n"
    "                                        replay a load trace through the sandbox model: opspilot's\n"
    "                                        decisions vs the Kubernetes HPA and a perfect-foresight oracle;\n"
    "                                        --quantiles replays opspilot again sized for each forecast quantile\n";

int usage_error(const std::string& msg) {
  std::cerr << "opspilot backtest: " << msg << "\nrun `opspilot help` for usage\n";
  return 2;
}

/// All of `text` as a finite number, or nullopt.
std::optional<double> finite_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

bool number(const agent::cli::Options& o, const std::string& flag, double* out, std::string* err) {
  if (!o.has(flag)) return true;
  const std::string text = o.get(flag);
  if (const auto v = finite_number(text)) {
    *out = *v;
    return true;
  }
  *err = "--" + flag + " must be a number, got \"" + text + "\"";
  return false;
}

/// --quantiles: distinct upper quantiles in [0.5, 1), as forecast.quantile takes them.
bool quantiles(const agent::cli::Options& o, std::vector<OperatingPoint>* points, bool learn, std::string* err) {
  if (!o.has("quantiles")) return true;
  // split_list drops empty elements; here "0.9," or "0.8,,0.9" is a typo, not a shorter list.
  const std::string list = o.get("quantiles");
  if (!list.empty() && (list.front() == ',' || list.back() == ',' || list.find(",,") != std::string::npos)) {
    *err = "--quantiles \"" + list + "\" has an empty element; give quantiles such as 0.8,0.9,0.95";
    return false;
  }
  for (const std::string& text : agent::cli::split_list(list)) {
    const double q = finite_number(text).value_or(0);
    if (!(q >= 0.5 && q < 1)) {
      *err = "--quantiles takes upper quantiles in [0.5, 1) separated by commas, e.g. 0.8,0.9,0.95; got \"" + text + "\"";
      return false;
    }
    for (const OperatingPoint& p : *points)
      if (p.quantile == q) {
        *err = "--quantiles names " + text + " twice";
        return false;
      }
    points->push_back({q, learn});
  }
  if (points->empty()) *err = "--quantiles is empty; give quantiles such as 0.8,0.9,0.95";
  return !points->empty();
}

bool write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

/// "58.6 days", "6.0 hours", "40 minutes": how long `seconds` of trace is, for notes.
std::string span(double seconds) {
  char buf[64];
  if (seconds >= 2 * 86400)
    std::snprintf(buf, sizeof buf, "%.1f days", seconds / 86400);
  else if (seconds >= 2 * 3600)
    std::snprintf(buf, sizeof buf, "%.1f hours", seconds / 3600);
  else
    std::snprintf(buf, sizeof buf, "%.0f minutes", seconds / 60);
  return buf;
}

nlohmann::json run_json(const RunResult& r) {
  return {{"slo_violation_minutes", r.slo_violation_minutes}, {"replica_hours", r.replica_hours},
          {"scaling_actions", r.scaling_actions}, {"mean_utilization", r.mean_utilization},
          {"minutes", r.minutes.size()}, {"wall_seconds", r.wall_seconds}};
}

}  // namespace

int cmd_backtest(const Args& args) {
  const agent::cli::Options o = agent::cli::parse_options(
      args,
      {"config", "trace", "policy", "target", "value-column", "scale", "peak-replicas", "sandbox", "service",
       "seed", "duration", "latency-slo", "error-slo", "quantiles", "out"},
      {"per-second", "json"});
  if (!o.error.empty()) return usage_error(o.error);
  if (!o.has("trace")) return usage_error("say which load trace: --trace FILE (CSV: timestamp,value)");
  if (!o.has("config")) return usage_error("say which agent config: -c FILE");
  if (o.has("scale") && o.has("peak-replicas")) return usage_error("give --scale or --peak-replicas, not both");
  if (o.has("sandbox") != o.has("service")) return usage_error("--sandbox FILE and --service NAME go together");

  agent::LoadResult cfg = agent::load_config_file(o.get("config"));
  if (const std::string rep = cfg.report(); !rep.empty()) std::cerr << rep;
  if (!cfg.ok()) return 1;

  BacktestOptions b;
  b.config = cfg.config;
  b.target = o.get("target");
  std::string err;
  auto trace = read_trace(o.get("trace"), o.get("value-column"), o.has("per-second"), &err);
  if (!trace) {
    std::cerr << "opspilot backtest: " << err << "\n";
    return 1;
  }
  b.trace = std::move(*trace);

  const agent::TargetSpec* target = nullptr;
  for (const auto& t : b.config.targets)
    if (b.target.empty() || t.name == b.target) {
      target = &t;
      break;
    }
  if (!target)
    return usage_error(b.target.empty() ? "the config has no target" : "the config has no target named \"" + b.target + "\"");
  if (o.has("sandbox")) {
    sandbox::ConfigResult sc = sandbox::load_config_file(o.get("sandbox"));
    if (!sc.ok()) {
      std::cerr << sc.message();
      return 1;
    }
    const auto it = std::find_if(sc.spec->services.begin(), sc.spec->services.end(),
                                 [&](const sandbox::ServiceSpec& s) { return s.name == o.get("service"); });
    if (it == sc.spec->services.end()) return usage_error("no service \"" + o.get("service") + "\" in " + o.get("sandbox"));
    b.service = *it;
    b.service.incidents.clear();
  } else {
    b.service = service_for_target(*target);
  }
  b.service.name = target->name;

  double scale = 1, peak_replicas = 0, seed = 1;
  if (!number(o, "scale", &scale, &err) || !number(o, "peak-replicas", &peak_replicas, &err) ||
      !number(o, "seed", &seed, &err) || !number(o, "latency-slo", &b.slo.latency_s, &err) ||
      !number(o, "error-slo", &b.slo.error_ratio, &err))
    return usage_error(err);
  if (!(b.slo.latency_s > 0))
    return usage_error("--latency-slo is the p99 latency in seconds above which a minute is violated and must be > 0, "
                       "got \"" + o.get("latency-slo") + "\"");
  if (!(b.slo.error_ratio > 0 && b.slo.error_ratio < 1))
    return usage_error("--error-slo is the failed share of requests above which a minute is violated, in (0, 1) "
                       "(0.01 = 1%), got \"" + o.get("error-slo") + "\"");
  if (o.has("scale") && !(scale > 0)) return usage_error("--scale must be > 0, got \"" + o.get("scale") + "\"");
  if (o.has("peak-replicas")) {
    if (!(peak_replicas > 0))
      return usage_error("--peak-replicas is how many replicas the replayed peak needs and must be > 0, got \"" +
                         o.get("peak-replicas") + "\"");
    if (peak_replicas > target->limits.max_replicas)
      return usage_error("--peak-replicas " + o.get("peak-replicas") + " is above the target's max_replicas " +
                         std::to_string(target->limits.max_replicas) + " (limits.max_replicas of \"" + target->name +
                         "\"): no controller could reach it");
  }
  b.seed = static_cast<std::uint64_t>(seed);
  const double trace_s = static_cast<double>(b.trace.rps.size()) * b.trace.step_s;
  std::string duration_note;
  if (o.has("duration")) {
    auto d = agent::parse_duration(o.get("duration"), &err);
    if (!d) return usage_error("--duration: " + err);
    b.max_steps = static_cast<std::size_t>(agent::to_seconds(*d) / b.trace.step_s);
    if (b.max_steps == 0) return usage_error("--duration is shorter than one trace step");
    if (b.max_steps > b.trace.rps.size()) {
      duration_note = "--duration " + o.get("duration") + ": the trace has " + span(trace_s) + "; all of it is replayed";
      b.max_steps = b.trace.rps.size();
    }
  }
  const std::size_t steps = b.max_steps > 0 ? b.max_steps : b.trace.rps.size();
  if (o.has("peak-replicas")) {
    // Scaled so that the peak of the steps replayed (not of the whole file) needs this many
    // replicas at the target utilisation.
    const double peak = *std::max_element(b.trace.rps.begin(), b.trace.rps.begin() + static_cast<std::ptrdiff_t>(steps));
    if (peak <= 0) return usage_error("--peak-replicas: the replayed steps of the trace carry no load (peak 0)");
    scale = peak_replicas * b.service.per_replica * target->capacity.target_utilization / peak;
  }
  for (double& v : b.trace.rps) v *= scale;
  std::vector<OperatingPoint> points;
  if (!quantiles(o, &points, target->capacity.learn_utilization, &err)) return usage_error(err);

  std::unique_ptr<policies::PolicySet> policy_set;
  if (o.has("policy")) {
    policy_set = std::make_unique<policies::PolicySet>(agent::cli::split_list(o.get("policy")));
    const policies::ReloadReport rep = policy_set->reload();
    if (!rep.ok) {
      std::cerr << "opspilot backtest: the policies do not load:\n" << policies::format_diagnostics(rep.diagnostics);
      return 1;
    }
    b.policies = policy_set.get();
  }

  const fs::path out = o.has("out") ? fs::path(o.get("out")) : fs::path("backtest-out");
  std::error_code ec;
  fs::create_directories(out, ec);
  b.journal_dir = (out / "journal").string();
  // The decisions of this replay only: an earlier replay's journal is replaced, but a journal
  // that no backtest wrote (a live agent's) is never touched.
  if (fs::exists(b.journal_dir, ec) && !fs::exists(out / "backtest.md", ec)) {
    std::cerr << "opspilot backtest: " << b.journal_dir
              << " exists and was not written by a backtest (no backtest.md beside it); choose another --out\n";
    return 1;
  }
  fs::remove_all(b.journal_dir, ec);
  const fs::path points_dir = out / "operating-points";
  fs::remove_all(points_dir, ec);

  auto res = run_backtest(b, &err);
  if (!res) {
    std::cerr << "opspilot backtest: " << err << "\n";
    return 1;
  }
  if (!duration_note.empty()) {  // beside the note on the trace itself
    auto at = std::find_if(res->notes.begin(), res->notes.end(),
                           [](const std::string& n) { return n.rfind("trace ", 0) == 0; });
    res->notes.insert(at == res->notes.end() ? at : at + 1, duration_note);
  }
  std::string md = summary_markdown(b, *res);
  std::vector<PointResult> swept;
  if (!points.empty()) {
    // The config's own point is the replay above: not replayed twice, listed as that one.
    const OperatingPoint config = config_point(*target);
    std::vector<OperatingPoint> replay;
    std::copy_if(points.begin(), points.end(), std::back_inserter(replay), [&](const auto& p) { return p != config; });
    const std::vector<PointResult> ran =
        run_operating_points(b, replay, points_dir.string(), std::max(1u, std::thread::hardware_concurrency()));
    auto next = ran.begin();
    for (const OperatingPoint& p : points)
      swept.push_back(p == config ? PointResult{p, res->opspilot, ""} : *next++);
    md += "\n## Operating points\n\nopspilot replayed again at each forecast quantile of --quantiles, beside the HPA "
          "and the oracle above; the decisions of each are in " +
          points_dir.string() + ".\n\n" + operating_points_markdown(b, *res, swept);
  }
  if (!write(out / "backtest.md", md) || !write(out / "backtest.html", chart_html(b, *res)) ||
      !write(out / "minutes.csv", minutes_csv(*res))) {
    std::cerr << "opspilot backtest: cannot write the results into " << out << "\n";
    return 1;
  }
  if (o.has("json")) {
    nlohmann::json j = {{"trace", b.trace.source},   {"steps", steps},
                        {"seed", b.seed},            {"opspilot", run_json(res->opspilot)},
                        {"hpa", run_json(res->hpa)}, {"oracle", run_json(res->oracle)},
                        {"decisions", res->decisions}, {"unanswered_approvals", res->unanswered_approvals},
                        {"notes", res->notes},       {"out", out.string()}};
    if (!swept.empty()) {
      nlohmann::json list = nlohmann::json::array();
      for (const PointResult& p : swept) {
        nlohmann::json e = p.run ? run_json(*p.run) : nlohmann::json{{"error", p.error}};
        e["quantile"] = p.point.quantile;
        e["learn_utilization"] = p.point.learn_utilization;
        e["config"] = p.point == config_point(*target);
        list.push_back(std::move(e));
      }
      j["operating_points"] = std::move(list);
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << md << "\nwrote " << (out / "backtest.md").string() << ", " << (out / "backtest.html").string()
              << ", " << (out / "minutes.csv").string() << " and the decisions in " << b.journal_dir
              << " (opspilot decisions --journal " << b.journal_dir << ")\n";
  }
  return 0;
}

void register_backtest_command() { agent::cli::register_command("backtest", &cmd_backtest, kUsage); }

}  // namespace opspilot::backtest
