#pragma once
// What one observation of a target saw: one value per signal, with where it came from.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.h"
#include "agent/config/config.h"

namespace opspilot::agent {

enum class SignalStatus { Ok, Missing, Stale, Error };

const char* to_string(SignalStatus s);

/// One series of a query's result before it was reduced to one number, with its labels (without
/// __name__): how a `pod_latency` signal tells its pods apart.
struct SeriesValue {
  std::map<std::string, std::string> labels;
  double value = std::nan("");

  /// labels[name], or "" when absent.
  std::string label(const std::string& name) const {
    auto it = labels.find(name);
    return it == labels.end() ? std::string() : it->second;
  }
};

struct SignalValue {
  SignalStatus status = SignalStatus::Missing;
  double value = std::nan("");
  TimePoint sampled_at{};  // when the value was measured
  std::string query;       // what was asked
  std::string error;       // why it is not Ok, in words
  /// The series `value` was reduced from (at most kMaxSeries, the first in label order), when the
  /// query yielded more than one — or one with labels. Empty for a scalar or a bare total.
  std::vector<SeriesValue> series;

  static constexpr std::size_t kMaxSeries = 256;

  bool ok() const { return status == SignalStatus::Ok; }
};

struct Observation {
  TimePoint at{};
  std::map<std::string, SignalValue> signals;  // by role: load, replicas, ...
  std::string source;                          // "prometheus http://..." or "scrape http://..."

  const SignalValue* get(const std::string& role) const {
    auto it = signals.find(role);
    return it == signals.end() ? nullptr : &it->second;
  }
};

/// Counters every source keeps, exported on the agent's /metrics. Monotonic totals.
struct SourceStats {
  std::uint64_t bad_samples = 0;     // NaN/Inf values and unparseable lines skipped
  std::uint64_t counter_resets = 0;
  std::uint64_t scrape_errors = 0;   // sidecar mode
  std::uint64_t query_errors = 0;    // controller mode
  std::uint64_t query_retries = 0;
};

/// A way to observe targets. Implementations: PrometheusSource (controller mode, PromQL over
/// the HTTP API) and ScrapeSource (sidecar mode, the target's /metrics).
/// Thread-safety: observe() may be called concurrently for different targets.
class MetricSource {
 public:
  virtual ~MetricSource() = default;
  virtual Observation observe(const TargetSpec& target, TimePoint now) = 0;
  virtual SourceStats source_stats() const { return {}; }
};

}  // namespace opspilot::agent
