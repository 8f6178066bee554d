// Decision records in words: the one-line summary and the full explanation an on-call engineer
// reads at 3 a.m. (`opspilot explain`). Every part of the record is rendered, and what is missing
// is said to be missing rather than left out.
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "agent/journal/decision.h"
#include "agent/journal/journal_detail.h"
#include "agent/journal/rfc3339.h"

namespace opspilot::agent {
namespace {

using journal_detail::cat;
using journal_detail::shorten;

std::string_view or_else(const std::string& s, std::string_view fallback) {
  return s.empty() ? fallback : std::string_view(s);
}

std::string num(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  if (std::floor(v) == v && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string seconds_words(double s) {
  if (!std::isfinite(s)) return "an unknown time";
  char buf[64];
  const double a = std::fabs(s);
  if (a < 60)
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (a < 3600)
    std::snprintf(buf, sizeof buf, "%d min %d s", int(s / 60), int(std::fmod(a, 60)));
  else
    std::snprintf(buf, sizeof buf, "%d h %d min", int(s / 3600), int(std::fmod(a, 3600) / 60));
  return buf;
}

std::string verdict_word(const Decision& d) {
  if (!d.policy_checked) return "not checked";
  switch (d.policy.verdict) {
    case policies::Verdict::Allow: return "allowed";
    case policies::Verdict::Deny: return "denied";
    case policies::Verdict::NeedsApproval: return "needs approval";
  }
  return "?";
}

}  // namespace

std::string summarize(const Decision& d) {
  std::string s = d.action + " " + d.target;
  if (auto pod = d.params.find("pod"); pod != d.params.end()) s += cat({" (pod ", pod->second, ")"});
  if (d.remediation.classified() && d.remediation.incident_class != "saturation")
    s += cat({" [", d.remediation.incident_class, "]"});
  if (d.action == "scale") {
    const int to =
        d.policy_checked && d.policy.replicas > 0 ? d.policy.replicas : d.desired_replicas;
    s += cat({" ", std::to_string(d.current_replicas), " -> ", std::to_string(to)});
  }
  s += ": ";
  if (d.action == "hold" || d.action == "escalate") {
    s += to_string(d.state);
    if (!d.reason.empty()) s += cat({" (", shorten(d.reason, 100), ")"});
  } else if (d.state == DecisionState::Denied) {
    // Say which rule refused it; "denied, denied" would tell nothing.
    std::string by;
    for (const auto& r : d.policy.rules)
      if (r.verdict == policies::Verdict::Deny) {
        by = cat({" by ", r.rule, " (", shorten(r.reason, 80), ")"});
        break;
      }
    s += cat({"denied", by});
  } else {
    s += cat({verdict_word(d), ", ", to_string(d.state)});
  }
  if (!d.error.empty()) s += cat({" (error: ", shorten(d.error, 100), ")"});
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';  // one line, whatever the texts hold
  return s;
}

std::string explain(const Decision& d) {
  std::string o;
  auto line = [&o](std::initializer_list<std::string_view> parts) {
    for (auto p : parts) o.append(p);
    o += '\n';
  };
  const std::string where = cat({d.namespace_, d.namespace_.empty() ? "" : "/", d.target,
                                 d.target_kind.empty() ? "" : cat({" (", d.target_kind, ")"})});
  line({"Decision ", or_else(d.id, "(no id)"), " for ", where});
  line({"  In short: ", summarize(d)});
  line({"  State:    ", to_string(d.state), is_terminal(d.state) ? " (final)" : " (in progress)",
        ", mode ", or_else(d.mode, "unknown")});
  line({"  Created:  ", format_rfc3339_ms(d.created)});
  if (d.applied)
    line({"  Applied:  ", format_rfc3339_ms(*d.applied), " (", seconds_words(to_seconds(*d.applied - d.created)),
          " after creation)"});
  line({"  Updated:  ", format_rfc3339_ms(d.updated), " (",
        seconds_words(to_seconds(d.updated - d.created)), " after creation)"});

  line({""});
  line({"What was observed:"});
  if (d.observed.empty()) line({"  nothing was observed"});
  for (const auto& s : d.observed) {
    std::string t = cat({"  - ", or_else(s.role, "(no role)"), ": "});
    if (s.status == "ok") {
      t += cat({num(s.value), ", measured ", seconds_words(s.age_seconds), " before (ok)"});
    } else {
      t += cat({"no usable value, status ", or_else(s.status, "unknown")});
      if (std::isfinite(s.value)) t += cat({", last value ", num(s.value)});
      if (s.age_seconds > 0) t += cat({", ", seconds_words(s.age_seconds), " old"});
    }
    line({t});
    if (!s.error.empty()) line({"      why: ", s.error});
    line({"      query: ", or_else(s.query, "(none)")});
  }

  line({""});
  line({"What was predicted:"});
  const auto& p = d.prediction;
  if (!p.enough_data) {
    line({"  no prediction: not enough data", p.note.empty() ? "" : cat({" (", p.note, ")"}),
          p.model.empty() ? "" : cat({", model ", p.model})});
  } else {
    char level[32];
    std::snprintf(level, sizeof level, "%.0f%%", p.level * 100);
    line({"  model ", or_else(p.model, "(unnamed)"), ": load in ", seconds_words(p.horizon_seconds),
          " expected ", num(p.mean), " (", level, " interval ", num(p.lower), " to ", num(p.upper),
          "), confidence ", num(std::round(p.confidence * 100) / 100)});
    if (!p.note.empty()) line({"  note: ", p.note});
  }
  if (p.accuracy.scored > 0) {
    char acc[160];
    std::snprintf(acc, sizeof acc, "  live accuracy over the last %zu scored forecasts: MASE %.2f, interval coverage %.0f%%",
                  p.accuracy.window, p.accuracy.mase, p.accuracy.coverage * 100);
    line({acc, p.trusted ? "" : " — below the accuracy floor, so the forecast was not used"});
  }
  if (d.incident.assessed) {
    char risk[96];
    std::snprintf(risk, sizeof risk, "Incident risk: %.2f (%s)", d.incident.risk, d.incident.level.c_str());
    line({""});
    line({risk, d.incident.summary.empty() ? "" : cat({": ", d.incident.summary})});
    for (const auto& r : d.incident.drivers) line({"  - ", r.explanation});
    if (std::isfinite(d.incident.detection_precision) || std::isfinite(d.incident.detection_recall)) {
      char pr[160];
      std::snprintf(pr, sizeof pr, "  alarms so far against confirmed incidents: precision %s, recall %s",
                    std::isfinite(d.incident.detection_precision)
                        ? (std::to_string(static_cast<int>(std::lround(d.incident.detection_precision * 100))) + "%").c_str()
                        : "n/a",
                    std::isfinite(d.incident.detection_recall)
                        ? (std::to_string(static_cast<int>(std::lround(d.incident.detection_recall * 100))) + "%").c_str()
                        : "n/a");
      line({pr});
    }
  }

  const RemediationInfo& m = d.remediation;
  if (m.classified()) {
    char head[160];
    std::snprintf(head, sizeof head, "Remediation: incident class %s, proposed %s, confidence %.2f", m.incident_class.c_str(),
                  m.proposed.empty() ? "none" : m.proposed.c_str(), m.confidence);
    line({""});
    line({head});
    if (m.onset) line({"  symptoms since ", format_rfc3339_ms(*m.onset)});
    for (const auto& e : m.evidence) {
      line({"  - ", e.signal, ": ", num(e.value),
            std::isfinite(e.baseline) ? cat({" (before the incident ", num(e.baseline), ")"}) : "",
            e.note.empty() ? "" : cat({" — ", e.note})});
    }
    if (!m.expected_effect.empty()) line({"  expected effect: ", m.expected_effect});
    if (!m.signal.empty())
      line({"  recovery is judged on ", m.signal,
            std::isfinite(m.threshold) ? cat({" (symptom threshold ", num(m.threshold), ")"}) : "",
            m.deadline ? cat({", by ", format_rfc3339_ms(*m.deadline)}) : ""});
    if (m.rolled_out) line({"  rollout done at ", format_rfc3339_ms(*m.rolled_out)});
    if (!m.recovery.empty())
      line({"  recovery: ", m.recovery, m.recovery_detail.empty() ? "" : cat({" — ", m.recovery_detail})});
    if (!m.follow_up_of.empty()) line({"  follow-up of ", m.follow_up_of});
    if (!m.notify_error.empty()) line({"  escalation could not be posted: ", m.notify_error});
  }

  line({""});
  line({"What was proposed and why:"});
  if (d.action == "scale") {
    line({"  scale from ", std::to_string(d.current_replicas), " to ",
          std::to_string(d.desired_replicas), " replicas"});
  } else if (d.action == "hold") {
    line({"  hold: no change",
          d.current_replicas > 0
              ? cat({" (stay at ", std::to_string(d.current_replicas), " replicas)"})
              : ""});
  } else if (d.action == "escalate") {
    line({"  escalate: ask a human, no automatic action"});
  } else {
    std::string params;
    for (const auto& [k, v] : d.params) params += cat({params.empty() ? " (" : ", ", k, "=", v});
    line({"  ", d.action, params.empty() ? "" : cat({params, ")"})});
  }
  line({"  because: ", or_else(d.reason, "(no reason recorded)")});

  line({""});
  if (!d.policy_checked) {
    line({"Policy check: not performed"});
  } else {
    line(
        {"Policy check: ", policies::to_string(d.policy.verdict),
         d.action == "scale" ? cat({", replicas allowed ", std::to_string(d.policy.replicas)}) : "",
         " (", std::to_string(d.policy.rules.size()), " rules)"});
    for (const auto& r : d.policy.rules) {
      line({"  - ", r.rule, ": ", policies::to_string(r.verdict),
            r.adjusted_replicas
                ? cat({", adjusted to ", std::to_string(*r.adjusted_replicas), " replicas"})
                : "",
            " - ", or_else(r.reason, "(no reason)")});
    }
  }

  line({""});
  line({"Approval:"});
  const ApprovalInfo& a = d.approval;
  if (a.asked()) {
    std::string who = join_names(a.slack_users);
    for (const auto* list : {&a.slack_groups, &a.tokens})
      if (!list->empty()) who += (who.empty() ? "" : ", ") + join_names(*list);
    line({"  asked by ", a.rules.empty() ? std::string("policy") : join_names(a.rules), " at ",
          format_rfc3339_ms(a.requested), "; expires ", format_rfc3339_ms(a.expires),
          " (then ", a.on_expiry, "); approvers: ", or_else(who, "any approver token")});
    if (a.status == "pending")
      line({"  waiting for a human to approve"});
    else
      line({"  ", a.status, a.decided_by.empty() ? "" : cat({" by ", a.decided_by}),
            a.via.empty() ? "" : cat({" via ", a.via}), " at ", format_rfc3339_ms(a.decided),
            a.note.empty() ? "" : cat({": ", a.note})});
    if (!a.slack_ts.empty()) line({"  Slack message ", a.slack_channel, " ", a.slack_ts});
    if (!a.notify_error.empty()) line({"  Slack notification failed: ", a.notify_error});
  } else if (d.state == DecisionState::PendingApproval) {
    line({"  waiting for a human to approve"});
  } else if (d.policy_checked && d.policy.verdict == policies::Verdict::NeedsApproval) {
    line({"  required, none recorded"});
  } else {
    line({"  not required"});
  }

  line({""});
  line({"What the actuator did:"});
  if (d.calls.empty()) line({"  no API calls"});
  for (std::size_t i = 0; i < d.calls.size(); ++i) {
    const auto& c = d.calls[i];
    line({"  ", std::to_string(i + 1), ". ", c.method, " ", c.url, " -> ",
          c.status == 0 ? std::string("not sent") : cat({"HTTP ", std::to_string(c.status)})});
    if (!c.body.empty()) line({"       request:  ", shorten(c.body, 2000)});
    if (!c.response.empty()) line({"       response: ", shorten(c.response, 2000)});
  }

  line({""});
  line({"Outcome:"});
  if (!d.outcome.empty())
    line({"  ", d.outcome});
  else
    line({is_terminal(d.state) ? "  nothing further recorded" : "  not verified yet"});

  line({""});
  line({"Errors:"});
  line({"  ", or_else(d.error, "none")});
  return o;
}

}  // namespace opspilot::agent
