#pragma once
// The sandbox's HTTP API without the HTTP: a request (method, target, body) and the simulated
// time it arrives at go in, a response (status, content type, body) comes out. The Beast server
// (server.h) only moves bytes; tests call this directly.
//
//   GET  /healthz                          "ok"
//   GET  /metrics                          every service, Prometheus text 0.0.4
//   GET  /services/<name>/metrics          one service (sidecar mode)
//   POST /api/v1/actions                   generic-webhook actuator protocol, idempotent by decision_id
//                                          (HMAC-signed when require_signature() was called)
//   GET  /api/v1/actions/<decision_id>     {"state":"done|in_progress|failed","observed":{…}}
//   GET  /api/v1/state                     every service now
//   GET  /api/v1/history?service=S[&since=UNIX][&limit=N]   1-minute history as column arrays
//   POST /api/v1/incidents                 {"service":…,"type":…,"duration":"30m",…} starts one now
//   GET  /api/v1/incidents                 every incident so far (ground truth)
//
// Thread-safety: safe to call from any thread; one mutex guards the model and the action book.
#include <mutex>
#include <string>
#include <utility>

#include "agent/clock.h"
#include "examples/sandbox/actions.h"
#include "examples/sandbox/model.h"

namespace opspilot::sandbox {

struct ApiRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query, e.g. /api/v1/history?service=checkout
  std::string body;
  std::string signature;  // X-Opspilot-Signature, when the request carried one
  std::string timestamp;  // X-Opspilot-Timestamp
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  // for 405: the methods the path accepts
};

class SandboxApi {
 public:
  explicit SandboxApi(Model model);

  /// From now on, POST /api/v1/actions must carry a valid opspilot webhook signature under
  /// `secret` (actuators/common/webhook_signature.h); unsigned or forged requests get 401.
  void require_signature(std::string secret);

  /// Advances the model to `now` (when later than its time) and answers the request.
  ApiResponse handle(const ApiRequest& req, agent::TimePoint now);
  /// Advances the model to `now`, following pending actions tick by tick.
  void advance(agent::TimePoint now);

  /// What a cluster says about one service's workload (cluster_follow.h).
  struct ClusterView {
    int desired = 0;
    int ready = 0;
    int new_ready = -1;  // ready replicas of the latest template (-1: not known)
    enum class Rollout { None, Restart, Rollback } rollout = Rollout::None;
  };
  /// Advances the model to `now` and makes `service` follow `view`. "" or what went wrong.
  std::string follow_cluster(const std::string& service, const ClusterView& view, agent::TimePoint now);

  /// Runs `fn(Model&)` under the lock (for tests and the CLI).
  template <class F>
  auto with_model(F&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::forward<F>(fn)(model_);
  }

 private:
  void advance_locked(agent::TimePoint now);
  ApiResponse post_action(const ApiRequest& req);
  ApiResponse get_action(const std::string& id);
  ApiResponse post_incident(const std::string& body);
  ApiResponse get_incidents();
  ApiResponse get_state();
  ApiResponse get_history(const std::string& query);
  ApiResponse metrics(const std::string& service);

  std::mutex mu_;
  Model model_;
  ActionBook book_;
  std::string webhook_secret_;
};

}  // namespace opspilot::sandbox
