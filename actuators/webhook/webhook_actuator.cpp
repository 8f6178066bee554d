#include "actuators/webhook/webhook_actuator.h"

#include <chrono>
#include <stdexcept>

#include "actuators/common/settings.h"
#include "actuators/common/webhook_signature.h"
#include "actuators/dryrun/dryrun_actuator.h"

namespace opspilot::actuators {
WebhookActuator::WebhookActuator(const ActuatorSettings& s) {
  check_known_settings(s, {"url", "token", "timeout", "retries", "retry_base", "secret_file", "secret_env"});
  auto it = s.find("url");
  if (it == s.end() || it->second.empty())
    throw std::invalid_argument("setting \"url\" is required (where to POST actions)");
  url_ = it->second;
  if (url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
    throw std::invalid_argument("setting \"url\" must start with http:// or https://, got \"" + url_ + "\"");
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  if (auto t = s.find("token"); t != s.end()) token_ = t->second;
  timeout_ = setting_timeout(s, "timeout", std::chrono::milliseconds(5000));
  retry_ = setting_retry(s, 3);
  secret_ = setting_secret(s, "secret");
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
  if (!secret_.empty()) {
    // Signed once: a retry resends the same bytes, which the receiver's replay window admits.
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    req.headers.emplace_back(kTimestampHeader, std::to_string(now));
    req.headers.emplace_back(kSignatureHeader, webhook_signature(secret_, now, req.body));
  }
  // Retrying is safe: the receiver de-duplicates by decision_id.
  int attempts = 0;
  HttpResponse resp = HttpClient::for_this_thread().send_with_retry(req, retry_, &attempts);
  r.calls.push_back(ApiCall{"POST", url_, req.body, resp.status, body_excerpt(resp.body)});
  if (!resp.transport_ok()) {
    r.retryable = true;
    r.error = "webhook unreachable after " + std::to_string(attempts) + " attempt(s): " + resp.error;
    return r;
  }
  if (!resp.ok()) {
    r.retryable = is_retryable(resp);
    r.error = "webhook answered HTTP " + std::to_string(resp.status) + ": " + body_excerpt(resp.body, 300);
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
  HttpResponse resp = HttpClient::for_this_thread().send_with_retry(req, retry_);
  v.calls.push_back(ApiCall{"GET", req.url, "", resp.status, body_excerpt(resp.body)});
  if (!resp.ok()) {
    v.state = VerifyState::Unknown;
    v.detail = resp.transport_ok()
                   ? "webhook answered HTTP " + std::to_string(resp.status) + ": " + body_excerpt(resp.body, 300)
                   : "webhook unreachable: " + resp.error;
    return v;
  }
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    v.detail = "webhook verification answer is not a JSON object: " + body_excerpt(resp.body, 200);
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
