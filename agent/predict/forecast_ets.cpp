// Holt-Winters / seasonal exponential smoothing: additive or multiplicative seasonality with up
// to two periods (Taylor's double-seasonal form for daily + weekly), optional damped trend,
// smoothing parameters fitted by Nelder–Mead on the one-step squared error.
//
// Robustness: a residual beyond clip_k robust sigmas is clipped before it touches the state, so
// one outlier moves the level by at most alpha * clip_k * sigma; a gap (NaN) advances the level
// by the trend and the seasonal phase by one step without learning anything.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "agent/predict/forecast_internal.h"

namespace opspilot::agent::forecast::detail {
namespace {

// Residual sigma follows |e| at this rate; 1.25 turns a mean absolute error into a normal sigma.
constexpr double kSigmaRate = 0.02;
constexpr double kAbsToSigma = 1.2533;
// Seasonal factors of the multiplicative form are kept in a range where no single factor can
// zero out or blow up the forecast.
constexpr double kFactorMin = 0.02, kFactorMax = 50;
// Parameters are fitted on at most this many recent points: smoothing forgets older data anyway,
// and it bounds the fitting cost on long histories.
constexpr std::size_t kFitCap = 800;

struct Params {
  double alpha = 0.3, beta = 0, phi = 1;
  std::array<double, 2> gamma{0.1, 0.1};
};

struct State {
  double level = 0, trend = 0, sigma = 1;
  std::array<std::vector<double>, 2> season;
  std::array<std::size_t, 2> phase{0, 0};
};

class Ets final : public Model {
 public:
  explicit Ets(EtsSpec spec) : spec_(std::move(spec)) {
    if (!spec_.trend) spec_.damped = false;
    std::sort(spec_.seasons.begin(), spec_.seasons.end());
    if (spec_.seasons.size() > 2) spec_.seasons.resize(2);
  }
  std::unique_ptr<Model> clone() const override { return std::make_unique<Ets>(*this); }

  bool fit(std::span<const double> y, std::span<const double> filled, std::string* why) override {
    const std::size_t m_max = spec_.seasons.empty() ? 0 : spec_.seasons.back();
    const std::size_t need = std::max<std::size_t>(2 * m_max, 6);
    if (y.size() < need) {
      if (why) *why = std::to_string(y.size()) + " points; Holt-Winters needs at least " + std::to_string(need);
      return false;
    }
    const std::size_t start = y.size() > std::max(kFitCap, 3 * m_max) ? y.size() - std::max(kFitCap, 3 * m_max) : 0;
    y = y.subspan(start);
    filled = filled.subspan(start);
    State init;
    if (!initial_state(filled, &init, why)) return false;

    // Unconstrained coordinates -> parameters in their admissible ranges.
    const std::size_t k = spec_.seasons.size();
    auto decode = [&](const std::vector<double>& u) {
      Params p;
      std::size_t i = 0;
      p.alpha = 0.001 + 0.998 * logistic(u[i++]);
      if (spec_.trend) p.beta = 0.3 * p.alpha * logistic(u[i++]);
      if (spec_.damped) p.phi = 0.8 + 0.18 * logistic(u[i++]);
      for (std::size_t s = 0; s < k; ++s) p.gamma[s] = (1 - p.alpha) * 0.999 * logistic(u[i++]);
      return p;
    };
    // Two starts (a slow level with a lively season, and the reverse), then a restart from the
    // better one with a smaller simplex: one-step SSE surfaces have corners (alpha -> 1 with a
    // frozen season) where a single Nelder–Mead run likes to get stuck.
    auto initial_point = [&](double alpha, double gamma_share) {
      std::vector<double> u0{logit(alpha / 0.998)};
      if (spec_.trend) u0.push_back(logit(0.1));
      if (spec_.damped) u0.push_back(0.0);
      for (std::size_t s = 0; s < k; ++s) u0.push_back(logit(gamma_share));
      return u0;
    };
    const auto objective = [&](const std::vector<double>& x) { return run(decode(x), init, y, nullptr); };
    const int budget = 30 * static_cast<int>(initial_point(0.3, 0.1).size()) + 30;
    double best = 0, other = 0;
    std::vector<double> u = nelder_mead(objective, initial_point(0.1, 0.4), 1.0, budget, &best);
    const std::vector<double> v = nelder_mead(objective, initial_point(0.5, 0.05), 1.0, budget, &other);
    if (other < best) u = v;
    u = nelder_mead(objective, u, 0.3, budget / 2, &best);
    params_ = decode(u);
    state_ = init;
    const double sse = run(params_, init, y, &state_);
    if (!std::isfinite(sse) || !std::isfinite(state_.level)) {
      if (why) *why = "Holt-Winters diverged while fitting";
      return false;
    }
    return true;
  }

  void update(double y) override { step(params_, state_, y); }

  void predict(std::span<double> out) const override {
    double damp = 0, phi_h = 1;
    for (std::size_t h = 0; h < out.size(); ++h) {
      phi_h *= params_.phi;
      damp += spec_.damped ? phi_h : 1.0;
      const double base = state_.level + damp * state_.trend;
      out[h] = combine(base, state_, h);
    }
  }

  double one_step() const override { return combine(state_.level + params_.phi * state_.trend, state_, 0); }

  std::string describe() const override {
    char buf[256];
    std::string s = spec_.seasons.empty() ? "exponential smoothing" : "Holt-Winters";
    s += spec_.seasons.empty() ? "" : (spec_.multiplicative ? " multiplicative" : " additive");
    std::snprintf(buf, sizeof buf, " (alpha %.3f", params_.alpha);
    s += buf;
    if (spec_.trend) {
      std::snprintf(buf, sizeof buf, ", %strend beta %.3f", spec_.damped ? "damped " : "", params_.beta);
      s += buf;
      if (spec_.damped) { std::snprintf(buf, sizeof buf, " phi %.3f", params_.phi); s += buf; }
    }
    for (std::size_t i = 0; i < spec_.seasons.size(); ++i) {
      std::snprintf(buf, sizeof buf, ", season %zu gamma %.3f", spec_.seasons[i], params_.gamma[i]);
      s += buf;
    }
    return s + ")";
  }

  std::size_t state_bytes() const override {
    return sizeof(*this) + (state_.season[0].capacity() + state_.season[1].capacity()) * sizeof(double);
  }

 private:
  double combine(double base, const State& st, std::size_t ahead) const {
    double v = base;
    for (std::size_t s = 0; s < spec_.seasons.size(); ++s) {
      const double f = st.season[s][(st.phase[s] + ahead) % spec_.seasons[s]];
      v = spec_.multiplicative ? v * f : v + f;
    }
    return v;
  }

  // One observation; returns the clipped squared one-step error (0 for a gap).
  double step(const Params& p, State& st, double y) const {
    const double base = st.level + p.phi * st.trend;
    const std::size_t k = spec_.seasons.size();
    double e2 = 0;
    if (std::isfinite(y)) {
      double yhat = base;
      for (std::size_t s = 0; s < k; ++s) {
        const double f = st.season[s][st.phase[s]];
        yhat = spec_.multiplicative ? yhat * f : yhat + f;
      }
      const double e = y - yhat;
      const double lim = spec_.clip_k * st.sigma;
      const double ec = std::clamp(e, -lim, lim);
      st.sigma = (1 - kSigmaRate) * st.sigma + kSigmaRate * kAbsToSigma * std::min(std::abs(e), lim);
      st.sigma = std::max(st.sigma, 1e-12);
      e2 = ec * ec;
      if (!spec_.multiplicative || k == 0) {
        st.level = base + p.alpha * ec;
        st.trend = p.phi * st.trend + p.beta * ec;
        for (std::size_t s = 0; s < k; ++s) st.season[s][st.phase[s]] += p.gamma[s] * ec;
      } else {
        double prod = 1;
        for (std::size_t s = 0; s < k; ++s) prod *= st.season[s][st.phase[s]];
        // Divisions hoisted: e / prod for the level and trend, e * f / (base * prod) for each
        // factor f (the error relative to the base times the other factors).
        const double rel = ec / prod;
        const double rel_base = rel / std::max(std::abs(base), 1e-9);
        st.level = base + p.alpha * rel;
        st.trend = p.phi * st.trend + p.beta * rel;
        for (std::size_t s = 0; s < k; ++s) {
          double& f = st.season[s][st.phase[s]];
          f = std::clamp(f + p.gamma[s] * rel_base * f, kFactorMin, kFactorMax);
        }
      }
    } else {
      st.level = base;
      st.trend = p.phi * st.trend;
    }
    for (std::size_t s = 0; s < k; ++s)
      if (++st.phase[s] == spec_.seasons[s]) st.phase[s] = 0;  // no division on the hot path
    return e2;
  }

  double run(const Params& p, const State& init, std::span<const double> y, State* out) const {
    State st = init;
    double sse = 0;
    for (double v : y) sse += step(p, st, v);
    if (out) *out = std::move(st);
    return sse;
  }

  // Level, trend and seasonal profiles from the first cycles (classical decomposition).
  bool initial_state(std::span<const double> x, State* st, std::string* why) const {
    const std::size_t k = spec_.seasons.size();
    const std::size_t m_max = k ? spec_.seasons.back() : std::min<std::size_t>(x.size(), 12);
    const std::size_t cycles = std::clamp<std::size_t>(x.size() / m_max, 1, 2);
    std::vector<double> cycle_mean(cycles, 0.0);
    for (std::size_t c = 0; c < cycles; ++c) {
      for (std::size_t i = 0; i < m_max; ++i) cycle_mean[c] += x[c * m_max + i];
      cycle_mean[c] /= static_cast<double>(m_max);
    }
    if (spec_.multiplicative && k &&
        *std::min_element(cycle_mean.begin(), cycle_mean.end()) <= 0) {
      if (why) *why = "multiplicative seasonality needs a positive level";
      return false;
    }
    st->trend = (spec_.trend && cycles > 1) ? (cycle_mean[1] - cycle_mean[0]) / static_cast<double>(m_max) : 0.0;
    st->level = cycle_mean[0] - st->trend * static_cast<double>(m_max - 1) / 2;
    const bool mult = spec_.multiplicative;
    // Deviation of x[i] from its cycle mean, less the profiles already estimated.
    auto deviation = [&](std::size_t c, std::size_t i, std::size_t upto) {
      double v = x[c * m_max + i];
      v = mult ? v / cycle_mean[c] : v - cycle_mean[c];
      for (std::size_t s = 0; s < upto; ++s) {
        const double f = st->season[s][(c * m_max + i) % spec_.seasons[s]];
        v = mult ? v / f : v - f;
      }
      return v;
    };
    for (std::size_t s = 0; s < k; ++s) {
      const std::size_t m = spec_.seasons[s];
      std::vector<double> sum(m, 0.0), count(m, 0.0);
      for (std::size_t c = 0; c < cycles; ++c)
        for (std::size_t i = 0; i < m_max; ++i) {
          sum[i % m] += deviation(c, i, s);
          count[i % m] += 1;
        }
      st->season[s].resize(m);
      for (std::size_t j = 0; j < m; ++j) {
        const double v = count[j] > 0 ? sum[j] / count[j] : (mult ? 1.0 : 0.0);
        st->season[s][j] = mult ? std::clamp(v, kFactorMin, kFactorMax) : v;
      }
    }
    // Starting sigma: the typical one-cycle change, so early clipping is neither blind nor harsh.
    st->sigma = kAbsToSigma * mase_scale(x.subspan(0, std::min(x.size(), 2 * m_max)), k ? spec_.seasons[0] : 1);
    return true;
  }

  EtsSpec spec_;
  Params params_;
  State state_;
};

}  // namespace

std::unique_ptr<Model> make_ets(const EtsSpec& spec) { return std::make_unique<Ets>(spec); }

}  // namespace opspilot::agent::forecast::detail
