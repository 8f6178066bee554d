#pragma once
// Operating points: opspilot replayed again at other forecast quantiles (learned or pinned
// utilisation) beside one backtest's HPA and oracle, to choose the trade-off between SLO-violation
// minutes and replica-hours on one's own traffic (`opspilot backtest --quantiles`, make bench).
// Thread-safety: run_operating_points runs its replays on its own threads, each on its own
// copy of the options; the other functions are pure.
#include <optional>
#include <string>
#include <vector>

#include "examples/backtest/backtest.h"

namespace opspilot::backtest {

/// One of opspilot's operating points: the forecast quantile it sizes for (forecast.quantile)
/// and whether it learns its utilisation from latency or plans at capacity.target_utilization.
struct OperatingPoint {
  double quantile = 0.9;
  bool learn_utilization = true;
  bool operator==(const OperatingPoint&) const = default;
};

/// The point a target's own config sets.
OperatingPoint config_point(const agent::TargetSpec& target);

/// "q93, learned utilisation" or "q80, pinned at 70%" (`target_utilization` for the latter).
std::string describe(const OperatingPoint& p, double target_utilization);

struct PointResult {
  OperatingPoint point;
  std::optional<RunResult> run;  // nullopt when the replay failed: `error` says why
  std::string error;
};

/// opspilot alone, replayed once per point with everything else as `options` sets it (the HPA's
/// and the oracle's runs do not depend on the point), up to `threads` replays at once, each on
/// its own SimWorld. Point i journals its decisions in `journal_root`/q<NN>-learned|pinned.
/// Results are in the points' order and the same for any `threads`.
std::vector<PointResult> run_operating_points(const BacktestOptions& options, const std::vector<OperatingPoint>& points,
                                              const std::string& journal_root, unsigned threads);

/// The points beside the base replay's own opspilot run, its HPA and its oracle (Markdown): each
/// one's SLO-violation minutes and replica-hours against the HPA's and the oracle's, the points
/// no other beats on both marked "frontier", and the point with the fewest SLO-violation minutes
/// at no more replica-hours than the HPA. A point equal to the config's is that base run's row.
std::string operating_points_markdown(const BacktestOptions& options, const BacktestResult& base,
                                      const std::vector<PointResult>& points);

}  // namespace opspilot::backtest
