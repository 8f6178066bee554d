// The remediation planner (see remediation.h): per-tick samples, the incident's lifecycle,
// classification with persistence and caps (outcomes and recovery: remediation_outcomes.cpp).
#include "agent/decide/remediation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "agent/decide/planner.h"
#include "agent/format.h"

namespace opspilot::agent {
namespace {

std::string pct(double ratio) { return std::isfinite(ratio) ? fmt("%.2f%%", ratio * 100) : "n/a"; }
std::string secs(double s) { return std::isfinite(s) ? fmt("%.3g s", s) : "n/a"; }
std::string minutes(Duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return s % 60 == 0 ? std::to_string(s / 60) + "m" : std::to_string(s) + "s";
}

double median(std::vector<double> v) {
  std::erase_if(v, [](double x) { return !std::isfinite(x); });
  if (v.empty()) return std::nan("");
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2;
  return m;
}

double value_of(const Observation& o, const char* role) {
  const SignalValue* v = o.get(role);
  return v && v->ok() && std::isfinite(v->value) ? v->value : std::nan("");
}

bool gt(double a, double b) { return std::isfinite(a) && std::isfinite(b) && a > b; }

}  // namespace

const char* to_string(IncidentClass c) {
  switch (c) {
    case IncidentClass::None: return "";
    case IncidentClass::CrashLoop: return "crash_loop";
    case IncidentClass::BadDeploy: return "bad_deploy";
    case IncidentClass::Saturation: return "saturation";
    case IncidentClass::DependencyOutage: return "dependency_outage";
    case IncidentClass::BadPod: return "bad_pod";
    case IncidentClass::Unknown: return "unknown";
  }
  return "unknown";
}

const char* to_string(RemedyAction a) {
  switch (a) {
    case RemedyAction::None: return "none";
    case RemedyAction::Scale: return "scale";
    case RemedyAction::Rollback: return "rollback";
    case RemedyAction::Restart: return "restart";
    case RemedyAction::RestartPod: return "restart_pod";
    case RemedyAction::Escalate: return "escalate";
  }
  return "none";
}

RemediationInfo RemediationProposal::info() const {
  RemediationInfo m;
  m.incident_class = to_string(incident);
  m.proposed = to_string(action);
  m.confidence = confidence;
  m.expected_effect = expected_effect;
  m.evidence = evidence;
  m.signal = signal;
  m.threshold = threshold;
  if (incident != IncidentClass::None) m.onset = onset;
  if (acts()) {
    m.deadline = deadline;
    m.recovery = "pending";
  }
  m.follow_up_of = follow_up_of;
  return m;
}

std::string RemediationProposal::decision_action() const {
  switch (action) {
    case RemedyAction::Rollback: return "rollback";
    case RemedyAction::Restart:
    case RemedyAction::RestartPod: return "restart";
    case RemedyAction::Escalate: return "escalate";
    default: return "hold";
  }
}

std::map<std::string, std::string> RemediationProposal::params() const {
  if (action == RemedyAction::RestartPod) return {{"mode", "evict"}, {"pod", pod}};
  return {};
}

// ---- samples ---------------------------------------------------------------------------------

RemediationPlanner::Sample RemediationPlanner::sample(const RemediationInput& in) {
  const Observation& o = *in.observation;
  Sample s;
  s.t = in.now;
  s.latency = value_of(o, "latency");
  s.load = value_of(o, "load");
  s.saturation = value_of(o, "saturation");
  s.revision = value_of(o, "revision");
  const double errors = value_of(o, "errors");
  const double dep = value_of(o, "dependency_errors");
  if (std::isfinite(s.load) && s.load > 0) {
    // `errors` counts every 5xx; the dependency's share (502/504) is not the service's own.
    if (std::isfinite(errors)) s.error_ratio = std::max(0.0, errors - (std::isfinite(dep) ? dep : 0.0)) / s.load;
    if (std::isfinite(dep)) s.dependency_ratio = dep / s.load;
  } else if (std::isfinite(s.load)) {
    if (std::isfinite(errors)) s.error_ratio = 0;
    if (std::isfinite(dep)) s.dependency_ratio = 0;
  }
  s.restarts = value_of(o, "restarts");
  if (std::isfinite(s.restarts)) {
    for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
      if (!std::isfinite(it->restarts)) continue;
      // A drop is pods leaving the sum (replaced, scaled down) or a counter reset: nothing is
      // known to have restarted, and a false crash loop would be worse than a late one.
      s.restart_delta = std::max(0.0, s.restarts - it->restarts);
      break;
    }
    if (!std::isfinite(s.restart_delta)) s.restart_delta = 0;
  }
  slow_pod_.clear();
  slow_pod_latency_ = other_pods_median_ = kNaN;
  pods_seen_ = 0;
  if (const SignalValue* pl = o.get("pod_latency"); pl && pl->ok()) {
    const SeriesValue* slowest = nullptr;
    std::vector<double> others;
    for (const SeriesValue& x : pl->series) {
      if (!std::isfinite(x.value)) continue;
      ++pods_seen_;
      if (!slowest || x.value > slowest->value) {
        if (slowest) others.push_back(slowest->value);
        slowest = &x;
      } else {
        others.push_back(x.value);
      }
    }
    if (slowest && !others.empty()) {
      slow_pod_ = slowest->label("pod");
      slow_pod_latency_ = slowest->value;
      other_pods_median_ = median(others);
      if (other_pods_median_ > 0) s.pod_spread = slow_pod_latency_ / other_pods_median_;
    }
  }
  return s;
}

RemediationPlanner::Baseline RemediationPlanner::baseline(TimePoint before) const {
  std::vector<double> lat, err, load;
  for (const Sample& s : history_) {
    if (s.t >= before || s.t < before - spec_.baseline_window || s.symptomatic) continue;
    lat.push_back(s.latency);
    err.push_back(s.error_ratio);
    load.push_back(s.load);
  }
  Baseline b;
  b.latency = median(lat);
  b.error_ratio = median(err);
  b.load = median(load);
  b.n = lat.size();
  return b;
}

double RemediationPlanner::restarts_in_window(TimePoint now) const {
  double n = 0;
  for (const Sample& s : history_)
    if (s.t > now - spec_.restart_window && (!restarts_counted_from_ || s.t > *restarts_counted_from_) &&
        std::isfinite(s.restart_delta))
      n += s.restart_delta;
  return n;
}

std::vector<double> RemediationPlanner::window(const std::string& signal, TimePoint from, TimePoint to) const {
  std::vector<double> out;
  for (const Sample& s : history_) {
    if (s.t <= from || s.t > to) continue;
    const double v = signal == "latency"       ? s.latency
                     : signal == "error_ratio" ? s.error_ratio
                     : signal == "restarts"    ? s.restart_delta
                     : signal == "pod_latency" ? s.pod_spread
                                               : std::nan("");
    if (std::isfinite(v)) out.push_back(v);
  }
  return out;
}

// ---- the tick --------------------------------------------------------------------------------

RemediationProposal RemediationPlanner::assess(const RemediationInput& in) {
  Sample s = sample(in);
  // A revision change is a deploy, unless it is our own rollback landing.
  if (std::isfinite(s.revision)) {
    if (std::isfinite(last_revision_) && s.revision != last_revision_) {
      if (own_rollback_pending_) {
        own_rollback_pending_ = false;
      } else {
        deployed_at_ = in.now;
        deployed_note_ = "revision " + fmt("%.0f", last_revision_) + " -> " + fmt("%.0f", s.revision);
        rollbacks_this_deploy_ = 0;
      }
    }
    last_revision_ = s.revision;
  }
  const Baseline b = baseline(incident_ ? incident_->onset : in.now);
  const TargetSpec& t = *in.target;

  // Symptoms, each against its threshold.
  double lat_thr = std::nan("");
  if (b.n >= 3 && std::isfinite(b.latency)) lat_thr = b.latency * spec_.latency_factor;
  else if (t.slo.latency_seconds > 0) lat_thr = t.slo.latency_seconds;
  const double err_thr = std::max(spec_.error_ratio, std::isfinite(b.error_ratio) ? 2 * b.error_ratio : 0.0);
  const bool latency_high = gt(s.latency, lat_thr);
  const bool errors_high = gt(s.error_ratio, err_thr);
  const bool dep_high = gt(s.dependency_ratio, spec_.dependency_error_ratio);
  const double restarts = restarts_in_window(in.now) + (std::isfinite(s.restart_delta) ? s.restart_delta : 0);
  const bool restarts_rising = std::isfinite(s.restarts) && restarts >= spec_.restarts;
  const bool pod_outlier = gt(s.pod_spread, spec_.pod_outlier_factor - 1e-9);
  const bool sat_high = gt(s.saturation, spec_.saturation - 1e-9);
  s.symptomatic = latency_high || errors_high || dep_high || restarts_rising || pod_outlier;

  history_.push_back(s);
  while (history_.size() > kMaxHistory) history_.pop_front();

  if (s.symptomatic) {
    healthy_ticks_ = 0;
    if (!incident_) incident_ = Incident{in.now};
  } else {
    ++healthy_ticks_;
    if (incident_ && !incident_->acting && !incident_->follow_up && healthy_ticks_ >= spec_.persist_ticks) {
      incident_.reset();  // over: the next symptoms are a new incident, with a restart of its own
      candidate_.clear();
      candidate_ticks_ = strong_ticks_ = 0;
    }
  }
  RemediationProposal p;
  if (!incident_) return p;
  p.onset = incident_->onset;
  // The deadline depends on the action (a rolling restart takes longer than one pod's), so it is
  // set once the action is known, on every way out.
  const auto due = [&](RemediationProposal& r) -> RemediationProposal& {
    r.deadline = in.now + rollout_deadline(t, r.decision_action(), r.action == RemedyAction::RestartPod, in.interval) +
                 spec_.settle + spec_.recovery_window;
    return r;
  };

  // The evidence, whatever the class.
  auto add = [&](const char* signal, double v, double base, std::string note) {
    if (std::isfinite(v)) p.evidence.push_back(RemediationEvidence{signal, v, base, std::move(note)});
  };
  add("latency", s.latency, b.latency,
      std::isfinite(lat_thr) ? "threshold " + secs(lat_thr) + (latency_high ? ", above" : ", below") : "no baseline yet");
  add("error_ratio", s.error_ratio, b.error_ratio, "the service's own 5xx; threshold " + pct(err_thr));
  add("dependency_error_ratio", s.dependency_ratio, std::nan(""),
      "502/504 from dependencies; threshold " + pct(spec_.dependency_error_ratio));
  if (std::isfinite(s.restarts))
    add("restarts", restarts, std::nan(""), "container restarts in the last " + minutes(spec_.restart_window));
  add("saturation", s.saturation, std::nan(""), "threshold " + fmt("%.2f", spec_.saturation));
  if (std::isfinite(s.pod_spread))
    add("pod_latency", slow_pod_latency_, other_pods_median_,
        "pod " + slow_pod_ + " vs the median of the " + std::to_string(pods_seen_ - 1) + " others (" +
            fmt("%.1f", s.pod_spread) + "×)");
  if (deployed_at_)
    add("revision", s.revision, std::nan(""),
        deployed_note_ + " " + fmt("%.0f s", to_seconds(incident_->onset - *deployed_at_)) + " before the onset");

  if (incident_->gave_up) {
    p.incident = incident_->last_class;
    p.reason = std::string("hold: ") + to_string(p.incident) +
               " was escalated to a human; no automatic action until the incident is over";
    return due(p);
  }
  if (incident_->acting) {
    p.incident = incident_->last_class;
    p.reason = "hold: a remediation of this incident is being verified";
    return due(p);
  }
  if (incident_->follow_up) {
    p.incident = incident_->last_class;
    p.action = *incident_->follow_up;
    p.follow_up_of = incident_->follow_up_of;
    p.confidence = p.action == RemedyAction::Rollback ? 0.6 : 1.0;
    p.signal = s.error_ratio > err_thr ? "error_ratio" : "latency";
    p.threshold = p.signal == "latency" ? lat_thr : err_thr;
    p.reason = std::string(to_string(p.action)) + " (follow-up of " + incident_->follow_up_of + "): " +
               incident_->follow_up_why;
    p.expected_effect = p.action == RemedyAction::Rollback
                            ? "the previous revision's " + p.signal + " within " + minutes(spec_.recovery_window)
                            : "a human takes over";
    return due(p);
  }
  classify(in, s, b, p, {latency_high, errors_high, dep_high, restarts_rising, pod_outlier, sat_high}, lat_thr, err_thr,
           restarts);
  return due(p);
}

void RemediationPlanner::classify(const RemediationInput& in, const Sample& s, const Baseline& b, RemediationProposal& p,
                                  const Symptoms& sy, double lat_thr, double err_thr, double restarts) {
  const Duration tolerance = in.interval;  // a rollout and its first symptoms may share a tick
  const bool deploy_recent = deployed_at_ && *deployed_at_ <= incident_->onset + tolerance &&
                             incident_->onset - *deployed_at_ <= spec_.deploy_window;
  const std::string deploy_words =
      deploy_recent ? deployed_note_ + " " + fmt("%.0f s", to_seconds(incident_->onset - *deployed_at_)) +
                          " before the symptoms began"
                    : std::string();
  const std::string rec = minutes(spec_.recovery_window);
  auto set = [&](IncidentClass c, RemedyAction a, double conf, std::string signal, double thr, std::string why,
                 std::string effect) {
    p.incident = c;
    p.action = a;
    p.confidence = std::clamp(conf, 0.0, 1.0);
    p.signal = std::move(signal);
    p.threshold = thr;
    p.reason = std::move(why);
    p.expected_effect = std::move(effect);
  };
  const std::string lat_words = "p99 latency " + secs(s.latency) + " (before " + secs(b.latency) + ", threshold " +
                                secs(lat_thr) + ")";
  const std::string err_words = "own error ratio " + pct(s.error_ratio) + " (before " + pct(b.error_ratio) +
                                ", threshold " + pct(err_thr) + ")";
  const std::string dep_words = "dependency (502/504) error ratio " + pct(s.dependency_ratio);
  const std::string restart_words = fmt("%.0f", restarts) + " container restarts in the last " +
                                    minutes(spec_.restart_window);

  if (sy.dep_high && (sy.errors_high || sy.restarts_rising)) {
    set(IncidentClass::Unknown, RemedyAction::Escalate, 0.5, "", std::nan(""),
        "escalate: conflicting signals — " + dep_words + " together with " +
            (sy.errors_high ? err_words : restart_words) +
            ": the service itself and its dependency both look unhealthy, and a restart or rollback could make "
            "it worse",
        "a human decides");
  } else if (sy.dep_high && deploy_recent) {
    set(IncidentClass::Unknown, RemedyAction::Escalate, 0.5, "", std::nan(""),
        "escalate: conflicting signals — " + dep_words + " began after a deploy (" + deploy_words +
            "): the deploy may have broken how it reaches the dependency, or the dependency failed on its own",
        "a human decides");
  } else if (sy.dep_high) {
    const double share = s.dependency_ratio / std::max(1e-12, s.dependency_ratio + (std::isfinite(s.error_ratio) ? s.error_ratio : 0));
    set(IncidentClass::DependencyOutage, RemedyAction::Escalate, 0.5 + 0.45 * share, "", std::nan(""),
        "escalate: dependency outage — " + dep_words + ", while the service's " + err_words +
            " is fine; restarting or rolling back this service cannot fix a dependency and would only take "
            "healthy capacity away",
        "none from this agent: the dependency must recover; a human is asked");
  } else if (sy.restarts_rising && deploy_recent) {
    set(IncidentClass::BadDeploy, RemedyAction::Rollback, 0.6 + 0.3 * (1 - to_seconds(incident_->onset - *deployed_at_) / to_seconds(spec_.deploy_window)),
        "restarts", 0.5,
        "rollback: bad deploy — " + restart_words + " after " + deploy_words,
        "no more container restarts within " + rec + " after the rollback completes");
  } else if (sy.restarts_rising) {
    set(IncidentClass::CrashLoop, RemedyAction::Restart, 0.6 + 0.05 * std::min(6.0, restarts - spec_.restarts), "restarts",
        0.5, "restart: crash loop — " + restart_words + ", no deploy in the last " + minutes(spec_.deploy_window),
        "no more container restarts within " + rec + " after fresh replicas are ready");
  } else if (sy.sat_high && (sy.latency_high || sy.errors_high)) {
    set(IncidentClass::Saturation, RemedyAction::Scale, std::min(0.9, s.saturation), "latency", lat_thr,
        "saturation — utilisation " + fmt("%.2f", s.saturation) + " with " + (sy.latency_high ? lat_words : err_words) +
            ": more replicas, left to the scaling planner",
        "latency back under " + secs(lat_thr) + " once the new replicas are ready");
  } else if ((sy.latency_high || sy.errors_high) && deploy_recent) {
    const bool by_errors = sy.errors_high;
    set(IncidentClass::BadDeploy, RemedyAction::Rollback,
        0.5 + 0.3 * (1 - to_seconds(incident_->onset - *deployed_at_) / to_seconds(spec_.deploy_window)) +
            (sy.latency_high && sy.errors_high ? 0.1 : 0),
        by_errors ? "error_ratio" : "latency", by_errors ? err_thr : lat_thr,
        "rollback: bad deploy — " + (by_errors ? err_words : lat_words) + " began after " + deploy_words,
        by_errors ? "error ratio back under " + pct(err_thr) + " within " + rec + " after the rollback completes"
                  : "p99 latency back under " + secs(lat_thr) + " within " + rec + " after the rollback completes");
  } else if (sy.pod_outlier && !slow_pod_.empty()) {
    set(IncidentClass::BadPod, RemedyAction::RestartPod, 0.5 + 0.05 * std::min(8.0, s.pod_spread - spec_.pod_outlier_factor),
        "pod_latency", spec_.pod_outlier_factor,
        "restart pod " + slow_pod_ + ": bad pod — its latency " + secs(slow_pod_latency_) + " is " +
            fmt("%.1f", s.pod_spread) + "× the median of the " + std::to_string(pods_seen_ - 1) + " others (" +
            secs(other_pods_median_) + ")",
        "pod " + slow_pod_ + " replaced and no pod " + fmt("%.0f", spec_.pod_outlier_factor) +
            "× slower than the others within " + rec);
  } else if (sy.latency_high || sy.errors_high) {
    set(IncidentClass::Unknown, RemedyAction::None, 0.2, sy.errors_high ? "error_ratio" : "latency",
        sy.errors_high ? err_thr : lat_thr,
        "unknown: " + (sy.errors_high ? err_words : lat_words) +
            " with no deploy, no restarts, no dependency errors, no slow pod and no saturation to explain it",
        "");
  } else {
    p.reason = "symptoms cleared; the incident closes after " + std::to_string(spec_.persist_ticks) + " healthy ticks";
    candidate_.clear();
    candidate_ticks_ = strong_ticks_ = 0;
    return;
  }
  incident_->last_class = p.incident;

  // Never a second automatic restart or rollback for one incident.
  if ((p.action == RemedyAction::Restart || p.action == RemedyAction::RestartPod) && incident_->restarts_done > 0) {
    p.action = RemedyAction::Escalate;
    p.reason = "escalate: " + p.reason + "; a restart was already tried for this incident and never a second "
               "automatic one";
  } else if (p.action == RemedyAction::Rollback && (incident_->rollbacks_done > 0 || rollbacks_this_deploy_ > 0)) {
    p.action = RemedyAction::Escalate;
    p.reason = "escalate: " + p.reason + "; a rollback was already done for this deploy";
  }

  // How many times its threshold the evidence the class rests on is. Latency and error ratios
  // only count with a baseline of kStrongBaselineSamples behind their thresholds; restarts (a
  // counter) and one pod against the others' median need none.
  const bool solid = b.n >= kStrongBaselineSamples;
  double margin = 0;
  if (p.incident == IncidentClass::BadPod) {
    margin = s.pod_spread / spec_.pod_outlier_factor;
  } else if (p.incident == IncidentClass::CrashLoop || p.signal == "restarts") {
    margin = restarts / spec_.restarts;
  } else if (p.incident == IncidentClass::BadDeploy && solid) {
    if (sy.latency_high) margin = s.latency / lat_thr;
    if (sy.errors_high) margin = std::max(margin, s.error_ratio / err_thr);
  }
  const bool strong = spec_.strong_evidence_factor >= 1 && margin >= spec_.strong_evidence_factor;

  // Persistence: the same class, action and pod for persist_ticks ticks — or, for an action on
  // strong evidence, kStrongEvidenceTicks consecutive ticks that were all strong.
  const std::string key = std::string(to_string(p.incident)) + "|" + to_string(p.action) + "|" +
                          (p.incident == IncidentClass::BadPod ? slow_pod_ : std::string());
  strong_ticks_ = !strong ? 0 : key == candidate_ ? strong_ticks_ + 1 : 1;
  candidate_ticks_ = key == candidate_ ? candidate_ticks_ + 1 : 1;
  candidate_ = key;
  const bool fast_path = p.acts() && spec_.strong_evidence_factor >= 1 && kStrongEvidenceTicks < spec_.persist_ticks;
  const std::string strength = fmt("%.1f× its threshold (strong from %.3g×)", margin, spec_.strong_evidence_factor);
  if (fast_path && strong_ticks_ >= kStrongEvidenceTicks && candidate_ticks_ < spec_.persist_ticks) {
    p.reason += "; acting after " + std::to_string(candidate_ticks_) + " ticks, not " +
                std::to_string(spec_.persist_ticks) + ": the evidence was strong on each of them, now " + strength;
  } else if ((p.acts() || p.action == RemedyAction::Escalate) && candidate_ticks_ < spec_.persist_ticks) {
    p.reason = "watching: " + std::string(to_string(p.incident)) + " seen " + std::to_string(candidate_ticks_) + " of " +
               std::to_string(spec_.persist_ticks) + " ticks before acting" +
               (fast_path ? ", or " + std::to_string(kStrongEvidenceTicks) + " strong ones; evidence " + strength : "") +
               " (" + p.reason + ")";
    p.action = RemedyAction::None;
  }
  if (p.action == RemedyAction::RestartPod) p.pod = slow_pod_;
}

}  // namespace opspilot::agent
