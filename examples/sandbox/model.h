#pragma once
// The whole simulation: services advanced together in simulated time, the incident schedule from
// YAML, and incident injection. Deterministic: the same spec, start, seed and sequence of step()
// calls and actions give the same numbers. No networking (see server.h for that).
// Thread-safety: none; the owner serialises access (SandboxApi holds a mutex around it).
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/clock.h"
#include "examples/sandbox/service.h"
#include "examples/sandbox/spec.h"

namespace opspilot::sandbox {

class Model {
 public:
  Model(const SandboxSpec& spec, std::int64_t start_unix, std::uint64_t seed);

  /// Advances simulated time by `dt_s` seconds, in ticks of spec().tick_s aligned to the start
  /// (so minutes are recorded whole), firing scheduled incidents on time.
  void step(double dt_s);
  void step(agent::Duration dt) { step(agent::to_seconds(dt)); }
  /// Advances to `t` if it is later than now; earlier times are ignored (time never goes back).
  void advance_to(agent::TimePoint t);

  double elapsed_s() const { return elapsed_; }
  std::int64_t start_unix() const { return start_unix_; }
  agent::TimePoint now() const;
  std::uint64_t seed() const { return seed_; }
  const SandboxSpec& spec() const { return spec_; }

  std::vector<ServiceSim>& services() { return services_; }
  const std::vector<ServiceSim>& services() const { return services_; }
  ServiceSim* find(std::string_view name);
  const ServiceSim* find(std::string_view name) const;

  /// Starts an incident on `service` now.
  const IncidentRecord& inject(ServiceSim& service, const IncidentSpec& spec);
  /// Every incident of every service (scheduled and injected), oldest first.
  std::vector<IncidentRecord> incidents() const;
  /// When a scheduled incident will start (elapsed seconds), or nullopt if it lies before the start.
  static std::optional<double> resolve_time(const IncidentSpec& spec, std::int64_t start_unix);

  /// Writes the 1-minute history of every service as CSV (header, then one row per service per
  /// minute, in time order).
  void write_csv(std::ostream& out) const;

 private:
  struct Scheduled {
    double at_s;
    std::size_t service;
    IncidentSpec spec;
  };
  void fire_due();

  SandboxSpec spec_;
  std::int64_t start_unix_;
  std::uint64_t seed_;
  double elapsed_ = 0;
  std::vector<ServiceSim> services_;
  std::vector<Scheduled> schedule_;  // sorted by at_s
  std::size_t next_scheduled_ = 0;
  std::uint64_t next_incident_id_ = 1;
};

}  // namespace opspilot::sandbox
