#include "actuators/aws/asg_actuator.h"

#include <boost/property_tree/ptree.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <stdexcept>

#include "actuators/common/settings.h"

namespace opspilot::actuators::aws {
namespace pt = boost::property_tree;
namespace {

const std::set<std::string> kSettings{"region",  "endpoint", "profile",   "sts_endpoint",
                                      "timeout", "retries",  "retry_base"};
// Instance refresh states: running ones block a new refresh; the rest are over.
const std::set<std::string> kRefreshRunning{"Pending", "InProgress", "Baking"};
const std::set<std::string> kRefreshWinding{"Cancelling", "RollbackInProgress"};

std::optional<int> to_int(const std::string& s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  return std::stoi(s);
}

bool valid_region(const std::string& r) {
  if (r.empty() || !std::islower(static_cast<unsigned char>(r[0])) || r.back() == '-') return false;
  return std::all_of(r.begin(), r.end(), [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; });
}

struct Instance {
  std::string id, lifecycle_state, health_status, availability_zone;
  bool serving() const { return lifecycle_state == "InService" && health_status == "Healthy"; }
};

struct Group {
  int desired = 0, min = 0, max = 0;
  std::vector<Instance> instances;
  int in_service() const {
    return static_cast<int>(std::count_if(instances.begin(), instances.end(), [](const Instance& i) { return i.serving(); }));
  }
  nlohmann::json observed() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& i : instances)
      list.push_back({{"id", i.id}, {"lifecycle_state", i.lifecycle_state}, {"health_status", i.health_status},
                      {"availability_zone", i.availability_zone}});
    return {{"desired", desired}, {"min", min}, {"max", max}, {"in_service", in_service()}, {"instances", list}};
  }
};

/// The named group from a DescribeAutoScalingGroups answer: nullopt when absent, `error` set when
/// the answer is there but malformed.
std::optional<Group> find_group(const QueryResponse& r, const std::string& name, std::string* error) {
  if (r.result == nullptr) return std::nullopt;
  auto groups = r.result->get_child_optional("AutoScalingGroups");
  if (!groups) return std::nullopt;
  for (const auto& [key, g] : *groups) {
    if (key != "member" || xml_text(g, "AutoScalingGroupName") != name) continue;
    Group out;
    const auto desired = to_int(xml_text(g, "DesiredCapacity"));
    const auto min = to_int(xml_text(g, "MinSize"));
    const auto max = to_int(xml_text(g, "MaxSize"));
    if (!desired || !min || !max) {
      *error = "DescribeAutoScalingGroups answered with a group " + name +
               " lacking a numeric DesiredCapacity/MinSize/MaxSize (got \"" + xml_text(g, "DesiredCapacity") +
               "\", \"" + xml_text(g, "MinSize") + "\", \"" + xml_text(g, "MaxSize") + "\")";
      return std::nullopt;
    }
    out.desired = *desired;
    out.min = *min;
    out.max = *max;
    if (auto instances = g.get_child_optional("Instances")) {
      for (const auto& [ik, inst] : *instances) {
        if (ik != "member") continue;
        out.instances.push_back(Instance{xml_text(inst, "InstanceId"), xml_text(inst, "LifecycleState"),
                                         xml_text(inst, "HealthStatus"), xml_text(inst, "AvailabilityZone")});
      }
    }
    return out;
  }
  return std::nullopt;
}

struct Refresh {
  std::string id, status, status_reason, percentage_complete;
};

/// Instance refreshes from a DescribeInstanceRefreshes answer, newest first (as AWS lists them).
std::vector<Refresh> refreshes(const QueryResponse& r) {
  std::vector<Refresh> out;
  if (r.result == nullptr) return out;
  auto list = r.result->get_child_optional("InstanceRefreshes");
  if (!list) return out;
  for (const auto& [key, m] : *list) {
    if (key != "member") continue;
    out.push_back(Refresh{xml_text(m, "InstanceRefreshId"), xml_text(m, "Status"), xml_text(m, "StatusReason"),
                          xml_text(m, "PercentageComplete")});
  }
  return out;
}

void append_calls(std::vector<ApiCall>& to, const QueryResponse& r) {
  to.insert(to.end(), r.calls.begin(), r.calls.end());
}

QueryParams describe_group_params(const std::string& group) { return {{"AutoScalingGroupNames.member.1", group}}; }
QueryParams set_desired_params(const Action& a) {
  return {{"AutoScalingGroupName", a.target.name}, {"DesiredCapacity", std::to_string(a.replicas)}, {"HonorCooldown", "false"}};
}

/// StartInstanceRefresh parameters, or an error naming the bad param.
QueryParams start_refresh_params(const Action& a, std::string* error) {
  QueryParams p{{"AutoScalingGroupName", a.target.name}, {"Strategy", "Rolling"}};
  auto add = [&](const std::string& param, const std::string& field, int max) {
    auto it = a.params.find(param);
    if (it == a.params.end()) return;
    const auto v = to_int(it->second);
    if (!v || *v > max) {
      *error = "restart param \"" + param + "\" must be an integer from 0 to " + std::to_string(max) + ", got \"" +
               it->second + "\"";
      return;
    }
    p.emplace_back("Preferences." + field, std::to_string(*v));
  };
  add("min_healthy_percentage", "MinHealthyPercentage", 100);
  add("instance_warmup", "InstanceWarmup", 86400);
  return p;
}

/// Why `action` cannot be carried out at all (before any call), or empty.
std::string invalid_action(const Action& a) {
  if (!a.target.kind.empty() && a.target.kind != "AutoScalingGroup")
    return "target kind \"" + a.target.kind + "\" is not supported by aws-asg; expected \"AutoScalingGroup\"";
  if (a.target.name.empty()) return "the action names no Auto Scaling group (target.name is empty)";
  if (a.kind == ActionKind::Scale && a.replicas < 0)
    return "scale to " + std::to_string(a.replicas) + " replicas: expected a count >= 0";
  return {};
}

std::string not_implemented_message(const std::string& url, const std::string& action, const AwsError& e) {
  return url + " does not implement " + action + " (" + e.describe() +
         "); instance refreshes are unavailable there, so restart cannot run (mock endpoints such as moto lack them)";
}

}  // namespace

AsgActuator::AsgActuator(const ActuatorSettings& s, Environment env) {
  if (!env) env = process_environment();
  check_known_settings(s, kSettings);
  auto setting = [&](const std::string& key) {
    auto it = s.find(key);
    return it == s.end() ? std::string() : it->second;
  };
  auto from_env = [&](const std::string& name) {
    auto v = env(name);
    return v ? *v : std::string();
  };
  region_ = setting("region");
  if (region_.empty()) region_ = from_env("AWS_REGION");
  if (region_.empty()) region_ = from_env("AWS_DEFAULT_REGION");
  if (region_.empty())
    throw std::invalid_argument("setting \"region\" is required (e.g. us-east-1) unless AWS_REGION or "
                                "AWS_DEFAULT_REGION is set");
  if (!valid_region(region_))
    throw std::invalid_argument("region must look like \"us-east-1\", got \"" + region_ + "\"");

  std::string endpoint = setting("endpoint");
  if (endpoint.empty()) endpoint = from_env("AWS_ENDPOINT_URL_AUTO_SCALING");
  if (endpoint.empty()) endpoint = from_env("AWS_ENDPOINT_URL");
  if (endpoint.empty()) endpoint = default_endpoint("autoscaling", region_);
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0)
    throw std::invalid_argument("endpoint must start with http:// or https://, got \"" + endpoint + "\"");
  const std::string sts = setting("sts_endpoint");
  if (!sts.empty() && sts.rfind("http://", 0) != 0 && sts.rfind("https://", 0) != 0)
    throw std::invalid_argument("setting \"sts_endpoint\" must start with http:// or https://, got \"" + sts + "\"");

  const auto timeout = setting_timeout(s, "timeout", std::chrono::milliseconds(5000));
  const RetryPolicy retry = setting_retry(s, 3);
  CredentialOptions c;
  c.profile = setting("profile");
  c.region = region_;
  c.sts_endpoint = sts;
  c.timeout = timeout;
  c.retry = retry;
  c.env = env;
  credentials_ = std::make_shared<CredentialChain>(std::move(c));

  QueryOptions q;
  q.endpoint = endpoint;
  q.region = region_;
  q.service = "autoscaling";
  q.version = kApiVersion;
  q.timeout = timeout;
  q.retry = retry;
  client_ = std::make_unique<QueryClient>(q, [chain = credentials_] { return chain->resolve(); });
}

std::string AsgActuator::where() const { return "region " + region_ + ", endpoint " + client_->url(); }

std::vector<ApiCall> AsgActuator::plan(const Action& action) const {
  try {
    if (!invalid_action(action).empty()) return {};
    if (action.kind == ActionKind::Scale)
      return {client_->planned("DescribeAutoScalingGroups", describe_group_params(action.target.name)),
              client_->planned("SetDesiredCapacity", set_desired_params(action))};
    if (action.kind == ActionKind::Restart) {
      std::string error;
      const QueryParams start = start_refresh_params(action, &error);
      if (!error.empty()) return {};
      return {client_->planned("DescribeInstanceRefreshes", {{"AutoScalingGroupName", action.target.name}}),
              client_->planned("StartInstanceRefresh", start)};
    }
  } catch (const std::exception&) {
    // plan() has no error channel; an empty plan is what an unplannable action gets.
  }
  return {};
}

ApplyResult AsgActuator::apply(const Action& action) {
  try {
    if (const std::string why = invalid_action(action); !why.empty()) {
      ApplyResult r;
      r.error = why;
      return r;
    }
    switch (action.kind) {
      case ActionKind::Scale: return scale(action);
      case ActionKind::Restart: return restart(action);
      case ActionKind::Rollback: {
        ApplyResult r;
        r.error = "rollback is not supported by aws-asg: an Auto Scaling group keeps no revision history to return "
                  "to (roll the launch template back and restart instead)";
        return r;
      }
      case ActionKind::None: break;
    }
    ApplyResult r;
    r.error = "action kind \"none\" has nothing to apply";
    return r;
  } catch (const std::exception& e) {
    ApplyResult r;
    r.error = std::string("aws-asg failed unexpectedly: ") + e.what();
    return r;
  }
}

ApplyResult AsgActuator::scale(const Action& a) {
  ApplyResult r;
  const std::string& name = a.target.name;
  const QueryResponse d = client_->call("DescribeAutoScalingGroups", describe_group_params(name));
  append_calls(r.calls, d);
  if (!d.ok) {
    r.error = "DescribeAutoScalingGroups for " + name + " failed (" + where() + "): " + d.error.describe();
    r.retryable = d.error.retryable;
    return r;
  }
  std::string parse_error;
  const auto g = find_group(d, name, &parse_error);
  if (!g) {
    r.error = parse_error.empty() ? "Auto Scaling group " + name + " not found (" + where() + ")" : parse_error;
    return r;
  }
  if (g->desired == a.replicas) {
    r.ok = true;
    r.already_applied = true;
    return r;
  }
  if (g->desired != a.from_replicas) {
    r.error = "conflict: Auto Scaling group " + name + " has DesiredCapacity " + std::to_string(g->desired) +
              ", but the decision saw " + std::to_string(a.from_replicas) +
              " (someone else changed it); not overwriting it: re-read and re-decide";
    return r;
  }
  if (a.replicas < g->min || a.replicas > g->max) {
    r.error = "replicas " + std::to_string(a.replicas) + " is outside Auto Scaling group " + name + "'s bounds [MinSize " +
              std::to_string(g->min) + ", MaxSize " + std::to_string(g->max) + "]; SetDesiredCapacity not called";
    return r;
  }
  const QueryResponse s = client_->call("SetDesiredCapacity", set_desired_params(a));
  append_calls(r.calls, s);
  if (!s.ok) {
    r.error = "SetDesiredCapacity " + name + " to " + std::to_string(a.replicas) + " failed (" + where() +
              "): " + s.error.describe();
    // AWS refuses while a scaling activity runs; that passes, so it is worth another try later.
    r.retryable = s.error.retryable || s.error.code == "ScalingActivityInProgress";
    return r;
  }
  r.ok = true;
  return r;
}

ApplyResult AsgActuator::restart(const Action& a) {
  ApplyResult r;
  const std::string& name = a.target.name;
  std::string param_error;
  const QueryParams start_params = start_refresh_params(a, &param_error);
  if (!param_error.empty()) {
    r.error = param_error;
    return r;
  }
  const QueryResponse d = client_->call("DescribeInstanceRefreshes", {{"AutoScalingGroupName", name}});
  append_calls(r.calls, d);
  if (!d.ok) {
    if (d.error.not_implemented) {
      r.error = "restart " + name + ": " + not_implemented_message(client_->url(), "DescribeInstanceRefreshes", d.error);
      return r;
    }
    r.error = "DescribeInstanceRefreshes for " + name + " failed (" + where() + "): " + d.error.describe();
    r.retryable = d.error.retryable;
    return r;
  }
  for (const Refresh& f : refreshes(d)) {
    if (kRefreshRunning.count(f.status) != 0) {
      std::lock_guard<std::mutex> lock(mu_);
      refresh_ids_.emplace(a.decision_id, f.id);  // keeps the first id seen for this decision
      r.ok = true;
      r.already_applied = true;
      return r;
    }
    if (kRefreshWinding.count(f.status) != 0) {
      r.error = "restart " + name + ": instance refresh " + f.id + " is " + f.status +
                "; a new one can start when it has finished";
      r.retryable = true;
      return r;
    }
  }
  const QueryResponse s = client_->call("StartInstanceRefresh", start_params);
  append_calls(r.calls, s);
  if (!s.ok) {
    if (s.error.code == "InstanceRefreshInProgress") {  // one started between our read and write
      r.ok = true;
      r.already_applied = true;
      return r;
    }
    if (s.error.not_implemented) {
      r.error = "restart " + name + ": " + not_implemented_message(client_->url(), "StartInstanceRefresh", s.error);
      return r;
    }
    r.error = "StartInstanceRefresh for " + name + " failed (" + where() + "): " + s.error.describe();
    r.retryable = s.error.retryable;
    return r;
  }
  const std::string id = s.result ? xml_text(*s.result, "InstanceRefreshId") : std::string();
  if (!id.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    refresh_ids_[a.decision_id] = id;
  }
  r.ok = true;
  return r;
}

VerifyResult AsgActuator::verify(const Action& action) {
  try {
    VerifyResult v;
    if (const std::string why = invalid_action(action); !why.empty()) {
      v.state = VerifyState::Failed;
      v.detail = why;
      return v;
    }
    if (action.kind == ActionKind::Scale) return verify_scale(action);
    if (action.kind == ActionKind::Restart) return verify_restart(action);
    v.detail = std::string("nothing to verify for a ") + to_string(action.kind) + " action on aws-asg";
    return v;
  } catch (const std::exception& e) {
    VerifyResult v;
    v.detail = std::string("aws-asg verify failed unexpectedly: ") + e.what();
    return v;
  }
}

VerifyResult AsgActuator::verify_scale(const Action& a) {
  VerifyResult v;
  const std::string& name = a.target.name;
  const QueryResponse d = client_->call("DescribeAutoScalingGroups", describe_group_params(name));
  append_calls(v.calls, d);
  if (!d.ok) {
    v.detail = "DescribeAutoScalingGroups for " + name + " failed (" + where() + "): " + d.error.describe();
    return v;
  }
  std::string parse_error;
  const auto g = find_group(d, name, &parse_error);
  if (!g) {
    v.state = parse_error.empty() ? VerifyState::Failed : VerifyState::Unknown;
    v.detail = parse_error.empty() ? "Auto Scaling group " + name + " not found (" + where() + ")" : parse_error;
    return v;
  }
  v.observed = g->observed();
  const int in_service = g->in_service();
  v.detail = std::to_string(in_service) + " of " + std::to_string(g->desired) + " instances in service";
  if (g->desired != a.replicas) {
    v.state = VerifyState::InProgress;
    v.detail += "; DesiredCapacity is " + std::to_string(g->desired) + ", not the " + std::to_string(a.replicas) +
                " this action set";
  } else {
    v.state = in_service == g->desired ? VerifyState::Done : VerifyState::InProgress;
  }
  return v;
}

VerifyResult AsgActuator::verify_restart(const Action& a) {
  VerifyResult v;
  const std::string& name = a.target.name;
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = refresh_ids_.find(a.decision_id); it != refresh_ids_.end()) id = it->second;
  }
  QueryParams params{{"AutoScalingGroupName", name}};
  if (!id.empty()) params.emplace_back("InstanceRefreshIds.member.1", id);
  const QueryResponse d = client_->call("DescribeInstanceRefreshes", params);
  append_calls(v.calls, d);
  if (!d.ok) {
    v.detail = d.error.not_implemented
                   ? "restart " + name + ": " + not_implemented_message(client_->url(), "DescribeInstanceRefreshes", d.error)
                   : "DescribeInstanceRefreshes for " + name + " failed (" + where() + "): " + d.error.describe();
    return v;
  }
  const auto list = refreshes(d);
  if (list.empty()) {
    v.detail = "no instance refresh found for Auto Scaling group " + name +
               (id.empty() ? std::string() : " with id " + id);
    return v;
  }
  const Refresh& f = list.front();
  v.observed = {{"refresh_id", f.id}, {"status", f.status}, {"status_reason", f.status_reason},
                {"percentage_complete", f.percentage_complete}};
  v.detail = "instance refresh " + f.id + " " + f.status +
             (f.percentage_complete.empty() ? std::string() : ", " + f.percentage_complete + "% complete") +
             (f.status_reason.empty() ? std::string() : ": " + f.status_reason);
  if (f.status == "Successful") v.state = VerifyState::Done;
  else if (kRefreshRunning.count(f.status) != 0 || kRefreshWinding.count(f.status) != 0) v.state = VerifyState::InProgress;
  else if (f.status.empty()) v.state = VerifyState::Unknown;
  else v.state = VerifyState::Failed;  // Failed, Cancelled, RollbackSuccessful, RollbackFailed
  return v;
}

}  // namespace opspilot::actuators::aws
