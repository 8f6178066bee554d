#pragma once
// The Numenta Anomaly Benchmark (NAB) score, as numenta/NAB computes it (nab/sweeper.py and the
// threshold optimizer), with anomaly windows built as SKAB's evaluation builds them (a window of
// fixed width centred on each true changepoint). Used by the detection benchmark; plain functions
// over vectors, no state. Thread-safety: all functions are pure.
//
// What NAB does, and so what this does:
// - Each true event has a window of rows. Inside a window a detection at relative position
//   y = -(right - i + 1) / width (-1 at the left edge, ~0 at the right) is worth
//   A_TP * scaled_sigmoid(y) / scaled_sigmoid(-1); only the earliest detection in a window counts
//   (later ones in the same window are ignored). A window without a detection costs -A_FN.
// - A detection outside every window is a false positive worth A_FP * scaled_sigmoid(p), where p
//   is its distance past the end of the preceding window relative to that window's width - 1
//   (cheap right after a window, -A_FP from 3 widths on); before the first window it is -A_FP.
// - The first `probation` share of each file's rows (NAB: 15%, at most 750 rows) is not scored.
// - The corpus score is normalised so that the null detector (no detections) scores 0 and the
//   perfect one (a detection at the left edge of every window) scores 100.
// - The detection threshold on the anomaly score is the one that maximises the corpus score for
//   the profile (NAB's optimizer), chosen separately for each profile.
#include <cstddef>
#include <string>
#include <vector>

namespace opspilot::agent::detect::nab {

/// Application profile: weights of true positives, false positives, false negatives (A_TP, A_FP,
/// A_FN; A_TN is 1 in every NAB profile and unused by the score).
struct Profile {
  std::string name;
  double tp = 1.0, fp = 0.11, fn = 1.0, tn = 1.0;
};
/// NAB's three profiles: standard (1, 0.11, 1), reward_low_FP_rate (1, 0.22, 1),
/// reward_low_FN_rate (1, 0.11, 2).
std::vector<Profile> profiles();

/// NAB's scaled sigmoid: 2 / (1 + e^(5y)) - 1, and -1 for y >= 3 (far past a window).
double scaled_sigmoid(double y);

/// An anomaly window as inclusive row indices.
struct Window {
  std::size_t first = 0, last = 0;
};

/// Windows of `width_seconds` centred on each changepoint row (SKAB: 30 s), as rows whose time is
/// within [t_cp - width/2, t_cp + width/2]. Where two windows would overlap, the right one starts
/// after the left one ends (tsad's "cut right window"); an emptied window is dropped.
std::vector<Window> centered_windows(const std::vector<double>& t, const std::vector<std::size_t>& changepoint_rows,
                                     double width_seconds);

/// One file: an anomaly score per row (detections are rows with score >= threshold) and the
/// windows of its true events.
struct File {
  std::vector<double> scores;
  std::vector<Window> windows;
};

/// Per-row weighted score if that row were a detection (NAB's "sweep score"), and which window
/// it belongs to (-1: none, -2: probationary, not scored).
struct SweepRow {
  double anomaly_score = 0;
  double sweep = 0;
  long window = -1;
};
std::vector<SweepRow> sweep(const File& f, const Profile& p, double probation);

/// Corpus result for one profile at one threshold.
struct Result {
  std::string profile;
  double threshold = 0;
  double raw = 0;         // sum of the files' scores
  double null_raw = 0;    // the null detector's
  double perfect_raw = 0; // the perfect detector's
  double normalized = 0;  // 100 * (raw - null) / (perfect - null)
  std::size_t detected_windows = 0, windows = 0, false_positives = 0;
};

/// The corpus score at a given threshold.
Result score(const std::vector<File>& files, const Profile& p, double threshold, double probation);

/// NAB's optimizer: the threshold (among the distinct scores) that maximises the corpus score.
Result optimize(const std::vector<File>& files, const Profile& p, double probation);

/// NAB's default probation: min(floor(0.15 n), 750) rows.
inline constexpr double kNabProbation = 0.15;

}  // namespace opspilot::agent::detect::nab
