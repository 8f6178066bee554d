#pragma once
// What opspilot's planner is measured against in a backtest:
//  - HpaController: the Kubernetes HorizontalPodAutoscaler (autoscaling/v2) on CPU utilisation,
//    as pkg/controller/podautoscaler computes it: desired = ceil(ratio × ready pods) with the 0.1
//    tolerance; while pods are starting, a scale-up counts them at 0% usage and the result is
//    dropped if that flips the direction or falls within tolerance; a 300 s scale-down
//    stabilisation window takes the largest recommendation in it; the default behaviour limits
//    scale-up to max(100%, 4 pods) and scale-down to 100% per 15 s period; min/max replicas.
//  - Oracle: perfect foresight of the load. At each sync it asks for the fewest replicas that keep
//    utilisation at or under the target for the whole time until a replica asked for at the next
//    sync could be ready. No planner that honours the same target utilisation can use fewer
//    replica-hours without running hotter, so its replica-hours are the lower bound.
//  - TrendOracle: perfect foresight of the load's trend and of how noisy it is, but not of each
//    minute's own value: it sizes for trend + k × noise, where the trend is the centred median of
//    the trace and the noise the centred mean absolute deviation from it. A forecaster can at best
//    know the trend; what it cannot know is the noise around it, so the SLO-minutes/replica-hours
//    frontier this traces as k and the utilisation vary bounds what sizing with headroom can reach
//    on the trace, however good the forecast.
// Thread-safety: plain values; one controller per simulated service.
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace opspilot::backtest {

struct HpaSpec {
  double target_utilization = 0.7;    // averageUtilization / 100
  double tolerance = 0.1;             // --horizontal-pod-autoscaler-tolerance
  double sync_s = 15;                 // --horizontal-pod-autoscaler-sync-period
  double downscale_stabilization_s = 300;
  int min_replicas = 1;
  int max_replicas = 10;
};

class HpaController {
 public:
  explicit HpaController(HpaSpec spec) : spec_(spec) {}
  /// One sync at `now_s`. `current` is the scale's replica count, `ready` how many pods are ready
  /// (and report a metric), `cpu` their mean utilisation (0..1, as metrics-server reports usage
  /// over requests). Returns the replica count to set (== current for no change).
  int sync(double now_s, int current, int ready, double cpu);
  /// Why the last sync chose what it did, in words.
  const std::string& reason() const { return reason_; }
  const HpaSpec& spec() const { return spec_; }

 private:
  struct Recommendation {
    double at_s;
    int replicas;
  };
  HpaSpec spec_;
  std::deque<Recommendation> recommendations_;
  std::string reason_;
};

struct OracleSpec {
  double per_replica = 50;        // req/s one replica serves at 100%
  double target_utilization = 0.7;
  double lead_s = 135;            // readiness delay + one sync: how far ahead it must provision
  int min_replicas = 1;
  int max_replicas = 10;
};

class Oracle {
 public:
  /// `rps[k]` is the load during [offset_s + k·step_s, offset_s + (k+1)·step_s).
  Oracle(OracleSpec spec, std::vector<double> rps, double step_s, double offset_s = 0)
      : spec_(spec), rps_(std::move(rps)), step_s_(step_s), offset_s_(offset_s) {}
  /// The replicas to ask for at `now_s` (elapsed seconds).
  int desired(double now_s) const;
  /// The replicas load `rps` needs at the target utilisation, within the limits.
  int need(double rps) const;

 private:
  OracleSpec spec_;
  std::vector<double> rps_;
  double step_s_;
  double offset_s_;
};

struct TrendOracleSpec {
  OracleSpec sizing;                   // capacity, utilisation, lead and limits, as the oracle's
  double noise_k = 3;                  // headroom in units of the local noise
  std::size_t trend_half_window = 7;   // steps each side of the centred median
  std::size_t noise_half_window = 30;  // steps each side of the centred mean absolute deviation
};

/// The oracle's sizing applied to trend + k × noise instead of the load itself.
class TrendOracle {
 public:
  /// `rps[k]` is the load during [k·step_s, (k+1)·step_s).
  TrendOracle(const TrendOracleSpec& spec, const std::vector<double>& rps, double step_s)
      : oracle_(spec.sizing, sized(spec, rps), step_s) {}
  /// The replicas to ask for at `now_s`: the need of the largest trend + k × noise until a
  /// replica asked for at the next sync could be ready.
  int desired(double now_s) const { return oracle_.desired(now_s); }

 private:
  /// trend + k × noise, per step.
  static std::vector<double> sized(const TrendOracleSpec& spec, const std::vector<double>& rps);
  Oracle oracle_;
};

}  // namespace opspilot::backtest
