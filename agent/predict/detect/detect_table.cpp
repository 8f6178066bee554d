// Causal scoring of a whole table: the `opspilot detect` CLI and the SKAB benchmark.
#include <algorithm>
#include <cmath>

#include "agent/predict/detect/detector.h"

namespace opspilot::agent::detect {

DetectorOptions table_series_defaults() {
  DetectorOptions o;
  o.warmup_points = 400;
  o.season_seconds = 0;  // minutes of 1 s data: no daily cycle to learn
  o.robust_z_threshold = 0;
  o.iqr_k = 0;
  o.cusum_h = 0;
  return o;
}

std::vector<ScoredRow> detect_table(const std::vector<double>& t, const std::vector<std::vector<double>>& columns,
                                    const std::vector<std::string>& column_names, const DetectOptions& o) {
  const std::size_t rows = t.size();
  const std::size_t cols = columns.size();
  std::vector<ScoredRow> out(rows);
  std::vector<std::string> names(cols);
  for (std::size_t c = 0; c < cols; ++c)
    names[c] = c < column_names.size() && !column_names[c].empty() ? column_names[c] : "column " + std::to_string(c + 1);
  std::vector<SeriesDetector> series;
  if (o.use_univariate)
    for (std::size_t c = 0; c < cols; ++c) series.emplace_back(names[c], o.series);
  std::optional<MultivariateDetector> multi;
  if (o.use_multivariate && cols >= 2) multi.emplace(names, o.multivariate);

  std::vector<double> row(cols);
  bool prev = false;
  for (std::size_t i = 0; i < rows; ++i) {
    ScoredRow& r = out[i];
    bool any = false;
    auto take = [&](Signal&& s) {
      if (s.anomalous) any = true;
      if (s.score > r.score || r.top.detector.empty()) {
        r.score = std::max(r.score, s.score);
        r.top = std::move(s);
      }
    };
    for (std::size_t c = 0; c < cols; ++c) {
      row[c] = i < columns[c].size() ? columns[c][i] : std::nan("");
      if (c < series.size()) take(series[c].update(t[i], row[c]));
    }
    if (multi) take(multi->update(t[i], row));
    r.score = std::clamp(r.score, 0.0, 1.0);
    r.anomaly = any;
    if (any != prev) {
      r.change_score = 1.0;
      r.change = any ? "alarm starts: " + r.top.explanation : "alarm ends";
    } else {
      std::size_t best = series.size();
      for (std::size_t c = 0; c < series.size(); ++c)
        if (series[c].last_change() > r.change_score) r.change_score = series[c].last_change(), best = c;
      if (best < series.size()) r.change = series[best].last_signals().back().explanation;
    }
    r.changepoint = r.change_score > 0;
    prev = any;
  }
  return out;
}

}  // namespace opspilot::agent::detect
