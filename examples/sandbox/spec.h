#pragma once
// The sandbox's configuration (sandbox.yaml) as plain values. Loaded and checked by config.h;
// every field below is documented with its YAML key in examples/sandbox/sandbox.yaml.
// Plain values: copy freely; not shared mutable state.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace opspilot::sandbox {

/// Where a value came from in a YAML file, 1-based, for messages.
struct SpecPos {
  std::string file;
  int line = 0;
  int column = 0;
};

/// Random bursts of extra load: Poisson arrivals, each a quick ramp then an exponential decay.
struct BurstSpec {
  double per_day = 0;        // mean number of bursts per simulated day; 0 = none
  double size = 0.5;         // mean peak of a burst as a multiple of `base` load
  double size_sigma = 0.5;   // lognormal spread of burst sizes
  double ramp_s = 30;        // time for a burst to reach its peak
  double decay_s = 600;      // time constant of its exponential decay
};

/// λ(t) = base × daily × weekly × (1 + trend·days) × noise + bursts.
struct LoadSpec {
  double base = 100;            // req/s: mean weekday load (the daily cycle averages to 1)
  double daily_amplitude = 0.5; // daily = 1 + a·cos(2π(hour − peak_hour)/24), 0 <= a < 1
  double peak_hour = 14.5;      // hour of day (UTC) of the daily peak; the trough is 12 h later
  double weekend_factor = 0.7;  // load multiplier on Saturday and Sunday (smoothed over 3 h)
  double trend_per_day = 0;     // linear growth per simulated day: 0.01 = +1 %/day
  double noise_sigma = 0.05;    // σ of the lognormal noise (mean 1)
  double noise_interval_s = 60; // correlation time of the noise (knots, linearly interpolated)
  BurstSpec bursts;
};

/// The service-time distribution at low load. Reported quantiles are read from the exported
/// histogram buckets as Prometheus would (linear inside a bucket), so they sit a little above these.
struct LatencySpec {
  double p50_s = 0.05;  // service-time median at low load
  double p99_s = 0.25;  // service-time 99th percentile at low load
  double cap_s = 10;    // requests never take longer (client/proxy timeout)
};

enum class IncidentType { Deploy, LatencyRegression, CrashLoop, DependencyOutage, BadPod };
const char* to_string(IncidentType t);
/// false when `name` is not one of: deploy, latency_regression, crash_loop, dependency_outage,
/// bad_pod.
bool incident_type_from_string(const std::string& name, IncidentType* out);

/// One incident, scheduled in YAML or injected through the API. Fields that do not apply to the
/// type are ignored; unset ones take the type's default (see defaults_for()).
struct IncidentSpec {
  IncidentType type = IncidentType::Deploy;
  // When (scheduled incidents only): `at` offset from the start, or `day` (0 = the start's date,
  // UTC) at `time` (seconds after midnight UTC).
  std::optional<double> at_s;
  int day = 0;
  double time_of_day_s = 0;
  /// How long it lasts; 0 = until fixed (rollback for regressions, restart for crash_loop and
  /// bad_pod). dependency_outage defaults to 30 minutes.
  double duration_s = 0;
  double latency_factor = 1;    // deploy/latency_regression/dependency_outage: latency multiplier
  double error_rate = 0;        // extra 500s as a fraction of served requests
  double slow_factor = 8;       // bad_pod: latency multiplier of the slow replica
  double crash_uptime_s = 90;   // crash_loop: mean time a restarted replica stays up
  SpecPos pos;
};

/// The defaults an incident of type `t` gets when YAML or the API leaves a field unset.
IncidentSpec defaults_for(IncidentType t);

struct ServiceSpec {
  std::string name;             // also the `service` label; [a-z0-9_-]+
  LoadSpec load;
  double per_replica = 50;      // μ: req/s one ready replica serves at 100 % utilisation
  int workers = 4;              // concurrent workers per replica (the c in M/M/c is replicas × workers)
  LatencySpec latency;
  double base_error_rate = 0.001;  // 500s in normal operation
  int initial_replicas = 2;
  int max_replicas = 200;       // the API refuses larger scale requests
  double readiness_delay_s = 120;  // a new or restarted replica serves after this long
  std::vector<IncidentSpec> incidents;
  SpecPos pos;
};

struct SandboxSpec {
  std::string file;
  std::uint64_t seed = 1;                  // --seed overrides
  std::optional<std::int64_t> start_unix;  // --start overrides; default: now
  double tick_s = 5;                       // integration step of the model, (0, 60], divides 60
  double history_s = 8 * 86400.0;          // 1-minute history kept per service
  double action_timeout_s = 15 * 60.0;     // an action not done by then is reported failed
  std::vector<ServiceSpec> services;
};

}  // namespace opspilot::sandbox
