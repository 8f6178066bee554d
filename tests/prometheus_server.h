#pragma once
// A real Prometheus server (Debian's `prometheus` package) for the integration suites: a
// generated config, its own data directory and a free loopback port. `make test` installs the
// package; a missing binary is a failure the suites report, never a skip.
#include <memory>
#include <string>
#include <vector>

#include "agent/source/prometheus_client.h"
#include "tests/test_support.h"

namespace opspilot::test {

class PrometheusServer {
 public:
  /// `scrape_targets` ("host:port") are scraped every second as job `job`; "self" scrapes this
  /// server itself. With none, nothing is scraped. `extra_args` are added to the command line.
  explicit PrometheusServer(const std::vector<std::string>& scrape_targets, const std::string& job = "sandbox",
                            const std::vector<std::string>& extra_args = {})
      : port_(free_port()), url_("http://127.0.0.1:" + std::to_string(port_)), log_(dir_.file("prometheus.log")) {
    const std::string program = find_program("prometheus");
    if (program.empty()) {
      error_ = "prometheus is not on PATH; `make test` installs Debian's prometheus package";
      return;
    }
    std::string config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n";
    if (!scrape_targets.empty()) {
      config += "scrape_configs:\n  - job_name: " + job + "\n    static_configs:\n      - targets: [";
      for (size_t i = 0; i < scrape_targets.size(); ++i) {
        const std::string t = scrape_targets[i] == "self" ? "127.0.0.1:" + std::to_string(port_) : scrape_targets[i];
        config += (i ? ", '" : "'") + t + "'";
      }
      config += "]\n";
    }
    std::vector<std::string> args{"--config.file=" + dir_.write("prometheus.yml", config),
                                  "--storage.tsdb.path=" + dir_.file("data"),
                                  "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    for (const auto& a : extra_args) args.push_back(a);
    proc_ = std::make_unique<ChildProcess>(program, args, log_);
  }

  const std::string& url() const { return url_; }
  /// Why the server could not be started; empty when it was.
  const std::string& error() const { return error_; }
  ChildProcess* process() { return proc_.get(); }

  /// Waits for /-/ready; false with `why` (and the log's tail) when it did not come up.
  bool wait_ready(std::chrono::milliseconds timeout, std::string* why) const {
    if (!error_.empty()) {
      if (why) *why = error_;
      return false;
    }
    if (wait_for_http(url_ + "/-/ready", timeout)) return true;
    if (why) *why = "prometheus did not become ready at " + url_ + "; log:\n" + log_tail();
    return false;
  }

  std::string log_tail() const {
    std::string out;
    run_command("tail -n 20 '" + log_ + "'", &out);
    return out;
  }

 private:
  TempDir dir_;
  int port_;
  std::string url_;
  std::string log_;
  std::string error_;
  std::unique_ptr<ChildProcess> proc_;
};

/// Client options for the suites: two attempts, so a retry path runs but failures stay quick.
inline agent::PrometheusClientOptions client_options(const std::string& url, std::chrono::milliseconds timeout,
                                                     std::chrono::milliseconds backoff) {
  agent::PrometheusClientOptions o;
  o.url = url;
  o.timeout = timeout;
  o.retry.attempts = 2;
  o.retry.base = backoff;
  return o;
}

}  // namespace opspilot::test
