// The public entry points: the one-shot forecast() and the OnlineForecaster, both thin layers
// over select_model() (forecast_select.cpp) and make_forecast() (forecast_calibrate.cpp).
#include <algorithm>
#include <cmath>

#include "agent/predict/forecast_internal.h"

namespace opspilot::agent::forecast {

using detail::Selection;

namespace {
// The live one-step error scale follows |error| with about a 100-observation memory: slow
// enough that one burst does not blow the bands up, fast enough to notice a noisier regime.
constexpr double kSigmaRate = 0.01;
// An error beyond this many current sigmas counts as this many: outliers widen the bands a
// little, a regime change widens them steadily.
constexpr double kSigmaClip = 5;
}  // namespace

std::vector<double> default_levels() { return {0.80, 0.95}; }

std::optional<Forecast> forecast(const std::vector<double>& y, const Options& o, std::string* error) {
  std::optional<Selection> s = detail::select_model(y, o, error);
  if (!s) return std::nullopt;
  std::vector<double> mean(o.horizon);
  s->model->predict(mean);
  return detail::make_forecast(*s, mean, s->sigma_at_fit);
}

struct OnlineForecaster::Impl {
  Selection sel;
  std::string model_name;
  double sigma = 0;     // running mean absolute one-step error
  double next = 0;      // the model's forecast of the next observation
  std::size_t updates = 0;
};

OnlineForecaster::OnlineForecaster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OnlineForecaster::OnlineForecaster(OnlineForecaster&&) noexcept = default;
OnlineForecaster& OnlineForecaster::operator=(OnlineForecaster&&) noexcept = default;
OnlineForecaster::~OnlineForecaster() = default;

std::optional<OnlineForecaster> OnlineForecaster::fit(const std::vector<double>& y, const Options& o,
                                                      std::string* error) {
  std::optional<Selection> s = detail::select_model(y, o, error);
  if (!s) return std::nullopt;
  auto impl = std::make_unique<Impl>();
  impl->sel = std::move(*s);
  impl->model_name = impl->sel.model->describe();
  impl->sigma = impl->sel.sigma_at_fit;
  impl->next = impl->sel.model->one_step();
  return OnlineForecaster(std::move(impl));
}

void OnlineForecaster::update(double y) {
  Impl& s = *impl_;
  if (std::isfinite(y)) {
    double e = std::abs(y - s.next);
    if (s.sigma > 0) e = std::min(e, kSigmaClip * s.sigma);
    if (std::isfinite(e)) s.sigma = (1 - kSigmaRate) * s.sigma + kSigmaRate * e;
    // The sanity range grows with what is seen, so the output clamp never fights real data.
    s.sel.lo = std::min(s.sel.lo, y);
    s.sel.hi = std::max(s.sel.hi, y);
  } else {
    y = detail::kNaN;
  }
  s.sel.model->update(y);
  s.next = s.sel.model->one_step();
  if (!std::isfinite(s.next)) s.next = std::isfinite(y) ? y : s.sel.hi;
  ++s.updates;
}

Forecast OnlineForecaster::predict(std::size_t horizon) const {
  std::vector<double> mean(horizon);
  impl_->sel.model->predict(mean);
  Forecast f = detail::make_forecast(impl_->sel, mean, impl_->sigma);
  return f;
}

std::size_t OnlineForecaster::updates_since_fit() const { return impl_->updates; }
const std::string& OnlineForecaster::model() const { return impl_->model_name; }

std::size_t OnlineForecaster::state_bytes() const {
  std::size_t b = sizeof(OnlineForecaster) + sizeof(Impl) + impl_->sel.model->state_bytes();
  for (const auto& v : impl_->sel.lower_off) b += v.capacity() * sizeof(double);
  for (const auto& v : impl_->sel.upper_off) b += v.capacity() * sizeof(double);
  for (const auto& n : impl_->sel.notes) b += n.capacity();
  return b + impl_->model_name.capacity();
}

}  // namespace opspilot::agent::forecast
