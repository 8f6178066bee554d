#include "agent/cli/commands.h"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "actuators/actuator.h"
#include "agent/agent.h"
#include "agent/config/diagnostics.h"
#include "agent/config/duration.h"
#include "agent/config/loader.h"
#include "agent/journal/journal.h"
#include "agent/report/report.h"
#include "agent/source/promql_subset.h"
#include "policies/loader.h"

namespace opspilot::agent::cli {
namespace {

int usage_error(const std::string& cmd, const std::string& msg) {
  std::cerr << "opspilot " << cmd << ": " << msg << "\nrun `opspilot help` for usage\n";
  return 2;
}

/// Loads and checks the config, printing every problem; nullopt when it has errors.
std::optional<Config> load_checked(const std::string& path) {
  LoadResult r = load_config_file(path);
  const std::string report = r.report();
  if (!report.empty()) std::cerr << report;
  if (!r.ok()) return std::nullopt;
  return r.config;
}

std::string clock_text(TimePoint t) {
  const std::time_t s = static_cast<std::time_t>(to_unix_seconds(t));
  std::tm tm{};
  gmtime_r(&s, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%a %H:%M:%S", &tm);
  return b;
}

/// The journal directory from --journal, or from the config given with -c.
std::unique_ptr<Journal> open_journal_for_reading(const Options& o, const std::string& cmd) {
  std::string dir = o.get("journal");
  if (dir.empty() && o.has("config")) {
    auto cfg = load_checked(o.get("config"));
    if (!cfg) return nullptr;
    dir = cfg->journal.path;
  }
  if (dir.empty()) {
    usage_error(cmd, "say which journal: --journal DIR or -c CONFIG");
    return nullptr;
  }
  std::string err;
  auto j = Journal::open_read_only(dir, &err);
  if (!j) std::cerr << "opspilot " << cmd << ": " << err << "\n";
  return j;
}

}  // namespace

namespace {

/// The policies `config` refers to, checked against its targets (so a selector that matches none
/// of them is a warning); nullopt when it refers to none.
std::optional<policies::LoadResult> load_referenced_policies(const Config& config) {
  if (config.policies.paths.empty()) return std::nullopt;
  policies::LoadOptions options;
  for (const TargetSpec& t : config.targets)
    options.known_targets.push_back(policies::KnownTarget{t.namespace_, t.name, t.labels, t.environment});
  return policies::load_policy_paths(config.policies.paths, options);
}

std::string count_of(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

int cmd_validate(const Args& args) {
  const Options o = parse_options(args, {"config"}, {"json"});
  if (!o.error.empty()) return usage_error("validate", o.error);
  std::string path = o.get("config");
  if (path.empty() && !o.positional.empty()) path = o.positional.front();
  if (path.empty()) return usage_error("validate", "say which file: -c FILE");
  const LoadResult r = load_config_file(path);
  // Policies are checked only against a config without errors: a broken config may name the
  // wrong paths, and its targets are what the policies' selectors are checked against.
  const std::optional<policies::LoadResult> p = r.ok() ? load_referenced_policies(r.config) : std::nullopt;
  // The backend checks its own settings (unknown keys, credentials it can find) as `run` would.
  std::string actuator_error;
  if (r.ok()) {
    actuators::register_builtin_actuators();
    if (!actuators::ActuatorRegistry::instance().create(r.config.actuator.type, r.config.actuator.settings,
                                                        &actuator_error))
      actuator_error = actuator_error.empty() ? "cannot be created" : actuator_error;
  }
  const bool ok = r.ok() && (!p || p->ok()) && actuator_error.empty();
  if (o.has("json")) {
    nlohmann::json j{{"file", path}, {"ok", ok}, {"diagnostics", diagnostics_to_json(r.diagnostics)}};
    if (p) {
      nlohmann::json pj = policies::diagnostics_to_json(p->diagnostics);
      pj["files"] = p->files;
      pj["policies"] = p->documents;
      pj["rules"] = p->rules;
      j["policies"] = std::move(pj);
    }
    if (r.ok()) j["actuator"] = {{"type", r.config.actuator.type}, {"ok", actuator_error.empty()}, {"error", actuator_error}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << r.report();
    if (p) std::cout << p->report();
    if (!actuator_error.empty()) std::cout << path << ": error: " << actuator_error << "\n";
    if (r.ok() && actuator_error.empty())
      std::cout << path << ": ok (" << count_of(r.config.targets.size(), "target", "targets") << ", "
                << (r.config.controller_mode() ? "controller mode" : "sidecar mode") << ", "
                << (r.config.mode == Mode::Active ? "active" : "dry-run") << ")\n";
    else
      std::cout << path << ": " << r.error_count() + (actuator_error.empty() ? 0 : 1) << " error(s)\n";
    if (p && p->ok())
      std::cout << "policies: ok (" << count_of(p->files.size(), "file", "files") << ", "
                << count_of(p->documents, "policy", "policies") << ", " << count_of(p->rules, "rule", "rules")
                << ")\n";
    else if (p)
      std::cout << "policies: " << count_of(p->error_count(), "error", "errors") << " in "
                << count_of(p->files.size(), "file", "files") << " read\n";
  }
  return ok ? 0 : 1;
}

int cmd_run(const Args& args) {
  const Options o = parse_options(args, {"config"}, {"dry-run", "quiet"});
  if (!o.error.empty()) return usage_error("run", o.error);
  if (!o.has("config")) return usage_error("run", "say which config: -c FILE");
  AgentOptions opts;
  if (!o.has("quiet")) {
    opts.on_decision = [](const Decision& d) {
      std::printf("%s  %-10s %-9s %-16s %3d -> %-3d %s\n", clock_text(d.created).c_str(),
                  d.target.c_str(), d.action.c_str(), to_string(d.state), d.current_replicas,
                  d.desired_replicas, d.id.c_str());
      if (d.action != "hold" || d.state != DecisionState::Held)
        std::printf("           %s\n", d.reason.c_str());
      if (!d.outcome.empty()) std::printf("           outcome: %s\n", d.outcome.c_str());
      if (!d.error.empty()) std::printf("           error: %s\n", d.error.c_str());
      std::fflush(stdout);
    };
  }
  // A changed configuration file that loads ends run() with restart_requested(): the next agent
  // starts on it in this process (journal reopened, lease released and taken again).
  for (;;) {
    auto cfg = load_checked(o.get("config"));
    if (!cfg) return 1;
    if (o.has("dry-run")) cfg->mode = Mode::DryRun;
    Agent agent(*cfg, opts);
    std::string err;
    if (!agent.init(&err)) {
      std::cerr << "opspilot run: " << err << "\n";
      return 1;
    }
    std::cerr << "opspilot: " << cfg->targets.size() << " target(s), "
              << (cfg->mode == Mode::Active ? "active" : "dry-run") << ", every "
              << format_duration(cfg->interval)
              << (cfg->clock.speed != 1.0 ? " (clock x" + std::to_string(cfg->clock.speed) + ")" : "") << "\n";
    const int code = agent.run();
    if (code != 0 || !agent.restart_requested()) return code;
  }
}

int cmd_plan(const Args& args) {
  const Options o = parse_options(args, {"config", "warmup"}, {"json"});
  if (!o.error.empty()) return usage_error("plan", o.error);
  if (!o.has("config")) return usage_error("plan", "say which config: -c FILE");
  auto cfg = load_checked(o.get("config"));
  if (!cfg) return 1;
  cfg->mode = Mode::DryRun;
  cfg->timeline_path.clear();
  // A plan never writes to the agent's journal: it journals into a scratch directory.
  const auto scratch = std::filesystem::temp_directory_path() /
                       ("opspilot-plan-" + std::to_string(::getpid()));
  cfg->journal.path = scratch.string();
  cfg->journal.fsync = false;
  cfg->journal.record_every_tick = true;
  // Rates need scrapes across most of their window (ScrapeSource's warm-up): two scrapes half
  // the longest such window apart make every rate honest; 5 s when there is none (irate, gauges).
  Duration warmup = std::chrono::seconds(5);
  for (const TargetSpec& t : cfg->targets)
    for (const auto& [role, signal] : t.signals)
      if (const auto q = promql::Query::parse(signal.query, nullptr))
        for (const promql::MetricUse& u : q->extrapolated()) warmup = std::max(warmup, u.window / 2);
  if (o.has("warmup")) {
    std::string e;
    auto d = parse_duration(o.get("warmup"), &e);
    if (!d) return usage_error("plan", "--warmup: " + e);
    warmup = *d;
  }
  AgentOptions opts;
  opts.serve_http = false;
  Agent agent(*cfg, opts);
  std::string err;
  if (!agent.init(&err)) {
    std::filesystem::remove_all(scratch);
    std::cerr << "opspilot plan: " << err << "\n";
    return 1;
  }
  // Rates need two samples: in sidecar mode observe once, wait `warmup` on the config's clock
  // (simulated time when clock.speed is set), then plan.
  if (!cfg->controller_mode() && warmup.count() > 0) {
    agent.tick_all();
    std::this_thread::sleep_for(agent.clock().real_delay(warmup));
  }
  const auto decisions = agent.tick_all();
  std::filesystem::remove_all(scratch);
  if (o.has("json")) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : decisions) arr.push_back(to_json(d));
    std::cout << nlohmann::json{{"plan", arr}}.dump(2) << "\n";
  } else {
    std::cout << "Plan (dry-run, one tick, " << decisions.size() << " target(s)):\n\n";
    for (const auto& d : decisions) std::cout << explain(d) << "\n";
  }
  return 0;
}

int cmd_decisions(const Args& args) {
  const Options o = parse_options(args, {"config", "journal", "target", "limit"}, {"json", "all"});
  if (!o.error.empty()) return usage_error("decisions", o.error);
  std::size_t limit = 50;
  if (o.has("limit")) {
    // Digits only: stoul would take "-3" as a huge number and "5x" as 5.
    const std::string text = o.get("limit");
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) v = std::stoull(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || v == 0)
      return usage_error("decisions", "--limit is how many decisions to list and must be a whole number of at least 1, "
                                      "got \"" + text + "\"");
    limit = static_cast<std::size_t>(v);
  }
  auto j = open_journal_for_reading(o, "decisions");
  if (!j) return 1;
  std::vector<Decision> list;
  if (o.has("all")) {
    list = j->list(o.get("target"), limit);
  } else {
    // Holds are noise in a listing unless asked for. The limit counts what is listed, so the
    // holds are dropped before it applies: read all, newest first, and keep the first `limit`.
    for (auto& d : j->list(o.get("target"), 0)) {
      if (list.size() == limit) break;
      if (d.state != DecisionState::Held) list.push_back(std::move(d));
    }
  }
  if (o.has("json")) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : list) arr.push_back(to_json(d));
    std::cout << nlohmann::json{{"decisions", arr}}.dump(2) << "\n";
    return 0;
  }
  if (list.empty()) {
    std::cout << "no decisions" << (o.has("all") ? "" : " (other than holds; --all lists them too)") << "\n";
    return 0;
  }
  for (const auto& d : list)
    std::cout << d.id << "  " << clock_text(d.created) << "  " << summarize(d) << "\n";
  return 0;
}

int cmd_explain(const Args& args) {
  const Options o = parse_options(args, {"config", "journal"}, {"json"});
  if (!o.error.empty()) return usage_error("explain", o.error);
  if (o.positional.size() != 1) return usage_error("explain", "say which decision: opspilot explain ID");
  auto j = open_journal_for_reading(o, "explain");
  if (!j) return 1;
  auto d = j->get(o.positional.front());
  if (!d) {
    std::cerr << "opspilot explain: no decision \"" << o.positional.front() << "\" in " << j->dir() << "\n";
    return 1;
  }
  if (o.has("json")) std::cout << to_json(*d).dump(2) << "\n";
  else std::cout << explain(*d);
  return 0;
}

int cmd_report(const Args& args) {
  const Options o = parse_options(args, {"config", "journal", "timeline", "out", "html", "title",
                                         "latency-slo", "error-slo"}, {});
  if (!o.error.empty()) return usage_error("report", o.error);
  std::string timeline = o.get("timeline");
  if (timeline.empty() && o.has("config")) {
    if (auto cfg = load_checked(o.get("config"))) timeline = cfg->timeline_path;
  }
  if (timeline.empty()) return usage_error("report", "say which timeline: --timeline FILE or -c CONFIG");
  auto j = open_journal_for_reading(o, "report");
  if (!j) return 1;
  std::ifstream in(timeline);
  if (!in) {
    std::cerr << "opspilot report: cannot read timeline \"" << timeline << "\"\n";
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  ReportInput ri;
  ri.timeline_csv = ss.str();
  ri.decisions = j->list("", 0);
  if (o.has("title")) ri.title = o.get("title");
  try {
    if (o.has("latency-slo")) ri.latency_slo_seconds = std::stod(o.get("latency-slo"));
    if (o.has("error-slo")) ri.error_slo_ratio = std::stod(o.get("error-slo"));
  } catch (const std::exception&) {
    return usage_error("report", "--latency-slo and --error-slo take numbers");
  }
  ReportOutput out;
  std::string err;
  if (!build_report(ri, &out, &err)) {
    std::cerr << "opspilot report: " << err << "\n";
    return 1;
  }
  const std::string md = o.get("out", "report.md");
  std::ofstream(md) << out.markdown;
  std::cout << "wrote " << md << "\n";
  if (o.has("html")) {
    std::ofstream(o.get("html")) << out.html;
    std::cout << "wrote " << o.get("html") << "\n";
  }
  return 0;
}

}  // namespace opspilot::agent::cli
