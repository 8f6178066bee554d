#pragma once
// Shared set-up of the end-to-end suites: the real sandbox process and agent configs for it.
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace opspilot::test {

/// Polls until `pred` holds or `seconds` pass.
template <typename Pred>
bool eventually(double seconds, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

/// The sandbox binary on a free port at `speed`, with the bundled three-service config.
struct Sandbox {
  TempDir dir;
  std::unique_ptr<ChildProcess> proc;
  int port = 0;
  std::string base;

  explicit Sandbox(double speed, const std::string& start = "2026-01-06T12:00:00Z",
                   const std::vector<std::string>& extra_args = {}) {
    const std::string port_file = dir.file("port");
    std::vector<std::string> args{"--config", std::string(OPSPILOT_SOURCE_DIR) + "/examples/sandbox/sandbox.yaml",
                                  "--listen", "127.0.0.1:0", "--port-file", port_file, "--speed",
                                  std::to_string(speed), "--start", start, "--seed", "3"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    proc = std::make_unique<ChildProcess>(OPSPILOT_SANDBOX_BIN, args, dir.file("sandbox.log"));
    for (int i = 0; i < 200 && port == 0; ++i) {
      std::ifstream in(port_file);
      in >> port;
      if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    base = "http://127.0.0.1:" + std::to_string(port);
  }
  nlohmann::json state() const {
    auto r = http_get(base + "/api/v1/state");
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  nlohmann::json service(const std::string& name) const {
    const nlohmann::json st = state();  // keep it alive: the loop iterates a part of it
    if (!st.is_object() || !st.contains("services")) return {};
    for (const auto& s : st["services"])
      if (s["name"] == name) return s;
    return {};
  }
};

/// A sidecar-mode config for one sandbox service, on the sandbox's clock.
inline std::string sandbox_config(const Sandbox& sb, const std::string& dir, double speed,
                                  const std::string& mode, int listen_port, double per_replica,
                                  const std::string& extra_target = "") {
  const std::string now = sb.state()["time"].get<std::string>();
  const std::string svc = "checkout";
  return "mode: " + mode + "\ninterval: 15s\nstale_after: 1m\nhttp:\n  listen: \"127.0.0.1:" +
         std::to_string(listen_port) + "\"\nactuator:\n  type: webhook\n  url: " + sb.base +
         "/api/v1/actions\n  timeout: 2s\njournal:\n  path: " + dir + "/journal\nclock:\n  speed: " +
         std::to_string(speed) + "\n  start: " + now + "\ntimeline: " + dir +
         "/timeline.csv\ntargets:\n  - name: " + svc + "\n    namespace: shop\n    scrape: " + sb.base +
         "/services/" + svc + "/metrics\n    metrics:\n      load: sum(rate(sandbox_http_requests_total{service=\"" +
         svc + "\"}[1m]))\n      replicas: sandbox_replicas{service=\"" + svc +
         "\"}\n      ready_replicas: sandbox_ready_replicas{service=\"" + svc +
         "\"}\n      latency: histogram_quantile(0.99, sum by (le) (rate(sandbox_http_request_duration_seconds_bucket{service=\"" +
         svc + "\"}[1m])))\n    capacity: {per_replica: " + std::to_string(per_replica) +
         ", target_utilization: 0.7}\n    limits: {min_replicas: 1, max_replicas: 60, cooldown_up: 1m, cooldown_down: 5m}\n" +
         extra_target;
}

}  // namespace opspilot::test
