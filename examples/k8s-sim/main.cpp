// opspilot-k8s-sim: a Kubernetes API server simulator that the real kubectl accepts, for tests
// and demos of the Kubernetes actuator.
//
//   opspilot-k8s-sim [--state FILE] [--listen 127.0.0.1:0] [--port-file PATH]
//                    [--time-scale X] [--pod-ready-seconds S] [--never-ready-image TEXT]
//                    [--random-seed N] [--watch-history N] [--tls-self-signed CERT_OUT | --tls-cert FILE --tls-key FILE]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.h"
#include "examples/common/cli.h"
#include "examples/k8s-sim/seed.h"
#include "examples/k8s-sim/server.h"
#include "examples/k8s-sim/simulator.h"
#include "examples/k8s-sim/tls.h"

namespace {

using namespace opspilot;

constexpr const char* kUsage =
    "usage: opspilot-k8s-sim [options]\n"
    "\n"
    "  --state FILE             seed the cluster from a YAML or JSON file (see examples/k8s-sim/README.md)\n"
    "  --listen HOST:PORT       address to serve on (default 127.0.0.1:6443; port 0 = any free port)\n"
    "  --port-file PATH         write the bound port there once listening\n"
    "  --time-scale X           simulated seconds per real second (default 1; state settings.timeScale)\n"
    "  --pod-ready-seconds S    simulated seconds from pod creation to Ready (default 2)\n"
    "  --never-ready-image TEXT pods whose image contains TEXT never become Ready (default never-ready)\n"
    "  --random-seed N          seed for uids and generated names (default 1)\n"
    "  --watch-history N        change events kept for watches resuming from a resourceVersion (default 4096)\n"
    "  --tls-self-signed PATH   also serve HTTPS on the same port with a fresh self-signed certificate,\n"
    "                           written to PATH (PEM) for clients to trust\n"
    "  --tls-cert FILE --tls-key FILE  also serve HTTPS with this certificate and key\n"
    "\n"
    "kubectl sends bearer tokens only over https: use a TLS option to test authentication with it.\n";

int usage_error(const std::string& message) {
  std::cerr << "opspilot-k8s-sim: " << message << "\n\n" << kUsage;
  return 2;
}

bool parse_number(const std::string& text, double lo, double hi, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0' && *out >= lo && *out <= hi;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  bool help = false;
  const std::string bad = examples::parse_options(
      argc, argv,
      {"--state", "--listen", "--port-file", "--time-scale", "--pod-ready-seconds", "--never-ready-image",
       "--random-seed", "--watch-history", "--tls-self-signed", "--tls-cert", "--tls-key"},
      opt, &help);
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  if (!bad.empty()) return usage_error(bad);

  const auto real_anchor = std::chrono::system_clock::now();
  k8s_sim::Json state = k8s_sim::Json::object();
  if (opt.count("--state")) {
    std::string error;
    if (!k8s_sim::load_document(opt["--state"], &state, &error)) {
      std::cerr << "opspilot-k8s-sim: " << error << "\n";
      return 2;
    }
  }
  k8s_sim::SeedSettings settings;
  std::vector<k8s_sim::Json> manifests;  // checked here so every problem is reported at once
  if (const std::string errors = k8s_sim::read_settings(state, &settings) + k8s_sim::seed_objects(state, &manifests);
      !errors.empty()) {
    std::cerr << "opspilot-k8s-sim: the state file '" << opt["--state"] << "' has problems:\n" << errors;
    return 2;
  }

  k8s_sim::SimOptions options;
  double time_scale = settings.time_scale.value_or(1.0);
  if (settings.pod_ready_seconds) options.pod_ready_seconds = *settings.pod_ready_seconds;
  if (settings.never_ready_image) options.never_ready_image = *settings.never_ready_image;
  if (settings.seed) options.seed = *settings.seed;
  if (opt.count("--time-scale") && !parse_number(opt["--time-scale"], 1e-3, 1e6, &time_scale)) {
    return usage_error("--time-scale is '" + opt["--time-scale"] + "', expected a number in [0.001, 1000000]");
  }
  if (opt.count("--pod-ready-seconds") && !parse_number(opt["--pod-ready-seconds"], 0, 1e7, &options.pod_ready_seconds)) {
    return usage_error("--pod-ready-seconds is '" + opt["--pod-ready-seconds"] + "', expected seconds >= 0");
  }
  if (opt.count("--never-ready-image")) options.never_ready_image = opt["--never-ready-image"];
  if (opt.count("--watch-history")) {
    double n = 0;
    if (!parse_number(opt["--watch-history"], 1, 1e7, &n)) {
      return usage_error("--watch-history is '" + opt["--watch-history"] + "', expected a number of events >= 1");
    }
    options.watch_history = static_cast<std::size_t>(n);
  }
  if (opt.count("--random-seed")) {
    double seed = 0;
    if (!parse_number(opt["--random-seed"], 0, 1e15, &seed)) {
      return usage_error("--random-seed is '" + opt["--random-seed"] + "', expected a whole number >= 0");
    }
    options.seed = static_cast<std::uint64_t>(seed);
  }

  std::optional<k8s_sim::TlsMaterial> tls;
  if (opt.count("--tls-cert") != opt.count("--tls-key")) return usage_error("--tls-cert and --tls-key go together");
  if (opt.count("--tls-cert") && opt.count("--tls-self-signed")) {
    return usage_error("--tls-self-signed and --tls-cert/--tls-key are alternatives; give one");
  }
  if (opt.count("--tls-cert") || opt.count("--tls-self-signed")) {
    k8s_sim::TlsMaterial material;
    const std::string error = opt.count("--tls-cert") ? k8s_sim::read_tls_files(opt["--tls-cert"], opt["--tls-key"], &material)
                                                      : k8s_sim::make_self_signed(&material);
    if (!error.empty()) {
      std::cerr << "opspilot-k8s-sim: " << error << "\n";
      return 1;
    }
    tls = std::move(material);
  }

  const std::string listen = opt.count("--listen") ? opt["--listen"] : "127.0.0.1:6443";
  std::string host;
  unsigned short port = 0;
  if (!examples::parse_listen(listen, &host, &port)) {
    return usage_error("--listen is '" + listen + "', expected HOST:PORT such as 127.0.0.1:0");
  }

  const agent::TimePoint start = std::chrono::time_point_cast<agent::Duration>(real_anchor);
  agent::ScaledClock clock(start, time_scale, real_anchor);
  k8s_sim::Simulator sim(clock, options, settings.auth);
  if (const std::string errors = sim.seed(state); !errors.empty()) {
    std::cerr << "opspilot-k8s-sim: cannot create the objects of '" << opt["--state"] << "':\n" << errors;
    return 2;
  }
  k8s_sim::Server server(sim, tls);
  if (const std::string err = server.listen(host, port); !err.empty()) {
    std::cerr << "opspilot-k8s-sim: " << err << "\n";
    return 1;
  }
  std::string error;
  if (tls && opt.count("--tls-self-signed") && !examples::write_file_atomically(opt["--tls-self-signed"], tls->cert_pem, &error)) {
    std::cerr << "opspilot-k8s-sim: " << error << "\n";
    return 1;
  }
  if (opt.count("--port-file") && !examples::write_file_atomically(opt["--port-file"], std::to_string(server.port()) + "\n", &error)) {
    std::cerr << "opspilot-k8s-sim: " << error << "\n";
    return 1;
  }
  std::cout << "listening on " << examples::show_address(host, server.port()) << (tls ? " (http and https)" : " (http)")
            << std::endl;
  std::cerr << "k8s-sim: time scale " << time_scale << "x, pods ready after " << options.pod_ready_seconds
            << " simulated s, auth " << (settings.auth.enabled() ? "on" : "off") << std::endl;
  const int sig = server.run(/*handle_signals=*/true);
  std::cerr << "k8s-sim: stopped" << (sig ? " by signal " + std::to_string(sig) : std::string()) << std::endl;
  return 0;
}
