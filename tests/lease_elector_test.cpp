// Leader election over a Lease, against the real Kubernetes API simulator (a child process):
// one leader among candidates, hand-over on release, take-over only after lease_duration (judged
// from local observation, whatever the clocks say), lost races on 409, RBAC errors in words,
// leaseTransitions, the renew deadline. Most tests step a ManualClock, so expiry boundaries are
// exact to the millisecond and no test sleeps; one runs on the wall clock end to end.
#include "agent/leader/lease_elector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <regex>
#include <set>
#include <thread>

#include "examples/k8s-sim/sim_process.h"

namespace opspilot::agent {
namespace {

namespace kube = actuators::kube;
using namespace std::chrono_literals;
using nlohmann::json;
using k8s_sim::testing::SimProcess;

// agent-token has exactly the rights the Helm chart grants for leader election.
constexpr const char* kState = R"(
auth:
  tokens:
    - {token: admin-token, user: admin}
    - token: agent-token
      user: "system:serviceaccount:default:opspilot"
      rules: [{verbs: [get, create, update], apiGroups: [coordination.k8s.io], resources: [leases], namespaces: [default]}]
    - token: viewer-token
      user: viewer
      rules: [{verbs: [get, list, watch], apiGroups: ["*"], resources: ["*"], namespaces: ["*"]}]
    - token: pods-token
      user: pod-reader
      rules: [{verbs: [get], apiGroups: [""], resources: [pods], namespaces: ["*"]}]
leases: [{name: seeded, holder: agent-1, leaseDurationSeconds: 15}]
)";

// 2026-01-02T03:04:05.678Z
const TimePoint kStart{Duration(1767323045678)};

class LeaseElectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { sim_ = new SimProcess(kState); }
  static void TearDownTestSuite() {
    const std::string stopped = sim_->stop();
    EXPECT_EQ(stopped, "");
    delete sim_;
    sim_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(sim_->error(), "");
    sim_->send("DELETE", "/sim/faults");
    // One Lease per test, named after it, so tests do not see each other's leases.
    for (char c : std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())) {
      lease_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }

  static std::shared_ptr<kube::KubeClient> client(const std::string& token = "agent-token", std::string server = "") {
    kube::KubeConfig config;
    config.server = server.empty() ? sim_->url() : server;
    config.token = token;
    config.namespace_ = "default";
    actuators::RetryPolicy once;
    once.attempts = 1;  // a round must stay short; the next round is the retry
    return std::make_shared<kube::KubeClient>(config, once, 2s);
  }
  static LeaseElectorOptions options(const std::string& identity, const std::string& name) {
    LeaseElectorOptions o;
    o.name = name;
    o.identity = identity;
    o.lease_duration = 2s;
    o.renew_deadline = 1500ms;
    o.retry_period = 500ms;
    return o;
  }
  std::unique_ptr<LeaseElector> elector(const std::string& identity, const Clock* clock,
                                        const std::string& token = "agent-token") {
    return std::make_unique<LeaseElector>(options(identity, lease_), client(token), clock);
  }
  static std::string path(const std::string& name) {
    return "/apis/coordination.k8s.io/v1/namespaces/default/leases/" + name;
  }
  json lease(const std::string& name = "") const {
    const auto r = sim_->send("GET", path(name.empty() ? lease_ : name), "", "application/json", "admin-token");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json spec() const { return lease().value("spec", json::object()); }
  void fault(int code, int count, const std::string& method = "PUT") const {
    json f = {{"pathPrefix", path(lease_)}, {"code", code}, {"count", count}, {"retryAfterSeconds", 0}};
    if (!method.empty()) f["method"] = method;
    ASSERT_EQ(sim_->send("POST", "/sim/fault", f.dump()).status, 201);
  }
  // The writes the simulator logged for this test's Lease (GETs are not logged).
  std::vector<json> writes() const {
    std::vector<json> out;
    const json log = json::parse(sim_->send("GET", "/sim/log").body);
    for (const auto& e : log.at("entries")) {
      // A create names the object in its body, not its path.
      const json body = json::parse(e.value("body", ""), nullptr, false);
      const bool created = body.is_object() && body.value("metadata", json::object()).value("name", "") == lease_;
      if (e.value("name", "") == lease_ || (e.value("verb", "") == "create" && created)) out.push_back(e);
    }
    return out;
  }

  static SimProcess* sim_;
  std::string lease_;
  ManualClock clock_{kStart};
};

SimProcess* LeaseElectorTest::sim_ = nullptr;

bool at_most_one_leader(const LeaseElector& a, const LeaseElector& b) { return !(a.is_leader() && b.is_leader()); }

TEST_F(LeaseElectorTest, CreatesTheLeaseAndExactlyOneOfTwoLeads) {
  auto a = elector("agent-a", &clock_);
  auto b = elector("agent-b", &clock_);
  const LeaseRound first = a->try_acquire_or_renew();
  EXPECT_EQ(first.outcome, LeaseOutcome::acquired) << first.message;
  EXPECT_TRUE(first.leader);
  const LeaseRound second = b->try_acquire_or_renew();
  EXPECT_EQ(second.outcome, LeaseOutcome::follower) << second.message;
  EXPECT_FALSE(second.leader);
  EXPECT_EQ(second.holder, "agent-a");
  EXPECT_EQ(b->holder(), "agent-a");

  // What client-go writes on create: MicroTime, acquireTime = renewTime, no transitions yet.
  const json s = spec();
  EXPECT_EQ(s.value("holderIdentity", ""), "agent-a");
  EXPECT_EQ(s.value("leaseDurationSeconds", 0), 2);
  EXPECT_EQ(s.value("leaseTransitions", -1), 0);
  EXPECT_EQ(s.value("acquireTime", ""), "2026-01-02T03:04:05.678000Z");
  EXPECT_EQ(s.value("renewTime", ""), "2026-01-02T03:04:05.678000Z");

  for (int i = 0; i < 5; ++i) {
    clock_.advance(500ms);
    EXPECT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::renewed) << a->last_error();
    EXPECT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower) << b->last_error();
    EXPECT_TRUE(a->is_leader());
    EXPECT_FALSE(b->is_leader());
  }
  const json after = spec();
  EXPECT_EQ(after.value("acquireTime", ""), "2026-01-02T03:04:05.678000Z");  // same term
  EXPECT_EQ(after.value("renewTime", ""), "2026-01-02T03:04:08.178000Z");
  EXPECT_EQ(after.value("leaseTransitions", -1), 0);
  EXPECT_TRUE(std::regex_match(after.value("renewTime", ""),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")));

  // client-go's fast path: a renew is one PUT carrying the resourceVersion of the last write.
  const auto w = writes();
  ASSERT_EQ(w.size(), 6u);  // one create, five renews
  EXPECT_EQ(w[0].value("verb", ""), "create");
  for (std::size_t i = 1; i < w.size(); ++i) {
    EXPECT_EQ(w[i].value("method", ""), "PUT");
    EXPECT_EQ(w[i].value("code", 0), 200);
    const json sent = json::parse(w[i].value("body", "{}"));
    EXPECT_EQ(sent["metadata"].value("resourceVersion", ""), w[i - 1].value("resourceVersion", "?"));
  }
}

TEST_F(LeaseElectorTest, CandidatesRacingForANewLeaseElectExactlyOne) {
  for (int i = 0; i < 6; ++i) {
    const std::string name = lease_ + "-" + std::to_string(i);
    LeaseElector a(options("agent-a", name), client(), &clock_);
    LeaseElector b(options("agent-b", name), client(), &clock_);
    std::atomic<int> ready{0};
    LeaseRound ra, rb;
    auto run = [&ready](LeaseElector* e, LeaseRound* out) {
      ++ready;
      while (ready.load() < 2) std::this_thread::yield();
      *out = e->try_acquire_or_renew();
    };
    // The agent's HTTP handlers read the state while rounds run (meaningful under TSan).
    std::atomic<bool> done{false};
    std::thread reader([&] {
      while (!done) (void)(a.is_leader() + b.holder().size() + a.next_delay().count() + b.lease_transitions());
    });
    std::thread ta(run, &a, &ra), tb(run, &b, &rb);
    ta.join();
    tb.join();
    done = true;
    reader.join();
    EXPECT_NE(ra.leader, rb.leader) << to_string(ra.outcome) << " / " << to_string(rb.outcome);
    const LeaseRound& loser = ra.leader ? rb : ra;
    EXPECT_TRUE(loser.outcome == LeaseOutcome::lost_race || loser.outcome == LeaseOutcome::follower)
        << to_string(loser.outcome) << ": " << loser.message;
    EXPECT_EQ(lease(name)["spec"].value("holderIdentity", ""), ra.leader ? "agent-a" : "agent-b");
    EXPECT_TRUE(at_most_one_leader(a, b));
  }
}

TEST_F(LeaseElectorTest, ReleaseHandsOverOnTheNextRound) {
  auto a = elector("agent-a", &clock_);
  auto b = elector("agent-b", &clock_);
  ASSERT_TRUE(a->try_acquire_or_renew().leader);
  ASSERT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  clock_.advance(300ms);

  EXPECT_TRUE(a->release()) << a->last_error();
  EXPECT_FALSE(a->is_leader());
  EXPECT_EQ(a->holder(), "");
  // client-go's ReleaseOnCancel record.
  const json s = spec();
  EXPECT_EQ(s.value("holderIdentity", "?"), "");
  EXPECT_EQ(s.value("leaseDurationSeconds", 0), 1);
  EXPECT_EQ(s.value("acquireTime", ""), "2026-01-02T03:04:05.978000Z");
  EXPECT_EQ(s.value("renewTime", ""), "2026-01-02T03:04:05.978000Z");
  EXPECT_EQ(s.value("leaseTransitions", -1), 0);

  // No time passes: an empty holder may be taken at once.
  const LeaseRound taken = b->try_acquire_or_renew();
  EXPECT_EQ(taken.outcome, LeaseOutcome::acquired) << taken.message;
  EXPECT_TRUE(b->is_leader());
  EXPECT_EQ(spec().value("leaseTransitions", -1), 1);
  EXPECT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  EXPECT_EQ(a->holder(), "agent-b");

  // Releasing what one does not hold writes nothing.
  const std::size_t before = writes().size();
  EXPECT_TRUE(a->release());
  EXPECT_EQ(writes().size(), before);
  EXPECT_TRUE(b->is_leader());
}

TEST_F(LeaseElectorTest, DroppedLeaderIsReplacedOnlyAfterLeaseDurationOnTheWallClock) {
  SystemClock wall;
  auto a = elector("agent-a", &wall);
  auto b = elector("agent-b", &wall);
  ASSERT_TRUE(a->try_acquire_or_renew().leader) << a->last_error();
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(200ms);
    ASSERT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::renewed) << a->last_error();
    ASSERT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower) << b->last_error();
  }
  // The last renew began at t0; then the process "dies" without releasing.
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::renewed);
  a.reset();
  int follower_rounds = 0;
  while (!b->try_acquire_or_renew().leader) {
    ASSERT_EQ(b->last_error(), "");
    ASSERT_LT(std::chrono::steady_clock::now() - t0, 5s) << "agent-b never took over";
    ++follower_rounds;
    std::this_thread::sleep_for(50ms);
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 2s) << "took over before lease_duration";
  EXPECT_LT(waited, 3s) << "took over much later than lease_duration";
  EXPECT_GT(follower_rounds, 10);
  EXPECT_EQ(spec().value("holderIdentity", ""), "agent-b");
  EXPECT_EQ(spec().value("leaseTransitions", -1), 1);
}

TEST_F(LeaseElectorTest, ExpiryIsJudgedFromLocalObservationNotTheRemoteRenewTime) {
  ManualClock ahead{kStart + 1h}, behind{kStart - 1h};
  auto a = elector("agent-a", &clock_);
  auto b = elector("agent-b", &ahead);   // thinks a's renewTime is an hour old
  auto c = elector("agent-c", &behind);  // thinks a's renewTime is an hour in the future
  ASSERT_TRUE(a->try_acquire_or_renew().leader);
  EXPECT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  EXPECT_EQ(c->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  // The clocks disagree by hours but run at the same rate (what client-go tolerates); a has
  // stopped renewing.
  const auto advance_all = [&](Duration d) {
    clock_.advance(d);
    ahead.advance(d);
    behind.advance(d);
  };
  advance_all(1999ms);
  EXPECT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  EXPECT_EQ(c->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  advance_all(1ms);
  EXPECT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::acquired) << b->last_error();
  EXPECT_FALSE(a->is_leader());
  EXPECT_EQ(spec().value("leaseTransitions", -1), 1);
  // c saw b's write as a change: its wait starts again from that observation.
  advance_all(1ms);
  EXPECT_EQ(c->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  EXPECT_EQ(c->holder(), "agent-b");
}

TEST_F(LeaseElectorTest, NewReplicaWaitsTheRecordsFullDurationWhateverTheRenewTime) {
  // The seeded Lease has no renewTime at all and leaseDurationSeconds 15 (not our 2).
  LeaseElector e(options("agent-new", "seeded"), client(), &clock_);
  EXPECT_EQ(e.try_acquire_or_renew().outcome, LeaseOutcome::follower);
  EXPECT_EQ(e.holder(), "agent-1");
  clock_.advance(14999ms);
  EXPECT_EQ(e.try_acquire_or_renew().outcome, LeaseOutcome::follower);
  clock_.advance(1ms);
  EXPECT_EQ(e.try_acquire_or_renew().outcome, LeaseOutcome::acquired) << e.last_error();
  const json s = lease("seeded")["spec"];
  EXPECT_EQ(s.value("holderIdentity", ""), "agent-new");
  EXPECT_EQ(s.value("leaseDurationSeconds", 0), 2);
  EXPECT_EQ(s.value("leaseTransitions", -1), 1);
}

TEST_F(LeaseElectorTest, ConflictOnTheWriteLosesTheRound) {
  auto a = elector("agent-a", &clock_);
  auto b = elector("agent-b", &clock_);
  ASSERT_TRUE(a->try_acquire_or_renew().leader);
  ASSERT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  clock_.advance(2s);  // a stopped renewing; for b the lease has expired
  fault(409, 1);
  const LeaseRound lost = b->try_acquire_or_renew();
  EXPECT_EQ(lost.outcome, LeaseOutcome::lost_race);
  EXPECT_FALSE(lost.leader);
  EXPECT_NE(lost.message.find("lost the race for lease default/" + lease_), std::string::npos) << lost.message;
  EXPECT_EQ(b->last_error(), lost.message);
  EXPECT_TRUE(at_most_one_leader(*a, *b));
  EXPECT_EQ(spec().value("holderIdentity", ""), "agent-a");
  EXPECT_EQ(spec().value("leaseTransitions", -1), 0);

  EXPECT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::acquired) << b->last_error();
  EXPECT_EQ(b->last_error(), "");
  EXPECT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  EXPECT_TRUE(at_most_one_leader(*a, *b));

  // The holder's optimistic renew hits one 409 and falls back to read-then-write (client-go).
  clock_.advance(500ms);
  fault(409, 1);
  EXPECT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::renewed) << b->last_error();
  // Two 409s: someone really wrote in between; b stops leading at once, not at the deadline.
  clock_.advance(500ms);
  fault(409, 2);
  EXPECT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::lost_race);
  EXPECT_FALSE(b->is_leader());
  EXPECT_TRUE(at_most_one_leader(*a, *b));
  // Still its own Lease on the next read: it leads again, same term.
  EXPECT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::acquired) << b->last_error();
  EXPECT_EQ(spec().value("leaseTransitions", -1), 1);
  EXPECT_EQ(sim_->send("GET", "/sim/faults").body, R"({"faults":[]})");
}

TEST_F(LeaseElectorTest, PermissionAndTransportErrorsAreNamed) {
  // Can read but not create: the missing permission is named.
  auto viewer = elector("agent-v", &clock_, "viewer-token");
  const LeaseRound create = viewer->try_acquire_or_renew();
  EXPECT_EQ(create.outcome, LeaseOutcome::error);
  EXPECT_FALSE(create.leader);
  EXPECT_NE(create.message.find("create leases.coordination.k8s.io in namespace default"), std::string::npos)
      << create.message;
  EXPECT_NE(create.message.find("viewer"), std::string::npos) << create.message;
  EXPECT_EQ(viewer->last_error(), create.message);

  // Can read, and the lease expired, but cannot update.
  auto a = elector("agent-a", &clock_);
  ASSERT_TRUE(a->try_acquire_or_renew().leader);
  EXPECT_EQ(viewer->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  clock_.advance(2s);
  const LeaseRound update = viewer->try_acquire_or_renew();
  EXPECT_EQ(update.outcome, LeaseOutcome::error);
  EXPECT_NE(update.message.find("update leases.coordination.k8s.io in namespace default"), std::string::npos)
      << update.message;

  // Cannot even read.
  const LeaseRound get = elector("agent-p", &clock_, "pods-token")->try_acquire_or_renew();
  EXPECT_EQ(get.outcome, LeaseOutcome::error);
  EXPECT_NE(get.message.find("get leases.coordination.k8s.io"), std::string::npos) << get.message;

  const LeaseRound unknown = elector("agent-u", &clock_, "no-such-token")->try_acquire_or_renew();
  EXPECT_EQ(unknown.outcome, LeaseOutcome::error);
  EXPECT_NE(unknown.message.find("401"), std::string::npos) << unknown.message;

  LeaseElector down(options("agent-d", lease_), client("agent-token", "http://127.0.0.1:" +
                                                                          std::to_string(test::free_port())),
                    &clock_);
  const LeaseRound unreachable = down.try_acquire_or_renew();
  EXPECT_EQ(unreachable.outcome, LeaseOutcome::error);
  EXPECT_FALSE(down.is_leader());
  EXPECT_NE(unreachable.message.find("unreachable"), std::string::npos) << unreachable.message;
  EXPECT_EQ(unreachable.message.rfind("leader election on lease default/" + lease_ + ": ", 0), 0u)
      << unreachable.message;
}

TEST_F(LeaseElectorTest, LeaseTransitionsCountHolderChanges) {
  auto a = elector("agent-a", &clock_);
  auto b = elector("agent-b", &clock_);
  ASSERT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::acquired);
  for (int i = 0; i < 3; ++i) {
    clock_.advance(500ms);
    ASSERT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::renewed);
    ASSERT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  }
  EXPECT_EQ(a->lease_transitions(), 0);
  const std::string first_acquire = spec().value("acquireTime", "");

  ASSERT_TRUE(a->release());  // a release is not a transition: nobody holds it yet
  EXPECT_EQ(spec().value("leaseTransitions", -1), 0);
  clock_.advance(100ms);
  ASSERT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::acquired);
  EXPECT_EQ(b->lease_transitions(), 1);
  EXPECT_NE(spec().value("acquireTime", ""), first_acquire);

  ASSERT_TRUE(b->release());
  ASSERT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::acquired);
  EXPECT_EQ(a->lease_transitions(), 2);

  // Expiry take-over (a stops renewing).
  ASSERT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  clock_.advance(2s);
  ASSERT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::acquired);
  EXPECT_EQ(b->lease_transitions(), 3);
  EXPECT_EQ(spec().value("leaseTransitions", -1), 3);
  EXPECT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  EXPECT_EQ(a->lease_transitions(), 3);
}

TEST_F(LeaseElectorTest, RenewDeadlineEndsLeadershipBeforeAnyoneTakesOver) {
  auto a = elector("agent-a", &clock_);
  auto b = elector("agent-b", &clock_);
  std::vector<std::pair<bool, std::string>> changes;
  a->on_change([&changes](bool leader, const std::string& holder) { changes.emplace_back(leader, holder); });
  ASSERT_TRUE(a->try_acquire_or_renew().leader);
  ASSERT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower);

  fault(503, 1000, "");  // the API is down for the lease, reads and writes
  clock_.advance(1000ms);
  const LeaseRound failed = a->try_acquire_or_renew();
  EXPECT_EQ(failed.outcome, LeaseOutcome::error);
  EXPECT_NE(failed.message.find("503"), std::string::npos) << failed.message;
  EXPECT_TRUE(failed.leader);  // still inside renew_deadline (1.5 s) of the last renew
  clock_.advance(499ms);
  EXPECT_TRUE(a->is_leader());
  clock_.advance(1ms);
  EXPECT_FALSE(a->is_leader());  // no round needed to notice
  EXPECT_EQ(a->holder(), "agent-a");
  EXPECT_GE(a->next_delay(), 500ms);  // a follower's delay now

  sim_->send("DELETE", "/sim/faults");
  // Between renew_deadline and lease_duration nobody leads.
  EXPECT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  EXPECT_FALSE(b->is_leader());
  // The API is back: a renews its own lease (same term) and leads again.
  EXPECT_EQ(a->try_acquire_or_renew().outcome, LeaseOutcome::acquired) << a->last_error();
  EXPECT_EQ(spec().value("leaseTransitions", -1), 0);
  const std::vector<std::pair<bool, std::string>> expected = {{true, "agent-a"}, {false, "agent-a"}, {true, "agent-a"}};
  EXPECT_EQ(changes, expected);
}

TEST_F(LeaseElectorTest, OnChangeReportsLeadershipAndHolder) {
  auto a = elector("agent-a", &clock_);
  auto b = elector("agent-b", &clock_);
  std::vector<std::pair<bool, std::string>> ca, cb;
  a->on_change([&ca, &a](bool leader, const std::string& holder) {
    EXPECT_EQ(a->is_leader(), leader);  // getters are callable from the callback
    ca.emplace_back(leader, holder);
  });
  b->on_change([&cb](bool leader, const std::string& holder) { cb.emplace_back(leader, holder); });
  a->try_acquire_or_renew();
  b->try_acquire_or_renew();
  a->try_acquire_or_renew();  // renewed: no change, no call
  a->release();
  b->try_acquire_or_renew();
  a->try_acquire_or_renew();
  using Calls = std::vector<std::pair<bool, std::string>>;
  EXPECT_EQ(ca, (Calls{{true, "agent-a"}, {false, ""}, {false, "agent-b"}}));
  EXPECT_EQ(cb, (Calls{{false, "agent-a"}, {true, "agent-b"}}));
}

TEST_F(LeaseElectorTest, OptionsAreCheckedLikeClientGo) {
  LeaseElectorOptions good;
  good.identity = "pod-1";
  EXPECT_EQ(validate(good), "");  // 15 s / 10 s / 2 s, client-go's defaults

  LeaseElectorOptions bad = good;
  bad.identity = "";
  bad.name = "Bad_Name";
  bad.lease_duration = 1500ms;
  bad.renew_deadline = 2s;
  bad.retry_period = 2s;
  const std::string why = validate(bad);
  EXPECT_NE(why.find("identity is empty"), std::string::npos) << why;
  EXPECT_NE(why.find("name 'Bad_Name' is not a valid Lease name"), std::string::npos) << why;
  EXPECT_NE(why.find("lease_duration 1500 ms is not a whole number of seconds"), std::string::npos) << why;
  EXPECT_NE(why.find("lease_duration 1500 ms must be greater than renew_deadline 2 s"), std::string::npos) << why;
  EXPECT_NE(why.find("renew_deadline 2 s must be greater than 1.2 x retry_period 2 s"), std::string::npos) << why;

  // A misconfigured elector says why on every round and sends nothing.
  const auto log_size = [] { return json::parse(sim_->send("GET", "/sim/log").body).at("entries").size(); };
  const std::size_t before = log_size();
  LeaseElector e(bad, client(), &clock_);
  const LeaseRound r = e.try_acquire_or_renew();
  EXPECT_EQ(r.outcome, LeaseOutcome::error);
  EXPECT_NE(r.message.find("is misconfigured: identity is empty"), std::string::npos) << r.message;
  EXPECT_EQ(log_size(), before);
  EXPECT_TRUE(e.release());

  LeaseElector nothing(good, nullptr, nullptr);
  const LeaseRound n = nothing.try_acquire_or_renew();
  EXPECT_NE(n.message.find("no Kubernetes client was given; no clock was given"), std::string::npos) << n.message;
  EXPECT_FALSE(nothing.is_leader());
  EXPECT_GE(nothing.next_delay(), 2s);
}

TEST_F(LeaseElectorTest, NextDelayFollowsClientGoLoops) {
  auto a = elector("agent-a", &clock_);
  auto b = elector("agent-b", &clock_);
  ASSERT_TRUE(a->try_acquire_or_renew().leader);
  ASSERT_EQ(b->try_acquire_or_renew().outcome, LeaseOutcome::follower);
  EXPECT_EQ(a->next_delay(), 500ms);  // the renew loop: every retry_period
  std::set<std::int64_t> seen;
  for (int i = 0; i < 200; ++i) {  // the acquire loop: retry_period plus up to 1.2 x jitter
    const auto d = b->next_delay();
    EXPECT_GE(d, 500ms);
    EXPECT_LT(d, 1100ms);
    seen.insert(d.count());
  }
  EXPECT_GT(seen.size(), 20u);
  EXPECT_EQ(b->options().namespace_, "default");  // from the client's configuration
  EXPECT_EQ(b->lease_path(), path(lease_));
}

}  // namespace
}  // namespace opspilot::agent
