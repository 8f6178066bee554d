#include "examples/backtest/backtest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "agent/cli/csv_input.h"
#include "agent/format.h"
#include "agent/report/svg_chart.h"
#include "examples/backtest/baselines.h"
#include "examples/backtest/sim_world.h"
#include "examples/sandbox/model.h"

namespace opspilot::backtest {
using agent::fmt;

namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

sandbox::SandboxSpec sandbox_spec(const BacktestOptions& o) {
  sandbox::SandboxSpec s;
  s.seed = o.seed;
  s.start_unix = o.trace.start_unix;
  s.tick_s = 5;
  s.history_s = static_cast<double>(o.trace.rps.size()) * o.trace.step_s + 86400.0;
  s.services.push_back(o.service);
  return s;
}

std::size_t steps_of(const BacktestOptions& o) {
  return o.max_steps > 0 ? std::min(o.max_steps, o.trace.rps.size()) : o.trace.rps.size();
}

/// Where a trace's bad values were: "lines 3, 5, 6" and "…" past the ones listed.
std::string repaired_where(const Trace& t) {
  std::string s = t.repaired_lines.size() == 1 ? "line " : "lines ";
  for (std::size_t i = 0; i < t.repaired_lines.size(); ++i) s += (i ? ", " : "") + std::to_string(t.repaired_lines[i]);
  return s + (t.repaired > t.repaired_lines.size() ? ", ..." : "");
}

/// A minute without requests cannot breach the SLO (its p99 is reported as the cap).
bool violated(const SloSpec& slo, const sandbox::MinuteSample& m) {
  return m.load_rps > 0 && (m.p99_s > slo.latency_s || m.error_ratio > slo.error_ratio);
}

/// Scores a run from the model's per-minute record.
void score(const BacktestOptions& o, const sandbox::ServiceSim& svc, RunResult& r) {
  const auto& samples = svc.history().samples();
  r.minutes.assign(samples.begin(), samples.end());
  double util_sum = 0;
  std::size_t util_n = 0;
  for (const sandbox::MinuteSample& m : r.minutes) {
    if (violated(o.slo, m)) r.slo_violation_minutes += 1;
    r.replica_hours += m.desired / 60.0;
    if (m.ready > 0) {
      util_sum += m.load_rps / (m.ready * o.service.per_replica);
      ++util_n;
    }
  }
  r.mean_utilization = util_n > 0 ? util_sum / static_cast<double>(util_n) : 0;
  r.ran = true;
}

/// A controller (HPA or oracle) driving the model directly every `sync_s`.
template <class Decide>
RunResult run_controller(const BacktestOptions& o, const std::string& name, double sync_s, Decide decide) {
  RunResult r;
  r.name = name;
  const double started = wall_now();
  sandbox::Model model(sandbox_spec(o), o.trace.start_unix, o.seed);
  sandbox::ServiceSim& svc = model.services().front();
  svc.load().replay(o.trace.rps, o.trace.step_s);
  const double end_s = static_cast<double>(steps_of(o)) * o.trace.step_s;
  int asked = svc.desired();
  while (model.elapsed_s() + sync_s <= end_s + 1e-9) {
    model.step(sync_s);
    const double now = model.elapsed_s();
    const sandbox::ServiceStatus st = svc.status(now);
    const int want = decide(now, st);
    if (want != st.desired) {
      svc.scale(want, now);
      if (want != asked) ++r.scaling_actions;
      asked = want;
    }
  }
  score(o, svc, r);
  r.wall_seconds = wall_now() - started;
  return r;
}


}  // namespace

std::optional<Trace> read_trace(const std::string& path, const std::string& value_column, bool per_second,
                                std::string* error) {
  std::string err;
  // The value column defaults to the second one: read the header to find its name.
  std::string column = value_column;
  std::string time_column = "timestamp";
  {
    std::ifstream in(path);
    if (!in) {
      if (error) *error = path + ": cannot read (no such file or not readable)";
      return std::nullopt;
    }
    std::string header;
    if (!std::getline(in, header)) {
      if (error) *error = path + ":1: the file is empty; expected a header line, then timestamp,value rows";
      return std::nullopt;
    }
    if (header.rfind("\xEF\xBB\xBF", 0) == 0) header.erase(0, 3);  // a UTF-8 byte-order mark
    const char delim = header.find(';') != std::string::npos ? ';' : header.find('\t') != std::string::npos ? '\t' : ',';
    std::vector<std::string> fields;
    agent::cli::split_csv_record(header, delim, &fields);
    if (fields.size() < 2) {
      if (error) *error = path + ":1: expected a header with a time column and a value column, got \"" + header + "\"";
      return std::nullopt;
    }
    time_column = fields[0];
    if (column.empty()) column = fields[1];
  }
  auto csv = agent::cli::read_csv_series(path, time_column, {column}, &err);
  if (!csv) {
    if (error) *error = err;
    return std::nullopt;
  }
  if (csv->rows < 2) {
    if (error) *error = path + ": " + std::to_string(csv->rows) + " row(s); a trace needs at least 2";
    return std::nullopt;
  }
  Trace t;
  t.source = path;
  // The step is the most common spacing of consecutive timestamps.
  std::vector<double> diffs;
  for (std::size_t i = 1; i < csv->rows; ++i) diffs.push_back(csv->time[i] - csv->time[i - 1]);
  std::nth_element(diffs.begin(), diffs.begin() + static_cast<std::ptrdiff_t>(diffs.size() / 2), diffs.end());
  t.step_s = diffs[diffs.size() / 2];
  if (!(t.step_s > 0)) {
    if (error) *error = path + ": timestamps do not increase (median spacing " + fmt("%g", t.step_s) + " s)";
    return std::nullopt;
  }
  t.start_unix = static_cast<std::int64_t>(csv->time[0]);
  const std::vector<double>& v = csv->values[0];
  double last = 0;      // the previous row's rate (req/s), for filling gaps
  double last_raw = 0;  // and its value as written, for repairing a bad one
  bool have_last = false;
  for (std::size_t i = 0; i < csv->rows; ++i) {
    if (i > 0) {
      const double gap = csv->time[i] - csv->time[i - 1];
      if (gap <= 0) {
        if (error) *error = path + ":" + std::to_string(csv->lines[i]) + ": timestamp " + csv->time_text[i] +
                            " is not after the previous one (" + csv->time_text[i - 1] + ")";
        return std::nullopt;
      }
      for (double missing = std::round(gap / t.step_s) - 1; missing > 0; --missing) {
        t.rps.push_back(last);
        ++t.gaps;
      }
    }
    double x = v[i];
    if (!std::isfinite(x) || x < 0) {
      if (++t.repaired <= Trace::kRepairedListed) t.repaired_lines.push_back(csv->lines[i]);
      x = have_last ? last_raw : 0;
    }
    const double rate = per_second ? x : x / t.step_s;
    t.rps.push_back(rate);
    last = rate;
    last_raw = x;
    have_last = true;
  }
  return t;
}

sandbox::ServiceSpec service_for_target(const agent::TargetSpec& t) {
  sandbox::ServiceSpec s;
  s.name = t.name;
  s.per_replica = t.capacity.per_replica > 0 ? t.capacity.per_replica : 50;
  s.readiness_delay_s = agent::to_seconds(t.readiness_delay);
  s.initial_replicas = std::max(1, t.limits.min_replicas);
  s.max_replicas = std::max(t.limits.max_replicas, 1);
  return s;
}

namespace {
/// The oracle's sizing for the replayed target: the model's per-replica capacity at
/// `utilisation`, provisioning one readiness delay and one sync ahead, within the target's limits.
OracleSpec oracle_spec(const BacktestOptions& o, const agent::TargetSpec& t, double sync_s, double utilisation) {
  OracleSpec os;
  os.per_replica = o.service.per_replica;
  os.target_utilization = utilisation;
  os.lead_s = o.service.readiness_delay_s + sync_s;
  os.min_replicas = t.limits.min_replicas;
  os.max_replicas = t.limits.max_replicas;
  return os;
}
}  // namespace

const agent::TargetSpec* replayed_target(const BacktestOptions& o, std::string* error) {
  for (const auto& t : o.config.targets)
    if (o.target.empty() || t.name == o.target) {
      if (o.trace.rps.empty()) {
        if (error) *error = "the trace is empty";
        return nullptr;
      }
      return &t;
    }
  if (error) *error = o.target.empty() ? "the config has no target" : "the config has no target named \"" + o.target + "\"";
  return nullptr;
}

std::optional<RunResult> run_trend_oracle(const BacktestOptions& o, double utilisation, double noise_k,
                                          std::string* error) {
  const agent::TargetSpec* spec = replayed_target(o, error);
  if (!spec) return std::nullopt;
  const double sync_s = agent::to_seconds(o.config.interval);
  TrendOracleSpec ts;
  ts.sizing = oracle_spec(o, *spec, sync_s, utilisation);
  ts.noise_k = noise_k;
  const TrendOracle oracle(ts, o.trace.rps, o.trace.step_s);
  return run_controller(o, "trend oracle", sync_s,
                        [&](double now, const sandbox::ServiceStatus&) { return oracle.desired(now); });
}

std::optional<BacktestResult> run_backtest(const BacktestOptions& o, std::string* error) {
  const agent::TargetSpec* spec = replayed_target(o, error);
  if (!spec) return std::nullopt;
  BacktestResult res;
  const double sync_s = agent::to_seconds(o.config.interval);
  const std::size_t steps = steps_of(o);

  if (o.run_opspilot) {
    RunResult& r = res.opspilot;
    r.name = "opspilot";
    const double started = wall_now();
    WorldOptions w;
    w.config = o.config;
    w.config.mode = agent::Mode::Active;
    w.config.journal.path = o.journal_dir;
    w.config.journal.fsync = false;
    w.config.timeline_path.clear();
    agent::TargetSpec t = *spec;
    t.scrape_url = "sandbox:/services/" + o.service.name + "/metrics";
    w.config.targets = {t};
    w.sandbox = sandbox_spec(o);
    w.start_unix = o.trace.start_unix;
    w.seed = o.seed;
    w.policies = o.policies;
    int asked = o.service.initial_replicas;
    std::set<std::string> ids;
    std::map<std::string, std::string> approvals;  // decision id -> its approval request's latest status
    w.on_decision = [&](const agent::Decision& d) {
      ++res.records;
      if (ids.insert(d.id).second) ++res.decisions;
      if (d.approval.asked()) approvals[d.id] = d.approval.status;
      if (d.state == agent::DecisionState::Acting) ++res.actions;
      if (d.action == "scale" && d.state == agent::DecisionState::Applied && d.desired_replicas != asked) {
        ++r.scaling_actions;
        asked = d.desired_replicas;
      }
    };
    std::string err;
    auto world = SimWorld::create(std::move(w), &err);
    if (!world) {
      if (error) *error = err;
      return std::nullopt;
    }
    world->sandbox().with_model([&](sandbox::Model& m) {
      m.services().front().load().replay(o.trace.rps, o.trace.step_s);
      return 0;
    });
    const auto end = agent::from_unix_seconds(static_cast<double>(o.trace.start_unix) +
                                              static_cast<double>(steps) * o.trace.step_s);
    world->run_until(end);
    // A backtest has no approver: every request expires (or is still open at the end).
    for (const auto& [id, status] : approvals) {
      ++res.approval_requests;
      if (status == "pending" || status == "expired") ++res.unanswered_approvals;
    }
    world->sandbox().with_model([&](sandbox::Model& m) {
      score(o, m.services().front(), r);
      return 0;
    });
    r.wall_seconds = wall_now() - started;
  }

  if (o.run_hpa) {
    HpaSpec h;
    h.target_utilization = spec->capacity.target_utilization;
    h.sync_s = sync_s;
    h.min_replicas = spec->limits.min_replicas;
    h.max_replicas = spec->limits.max_replicas;
    HpaController hpa(h);
    res.hpa = run_controller(o, "hpa", sync_s, [&](double now, const sandbox::ServiceStatus& st) {
      return hpa.sync(now, st.desired, st.ready, st.cpu);
    });
  }
  if (o.run_oracle) {
    Oracle oracle(oracle_spec(o, *spec, sync_s, spec->capacity.target_utilization), o.trace.rps, o.trace.step_s);
    res.oracle = run_controller(o, "oracle", sync_s,
                                [&](double now, const sandbox::ServiceStatus&) { return oracle.desired(now); });
  }
  if (o.target.empty() && o.config.targets.size() > 1)
    res.notes.push_back("target " + spec->name + ", the first of " + std::to_string(o.config.targets.size()) +
                        " in the config; --target chooses another");
  // The peak of the steps replayed, not of the whole file: a --duration window has its own.
  const double peak =
      *std::max_element(o.trace.rps.begin(), o.trace.rps.begin() + static_cast<std::ptrdiff_t>(steps));
  res.notes.push_back("trace " + o.trace.source + ": " + std::to_string(steps) + " steps of " +
                      fmt("%g", o.trace.step_s) + " s, peak " + fmt("%.1f", peak) + " req/s" +
                      (o.trace.gaps ? ", " + std::to_string(o.trace.gaps) + " missing steps filled" : "") +
                      (o.trace.repaired ? ", " + std::to_string(o.trace.repaired) + " bad values repaired (" +
                                              repaired_where(o.trace) + ")"
                                        : ""));
  res.notes.push_back("service model: " + fmt("%g", o.service.per_replica) + " req/s per replica, " +
                      std::to_string(o.service.workers) + " workers each, readiness " +
                      fmt("%g", o.service.readiness_delay_s) + " s, start at " +
                      std::to_string(o.service.initial_replicas) + " replicas");
  if (spec->capacity.learn_utilization && spec->slo.latency_seconds > 0 && spec->signals.count("latency"))
    res.notes.push_back("opspilot: target utilisation learned from the p99 latency it scrapes against slo.latency (" +
                        fmt("%.0f%%", spec->capacity.target_utilization * 100) + " until there is evidence, at most " +
                        fmt("%.0f%%", spec->capacity.max_utilization * 100) + "); the HPA and the oracle plan at " +
                        fmt("%.0f%%", spec->capacity.target_utilization * 100));
  res.notes.push_back("hpa: CPU utilisation as metrics-server reports it, capped at 100% of the request (an "
                      "overloaded pod cannot show more), so one sync grows the count by at most 1/" +
                      fmt("%.2f", spec->capacity.target_utilization) + " under overload");
  res.notes.push_back("SLO: a minute is violated when p99 latency > " + fmt("%g", o.slo.latency_s) +
                      " s or more than " + fmt("%g", o.slo.error_ratio * 100) + "% of requests fail");
  if (res.unanswered_approvals > 0)
    res.notes.push_back("opspilot: " + std::to_string(res.unanswered_approvals) + " of " +
                        std::to_string(res.approval_requests) +
                        " approval requests went unanswered (a backtest has no approver); each was settled by the "
                        "policy's on_expiry (deny: not acted on), so opspilot's numbers here are of what it may do "
                        "without a human, not of what it proposed");
  return res;
}

std::string summary_markdown(const BacktestOptions& o, const BacktestResult& r) {
  std::ostringstream s;
  s << "| policy | SLO-violation minutes | replica-hours | scaling actions | mean utilisation | replay time |\n"
    << "|---|---:|---:|---:|---:|---:|\n";
  for (const RunResult* run : {&r.opspilot, &r.hpa, &r.oracle}) {
    if (!run->ran) continue;
    s << "| " << run->name << " | " << fmt("%.0f", run->slo_violation_minutes) << " | "
      << fmt("%.1f", run->replica_hours) << " | " << run->scaling_actions << " | "
      << fmt("%.1f%%", run->mean_utilization * 100) << " | " << fmt("%.2f s", run->wall_seconds) << " |\n";
  }
  if (r.opspilot.ran && r.hpa.ran) {
    s << "\nopspilot vs HPA: ";
    if (r.hpa.slo_violation_minutes > 0)
      s << "SLO-violation minutes "
        << fmt("%.0f%%", 100 * r.opspilot.slo_violation_minutes / r.hpa.slo_violation_minutes) << " of the HPA's";
    else if (r.opspilot.slo_violation_minutes > 0)
      s << "SLO-violation minutes: " << fmt("%.0f", r.opspilot.slo_violation_minutes) << " (the HPA had none)";
    else
      s << "no SLO-violation minutes, as for the HPA";
    // Signed, as in the operating-points table: + is more replica-hours than the reference.
    if (r.hpa.replica_hours > 0)
      s << ", replica-hours " << fmt("%+.1f%%", 100 * (r.opspilot.replica_hours / r.hpa.replica_hours - 1))
        << " vs the HPA";
    if (r.oracle.ran && r.oracle.replica_hours > 0)
      s << ", " << fmt("%+.1f%%", 100 * (r.opspilot.replica_hours / r.oracle.replica_hours - 1)) << " vs the oracle";
    s << ".\n";
  }
  s << "\n";
  for (const auto& n : r.notes) s << "- " << n << "\n";
  if (r.opspilot.ran)
    s << "- opspilot: " << r.decisions << " decisions (" << r.records << " journal records) in " << o.journal_dir
      << ", " << r.actions << " acted on\n";
  return s.str();
}

std::string minutes_csv(const BacktestResult& r) {
  std::ostringstream s;
  s << "unix_seconds,load_rps";
  const RunResult* runs[] = {&r.opspilot, &r.hpa, &r.oracle};
  for (const RunResult* run : runs)
    if (run->ran) s << "," << run->name << "_desired," << run->name << "_ready," << run->name << "_p99_s," << run->name << "_error_ratio";
  s << "\n";
  const RunResult* first = nullptr;
  std::size_t n = 0;
  for (const RunResult* run : runs) {
    if (!run->ran) continue;
    n = first ? std::min(n, run->minutes.size()) : run->minutes.size();
    if (!first) first = run;
  }
  for (std::size_t i = 0; first && i < n; ++i) {
    s << first->minutes[i].unix_s << "," << fmt("%.3f", first->minutes[i].load_rps);
    for (const RunResult* run : runs)
      if (run->ran) {
        const auto& m = run->minutes[i];
        s << "," << m.desired << "," << m.ready << "," << fmt("%.4f", m.p99_s) << "," << fmt("%.5f", m.error_ratio);
      }
    s << "\n";
  }
  return s.str();
}

std::string chart_html(const BacktestOptions& o, const BacktestResult& r) {
  // At most ~1,500 points per line: each bucket keeps its largest value, so peaks survive.
  const RunResult* base = r.opspilot.ran ? &r.opspilot : r.hpa.ran ? &r.hpa : &r.oracle;
  const std::size_t n = base->minutes.size();
  const std::size_t bucket = std::max<std::size_t>(1, (n + 1499) / 1500);
  auto line = [&](const RunResult& run, const std::string& color, bool load) {
    agent::ChartSeries s;
    s.name = load ? "load (req/s)" : run.name + " replicas";
    s.color = color;
    s.step = !load;
    s.right_axis = !load;
    for (std::size_t i = 0; i < run.minutes.size(); i += bucket) {
      double y = 0;
      for (std::size_t j = i; j < std::min(i + bucket, run.minutes.size()); ++j)
        y = std::max(y, load ? run.minutes[j].load_rps : static_cast<double>(run.minutes[j].desired));
      s.x.push_back(static_cast<double>(run.minutes[i].unix_s));
      s.y.push_back(y);
    }
    return s;
  };
  agent::Chart c;
  c.title = "Backtest of " + o.trace.source;
  c.left_label = "req/s";
  c.right_label = "replicas";
  c.series.push_back(line(*base, "#bbbbbb", true));
  if (r.hpa.ran) c.series.push_back(line(r.hpa, "#d62728", false));
  if (r.oracle.ran) c.series.push_back(line(r.oracle, "#2ca02c", false));
  if (r.opspilot.ran) c.series.push_back(line(r.opspilot, "#1f77b4", false));
  // SLO-violation minutes of opspilot as markers.
  if (r.opspilot.ran)
    for (const auto& m : r.opspilot.minutes)
      if (violated(o.slo, m))
        c.markers.push_back({static_cast<double>(m.unix_s), "#ff7f0e", "opspilot SLO violation"});
  std::string table = summary_markdown(o, r);
  return "<!doctype html><meta charset=\"utf-8\"><title>opspilot backtest</title>"
         "<body style=\"font-family:sans-serif;max-width:1000px;margin:auto\"><h1>opspilot backtest</h1><pre>" +
         agent::html_escape(table) + "</pre>" + agent::render_svg(c) + "</body>";
}

}  // namespace opspilot::backtest
