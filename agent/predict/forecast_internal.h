#pragma once
// Internals of the forecasting library (agent/predict/forecast.h): the model interface every
// family implements, the families' factories, and small numeric helpers. Not for use outside
// agent/predict/forecast_*.cpp and their tests.
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "agent/predict/forecast.h"
#include "agent/predict/predictor.h"

namespace opspilot::agent::forecast::detail {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A forecasting model: fitted once on a history, then moved forward one observation at a time.
/// The same object serves validation (fit on a prefix, update through the rest) and the online
/// forecaster, so what was validated is exactly what forecasts.
/// Thread-safety: none; one owner. clone() gives an independent copy.
class Model {
 public:
  virtual ~Model() = default;
  virtual std::unique_ptr<Model> clone() const = 0;
  /// Fits on `y` (oldest first; NaN = gap) with `filled` the same series with gaps interpolated,
  /// leaving the state after the last point. False with the reason in *why when it cannot.
  virtual bool fit(std::span<const double> y, std::span<const double> filled, std::string* why) = 0;
  /// One new observation (NaN = gap: the state advances without learning). O(1) in history.
  virtual void update(double y) = 0;
  /// Point forecasts for the next out.size() steps from the current state.
  virtual void predict(std::span<double> out) const = 0;
  /// The forecast one step ahead; families override it to avoid predict()'s scratch buffers,
  /// since the online forecaster calls it on every observation.
  virtual double one_step() const {
    double v = 0;
    predict({&v, 1});
    return v;
  }
  /// The model in words, with its fitted parameters.
  virtual std::string describe() const = 0;
  virtual std::size_t state_bytes() const = 0;
};

/// Holt-Winters / exponential smoothing with up to two seasonal periods.
struct EtsSpec {
  bool trend = true;
  bool damped = true;
  bool multiplicative = false;      // seasonal factors multiply the level instead of adding
  std::vector<std::size_t> seasons; // 0, 1 or 2 periods, ascending
  double clip_k = 4.0;              // residuals beyond clip_k robust sigmas are clipped
};
std::unique_ptr<Model> make_ets(const EtsSpec& spec);

/// Seasonal autoregression fitted by (ridge) least squares on lags 1..short_lags and around each
/// seasonal period; recursive multi-step forecasts.
struct ArSpec {
  std::size_t short_lags = 24;
  std::vector<std::size_t> seasons;
  double ridge = 1e-5;               // times the mean diagonal of X'X
};
std::unique_ptr<Model> make_ar(const ArSpec& spec);

/// Seasonal naive: the value one period ago (period 1 = naive).
std::unique_ptr<Model> make_seasonal_naive(std::size_t period);

/// Multi-seasonal decomposition (MSTL-like): robust seasonal profiles for every period, removed;
/// the rest forecast by damped Holt; the profiles follow the data slowly.
struct DecompSpec {
  std::vector<std::size_t> seasons;  // ascending
  double profile_rate = 0.1;         // per visit of a phase, for the online profile update
};
std::unique_ptr<Model> make_decomp(const DecompSpec& spec);

/// Runs `inner` on log(y + shift) and maps its forecasts back (exp, minus shift), bounded so
/// that a wild extrapolation on the log scale cannot overflow.
std::unique_ptr<Model> make_log(std::unique_ptr<Model> inner, double shift);

/// Mean (or median) of its members' forecasts.
std::unique_ptr<Model> make_ensemble(std::vector<std::unique_ptr<Model>> members, bool median);

/// Minimises f over R^n from x0 (Nelder–Mead, simple bounds handled by the caller's transform).
/// Returns the best point; *best_value receives f there.
std::vector<double> nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                                std::vector<double> x0, double step, int max_evals,
                                double* best_value);

double median(std::vector<double> v);
/// Linear-interpolated empirical quantile, q in [0, 1]; v non-empty.
double quantile(std::vector<double> v, double q);
/// Standard normal quantile (Acklam), for the fallback when too few errors are available.
inline double z_quantile(double p) { return normal_quantile(p); }
inline double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double logit(double p) { return std::log(p / (1.0 - p)); }

/// Gaps filled for models that need complete data: short gaps linearly, longer ones from one
/// period back (when the season is known), ends held flat. `y` must contain a finite value.
std::vector<double> fill_gaps(std::span<const double> y, std::size_t season);

/// Mean absolute error of the seasonal naive (period m; naive when the history is shorter)
/// over finite pairs: the scale of MASE. Never zero (falls back to a tiny fraction of the level).
double mase_scale(std::span<const double> y, std::size_t m);

/// Knobs of the selection that are not user options: the defaults are the library's one
/// configuration; benchmarks restrict the families to show what each contributes.
struct SelectConfig {
  std::string only;               // "" = all; else one family: snaive, ets, ets-mult, ar, decomp
  std::size_t ensemble_top = 3;   // combine the best k candidates (k <= 1: best single)
  bool ensemble_median = false;   // median instead of mean of the combined forecasts
  bool ensemble_always = false;   // take the combination even when a single model validates better
  double origins_budget = 360;    // rolling origins x horizon to aim for (more origins, short h)
};

/// Everything the one-shot forecast and the online forecaster share: the selected model, its
/// interval calibration and the notes.
struct Selection {
  std::unique_ptr<Model> model;      // state at the end of the history
  std::vector<std::size_t> seasons;
  std::vector<std::string> notes;
  double validation_mase = kNaN;
  double validation_coverage = kNaN;
  std::vector<double> levels;        // the requested levels
  std::size_t horizon = 1;           // the horizon the bands were calibrated for
  // Band offsets from the mean per level and horizon step (lower negative), in data units, at
  // the one-step error scale sigma_at_fit (see forecast_calibrate.cpp).
  std::vector<std::vector<double>> lower_off, upper_off;
  double sigma_at_fit = 0;           // mean absolute one-step error over the validation window
  double lo = 0, hi = 0;             // range of the history, for sanity bounds
  bool non_negative = true;
};

/// One candidate's rolling-origin record: the forecasts at each origin and what happened.
struct Validation {
  std::vector<std::vector<double>> errors;  // [origin][step] actual - forecast (NaN: gap)
  std::vector<double> one_step_abs;         // |one-step error| over the validation window
  double mase = kNaN;
};

/// Cleans, detects seasons, fits candidates, validates by rolling origin, selects and
/// calibrates. Errors are values (nullopt + *error).
std::optional<Selection> select_model(const std::vector<double>& y, const Options& o,
                                      std::string* error, const SelectConfig& cfg = {});

/// Band offsets (and the leave-one-origin-out coverage of the widest band) from the chosen
/// model's rolling-origin errors.
void calibrate(const Validation& v, Selection* s);

/// Bands for a model that could not be validated (too little history): the in-sample seasonal
/// naive error, growing with the number of cycles ahead, under a normal approximation.
void calibrate_naive(std::span<const double> y, std::size_t period, Selection* s);

/// Turns the selection's point forecasts into a Forecast with calibrated bands; `sigma_now` is
/// the current one-step error scale (equal to sigma_at_fit right after fitting).
Forecast make_forecast(const Selection& s, std::span<const double> mean, double sigma_now);

}  // namespace opspilot::agent::forecast::detail
