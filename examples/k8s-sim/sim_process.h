#pragma once
// For test suites: the real opspilot-k8s-sim started as a child process on a free loopback port
// (port 0, read back from --port-file), with a seed state, optionally serving TLS with its own
// certificate, plus a small HTTP helper that sends bearer tokens and any method. Header-only so
// suites need not link the simulator library.
// Thread-safety: one instance per test; not shared between threads.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "actuators/common/http_client.h"
#include "tests/test_support.h"

namespace opspilot::k8s_sim::testing {

/// Where the simulator binary is: $OPSPILOT_K8S_SIM_BIN, the build's definition, or beside the sandbox.
inline std::string binary() {
  if (const char* env = std::getenv("OPSPILOT_K8S_SIM_BIN"); env && *env) return env;
#ifdef OPSPILOT_K8S_SIM_BIN
  return OPSPILOT_K8S_SIM_BIN;
#else
  return (std::filesystem::path(OPSPILOT_SANDBOX_BIN).parent_path().parent_path() / "k8s-sim" / "opspilot-k8s-sim").string();
#endif
}

/// Polls `done` every 20 ms until it holds or `timeout` passes; returns its last answer.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

/// The events of a watch response body, one JSON object per line.
inline std::vector<nlohmann::json> watch_lines(const std::string& body) {
  std::vector<nlohmann::json> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line, nullptr, false));
  }
  return out;
}

/// Whether a Pod object's Ready condition is True.
inline bool pod_is_ready(const nlohmann::json& pod) {
  const nlohmann::json conditions = pod.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array());
  for (const auto& c : conditions) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

class SimProcess {
 public:
  /// Starts the simulator with `state` (YAML) and extra command-line `args`; `tls` adds
  /// --tls-self-signed. Check error() before use.
  SimProcess(const std::string& state, const std::vector<std::string>& args = {}, bool tls = false)
      : log_(dir_.file("sim.log")) {
    const std::string bin = binary();
    if (!std::filesystem::exists(bin)) {
      error_ = "the simulator binary '" + bin + "' does not exist (build the opspilot-k8s-sim target)";
      return;
    }
    std::vector<std::string> argv = {"--state", dir_.write("state.yaml", state), "--listen", "127.0.0.1:0",
                                     "--port-file", dir_.file("port")};
    if (tls) {
      argv.push_back("--tls-self-signed");
      argv.push_back(dir_.file("ca.pem"));
    }
    argv.insert(argv.end(), args.begin(), args.end());
    proc_ = std::make_unique<test::ChildProcess>(bin, argv, log_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(dir_.file("port"));
      if (in >> port_ && port_ > 0) break;
      if (!proc_->running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (port_ <= 0) error_ = "the simulator did not start; log:\n" + log_text();
  }

  const std::string& error() const { return error_; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string https_url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string ca_file() const { return dir_.file("ca.pem"); }
  const test::TempDir& dir() const { return dir_; }
  test::ChildProcess* process() { return proc_.get(); }
  /// Writes a kubeconfig for plain HTTP (kubectl is then anonymous, which a state without tokens
  /// treats as admin) with `ns` as the context's namespace, and returns its path.
  std::string write_kubeconfig(const std::string& ns = "default") const {
    return dir_.write("kubeconfig", "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster: {server: \"" + url() +
                                        "\"}\nusers:\n- name: operator\n  user: {}\ncontexts:\n- name: sim\n  context: {cluster: sim, "
                                        "user: operator, namespace: " + ns + "}\ncurrent-context: sim\n");
  }
  /// Stops the simulator with SIGTERM (its staged shutdown) and returns "" when it exited 0
  /// with a clean log, else what went wrong (exit status, sanitizer reports in the log).
  std::string stop() {
    if (!proc_) return error_;
    proc_->signal(SIGTERM);
    const int status = proc_->wait(std::chrono::seconds(15));
    const std::string log = log_text();
    if (status == -1) return "the simulator did not stop within 15 s of SIGTERM";
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return "the simulator ended with status " + std::to_string(status) + "; log:\n" + log;
    }
    if (log.find("Sanitizer") != std::string::npos || log.find("runtime error") != std::string::npos) {
      return "the simulator's log has sanitizer reports:\n" + log;
    }
    return {};
  }

  std::string log_text() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  /// One request; `token` empty = no Authorization header.
  actuators::HttpResponse send(const std::string& method, const std::string& path, const std::string& body = "",
                               const std::string& content_type = "application/json", const std::string& token = "",
                               const std::vector<std::pair<std::string, std::string>>& headers = {},
                               std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) const {
    actuators::HttpClient client;
    actuators::HttpRequest req;
    req.method = method;
    req.url = url() + path;
    req.body = body;
    req.timeout = timeout;
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.headers.emplace_back("Content-Type", content_type);
    if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
    for (const auto& h : headers) req.headers.push_back(h);
    return client.send(req);
  }

 private:
  test::TempDir dir_;
  std::string log_;
  std::unique_ptr<test::ChildProcess> proc_;
  int port_ = 0;
  std::string error_;
};

}  // namespace opspilot::k8s_sim::testing
