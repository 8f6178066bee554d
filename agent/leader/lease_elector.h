#pragma once
// Leader election over a coordination.k8s.io/v1 Lease, with the semantics of client-go's
// leaderelection package (LeaseLock), so that two agent replicas never both act and a
// client-go-based tool (kubectl, another controller) reads the same Lease the same way.
//
// One round (try_acquire_or_renew) is what client-go's tryAcquireOrRenew does:
//   1. fast path: the holder renews with the resourceVersion of its own last write, no GET;
//      if that write fails with an HTTP error it falls back to 2 (as client-go does);
//   2. GET the Lease; 404 -> create it holding it (leaseTransitions 0);
//   3. held by another and not expired -> follower;
//   4. otherwise update it with the resourceVersion just read (acquireTime and
//      leaseTransitions + 1 only when the holder changes); 409 -> someone else wrote first:
//      the race is lost and this replica is a follower.
// Expiry is judged the way client-go judges it, tolerant to clock skew between replicas: never
// from the remote renewTime, but from the local time at which this replica *observed* the
// record change, plus the record's leaseDurationSeconds. A replica that starts while another
// holds the Lease therefore waits a full lease_duration before taking over, however old the
// renewTime looks.
//
// The agent calls try_acquire_or_renew() from its own timer, next_delay() apart, and acts only
// while is_leader(). On shutdown it calls release() (client-go's ReleaseOnCancel) so a follower
// takes over on its next round instead of after lease_duration.
//
// Thread-safety: every method may be called from any thread. Rounds and release() are
// serialized by one mutex (they do the HTTP calls); the getters (is_leader(), holder(), ...)
// read state behind a second mutex and never wait for a round in flight, so the agent's HTTP
// handlers can call them at any time. The on_change callback runs on the thread doing the
// round, after the state changed; it may call the getters but must not call
// try_acquire_or_renew() or release() (that would deadlock).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "actuators/kubernetes/kube_client.h"
#include "agent/clock.h"

namespace opspilot::agent {

struct LeaseElectorOptions {
  std::string namespace_;  // "" = the KubeClient's namespace (kubeconfig or service account)
  std::string name = "opspilot-leader";
  std::string identity;  // this replica, e.g. the pod name; must be unique among replicas
  /// How long followers wait, from when they last saw the Lease change, before taking over.
  /// Written as leaseDurationSeconds, so a whole number of seconds.
  Duration lease_duration = std::chrono::seconds(15);
  /// The leader stops leading when no renew succeeded for this long. < lease_duration, so it
  /// stops before any follower may take over.
  Duration renew_deadline = std::chrono::seconds(10);
  /// Time between rounds (followers add client-go's jitter, up to 1.2 x this).
  Duration retry_period = std::chrono::seconds(2);
};

/// What one round did.
enum class LeaseOutcome {
  acquired,   // this replica became the holder (created the Lease, or took it over)
  renewed,    // this replica held it and renewed it
  follower,   // another replica holds a Lease that has not expired
  lost_race,  // another replica wrote the Lease between our read and our write (409)
  error,      // the API failed (401/403/5xx/unreachable/invalid answer): see message
};
const char* to_string(LeaseOutcome outcome);

struct LeaseRound {
  LeaseOutcome outcome = LeaseOutcome::error;
  bool leader = false;   // is_leader() after the round
  std::string holder;    // holderIdentity as last observed ("" = released or never held)
  std::string message;   // for error and lost_race: what happened, in the API's terms
};

/// Options checked the way client-go's NewLeaderElector checks its config: "" when valid, else
/// every problem, each quoting the offending value and what was expected.
std::string validate(const LeaseElectorOptions& options);

class LeaseElector {
 public:
  using Options = LeaseElectorOptions;
  using Result = LeaseRound;
  using ChangeCallback = std::function<void(bool leader, const std::string& holder)>;

  /// `client` and `clock` must outlive the elector. The client's RetryPolicy and timeout bound
  /// how long a round can take: keep them well inside renew_deadline (e.g. 1-2 attempts, a
  /// timeout of a few seconds). With invalid options (see validate()) every round is an error
  /// that says why, and no request is sent.
  LeaseElector(Options options, std::shared_ptr<actuators::kube::KubeClient> client, const Clock* clock);
  LeaseElector(const LeaseElector&) = delete;
  LeaseElector& operator=(const LeaseElector&) = delete;

  /// One election round (see the file comment). Failures are values, never exceptions.
  Result try_acquire_or_renew();

  /// Gives the Lease up if this replica holds it, writing what client-go's ReleaseOnCancel
  /// writes: holderIdentity "", leaseDurationSeconds 1, acquireTime = renewTime = now, so a
  /// follower takes over on its next round. This replica stops leading whatever the answer.
  /// Returns false (and sets last_error()) when the write failed; true when released or when
  /// there was nothing to release.
  bool release();

  /// Whether this replica may act: it holds the Lease and its last successful write began less
  /// than renew_deadline ago (judged on every call, so it turns false even if no round runs).
  bool is_leader() const;
  /// holderIdentity as last observed ("" before the first round, or after a release).
  std::string holder() const;
  /// The last error or lost race in words; "" after a successful round.
  std::string last_error() const;
  /// spec.leaseTransitions as last observed (or written): how often the holder changed.
  std::int64_t lease_transitions() const;
  /// When to run the next round: retry_period while leading (client-go's renew loop), else
  /// retry_period plus up to 1.2 x retry_period of jitter (client-go's acquire loop), so that
  /// followers do not all try at once.
  std::chrono::milliseconds next_delay() const;

  /// Called when (leader, holder) changes: on becoming or ceasing to be leader (including
  /// through renew_deadline, reported at the start of the next round) and on a new holder.
  void on_change(ChangeCallback callback);

  const Options& options() const { return options_; }
  /// "/apis/coordination.k8s.io/v1/namespaces/<ns>/leases/<name>".
  std::string lease_path() const;
  /// "<ns>/<name>", for messages.
  std::string lease_ref() const;

 private:
  // The fields of the Lease spec that leader election reads and writes (client-go's
  // LeaderElectionRecord).
  struct Record {
    std::string holder;
    std::int64_t lease_duration_seconds = 0;
    std::string acquire_time, renew_time;  // RFC 3339 MicroTime, as on the wire
    std::int64_t transitions = 0;
  };
  static Record record_of(const nlohmann::json& lease);
  static std::string raw_of(const Record& r);
  nlohmann::json spec_with(const Record& r, const nlohmann::json& base) const;

  Result round_locked();
  Result fast_path_renew(TimePoint now, bool* done);
  Result create_lease(TimePoint now);
  Result update_lease(TimePoint now, const Record& seen);
  // Adopts a Lease this replica just wrote (the server's answer, or what was sent).
  void adopt_written(const nlohmann::json& answer, const Record& sent, TimePoint started);
  // Adopts a Lease read from the server; moves observed_time_ only when the record changed.
  void adopt_read_locked(const nlohmann::json& lease);
  bool lease_valid_locked(TimePoint now) const;
  bool leader_locked(TimePoint now) const;
  Result finish(LeaseOutcome outcome, std::string message);
  std::string failure(const actuators::kube::KubeResponse& r, const std::string& verb) const;
  void notify_if_changed();

  const Options options_;
  const std::string invalid_;  // validate(options_)
  const std::shared_ptr<actuators::kube::KubeClient> client_;
  const Clock* const clock_;

  std::mutex round_mu_;  // one round or release at a time; held across HTTP calls

  mutable std::mutex state_mu_;  // guards everything below; never held across HTTP calls
  Record observed_;
  std::string observed_raw_;         // raw_of(observed_) when last changed ("" = none yet)
  TimePoint observed_time_{};        // local time the record was last seen to change
  nlohmann::json lease_object_;      // last Lease read or written (carries resourceVersion)
  bool holding_ = false;             // this replica's last write made it the holder
  TimePoint last_renew_{};           // when the last successful write as holder began
  std::string last_error_;
  ChangeCallback callback_;
  bool reported_leader_ = false;
  std::string reported_holder_;
  mutable std::minstd_rand rng_;
};

}  // namespace opspilot::agent
