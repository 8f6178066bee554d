#pragma once
// Keeps the sandbox's services in step with a Kubernetes API server — the Kubernetes API
// simulator (examples/k8s-sim) in `make demo` — so that an agent acting through its Kubernetes
// actuator changes what the simulated services serve. Each service follows the Deployment of the
// same name in one namespace:
//   spec.replicas          → the service's desired replicas
//   status.readyReplicas   → how many of them serve (the cluster's readiness, not the sandbox's)
//   a new revision         → a rolling restart, or a rollback when its pod template is one the
//                            Deployment had before (what `kubectl rollout undo` does)
// Deployments without a service of their name are ignored.
// Thread-safety: start() and stop() from one thread; the polling thread only calls SandboxApi,
// which locks.
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "agent/clock.h"
#include "examples/sandbox/api.h"

namespace opspilot::sandbox {

struct ClusterFollowOptions {
  std::string server;          // e.g. http://127.0.0.1:6443
  std::string namespace_ = "default";
  std::string token;           // bearer token, if the server wants one
  std::chrono::milliseconds poll{20};
};

class ClusterFollower {
 public:
  ClusterFollower(SandboxApi& api, const agent::Clock& clock, ClusterFollowOptions options);
  ~ClusterFollower();
  ClusterFollower(const ClusterFollower&) = delete;
  ClusterFollower& operator=(const ClusterFollower&) = delete;

  /// Reads the cluster once (an unreachable server or a missing namespace is an error, returned
  /// in words), then keeps following it from a thread until stop().
  std::string start();
  /// Stops following. A failed poll is logged once per distinct message and retried.
  void stop();

 private:
  std::string poll_once();

  struct Seen {
    long revision = 0;
    std::set<std::string> templates;  // every pod template this Deployment has had, as JSON
  };

  SandboxApi& api_;
  const agent::Clock& clock_;
  ClusterFollowOptions options_;
  std::map<std::string, Seen> seen_;  // polling thread only (and start(), before it runs)
  std::atomic<bool> stop_{false};
  std::string last_error_;
  std::thread thread_;
};

}  // namespace opspilot::sandbox
