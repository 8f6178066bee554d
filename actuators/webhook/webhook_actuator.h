#pragma once
// The generic webhook backend: POSTs the action as JSON to a URL and verifies by GETting
// `<url>/<decision_id>`. The receiver must treat decision_id as an idempotency key (the sandbox
// does). Settings: url (required), timeout (ms, default 5000), retries (default 3),
// token (optional bearer token).
// Thread-safety: one HttpClient per calling thread; safe for concurrent calls.
#include <chrono>

#include "actuators/actuator.h"
#include "actuators/common/http_client.h"

namespace opspilot::actuators {

class WebhookActuator final : public Actuator {
 public:
  /// Throws std::invalid_argument on bad settings (at construction only, never while acting).
  explicit WebhookActuator(const ActuatorSettings& settings);
  std::string name() const override { return "webhook"; }
  std::vector<ApiCall> plan(const Action& action) const override;
  ApplyResult apply(const Action& action) override;
  VerifyResult verify(const Action& action) override;

 private:
  std::string url_;
  std::string token_;
  std::string secret_;
  std::chrono::milliseconds timeout_{5000};
  RetryPolicy retry_;
};

}  // namespace opspilot::actuators
