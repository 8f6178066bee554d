#pragma once
// The AWS Auto Scaling backend ("aws-asg"): scales an Auto Scaling group (SetDesiredCapacity) and
// restarts it (StartInstanceRefresh, rolling) through the Auto Scaling Query API, SigV4-signed
// with credentials from the SDKs' chain (credentials.h). Action.target.name is the group name;
// target.kind is "AutoScalingGroup" (or empty).
//
// Idempotent, and never overwrites someone else's change:
//   - Scale reads the group first. DesiredCapacity already at the target -> already_applied.
//     DesiredCapacity different from what the decision saw (from_replicas) -> a conflict error,
//     nothing written: the agent re-reads and re-decides. A target outside [MinSize, MaxSize] is
//     refused before any write, naming the bounds.
//   - Restart looks for a running instance refresh first; one that is Pending/InProgress means
//     the restart is already under way (AWS would refuse a second one anyway).
//   - Rollback is not supported (a group keeps no revision history to return to).
//
// Settings (strings): region (required unless AWS_REGION / AWS_DEFAULT_REGION is set), endpoint
// (default https://autoscaling.<region>.amazonaws.com, else AWS_ENDPOINT_URL_AUTO_SCALING /
// AWS_ENDPOINT_URL; e.g. a moto server), profile (shared credentials profile), sts_endpoint (for
// web identity), timeout (ms, or "500ms" / "5s"; default 5s), retries (total tries for transport
// errors, 5xx and throttling; default 3). Unknown or malformed settings throw
// std::invalid_argument at construction; plan/apply/verify never throw.
//
// Restart params (optional): min_healthy_percentage (0-100), instance_warmup (seconds).
//
// Thread-safety: plan/apply/verify may run concurrently for different targets; the credentials
// chain is thread-safe and the one piece of shared state (decision id -> instance refresh id,
// so verify follows the refresh this decision started) is behind a mutex.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "actuators/actuator.h"
#include "actuators/aws/credentials.h"
#include "actuators/aws/query_client.h"

namespace opspilot::actuators::aws {

class AsgActuator final : public Actuator {
 public:
  /// `env` defaults to the process environment (region and credential variables); tests pass
  /// their own.
  explicit AsgActuator(const ActuatorSettings& settings, Environment env = {});
  std::string name() const override { return "aws-asg"; }
  std::vector<ApiCall> plan(const Action& action) const override;
  ApplyResult apply(const Action& action) override;
  VerifyResult verify(const Action& action) override;

  const std::string& region() const { return region_; }
  const std::string& url() const { return client_->url(); }
  CredentialChain& credentials() { return *credentials_; }

  static constexpr const char* kApiVersion = "2011-01-01";

 private:
  ApplyResult scale(const Action& action);
  ApplyResult restart(const Action& action);
  VerifyResult verify_scale(const Action& action);
  VerifyResult verify_restart(const Action& action);
  std::string where() const;

  std::string region_;
  std::shared_ptr<CredentialChain> credentials_;
  std::unique_ptr<QueryClient> client_;

  std::mutex mu_;
  std::map<std::string, std::string> refresh_ids_;  // decision id -> InstanceRefreshId
};

}  // namespace opspilot::actuators::aws
