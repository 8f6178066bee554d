#include "agent/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>

#include "agent/format.h"
#include "agent/loop/timeline.h"
#include "agent/report/svg_chart.h"

namespace opspilot::agent {
namespace {

struct Row {
  double t, load, mean, lower, upper, horizon;
  int replicas;
  double ready;
  int desired;
  std::string action, state, id;
  double latency, errors;
};

double to_d(const std::string& s) {
  if (s.empty()) return std::nan("");
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return (end && *end == '\0') ? v : std::nan("");
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string utc(double unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%a %Y-%m-%d %H:%M", &tm);
  return b;
}

struct TargetSummary {
  std::string name;
  std::vector<Row> rows;
  double load_mean = 0, load_peak = 0, replica_hours = 0, slo_minutes = 0, hours = 0;
  int min_replicas = 0, max_replicas = 0;
  int forecasts = 0, covered = 0;
  double abs_pct_err_sum = 0;
  double abs_err_sum = 0, naive_abs_err_sum = 0;  // MASE against carrying the load forward
  std::string mase() const {
    return naive_abs_err_sum > 0 ? fmt("%.2f", abs_err_sum / naive_abs_err_sum) : std::string("n/a");
  }
};

void summarize(TargetSummary& s, const ReportInput& in) {
  auto& r = s.rows;
  std::sort(r.begin(), r.end(), [](const Row& a, const Row& b) { return a.t < b.t; });
  double n = 0;
  s.min_replicas = r.empty() ? 0 : r.front().replicas;
  for (size_t i = 0; i < r.size(); ++i) {
    if (std::isfinite(r[i].load)) {
      s.load_mean += r[i].load;
      s.load_peak = std::max(s.load_peak, r[i].load);
      n += 1;
    }
    s.min_replicas = std::min(s.min_replicas, r[i].replicas);
    s.max_replicas = std::max(s.max_replicas, r[i].replicas);
    if (i + 1 < r.size()) {
      const double dt = r[i + 1].t - r[i].t;
      if (dt > 0 && dt < 3600) {
        s.replica_hours += r[i].replicas * dt / 3600;
        s.hours += dt / 3600;
        const bool bad = (std::isfinite(r[i].latency) && r[i].latency > in.latency_slo_seconds) ||
                         (std::isfinite(r[i].errors) && r[i].load > 0 && r[i].errors / r[i].load > in.error_slo_ratio);
        if (bad) s.slo_minutes += dt / 60;
      }
    }
    // Score the forecast made here against the load observed when it came due.
    if (std::isfinite(r[i].mean) && std::isfinite(r[i].horizon)) {
      const double due = r[i].t + r[i].horizon;
      auto it = std::lower_bound(r.begin(), r.end(), due, [](const Row& a, double t) { return a.t < t; });
      if (it != r.end() && it->t - due < 120 && std::isfinite(it->load)) {
        ++s.forecasts;
        if (it->load >= r[i].lower && it->load <= r[i].upper) ++s.covered;
        s.abs_pct_err_sum += std::abs(it->load - r[i].mean) / std::max(std::abs(it->load), 1e-9);
        if (std::isfinite(r[i].load)) {
          s.abs_err_sum += std::abs(it->load - r[i].mean);
          s.naive_abs_err_sum += std::abs(it->load - r[i].load);
        }
      }
    }
  }
  if (n > 0) s.load_mean /= n;
}

Chart load_chart(const TargetSummary& s) {
  Chart c;
  c.title = s.name + ": load and forecast";
  c.left_label = "load";
  ChartSeries load{"observed load", "#1f77b4", {}, {}, false, false, 1.5};
  ChartBand band{"95% forecast interval (at the time it forecasts)", "#ff7f0e", {}, {}, {}};
  ChartSeries mean{"forecast mean", "#ff7f0e", {}, {}, false, false, 1};
  for (const auto& r : s.rows) {
    load.x.push_back(r.t);
    load.y.push_back(r.load);
    if (std::isfinite(r.mean)) {
      band.x.push_back(r.t + r.horizon);
      band.lower.push_back(r.lower);
      band.upper.push_back(r.upper);
      mean.x.push_back(r.t + r.horizon);
      mean.y.push_back(r.mean);
    }
  }
  c.bands.push_back(std::move(band));
  c.series.push_back(std::move(load));
  c.series.push_back(std::move(mean));
  return c;
}

Chart replica_chart(const TargetSummary& s, const std::vector<const Decision*>& actions) {
  Chart c;
  c.title = s.name + ": replicas, latency and decisions";
  c.left_label = "replicas";
  c.right_label = "p99 latency (s)";
  ChartSeries cur{"replicas", "#222", {}, {}, true, false, 2};
  ChartSeries ready{"ready", "#2ca02c", {}, {}, true, false, 1.5};
  ChartSeries lat{"p99 latency", "#d62728", {}, {}, false, true, 1};
  for (const auto& r : s.rows) {
    cur.x.push_back(r.t);
    cur.y.push_back(r.replicas);
    ready.x.push_back(r.t);
    ready.y.push_back(r.ready);
    lat.x.push_back(r.t);
    lat.y.push_back(r.latency);
  }
  c.series.push_back(std::move(lat));
  c.series.push_back(std::move(ready));
  c.series.push_back(std::move(cur));
  for (const Decision* d : actions) {
    const bool up = d->desired_replicas > d->current_replicas;
    c.markers.push_back({to_unix_seconds(d->created), up ? "#9467bd" : "#8c564b", summarize(*d)});
  }
  return c;
}

}  // namespace

bool build_report(const ReportInput& in, ReportOutput* out, std::string* error) {
  std::map<std::string, TargetSummary> targets;
  std::istringstream is(in.timeline_csv);
  std::string line;
  int lineno = 0;
  while (std::getline(is, line)) {
    ++lineno;
    if (line.empty()) continue;
    if (lineno == 1) {
      if (line.rfind("time,target,", 0) != 0) {
        if (error) *error = "timeline line 1: expected the header \"" + std::string(Timeline::kHeader) + "\"";
        return false;
      }
      continue;
    }
    const auto f = split(line);
    if (f.size() < 15) {
      if (error) *error = "timeline line " + std::to_string(lineno) + ": expected 15 fields, got " + std::to_string(f.size());
      return false;
    }
    Row r{to_d(f[0]), to_d(f[2]), to_d(f[3]), to_d(f[4]), to_d(f[5]), to_d(f[6]),
          static_cast<int>(to_d(f[7])), to_d(f[8]), static_cast<int>(to_d(f[9])), f[10], f[11], f[12],
          to_d(f[13]), to_d(f[14])};
    auto& t = targets[f[1]];
    t.name = f[1];
    t.rows.push_back(std::move(r));
  }
  for (auto& [n, t] : targets) summarize(t, in);

  std::map<std::string, std::vector<const Decision*>> actions;
  std::map<std::string, int> counts;
  std::vector<const Decision*> sorted;
  for (const auto& d : in.decisions) sorted.push_back(&d);
  std::sort(sorted.begin(), sorted.end(), [](const Decision* a, const Decision* b) { return a->created < b->created; });
  for (const Decision* d : sorted) {
    ++counts[d->action + " / " + to_string(d->state)];
    if (d->action != "hold") actions[d->target].push_back(d);
  }

  std::ostringstream md;
  md << "# " << in.title << "\n\n";
  if (!targets.empty() && !targets.begin()->second.rows.empty())
    md << "Simulated time " << utc(targets.begin()->second.rows.front().t) << " to "
       << utc(targets.begin()->second.rows.back().t) << " UTC.\n\n";
  md << "## Targets\n\n| target | hours | mean load | peak load | replicas (min–max) | replica-hours | "
        "SLO-violation minutes | forecasts scored | interval coverage | forecast MAPE | forecast MASE |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& [n, t] : targets) {
    md << "| " << n << " | " << fmt("%.1f", t.hours) << " | " << fmt("%.1f", t.load_mean) << " | "
       << fmt("%.1f", t.load_peak) << " | " << t.min_replicas << "–" << t.max_replicas << " | "
       << fmt("%.1f", t.replica_hours) << " | " << fmt("%.0f", t.slo_minutes) << " | " << t.forecasts
       << " | "
       << (t.forecasts ? fmt("%.1f%%", 100.0 * t.covered / t.forecasts) : std::string("n/a")) << " | "
       << (t.forecasts ? fmt("%.1f%%", 100.0 * t.abs_pct_err_sum / t.forecasts) : std::string("n/a"))
       << " | " << t.mase() << " |\n";
  }
  md << "\nSLO: p99 latency ≤ " << fmt("%.3g", in.latency_slo_seconds) << " s and error ratio ≤ "
     << fmt("%.3g", in.error_slo_ratio) << ". Interval coverage: share of observed loads inside the "
     << "95% interval forecast one horizon earlier (out of sample). Forecast MASE: mean absolute error "
     << "over that of carrying the load seen at forecast time forward (below 1 beats it).\n\n"
     << "## Decisions by kind and state\n\n"
        "| action / state | count |\n|---|---|\n";
  for (const auto& [k, v] : counts) md << "| " << k << " | " << v << " |\n";
  md << "\n## Actions\n\n";
  for (const auto& [target, list] : actions) {
    md << "### " << target << "\n\n| time (UTC) | id | change | state | why |\n|---|---|---|---|---|\n";
    for (const Decision* d : list) {
      std::string why = d->reason;
      if (why.size() > 220) why = why.substr(0, 220) + "…";
      md << "| " << utc(to_unix_seconds(d->created)) << " | " << d->id << " | " << d->action << " "
         << d->current_replicas << " → " << d->desired_replicas << " | " << to_string(d->state)
         << (d->outcome.empty() ? "" : " (" + d->outcome.substr(0, 80) + ")") << " | " << why << " |\n";
    }
    md << "\n";
  }
  out->markdown = md.str();

  std::ostringstream h;
  const auto e = [](const std::string& t) { return html_escape(t); };
  h << "<!doctype html><html><head><meta charset=\"utf-8\"><title>" << e(in.title)
    << "</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
       "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px}"
       "th{background:#f4f4f4}.chart{margin:1em 0}</style></head><body>";
  h << "<h1>" << e(in.title) << "</h1>";
  h << "<p>Every chart is drawn from the agent's own timeline and journal. Dashed lines are actions "
       "(hover for the decision).</p>";
  for (const auto& [n, t] : targets) {
    h << "<h2>" << e(n) << "</h2>";
    h << "<div class=\"chart\">" << render_svg(load_chart(t)) << "</div>";
    h << "<div class=\"chart\">" << render_svg(replica_chart(t, actions[n])) << "</div>";
  }
  // The Markdown tables again, as HTML.
  h << "<h2>Summary</h2><table><tr><th>target</th><th>mean load</th><th>peak load</th><th>replicas</th>"
       "<th>replica-hours</th><th>SLO-violation minutes</th><th>interval coverage</th></tr>";
  for (const auto& [n, t] : targets)
    h << "<tr><td>" << e(n) << "</td><td>" << fmt("%.1f", t.load_mean) << "</td><td>" << fmt("%.1f", t.load_peak)
      << "</td><td>" << t.min_replicas << "–" << t.max_replicas << "</td><td>" << fmt("%.1f", t.replica_hours)
      << "</td><td>" << fmt("%.0f", t.slo_minutes) << "</td><td>"
      << (t.forecasts ? fmt("%.1f%%", 100.0 * t.covered / t.forecasts) : std::string("n/a")) << "</td></tr>";
  h << "</table><h2>Actions</h2><table><tr><th>time (UTC)</th><th>target</th><th>id</th><th>change</th>"
       "<th>state</th><th>why</th></tr>";
  for (const auto& [target, list] : actions)
    for (const Decision* d : list)
      h << "<tr><td>" << utc(to_unix_seconds(d->created)) << "</td><td>" << e(target) << "</td><td>" << e(d->id)
        << "</td><td>" << d->action << " " << d->current_replicas << " → " << d->desired_replicas
        << "</td><td>" << to_string(d->state) << "</td><td>" << e(d->reason) << "</td></tr>";
  h << "</table></body></html>\n";
  out->html = h.str();
  return true;
}

}  // namespace opspilot::agent
