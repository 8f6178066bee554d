// The approval message as Slack Block Kit: what is proposed, why, the forecast, the policy rules
// that asked, and either the Approve/Deny buttons or the outcome.
#include <cstdio>
#include <string>

#include "agent/approve/slack.h"
#include "agent/config/duration.h"

namespace opspilot::agent::slack {
namespace {

using nlohmann::json;

// Slack's limits (Block Kit reference): header text 150 characters, section text 3,000, button
// value 2,000, top-level text 40,000 (we keep the fallback far shorter: it is for notifications).
constexpr std::size_t kHeaderMax = 150;
constexpr std::size_t kSectionMax = 3000;
constexpr std::size_t kFallbackMax = 1000;
constexpr std::size_t kRulesShown = 10;

// Replaces invalid UTF-8 (bad lead bytes, truncated sequences, overlongs, surrogates, > U+10FFFF)
// with U+FFFD, so that nlohmann::json can dump every string we put in a message.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    }
    bool good = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; good && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      good = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    good = good && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (good) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// Cuts valid UTF-8 to at most `max` bytes with an ellipsis, never inside a character or inside
// one of escape_mrkdwn's entities (a cut "&am" would show as text).
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max >= 3 ? max - 3 : 0;  // room for "…" (3 bytes)
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  const std::size_t amp = s.rfind('&', end == 0 ? 0 : end - 1);
  if (amp != std::string::npos && end - amp < 5 && s.find(';', amp) >= end) end = amp;
  s.resize(end);
  return s + "\xE2\x80\xA6";
}

// Free text for a mrkdwn field.
std::string md(std::string_view raw, std::size_t max) { return cut(escape_mrkdwn(valid_utf8(raw)), max); }
// Length of a user or user-group mention at the start of `s` ("<@U024BE7LH>",
// "<!subteam^S0614TZR7>", "<!subteam^S0614TZR7|@sre>"), or 0. Only these pass unescaped: they
// notify exactly the people named, unlike <!channel> or <!here>, which stay escaped.
std::size_t mention_length(std::string_view s) {
  std::size_t i = 0;
  if (s.substr(0, 3) == "<@U" || s.substr(0, 3) == "<@W") {
    i = 3;
  } else if (s.substr(0, 11) == "<!subteam^S") {
    i = 11;
  } else {
    return 0;
  }
  const std::size_t id_start = i;
  while (i < s.size() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) ++i;
  if (i == id_start || i - id_start > 32 || i >= s.size()) return 0;
  if (s[i] == '|') {
    for (++i; i < s.size() && i < 200 && s[i] != '>'; ++i)
      if (s[i] == '<' || s[i] == '&') return 0;
  }
  return i < s.size() && s[i] == '>' ? i + 1 : 0;
}

// Free text for a mrkdwn field that may name people: mentions kept, everything else escaped.
std::string md_mentions(std::string_view raw, std::size_t max) {
  const std::string text = valid_utf8(raw);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = text[i] == '<' ? mention_length(std::string_view(text).substr(i)) : 0;
    if (n > 0) {
      out.append(text, i, n);
      i += n;
    } else {
      out += escape_mrkdwn(std::string_view(&text[i], 1));
      ++i;
    }
  }
  // A cut through a mention would leave a dangling "<@U0"; drop the partial mention instead.
  std::string c = cut(out, max);
  if (c.size() < out.size()) {
    const std::size_t lt = c.rfind('<');
    if (lt != std::string::npos && c.find('>', lt) == std::string::npos) c = c.substr(0, lt) + "\xE2\x80\xA6";
  }
  return c;
}

// Free text for a plain_text field (Slack shows it as is: no escaping).
std::string plain(std::string_view raw, std::size_t max) { return cut(valid_utf8(raw), max); }

json plain_text(std::string text) { return {{"type", "plain_text"}, {"text", std::move(text)}, {"emoji", true}}; }
json mrkdwn(std::string text) { return {{"type", "mrkdwn"}, {"text", std::move(text)}}; }
json section(std::string text) { return {{"type", "section"}, {"text", mrkdwn(std::move(text))}}; }

// A time Slack renders in each reader's own time zone, with UTC as the fallback text.
std::string slack_date(std::int64_t unix_s) {
  const std::string utc = format_rfc3339(from_unix_seconds(static_cast<double>(unix_s)));
  return "<!date^" + std::to_string(unix_s) + "^{date_short_pretty} {time}|" + utc + ">";
}

// A Slack user id ("U024BE7LH", "W123") becomes a mention; anything else is shown as text.
std::string who(std::string_view id) {
  bool is_id = id.size() >= 3 && id.size() <= 32 && (id[0] == 'U' || id[0] == 'W');
  for (char c : id) is_id = is_id && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
  if (is_id) return "<@" + std::string(id) + ">";
  return id.empty() ? std::string("someone") : md_mentions(id, 200);
}

// "scale prod/web-frontend from 6 to 9 replicas", `code` for the workload in mrkdwn.
std::string what(const ApprovalMessage& m, bool markdown) {
  const std::string where = (m.namespace_.empty() ? "" : m.namespace_ + "/") + m.target;
  const std::string name = markdown ? "`" + md(where, 300) + "`" : plain(where, 300);
  const std::string act = markdown ? md(m.action, 40) : plain(m.action, 40);
  if (m.action == "scale" || m.from_replicas != m.to_replicas)
    return act + " " + name + " from " + std::to_string(m.from_replicas) + " to " +
           std::to_string(m.to_replicas) + " replicas";
  if (m.from_replicas > 0) return act + " " + name + " (" + std::to_string(m.from_replicas) + " replicas)";
  return act + " " + name;
}

std::string title(const ApprovalMessage& m) {
  switch (m.state) {
    case ApprovalState::Pending: return "Approval needed: ";
    case ApprovalState::Approved: return "Approved: ";
    case ApprovalState::Denied: return "Denied: ";
    case ApprovalState::Expired: return "Expired: ";
    case ApprovalState::Superseded: return "Superseded: ";
  }
  return "";
}

std::string outcome_line(const ApprovalMessage& m) {
  const std::int64_t when = m.decided_at != 0 ? m.decided_at : m.expires_at;
  const std::string at = when != 0 ? " at " + slack_date(when) : std::string();
  std::string line;
  switch (m.state) {
    case ApprovalState::Pending: return {};
    case ApprovalState::Approved: line = ":white_check_mark: *Approved* by " + who(m.decided_by) + at; break;
    case ApprovalState::Denied: line = ":no_entry: *Denied* by " + who(m.decided_by) + at; break;
    case ApprovalState::Expired: line = ":hourglass: *Expired*" + at + " without a decision"; break;
    case ApprovalState::Superseded:
      line = ":arrows_counterclockwise: *Superseded*" + (m.decided_by.empty() ? "" : " by " + who(m.decided_by)) + at;
      break;
  }
  if (!m.note.empty()) line += "\n>" + md(m.note, 1000);
  return line;
}

json button(const char* label, const char* style, std::string_view action_id, const std::string& value) {
  return {{"type", "button"},
          {"text", plain_text(label)},
          {"style", style},
          {"action_id", std::string(action_id)},
          {"value", value}};
}

}  // namespace

std::string_view state_name(ApprovalState s) {
  switch (s) {
    case ApprovalState::Pending: return "pending";
    case ApprovalState::Approved: return "approved";
    case ApprovalState::Denied: return "denied";
    case ApprovalState::Expired: return "expired";
    case ApprovalState::Superseded: return "superseded";
  }
  return "unknown";
}

std::string escape_mrkdwn(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

json message_payload(const ApprovalMessage& m) {
  json blocks = json::array();
  blocks.push_back({{"type", "header"}, {"text", plain_text(cut(title(m) + what(m, false), kHeaderMax))}});

  std::string body = "*What:* " + what(m, true);
  if (!m.why.empty()) body += "\n*Why:* " + md(m.why, 1200);
  if (!m.forecast.empty()) body += "\n*Forecast:* " + md(m.forecast, 600);
  blocks.push_back(section(cut(std::move(body), kSectionMax)));

  if (!m.rules.empty()) {
    std::string rules = "*Policy rules asking for approval:*";
    for (std::size_t i = 0; i < m.rules.size() && i < kRulesShown; ++i) {
      rules += "\n\xE2\x80\xA2 `" + md(m.rules[i].name, 120) + "`";
      if (!m.rules[i].reason.empty()) rules += " \xE2\x80\x94 " + md(m.rules[i].reason, 200);
    }
    if (m.rules.size() > kRulesShown) rules += "\n_and " + std::to_string(m.rules.size() - kRulesShown) + " more_";
    blocks.push_back(section(cut(std::move(rules), kSectionMax)));
  }

  std::string ctx;
  auto add = [&ctx](const std::string& part) { ctx += (ctx.empty() ? "" : "  \xC2\xB7  ") + part; };
  if (m.confidence >= 0) {
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.0f%%", m.confidence * 100.0);
    add(std::string("Confidence *") + pct + "*");
  }
  if (m.state == ApprovalState::Pending && m.expires_at != 0) add("Expires " + slack_date(m.expires_at));
  if (!m.approvers.empty()) add("Approvers: " + md_mentions(m.approvers, 600));
  add("Approval `" + md(m.approval_id, 200) + "`");
  blocks.push_back({{"type", "context"}, {"elements", json::array({mrkdwn(cut(std::move(ctx), kSectionMax))})}});

  if (m.state == ApprovalState::Pending) {
    const std::string value = cut(valid_utf8(m.approval_id), 2000);
    blocks.push_back({{"type", "actions"},
                      {"elements", json::array({button("Approve", "primary", kApproveActionId, value),
                                                button("Deny", "danger", kDenyActionId, value)})}});
  } else {
    blocks.push_back(section(cut(outcome_line(m), kSectionMax)));
  }

  std::string fallback = "[opspilot] " + title(m) + what(m, true);
  if (!m.why.empty()) fallback += " \xE2\x80\x94 " + md(m.why, 400);
  return {{"text", cut(std::move(fallback), kFallbackMax)}, {"blocks", std::move(blocks)}};
}

}  // namespace opspilot::agent::slack
