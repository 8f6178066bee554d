// The aws-asg actuator against a real moto_server: groups are created with our own signed Query
// client, then scaled, replayed, contested, bounded, verified, restarted and refused. moto's
// request recorder is the independent witness of which writes reached the server; its IAM
// authentication mode (/moto-api/reset-auth) checks our signatures and session tokens for real.
#include <gtest/gtest.h>

#include <boost/property_tree/ptree.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <sstream>

#include "actuators/actuator.h"
#include "actuators/aws/asg_actuator.h"
#include "actuators/aws/query_client.h"
#include "tests/test_support.h"

namespace opspilot::actuators::aws {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

constexpr const char* kRegion = "us-east-1";
constexpr const char* kLaunchConfig = "opspilot-lc";
constexpr const char* kSecret = "not-really-secret-4f9c";

class MotoServer {
 public:
  /// `record`: moto's request recorder on, writing to a file in this server's own directory.
  explicit MotoServer(bool record) : port_(test::free_port()), url_("http://127.0.0.1:" + std::to_string(port_)) {
    const std::string program = test::find_program("moto_server");
    if (program.empty()) {
      error_ = "moto_server is not on PATH (pip install 'moto[server]')";
      return;
    }
    std::vector<std::string> args{"MOTO_RECORDER_FILEPATH=" + dir_.file("recording"), program, "-H", "127.0.0.1", "-p",
                                  std::to_string(port_)};
    proc_ = std::make_unique<test::ChildProcess>("/usr/bin/env", args, dir_.file("moto.log"));
    record_ = record;
  }
  bool start(std::string* why) const {
    if (!error_.empty()) {
      *why = error_;
      return false;
    }
    if (!test::wait_for_http(url_ + "/moto-api/", 30s)) {
      std::string log;
      test::run_command("tail -n 20 '" + dir_.file("moto.log") + "'", &log);
      *why = "moto_server did not answer at " + url_ + "; log:\n" + log;
      return false;
    }
    if (record_ && test::http_post(url_ + "/moto-api/recorder/start-recording", "", "text/plain").status != 200) {
      *why = "moto_server refused to start its recorder";
      return false;
    }
    return true;
  }
  const std::string& url() const { return url_; }

  /// Form bodies of the recorded requests whose body contains every one of `needles`.
  int count_recorded(const std::vector<std::string>& needles) const {
    const auto rec = test::http_get(url_ + "/moto-api/recorder/download-recording");
    int n = 0;
    std::istringstream lines(rec.body);
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("body") || !j["body"].is_string()) continue;
      std::string body = j["body"].get<std::string>();
      if (j.value("body_encoded", false)) body = base64_decode(body);
      bool all = true;
      for (const auto& needle : needles) all = all && body.find(needle) != std::string::npos;
      n += all ? 1 : 0;
    }
    return n;
  }

  /// Turns moto's IAM authentication on after `free_requests` more unauthenticated requests
  /// (the set-up calls); "inf" turns it off again.
  bool enable_auth_after(const std::string& free_requests) const {
    return test::http_post(url_ + "/moto-api/reset-auth", free_requests, "text/plain").status == 200;
  }

 private:
  static std::string base64_decode(const std::string& in) {
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int bits = 0, acc = 0;
    for (char c : in) {
      const auto pos = kAlphabet.find(c);
      if (pos == std::string::npos) continue;  // '=' padding, newlines
      acc = (acc << 6) | static_cast<int>(pos);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<char>((acc >> bits) & 0xff));
      }
    }
    return out;
  }

  TempDir dir_;
  int port_;
  std::string url_;
  std::string error_;
  bool record_ = false;
  std::unique_ptr<test::ChildProcess> proc_;
};

/// A signed Query client as the test's administrator (moto accepts any key unless auth is on).
QueryClient admin_client(const std::string& url, const std::string& service = "autoscaling",
                         const std::string& version = AsgActuator::kApiVersion) {
  QueryOptions o;
  o.endpoint = url;
  o.region = kRegion;
  o.service = service;
  o.version = version;
  // moto loads a service's backend on its first request, which takes seconds on a busy machine;
  // one attempt (a retried create would find its own group), with room for that.
  o.timeout = 30000ms;
  o.retry.attempts = 1;
  return QueryClient(o, [] {
    return CredentialsResult{Credentials{"AKIDADMIN", "adminsecret", "", std::nullopt, "test admin"}, "", false};
  });
}

void create_group(const QueryClient& admin, const std::string& name, int min, int max, int desired) {
  const auto r = admin.call("CreateAutoScalingGroup", {{"AutoScalingGroupName", name},
                                                       {"LaunchConfigurationName", kLaunchConfig},
                                                       {"MinSize", std::to_string(min)},
                                                       {"MaxSize", std::to_string(max)},
                                                       {"DesiredCapacity", std::to_string(desired)},
                                                       {"AvailabilityZones.member.1", "us-east-1a"}});
  ASSERT_TRUE(r.ok) << r.error.describe();
}

int desired_of(const QueryClient& admin, const std::string& name) {
  const auto r = admin.call("DescribeAutoScalingGroups", {{"AutoScalingGroupNames.member.1", name}});
  if (!r.ok || r.result == nullptr) return -1;
  for (const auto& [k, g] : r.result->get_child("AutoScalingGroups"))
    if (xml_text(g, "AutoScalingGroupName") == name) return std::stoi(xml_text(g, "DesiredCapacity"));
  return -1;
}

Action scale(const std::string& group, int from, int to, const std::string& id = "d-1") {
  Action a;
  a.decision_id = id;
  a.kind = ActionKind::Scale;
  a.target = TargetRef{"AutoScalingGroup", "", group};
  a.from_replicas = from;
  a.replicas = to;
  return a;
}

std::map<std::string, std::string> static_keys(const std::string& key = "AKIDTEST", const std::string& secret = kSecret) {
  return {{"AWS_ACCESS_KEY_ID", key}, {"AWS_SECRET_ACCESS_KEY", secret}};
}

void expect_no_secrets(const std::vector<ApiCall>& calls) {
  for (const auto& c : calls) {
    for (const std::string* s : {&c.url, &c.body, &c.response}) {
      EXPECT_EQ(s->find(kSecret), std::string::npos) << "secret leaked into a recorded call: " << *s;
      EXPECT_EQ(s->find("AWS4-HMAC-SHA256"), std::string::npos) << "signature leaked into a recorded call: " << *s;
    }
  }
}

class AsgActuatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new MotoServer(/*record=*/true);
    ready_ = moto_->start(&why_);
    if (!ready_) return;
    const auto lc = admin_client(moto_->url())
                        .call("CreateLaunchConfiguration", {{"LaunchConfigurationName", kLaunchConfig},
                                                            {"ImageId", "ami-12c6146b"},
                                                            {"InstanceType", "t2.micro"}});
    if (!lc.ok) {
      ready_ = false;
      why_ = "CreateLaunchConfiguration failed: " + lc.error.describe();
    }
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(ready_) << why_; }

  std::unique_ptr<AsgActuator> actuator(ActuatorSettings extra = {}, std::map<std::string, std::string> env = static_keys()) {
    ActuatorSettings s{{"region", kRegion}, {"endpoint", moto_->url()}, {"retries", "2"}, {"timeout", "5s"}};
    for (auto& [k, v] : extra) s[k] = v;
    return std::make_unique<AsgActuator>(s, environment_from(std::move(env)));
  }
  QueryClient admin() const { return admin_client(moto_->url()); }
  static std::string group_name() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

  static MotoServer* moto_;
  static bool ready_;
  static std::string why_;
};
MotoServer* AsgActuatorTest::moto_ = nullptr;
bool AsgActuatorTest::ready_ = false;
std::string AsgActuatorTest::why_;

TEST_F(AsgActuatorTest, ScaleSetsDesiredCapacityAndVerifyReachesDone) {
  const std::string g = group_name();
  create_group(admin(), g, 1, 5, 2);
  auto act = actuator();
  const Action a = scale(g, 2, 4);

  const std::vector<ApiCall> plan = act->plan(a);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].body, "Action=DescribeAutoScalingGroups&Version=2011-01-01&AutoScalingGroupNames.member.1=" + g);
  EXPECT_EQ(plan[1].body, "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=" + g +
                              "&DesiredCapacity=4&HonorCooldown=false");
  EXPECT_EQ(plan[1].url, moto_->url() + "/");

  const ApplyResult r = act->apply(a);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.already_applied);
  ASSERT_EQ(r.calls.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {  // plan() showed exactly what apply() did
    EXPECT_EQ(r.calls[i].method, "POST");
    EXPECT_EQ(r.calls[i].url, plan[i].url);
    EXPECT_EQ(r.calls[i].body, plan[i].body);
    EXPECT_EQ(r.calls[i].status, 200);
  }
  expect_no_secrets(r.calls);
  EXPECT_EQ(desired_of(admin(), g), 4);

  const VerifyResult v = act->verify(a);  // moto starts instances at once
  EXPECT_EQ(v.state, VerifyState::Done) << v.detail;
  EXPECT_EQ(v.detail, "4 of 4 instances in service");
  EXPECT_EQ(v.observed.value("desired", -1), 4);
  EXPECT_EQ(v.observed.value("min", -1), 1);
  EXPECT_EQ(v.observed.value("max", -1), 5);
  EXPECT_EQ(v.observed.value("in_service", -1), 4);
  ASSERT_EQ(v.observed["instances"].size(), 4u);
  EXPECT_EQ(v.observed["instances"][0].value("lifecycle_state", ""), "InService");
  EXPECT_EQ(v.calls.size(), 1u);
}

TEST_F(AsgActuatorTest, ReplayIsIdempotentAndWritesOnce) {
  const std::string g = group_name();
  create_group(admin(), g, 1, 5, 2);
  auto act = actuator();
  const Action a = scale(g, 2, 3);
  const ApplyResult first = act->apply(a);
  ASSERT_TRUE(first.ok) << first.error;
  const ApplyResult replay = act->apply(a);
  ASSERT_TRUE(replay.ok) << replay.error;
  EXPECT_TRUE(replay.already_applied);
  ASSERT_EQ(replay.calls.size(), 1u);  // the read only
  EXPECT_NE(replay.calls[0].body.find("Action=DescribeAutoScalingGroups"), std::string::npos);
  // moto's own record: one SetDesiredCapacity for this group, ever.
  EXPECT_EQ(moto_->count_recorded({"Action=SetDesiredCapacity", "AutoScalingGroupName=" + g + "&"}), 1);
  EXPECT_EQ(desired_of(admin(), g), 3);
}

TEST_F(AsgActuatorTest, ConflictingChangeIsNeverOverwritten) {
  const std::string g = group_name();
  create_group(admin(), g, 1, 6, 2);
  // Someone else scales the group after the decision saw 2.
  ASSERT_TRUE(admin().call("SetDesiredCapacity", {{"AutoScalingGroupName", g}, {"DesiredCapacity", "3"}}).ok);
  auto act = actuator();
  const ApplyResult r = act->apply(scale(g, 2, 5));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);  // re-decide, do not retry blindly
  EXPECT_EQ(r.error, "conflict: Auto Scaling group " + g +
                         " has DesiredCapacity 3, but the decision saw 2 (someone else changed it); not "
                         "overwriting it: re-read and re-decide");
  EXPECT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(desired_of(admin(), g), 3);
  EXPECT_EQ(moto_->count_recorded({"Action=SetDesiredCapacity", "AutoScalingGroupName=" + g + "&"}), 1);  // theirs
}

TEST_F(AsgActuatorTest, OutOfBoundsIsRefusedBeforeAnyWrite) {
  const std::string g = group_name();
  create_group(admin(), g, 2, 5, 3);
  auto act = actuator();
  // moto itself would accept 9 (real AWS refuses with a ValidationError): the bound is ours to keep.
  const ApplyResult above = act->apply(scale(g, 3, 9));
  EXPECT_FALSE(above.ok);
  EXPECT_EQ(above.error, "replicas 9 is outside Auto Scaling group " + g +
                             "'s bounds [MinSize 2, MaxSize 5]; SetDesiredCapacity not called");
  EXPECT_EQ(above.calls.size(), 1u);
  const ApplyResult below = act->apply(scale(g, 3, 1));
  EXPECT_FALSE(below.ok);
  EXPECT_NE(below.error.find("[MinSize 2, MaxSize 5]"), std::string::npos) << below.error;
  EXPECT_EQ(desired_of(admin(), g), 3);
  EXPECT_EQ(moto_->count_recorded({"Action=SetDesiredCapacity", "AutoScalingGroupName=" + g + "&"}), 0);
}

TEST_F(AsgActuatorTest, UnknownGroupFailsAndVerifyReportsItGone) {
  auto act = actuator();
  const ApplyResult r = act->apply(scale("no-such-group", 1, 2));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.error, "Auto Scaling group no-such-group not found (region us-east-1, endpoint " + moto_->url() + "/)");
  const VerifyResult v = act->verify(scale("no-such-group", 1, 2));
  EXPECT_EQ(v.state, VerifyState::Failed);
  EXPECT_NE(v.detail.find("not found"), std::string::npos) << v.detail;
}

TEST_F(AsgActuatorTest, VerifyCountsOnlyHealthyInServiceInstances) {
  const std::string g = group_name();
  create_group(admin(), g, 1, 5, 4);
  auto act = actuator();
  const Action a = scale(g, 2, 4);
  ASSERT_EQ(act->verify(a).state, VerifyState::Done);
  // Mark one instance unhealthy through the API: 3 of 4 serving is still in progress.
  const VerifyResult before = act->verify(a);
  const std::string instance = before.observed["instances"][0].value("id", "");
  ASSERT_FALSE(instance.empty());
  const auto h = admin().call("SetInstanceHealth", {{"InstanceId", instance}, {"HealthStatus", "Unhealthy"}});
  ASSERT_TRUE(h.ok) << h.error.describe();
  const VerifyResult v = act->verify(a);
  EXPECT_EQ(v.state, VerifyState::InProgress);
  EXPECT_EQ(v.detail, "3 of 4 instances in service");
  EXPECT_EQ(v.observed.value("in_service", -1), 3);
  // A verify for a different target count never reads as Done.
  const VerifyResult other = act->verify(scale(g, 2, 5));
  EXPECT_EQ(other.state, VerifyState::InProgress);
  EXPECT_NE(other.detail.find("DesiredCapacity is 4, not the 5 this action set"), std::string::npos) << other.detail;
}

TEST_F(AsgActuatorTest, RestartUsesInstanceRefreshOrSaysTheEndpointLacksIt) {
  const std::string g = group_name();
  create_group(admin(), g, 1, 5, 2);
  auto act = actuator();
  Action a;
  a.decision_id = "d-restart";
  a.kind = ActionKind::Restart;
  a.target = TargetRef{"AutoScalingGroup", "", g};
  a.params = {{"min_healthy_percentage", "90"}};
  const auto plan = act->plan(a);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].body, "Action=DescribeInstanceRefreshes&Version=2011-01-01&AutoScalingGroupName=" + g);
  EXPECT_EQ(plan[1].body, "Action=StartInstanceRefresh&Version=2011-01-01&AutoScalingGroupName=" + g +
                              "&Strategy=Rolling&Preferences.MinHealthyPercentage=90");

  const ApplyResult r = act->apply(a);
  if (r.ok) {
    // An endpoint with instance refreshes: a replay finds the running refresh.
    const ApplyResult replay = act->apply(a);
    EXPECT_TRUE(replay.ok && replay.already_applied) << replay.error;
    const VerifyResult v = act->verify(a);
    EXPECT_TRUE(v.state == VerifyState::InProgress || v.state == VerifyState::Done) << v.detail;
  } else {
    // moto 5 answers both instance-refresh actions with a bare HTTP 500 page.
    EXPECT_FALSE(r.retryable);
    EXPECT_NE(r.error.find(moto_->url() + "/ does not implement DescribeInstanceRefreshes"), std::string::npos)
        << r.error;
    EXPECT_NE(r.error.find("HTTP 500"), std::string::npos) << r.error;
    EXPECT_EQ(moto_->count_recorded({"Action=StartInstanceRefresh", "AutoScalingGroupName=" + g}), 0);
    const VerifyResult v = act->verify(a);
    EXPECT_EQ(v.state, VerifyState::Unknown);
    EXPECT_NE(v.detail.find("does not implement DescribeInstanceRefreshes"), std::string::npos) << v.detail;
  }
  a.params = {{"min_healthy_percentage", "150"}};
  const ApplyResult bad = act->apply(a);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error, "restart param \"min_healthy_percentage\" must be an integer from 0 to 100, got \"150\"");
  EXPECT_TRUE(bad.calls.empty());
  EXPECT_TRUE(act->plan(a).empty());
}

TEST_F(AsgActuatorTest, RollbackAndForeignTargetsAreRefusedWithoutCalls) {
  auto act = actuator();
  Action a = scale("whatever", 1, 2);
  a.kind = ActionKind::Rollback;
  const ApplyResult r = act->apply(a);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("rollback is not supported by aws-asg"), std::string::npos) << r.error;
  EXPECT_TRUE(r.calls.empty());
  EXPECT_TRUE(act->plan(a).empty());

  Action k8s = scale("web", 1, 2);
  k8s.target.kind = "Deployment";
  const ApplyResult f = act->apply(k8s);
  EXPECT_FALSE(f.ok);
  EXPECT_EQ(f.error, "target kind \"Deployment\" is not supported by aws-asg; expected \"AutoScalingGroup\"");
  EXPECT_EQ(act->verify(k8s).state, VerifyState::Failed);
}

TEST_F(AsgActuatorTest, UnreachableEndpointIsRetriedThenRetryable) {
  const std::string closed = "http://127.0.0.1:" + std::to_string(test::free_port());
  auto act = actuator({{"endpoint", closed}, {"retries", "3"}, {"timeout", "1s"}});
  const auto start = std::chrono::steady_clock::now();
  const ApplyResult r = act->apply(scale("g", 1, 2));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("could not reach " + closed + "/ after 3 attempt(s)"), std::string::npos) << r.error;
  ASSERT_EQ(r.calls.size(), 3u);  // every attempt is on the record
  for (const auto& c : r.calls) EXPECT_EQ(c.status, 0);
  const VerifyResult v = act->verify(scale("g", 1, 2));
  EXPECT_EQ(v.state, VerifyState::Unknown);
  EXPECT_NE(v.detail.find("could not reach"), std::string::npos) << v.detail;
}

TEST_F(AsgActuatorTest, MissingCredentialsFailBeforeAnyCall) {
  TempDir home;
  auto act = actuator({}, {{"HOME", home.path().string()}});
  const ApplyResult r = act->apply(scale("g", 1, 2));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_NE(r.error.find("no AWS credentials found; tried environment"), std::string::npos) << r.error;
}

TEST_F(AsgActuatorTest, ServiceErrorsAreParsedAndFinal) {
  // A ValidationError from moto, through the same client the actuator uses.
  const QueryResponse r =
      admin().call("CreateAutoScalingGroup", {{"AutoScalingGroupName", "no-template"}, {"MinSize", "1"}, {"MaxSize", "2"}});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.kind, ErrorKind::Service);
  EXPECT_EQ(r.error.status, 400);
  EXPECT_EQ(r.error.type, "Sender");
  EXPECT_EQ(r.error.code, "ValidationError");
  EXPECT_FALSE(r.error.message.empty());
  EXPECT_FALSE(r.error.retryable);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.error.describe().rfind("ValidationError (HTTP 400): ", 0), 0u) << r.error.describe();

  EXPECT_TRUE(is_retryable_aws_error(400, "Throttling"));
  EXPECT_TRUE(is_retryable_aws_error(400, "RequestLimitExceeded"));
  EXPECT_TRUE(is_retryable_aws_error(503, ""));
  EXPECT_TRUE(is_retryable_aws_error(429, ""));
  EXPECT_FALSE(is_retryable_aws_error(400, "ValidationError"));
  EXPECT_FALSE(is_retryable_aws_error(403, "AccessDenied"));
  EXPECT_FALSE(is_retryable_aws_error(400, "LimitExceeded"));  // an account quota, not throttling
}

TEST(AsgActuatorSettings, BadSettingsAreRejectedAtConstruction) {
  auto expect_invalid = [](const ActuatorSettings& s, const std::map<std::string, std::string>& env,
                           const std::string& message) {
    try {
      AsgActuator a(s, environment_from(env));
      ADD_FAILURE() << "accepted settings that should fail with: " << message;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), message);
    }
  };
  expect_invalid({}, {}, "setting \"region\" is required (e.g. us-east-1) unless AWS_REGION or AWS_DEFAULT_REGION is set");
  expect_invalid({{"region", "US East"}}, {}, "region must look like \"us-east-1\", got \"US East\"");
  expect_invalid({{"region", "us-east-1"}, {"regoin", "x"}}, {},
                 "unknown setting \"regoin\"; expected one of: endpoint, profile, region, retries, retry_base, sts_endpoint, timeout");
  expect_invalid({{"region", "us-east-1"}, {"retries", "0"}}, {},
                 "setting \"retries\" must be the total number of tries, from 1 to 20, got \"0\"");
  expect_invalid({{"region", "us-east-1"}, {"timeout", "fast"}}, {},
                 "setting \"timeout\" must be a non-negative duration (e.g. 500ms, 5s, 2m), got \"fast\"");
  expect_invalid({{"region", "us-east-1"}, {"endpoint", "autoscaling.local"}}, {},
                 "endpoint must start with http:// or https://, got \"autoscaling.local\"");

  AsgActuator from_env({}, environment_from({{"AWS_DEFAULT_REGION", "eu-west-1"}}));
  EXPECT_EQ(from_env.region(), "eu-west-1");
  EXPECT_EQ(from_env.url(), "https://autoscaling.eu-west-1.amazonaws.com/");
  AsgActuator explicit_region({{"region", "cn-north-1"}}, environment_from({{"AWS_REGION", "eu-west-1"}}));
  EXPECT_EQ(explicit_region.url(), "https://autoscaling.cn-north-1.amazonaws.com.cn/");
  AsgActuator sdk_endpoint({{"region", "us-east-1"}}, environment_from({{"AWS_ENDPOINT_URL", "http://localhost:4566"}}));
  EXPECT_EQ(sdk_endpoint.url(), "http://localhost:4566/");
}

TEST(AsgActuatorSettings, RegisteredAsAwsAsg) {
  register_builtin_actuators();
  std::string error;
  auto a = ActuatorRegistry::instance().create("aws-asg", {{"region", "us-east-1"}}, &error);
  ASSERT_NE(a, nullptr) << error;
  EXPECT_EQ(a->name(), "aws-asg");
  auto bad = ActuatorRegistry::instance().create("aws-asg", {{"region", "us-east-1"}, {"retries", "x"}}, &error);
  EXPECT_EQ(bad, nullptr);
  EXPECT_EQ(error, "actuator \"aws-asg\": setting \"retries\" must be a non-negative integer, got \"x\"");
}

// ---------------------------------------------------------------- moto's IAM authentication on

TEST(AsgActuatorAuth, SignaturesAndSessionTokensAreCheckedByMoto) {
  MotoServer moto(/*record=*/false);
  std::string why;
  ASSERT_TRUE(moto.start(&why)) << why;
  const QueryClient asg = admin_client(moto.url());
  const QueryClient iam = admin_client(moto.url(), "iam", "2010-05-08");
  ASSERT_TRUE(asg.call("CreateLaunchConfiguration",
                       {{"LaunchConfigurationName", kLaunchConfig}, {"ImageId", "ami-12c6146b"}, {"InstanceType", "t2.micro"}})
                  .ok);
  create_group(asg, "authed", 1, 5, 1);

  // Seven IAM set-up calls and the one STS call go through unauthenticated; everything after is
  // checked against IAM: signature, access key, session token and policy.
  ASSERT_TRUE(moto.enable_auth_after("8"));
  const std::string allow_asg =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"autoscaling:*","Resource":"*"}]})";
  auto must = [](const QueryResponse& r) {
    EXPECT_TRUE(r.ok) << r.error.describe();
    return r;
  };
  must(iam.call("CreateUser", {{"UserName", "operator"}}));
  const auto key = must(iam.call("CreateAccessKey", {{"UserName", "operator"}}));
  ASSERT_NE(key.result, nullptr);
  const std::string key_id = xml_text(*key.result, "AccessKey.AccessKeyId");
  const std::string key_secret = xml_text(*key.result, "AccessKey.SecretAccessKey");
  must(iam.call("PutUserPolicy", {{"UserName", "operator"}, {"PolicyName", "asg"}, {"PolicyDocument", allow_asg}}));
  must(iam.call("CreateUser", {{"UserName", "intern"}}));
  const auto intern_key = must(iam.call("CreateAccessKey", {{"UserName", "intern"}}));
  ASSERT_NE(intern_key.result, nullptr);
  must(iam.call("CreateRole",
                {{"RoleName", "opspilot-asg"},
                 {"AssumeRolePolicyDocument",
                  R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/example"},"Action":"sts:AssumeRoleWithWebIdentity"}]})"}}));
  must(iam.call("PutRolePolicy", {{"RoleName", "opspilot-asg"}, {"PolicyName", "asg"}, {"PolicyDocument", allow_asg}}));

  const ActuatorSettings settings{{"region", kRegion}, {"endpoint", moto.url()}, {"sts_endpoint", moto.url()}, {"retries", "2"}};
  TempDir dir;
  {
    // Web identity: the eighth (free) request trades the token; the scale is signed with the
    // session's key and token, which moto checks against the assumed role.
    AsgActuator act(settings, environment_from({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "jwt")},
                                                {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/opspilot-asg"},
                                                {"AWS_ROLE_SESSION_NAME", "asg-test"}}));
    const ApplyResult r = act.apply(scale("authed", 1, 2));
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(act.credentials().sts_calls(), 1);
    ASSERT_EQ(r.calls.size(), 3u);  // STS, DescribeAutoScalingGroups, SetDesiredCapacity
    EXPECT_NE(r.calls[0].body.find("Action=AssumeRoleWithWebIdentity"), std::string::npos);
    EXPECT_NE(r.calls[0].body.find("WebIdentityToken=(redacted)"), std::string::npos);
    EXPECT_EQ(r.calls[0].response, "(withheld)");
    for (const auto& c : r.calls) EXPECT_EQ(c.body.find("jwt"), std::string::npos) << c.body;
  }
  {
    AsgActuator act(settings, environment_from(static_keys(key_id, key_secret)));
    const ApplyResult r = act.apply(scale("authed", 2, 3));
    EXPECT_TRUE(r.ok) << r.error;
  }
  {
    AsgActuator act(settings, environment_from(static_keys(key_id, "wrong-secret")));
    const ApplyResult r = act.apply(scale("authed", 3, 4));
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.retryable);
    EXPECT_NE(r.error.find("SignatureDoesNotMatch (HTTP 403)"), std::string::npos) << r.error;
    EXPECT_EQ(r.calls.size(), 1u);  // final at once, never retried
  }
  {
    AsgActuator act(settings, environment_from(static_keys("AKIDUNKNOWN0000000", key_secret)));
    const ApplyResult r = act.apply(scale("authed", 3, 4));
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("InvalidClientTokenId (HTTP 403)"), std::string::npos) << r.error;
  }
  {
    AsgActuator act(settings, environment_from(static_keys(xml_text(*intern_key.result, "AccessKey.AccessKeyId"),
                                                           xml_text(*intern_key.result, "AccessKey.SecretAccessKey"))));
    const ApplyResult r = act.apply(scale("authed", 3, 4));
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("AccessDenied (HTTP 403)"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("autoscaling:DescribeAutoScalingGroups"), std::string::npos) << r.error;
  }
  ASSERT_TRUE(moto.enable_auth_after("inf"));
  EXPECT_EQ(desired_of(asg, "authed"), 3);
}

}  // namespace
}  // namespace opspilot::actuators::aws
