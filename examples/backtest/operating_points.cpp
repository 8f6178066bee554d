#include "examples/backtest/operating_points.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "agent/format.h"

namespace opspilot::backtest {
using agent::fmt;

OperatingPoint config_point(const agent::TargetSpec& target) {
  return {target.forecast.quantile, target.capacity.learn_utilization};
}

std::string describe(const OperatingPoint& p, double target_utilization) {
  return fmt("q%g", p.quantile * 100) +
         (p.learn_utilization ? ", learned utilisation" : ", pinned at " + fmt("%.0f%%", target_utilization * 100));
}

std::vector<PointResult> run_operating_points(const BacktestOptions& o, const std::vector<OperatingPoint>& points,
                                              const std::string& journal_root, unsigned threads) {
  std::vector<PointResult> out(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    out[i].point = points[i];
    for (std::size_t j = 0; j < i && out[i].error.empty(); ++j)
      if (points[j] == points[i])
        out[i].error = "the same operating point as #" + std::to_string(j + 1);
  }
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next++; i < points.size(); i = next++) {
      PointResult& r = out[i];
      if (!r.error.empty()) continue;
      try {
        BacktestOptions one = o;
        one.run_hpa = one.run_oracle = false;
        one.journal_dir = (std::filesystem::path(journal_root) /
                           (fmt("q%g", r.point.quantile * 100) + (r.point.learn_utilization ? "-learned" : "-pinned")))
                              .string();
        const agent::TargetSpec* spec = replayed_target(one, &r.error);
        if (!spec) continue;
        agent::TargetSpec& t = one.config.targets[static_cast<std::size_t>(spec - one.config.targets.data())];
        t.forecast.quantile = r.point.quantile;
        t.capacity.learn_utilization = r.point.learn_utilization;
        if (auto res = run_backtest(one, &r.error)) r.run = std::move(res->opspilot);
      } catch (const std::exception& e) {
        r.error = e.what();
      }
    }
  };
  std::vector<std::thread> pool;
  const std::size_t n = std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(points.size(), 1));
  for (std::size_t k = 1; k < n; ++k) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return out;
}

std::string operating_points_markdown(const BacktestOptions& o, const BacktestResult& base,
                                      const std::vector<PointResult>& points) {
  const agent::TargetSpec* spec = replayed_target(o, nullptr);
  const double utilisation = spec ? spec->capacity.target_utilization : 0;
  struct Row {
    std::string name;
    const RunResult* run;
    std::string error;
  };
  std::vector<Row> rows;
  if (spec && base.opspilot.ran)
    rows.push_back({describe(config_point(*spec), utilisation) + " (config)",
                    &base.opspilot, ""});
  for (const PointResult& p : points) {
    // The config's own point is the row above.
    if (spec && p.point == config_point(*spec)) continue;
    rows.push_back({describe(p.point, utilisation), p.run ? &*p.run : nullptr, p.error});
  }

  const auto beats = [](const RunResult& a, const RunResult& b) {  // a is no worse on both, better on one
    return a.slo_violation_minutes <= b.slo_violation_minutes && a.replica_hours <= b.replica_hours &&
           (a.slo_violation_minutes < b.slo_violation_minutes || a.replica_hours < b.replica_hours);
  };
  const auto versus = [](double v, const RunResult& ref) {
    return ref.ran && ref.replica_hours > 0 ? fmt("%+.1f%%", 100 * (v / ref.replica_hours - 1)) : std::string("n/a");
  };
  std::ostringstream s;
  s << "| opspilot sized for | SLO-violation minutes | of the HPA's | replica-hours | vs the HPA | vs the oracle | "
       "scaling actions | |\n|---|---:|---:|---:|---:|---:|---:|---|\n";
  const Row* best = nullptr;
  for (const Row& row : rows) {
    if (!row.run) {
      s << "| " << row.name << " | not replayed: " << row.error << " | | | | | | |\n";
      continue;
    }
    const RunResult& r = *row.run;
    bool frontier = true;
    for (const Row& other : rows) frontier = frontier && !(other.run && beats(*other.run, r));
    s << "| " << row.name << " | " << fmt("%.0f", r.slo_violation_minutes) << " | "
      << (base.hpa.ran && base.hpa.slo_violation_minutes > 0
              ? fmt("%.1f%%", 100 * r.slo_violation_minutes / base.hpa.slo_violation_minutes)
              : std::string("n/a"))
      << " | " << fmt("%.1f", r.replica_hours) << " | " << versus(r.replica_hours, base.hpa) << " | "
      << versus(r.replica_hours, base.oracle) << " | " << r.scaling_actions << " | " << (frontier ? "frontier" : "")
      << " |\n";
    if (base.hpa.ran && r.replica_hours <= base.hpa.replica_hours &&
        (!best || r.slo_violation_minutes < best->run->slo_violation_minutes))
      best = &row;
  }
  if (base.hpa.ran) {
    s << "\n";
    if (best)
      s << "Fewest SLO-violation minutes at no more replica-hours than the HPA (" << fmt("%.1f", base.hpa.replica_hours)
        << "): " << best->name << ", " << fmt("%.0f", best->run->slo_violation_minutes) << " against the HPA's "
        << fmt("%.0f", base.hpa.slo_violation_minutes) << ".\n";
    else
      s << "No operating point here uses no more replica-hours than the HPA (" << fmt("%.1f", base.hpa.replica_hours)
        << ").\n";
  }
  return s.str();
}

}  // namespace opspilot::backtest
