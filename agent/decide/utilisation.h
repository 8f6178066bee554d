#pragma once
// Learning the utilisation a target can run at: the highest per-replica utilisation at which its
// observed p99 latency still stays clear of the latency SLO.
//
// A queueing service gets faster per replica as it grows (more servers share one queue), so what
// is learned is kept per band of ready replicas (1, 2–3, 4–7, 8–15, 16–31, 32+). Each band holds
// a histogram over utilisation (load / (ready × per-replica capacity), 5% bins) of how many
// steady-state ticks were seen and how many of them had p99 above `kLatencyMargin` × the SLO
// latency. The learned utilisation of a band is the top of the highest bin such that every bin
// from the starting utilisation up to it has at least `kMinSamples` ticks and at most
// `kMaxSlowShare` of them slow, capped at `max_utilization`; a slow bin at or below the start
// lowers it to that bin's bottom. Nothing is extrapolated: a band goes only as high as it has been
// observed to be fine, and a band with no evidence of its own takes the band below it (fewer
// replicas queue worse, so that is the cautious side), or the start.
//
// Only steady ticks teach: all replicas ready, and the count unchanged for `kSteadyFor` (a rate
// window after a scale-up still holds the latency of the smaller count), a finite latency and a
// positive load. Lowering is for what load explains: a bin must be slower than the band's own
// share below `kFloor` utilisation by `kMaxSlowShare` (slow at any load is not a capacity
// problem); raising needs bins that are fine outright. Counts are halved when a bin reaches `kMaxCount`, so the evidence follows a
// service that changes.
//
// Thread-safety: none; one learner per target, used from that target's strand only.
#include <array>
#include <cstddef>
#include <string>

#include "agent/clock.h"

namespace opspilot::agent {

class UtilisationLearner {
 public:
  static constexpr double kBinWidth = 0.05;
  static constexpr std::size_t kBins = 24;  // 0 .. 120% utilisation
  static constexpr std::size_t kBands = 6;
  static constexpr double kMinSamples = 20;
  static constexpr double kMaxSlowShare = 0.05;
  static constexpr double kLatencyMargin = 0.9;
  static constexpr double kMaxCount = 2000;
  /// Never learned lower than this: below it a latency problem is not a capacity problem, and
  /// the bins below it are the band's baseline slow share.
  static constexpr double kFloor = 0.3;
  static constexpr Duration kSteadyFor = std::chrono::minutes(2);

  /// `start`: the utilisation used until evidence says otherwise (targets[].capacity.target_utilization);
  /// `max`: the most it may learn (targets[].capacity.max_utilization); `slo_latency_s` > 0.
  UtilisationLearner(double start, double max, double slo_latency_s);

  /// One tick's evidence. Ignored unless steady (ready == replicas > 0, unchanged for
  /// kSteadyFor), load > 0, capacity > 0 and latency finite.
  void observe(TimePoint now, int ready, int replicas, double load, double per_replica, double p99_latency_s);

  /// The utilisation to plan `replicas` replicas at.
  double utilisation(int replicas) const;

  /// How the value for `replicas` was reached, for decision records: e.g.
  /// "learned at 4-7 replicas: p99 under 0.40 s up to 85% (312 ticks)".
  std::string explain(int replicas) const;

  /// Band of a replica count: 0 for 1, 1 for 2–3, 2 for 4–7, ... (kBands - 1 for the rest).
  static std::size_t band_of(int replicas);

  /// Steady ticks seen in a band.
  double samples(std::size_t band) const;

 private:
  struct Bin {
    double count = 0;
    double slow = 0;
  };
  struct Learned {
    double value;
    std::size_t from_band;  // the band whose evidence it is; kBands = none (the start)
    double ticks;
    bool lowered;
  };
  Learned learned(std::size_t band) const;
  Learned own(std::size_t band) const;

  double start_;
  double max_;
  double slo_latency_s_;
  std::array<std::array<Bin, kBins>, kBands> bins_{};
  std::array<Learned, kBands> learned_{};  // learned(b) for each band, recomputed by observe()
  int last_ready_ = -1, last_replicas_ = -1;
  TimePoint steady_since_{};
};

}  // namespace opspilot::agent
