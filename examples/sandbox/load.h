#pragma once
// The request load of one service over simulated time:
//   λ(t) = base × daily(t) × weekly(t) × (1 + trend·days) × noise(t) + bursts(t).
// Noise and bursts are drawn from the generator's own random streams on a fixed time grid, not per
// call, so λ(t) does not depend on how the caller steps time — only on the seed.
// Thread-safety: none (rate() draws lazily); owned by one ServiceSim.
#include <cstdint>
#include <deque>
#include <vector>

#include "examples/sandbox/rng.h"
#include "examples/sandbox/spec.h"

namespace opspilot::sandbox {

class LoadGenerator {
 public:
  LoadGenerator(const LoadSpec& spec, std::int64_t start_unix, std::uint64_t seed);

  /// Offered load in req/s at `elapsed_s` seconds after the start. Calls must not go back in time
  /// by more than one noise interval (the model only moves forward).
  double rate(double elapsed_s);

  /// The deterministic part: base × daily × weekly × trend, without noise or bursts.
  double seasonal(double elapsed_s) const;
  double daily_factor(double elapsed_s) const;
  double weekly_factor(double elapsed_s) const;
  /// Extra load from bursts at `elapsed_s` (req/s); advances the burst stream up to it.
  double burst_load(double elapsed_s);
  /// The multiplicative noise at `elapsed_s` (mean 1).
  double noise(double elapsed_s);

  const LoadSpec& spec() const { return spec_; }

  /// Replays a recorded trace instead of the model: from now on rate(t) is
  /// `rps[floor((t − offset_s) / step_s)]` (held constant within a step, as a per-minute count
  /// is), 0 before the trace and after its end. Used by backtests; the seasonal model, noise and
  /// bursts are then ignored.
  void replay(std::vector<double> rps, double step_s, double offset_s = 0);
  bool replaying() const { return !trace_.empty(); }
  /// The replayed trace's rate at `elapsed_s` (0 outside it); the model's rate when not replaying.
  double trace_rate(double elapsed_s) const;

 private:
  struct Burst {
    double start_s;
    double peak;  // req/s at the end of the ramp
  };
  double knot(std::int64_t k);

  LoadSpec spec_;
  std::int64_t start_unix_;
  Rng noise_rng_;
  Rng burst_rng_;
  // Noise knots z_k (AR(1), unit variance) for k = first_knot_ .. first_knot_ + size − 1.
  std::deque<double> knots_;
  std::int64_t first_knot_ = 0;
  double next_burst_s_;
  std::vector<Burst> bursts_;
  std::vector<double> trace_;  // replay(): per-step rates
  double trace_step_s_ = 60;
  double trace_offset_s_ = 0;
};

}  // namespace opspilot::sandbox
