// The simple members of the model family: seasonal naive (the baseline and the fallback), the
// log-scale wrapper and the ensemble (mean or median of fitted members).
#include <algorithm>
#include <cmath>

#include "agent/predict/forecast_internal.h"

namespace opspilot::agent::forecast::detail {
namespace {

class SeasonalNaive final : public Model {
 public:
  explicit SeasonalNaive(std::size_t period) : period_(std::max<std::size_t>(period, 1)) {}
  std::unique_ptr<Model> clone() const override { return std::make_unique<SeasonalNaive>(*this); }

  bool fit(std::span<const double>, std::span<const double> filled, std::string* why) override {
    if (filled.empty()) {
      if (why) *why = "no points";
      return false;
    }
    // With less than one cycle, the shorter history repeats (still the best guess we have).
    const std::size_t m = std::min(period_, filled.size());
    // buf_[(head_ + h) % period_] is the forecast h + 1 steps ahead: the value one period back.
    buf_.assign(period_, 0.0);
    for (std::size_t i = 0; i < period_; ++i) buf_[i] = filled[filled.size() - m + (i % m)];
    head_ = 0;
    return true;
  }

  void update(double y) override {
    if (std::isfinite(y)) buf_[head_] = y;  // a gap keeps the value of the cycle before
    head_ = (head_ + 1) % period_;
  }

  void predict(std::span<double> out) const override {
    for (std::size_t h = 0; h < out.size(); ++h) out[h] = buf_[(head_ + h) % period_];
  }

  double one_step() const override { return buf_[head_]; }

  std::string describe() const override {
    return period_ == 1 ? "naive (last value)" : "seasonal naive (period " + std::to_string(period_) + ")";
  }
  std::size_t state_bytes() const override { return sizeof(*this) + buf_.capacity() * sizeof(double); }

 private:
  std::size_t period_;
  std::vector<double> buf_;
  std::size_t head_ = 0;
};

class LogScale final : public Model {
 public:
  LogScale(std::unique_ptr<Model> inner, double shift) : inner_(std::move(inner)), shift_(shift) {}
  LogScale(const LogScale& o)
      : Model(o), inner_(o.inner_->clone()), shift_(o.shift_), floor_(o.floor_), zlo_(o.zlo_), zhi_(o.zhi_) {}
  std::unique_ptr<Model> clone() const override { return std::make_unique<LogScale>(*this); }

  bool fit(std::span<const double> y, std::span<const double> filled, std::string* why) override {
    double lo = INFINITY;
    for (double v : filled) lo = std::min(lo, v + shift_);
    if (!(lo > 0)) {
      if (why) *why = "log scale needs positive values";
      return false;
    }
    floor_ = lo * 0.01;
    std::vector<double> zy(y.size()), zf(filled.size());
    zlo_ = INFINITY;
    zhi_ = -INFINITY;
    for (std::size_t i = 0; i < y.size(); ++i) {
      zy[i] = std::isfinite(y[i]) ? to_log(y[i]) : kNaN;
      zf[i] = to_log(filled[i]);
      zlo_ = std::min(zlo_, zf[i]);
      zhi_ = std::max(zhi_, zf[i]);
    }
    return inner_->fit(zy, zf, why);
  }

  void update(double y) override { inner_->update(std::isfinite(y) ? to_log(y) : kNaN); }

  void predict(std::span<double> out) const override {
    inner_->predict(out);
    // exp() of an extrapolated log can overflow; a forecast beyond e^2 (7x) of the history's
    // log range on either side is not believable anyway.
    const double span = std::max(zhi_ - zlo_, 0.1);
    for (double& v : out) {
      const double z = std::isfinite(v) ? std::clamp(v, zlo_ - 2 * span, zhi_ + 2 * span) : zhi_;
      v = std::exp(z) - shift_;
    }
  }

  double one_step() const override {
    const double v = inner_->one_step();
    const double span = std::max(zhi_ - zlo_, 0.1);
    return std::exp(std::isfinite(v) ? std::clamp(v, zlo_ - 2 * span, zhi_ + 2 * span) : zhi_) - shift_;
  }

  std::string describe() const override { return inner_->describe() + " on log scale"; }
  std::size_t state_bytes() const override { return sizeof(*this) + inner_->state_bytes(); }

 private:
  double to_log(double v) const { return std::log(std::max(v + shift_, floor_)); }

  std::unique_ptr<Model> inner_;
  double shift_ = 0, floor_ = 1e-9, zlo_ = 0, zhi_ = 0;
};

class Ensemble final : public Model {
 public:
  Ensemble(std::vector<std::unique_ptr<Model>> members, bool median)
      : members_(std::move(members)), median_(median) {}
  Ensemble(const Ensemble& o) : Model(o), median_(o.median_) {
    for (const auto& m : o.members_) members_.push_back(m->clone());
  }
  std::unique_ptr<Model> clone() const override { return std::make_unique<Ensemble>(*this); }

  bool fit(std::span<const double> y, std::span<const double> filled, std::string* why) override {
    for (auto& m : members_)
      if (!m->fit(y, filled, why)) return false;
    return !members_.empty();
  }
  void update(double y) override {
    for (auto& m : members_) m->update(y);
  }
  void predict(std::span<double> out) const override {
    std::vector<std::vector<double>> f(members_.size(), std::vector<double>(out.size()));
    for (std::size_t i = 0; i < members_.size(); ++i) members_[i]->predict(f[i]);
    std::vector<double> col(members_.size());
    for (std::size_t h = 0; h < out.size(); ++h) {
      double sum = 0;
      for (std::size_t i = 0; i < members_.size(); ++i) { col[i] = f[i][h]; sum += col[i]; }
      out[h] = median_ ? median(col) : sum / static_cast<double>(col.size());
    }
  }
  double one_step() const override {
    double sum = 0;
    if (!median_) {
      for (const auto& m : members_) sum += m->one_step();
      return sum / static_cast<double>(members_.size());
    }
    std::vector<double> col;
    for (const auto& m : members_) col.push_back(m->one_step());
    return median(col);
  }

  std::string describe() const override {
    std::string s = std::string(median_ ? "median" : "mean") + " of " + std::to_string(members_.size()) + " models [";
    for (std::size_t i = 0; i < members_.size(); ++i) s += (i ? "; " : "") + members_[i]->describe();
    return s + "]";
  }
  std::size_t state_bytes() const override {
    std::size_t b = sizeof(*this);
    for (const auto& m : members_) b += m->state_bytes();
    return b;
  }

 private:
  std::vector<std::unique_ptr<Model>> members_;
  bool median_;
};

}  // namespace

std::unique_ptr<Model> make_seasonal_naive(std::size_t period) { return std::make_unique<SeasonalNaive>(period); }
std::unique_ptr<Model> make_log(std::unique_ptr<Model> inner, double shift) {
  return std::make_unique<LogScale>(std::move(inner), shift);
}
std::unique_ptr<Model> make_ensemble(std::vector<std::unique_ptr<Model>> members, bool median) {
  return std::make_unique<Ensemble>(std::move(members), median);
}

}  // namespace opspilot::agent::forecast::detail
