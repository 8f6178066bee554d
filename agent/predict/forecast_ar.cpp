// Seasonal autoregression: y_t on lags 1..p and around each seasonal period (s-1, s, s+1, and
// two cycles back for the shortest period), fitted by ridge least squares with Eigen, forecast
// recursively. Usually wrapped in make_log so that it works on a log scale, where seasonal
// amplitude proportional to the level becomes additive.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <Eigen/Dense>

#include "agent/predict/forecast_internal.h"

namespace opspilot::agent::forecast::detail {
namespace {

class SeasonalAr final : public Model {
 public:
  explicit SeasonalAr(ArSpec spec) : spec_(std::move(spec)) {}
  std::unique_ptr<Model> clone() const override { return std::make_unique<SeasonalAr>(*this); }

  bool fit(std::span<const double> y, std::span<const double> filled, std::string* why) override {
    choose_lags(y.size());
    const std::size_t max_lag = lags_.back();
    const std::size_t k = lags_.size() + 1;
    if (y.size() < max_lag + 4 * k) {
      if (why) *why = std::to_string(y.size()) + " points; seasonal AR with lags up to " + std::to_string(max_lag) +
                      " needs at least " + std::to_string(max_lag + 4 * k);
      return false;
    }
    const std::size_t n = y.size();
    double mu = 0;
    for (double v : filled) mu += v;
    mu_ = mu / static_cast<double>(n);
    double lo = filled[0], hi = filled[0];
    for (double v : filled) { lo = std::min(lo, v); hi = std::max(hi, v); }
    range_ = std::max(hi - lo, 1e-9);

    // Normal equations accumulated row by row: X'X is k x k, so memory stays small however long
    // the history is. Rows whose target is a gap are skipped (lags use the filled series).
    Eigen::MatrixXd xtx = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
    Eigen::VectorXd xty = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(k));
    Eigen::VectorXd row(static_cast<Eigen::Index>(k));
    std::size_t rows = 0;
    for (std::size_t t = max_lag; t < n; ++t) {
      if (!std::isfinite(y[t])) continue;
      row(0) = 1;
      for (std::size_t j = 0; j < lags_.size(); ++j) row(static_cast<Eigen::Index>(j + 1)) = filled[t - lags_[j]] - mu_;
      xtx.selfadjointView<Eigen::Lower>().rankUpdate(row);
      xty += row * (y[t] - mu_);
      ++rows;
    }
    if (rows < 2 * k) {
      if (why) *why = "too many gaps for seasonal AR (" + std::to_string(rows) + " usable rows)";
      return false;
    }
    xtx = xtx.selfadjointView<Eigen::Lower>();
    const double diag = xtx.diagonal().tail(static_cast<Eigen::Index>(k - 1)).mean();
    // A recursion that explodes gets more shrinkage until it does not (or gives up).
    double ridge = spec_.ridge;
    for (int attempt = 0; attempt < 4; ++attempt, ridge *= 30) {
      Eigen::MatrixXd a = xtx;
      for (Eigen::Index i = 1; i < static_cast<Eigen::Index>(k); ++i) a(i, i) += ridge * diag;
      const Eigen::VectorXd beta = a.ldlt().solve(xty);
      if (!beta.allFinite()) continue;
      coef_.assign(beta.data(), beta.data() + beta.size());
      ridge_used_ = ridge;
      reset_buffer(filled);
      if (stable()) return true;
    }
    if (why) *why = "seasonal AR recursion diverges even with strong shrinkage";
    return false;
  }

  void update(double y) override {
    // A gap is filled with the model's own one-step forecast, so the lags stay defined.
    if (!std::isfinite(y)) y = one_step();
    buf_[head_] = y - mu_;
    head_ = (head_ + 1) % buf_.size();
  }

  void predict(std::span<double> out) const override {
    const std::size_t max_lag = buf_.size();
    std::vector<double> x(max_lag + out.size());
    for (std::size_t j = 0; j < max_lag; ++j) x[j] = buf_[(head_ + j) % max_lag];
    for (std::size_t h = 0; h < out.size(); ++h) {
      double v = coef_[0];
      for (std::size_t j = 0; j < lags_.size(); ++j) v += coef_[j + 1] * x[max_lag + h - lags_[j]];
      // Keep the recursion within a generous envelope of what the history has seen.
      v = std::clamp(v, -4 * range_, 4 * range_);
      x[max_lag + h] = v;
      out[h] = v + mu_;
    }
  }

  std::string describe() const override {
    char buf[160];
    std::string seasons;
    for (std::size_t s : spec_.seasons) seasons += (seasons.empty() ? "" : "+") + std::to_string(s);
    std::snprintf(buf, sizeof buf, "seasonal AR (%zu lags: 1..%zu%s%s, ridge %.0e)", lags_.size(),
                  std::min(spec_.short_lags, lags_.back()), seasons.empty() ? "" : ", around ",
                  seasons.c_str(), ridge_used_);
    return buf;
  }

  std::size_t state_bytes() const override {
    return sizeof(*this) + (buf_.capacity() + coef_.capacity()) * sizeof(double) +
           lags_.capacity() * sizeof(std::size_t);
  }

 private:
  void choose_lags(std::size_t n) {
    lags_.clear();
    std::vector<std::size_t> seasons = spec_.seasons;
    std::sort(seasons.begin(), seasons.end());
    for (std::size_t j = 1; j <= spec_.short_lags; ++j) lags_.push_back(j);
    for (std::size_t i = 0; i < seasons.size(); ++i) {
      const std::size_t s = seasons[i];
      if (s < 2) continue;
      for (std::size_t l : {s - 1, s, s + 1}) lags_.push_back(l);
      if (i == 0 && n > 2 * s + 8 * (spec_.short_lags + 8)) lags_.push_back(2 * s);
    }
    std::sort(lags_.begin(), lags_.end());
    lags_.erase(std::unique(lags_.begin(), lags_.end()), lags_.end());
  }

  void reset_buffer(std::span<const double> filled) {
    const std::size_t max_lag = lags_.back();
    buf_.assign(max_lag, 0.0);
    head_ = 0;
    for (std::size_t i = filled.size() - max_lag; i < filled.size(); ++i) {
      buf_[head_] = filled[i] - mu_;
      head_ = (head_ + 1) % max_lag;
    }
  }

  double one_step() const override {
    const std::size_t max_lag = buf_.size();
    double v = coef_[0];
    for (std::size_t j = 0; j < lags_.size(); ++j) v += coef_[j + 1] * buf_[(head_ + max_lag - lags_[j]) % max_lag];
    return std::clamp(v, -4 * range_, 4 * range_) + mu_;
  }

  // Runs the recursion well past any horizon we serve; it must stay inside the envelope.
  bool stable() const {
    std::vector<double> out(std::max<std::size_t>(3 * lags_.back(), 200));
    predict(out);
    const double bound = 3 * range_;
    for (double v : out)
      if (!std::isfinite(v) || std::abs(v - mu_) > bound) return false;
    return true;
  }

  ArSpec spec_;
  std::vector<std::size_t> lags_;
  std::vector<double> coef_;   // intercept, then one per lag
  std::vector<double> buf_;    // last max_lag values, centred, ring buffer
  std::size_t head_ = 0;       // next write position = oldest value
  double mu_ = 0, range_ = 1, ridge_used_ = 0;
};

}  // namespace

std::unique_ptr<Model> make_ar(const ArSpec& spec) { return std::make_unique<SeasonalAr>(spec); }

}  // namespace opspilot::agent::forecast::detail
