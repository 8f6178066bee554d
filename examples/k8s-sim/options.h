#pragma once
// Knobs of the simulated cluster that are not objects: how long pods take to become Ready and
// what makes a pod never Ready (for rollouts that must fail). All times are simulated seconds;
// the clock's speed (--time-scale) maps them to real time.
// Thread-safety: plain value.
#include <cstddef>
#include <cstdint>
#include <string>

namespace opspilot::k8s_sim {

struct SimOptions {
  /// Simulated seconds from a pod's creation to its Ready condition. A pod template annotation
  /// `k8s-sim.opspilot.io/ready-after-seconds: "30"` overrides it per workload.
  double pod_ready_seconds = 2;
  /// Pods whose image contains this text, or whose template carries the annotation
  /// `k8s-sim.opspilot.io/never-ready: "true"`, start but never pass readiness.
  std::string never_ready_image = "never-ready";
  /// Seeds uids and generated names, so runs are repeatable.
  std::uint64_t seed = 1;
  /// The node every pod is scheduled to.
  std::string node_name = "sim-node-1";
  /// Change events kept for watches that resume from a resourceVersion; older ones get 410 Gone.
  std::size_t watch_history = 4096;
};

inline constexpr const char* kReadyAfterAnnotation = "k8s-sim.opspilot.io/ready-after-seconds";
inline constexpr const char* kNeverReadyAnnotation = "k8s-sim.opspilot.io/never-ready";

}  // namespace opspilot::k8s_sim
