#include "examples/sandbox/cluster_follow.h"

#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "actuators/common/http_client.h"

namespace opspilot::sandbox {
namespace {

using nlohmann::json;

long revision_of(const json& deployment) {
  const json annotations = deployment["metadata"].value("annotations", json::object());
  const std::string text = annotations.value("deployment.kubernetes.io/revision", "0");
  try {
    return std::stol(text);
  } catch (const std::exception&) {
    return 0;
  }
}

/// The pod template, as a rollout history compares them: a restart stamps a new
/// restartedAt (a new template); an undo copies an old one back, stamp and all.
std::string template_key(const json& deployment) {
  return deployment["spec"].value("template", json::object()).dump();
}

}  // namespace

ClusterFollower::ClusterFollower(SandboxApi& api, const agent::Clock& clock, ClusterFollowOptions options)
    : api_(api), clock_(clock), options_(std::move(options)) {
  while (!options_.server.empty() && options_.server.back() == '/') options_.server.pop_back();
}

ClusterFollower::~ClusterFollower() { stop(); }

std::string ClusterFollower::start() {
  if (std::string err = poll_once(); !err.empty()) return err;
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      std::this_thread::sleep_for(options_.poll);
      const std::string err = poll_once();
      if (!err.empty() && err != last_error_) std::cerr << "sandbox: following the cluster: " << err << std::endl;
      last_error_ = err;
    }
  });
  return {};
}

void ClusterFollower::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string ClusterFollower::poll_once() {
  actuators::HttpClient& client = actuators::HttpClient::for_this_thread();
  actuators::HttpRequest req;
  req.url = options_.server + "/apis/apps/v1/namespaces/" + options_.namespace_ + "/deployments";
  req.timeout = std::chrono::milliseconds(2000);
  if (!options_.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + options_.token);
  const actuators::HttpResponse resp = client.send(req);
  if (!resp.transport_ok()) return "GET " + req.url + ": " + resp.error;
  if (!resp.ok()) return "GET " + req.url + ": HTTP " + std::to_string(resp.status) + ": " + resp.body.substr(0, 300);
  const json list = json::parse(resp.body, nullptr, false);
  if (list.is_discarded() || !list.contains("items") || !list["items"].is_array())
    return "GET " + req.url + ": not a DeploymentList";
  const agent::TimePoint now = clock_.now();
  for (const json& d : list["items"]) {
    const std::string name = d["metadata"].value("name", "");
    SandboxApi::ClusterView view;
    view.desired = d["spec"].value("replicas", 1);
    const json status = d.value("status", json::object());
    view.ready = status.value("readyReplicas", 0);
    // Ready replicas of the latest template: those not ready or still old are the difference
    // between all pods and the updated ones (a rolling update keeps old pods ready until replaced).
    if (status.contains("updatedReplicas") || status.contains("replicas")) {
      const int total = status.value("replicas", view.ready);
      const int updated = status.value("updatedReplicas", 0);
      view.new_ready = std::clamp(view.ready - (total - updated), 0, view.ready);
    }
    const long revision = revision_of(d);
    const std::string key = template_key(d);
    Seen& seen = seen_[name];
    if (seen.revision != 0 && revision > seen.revision) {
      view.rollout = seen.templates.count(key) != 0 ? SandboxApi::ClusterView::Rollout::Rollback
                                                    : SandboxApi::ClusterView::Rollout::Restart;
    }
    if (revision > seen.revision) seen.revision = revision;
    seen.templates.insert(key);
    const std::string err = api_.follow_cluster(name, view, now);
    if (!err.empty() && err.rfind("no service named", 0) != 0)
      std::cerr << "sandbox: deployment " << name << ": " << err << std::endl;
  }
  return {};
}

}  // namespace opspilot::sandbox
