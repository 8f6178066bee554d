#pragma once
// The simulated Kubernetes API server, HTTP-free: it takes a request (method, target, headers,
// body) and answers it the way kube-apiserver would — authentication and authorization, the
// resource API (registry), discovery, server-side Tables, watches (as a WatchPlan the server
// streams) — plus the simulator's own endpoints:
//   GET    /sim/log[?since=N]  every write request (method, path, code, resourceVersion, user)
//   DELETE /sim/log            forget the log
//   POST   /sim/fault          {"pathPrefix": "/apis/apps/v1/...", "code": 409|429|500|503,
//                               "count": N, "method": "PATCH", "retryAfterSeconds": 1}: answer the
//                               next N matching requests with that error instead
//   GET    /sim/faults, DELETE /sim/faults
// tick() runs one pass of the simulated controllers; the server calls it on a timer.
// Thread-safety: none. One thread (the server's io_context) calls everything.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.h"
#include "examples/k8s-sim/auth.h"
#include "examples/k8s-sim/controllers.h"
#include "examples/k8s-sim/options.h"
#include "examples/k8s-sim/registry.h"
#include "examples/k8s-sim/request.h"
#include "examples/k8s-sim/store.h"
#include "examples/k8s-sim/watch.h"

namespace opspilot::k8s_sim {

struct HttpOut {
  int code = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<WatchPlan> watch;  // set: stream this after the headers instead of `body`
};

struct Fault {
  std::string path_prefix;
  std::string method;  // "" = any
  int code = 500;
  int remaining = 1;
  int retry_after_seconds = 1;
};

class Simulator {
 public:
  Simulator(const agent::Clock& clock, SimOptions options, Authenticator auth = {});
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  /// Creates the objects of a seed document (see seed.h) and settles the cluster: seeded
  /// workloads start with all pods Ready. Empty on success, else every problem, one per line.
  std::string seed(const Json& document);

  HttpOut handle(const HttpIn& request);
  /// One pass of the controllers at the clock's now.
  void tick();

  /// Live watch lines for a plan handle() returned; returns an id for unsubscribe().
  int subscribe(const WatchPlan& plan, std::function<void(const std::string& line)> on_line);
  void unsubscribe(int id) { store_.unsubscribe(id); }

  Store& store() { return store_; }
  Registry& registry() { return registry_; }
  const agent::Clock& clock() const { return clock_; }

 private:
  HttpOut dispatch(const HttpIn& request);
  HttpOut handle_resource(const HttpIn& request, const RequestInfo& info);
  HttpOut handle_watch(const HttpIn& request, const RequestInfo& info);
  HttpOut handle_sim(const HttpIn& request, const RequestInfo& info);
  /// One watch line for `object`, wrapped in a Table when the plan asks for one.
  std::string encode_event(const WatchPlan& plan, const std::string& type, const Json& object) const;
  std::optional<HttpOut> injected_fault(const HttpIn& request, const RequestInfo& info);
  void log_write(const HttpIn& request, const RequestInfo& info, const HttpOut& out, const std::string& user, bool fault);

  const agent::Clock& clock_;
  SimOptions options_;
  Authenticator auth_;
  Store store_;
  Registry registry_;
  Controllers controllers_;
  std::vector<Fault> faults_;
  Json log_ = Json::array();
  std::uint64_t log_seq_ = 0;
};

/// An ApiResult as an HTTP answer.
HttpOut to_http(const ApiResult& result);

}  // namespace opspilot::k8s_sim
