// The generic webhook actuator against the real sandbox over HTTP.
#include <gtest/gtest.h>

#include "actuators/webhook/webhook_actuator.h"
#include "tests/e2e_support.h"

using namespace opspilot::test;
using namespace opspilot::actuators;

namespace {

Action scale_action(const std::string& id, const std::string& service, int replicas) {
  Action a;
  a.decision_id = id;
  a.kind = ActionKind::Scale;
  a.target = {"Deployment", "shop", service};
  a.replicas = replicas;
  a.from_replicas = 4;
  return a;
}

}  // namespace

TEST(WebhookActuator, AppliesOnceVerifiesAndReportsTheApiError) {
  Sandbox sb(120);
  ASSERT_GT(sb.port, 0);
  WebhookActuator w({{"url", sb.base + "/api/v1/actions"}, {"timeout", "2s"}});

  const auto planned = w.plan(scale_action("d-1", "checkout", 9));
  ASSERT_EQ(planned.size(), 1u);
  EXPECT_EQ(planned[0].method, "POST");
  EXPECT_NE(planned[0].body.find("\"replicas\":9"), std::string::npos);

  auto r = w.apply(scale_action("d-1", "checkout", 9));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.already_applied);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].status, 200);
  // A retried apply of the same decision never acts twice.
  r = w.apply(scale_action("d-1", "checkout", 9));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.already_applied);
  EXPECT_EQ(sb.service("checkout")["replicas"], 9);

  VerifyResult v;
  for (int i = 0; i < 100; ++i) {
    v = w.verify(scale_action("d-1", "checkout", 9));
    if (v.state == VerifyState::Done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(v.state, VerifyState::Done) << v.detail;
  EXPECT_EQ(v.observed["ready_replicas"], 9);

  r = w.apply(scale_action("d-2", "no-such-service", 3));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);
  EXPECT_NE(r.error.find("404"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("no-such-service"), std::string::npos) << "quotes the API's own message: " << r.error;
}

TEST(WebhookActuator, UnreachableIsRetriedThenSurfaced) {
  const int dead = free_port();
  WebhookActuator w({{"url", "http://127.0.0.1:" + std::to_string(dead) + "/actions"}, {"retries", "2"}, {"timeout", "500ms"}});
  const auto r = w.apply(scale_action("d-9", "checkout", 3));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("after 2 attempt(s)"), std::string::npos) << r.error;
}

TEST(WebhookActuator, BadSettingsAreRejectedAtConstruction) {
  EXPECT_THROW(WebhookActuator(ActuatorSettings{}), std::invalid_argument);
  EXPECT_THROW(WebhookActuator(ActuatorSettings{{"url", "ftp://x"}}), std::invalid_argument);
  EXPECT_THROW(WebhookActuator(ActuatorSettings{{"url", "http://x"}, {"timeout", "soon"}}), std::invalid_argument);
  std::string err;
  register_builtin_actuators();
  EXPECT_EQ(ActuatorRegistry::instance().create("kubernetes-ish", {}, &err), nullptr);
  EXPECT_NE(err.find("dry-run"), std::string::npos) << "lists the known backends: " << err;
  EXPECT_FALSE(ActuatorRegistry::instance().add("webhook", [](const ActuatorSettings&) { return nullptr; }))
      << "a name registers once";
}
