// The generic webhook actuator against the real sandbox over HTTP.
#include <gtest/gtest.h>

#include "actuators/common/settings.h"
#include "actuators/common/webhook_signature.h"
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

TEST(WebhookActuator, SignsEachRequestAndAForgedOneIsRefused) {
  TempDir secrets;
  const std::string secret_file = secrets.write("webhook-secret", "s3cret-shared-with-the-receiver\n");
  Sandbox sb(120, "2026-01-06T12:00:00Z", {"--webhook-secret-file", secret_file});
  ASSERT_GT(sb.port, 0);
  const std::string url = sb.base + "/api/v1/actions";

  WebhookActuator signed_by_us({{"url", url}, {"secret_file", secret_file}});
  auto r = signed_by_us.apply(scale_action("d-s1", "checkout", 6));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(sb.service("checkout")["replicas"], 6);

  // The same request without a signature, or under another secret, is refused and changes nothing.
  WebhookActuator unsigned_({{"url", url}});
  r = unsigned_.apply(scale_action("d-s2", "checkout", 8));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);
  EXPECT_NE(r.error.find("401"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("missing X-Opspilot-Timestamp"), std::string::npos) << r.error;
  ::setenv("OPSPILOT_TEST_WRONG_SECRET", "not-the-secret", 1);
  WebhookActuator forged({{"url", url}, {"secret_env", "OPSPILOT_TEST_WRONG_SECRET"}});
  r = forged.apply(scale_action("d-s3", "checkout", 8));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("signature mismatch"), std::string::npos) << r.error;
  EXPECT_EQ(sb.service("checkout")["replicas"], 6);
}

TEST(WebhookSignature, BindsSecretTimeAndBody) {
  const std::string sig = webhook_signature("k", 1767571200, "{\"a\":1}");
  ASSERT_EQ(sig.size(), 3u + 64u);
  EXPECT_EQ(sig.rfind("v1=", 0), 0u);
  EXPECT_EQ(check_webhook_signature("k", "1767571200", sig, "{\"a\":1}", 1767571200 + 10), "");
  EXPECT_NE(check_webhook_signature("k", "1767571200", sig, "{\"a\":2}", 1767571200), "") << "body altered";
  EXPECT_NE(check_webhook_signature("k", "1767571201", sig, "{\"a\":1}", 1767571201), "") << "time altered";
  EXPECT_NE(check_webhook_signature("k2", "1767571200", sig, "{\"a\":1}", 1767571200), "") << "other secret";
  EXPECT_NE(check_webhook_signature("k", "1767571200", sig, "{\"a\":1}", 1767571200 + 301).find("replay"),
            std::string::npos);
  EXPECT_NE(check_webhook_signature("k", "12x", sig, "", 0).find("not a Unix time"), std::string::npos);
}

TEST(ActuatorSettings, ReadersRefuseBadValuesByName) {
  EXPECT_EQ(setting_duration({{"t", "250ms"}}, "t", std::chrono::milliseconds(1)).count(), 250);
  EXPECT_EQ(setting_duration({{"t", "2m"}}, "t", std::chrono::milliseconds(1)).count(), 120000);
  EXPECT_EQ(setting_duration({{"t", "7"}}, "t", std::chrono::milliseconds(1)).count(), 7);
  EXPECT_EQ(setting_int({}, "n", 4), 4);
  EXPECT_TRUE(setting_bool({{"b", "yes"}}, "b", false));
  try {
    setting_int({{"retries", "-1"}}, "retries", 3);
    FAIL() << "a negative count is refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"retries\" must be a non-negative integer, got \"-1\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(setting_secret({{"secret", "literal"}}, "secret"), std::invalid_argument) << "never a literal secret";
  EXPECT_THROW(setting_secret({{"secret_file", "/no/such/file"}}, "secret"), std::invalid_argument);
  EXPECT_THROW(setting_secret({{"secret_env", "OPSPILOT_NO_SUCH_VARIABLE"}}, "secret"), std::invalid_argument);
  EXPECT_EQ(setting_secret({}, "secret"), "");
}
