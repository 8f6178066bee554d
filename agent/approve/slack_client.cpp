// SlackClient: chat.postMessage / chat.update / usergroups.users.list with a bot token, or the
// incoming webhook and response_url without one. Secrets (the token, a webhook URL's path) never
// reach an error message.
#include <algorithm>

#include "agent/approve/slack.h"

namespace opspilot::agent::slack {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// "https://hooks.slack.com/services/T0/B0/XXXX" -> "https://hooks.slack.com/…": webhook and
// response URLs carry their credential in the path.
std::string redact_url(std::string_view url) {
  const std::size_t scheme = url.find("://");
  const std::size_t host_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t path = url.find('/', host_start);
  if (path == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, path)) + "/\xE2\x80\xA6";
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
    s.replace(at, what.size(), with);
}

// A response body, for an error message: at most 200 bytes of printable ASCII.
std::string snippet(std::string_view body) {
  std::string out;
  for (char ch : body.substr(0, 200)) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(c >= 0x20 && c < 0x7f ? ch : ' ');
  }
  if (body.size() > 200) out += "...";
  return out.empty() ? std::string("(empty body)") : "\"" + out + "\"";
}

std::string tries(int attempts) {
  return std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
}

Posted failed(std::string error) {
  Posted p;
  p.error = std::move(error);
  return p;
}

}  // namespace

SlackClient::SlackClient(SlackSpec spec, actuators::RetryPolicy retry, const Clock* clock)
    : spec_(std::move(spec)),
      retry_(retry),
      own_clock_(clock == nullptr ? std::make_unique<SystemClock>() : nullptr),
      clock_(clock == nullptr ? own_clock_.get() : clock) {}

SlackClient::~SlackClient() = default;

std::string SlackClient::scrub(std::string text, std::string_view extra_secret_url) const {
  replace_all(text, spec_.bot_token, "[bot token]");
  if (!spec_.webhook_url.empty()) replace_all(text, spec_.webhook_url, redact_url(spec_.webhook_url));
  if (!extra_secret_url.empty()) replace_all(text, extra_secret_url, redact_url(extra_secret_url));
  return text;
}

actuators::HttpResponse SlackClient::send(actuators::HttpRequest req, int* attempts) {
  req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(spec_.timeout);
  // One client per call: HttpClient is single-threaded, and approvals are rare enough that a
  // fresh connection per message costs nothing that matters.
  actuators::HttpClient client;
  return client.send_with_retry(req, retry_, attempts);
}

Posted SlackClient::call_api(const std::string& method, const json& body) {
  std::string base = spec_.api_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  actuators::HttpRequest req;
  req.method = "POST";
  req.url = base + "/" + method;
  req.headers = {{"Content-Type", "application/json; charset=utf-8"},
                 {"Authorization", "Bearer " + spec_.bot_token}};
  req.body = dump(body);
  int attempts = 0;
  const actuators::HttpResponse r = send(std::move(req), &attempts);
  const std::string who = "Slack " + method;
  if (!r.transport_ok()) return failed(scrub(who + " failed after " + tries(attempts) + ": " + r.error));
  if (r.status < 200 || r.status >= 300)
    return failed(scrub(who + " answered HTTP " + std::to_string(r.status) + " after " + tries(attempts) +
                        ": " + snippet(r.body)));
  const json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return failed(scrub(who + " answered HTTP " + std::to_string(r.status) + " with a body that is not a JSON object: " +
                        snippet(r.body)));
  const auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean() || !ok->get<bool>()) {
    // Slack reports errors as HTTP 200 with ok:false and a code ("channel_not_found").
    const auto err = j.find("error");
    std::string msg = who + " refused: " +
                      (err != j.end() && err->is_string() ? err->get<std::string>() : std::string("ok is not true"));
    const auto needed = j.find("needed");
    if (needed != j.end() && needed->is_string()) msg += " (the token needs scope " + needed->get<std::string>() + ")";
    return failed(scrub(std::move(msg)));
  }
  Posted p;
  p.ok = true;
  if (const auto c = j.find("channel"); c != j.end() && c->is_string()) p.channel = c->get<std::string>();
  if (const auto t = j.find("ts"); t != j.end() && t->is_string()) p.ts = t->get<std::string>();
  return p;
}

Posted SlackClient::post_json_url(const std::string& url, const std::string& what, const json& body) {
  actuators::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  req.body = dump(body);
  int attempts = 0;
  const actuators::HttpResponse r = send(std::move(req), &attempts);
  const std::string who = "Slack " + what + " " + redact_url(url);
  if (!r.transport_ok()) return failed(scrub(who + " failed after " + tries(attempts) + ": " + r.error, url));
  // Webhooks answer a plain "ok" or an error code as text ("invalid_payload", "channel_not_found")
  // with a 4xx; a response_url may answer {"ok": false, "error": ...}.
  if (r.status < 200 || r.status >= 300)
    return failed(scrub(who + " answered HTTP " + std::to_string(r.status) + " after " + tries(attempts) + ": " +
                        snippet(r.body), url));
  const json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object()) {
    const auto ok = j.find("ok");
    if (ok != j.end() && ok->is_boolean() && !ok->get<bool>()) {
      const auto err = j.find("error");
      return failed(scrub(who + " refused: " + (err != j.end() && err->is_string() ? err->get<std::string>()
                                                                                     : std::string("ok is false")),
                          url));
    }
  }
  Posted p;
  p.ok = true;
  return p;
}

Posted SlackClient::post(const ApprovalMessage& m) {
  json body = message_payload(m);
  if (!spec_.bot_token.empty()) {
    if (spec_.channel.empty())
      return failed("approvals.slack.channel is not set; chat.postMessage needs a channel to post approval " +
                    m.approval_id + " to");
    body["channel"] = spec_.channel;
    body["unfurl_links"] = false;
    Posted p = call_api("chat.postMessage", body);
    if (!p.ok) p.error += " (channel \"" + spec_.channel + "\", approval " + m.approval_id + ")";
    return p;
  }
  if (spec_.webhook_url.empty())
    return failed("no Slack bot token and no webhook URL are configured (approvals.slack); cannot post approval " +
                  m.approval_id);
  return post_json_url(spec_.webhook_url, "webhook", body);
}

Posted SlackClient::update(const ApprovalMessage& m, const std::string& channel, const std::string& ts,
                           const std::string& response_url) {
  std::string api_error;
  if (!spec_.bot_token.empty() && !ts.empty()) {
    json body = message_payload(m);
    body["channel"] = channel.empty() ? spec_.channel : channel;
    body["ts"] = ts;
    Posted p = call_api("chat.update", body);
    if (p.ok || response_url.empty()) {
      if (!p.ok) p.error += " (message ts " + ts + ", approval " + m.approval_id + ")";
      return p;
    }
    api_error = p.error;  // e.g. message_not_found: the response_url may still reach it
  }
  if (!response_url.empty()) {
    json body = message_payload(m);
    body["replace_original"] = true;
    Posted p = post_json_url(response_url, "response_url", body);
    if (p.ok) {
      p.channel = channel;
      p.ts = ts;
    } else if (!api_error.empty()) {
      p.error = api_error + "; then " + p.error;
    }
    return p;
  }
  if (spec_.bot_token.empty())
    return failed("cannot update the Slack message of approval " + m.approval_id +
                  ": without a bot token only a callback's response_url can, and none was given");
  return failed("cannot update the Slack message of approval " + m.approval_id +
                ": its ts is unknown (chat.update needs it) and no response_url was given");
}

std::optional<std::vector<std::string>> SlackClient::group_members(const std::string& group_id, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<std::vector<std::string>> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  if (spec_.bot_token.empty())
    return fail("usergroups.users.list needs a bot token (approvals.slack.bot_token) to read group " + group_id);
  if (group_id.empty()) return fail("the user group id is empty; expected an id such as \"S0614TZR7\"");
  const std::int64_t now_ms = clock_->now().time_since_epoch().count();
  {
    std::lock_guard lock(cache_mu_);
    const auto it = groups_.find(group_id);
    if (it != groups_.end() && now_ms - it->second.fetched_at_ms < kGroupCacheSeconds * 1000 &&
        now_ms >= it->second.fetched_at_ms)
      return it->second.members;
  }
  std::string base = spec_.api_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  actuators::HttpRequest req;
  req.method = "GET";
  req.url = base + "/usergroups.users.list?usergroup=" + actuators::HttpClient::url_encode(group_id);
  req.headers = {{"Authorization", "Bearer " + spec_.bot_token}};
  int attempts = 0;
  const actuators::HttpResponse r = send(std::move(req), &attempts);
  const std::string who = "Slack usergroups.users.list for group \"" + group_id + "\"";
  if (!r.transport_ok()) return fail(scrub(who + " failed after " + tries(attempts) + ": " + r.error));
  if (r.status < 200 || r.status >= 300)
    return fail(scrub(who + " answered HTTP " + std::to_string(r.status) + ": " + snippet(r.body)));
  const json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail(scrub(who + " answered a body that is not a JSON object: " + snippet(r.body)));
  const auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean() || !ok->get<bool>()) {
    const auto err = j.find("error");
    return fail(scrub(who + " refused: " + (err != j.end() && err->is_string() ? err->get<std::string>() : "ok is not true")));
  }
  const auto users = j.find("users");
  if (users == j.end() || !users->is_array()) return fail(who + " answered ok without a \"users\" array");
  std::vector<std::string> members;
  for (const json& u : *users)
    if (u.is_string()) members.push_back(u.get<std::string>());
  std::lock_guard lock(cache_mu_);
  groups_[group_id] = CachedGroup{now_ms, members};
  return members;
}

}  // namespace opspilot::agent::slack
