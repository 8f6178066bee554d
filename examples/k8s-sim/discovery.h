#pragma once
// The documents clients read before anything else: /version, the legacy discovery documents
// (/api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>) and the aggregated discovery
// documents kubectl asks for first (Accept: application/json;g=apidiscovery.k8s.io;v=v2;
// as=APIGroupDiscoveryList). All are generated from the one resource table.
// Thread-safety: pure functions.
#include <optional>
#include <string>

#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

struct Document {
  int code = 200;
  std::string content_type = "application/json";
  Json body;
};

/// The Kubernetes version the simulator claims (kubectl's version-skew dispatcher reads it).
inline constexpr const char* kServedVersion = "v1.32.4";

/// The document at `path` (no query), honouring aggregated discovery in `accept`; nullopt when
/// `path` is not a discovery path. `host` is the Host header, for serverAddressByClientCIDRs.
std::optional<Document> discovery_document(const std::string& path, const std::string& accept, const std::string& host);

}  // namespace opspilot::k8s_sim
