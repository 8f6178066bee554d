// Decision records: names, JSON round trip of every field, lenient reading with precise errors,
// the one-line summary and the full explanation.
#include "agent/journal/decision.h"

#include <gtest/gtest.h>

#include <cmath>

#include "agent/journal/journal.h"

namespace opspilot::agent {
namespace {

using nlohmann::json;

Decision full_decision() {
  Decision d;
  d.id = "d-000042";
  d.target = "checkout";
  d.namespace_ = "shop";
  d.target_kind = "Deployment";
  d.created = TimePoint(Duration(1'714'557'600'123));  // 2024-05-01T10:00:00.123Z
  d.updated = d.created + std::chrono::seconds(125);
  d.applied = d.created + std::chrono::seconds(5);
  d.mode = "active";
  d.state = DecisionState::Verified;
  d.action = "scale";
  d.current_replicas = 3;
  d.desired_replicas = 6;
  d.reason = "predicted load 1500 rps needs 5 replicas at 70% utilisation";
  d.observed.push_back(
      {"load", "sum(rate(http_requests_total{app=\"checkout\"}[1m]))", "ok", 1234.5, 3.25, ""});
  d.observed.push_back(
      {"latency", "histogram_quantile(0.99, ...)", "stale", 0.42, 600, "sample is 600 s old"});
  d.observed.push_back(
      {"errors", "sum(rate(errors_total[1m]))", "missing", std::nan(""), 0, "no series matched"});
  d.prediction = {"holt-winters(daily)", true, 120, 1500, 1400, 1600.5, 0.9, 0.82, "seasonal fit"};
  d.prediction.accuracy = {240, 200, 0.73, 0.94, 0.051};
  d.prediction.trusted = false;
  d.incident.assessed = true;
  d.incident.risk = 0.71;
  d.incident.level = "warning";
  d.incident.summary = "latency far above its seasonal expectation";
  d.incident.detection_precision = 0.8;
  d.incident.drivers.push_back({"seasonal-residual", "checkout/latency", 0.8, 0.9, 0.2, 7.5, "robust z",
                                TimePoint(Duration(1'714'557'500'000)),
                                "checkout/latency 0.9 is 7.5 robust z above the expected 0.2 since 09:58:20"});
  d.policy_checked = true;
  d.policy.verdict = policies::Verdict::Allow;
  d.policy.replicas = 5;
  d.policy.rules.push_back(
      {"bounds.max_replicas", policies::Verdict::Allow, "6 <= max 10", std::nullopt});
  d.policy.rules.push_back({"step.max_step_up", policies::Verdict::Allow, "step 3 > largest 2", 5});
  d.approval.status = "approved";
  d.approval.requested = TimePoint(Duration(1'714'557'600'000));
  d.approval.expires = TimePoint(Duration(1'714'559'400'000));
  d.approval.rules = {"prod/approval.big-step"};
  d.approval.slack_groups = {"S0SRE"};
  d.approval.decided_by = "slack:U024BE7LH (alice)";
  d.approval.via = "slack";
  d.approval.decided = TimePoint(Duration(1'714'557'660'000));
  d.approval.note = "peak is real";
  d.approval.slack_channel = "C1";
  d.approval.slack_ts = "1714557600.000100";
  d.calls.push_back({"PATCH", "https://k8s/apis/apps/v1/namespaces/shop/deployments/checkout/scale",
                     "{\"spec\":{\"replicas\":5}}", 200, "{\"status\":{\"replicas\":5}}"});
  d.calls.push_back(
      {"GET", "https://k8s/apis/apps/v1/namespaces/shop/deployments/checkout", "", 0, ""});
  d.outcome = "5 of 5 replicas ready after 95 s";
  d.error = "first PATCH attempt: HTTP 409 conflict, re-read and retried";
  return d;
}

TEST(Decision, EnumNames) {
  for (auto s : {DecisionState::Proposed, DecisionState::Held, DecisionState::Planned,
                 DecisionState::Denied, DecisionState::PendingApproval, DecisionState::Acting,
                 DecisionState::Applied, DecisionState::Verified, DecisionState::Failed})
    EXPECT_EQ(decision_state_from_string(to_string(s)), s) << to_string(s);
  EXPECT_STREQ(to_string(DecisionState::PendingApproval), "pending_approval");
  EXPECT_TRUE(is_terminal(DecisionState::Held));
  EXPECT_TRUE(is_terminal(DecisionState::Verified));
  EXPECT_FALSE(is_terminal(DecisionState::Acting));
  EXPECT_FALSE(is_terminal(DecisionState::PendingApproval));
  EXPECT_STREQ(policies::to_string(policies::Verdict::NeedsApproval), "needs_approval");
  EXPECT_STREQ(actuators::to_string(actuators::VerifyState::InProgress), "in_progress");
  for (auto k : {actuators::ActionKind::Scale, actuators::ActionKind::Restart,
                 actuators::ActionKind::Rollback, actuators::ActionKind::None})
    EXPECT_EQ(actuators::action_kind_from_string(actuators::to_string(k)), k);
  EXPECT_EQ(actuators::action_kind_from_string("hold"), actuators::ActionKind::None);
}

TEST(Decision, TimesAreRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(format_rfc3339_ms(TimePoint(Duration(1'714'557'600'123))), "2024-05-01T10:00:00.123Z");
  EXPECT_EQ(format_rfc3339_ms(TimePoint(Duration(0))), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(TimePoint(Duration(-1))), "1969-12-31T23:59:59.999Z");
  TimePoint t;
  ASSERT_TRUE(parse_rfc3339("2024-05-01T10:00:00.123Z", &t));
  EXPECT_EQ(t.time_since_epoch().count(), 1'714'557'600'123);
  ASSERT_TRUE(parse_rfc3339("2024-05-01T12:00:00+02:00", &t));
  EXPECT_EQ(t.time_since_epoch().count(), 1'714'557'600'000);
  ASSERT_TRUE(parse_rfc3339("2024-02-29T00:00:00.5Z", &t));
  EXPECT_EQ(format_rfc3339_ms(t), "2024-02-29T00:00:00.500Z");
  EXPECT_FALSE(parse_rfc3339("2023-02-29T00:00:00Z", &t));
  EXPECT_FALSE(parse_rfc3339("2024-05-01 10:00", &t));
  EXPECT_FALSE(parse_rfc3339("2024-05-01T10:00:00", &t)) << "no zone";
  EXPECT_FALSE(parse_rfc3339("2024-05-01T10:00:00Zjunk", &t));
}

TEST(Decision, JsonRoundTripKeepsEveryField) {
  const Decision d = full_decision();
  const json j = to_json(d);
  EXPECT_EQ(j["created"], "2024-05-01T10:00:00.123Z");
  EXPECT_EQ(j["created_unix_ms"], 1'714'557'600'123);
  EXPECT_EQ(j["updated"], "2024-05-01T10:02:05.123Z");
  EXPECT_EQ(j["state"], "verified");
  EXPECT_EQ(j["policy"]["rules"][1]["adjusted_replicas"], 5);
  EXPECT_FALSE(j["policy"]["rules"][0].contains("adjusted_replicas"));
  // Through text, as the journal stores it: NaN is written as null and read back as NaN.
  const std::string text = j.dump();
  Decision back;
  std::string err;
  ASSERT_TRUE(from_json(json::parse(text), back, &err)) << err;
  EXPECT_EQ(back.id, d.id);
  EXPECT_EQ(back.target, d.target);
  EXPECT_EQ(back.namespace_, d.namespace_);
  EXPECT_EQ(back.target_kind, d.target_kind);
  EXPECT_EQ(back.created, d.created);
  EXPECT_EQ(back.updated, d.updated);
  EXPECT_EQ(back.applied, d.applied);
  EXPECT_EQ(j["applied"], "2024-05-01T10:00:05.123Z");
  EXPECT_EQ(back.mode, d.mode);
  EXPECT_EQ(back.state, d.state);
  EXPECT_EQ(back.action, d.action);
  EXPECT_EQ(back.current_replicas, 3);
  EXPECT_EQ(back.desired_replicas, 6);
  EXPECT_EQ(back.reason, d.reason);
  ASSERT_EQ(back.observed.size(), 3u);
  EXPECT_EQ(back.observed[0].query, d.observed[0].query);
  EXPECT_DOUBLE_EQ(back.observed[0].value, 1234.5);
  EXPECT_DOUBLE_EQ(back.observed[0].age_seconds, 3.25);
  EXPECT_EQ(back.observed[1].status, "stale");
  EXPECT_EQ(back.observed[1].error, "sample is 600 s old");
  EXPECT_TRUE(std::isnan(back.observed[2].value));
  EXPECT_EQ(back.prediction.model, "holt-winters(daily)");
  EXPECT_TRUE(back.prediction.enough_data);
  EXPECT_DOUBLE_EQ(back.prediction.horizon_seconds, 120);
  EXPECT_DOUBLE_EQ(back.prediction.mean, 1500);
  EXPECT_DOUBLE_EQ(back.prediction.lower, 1400);
  EXPECT_DOUBLE_EQ(back.prediction.upper, 1600.5);
  EXPECT_DOUBLE_EQ(back.prediction.level, 0.9);
  EXPECT_DOUBLE_EQ(back.prediction.confidence, 0.82);
  EXPECT_EQ(back.prediction.note, "seasonal fit");
  EXPECT_EQ(back.prediction.accuracy.scored, 240u);
  EXPECT_EQ(back.prediction.accuracy.window, 200u);
  EXPECT_DOUBLE_EQ(back.prediction.accuracy.mase, 0.73);
  EXPECT_DOUBLE_EQ(back.prediction.accuracy.coverage, 0.94);
  EXPECT_FALSE(back.prediction.trusted);
  EXPECT_TRUE(back.incident.assessed);
  EXPECT_DOUBLE_EQ(back.incident.risk, 0.71);
  EXPECT_EQ(back.incident.level, "warning");
  EXPECT_DOUBLE_EQ(back.incident.detection_precision, 0.8);
  EXPECT_TRUE(std::isnan(back.incident.detection_recall));
  ASSERT_EQ(back.incident.drivers.size(), 1u);
  EXPECT_EQ(back.incident.drivers[0].series, "checkout/latency");
  EXPECT_DOUBLE_EQ(back.incident.drivers[0].deviation, 7.5);
  EXPECT_EQ(back.incident.drivers[0].since, d.incident.drivers[0].since);
  EXPECT_EQ(back.incident.drivers[0].explanation, d.incident.drivers[0].explanation);
  EXPECT_TRUE(back.policy_checked);
  EXPECT_EQ(back.policy.verdict, policies::Verdict::Allow);
  EXPECT_EQ(back.policy.replicas, 5);
  ASSERT_EQ(back.policy.rules.size(), 2u);
  EXPECT_EQ(back.policy.rules[0].rule, "bounds.max_replicas");
  EXPECT_FALSE(back.policy.rules[0].adjusted_replicas.has_value());
  EXPECT_EQ(back.policy.rules[1].adjusted_replicas, std::optional<int>(5));
  EXPECT_EQ(back.policy.rules[1].reason, "step 3 > largest 2");
  EXPECT_EQ(back.approval.status, "approved");
  EXPECT_EQ(back.approval.requested, d.approval.requested);
  EXPECT_EQ(back.approval.expires, d.approval.expires);
  EXPECT_EQ(back.approval.rules, d.approval.rules);
  EXPECT_EQ(back.approval.slack_groups, d.approval.slack_groups);
  EXPECT_EQ(back.approval.decided_by, d.approval.decided_by);
  EXPECT_EQ(back.approval.decided, d.approval.decided);
  EXPECT_EQ(back.approval.note, "peak is real");
  EXPECT_EQ(back.approval.slack_ts, d.approval.slack_ts);
  ASSERT_EQ(back.calls.size(), 2u);
  EXPECT_EQ(back.calls[0].method, "PATCH");
  EXPECT_EQ(back.calls[0].url, d.calls[0].url);
  EXPECT_EQ(back.calls[0].body, d.calls[0].body);
  EXPECT_EQ(back.calls[0].status, 200);
  EXPECT_EQ(back.calls[0].response, d.calls[0].response);
  EXPECT_EQ(back.calls[1].status, 0);
  EXPECT_EQ(back.outcome, d.outcome);
  EXPECT_EQ(back.error, d.error);
  EXPECT_EQ(to_json(back).dump(), text) << "a second round trip changes nothing";
}

TEST(Decision, ReadingIsLenientAboutMissingFieldsAndPreciseAboutWrongTypes) {
  Decision d;
  std::string err;
  ASSERT_TRUE(from_json(json{{"id", "d-000001"}}, d, &err)) << err;
  EXPECT_EQ(d.id, "d-000001");
  EXPECT_EQ(d.action, "hold");
  EXPECT_EQ(d.state, DecisionState::Proposed);
  EXPECT_FALSE(d.applied) << "a record from before `applied` existed reads as never applied";
  // Without unix ms, the RFC 3339 text is used.
  ASSERT_TRUE(from_json(json{{"created", "2024-05-01T10:00:00.123Z"}}, d, &err)) << err;
  EXPECT_EQ(d.created.time_since_epoch().count(), 1'714'557'600'123);

  Decision bad;
  EXPECT_FALSE(from_json(json{{"current_replicas", "three"}}, bad, &err));
  EXPECT_EQ(err, "decision field \"current_replicas\": expected an integer, got \"three\"");
  EXPECT_FALSE(from_json(json{{"state", "exploded"}}, bad, &err));
  EXPECT_NE(err.find("\"exploded\""), std::string::npos) << err;
  EXPECT_NE(err.find("pending_approval"), std::string::npos) << err;
  EXPECT_FALSE(
      from_json(json::parse(R"({"observed":[{"role":"load","value":"high"}]})"), bad, &err));
  EXPECT_EQ(err, "decision field \"observed[0].value\": expected a number, got \"high\"");
  EXPECT_FALSE(from_json(json::parse(R"({"policy":{"rules":[{"verdict":"maybe"}]}})"), bad, &err));
  EXPECT_NE(err.find("policy.rules[0].verdict"), std::string::npos) << err;
  EXPECT_FALSE(from_json(json{{"created", "yesterday"}}, bad, &err));
  EXPECT_NE(err.find("\"yesterday\""), std::string::npos) << err;
  EXPECT_FALSE(from_json(json::array(), bad, &err));
  EXPECT_FALSE(from_json(json{{"calls", 5}}, bad, &err));
  EXPECT_NE(err.find("calls"), std::string::npos) << err;
}

TEST(Decision, SummaryIsOneLine) {
  Decision d = full_decision();
  d.state = DecisionState::Applied;
  d.error.clear();
  EXPECT_EQ(summarize(d), "scale checkout 3 -> 5: allowed, applied");
  Decision hold;
  hold.target = "checkout";
  hold.state = DecisionState::Held;
  hold.reason = "load data is stale (600 s old)";
  EXPECT_EQ(summarize(hold), "hold checkout: held (load data is stale (600 s old))");
  Decision denied = full_decision();
  denied.action = "restart";
  denied.state = DecisionState::Denied;
  denied.policy.verdict = policies::Verdict::Deny;
  denied.error.clear();
  denied.policy.rules.push_back(
      {"cooldown.restart", policies::Verdict::Deny, "last restart was 20s ago, cooldown 300s", std::nullopt});
  EXPECT_EQ(summarize(denied),
            "restart checkout: denied by cooldown.restart (last restart was 20s ago, cooldown 300s)");
  d.error = "line one\nline two";
  EXPECT_EQ(summarize(d), "scale checkout 3 -> 5: allowed, applied (error: line one line two)");
}

TEST(Decision, ExplainMentionsEveryPart) {
  const Decision d = full_decision();
  const std::string e = explain(d);
  for (const std::string& part :
       {std::string("d-000042"), std::string("shop/checkout (Deployment)"),
        std::string("verified (final)"), std::string("mode active"),
        std::string("2024-05-01T10:00:00.123Z"), std::string("2 min 5 s after creation"),
        // observed: each query, value, age and status
        d.observed[0].query, std::string("load: 1234.5, measured 3.2 s before (ok)"),
        std::string("status stale"), std::string("sample is 600 s old"), d.observed[2].query,
        std::string("status missing"), std::string("no series matched"),
        // predicted
        std::string("holt-winters(daily)"), std::string("2 min 0 s"), std::string("expected 1500"),
        std::string("90% interval 1400 to 1600.5"), std::string("confidence 0.82"),
        std::string("MASE 0.73, interval coverage 94%"), std::string("below the accuracy floor"),
        std::string("Incident risk: 0.71 (warning)"), d.incident.drivers[0].explanation,
        std::string("precision 80%, recall n/a"),
        // proposed and why
        std::string("scale from 3 to 6 replicas"), d.reason,
        // policy
        std::string("Policy check: allow, replicas allowed 5 (2 rules)"),
        std::string("bounds.max_replicas: allow - 6 <= max 10"),
        std::string("step.max_step_up: allow, adjusted to 5 replicas - step 3 > largest 2"),
        // approval, calls, outcome, errors
        std::string("approved by slack:U024BE7LH (alice) via slack at 2024-05-01T10:01:00.000Z: peak is real"),
        std::string("asked by prod/approval.big-step"), std::string("approvers: S0SRE"),
        std::string("1. PATCH ") + d.calls[0].url + " -> HTTP 200",
        std::string("request:  {\"spec\":{\"replicas\":5}}"), std::string("response: {\"status\""),
        std::string("2. GET ") + d.calls[1].url + " -> not sent", d.outcome, d.error}) {
    EXPECT_NE(e.find(part), std::string::npos) << "missing \"" << part << "\" in:\n" << e;
  }
}

TEST(Decision, ExplainSaysWhatIsMissing) {
  Decision d;
  d.id = "d-000007";
  d.target = "api";
  d.state = DecisionState::PendingApproval;
  d.prediction.note = "12 points, need 20";
  d.reason = "";
  const std::string e = explain(d);
  for (const char* part :
       {"nothing was observed", "no prediction: not enough data (12 points, need 20)",
        "(no reason recorded)", "Policy check: not performed", "waiting for a human to approve",
        "no API calls", "not verified yet", "Errors:\n  none", "(in progress)"}) {
    EXPECT_NE(e.find(part), std::string::npos) << "missing \"" << part << "\" in:\n" << e;
  }
}

}  // namespace
}  // namespace opspilot::agent
