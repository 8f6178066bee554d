#include "agent/leader/lease_elector.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace opspilot::agent {

namespace {

namespace kube = actuators::kube;
using nlohmann::json;

constexpr const char* kGroup = "coordination.k8s.io";
constexpr const char* kResource = "leases";

// client-go's JitterFactor: followers wait retry_period plus up to 1.2 x retry_period.
constexpr double kJitterFactor = 1.2;

/// metav1.MicroTime as the API server writes it: "2006-01-02T15:04:05.000000Z". Our clocks have
/// millisecond resolution, so the last three digits are always zero.
std::string micro_time(TimePoint t) {
  const std::int64_t ms = t.time_since_epoch().count();
  std::int64_t secs = ms / 1000;
  std::int64_t frac = ms % 1000;
  if (frac < 0) {  // before 1970: floor, not truncate
    frac += 1000;
    secs -= 1;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d000Z", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(frac));
  return buf;
}

std::string words(Duration d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// RFC 1123 subdomain (Lease names) or label (namespaces, no dots, <= 63).
bool valid_dns_name(const std::string& s, bool allow_dots, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  if (!is_alnum_lower(s.front()) || !is_alnum_lower(s.back())) return false;
  for (char c : s) {
    if (!is_alnum_lower(c) && c != '-' && !(allow_dots && c == '.')) return false;
  }
  return true;
}

// Whether `s` can be written into a JSON body (nlohmann refuses invalid UTF-8 when dumping).
bool is_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::exception&) {  // construction-time check only, never on a round
    return false;
  }
}

std::int64_t int_at(const json& spec, const char* key) {
  const auto it = spec.find(key);
  return it != spec.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string string_at(const json& spec, const char* key) {
  const auto it = spec.find(key);
  return it != spec.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

const char* to_string(LeaseOutcome outcome) {
  switch (outcome) {
    case LeaseOutcome::acquired: return "acquired";
    case LeaseOutcome::renewed: return "renewed";
    case LeaseOutcome::follower: return "follower";
    case LeaseOutcome::lost_race: return "lost_race";
    case LeaseOutcome::error: return "error";
  }
  return "unknown";
}

std::string validate(const LeaseElectorOptions& o) {
  std::string out;
  const auto add = [&out](const std::string& problem) { out += (out.empty() ? "" : "; ") + problem; };
  if (o.identity.empty()) add("identity is empty: expected this replica's unique name (e.g. the pod name)");
  const bool control = std::any_of(o.identity.begin(), o.identity.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (control || !is_utf8(o.identity)) {
    add("identity " + json(o.identity).dump(-1, ' ', true, json::error_handler_t::replace) +
        " has control characters or is not UTF-8: expected printable text (e.g. the pod name)");
  }
  if (!valid_dns_name(o.name, true, 253)) {
    add("name '" + o.name + "' is not a valid Lease name: expected lower-case letters, digits, '-' and '.', "
        "starting and ending with a letter or digit, at most 253 characters");
  }
  if (!o.namespace_.empty() && !valid_dns_name(o.namespace_, false, 63)) {
    add("namespace '" + o.namespace_ + "' is not a valid namespace: expected lower-case letters, digits and "
        "'-', starting and ending with a letter or digit, at most 63 characters");
  }
  if (o.lease_duration < std::chrono::seconds(1) || o.lease_duration.count() % 1000 != 0) {
    add("lease_duration " + words(o.lease_duration) +
        " is not a whole number of seconds >= 1 s (the Lease stores leaseDurationSeconds)");
  }
  if (o.renew_deadline.count() <= 0) add("renew_deadline " + words(o.renew_deadline) + " must be greater than 0");
  if (o.retry_period.count() <= 0) add("retry_period " + words(o.retry_period) + " must be greater than 0");
  if (o.lease_duration <= o.renew_deadline) {
    add("lease_duration " + words(o.lease_duration) + " must be greater than renew_deadline " +
        words(o.renew_deadline) + " (the leader must stop before a follower may take over)");
  }
  if (static_cast<double>(o.renew_deadline.count()) <= kJitterFactor * static_cast<double>(o.retry_period.count())) {
    add("renew_deadline " + words(o.renew_deadline) + " must be greater than 1.2 x retry_period " +
        words(o.retry_period) + " (the leader needs time to retry a failed renew before it stops)");
  }
  return out;
}

namespace {

LeaseElectorOptions resolve(LeaseElectorOptions o, const kube::KubeClient* client) {
  if (o.namespace_.empty() && client) o.namespace_ = client->config().namespace_;
  if (o.namespace_.empty()) o.namespace_ = "default";
  return o;
}

std::string check(const LeaseElectorOptions& o, const kube::KubeClient* client, const Clock* clock) {
  std::string problems = validate(o);
  if (!client) problems += std::string(problems.empty() ? "" : "; ") + "no Kubernetes client was given";
  if (!clock) problems += std::string(problems.empty() ? "" : "; ") + "no clock was given";
  return problems;
}

}  // namespace

LeaseElector::LeaseElector(Options options, std::shared_ptr<kube::KubeClient> client, const Clock* clock)
    : options_(resolve(std::move(options), client.get())),
      invalid_(check(options_, client.get(), clock)),
      client_(std::move(client)),
      clock_(clock),
      rng_(std::random_device{}()) {}

std::string LeaseElector::lease_path() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + options_.namespace_ + "/leases/" + options_.name;
}

std::string LeaseElector::lease_ref() const { return options_.namespace_ + "/" + options_.name; }

// ---- the record ------------------------------------------------------------------------------

LeaseElector::Record LeaseElector::record_of(const json& lease) {
  Record r;
  const auto it = lease.find("spec");
  if (it == lease.end() || !it->is_object()) return r;
  r.holder = string_at(*it, "holderIdentity");
  r.lease_duration_seconds = int_at(*it, "leaseDurationSeconds");
  r.acquire_time = string_at(*it, "acquireTime");
  r.renew_time = string_at(*it, "renewTime");
  r.transitions = int_at(*it, "leaseTransitions");
  return r;
}

// client-go compares the serialized record to notice a change; any write by anyone bumps at
// least renewTime, so equal text means "nobody wrote since we last looked".
std::string LeaseElector::raw_of(const Record& r) {
  return json{{"holderIdentity", r.holder},
              {"leaseDurationSeconds", r.lease_duration_seconds},
              {"acquireTime", r.acquire_time},
              {"renewTime", r.renew_time},
              {"leaseTransitions", r.transitions}}
      .dump();
}

// Only the election fields change; anything else in the spec (strategy, preferredHolder) is
// written back as read.
json LeaseElector::spec_with(const Record& r, const json& base) const {
  json spec = base.is_object() ? base : json::object();
  spec["holderIdentity"] = r.holder;  // "" is written, not omitted: client-go writes it on release
  spec["leaseDurationSeconds"] = r.lease_duration_seconds;
  spec["acquireTime"] = r.acquire_time;
  spec["renewTime"] = r.renew_time;
  spec["leaseTransitions"] = r.transitions;
  return spec;
}

void LeaseElector::adopt_written(const json& answer, const Record& sent, TimePoint started) {
  std::lock_guard lock(state_mu_);
  Record rec = sent;
  if (answer.is_object() && answer.contains("metadata")) {
    lease_object_ = answer;
    rec = record_of(answer);
  } else {
    lease_object_ = nullptr;  // no resourceVersion to write with: the next round reads first
  }
  observed_ = rec;
  observed_raw_ = raw_of(rec);
  observed_time_ = clock_->now();
  holding_ = rec.holder == options_.identity;
  // The write began at `started`; counting the renew deadline from there (not from the answer)
  // keeps this replica's view of its own lease no later than any follower's.
  if (holding_) last_renew_ = started;
}

void LeaseElector::adopt_read_locked(const json& lease) {
  lease_object_ = lease;
  const Record rec = record_of(lease);
  std::string raw = raw_of(rec);
  if (raw != observed_raw_) {
    // The skew-tolerant part: the clock that judges expiry is ours, started when we saw the
    // change, never the holder's renewTime.
    observed_ = rec;
    observed_raw_ = std::move(raw);
    observed_time_ = clock_->now();
  }
  if (rec.holder != options_.identity) holding_ = false;
}

bool LeaseElector::lease_valid_locked(TimePoint now) const {
  return observed_time_ + std::chrono::seconds(observed_.lease_duration_seconds) > now;
}

bool LeaseElector::leader_locked(TimePoint now) const {
  return holding_ && observed_.holder == options_.identity && now - last_renew_ < options_.renew_deadline;
}

// ---- one round -------------------------------------------------------------------------------

LeaseRound LeaseElector::try_acquire_or_renew() {
  std::lock_guard round(round_mu_);
  if (!invalid_.empty()) {
    return finish(LeaseOutcome::error, "leader election on lease " + lease_ref() + " is misconfigured: " + invalid_);
  }
  notify_if_changed();  // a leadership that ran out (renew_deadline) since the last round
  Result r = round_locked();
  notify_if_changed();
  return r;
}

LeaseRound LeaseElector::round_locked() {
  const TimePoint now = clock_->now();
  bool done = false;
  Result fast = fast_path_renew(now, &done);
  if (done) return fast;

  kube::KubeResponse got = client_->request("GET", lease_path());
  if (got.error.empty() && got.status == 404) return create_lease(now);
  if (!got.ok()) return finish(LeaseOutcome::error, failure(got, "get"));
  if (!got.body.is_object() || !got.body.contains("metadata")) {
    return finish(LeaseOutcome::error, "leader election on lease " + lease_ref() + ": the answer to GET " +
                                           lease_path() + " is not a Lease object: '" + got.raw.substr(0, 120) + "'");
  }
  Record seen;
  bool valid = false;
  {
    std::lock_guard lock(state_mu_);
    adopt_read_locked(got.body);
    seen = observed_;
    valid = lease_valid_locked(now);
  }
  if (!seen.holder.empty() && seen.holder != options_.identity && valid) {
    return finish(LeaseOutcome::follower, "");
  }
  return update_lease(now, seen);
}

// client-go's fast path: the holder writes with the resourceVersion of its own last write,
// saving a GET per renew. On an HTTP error (typically 409: someone wrote since) the round goes
// on with the GET; without any answer (API unreachable) it stops here, since a GET would only
// wait out another timeout inside the renew deadline.
LeaseRound LeaseElector::fast_path_renew(TimePoint now, bool* done) {
  json object;
  Record rec;
  bool was_leader = false;
  {
    std::lock_guard lock(state_mu_);
    if (observed_.holder != options_.identity || !lease_object_.is_object() || !lease_valid_locked(now)) {
      *done = false;
      return {};
    }
    was_leader = leader_locked(now);
    rec = Record{options_.identity, options_.lease_duration.count() / 1000, observed_.acquire_time,
                 micro_time(now), observed_.transitions};
    object = lease_object_;
  }
  if (rec.acquire_time.empty()) rec.acquire_time = rec.renew_time;
  object["spec"] = spec_with(rec, object.value("spec", json::object()));
  kube::KubeResponse put = client_->request("PUT", lease_path(), &object);
  if (put.ok()) {
    adopt_written(put.body, rec, now);
    *done = true;
    return finish(was_leader ? LeaseOutcome::renewed : LeaseOutcome::acquired, "");
  }
  if (put.status == 0) {
    *done = true;
    return finish(LeaseOutcome::error, failure(put, "update"));
  }
  *done = false;
  return {};
}

LeaseRound LeaseElector::create_lease(TimePoint now) {
  const std::string t = micro_time(now);
  const Record rec{options_.identity, options_.lease_duration.count() / 1000, t, t, 0};
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", options_.name}, {"namespace", options_.namespace_}}}};
  lease["spec"] = spec_with(rec, json::object());
  kube::KubeResponse made = client_->request(
      "POST", "/apis/coordination.k8s.io/v1/namespaces/" + options_.namespace_ + "/leases", &lease);
  if (made.ok()) {
    adopt_written(made.body, rec, now);
    return finish(LeaseOutcome::acquired, "");
  }
  if (made.error.empty() && made.status == 409) {
    {
      std::lock_guard lock(state_mu_);
      holding_ = false;
    }
    return finish(LeaseOutcome::lost_race, "lost the race for lease " + lease_ref() +
                                               ": another replica created it first (" + made.message() + ")");
  }
  return finish(LeaseOutcome::error, failure(made, "create"));
}

LeaseRound LeaseElector::update_lease(TimePoint now, const Record& seen) {
  const std::string t = micro_time(now);
  Record rec{options_.identity, options_.lease_duration.count() / 1000, t, t, seen.transitions + 1};
  if (seen.holder == options_.identity) {  // ours already: same term, no transition
    if (!seen.acquire_time.empty()) rec.acquire_time = seen.acquire_time;
    rec.transitions = seen.transitions;
  }
  json object;
  bool was_leader = false;
  {
    std::lock_guard lock(state_mu_);
    object = lease_object_;
    was_leader = leader_locked(now);
  }
  object["spec"] = spec_with(rec, object.value("spec", json::object()));
  kube::KubeResponse put = client_->request("PUT", lease_path(), &object);
  if (put.ok()) {
    adopt_written(put.body, rec, now);
    return finish(was_leader ? LeaseOutcome::renewed : LeaseOutcome::acquired, "");
  }
  if (put.error.empty() && put.status == 409) {
    // Someone wrote between our GET and our PUT. Whoever it was may be acting now, so stop at
    // once rather than at the renew deadline; the next round reads who holds it.
    {
      std::lock_guard lock(state_mu_);
      holding_ = false;
    }
    return finish(LeaseOutcome::lost_race, "lost the race for lease " + lease_ref() +
                                               ": it changed between our read and our write (" + put.message() + ")");
  }
  return finish(LeaseOutcome::error, failure(put, "update"));
}

LeaseRound LeaseElector::finish(LeaseOutcome outcome, std::string message) {
  std::lock_guard lock(state_mu_);
  if (outcome == LeaseOutcome::follower) holding_ = false;
  last_error_ = message;
  Result r;
  r.outcome = outcome;
  r.leader = clock_ && leader_locked(clock_->now());
  r.holder = observed_.holder;
  r.message = std::move(message);
  return r;
}

std::string LeaseElector::failure(const kube::KubeResponse& r, const std::string& verb) const {
  return "leader election on lease " + lease_ref() + ": " +
         kube::describe_failure(r, verb, kGroup, kResource, options_.namespace_, options_.name);
}

// ---- release, getters, callbacks ---------------------------------------------------------------

bool LeaseElector::release() {
  std::lock_guard round(round_mu_);
  if (!invalid_.empty()) return true;  // never held anything
  const TimePoint now = clock_->now();
  const std::string t = micro_time(now);
  Record rec{"", 1, t, t, 0};
  json object;
  bool ours = false;
  {
    std::lock_guard lock(state_mu_);
    // Stop acting before the write: whatever the API answers, this replica is done leading.
    holding_ = false;
    ours = observed_.holder == options_.identity;
    object = lease_object_;
    rec.transitions = observed_.transitions;
    if (!ours) last_error_.clear();
  }
  if (ours && !object.is_object()) {  // our last write's answer had no object: read it first
    kube::KubeResponse got = client_->request("GET", lease_path());
    if (got.ok() && got.body.is_object() && got.body.contains("metadata")) {
      const Record now_seen = record_of(got.body);
      ours = now_seen.holder == options_.identity;
      rec.transitions = now_seen.transitions;
      object = got.body;
    } else {
      {
        std::lock_guard lock(state_mu_);
        last_error_ = "releasing: " + failure(got, "get");
      }
      notify_if_changed();
      return false;
    }
  }
  if (!ours) {
    notify_if_changed();
    return true;
  }
  object["spec"] = spec_with(rec, object.value("spec", json::object()));
  kube::KubeResponse put = client_->request("PUT", lease_path(), &object);
  const bool ok = put.ok();
  if (ok) {
    adopt_written(put.body, rec, now);
    std::lock_guard lock(state_mu_);
    last_error_.clear();
  } else {
    const std::string why = put.error.empty() && put.status == 409
                                ? "lease " + lease_ref() + " changed since our last write, so it is no longer ours to "
                                  "release (" + put.message() + ")"
                                : failure(put, "update");
    std::lock_guard lock(state_mu_);
    last_error_ = "releasing: " + why;
  }
  notify_if_changed();
  return ok;
}

void LeaseElector::notify_if_changed() {
  ChangeCallback cb;
  bool leader = false;
  std::string holder;
  {
    std::lock_guard lock(state_mu_);
    leader = leader_locked(clock_->now());
    holder = observed_.holder;
    if (leader == reported_leader_ && holder == reported_holder_) return;
    reported_leader_ = leader;
    reported_holder_ = holder;
    cb = callback_;
  }
  if (cb) cb(leader, holder);
}

void LeaseElector::on_change(ChangeCallback callback) {
  std::lock_guard lock(state_mu_);
  callback_ = std::move(callback);
}

bool LeaseElector::is_leader() const {
  std::lock_guard lock(state_mu_);
  return clock_ && leader_locked(clock_->now());
}

std::string LeaseElector::holder() const {
  std::lock_guard lock(state_mu_);
  return observed_.holder;
}

std::string LeaseElector::last_error() const {
  std::lock_guard lock(state_mu_);
  return last_error_;
}

std::int64_t LeaseElector::lease_transitions() const {
  std::lock_guard lock(state_mu_);
  return observed_.transitions;
}

std::chrono::milliseconds LeaseElector::next_delay() const {
  std::lock_guard lock(state_mu_);
  const auto period = options_.retry_period;
  if (period.count() <= 0) return std::chrono::seconds(1);  // invalid options: rounds only report why
  if (clock_ && leader_locked(clock_->now())) return period;
  std::uniform_real_distribution<double> jitter(0.0, kJitterFactor);
  return period + std::chrono::milliseconds(static_cast<std::int64_t>(jitter(rng_) * static_cast<double>(period.count())));
}

}  // namespace opspilot::agent
