#pragma once
// Streaming anomaly and incident detection: bounded-state detectors per series (seasonal residual,
// robust z on median/MAD, IQR fences, CUSUM level and variance shifts), a multivariate score
// across a target's series, SLO burn rate (multi-window, multi-burn-rate), and an incident risk
// that combines them. Every score is in [0, 1] and every Signal explains itself in one sentence.
//
// Conventions shared by every detector here:
// - Causal: update(t, x) scores x using only x and the points before it.
// - Warm-up is its own state: the first `warmup_points` accepted points are "learning" (score 0,
//   never anomalous, Signal::learning = true). With a season (SeriesDetector's default, daily)
//   learning lasts one whole season and then warmup_points more: a daily profile needs a day of
//   data. Feed history (e.g. a Prometheus range query) through update() to skip the wait.
// - Baselines learn only from points judged normal, so a long excursion stays an excursion;
//   an alarm lasting relearn_after_points is taken as the new normal and said so.
// - Bad input never changes state: NaN is a gap (counted in InputCounts::gaps), +-inf is counted
//   in InputCounts::non_finite, and a timestamp not strictly after the last accepted one
//   (duplicate or out of order) is skipped and counted in InputCounts::out_of_order. The
//   returned Signal then has score 0 and says why in its explanation.
// - A constant series (MAD and IQR 0) uses a scale floor (DetectorOptions::min_scale_*), so it
//   neither divides by zero nor alarms forever on its first small wiggle.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace opspilot::agent::detect {

/// What one detector says about one point, in words a human can check.
struct Signal {
  std::string detector;  // "robust-z", "iqr", "seasonal-residual", "cusum", "mahalanobis", "burn-rate", "combined"
  std::string series;    // which series (set by the caller's name)
  double score = 0;      // [0, 1]; 0.5 is the alarm threshold of a single detector
  bool anomalous = false;
  double value = 0, expected = 0;  // observed and expected (e.g. median or seasonal forecast)
  double deviation = 0;            // how far, in the detector's unit (robust z, IQR widths, ...)
  std::string unit;                // "robust z", "IQRs", ...
  std::optional<double> since;     // unix seconds the current excursion started, if ongoing
  std::string explanation;         // one sentence: "load 412 is 6.1 robust z above the median 120 since 12:03"
  bool learning = false;           // still in warm-up: score 0, never anomalous
};

/// Inputs a detector refused, by reason. None of them changes detector state.
struct InputCounts {
  std::uint64_t accepted = 0;
  std::uint64_t gaps = 0;          // NaN values
  std::uint64_t non_finite = 0;    // +-inf values
  std::uint64_t out_of_order = 0;  // timestamp <= the last accepted one (duplicates included)
};

/// Settings of the univariate detectors. One set of defaults serves every series; nothing here is
/// tuned per series or per file.
struct DetectorOptions {
  std::size_t warmup_points = 240;  // learning phase length (accepted points; see above)
  // Seasonal residual: the period (daily by default), split into `season_buckets` phase buckets.
  // With a season every other component works on the residual from the seasonal expectation
  // (profile + a local offset that follows the day's level), so a daily cycle is not an anomaly.
  // 0 turns it off: the components then see the raw values. A weekly pattern on top of the
  // daily one shows as deviations when the noise is small (a few %); a weekly season needs
  // season_seconds = 604800 and ~336 buckets (1.3 KB more state).
  double season_seconds = 86400;
  std::size_t season_buckets = 48;
  // Scale floors for constant or near-constant series: the scale used is at least
  // max(min_scale_abs, min_scale_rel * |level|).
  double min_scale_abs = 1e-9;
  double min_scale_rel = 1e-3;
  // Alarm thresholds, each in its detector's unit; a deviation at the threshold scores 0.5.
  // A threshold of 0 (or less) turns that component off.
  double robust_z_threshold = 6.0;  // robust z (|x - median| / (1.4826 MAD))
  double iqr_k = 4.0;               // IQR widths beyond the quartiles (Tukey's far-out fence is 3)
  double seasonal_z_threshold = 6.0;
  double cusum_k = 0.5;  // CUSUM slack, in robust sigmas
  double cusum_h = 8.0;  // CUSUM decision interval, in robust sigmas
  // EWMA control chart (level shifts): the series smoothed with this half-life (points), against
  // a baseline mean learned in warm-up, in units of the smoothed series' own spread then.
  double ewma_halflife_points = 10;
  double ewma_threshold = 6.0;
  // The EWMA baseline mean adapts only on points judged normal, with this half-life in points;
  // anomalous points do not drag it along (so a long excursion stays an excursion).
  double baseline_halflife_points = 300;
  // Changepoints (events, not alarms): the mean of the last `change_window_points` values
  // against the mean of as many before, in sigmas of that difference (the series' sigma learned
  // in warm-up). An event is emitted when the statistic crosses `change_threshold`; the next one
  // needs it to fall below change_rearm times the threshold first. A threshold of 0 = off.
  std::size_t change_window_points = 10;  // at most 12
  double change_threshold = 3.5;
  double change_rearm = 0.5;
  // Persistence: the combined detector's score is smoothed with this half-life (points), and an
  // alarm, once raised at `alarm_on`, holds until the smoothed score falls below `alarm_off`.
  double smooth_halflife_points = 4;
  double alarm_on = 0.5;
  double alarm_off = 0.35;
  // An alarm that lasts this many points is taken as a new normal (a lasting level change): the
  // detector says so and learns again from scratch. 0 = never.
  std::size_t relearn_after_points = 1000;
};

/// A streaming, bounded-state detector for one univariate series. Causal: update(t, x) scores x
/// using only x and the points before it. Thread-safety: none; one owner.
class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string name() const = 0;
  virtual Signal update(double t_unix_seconds, double x) = 0;  // NaN x = gap: no state change
  virtual std::size_t state_bytes() const = 0;
  virtual InputCounts input_counts() const = 0;
};

/// Detectors register by name (one registration line per detector), refusing duplicates. The
/// built-ins: "robust-z", "iqr", "seasonal-residual", "cusum" (level and variance), "combined"
/// (SeriesDetector's engine) and "burn-rate" (over an error-ratio series). Thread-safe.
using DetectorFactory = std::function<std::unique_ptr<Detector>(const DetectorOptions&)>;
/// Registers `factory` under `name`; false (and no change) when the name is taken or empty.
bool register_detector(const std::string& name, DetectorFactory factory);
/// A new detector, or nullptr when no detector is registered under `name`.
std::unique_ptr<Detector> make_detector(const std::string& name, const DetectorOptions& o);
/// Registered names, sorted.
std::vector<std::string> detector_names();

/// The combined univariate detector the agent runs per series: seasonal residual + robust z
/// (median/MAD over the last 40 normal points) + IQR + CUSUM (level and variance shifts) + EWMA
/// chart; score = the strongest component's, in [0, 1], smoothed, with hysteresis (see
/// DetectorOptions); plus changepoint events (last_change()). State is bounded: about 2 KB with
/// the default 48 seasonal phases and a 30-character series name, constant over the stream.
/// Thread-safety: none; one owner (e.g. the target's strand).
class SeriesDetector {
 public:
  explicit SeriesDetector(std::string series, DetectorOptions o = {});
  ~SeriesDetector();
  SeriesDetector(SeriesDetector&&) noexcept;
  SeriesDetector& operator=(SeriesDetector&&) noexcept;
  SeriesDetector(const SeriesDetector&) = delete;
  SeriesDetector& operator=(const SeriesDetector&) = delete;

  /// Scores x at t; the returned Signal is the combined one ("combined"), naming the component
  /// that drove it in its explanation.
  Signal update(double t_unix_seconds, double x);
  /// Strength in (0, 1] of a changepoint detected at the last update (an abrupt level change,
  /// reported when the two-window statistic crosses its threshold); 0 if none. last_signals()
  /// then includes a "changepoint" Signal saying what changed.
  double last_change() const;
  /// The component detectors' signals for the last accepted point.
  std::vector<Signal> last_signals() const;
  const std::string& series() const;
  bool learning() const;
  std::size_t state_bytes() const;
  InputCounts input_counts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Settings of the multivariate detector.
struct MultivariateOptions {
  std::size_t warmup_points = 120;
  double halflife_points = 2000;  // of the exponentially weighted mean/covariance
  // Each input is smoothed (EWMA, this half-life in points) before the distance, so the distance
  // sees sustained shifts rather than per-point noise; 0 = raw values.
  double input_halflife_points = 0;
  double threshold = 0.999;       // chi-square quantile of the distance that scores 0.5
  double ridge = 1e-6;            // relative regularisation of the covariance diagonal
  double smooth_halflife_points = 4;
  double alarm_on = 0.5;
  double alarm_off = 0.35;
};

/// Multivariate: one score across a target's signals — a streaming Mahalanobis distance against an
/// exponentially weighted mean/covariance learned only from points judged normal (robust: points
/// beyond the threshold do not update it). Catches correlation breaks no single series shows. The
/// Signal's series is the one contributing most to the distance. Thread-safety: none; one owner.
class MultivariateDetector {
 public:
  MultivariateDetector(std::vector<std::string> series, MultivariateOptions o = {});
  ~MultivariateDetector();
  MultivariateDetector(MultivariateDetector&&) noexcept;
  MultivariateDetector& operator=(MultivariateDetector&&) noexcept;
  MultivariateDetector(const MultivariateDetector&) = delete;
  MultivariateDetector& operator=(const MultivariateDetector&) = delete;

  /// `x` has one value per series (NaN = missing: the row is skipped as a gap). A row whose size
  /// differs from the series count is refused (counted as non_finite) with an explanation.
  Signal update(double t_unix_seconds, const std::vector<double>& x);
  std::size_t dimension() const;
  /// Share of the last squared distance attributable to each series (sums to ~1).
  std::vector<double> last_contributions() const;
  bool learning() const;
  std::size_t state_bytes() const;
  InputCounts input_counts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One multi-window alert rule: fires when both the long and the short window burn faster than
/// `factor` times the rate that would spend the budget exactly over the budget period.
struct BurnWindow {
  double long_seconds = 3600;
  double short_seconds = 300;
  double factor = 14.4;
  std::string severity = "page";  // "page" or "ticket"
};

/// The Google SRE workbook's defaults for a 30-day budget.
std::vector<BurnWindow> default_burn_windows();

struct BurnRateOptions {
  double objective = 0.999;                        // SLO target; error budget = 1 - objective
  double budget_period_seconds = 30 * 86400.0;
  std::vector<BurnWindow> windows = default_burn_windows();
  std::size_t buckets_per_window = 12;  // ring resolution: window sums are exact to 1/buckets
};

/// State of one rule after the last update.
struct BurnAlert {
  BurnWindow window;
  double long_burn = 0, short_burn = 0;  // burn rates (1 = spending exactly on budget)
  bool firing = false;
};

/// SLO burn rate from a stream of (good, total) counts or of error-ratio samples. Bounded state:
/// one coarse ring of buckets per distinct window length. Timestamps must increase (older ones
/// are skipped and counted). The Signal's score ranks urgency: a firing page rule scores in
/// [0.9, 1), a firing ticket rule in [0.6, 0.85), a rule approaching its factor below 0.5.
/// Thread-safety: none; one owner.
class BurnRate {
 public:
  explicit BurnRate(std::string series, BurnRateOptions o = {});
  ~BurnRate();
  BurnRate(BurnRate&&) noexcept;
  BurnRate& operator=(BurnRate&&) noexcept;
  BurnRate(const BurnRate&) = delete;
  BurnRate& operator=(const BurnRate&) = delete;

  /// Adds the events counted since the previous update (not cumulative counters).
  Signal update_counts(double t_unix_seconds, double good, double total);
  /// Adds one error-ratio sample in [0, 1] (weight 1; e.g. a scraped 5xx ratio).
  Signal update_ratio(double t_unix_seconds, double error_ratio);
  /// Burn rate over the last `window_seconds` (as of the last update); 0 with no events.
  double burn_rate(double window_seconds) const;
  std::vector<BurnAlert> alerts() const;
  std::size_t state_bytes() const;
  InputCounts input_counts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Per target: combines the detectors' signals and the burn rate into one incident risk in
/// [0, 1], with the signals that drove it (which series, how far from expected, since when).
struct IncidentRisk {
  double risk = 0;
  std::string level;  // none|watch|warning|incident
  std::vector<Signal> drivers;
  std::string summary;
};

struct IncidentRiskOptions {
  double watch = 0.3, warning = 0.6, incident = 0.85;  // level thresholds on risk
  double burn_weight = 1.0;     // a firing page-severity burn rate alone reaches "incident"
  double anomaly_weight = 0.8;  // a single anomalous series alone reaches at most "warning"
  std::size_t max_drivers = 3;
};

/// Stateless combination: risk = noisy-OR of the weighted signal scores (several agreeing series
/// raise the risk more than one). Learning signals are ignored. Thread-safety: const methods are
/// safe from any thread.
class IncidentRiskModel {
 public:
  explicit IncidentRiskModel(IncidentRiskOptions o = {});
  IncidentRisk assess(const std::vector<Signal>& signals) const;

 private:
  IncidentRiskOptions o_;
};

/// Per-column defaults for detect_table: offline tables of densely sampled, noisy sensor-like
/// series (SKAB's 1 s pump data is the reference). No season (minutes of data); the alarm rests
/// on the EWMA chart with a longer warm-up (400 points, as the published SKAB baselines train on
/// each file's first 400 rows); the raw-point components (robust z, IQR) and the CUSUMs are off
/// because on such data a single noisy or quantized reading is not an incident, and their
/// 40-point reference drifts along with the process. Changepoint events stay on.
DetectorOptions table_series_defaults();

/// Settings for detect_table.
struct DetectOptions {
  DetectorOptions series = table_series_defaults();  // one SeriesDetector per column
  MultivariateOptions multivariate;
  bool use_multivariate = false;  // with two or more columns: adds a Mahalanobis detector
  bool use_univariate = true;
};

/// Offline/causal scoring of a table, used by the `opspilot detect` CLI and the benchmark: one
/// or more value columns (already parsed to doubles, NaN = missing), timestamps in unix seconds.
/// Returns per row: score in [0, 1], is_anomaly, and the top signal. Causal: each column streams
/// through its own SeriesDetector (plus the multivariate detector when asked), row by row; a NaN
/// cell is a gap for that column only. A row is anomalous when any detector is; its score and
/// top signal are the strongest signal's. A changepoint is a row where the table's anomaly state
/// turns on or off (change_score 1) or where some column's level changes abruptly
/// (SeriesDetector::last_change(), the strongest column's strength).
struct ScoredRow {
  double score = 0;
  bool anomaly = false;
  Signal top;
  bool changepoint = false;
  double change_score = 0;  // (0, 1] on changepoint rows, else 0
  std::string change;       // what changed, on changepoint rows
};
std::vector<ScoredRow> detect_table(const std::vector<double>& t,
                                    const std::vector<std::vector<double>>& columns,  // columns[c][row]
                                    const std::vector<std::string>& column_names,
                                    const DetectOptions& o);

}  // namespace opspilot::agent::detect
