#pragma once
// The canary / before-after judge: is a metric worse in one group (the experiment: the canary, or
// the window after an action) than in another (the control: the baseline, or the window before)?
// As Kayenta's Mann-Whitney classifier does it: a two-sided Mann-Whitney U test (normal
// approximation with tie and continuity corrections, exact distribution for small samples without
// ties), the Hodges-Lehmann estimate of the shift, and an effect-size bound (the ratio of the
// groups' means) so that a statistically significant but tiny change does not fail a deploy.
// Direction-aware: only a change in the direction that hurts can fail. Too few samples on either
// side is its own outcome, NoData, never a guess.
// Thread-safety: plain functions and values.
#include <cstddef>
#include <span>
#include <string>

namespace opspilot::agent {

/// Which change of the metric is bad: latency and errors Increase, throughput Decrease.
enum class BadDirection { Increase, Decrease, Either };
const char* to_string(BadDirection d);  // increase | decrease | either
/// false when `s` is none of increase, decrease, either.
bool bad_direction_from_string(const std::string& s, BadDirection* out);

enum class JudgeOutcome {
  Pass,    // not worse: no significant change in the bad direction beyond the effect bound
  Fail,    // significantly worse, and by more than the effect bound
  NoData,  // fewer than min_samples finite values in a group
};
const char* to_string(JudgeOutcome o);  // pass | fail | no_data

struct JudgeSpec {
  BadDirection bad = BadDirection::Increase;
  double alpha = 0.05;            // significance level of the two-sided test
  /// Effect-size bounds on mean(experiment) / mean(control) (Kayenta's allowedIncrease /
  /// allowedDecrease): an increase fails only above `max_increase`, a decrease only below
  /// `min_decrease`.
  double max_increase = 1.1;
  double min_decrease = 0.9;
  /// Both means at or below this are "no signal" (e.g. an error rate of 0.001 vs 0.002): the
  /// ratio is meaningless near zero, so such a pair passes. 0 = off.
  double floor = 0;
  std::size_t min_samples = 5;    // per group; a group with no finite value is NoData even at 0
};

struct JudgeResult {
  JudgeOutcome outcome = JudgeOutcome::NoData;
  std::size_t n_control = 0;      // finite values used
  std::size_t n_experiment = 0;
  double u = 0;                   // U statistic of the experiment group
  double z = 0;                   // normal score (0 when the exact distribution was used);
                                  // continuity-corrected, negative when the experiment ranks lower
  double p_value = 1;             // two-sided
  double control_mean = 0;
  double experiment_mean = 0;
  double control_median = 0;
  double experiment_median = 0;
  double effect_size = 1;         // experiment_mean / control_mean (1 when both are 0)
  double shift = 0;               // Hodges-Lehmann: median of experiment_i − control_j
  bool worse = false;             // moved in the bad direction (by the medians' shift)
  bool better = false;            // moved significantly in the good direction
  std::string detail;             // one sentence with the figures, for decision records
  /// true when p_value came from the exact permutation distribution of U (both groups <= 20
  /// values and no ties in the pooled sample); false for the normal approximation.
  bool exact = false;
};

/// Compares `experiment` with `control`; non-finite values are skipped (and not counted).
/// Cost: copies of the finite values, O(N log N) for the ranks, O(N · 64) for the
/// Hodges-Lehmann shift (a bisection on the value, never the n1·n2 differences in memory).
JudgeResult judge(std::span<const double> control, std::span<const double> experiment,
                  const JudgeSpec& spec = {});

}  // namespace opspilot::agent
