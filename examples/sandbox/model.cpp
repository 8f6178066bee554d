#include "examples/sandbox/model.h"

#include <algorithm>
#include <cmath>
#include <ostream>

namespace opspilot::sandbox {

Model::Model(const SandboxSpec& spec, std::int64_t start_unix, std::uint64_t seed)
    : spec_(spec), start_unix_(start_unix), seed_(seed) {
  const auto minutes = static_cast<std::size_t>(std::max(1.0, std::ceil(spec_.history_s / 60.0)));
  services_.reserve(spec_.services.size());
  for (std::size_t i = 0; i < spec_.services.size(); ++i) {
    // Each service draws from its own streams, so services do not perturb one another.
    services_.emplace_back(spec_.services[i], start_unix, derive_seed(seed, 100 + i), minutes);
    for (const IncidentSpec& inc : spec_.services[i].incidents) {
      if (const auto at = resolve_time(inc, start_unix)) schedule_.push_back(Scheduled{*at, i, inc});
    }
  }
  std::stable_sort(schedule_.begin(), schedule_.end(),
                   [](const Scheduled& a, const Scheduled& b) { return a.at_s < b.at_s; });
}

std::optional<double> Model::resolve_time(const IncidentSpec& spec, std::int64_t start_unix) {
  double at = 0;
  if (spec.at_s) {
    at = *spec.at_s;
  } else {
    const std::int64_t start_day = (start_unix >= 0 ? start_unix : start_unix - 86399) / 86400;
    at = static_cast<double>((start_day + spec.day) * 86400 - start_unix) + spec.time_of_day_s;
  }
  if (at < 0) return std::nullopt;
  return at;
}

agent::TimePoint Model::now() const {
  return agent::from_unix_seconds(static_cast<double>(start_unix_) + elapsed_);
}

ServiceSim* Model::find(std::string_view name) {
  for (ServiceSim& s : services_) {
    if (s.name() == name) return &s;
  }
  return nullptr;
}

const ServiceSim* Model::find(std::string_view name) const {
  return const_cast<Model*>(this)->find(name);
}

const IncidentRecord& Model::inject(ServiceSim& service, const IncidentSpec& spec) {
  return service.start_incident(spec, elapsed_, false, next_incident_id_++);
}

void Model::fire_due() {
  while (next_scheduled_ < schedule_.size() && schedule_[next_scheduled_].at_s <= elapsed_ + 1e-9) {
    const Scheduled& s = schedule_[next_scheduled_++];
    services_[s.service].start_incident(s.spec, elapsed_, true, next_incident_id_++);
  }
}

void Model::step(double dt_s) {
  if (!(dt_s > 0)) return;
  const double target = elapsed_ + dt_s;
  const double tick = spec_.tick_s;
  while (elapsed_ < target - 1e-9) {
    fire_due();
    // End the tick at the next grid point, the target, or the next scheduled incident.
    double end = (std::floor(elapsed_ / tick + 1e-9) + 1) * tick;
    end = std::min(end, target);
    if (next_scheduled_ < schedule_.size() && schedule_[next_scheduled_].at_s > elapsed_ + 1e-9) {
      end = std::min(end, schedule_[next_scheduled_].at_s);
    }
    const double h = end - elapsed_;
    for (ServiceSim& s : services_) s.advance(elapsed_, h);
    elapsed_ = end;
  }
  fire_due();
}

void Model::advance_to(agent::TimePoint t) {
  const double target = agent::to_unix_seconds(t) - static_cast<double>(start_unix_);
  if (target > elapsed_) step(target - elapsed_);
}

std::vector<IncidentRecord> Model::incidents() const {
  std::vector<IncidentRecord> all;
  for (const ServiceSim& s : services_) all.insert(all.end(), s.incidents().begin(), s.incidents().end());
  std::stable_sort(all.begin(), all.end(), [](const IncidentRecord& a, const IncidentRecord& b) {
    return a.started_s != b.started_s ? a.started_s < b.started_s : a.id < b.id;
  });
  return all;
}

void Model::write_csv(std::ostream& out) const {
  out << csv_header() << "\n";
  // Services record their minutes together, so row i of each is the same minute.
  std::size_t rows = 0;
  for (const ServiceSim& s : services_) rows = std::max(rows, s.history().samples().size());
  for (std::size_t i = 0; i < rows; ++i) {
    for (const ServiceSim& s : services_) {
      const auto& samples = s.history().samples();
      if (i < samples.size()) write_csv_rows(out, s.name(), {samples[i]});
    }
  }
}

}  // namespace opspilot::sandbox
