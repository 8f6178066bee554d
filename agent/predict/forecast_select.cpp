// Model selection by rolling-origin validation. Every candidate is fitted ONCE on the history up
// to the first origin, then its state runs forward through the rest; at each origin it forecasts
// the horizon. So validation costs one fit plus one pass per candidate, every error is out of
// sample, and the model that validated is exactly the one that forecasts (its state already at
// the end of the history).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "agent/format.h"
#include "agent/predict/forecast_internal.h"

namespace opspilot::agent::forecast::detail {
namespace {

struct Plan {
  std::size_t fit_len = 0, stride = 1, origins = 0;
};

// Origins at fit_len, fit_len + stride, ...; the last one leaves a full horizon after it.
Plan plan_validation(std::size_t n, std::size_t h, std::size_t m_max, const SelectConfig& cfg) {
  Plan p;
  p.stride = std::max<std::size_t>(1, h / 2);
  const auto want = static_cast<std::size_t>(std::clamp(std::ceil(cfg.origins_budget / static_cast<double>(h)), 6.0, 60.0));
  // The fit needs two cycles of the longest period (and a little more for the first residuals).
  const std::size_t min_fit = std::max<std::size_t>({2 * m_max + m_max / 2, 3 * h / 2, 12});
  for (std::size_t k = want; k >= 1; --k) {
    const std::size_t span = h + (k - 1) * p.stride;
    // Keep at least two thirds of the history for fitting unless only a few origins are asked.
    if (span + min_fit <= n && (span * 3 <= n || k == 1)) {
      p.origins = k;
      p.fit_len = n - span;
      return p;
    }
  }
  return p;
}

struct Candidate {
  std::string family;
  std::unique_ptr<Model> model;
  Validation v;
  std::vector<std::vector<double>> forecasts;  // [origin][step]
  std::vector<double> one_step;                // one-step forecasts over the validation window
};

std::vector<Candidate> candidates(const std::vector<std::size_t>& seasons, bool positive, double shift,
                                  const SelectConfig& cfg) {
  std::vector<Candidate> c;
  auto add = [&](const char* family, std::unique_ptr<Model> m) {
    if (cfg.only.empty() || cfg.only == family)
      c.push_back({family, std::move(m), {}, {}, {}});
  };
  const std::size_t m1 = seasons.empty() ? 1 : seasons.front();
  add("snaive", make_seasonal_naive(m1));
  if (seasons.size() > 1) add("snaive", make_seasonal_naive(seasons.back()));
  add("ets", make_ets({true, true, false, seasons}));
  if (!seasons.empty() && positive) add("ets-mult", make_ets({true, true, true, seasons}));
  auto scaled = [&](std::unique_ptr<Model> m) { return positive ? make_log(std::move(m), shift) : std::move(m); };
  add("ar", scaled(make_ar({std::min<std::size_t>(24, std::max<std::size_t>(m1, 4)), seasons, 1e-5})));
  if (!seasons.empty()) add("decomp", scaled(make_decomp({seasons, 0.1})));
  return c;
}

// Fits on the prefix, then walks the validation window: forecasts at each origin, one-step
// errors everywhere, the state ends at the last point.
enum class Outcome { kValidated, kNotFitted, kDiverged };

Outcome validate(Candidate& c, const std::vector<double>& y, const std::vector<double>& filled, const Plan& p,
                 std::size_t h, double scale, double lo, double hi) {
  std::string why;
  std::span<const double> ys(y), fs(filled);
  if (!c.model->fit(ys.subspan(0, p.fit_len), fs.subspan(0, p.fit_len), &why)) return Outcome::kNotFitted;
  const double range = std::max(hi - lo, 1e-9);
  std::size_t next_origin = 0;
  double abs_sum = 0, count = 0;
  std::vector<double> f(h);
  for (std::size_t t = p.fit_len; t < y.size(); ++t) {
    if (next_origin < p.origins && t == p.fit_len + next_origin * p.stride) {
      c.model->predict(f);
      std::vector<double> e(h);
      for (std::size_t j = 0; j < h; ++j) {
        // A forecast far outside anything the history supports is divergence, not a forecast.
        if (!std::isfinite(f[j]) || f[j] > hi + 3 * range || f[j] < lo - 3 * range) return Outcome::kDiverged;
        e[j] = y[t + j] - f[j];
        if (std::isfinite(e[j])) { abs_sum += std::abs(e[j]); count += 1; }
      }
      c.v.errors.push_back(std::move(e));
      c.forecasts.push_back(f);
      ++next_origin;
    }
    const double one = c.model->one_step();
    c.one_step.push_back(one);
    if (std::isfinite(y[t])) c.v.one_step_abs.push_back(std::abs(y[t] - one));
    c.model->update(y[t]);
  }
  c.v.mase = count > 0 ? abs_sum / count / scale : kNaN;
  // No finite actual in any validation window (all gaps): nothing was learnt about this model.
  return std::isfinite(c.v.mase) ? Outcome::kValidated : Outcome::kNotFitted;
}

constexpr std::size_t kAll = static_cast<std::size_t>(-1);

// Mean absolute error over every origin but `skip`.
double mae_except(const std::vector<std::vector<double>>& errors, std::size_t skip) {
  double sum = 0, count = 0;
  for (std::size_t r = 0; r < errors.size(); ++r) {
    if (r == skip) continue;
    for (double e : errors[r])
      if (std::isfinite(e)) { sum += std::abs(e); count += 1; }
  }
  return count > 0 ? sum / count : INFINITY;
}

struct Choice {
  std::vector<std::size_t> members;  // indices into the candidates; one = a single model
  double mae = INFINITY;             // over the origins it was chosen on
};

double combined(const std::vector<Candidate>& ok, const Choice& c, std::size_t r, std::size_t j, const SelectConfig& cfg) {
  if (c.members.size() == 1) return ok[c.members[0]].forecasts[r][j];
  double col[16];
  std::size_t k = 0;
  double sum = 0;
  for (std::size_t i : c.members) { col[k++] = ok[i].forecasts[r][j]; sum += ok[i].forecasts[r][j]; }
  if (!cfg.ensemble_median) return sum / static_cast<double>(k);
  return median(std::vector<double>(col, col + k));
}

// The best single candidate, or the mean of the best k when that validates better (or always,
// when so configured), judged on every origin but `skip`.
Choice choose(const std::vector<Candidate>& ok, std::size_t skip, const SelectConfig& cfg) {
  std::vector<std::pair<double, std::size_t>> ranked;
  for (std::size_t i = 0; i < ok.size(); ++i) ranked.push_back({mae_except(ok[i].v.errors, skip), i});
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Choice best{{ranked[0].second}, ranked[0].first};
  const std::size_t k = std::min({cfg.ensemble_top, ranked.size(), std::size_t{16}});
  if (k < 2) return best;
  Choice ens;
  for (std::size_t i = 0; i < k; ++i) ens.members.push_back(ranked[i].second);
  const std::size_t origins = ok[0].forecasts.size(), h = origins ? ok[0].forecasts[0].size() : 0;
  double sum = 0, count = 0;
  for (std::size_t r = 0; r < origins; ++r) {
    if (r == skip) continue;
    for (std::size_t j = 0; j < h; ++j) {
      // actual = single forecast + its error, the same for every candidate
      const double actual = ok[ranked[0].second].forecasts[r][j] + ok[ranked[0].second].v.errors[r][j];
      if (!std::isfinite(actual)) continue;
      sum += std::abs(actual - combined(ok, ens, r, j, cfg));
      count += 1;
    }
  }
  ens.mae = count > 0 ? sum / count : INFINITY;
  return (cfg.ensemble_always || ens.mae < best.mae) ? ens : best;
}

}  // namespace

std::optional<Selection> select_model(const std::vector<double>& input, const Options& o, std::string* error,
                                      const SelectConfig& cfg) {
  auto fail = [&](std::string msg) -> std::optional<Selection> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  if (o.horizon == 0 || o.horizon > 100000)
    return fail("horizon " + std::to_string(o.horizon) + " steps; expected 1..100000");
  for (double l : o.levels)
    if (!(l > 0 && l < 1)) return fail("interval level " + fmt("%g", l) + "; expected a value in (0, 1), e.g. 0.95");
  if (!(o.step_seconds > 0) || !std::isfinite(o.step_seconds))
    return fail("step_seconds " + fmt("%g", o.step_seconds) + "; expected a positive number of seconds");

  Selection s;
  s.levels = o.levels;
  s.horizon = o.horizon;
  s.non_negative = o.non_negative;
  // Clean: non-finite values are gaps; leading gaps carry no information.
  std::size_t first = 0;
  while (first < input.size() && !std::isfinite(input[first])) ++first;
  std::vector<double> y(input.begin() + static_cast<std::ptrdiff_t>(first), input.end());
  std::size_t gaps = 0, negatives = 0, finite = 0;
  double lo = INFINITY, hi = -INFINITY;
  for (double& v : y) {
    if (!std::isfinite(v)) { v = kNaN; ++gaps; continue; }
    ++finite;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    if (v < 0) ++negatives;
  }
  if (finite < 3) return fail(std::to_string(finite) + " finite points; need at least 3");
  if (gaps * 2 > y.size())
    return fail(std::to_string(gaps) + " of " + std::to_string(y.size()) + " points are gaps (NaN/inf); at most half may be");
  if (first > 0) s.notes.push_back(std::to_string(first) + " leading gaps dropped");
  if (gaps > 0)
    s.notes.push_back(std::to_string(gaps) + " gaps (NaN/inf) of " + std::to_string(y.size()) +
                      " points: skipped by the smoothing models, interpolated for lag features");
  if (negatives > 0 && o.non_negative)
    s.notes.push_back(std::to_string(negatives) + " negative values (min " + fmt("%g", lo) +
                      ") in a quantity declared non-negative; kept, and the forecast is floored at 0");
  s.lo = lo;
  s.hi = hi;
  const std::size_t n = y.size(), h = o.horizon;

  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(hi))) {
    s.notes.push_back("constant series at " + fmt("%g", hi) + ": flat forecast, zero-width bands");
    s.model = make_seasonal_naive(1);
    const std::vector<double> flat(n, hi);
    s.model->fit(flat, flat, nullptr);
    s.validation_mase = 0;
    s.validation_coverage = 1;
    calibrate_naive(flat, 1, &s);
    return s;
  }

  // Seasons: the caller's, or detected; each must fit twice into what is left for fitting.
  std::vector<std::size_t> seasons;
  if (o.seasons.empty()) {
    seasons = detect_seasons(y, o.step_seconds);
  } else {
    for (std::size_t m : o.seasons) {
      if (m >= 2 && m <= n / 2) seasons.push_back(m);
      else s.notes.push_back("season " + std::to_string(m) + " ignored: expected 2.." + std::to_string(n / 2) + " steps for " + std::to_string(n) + " points");
    }
  }
  std::sort(seasons.begin(), seasons.end());
  seasons.erase(std::unique(seasons.begin(), seasons.end()), seasons.end());
  if (seasons.size() > 2) {
    s.notes.push_back("only the two shortest periods are modelled; " + std::to_string(seasons.size() - 2) + " longer ignored");
    seasons.resize(2);
  }
  Plan plan;
  while (true) {
    plan = plan_validation(n, h, seasons.empty() ? 0 : seasons.back(), cfg);
    if (plan.origins > 0 || seasons.empty()) break;
    s.notes.push_back("period " + std::to_string(seasons.back()) + " dropped: " + std::to_string(n) +
                      " points are too few to fit it and validate a " + std::to_string(h) + "-step horizon");
    seasons.pop_back();
  }
  s.seasons = seasons;
  const std::size_t m1 = seasons.empty() ? 1 : seasons.front();
  const std::vector<double> filled = fill_gaps(y, m1);
  const double scale = mase_scale(std::span<const double>(y).subspan(0, plan.origins ? plan.fit_len : n), m1);

  const std::size_t period = seasons.empty() ? 1 : m1;
  auto naive_fallback = [&](const std::string& reason) -> std::optional<Selection> {
    s.notes.push_back(reason + ": " + (period > 1 ? "seasonal naive" : "naive") + " fallback, normal-approximation bands");
    s.model = make_seasonal_naive(period);
    s.model->fit(y, filled, nullptr);
    calibrate_naive(y, period, &s);
    return std::move(s);
  };
  if (plan.origins == 0)
    return naive_fallback(std::to_string(n) + " points are too few to validate a " + std::to_string(h) + "-step forecast");

  // Log-scale models need positive values; a shift keeps series with zeros eligible.
  const bool positive = lo >= 0;
  const double shift = lo > 0 ? 0.0 : 0.05 * std::max(1e-9, hi) + (lo < 0 ? -lo : 0);
  std::vector<Candidate> cands = candidates(seasons, positive, shift, cfg);
  std::vector<Candidate> ok;
  std::string diverged;
  for (Candidate& c : cands) {
    switch (validate(c, y, filled, plan, h, scale, lo, hi)) {
      case Outcome::kValidated: ok.push_back(std::move(c)); break;
      case Outcome::kDiverged: diverged += (diverged.empty() ? "" : ", ") + c.family; break;
      case Outcome::kNotFitted: break;  // e.g. multiplicative on a series with zeros: not a candidate
    }
  }
  if (!diverged.empty()) s.notes.push_back("diverged in validation, dropped: " + diverged);
  if (ok.empty()) return naive_fallback("no candidate model could be validated");

  const Choice final_choice = choose(ok, kAll, cfg);
  // The bands are calibrated on what the whole procedure would have got wrong: at each origin,
  // the errors of the model that selection picks WITHOUT that origin. Calibrating on the chosen
  // model's own errors would be optimistic, since they are the errors it was chosen for.
  Validation honest;
  for (std::size_t r = 0; r < plan.origins; ++r) {
    const Choice c = plan.origins > 2 ? choose(ok, r, cfg) : final_choice;
    std::vector<double> e(h);
    for (std::size_t j = 0; j < h; ++j) e[j] = y[plan.fit_len + r * plan.stride + j] - combined(ok, c, r, j, cfg);
    honest.errors.push_back(std::move(e));
  }
  std::vector<double> col;
  for (std::size_t t = 0; t < ok.front().one_step.size(); ++t) {
    col.clear();
    for (std::size_t i : final_choice.members) col.push_back(ok[i].one_step[t]);
    const double f = cfg.ensemble_median ? median(col) : std::accumulate(col.begin(), col.end(), 0.0) / static_cast<double>(col.size());
    const double actual = y[plan.fit_len + t];
    if (std::isfinite(actual)) honest.one_step_abs.push_back(std::abs(actual - f));
  }
  if (final_choice.members.size() == 1) {
    s.model = ok[final_choice.members[0]].model->clone();
  } else {
    std::vector<std::unique_ptr<Model>> members;
    for (std::size_t i : final_choice.members) members.push_back(ok[i].model->clone());
    s.model = make_ensemble(std::move(members), cfg.ensemble_median);
  }
  s.validation_mase = final_choice.mae / scale;
  calibrate(honest, &s);
  s.notes.push_back("validated " + std::to_string(ok.size()) + " candidates at " + std::to_string(plan.origins) +
                    " rolling origins (every " + std::to_string(plan.stride) + " steps, fitted on the first " +
                    std::to_string(plan.fit_len) + " points)");
  return s;
}

}  // namespace opspilot::agent::forecast::detail
