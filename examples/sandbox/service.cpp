#include "examples/sandbox/service.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace opspilot::sandbox {
namespace {

// Kubernetes' CrashLoopBackOff: 10 s, doubling, capped at 5 minutes.
double crash_backoff_s(int restarts) {
  return std::min(300.0, 10.0 * std::pow(2.0, std::min(restarts - 1, 6)));
}

constexpr std::size_t kMaxIncidentRecords = 1000;

}  // namespace

ServiceSim::ServiceSim(const ServiceSpec& spec, std::int64_t start_unix, std::uint64_t seed,
                       std::size_t history_minutes)
    : spec_(spec),
      start_unix_(start_unix),
      load_(spec.load, start_unix, seed),
      crash_rng_(derive_seed(seed, 3)),
      desired_(spec.initial_replicas),
      history_(history_minutes) {
  revisions_.push_back(Revision{1, 1, 0});
  catalog_ = revisions_;
  // The initial replicas are already up when the simulation starts.
  for (int i = 0; i < desired_; ++i) {
    Pod p = make_pod(0);
    p.created_s = -spec_.readiness_delay_s - 3600;
    p.ready_at_s = -3600;
    pods_.push_back(p);
  }
}

const Revision& ServiceSim::revision_info(int number) const {
  for (const Revision& r : catalog_) {
    if (r.number == number) return r;
  }
  return catalog_.front();
}

Pod ServiceSim::make_pod(double now) {
  Pod p;
  p.id = next_pod_id_++;
  p.revision = revision();
  p.created_s = now;
  p.ready_at_s = now + spec_.readiness_delay_s;
  if (crash_loop_) {
    p.crashing = true;
    schedule_crash(p, now);
  }
  return p;
}

void ServiceSim::schedule_crash(Pod& p, double now) {
  p.crash_at_s = std::max(now, p.ready_at_s) + crash_rng_.exponential(crash_uptime_s_);
}

int ServiceSim::ready_count(double now) const {
  return static_cast<int>(std::count_if(pods_.begin(), pods_.end(), [&](const Pod& p) { return p.ready(now); }));
}

bool ServiceSim::settled(double now) const {
  int current = 0;
  for (const Pod& p : pods_) {
    if (p.old || !p.ready(now)) return false;
    ++current;
  }
  return current == desired_;
}

void ServiceSim::reconcile(double now) {
  // Current rollout: exactly `desired_` replicas. Scale-down is immediate and, like a
  // ReplicaSet, removes not-ready replicas first, then the most restarted, then the newest.
  int current = static_cast<int>(std::count_if(pods_.begin(), pods_.end(), [](const Pod& p) { return !p.old; }));
  while (current < desired_) {
    pods_.push_back(make_pod(now));
    ++current;
  }
  if (current > desired_) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < pods_.size(); ++i) {
      if (!pods_[i].old) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const Pod& x = pods_[a];
      const Pod& y = pods_[b];
      if (x.ready(now) != y.ready(now)) return !x.ready(now);
      if (x.restarts != y.restarts) return x.restarts > y.restarts;
      return x.created_s > y.created_s;
    });
    std::vector<std::uint64_t> doomed;
    for (int i = 0; i < current - desired_; ++i) doomed.push_back(pods_[order[static_cast<std::size_t>(i)]].id);
    std::erase_if(pods_, [&](const Pod& p) { return std::find(doomed.begin(), doomed.end(), p.id) != doomed.end(); });
  }
  // Previous rollouts: an old replica stays only while it is ready and still needed to keep
  // `desired_` replicas serving (a surge rollout that never drops capacity).
  std::erase_if(pods_, [&](const Pod& p) { return p.old && !p.ready(now); });
  int ready_current = 0, ready_old = 0;
  for (const Pod& p : pods_) {
    if (p.ready(now)) ++(p.old ? ready_old : ready_current);
  }
  while (ready_old > 0 && ready_current + ready_old > desired_) {
    auto it = std::find_if(pods_.begin(), pods_.end(), [](const Pod& p) { return p.old; });
    pods_.erase(it);
    --ready_old;
  }
}

void ServiceSim::start_rollout(double now) {
  ++rollout_;
  rollout_started_s_ = now;
  for (Pod& p : pods_) p.old = true;
  reconcile(now);
}

void ServiceSim::end_incidents(IncidentType type, double now, const std::string& by) {
  for (IncidentRecord& r : incidents_) {
    if (r.active() && r.spec.type == type) {
      r.ended_s = now;
      r.ended_by = by;
    }
  }
}

void ServiceSim::expire_incidents(double now) {
  for (IncidentRecord& r : incidents_) {
    if (!r.active() || r.ends_s > now) continue;
    r.ended_s = r.ends_s;
    r.ended_by = "expired";
    if (r.spec.type == IncidentType::CrashLoop) {
      const bool another = std::any_of(incidents_.begin(), incidents_.end(), [](const IncidentRecord& o) {
        return o.active() && o.spec.type == IncidentType::CrashLoop;
      });
      if (!another) {
        crash_loop_ = false;
        for (Pod& p : pods_) {
          p.crashing = false;
          p.crash_at_s = kNever;
        }
      }
    } else if (r.spec.type == IncidentType::BadPod) {
      for (Pod& p : pods_) {
        if (p.id == r.pod_id) p.slow = false;
      }
    }
  }
}

void ServiceSim::update_pods(double now) {
  expire_incidents(now);
  for (Pod& p : pods_) {
    while (p.crashing && p.crash_at_s <= now) {
      const double crashed_at = p.crash_at_s;
      ++p.restarts;
      ++restarts_total_;
      p.ready_at_s = crashed_at + crash_backoff_s(p.restarts) + spec_.readiness_delay_s;
      schedule_crash(p, crashed_at);
    }
  }
  reconcile(now);
  // A bad_pod incident is over once its replica is gone (scaled down or replaced).
  for (IncidentRecord& r : incidents_) {
    if (r.active() && r.spec.type == IncidentType::BadPod &&
        std::none_of(pods_.begin(), pods_.end(), [&](const Pod& p) { return p.id == r.pod_id && p.slow; })) {
      r.ended_s = now;
      r.ended_by = "replaced";
    }
  }
}

const IncidentRecord& ServiceSim::start_incident(const IncidentSpec& spec, double now, bool scheduled,
                                                 std::uint64_t id) {
  IncidentRecord rec;
  rec.id = id;
  rec.service = spec_.name;
  rec.spec = spec;
  rec.scheduled = scheduled;
  rec.started_s = now;
  switch (spec.type) {
    case IncidentType::Deploy:
    case IncidentType::LatencyRegression: {
      // A regression lasts until the revision is rolled back (or another deploy replaces it).
      end_incidents(IncidentType::Deploy, now, "deploy");
      end_incidents(IncidentType::LatencyRegression, now, "deploy");
      const Revision r{next_revision_++, spec.latency_factor, spec.error_rate};
      revisions_.push_back(r);
      catalog_.push_back(r);
      rec.revision = r.number;
      start_rollout(now);
      break;
    }
    case IncidentType::CrashLoop:
      crash_loop_ = true;
      crash_uptime_s_ = spec.crash_uptime_s;
      for (Pod& p : pods_) {
        if (p.old) continue;
        p.crashing = true;
        schedule_crash(p, now);
      }
      break;
    case IncidentType::DependencyOutage: break;
    case IncidentType::BadPod: {
      Pod* victim = nullptr;
      for (Pod& p : pods_) {
        if (p.old || p.slow) continue;
        if (!victim || (p.ready(now) && !victim->ready(now)) ||
            (p.ready(now) == victim->ready(now) && p.created_s < victim->created_s)) {
          victim = &p;
        }
      }
      if (victim) {
        victim->slow = true;
        victim->slow_factor = spec.slow_factor;
        victim->slow_error = spec.error_rate;
        rec.pod_id = victim->id;
      }
      break;
    }
  }
  const bool fixed_by_action = spec.type == IncidentType::Deploy || spec.type == IncidentType::LatencyRegression;
  rec.ends_s = (!fixed_by_action && spec.duration_s > 0) ? now + spec.duration_s : kNever;
  if (spec.type == IncidentType::BadPod && rec.pod_id == 0) {
    rec.ended_s = now;
    rec.ended_by = "no replica to affect";
  }
  if (incidents_.size() >= kMaxIncidentRecords) {
    auto it = std::find_if(incidents_.begin(), incidents_.end(), [](const IncidentRecord& r) { return !r.active(); });
    incidents_.erase(it == incidents_.end() ? incidents_.begin() : it);
  }
  incidents_.push_back(rec);
  return incidents_.back();
}

void ServiceSim::scale(int replicas, double now) {
  desired_ = std::max(0, replicas);
  reconcile(now);
}

void ServiceSim::follow_cluster(int desired, int ready, double now, int new_ready) {
  if (desired != desired_) scale(desired, now);
  int left = std::max(0, ready);
  if (new_ready >= 0) {
    // The cluster says how many ready replicas are new: the old revision serves the rest.
    int old_left = std::max(0, ready - new_ready);
    for (Pod& p : pods_) {
      if (!p.old) continue;
      if (old_left > 0 && p.ready(now)) {
        --old_left;
      } else if (p.ready(now)) {
        p.ready_at_s = kNever;
      }
    }
    left = std::min(left, new_ready);
  } else {
    for (const Pod& p : pods_) {
      if (p.old && p.ready(now)) --left;
    }
  }
  std::vector<Pod*> current;
  for (Pod& p : pods_) {
    if (!p.old) current.push_back(&p);
  }
  std::sort(current.begin(), current.end(), [](const Pod* a, const Pod* b) { return a->created_s < b->created_s; });
  for (Pod* p : current) {
    if (left > 0) {
      if (!p->ready(now)) p->ready_at_s = now;  // the cluster says it serves
      --left;
    } else {
      p->ready_at_s = kNever;  // not ready in the cluster (yet): it waits for the next view
    }
  }
  reconcile(now);
}

void ServiceSim::restart(double now) {
  crash_loop_ = false;
  end_incidents(IncidentType::CrashLoop, now, "restart");
  end_incidents(IncidentType::BadPod, now, "restart");
  start_rollout(now);
}

bool ServiceSim::evict(const std::string& pod, double now, std::string* error) {
  auto it = std::find_if(pods_.begin(), pods_.end(), [&](const Pod& p) { return !p.old && pod_name(p) == pod; });
  if (it == pods_.end()) {
    if (error) {
      std::string names;
      for (const Pod& p : pods_)
        if (!p.old) names += (names.empty() ? "" : ", ") + pod_name(p);
      *error = "service '" + spec_.name + "' has no pod named '" + pod + "'; its pods: " + names;
    }
    return false;
  }
  const std::uint64_t id = it->id;
  pods_.erase(it);
  for (IncidentRecord& r : incidents_) {
    if (r.active() && r.spec.type == IncidentType::BadPod && r.pod_id == id) {
      r.ended_s = now;
      r.ended_by = "evicted";
    }
  }
  ++rollout_;
  rollout_started_s_ = now;
  reconcile(now);  // the ReplicaSet replaces it
  return true;
}

bool ServiceSim::rollback(double now, std::string* error) {
  if (revisions_.size() < 2) {
    if (error) {
      *error = "service '" + spec_.name + "' is at revision " + std::to_string(revision()) +
               " and has no previous revision to roll back to";
    }
    return false;
  }
  const int undone = revisions_.back().number;
  revisions_.pop_back();
  for (IncidentRecord& r : incidents_) {
    if (r.active() && r.revision == undone) {
      r.ended_s = now;
      r.ended_by = "rollback";
    }
  }
  start_rollout(now);
  return true;
}

std::uint8_t ServiceSim::flags() const {
  std::uint8_t f = 0;
  for (const Pod& p : pods_) {
    if (revision_info(p.revision).regressed()) f |= kFlagRegression;
    if (p.crashing) f |= kFlagCrashLoop;
    if (p.slow) f |= kFlagBadPod;
  }
  for (const IncidentRecord& r : incidents_) {
    if (r.active() && r.spec.type == IncidentType::DependencyOutage) f |= kFlagDependencyOutage;
  }
  return f;
}

void ServiceSim::advance(double t, double h) {
  update_pods(t);
  const double lambda = load_.rate(t + 0.5 * h);

  // Dependencies fail requests whatever the replicas do.
  double dep_ok = 1, dep_factor = 1;
  for (const IncidentRecord& r : incidents_) {
    if (r.active() && r.spec.type == IncidentType::DependencyOutage) {
      dep_ok *= 1 - r.spec.error_rate;
      dep_factor *= r.spec.latency_factor;
    }
  }
  // Ready replicas grouped by how they behave: (latency factor, own error rate) → count. A request
  // the service itself would have answered but its dependency failed is a 502, not a 500.
  std::map<std::pair<double, double>, int> groups;
  int ready = 0;
  for (const Pod& p : pods_) {
    if (!p.ready(t)) continue;
    ++ready;
    const Revision& rev = revision_info(p.revision);
    const double factor = rev.latency_factor * (p.slow ? p.slow_factor : 1.0) * dep_factor;
    const double own_ok = (1 - spec_.base_error_rate) * (1 - rev.error_rate) * (1 - (p.slow ? p.slow_error : 0.0));
    ++groups[{factor, 1 - own_ok}];
  }

  const QueueState q = queue_state(lambda, ready, spec_.per_replica, spec_.workers);
  const double served = ready > 0 ? std::min(lambda, ready * spec_.per_replica * kMaxQueueUtilization) : 0.0;
  const double w50 = wait_quantile(q, 0.5), w99 = wait_quantile(q, 0.99);
  LatencyMix mix(spec_.latency.cap_s);
  double own_error_fraction = 0;
  for (const auto& [key, count] : groups) {
    const double share = static_cast<double>(count) / ready;
    mix.add(share, spec_.latency.p50_s * key.first + w50, spec_.latency.p99_s * key.first + w99);
    own_error_fraction += share * key.second;
  }
  for (Pod& p : pods_) {
    const double factor = revision_info(p.revision).latency_factor * (p.slow ? p.slow_factor : 1.0) * dep_factor;
    p.p99_s = p.ready(t) ? std::min(spec_.latency.cap_s, spec_.latency.p99_s * factor + w99) : 0.0;
  }
  const double dep_error_fraction = (1 - own_error_fraction) * (1 - dep_ok);
  const double error_fraction = own_error_fraction + dep_error_fraction;

  const double served_n = served * h;
  const double failed_n = served_n * error_fraction;
  counters_.ok += served_n - failed_n;
  counters_.errors += served_n * own_error_fraction;
  dependency_errors_ += served_n * dep_error_fraction;
  counters_.shed += (lambda - served) * h;
  std::array<double, kLatencyBuckets.size()> cdf{};
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) cdf[i] = mix.cdf(kLatencyBuckets[i]);
  if (served_n > 0) {
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) counters_.buckets[i] += served_n * cdf[i];
    counters_.latency_count += served_n;
    counters_.latency_sum += served_n * mix.mean();
  }

  last_load_ = lambda;
  last_served_ = served;
  last_util_ = q.utilization;
  // Quantiles as histogram_quantile() will compute them from the buckets just exported.
  last_p50_ = ready > 0 ? bucket_quantile(0.5, kLatencyBuckets.data(), cdf.data(), cdf.size()) : spec_.latency.cap_s;
  last_p99_ = ready > 0 ? bucket_quantile(0.99, kLatencyBuckets.data(), cdf.data(), cdf.size()) : spec_.latency.cap_s;
  last_err_ = lambda > 0 ? (lambda - served + served * error_fraction) / lambda : 0.0;
  const double cpu = ready > 0 ? std::min(1.0, q.utilization) : 0.0;

  acc_time_ += h;
  acc_load_ += lambda * h;
  acc_served_ += served_n;
  acc_failed_ += (lambda - served) * h + failed_n;
  acc_cpu_ += cpu * h;
  // Latency is averaged over the requests that got an answer: while nothing is ready nothing is
  // measured, as with a real histogram.
  acc_p50_ += last_p50_ * served_n;
  acc_p99_ += last_p99_ * served_n;
  acc_flags_ |= flags();
  if (t + h >= minute_start_s_ + 60 - 1e-6) {
    record_minute(t + h);
    minute_start_s_ += 60;
    while (minute_start_s_ + 60 <= t + h) minute_start_s_ += 60;  // after a gap, realign
  }
}

void ServiceSim::record_minute(double end_s) {
  if (acc_time_ > 0) {
    MinuteSample s;
    s.unix_s = start_unix_ + static_cast<std::int64_t>(std::llround(minute_start_s_));
    s.load_rps = acc_load_ / acc_time_;
    s.served_rps = acc_served_ / acc_time_;
    s.desired = desired_;
    s.ready = ready_count(end_s);
    s.p50_s = acc_served_ > 0 ? acc_p50_ / acc_served_ : spec_.latency.cap_s;
    s.p99_s = acc_served_ > 0 ? acc_p99_ / acc_served_ : spec_.latency.cap_s;
    s.error_ratio = acc_load_ > 0 ? acc_failed_ / acc_load_ : 0.0;
    s.cpu = acc_cpu_ / acc_time_;
    s.revision = revision();
    s.flags = acc_flags_;
    history_.push(s);
  }
  acc_time_ = acc_load_ = acc_served_ = acc_failed_ = acc_cpu_ = acc_p50_ = acc_p99_ = 0;
  acc_flags_ = 0;
}

ServiceStatus ServiceSim::status(double now) const {
  ServiceStatus s;
  s.name = spec_.name;
  s.load_rps = last_load_;
  s.served_rps = last_served_;
  s.utilization = last_util_;
  s.p50_s = last_p50_;
  s.p99_s = last_p99_;
  s.error_ratio = last_err_;
  s.desired = desired_;
  s.ready = ready_count(now);
  s.cpu = s.ready > 0 ? std::min(1.0, last_util_) : 0.0;
  s.old_replicas = static_cast<int>(std::count_if(pods_.begin(), pods_.end(), [](const Pod& p) { return p.old; }));
  s.revision = revision();
  s.rollout = rollout_;
  s.flags = flags();
  return s;
}

}  // namespace opspilot::sandbox
