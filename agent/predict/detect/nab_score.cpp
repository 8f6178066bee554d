#include "agent/predict/detect/nab_score.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace opspilot::agent::detect::nab {

std::vector<Profile> profiles() {
  return {{"standard", 1.0, 0.11, 1.0, 1.0},
          {"reward_low_FP_rate", 1.0, 0.22, 1.0, 1.0},
          {"reward_low_FN_rate", 1.0, 0.11, 2.0, 1.0}};
}

double scaled_sigmoid(double y) {
  if (y >= 3.0) return -1.0;  // a false positive well past the window
  return 2.0 / (1.0 + std::exp(5.0 * y)) - 1.0;
}

std::vector<Window> centered_windows(const std::vector<double>& t, const std::vector<std::size_t>& rows,
                                     double width_seconds) {
  std::vector<Window> out;
  std::vector<std::size_t> cps(rows);
  std::sort(cps.begin(), cps.end());
  const double half = width_seconds / 2;
  for (std::size_t cp : cps) {
    if (cp >= t.size()) continue;
    const auto first = static_cast<std::size_t>(std::lower_bound(t.begin(), t.end(), t[cp] - half) - t.begin());
    const auto end = static_cast<std::size_t>(std::upper_bound(t.begin(), t.end(), t[cp] + half) - t.begin());
    Window w{first, end - 1};
    if (!out.empty() && w.first <= out.back().last) w.first = out.back().last + 1;
    if (w.first > w.last) continue;
    out.push_back(w);
  }
  return out;
}

namespace {
std::size_t probation_rows(std::size_t n, double probation) {
  if (probation <= 0) return 0;
  return static_cast<std::size_t>(std::min(std::floor(probation * static_cast<double>(n)), probation * 5000));
}
}  // namespace

std::vector<SweepRow> sweep(const File& f, const Profile& p, double probation) {
  // A transcription of numenta/NAB nab/sweeper.py Sweeper.calcSweepScore.
  const std::size_t n = f.scores.size();
  std::vector<SweepRow> rows(n);
  const double max_tp = scaled_sigmoid(-1.0);
  const std::size_t prob = probation_rows(n, probation);
  std::size_t next = 0;  // next window to enter
  long cur = -1;
  double cur_width = 0;
  std::size_t cur_right = 0;
  bool has_prev = false;
  double prev_width = 0;
  std::size_t prev_right = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (cur < 0 && next < f.windows.size() && i == f.windows[next].first) {
      cur = static_cast<long>(next);
      cur_right = f.windows[next].last;
      cur_width = static_cast<double>(f.windows[next].last - f.windows[next].first + 1);
      ++next;
    }
    double weighted;
    if (cur >= 0) {
      const double pos = -(static_cast<double>(cur_right) - static_cast<double>(i) + 1) / cur_width;
      weighted = scaled_sigmoid(pos) * p.tp / max_tp;
    } else {
      // NAB divides by (width - 1); a one-row window would divide by zero there, so it counts
      // as width 2 here.
      const double pos = has_prev ? std::fabs(static_cast<double>(prev_right) - static_cast<double>(i)) /
                                        std::max(1.0, prev_width - 1)
                                  : 3.0;
      weighted = scaled_sigmoid(pos) * p.fp;
    }
    rows[i] = {f.scores[i], weighted, i >= prob ? cur : -2};
    if (cur >= 0 && i == cur_right) {
      has_prev = true;
      prev_right = i;
      prev_width = cur_width;
      cur = -1;
    }
  }
  return rows;
}

Result score(const std::vector<File>& files, const Profile& p, double threshold, double probation) {
  Result res;
  res.profile = p.name;
  res.threshold = threshold;
  for (const File& f : files) {
    const auto rows = sweep(f, p, probation);
    std::map<long, double> best;  // per window: the earliest (= best) detection's weight
    for (const auto& r : rows) {
      if (r.window == -2) continue;
      if (r.window >= 0) best.emplace(r.window, -p.fn);
    }
    const std::size_t wins = best.size();
    for (const auto& r : rows) {
      if (r.window == -2 || !(r.anomaly_score >= threshold)) continue;
      if (r.window >= 0) {
        best[r.window] = std::max(best[r.window], r.sweep);
      } else {
        res.raw += r.sweep;
        ++res.false_positives;
      }
    }
    for (const auto& [w, v] : best) {
      res.raw += v;
      if (v > -p.fn) ++res.detected_windows;
    }
    res.windows += wins;
  }
  res.null_raw = -p.fn * static_cast<double>(res.windows);
  res.perfect_raw = p.tp * static_cast<double>(res.windows);
  const double span = res.perfect_raw - res.null_raw;
  res.normalized = span > 0 ? 100.0 * (res.raw - res.null_raw) / span : 0;
  return res;
}

Result optimize(const std::vector<File>& files, const Profile& p, double probation) {
  // NAB's Sweeper.calcScoreByThreshold over the whole corpus: visit every scored row from the
  // highest anomaly score down; each distinct score is a threshold whose corpus score is the
  // running total once all rows at or above it are detections.
  struct Row {
    double score, sweep;
    long window;  // corpus-wide id, -1 outside windows
  };
  std::vector<Row> rows;
  long next_id = 0;
  for (const File& f : files) {
    long last_local = -1, id = -1;
    for (const auto& r : sweep(f, p, probation)) {
      if (r.window == -2) continue;
      if (r.window >= 0 && r.window != last_local) last_local = r.window, id = next_id++;
      rows.push_back({r.anomaly_score, r.sweep, r.window >= 0 ? id : -1});
    }
  }
  std::vector<double> best(static_cast<std::size_t>(next_id), -p.fn);
  double total = -p.fn * static_cast<double>(next_id);
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.score > b.score; });
  double best_total = total, best_threshold = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    if (r.window >= 0) {
      double& b = best[static_cast<std::size_t>(r.window)];
      if (r.sweep > b) total += r.sweep - b, b = r.sweep;
    } else {
      total += r.sweep;
    }
    const bool last_of_threshold = i + 1 == rows.size() || rows[i + 1].score != r.score;
    if (last_of_threshold && total > best_total) best_total = total, best_threshold = r.score;
  }
  return score(files, p, best_threshold, probation);
}

}  // namespace opspilot::agent::detect::nab
