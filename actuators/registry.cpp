#include <mutex>

#include "actuators/actuator.h"
#include "actuators/aws/asg_actuator.h"
#include "actuators/dryrun/dryrun_actuator.h"
#include "actuators/kubernetes/kubernetes_actuator.h"
#include "actuators/webhook/webhook_actuator.h"

namespace opspilot::actuators {

ActuatorRegistry& ActuatorRegistry::instance() {
  static ActuatorRegistry registry;
  return registry;
}

bool ActuatorRegistry::add(const std::string& name, ActuatorFactory factory, bool replace) {
  if (!replace && factories_.count(name) != 0) return false;
  factories_[name] = std::move(factory);
  return true;
}

std::unique_ptr<Actuator> ActuatorRegistry::create(const std::string& name,
                                                   const ActuatorSettings& settings,
                                                   std::string* error) const {
  auto it = factories_.find(name);
  if (it == factories_.end()) {
    if (error) {
      std::string known;
      for (const auto& [n, f] : factories_) known += (known.empty() ? "" : ", ") + n;
      *error = "unknown actuator \"" + name + "\"; expected one of: " + known;
    }
    return nullptr;
  }
  try {
    return it->second(settings);
  } catch (const std::exception& e) {
    if (error) *error = "actuator \"" + name + "\": " + e.what();
    return nullptr;
  }
}

std::vector<std::string> ActuatorRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, f] : factories_) out.push_back(n);
  return out;
}

void register_builtin_actuators() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& r = ActuatorRegistry::instance();
    r.add("dry-run", [](const ActuatorSettings& s) { return std::make_unique<DryRunActuator>(s); });
    r.add("webhook", [](const ActuatorSettings& s) { return std::make_unique<WebhookActuator>(s); });
    r.add("aws-asg", [](const ActuatorSettings& s) { return std::make_unique<aws::AsgActuator>(s); });
    r.add("kubernetes", [](const ActuatorSettings& s) { return std::make_unique<KubernetesActuator>(s); });
  });
}

}  // namespace opspilot::actuators
