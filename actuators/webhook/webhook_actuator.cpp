#include "actuators/webhook/webhook_actuator.h"

#include <stdexcept>

#include "actuators/dryrun/dryrun_actuator.h"

namespace opspilot::actuators {
namespace {

std::string trimmed(const std::string& body, size_t max = 512) {
  if (body.size() <= max) return body;
  return body.substr(0, max) + "…";
}

HttpClient& client() {
  thread_local HttpClient c;
  return c;
}

/// A non-negative integer; for durations also "250ms" or "5s" (plain numbers are milliseconds).
int parse_int(const ActuatorSettings& s, const std::string& key, int def, bool duration = false) {
  auto it = s.find(key);
  if (it == s.end()) return def;
  std::string text = it->second;
  int scale = 1;
  if (duration && text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
    text.resize(text.size() - 2);
  } else if (duration && text.size() > 1 && text.back() == 's') {
    text.pop_back();
    scale = 1000;
  }
  try {
    size_t pos = 0;
    int v = std::stoi(text, &pos);
    if (pos != text.size() || v < 0) throw std::invalid_argument(text);
    return v * scale;
  } catch (const std::exception&) {
    throw std::invalid_argument("setting \"" + key + "\" must be a non-negative " +
                                (duration ? "duration (e.g. 500ms, 5s)" : "integer") + ", got \"" +
                                it->second + "\"");
  }
}

}  // namespace

WebhookActuator::WebhookActuator(const ActuatorSettings& s) {
  auto it = s.find("url");
  if (it == s.end() || it->second.empty())
    throw std::invalid_argument("setting \"url\" is required (where to POST actions)");
  url_ = it->second;
  if (url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
    throw std::invalid_argument("setting \"url\" must start with http:// or https://, got \"" + url_ + "\"");
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  if (auto t = s.find("token"); t != s.end()) token_ = t->second;
  timeout_ = std::chrono::milliseconds(parse_int(s, "timeout", 5000, true));
  retry_.attempts = parse_int(s, "retries", 3);
  if (retry_.attempts < 1) retry_.attempts = 1;
}

std::vector<ApiCall> WebhookActuator::plan(const Action& action) const {
  return {ApiCall{"POST", url_, action_to_json(action).dump(), 0, ""}};
}

ApplyResult WebhookActuator::apply(const Action& action) {
  ApplyResult r;
  HttpRequest req;
  req.method = "POST";
  req.url = url_;
  req.body = action_to_json(action).dump();
  req.timeout = timeout_;
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Idempotency-Key", action.decision_id);
  if (!token_.empty()) req.headers.emplace_back("Authorization", "Bearer " + token_);
  // Retrying is safe: the receiver de-duplicates by decision_id.
  int attempts = 0;
  HttpResponse resp = client().send_with_retry(req, retry_, &attempts);
  r.calls.push_back(ApiCall{"POST", url_, req.body, resp.status, trimmed(resp.body)});
  if (!resp.transport_ok()) {
    r.retryable = true;
    r.error = "webhook unreachable after " + std::to_string(attempts) + " attempt(s): " + resp.error;
    return r;
  }
  if (!resp.ok()) {
    r.retryable = is_retryable(resp);
    r.error = "webhook answered HTTP " + std::to_string(resp.status) + ": " + trimmed(resp.body, 300);
    return r;
  }
  r.ok = true;
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.value("status", "") == "already_applied")
    r.already_applied = true;
  return r;
}

VerifyResult WebhookActuator::verify(const Action& action) {
  VerifyResult v;
  HttpRequest req;
  req.url = url_ + "/" + HttpClient::url_encode(action.decision_id);
  req.timeout = timeout_;
  if (!token_.empty()) req.headers.emplace_back("Authorization", "Bearer " + token_);
  HttpResponse resp = client().send_with_retry(req, retry_);
  v.calls.push_back(ApiCall{"GET", req.url, "", resp.status, trimmed(resp.body)});
  if (!resp.ok()) {
    v.state = VerifyState::Unknown;
    v.detail = resp.transport_ok()
                   ? "webhook answered HTTP " + std::to_string(resp.status) + ": " + trimmed(resp.body, 300)
                   : "webhook unreachable: " + resp.error;
    return v;
  }
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    v.detail = "webhook verification answer is not a JSON object: " + trimmed(resp.body, 200);
    return v;
  }
  const std::string state = j.value("state", "");
  v.observed = j.value("observed", nlohmann::json::object());
  if (state == "done") v.state = VerifyState::Done;
  else if (state == "in_progress") v.state = VerifyState::InProgress;
  else if (state == "failed") v.state = VerifyState::Failed;
  else v.state = VerifyState::Unknown;
  v.detail = "state " + (state.empty() ? std::string("(none)") : state) + ", observed " + v.observed.dump();
  return v;
}

}  // namespace opspilot::actuators
