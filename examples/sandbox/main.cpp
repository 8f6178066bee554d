// opspilot-sandbox: a few simulated services under realistic load, served over HTTP for the agent
// to observe and act on, or simulated offline for backtests.
//
//   opspilot-sandbox --config FILE [--listen 127.0.0.1:9470] [--speed 60]
//                    [--start 2026-01-05T00:00:00Z] [--seed 1] [--port-file PATH]
//   opspilot-sandbox --config FILE --simulate 8d --csv OUT.csv [--start …] [--seed …]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/clock.h"
#include "examples/common/cli.h"
#include "examples/sandbox/api.h"
#include "examples/sandbox/cluster_follow.h"
#include "examples/sandbox/config.h"
#include "examples/sandbox/model.h"
#include "examples/sandbox/server.h"

namespace {

using namespace opspilot;

constexpr const char* kUsage =
    "usage: opspilot-sandbox --config FILE [options]\n"
    "\n"
    "Serve (default):\n"
    "  --listen HOST:PORT   address to serve on (default 127.0.0.1:9470; port 0 = any free port)\n"
    "  --port-file PATH     write the bound port there once listening\n"
    "  --speed X            simulated seconds per real second (default 1)\n"
    "  --webhook-secret-file PATH  require opspilot's HMAC signature on POST /api/v1/actions\n"
    "  --cluster URL        follow the Deployments of a Kubernetes API (replicas, readiness,\n"
    "                       rollouts), e.g. the k8s simulator's; one per service, same name\n"
    "  --cluster-namespace NS      their namespace (default: default)\n"
    "  --cluster-token-file PATH   bearer token for the cluster\n"
    "Simulate offline:\n"
    "  --simulate DURATION  run the model for DURATION (e.g. 8d) as fast as possible, no server\n"
    "  --csv PATH           where to write the 1-minute history ('-' = stdout)\n"
    "Both:\n"
    "  --config FILE        services, load and incidents (see examples/sandbox/sandbox.yaml)\n"
    "  --start TIME         simulated start, e.g. 2026-01-05T00:00:00Z (default: config, else now)\n"
    "  --seed N             random seed (default: config, else 1)\n";

int usage_error(const std::string& message) {
  std::cerr << "opspilot-sandbox: " << message << "\n\n" << kUsage;
  return 2;
}

int simulate(sandbox::SandboxSpec spec, std::int64_t start, std::uint64_t seed, double duration_s,
             const std::string& csv_path) {
  spec.history_s = std::max(spec.history_s, duration_s + 120);
  sandbox::Model model(spec, start, seed);
  const auto t0 = std::chrono::steady_clock::now();
  double left = duration_s;
  while (left > 0) {
    const double chunk = std::min(left, 3600.0);
    model.step(chunk);
    left -= chunk;
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::size_t rows = 0;
  for (const auto& s : model.services()) rows += s.history().samples().size();
  if (csv_path == "-") {
    model.write_csv(std::cout);
  } else {
    std::ofstream out(csv_path, std::ios::trunc);
    model.write_csv(out);
    out.flush();
    if (!out) {
      std::cerr << "opspilot-sandbox: cannot write the CSV file '" << csv_path << "'\n";
      return 1;
    }
  }
  std::cerr << "simulated " << sandbox::format_duration(duration_s) << " of " << model.services().size()
            << " services from " << sandbox::format_rfc3339(start) << " (seed " << seed << ") in " << took
            << " s: " << rows << " rows" << (csv_path == "-" ? "" : " -> " + csv_path) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  bool help = false;
  const std::string bad = examples::parse_options(
      argc, argv,
      {"--config", "--listen", "--port-file", "--speed", "--simulate", "--csv", "--start", "--seed",
       "--webhook-secret-file", "--cluster", "--cluster-namespace", "--cluster-token-file"},
      opt, &help);
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  if (!bad.empty()) return usage_error(bad);
  if (!opt.count("--config")) return usage_error("--config FILE is required");

  // The clock's anchor is taken first, so simulated time counts from process start.
  const auto real_anchor = std::chrono::system_clock::now();
  auto loaded = sandbox::load_config_file(opt["--config"]);
  if (!loaded.ok()) {
    std::cerr << loaded.message();
    return 2;
  }
  sandbox::SandboxSpec spec = *loaded.spec;

  std::int64_t start = spec.start_unix.value_or(
      std::chrono::duration_cast<std::chrono::seconds>(real_anchor.time_since_epoch()).count() / 60 * 60);
  if (opt.count("--start")) {
    const auto t = sandbox::parse_rfc3339(opt["--start"]);
    if (!t) return usage_error("--start is '" + opt["--start"] + "', expected a UTC time like 2026-01-05T00:00:00Z");
    start = *t;
  }
  std::uint64_t seed = spec.seed;
  if (opt.count("--seed")) {
    char* end = nullptr;
    const std::string& s = opt["--seed"];
    seed = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || s[0] == '-') return usage_error("--seed is '" + s + "', expected a whole number >= 0");
  }

  if (opt.count("--simulate")) {
    const auto d = sandbox::parse_duration(opt["--simulate"]);
    if (!d || *d <= 0) return usage_error("--simulate is '" + opt["--simulate"] + "', expected a duration such as 8d");
    if (!opt.count("--csv")) return usage_error("--simulate needs --csv PATH ('-' for stdout)");
    return simulate(spec, start, seed, *d, opt["--csv"]);
  }

  double speed = 1;
  if (opt.count("--speed")) {
    char* end = nullptr;
    speed = std::strtod(opt["--speed"].c_str(), &end);
    if (*end != '\0' || !(speed > 0) || speed > 1e6) {
      return usage_error("--speed is '" + opt["--speed"] + "', expected a number in (0, 1000000]");
    }
  }
  const std::string listen = opt.count("--listen") ? opt["--listen"] : "127.0.0.1:9470";
  std::string host;
  unsigned short port = 0;
  if (!examples::parse_listen(listen, &host, &port)) {
    return usage_error("--listen is '" + listen + "', expected HOST:PORT such as 127.0.0.1:0");
  }

  const agent::TimePoint start_tp = agent::from_unix_seconds(static_cast<double>(start));
  agent::ScaledClock clock(start_tp, speed, real_anchor);
  sandbox::SandboxApi api(sandbox::Model(spec, start, seed));
  if (opt.count("--webhook-secret-file")) {
    std::ifstream in(opt["--webhook-secret-file"]);
    std::string secret;
    std::getline(in, secret);
    if (secret.empty()) return usage_error("--webhook-secret-file '" + opt["--webhook-secret-file"] + "' is missing or empty");
    api.require_signature(secret);
  }
  sandbox::Server server(api, clock);
  if (const std::string err = server.listen(host, port); !err.empty()) {
    std::cerr << "opspilot-sandbox: " << err << "\n";
    return 1;
  }
  std::cout << "listening on " << examples::show_address(host, server.port()) << std::endl;
  std::cerr << "sandbox: " << spec.services.size() << " services from " << spec.file << ", simulated start "
            << sandbox::format_rfc3339(start) << ", speed " << speed << "x, seed " << seed << std::endl;
  if (opt.count("--port-file")) {
    std::string error;
    if (!examples::write_file_atomically(opt["--port-file"], std::to_string(server.port()) + "\n", &error)) {
      std::cerr << "opspilot-sandbox: " << error << "\n";
      return 1;
    }
  }
  std::unique_ptr<sandbox::ClusterFollower> follower;
  if (opt.count("--cluster")) {
    sandbox::ClusterFollowOptions fo;
    fo.server = opt["--cluster"];
    if (opt.count("--cluster-namespace")) fo.namespace_ = opt["--cluster-namespace"];
    if (opt.count("--cluster-token-file")) {
      std::ifstream in(opt["--cluster-token-file"]);
      std::getline(in, fo.token);
      if (fo.token.empty()) return usage_error("--cluster-token-file '" + opt["--cluster-token-file"] + "' is missing or empty");
    }
    follower = std::make_unique<sandbox::ClusterFollower>(api, clock, fo);
    if (const std::string err = follower->start(); !err.empty()) {
      std::cerr << "opspilot-sandbox: cannot follow the cluster: " << err << "\n";
      return 1;
    }
    std::cerr << "sandbox: services follow the Deployments in namespace " << fo.namespace_ << " of " << fo.server << std::endl;
  }
  const int sig = server.run(/*handle_signals=*/true);
  if (follower) follower->stop();
  std::cerr << "sandbox: stopped" << (sig ? " by signal " + std::to_string(sig) : std::string()) << std::endl;
  return 0;
}
