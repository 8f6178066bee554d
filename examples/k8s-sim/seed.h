#pragma once
// The seed file: the cluster the simulator starts with, as YAML or JSON.
//
//   settings: {timeScale: 10, podReadySeconds: 2, neverReadyImage: never-ready, seed: 1}
//   auth:
//     tokens:
//       - {token: admin-token, user: admin}                    # no rules: full access
//       - token: viewer-token
//         user: viewer
//         rules: [{verbs: [get, list, watch], apiGroups: ["*"], resources: ["*"], namespaces: ["*"]}]
//   namespaces: [prod]
//   deployments:
//     - {name: web, namespace: default, replicas: 3, image: nginx:1.25, labels: {app: web},
//        progressDeadlineSeconds: 600, revisionHistoryLimit: 10, maxSurge: "25%", maxUnavailable: "25%",
//        strategy: RollingUpdate, annotations: {...}}     # annotations go on the pod template
//   statefulsets: [{name: db, replicas: 2, image: postgres:16, serviceName: db}]
//   leases: [{name: opspilot-leader, holder: agent-1, leaseDurationSeconds: 15}]
//   podDisruptionBudgets: [{name: web, selector: {app: web}, minAvailable: 2}]
//   objects: [<any served object as a full manifest>]
//
// Unknown keys are errors, reported all at once with their place in the file.
// Thread-safety: pure functions.
#include <optional>
#include <string>

#include "examples/k8s-sim/auth.h"
#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

/// Reads a YAML or JSON file into JSON (YAML scalars typed as YAML 1.2 core: quoted stays a
/// string). False with `error` quoting the file and a 1-based line:column on a syntax error.
bool load_document(const std::string& path, Json* out, std::string* error);
/// The same from text (`name` is used in messages).
bool parse_document(const std::string& text, const std::string& name, Json* out, std::string* error);

struct SeedSettings {
  std::optional<double> time_scale;
  std::optional<double> pod_ready_seconds;
  std::optional<std::string> never_ready_image;
  std::optional<std::uint64_t> seed;
  Authenticator auth;
};

/// The settings and auth sections. Empty string on success, else every problem, one per line.
std::string read_settings(const Json& document, SeedSettings* out);

/// The manifests a seed document describes (deployments etc. expanded), namespaces first.
/// Empty string on success, else every problem, one per line.
std::string seed_objects(const Json& document, std::vector<Json>* out);

}  // namespace opspilot::k8s_sim
