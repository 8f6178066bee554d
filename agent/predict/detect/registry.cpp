// The detector registry and the registered univariate detectors. Built-ins register in
// builtin_registry() (one line each) rather than from static initializers, which a static
// library's linker may drop when nothing else references their object file.
#include <algorithm>
#include <map>
#include <mutex>

#include "agent/predict/detect/detector.h"
#include "agent/predict/detect/series_core.h"

namespace opspilot::agent::detect {
namespace {

using internal::bit;
using internal::SeriesCore;

/// A univariate detector made of some of SeriesCore's components. Thread-safety: none.
class CoreDetector final : public Detector {
 public:
  /// `name` is a string literal (see builtin_registry()).
  CoreDetector(const char* name, const DetectorOptions& o, unsigned components)
      : name_(name), core_("series", o, components, name) {}
  std::string name() const override { return name_; }
  Signal update(double t, double x) override { return core_.update(t, x); }
  std::size_t state_bytes() const override { return core_.state_bytes() + sizeof(*this) - sizeof(core_); }
  InputCounts input_counts() const override { return core_.input_counts(); }

 private:
  const char* name_;
  SeriesCore core_;
};

/// Burn rate over an error-ratio series, as a univariate detector. Thread-safety: none.
class BurnRateDetector final : public Detector {
 public:
  explicit BurnRateDetector(const DetectorOptions&) : burn_("error ratio") {}
  std::string name() const override { return "burn-rate"; }
  Signal update(double t, double x) override { return burn_.update_ratio(t, x); }
  std::size_t state_bytes() const override { return burn_.state_bytes() + sizeof(*this) - sizeof(burn_); }
  InputCounts input_counts() const override { return burn_.input_counts(); }

 private:
  BurnRate burn_;
};

DetectorFactory core(const char* name, unsigned components) {
  return [name, components](const DetectorOptions& o) -> std::unique_ptr<Detector> {
    return std::make_unique<CoreDetector>(name, o, components);
  };
}

/// Name -> factory. Thread-safety: every access holds `mu`; factories run outside the lock.
struct Registry {
  std::mutex mu;
  std::map<std::string, DetectorFactory> factories;
  bool add(const std::string& name, DetectorFactory f) {
    if (name.empty() || !f) return false;
    std::lock_guard lock(mu);
    return factories.emplace(name, std::move(f)).second;
  }
};

Registry& builtin_registry() {
  static Registry* r = [] {
    auto* reg = new Registry;  // never destroyed: detectors may be made during static teardown
    reg->add("robust-z", core("robust-z", bit(internal::kRobustZ)));
    reg->add("iqr", core("iqr", bit(internal::kIqr)));
    reg->add("seasonal-residual", core("seasonal-residual", bit(internal::kSeasonal)));
    reg->add("cusum", core("cusum", bit(internal::kCusumLevel) | bit(internal::kCusumVariance)));
    reg->add("combined", core("combined", internal::kAllComponents));
    reg->add("burn-rate", [](const DetectorOptions& o) -> std::unique_ptr<Detector> {
      return std::make_unique<BurnRateDetector>(o);
    });
    return reg;
  }();
  return *r;
}

}  // namespace

bool register_detector(const std::string& name, DetectorFactory factory) {
  return builtin_registry().add(name, std::move(factory));
}

std::unique_ptr<Detector> make_detector(const std::string& name, const DetectorOptions& o) {
  Registry& r = builtin_registry();
  DetectorFactory f;
  {
    std::lock_guard lock(r.mu);
    auto it = r.factories.find(name);
    if (it == r.factories.end()) return nullptr;
    f = it->second;
  }
  return f(o);
}

std::vector<std::string> detector_names() {
  Registry& r = builtin_registry();
  std::lock_guard lock(r.mu);
  std::vector<std::string> names;
  for (const auto& [name, f] : r.factories) names.push_back(name);
  return names;
}

// SeriesDetector: the combined detector with every component.
struct SeriesDetector::Impl {
  Impl(std::string series, const DetectorOptions& o)
      : core(std::move(series), o, internal::kAllComponents, "combined") {}
  SeriesCore core;
};

SeriesDetector::SeriesDetector(std::string series, DetectorOptions o)
    : impl_(std::make_unique<Impl>(std::move(series), o)) {}
SeriesDetector::~SeriesDetector() = default;
SeriesDetector::SeriesDetector(SeriesDetector&&) noexcept = default;
SeriesDetector& SeriesDetector::operator=(SeriesDetector&&) noexcept = default;
Signal SeriesDetector::update(double t, double x) { return impl_->core.update(t, x); }
double SeriesDetector::last_change() const { return impl_->core.last_change(); }
std::vector<Signal> SeriesDetector::last_signals() const { return impl_->core.component_signals(); }
const std::string& SeriesDetector::series() const { return impl_->core.series(); }
bool SeriesDetector::learning() const { return impl_->core.learning(); }
std::size_t SeriesDetector::state_bytes() const { return sizeof(*this) + impl_->core.state_bytes(); }
InputCounts SeriesDetector::input_counts() const { return impl_->core.input_counts(); }

}  // namespace opspilot::agent::detect
