// Registry: what kube-apiserver's Service REST storage adds to a Service — a cluster IP from the
// service CIDR (10.96.0.0/12 here, as kubeadm's default) and node ports from 30000-32767 — and
// keeps across updates. Addresses are taken lowest-free-first, so runs are repeatable.
#include <set>

#include "examples/k8s-sim/field_errors.h"
#include "examples/k8s-sim/registry.h"

namespace opspilot::k8s_sim {

namespace {

bool same_object(const Json& a, const Json& b) {
  return string_at(a, {"metadata", "namespace"}) == string_at(b, {"metadata", "namespace"}) &&
         string_at(a, {"metadata", "name"}) == string_at(b, {"metadata", "name"});
}

std::string ip_of(std::uint32_t n) {
  return std::to_string(n >> 24) + "." + std::to_string((n >> 16) & 255) + "." + std::to_string((n >> 8) & 255) + "." +
         std::to_string(n & 255);
}

// The node port a stored service gave (protocol, port), or 0.
std::int64_t old_node_port(const Json& old, const Json& port) {
  const Json* ports = at_path(old, {"spec", "ports"});
  for (const auto& p : ports && ports->is_array() ? *ports : Json::array()) {
    if (int_at(p, {"port"}) == int_at(port, {"port"}) && string_at(p, {"protocol"}) == string_at(port, {"protocol"})) {
      return int_at(p, {"nodePort"}, 0);
    }
  }
  return 0;
}

}  // namespace

void Registry::keep_service_allocations(const Json& existing, Json& incoming) {
  Json& spec = incoming["spec"];
  if (!spec.is_object()) return;
  const std::string type = string_at(spec, {"type"});
  if (type != "ExternalName" && string_at(spec, {"clusterIP"}).empty()) {
    for (const char* key : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"}) {
      if (const Json* v = at_path(existing, {"spec", key})) spec[key] = *v;
    }
  }
  if ((type == "NodePort" || type == "LoadBalancer") && spec.contains("ports") && spec["ports"].is_array()) {
    for (auto& p : spec["ports"]) {
      if (p.is_object() && int_at(p, {"nodePort"}, 0) == 0) {
        if (const std::int64_t kept = old_node_port(existing, p)) p["nodePort"] = kept;
      }
    }
  }
}

std::vector<Cause> Registry::allocate_service(Json& service, const Json* old) {
  std::vector<Cause> causes;
  Json& spec = service["spec"];
  if (!spec.is_object()) return causes;
  std::set<std::string> ips;
  std::set<std::int64_t> node_ports;
  for (Entry* e : store_.list(type_of("services"), "")) {
    if (same_object(e->object, service)) continue;
    ips.insert(string_at(e->object, {"spec", "clusterIP"}));
    const Json* ports = at_path(e->object, {"spec", "ports"});
    for (const auto& p : ports && ports->is_array() ? *ports : Json::array()) node_ports.insert(int_at(p, {"nodePort"}, 0));
  }
  const std::string type = string_at(spec, {"type"});
  if (type == "ExternalName") return causes;
  std::string ip = string_at(spec, {"clusterIP"});
  if (ip.empty()) {
    // 10.96.0.1 is the kubernetes Service's and 10.96.0.10 the cluster DNS's in a kubeadm cluster.
    for (std::uint32_t n = (10u << 24) | (96u << 16) | 2u; ip.empty(); ++n) {
      if ((n & 255) != 10 && !ips.count(ip_of(n))) ip = ip_of(n);
    }
  } else if (ip != "None" && ips.count(ip) && !(old && string_at(*old, {"spec", "clusterIP"}) == ip)) {
    causes.push_back(field::invalid_printed("spec.clusterIPs", field::go_string_slice(Json::array({ip})),
                                            "failed to allocate IP " + ip + ": provided IP is already allocated"));
    return causes;
  }
  spec["clusterIP"] = ip;
  spec["clusterIPs"] = Json::array({ip});
  if (!spec.contains("ipFamilies")) spec["ipFamilies"] = Json::array({"IPv4"});
  if (!spec.contains("ipFamilyPolicy")) spec["ipFamilyPolicy"] = "SingleStack";
  if (type != "NodePort" && type != "LoadBalancer") return causes;
  if (!spec.contains("ports") || !spec["ports"].is_array()) return causes;
  std::int64_t next = 30000;
  for (std::size_t i = 0; i < spec["ports"].size(); ++i) {
    Json& p = spec["ports"][i];
    if (!p.is_object()) continue;
    std::int64_t port = int_at(p, {"nodePort"}, 0);
    if (port != 0 && node_ports.count(port) && !(old && old_node_port(*old, p) == port)) {
      causes.push_back(field::invalid("spec.ports[" + std::to_string(i) + "].nodePort", port, "provided port is already allocated"));
      continue;
    }
    while (port == 0 && next <= 32767) {
      if (!node_ports.count(next)) port = next;
      ++next;
    }
    p["nodePort"] = port;
    node_ports.insert(port);
  }
  return causes;
}

}  // namespace opspilot::k8s_sim
