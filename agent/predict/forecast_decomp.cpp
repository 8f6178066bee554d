// Multi-seasonal decomposition (in the spirit of MSTL): each period's profile is estimated in
// turn from the series with the other profiles and a centred moving-average trend removed, as the
// per-phase median over recent cycles (medians, so outliers do not leak into the profile). The
// deseasonalised rest is forecast by damped Holt; online, the residuals also nudge the profiles.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "agent/predict/forecast_internal.h"

namespace opspilot::agent::forecast::detail {
namespace {

// Profiles are medians over at most this many recent cycles: recent enough to follow a pattern
// that drifts, enough cycles to be robust.
constexpr std::size_t kProfileCycles = 3;

// Centred moving average of window w (w even: the usual 2 x w average), NaN where the window
// does not fit.
std::vector<double> centred_average(std::span<const double> x, std::size_t w) {
  const std::size_t n = x.size();
  std::vector<double> out(n, kNaN), prefix(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + x[i];
  const std::size_t half = w / 2;
  for (std::size_t t = half; t + half < n; ++t) {
    if (w % 2 == 1) {
      out[t] = (prefix[t + half + 1] - prefix[t - half]) / static_cast<double>(w);
    } else {
      // Two overlapping windows of w, averaged: symmetric around t.
      const double a = prefix[t + half] - prefix[t - half];
      const double b = prefix[t + half + 1] - prefix[t - half + 1];
      out[t] = (a + b) / (2.0 * static_cast<double>(w));
    }
  }
  return out;
}

class Decomposition final : public Model {
 public:
  explicit Decomposition(DecompSpec spec) : spec_(std::move(spec)), rest_(make_ets({true, true, false, {}})) {
    std::sort(spec_.seasons.begin(), spec_.seasons.end());
  }
  Decomposition(const Decomposition& o)
      : Model(o), spec_(o.spec_), rest_(o.rest_->clone()), profile_(o.profile_), phase_(o.phase_) {}
  std::unique_ptr<Model> clone() const override { return std::make_unique<Decomposition>(*this); }

  bool fit(std::span<const double> y, std::span<const double> filled, std::string* why) override {
    const std::size_t n = y.size();
    const std::size_t k = spec_.seasons.size();
    if (k == 0 || n < 2 * spec_.seasons.back() + 2) {
      if (why) *why = std::to_string(n) + " points; the decomposition needs two cycles of every period";
      return false;
    }
    profile_.assign(k, {});
    phase_.assign(k, 0);
    for (std::size_t i = 0; i < k; ++i) profile_[i].assign(spec_.seasons[i], 0.0);
    std::vector<double> x(n);
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t i = 0; i < k; ++i) {
        const std::size_t m = spec_.seasons[i];
        for (std::size_t t = 0; t < n; ++t) {
          x[t] = filled[t];
          for (std::size_t j = 0; j < k; ++j)
            if (j != i) x[t] -= profile_[j][t % spec_.seasons[j]];
        }
        const std::vector<double> trend = centred_average(x, m);
        std::vector<std::vector<double>> by_phase(m);
        const std::size_t from = n > kProfileCycles * m + m ? n - kProfileCycles * m - m / 2 : 0;
        for (std::size_t t = from; t < n; ++t)
          if (std::isfinite(trend[t]) && std::isfinite(y[t])) by_phase[t % m].push_back(x[t] - trend[t]);
        double mean = 0;
        for (std::size_t p = 0; p < m; ++p) {
          profile_[i][p] = by_phase[p].empty() ? 0.0 : median(std::move(by_phase[p]));
          mean += profile_[i][p];
        }
        mean /= static_cast<double>(m);
        for (double& v : profile_[i]) v -= mean;
      }
    }
    std::vector<double> dy(n), df(n);
    for (std::size_t t = 0; t < n; ++t) {
      double s = 0;
      for (std::size_t i = 0; i < k; ++i) s += profile_[i][t % spec_.seasons[i]];
      dy[t] = std::isfinite(y[t]) ? y[t] - s : kNaN;
      df[t] = filled[t] - s;
    }
    for (std::size_t i = 0; i < k; ++i) phase_[i] = n % spec_.seasons[i];
    return rest_->fit(dy, df, why);
  }

  void update(double y) override {
    const double s = seasonal(0);
    if (std::isfinite(y) && spec_.profile_rate > 0) {
      const double e = y - s - rest_->one_step();
      for (std::size_t i = 0; i < profile_.size(); ++i)
        profile_[i][phase_[i]] += spec_.profile_rate * e / static_cast<double>(profile_.size());
    }
    rest_->update(std::isfinite(y) ? y - s : kNaN);
    for (std::size_t i = 0; i < profile_.size(); ++i) phase_[i] = (phase_[i] + 1) % spec_.seasons[i];
  }

  void predict(std::span<double> out) const override {
    rest_->predict(out);
    for (std::size_t h = 0; h < out.size(); ++h) out[h] += seasonal(h);
  }

  double one_step() const override { return rest_->one_step() + seasonal(0); }

  std::string describe() const override {
    std::string s = "decomposition (periods ";
    for (std::size_t i = 0; i < spec_.seasons.size(); ++i) s += (i ? "+" : "") + std::to_string(spec_.seasons[i]);
    char buf[64];
    std::snprintf(buf, sizeof buf, ", profile rate %.2f) + ", spec_.profile_rate);
    return s + buf + rest_->describe();
  }

  std::size_t state_bytes() const override {
    std::size_t b = sizeof(*this) + rest_->state_bytes();
    for (const auto& p : profile_) b += p.capacity() * sizeof(double);
    return b;
  }

 private:
  double seasonal(std::size_t ahead) const {
    double s = 0;
    for (std::size_t i = 0; i < profile_.size(); ++i) s += profile_[i][(phase_[i] + ahead) % spec_.seasons[i]];
    return s;
  }

  DecompSpec spec_;
  std::unique_ptr<Model> rest_;
  std::vector<std::vector<double>> profile_;
  std::vector<std::size_t> phase_;
};

}  // namespace

std::unique_ptr<Model> make_decomp(const DecompSpec& spec) { return std::make_unique<Decomposition>(spec); }

}  // namespace opspilot::agent::forecast::detail
