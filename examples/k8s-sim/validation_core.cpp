// Core v1 kinds an application's chart installs beside its workloads, defaulted and validated as
// pkg/apis/core/v1/defaults.go and pkg/apis/core/validation do it: ServiceAccount, ConfigMap,
// Secret, Service (cluster IPs and node ports are allocated by the registry,
// registry_service.cpp) and PersistentVolumeClaim.
#include <set>

#include "examples/k8s-sim/field_errors.h"
#include "examples/k8s-sim/quantity.h"
#include "examples/k8s-sim/validation.h"

namespace opspilot::k8s_sim {

namespace {

using field::forbidden;
using field::invalid;
using field::not_supported;
using field::required;

constexpr std::size_t kMaxSecretSize = 1024 * 1024;  // core.MaxSecretSize, also ConfigMaps' limit

std::string idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool missing(const Json& object, const char* key) { return !object.contains(key) || object[key].is_null(); }

const Json* object_at(const Json& j, std::initializer_list<const char*> path) {
  const Json* v = at_path(j, path);
  return v && v->is_object() ? v : nullptr;
}

std::size_t decoded_size(const Json& value) {
  std::string bytes;
  std::size_t bad = 0;
  return value.is_string() && base64_decode(value.get<std::string>(), &bytes, &bad) ? bytes.size() : 0;
}

void validate_keys(const Json* map, const std::string& path, std::vector<Cause>* out) {
  if (!map) return;
  for (auto it = map->begin(); it != map->end(); ++it) {
    field::each_invalid(out, path + "[" + it.key() + "]", it.key(), field::config_map_key(it.key()));
  }
}

void validate_config_map(const Json& o, const Json* old, std::vector<Cause>* out) {
  const Json* data = object_at(o, {"data"});
  const Json* binary = object_at(o, {"binaryData"});
  validate_keys(data, "data", out);
  std::size_t total = 0;
  if (data) {
    for (auto it = data->begin(); it != data->end(); ++it) {
      if (binary && binary->contains(it.key())) {
        out->push_back(invalid("data[" + it.key() + "]", it.key(), "duplicate of key present in binaryData"));
      }
      if (it->is_string()) total += it->get<std::string>().size();
    }
  }
  validate_keys(binary, "binaryData", out);
  if (binary) {
    for (const auto& v : *binary) total += decoded_size(v);
  }
  if (total > kMaxSecretSize) out->push_back(field::too_long("", kMaxSecretSize));
  if (old && at_path(*old, {"immutable"}) && *at_path(*old, {"immutable"}) == true) {
    if (!at_path(o, {"immutable"}) || *at_path(o, {"immutable"}) != true) {
      out->push_back(forbidden("immutable", "field is immutable when `immutable` is set"));
    }
    for (const char* key : {"data", "binaryData"}) {
      if (canonical(old->value(key, Json())) != canonical(o.value(key, Json()))) {
        out->push_back(forbidden(key, "field is immutable when `immutable` is set"));
      }
    }
  }
}

void validate_secret(const Json& o, const Json* old, std::vector<Cause>* out) {
  const Json* data = object_at(o, {"data"});
  validate_keys(data, "data", out);
  std::size_t total = 0;
  if (data) {
    for (const auto& v : *data) total += decoded_size(v);
  }
  if (total > kMaxSecretSize) out->push_back(field::too_long("data", kMaxSecretSize));
  auto has_key = [&](const char* key) { return data && data->contains(key); };
  const std::string type = string_at(o, {"type"});
  if (type == "kubernetes.io/service-account-token") {
    if (string_at(o, {"metadata", "annotations", "kubernetes.io/service-account.name"}).empty()) {
      out->push_back(required("metadata.annotations[kubernetes.io/service-account.name]"));
    }
  } else if (type == "kubernetes.io/dockerconfigjson" || type == "kubernetes.io/dockercfg") {
    const char* key = type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
    std::string bytes;
    std::size_t bad = 0;
    if (!has_key(key)) {
      out->push_back(required(std::string("data[") + key + "]"));
    } else if (base64_decode((*data)[key].get<std::string>(), &bytes, &bad) && !Json::parse(bytes, nullptr, false).is_object()) {
      out->push_back(invalid(std::string("data[") + key + "]", "<secret contents redacted>", "the data is not a JSON object"));
    }
  } else if (type == "kubernetes.io/basic-auth") {
    if (!has_key("username") && !has_key("password")) {
      out->push_back(required("data[username]"));
      out->push_back(required("data[password]"));
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    if (!has_key("ssh-privatekey") || decoded_size((*data)["ssh-privatekey"]) == 0) out->push_back(required("data[ssh-privatekey]"));
  } else if (type == "kubernetes.io/tls") {
    if (!has_key("tls.crt")) out->push_back(required("data[tls.crt]"));
    if (!has_key("tls.key")) out->push_back(required("data[tls.key]"));
  }
  if (!old) return;
  if (const std::string before = string_at(*old, {"type"}); before != type) {
    out->push_back(invalid("type", type, "field is immutable"));
  }
  if (at_path(*old, {"immutable"}) && *at_path(*old, {"immutable"}) == true) {
    if (!at_path(o, {"immutable"}) || *at_path(o, {"immutable"}) != true) {
      out->push_back(forbidden("immutable", "field is immutable when `immutable` is set"));
    }
    if (canonical(old->value("data", Json())) != canonical(o.value("data", Json()))) {
      out->push_back(forbidden("data", "field is immutable when `immutable` is set"));
    }
  }
}

bool is_ipv4(const std::string& s) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find('.', i);
    if (j == std::string::npos) j = s.size();
    const std::string part = s.substr(i, j - i);
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string::npos || std::stoi(part) > 255) {
      return false;
    }
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

// How Go prints the (protocol, port) key of a duplicate service port.
std::string service_port_key(const std::string& protocol, std::int64_t port) {
  return "core.ServicePort{Name:\"\", Protocol:\"" + protocol + "\", AppProtocol:(*string)(nil), Port:" +
         std::to_string(port) + ", TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}";
}

void validate_service(const Json& o, const Json* old, std::vector<Cause>* out) {
  const Json empty = Json::object();
  const Json* spec_ptr = object_at(o, {"spec"});
  const Json& spec = spec_ptr ? *spec_ptr : empty;
  const std::string type = string_at(spec, {"type"});
  const std::string cluster_ip = string_at(spec, {"clusterIP"});
  const bool headless = cluster_ip == "None";
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" && type != "ExternalName") {
    out->push_back(not_supported("spec.type", type, {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}));
  }
  if (const std::string affinity = string_at(spec, {"sessionAffinity"}); affinity != "None" && affinity != "ClientIP") {
    out->push_back(not_supported("spec.sessionAffinity", affinity, {"ClientIP", "None"}));
  }
  if (type == "ExternalName") {
    std::string name = string_at(spec, {"externalName"});
    if (!name.empty() && name.back() == '.') name.pop_back();
    if (name.empty()) out->push_back(required("spec.externalName"));
    else field::each_invalid(out, "spec.externalName", string_at(spec, {"externalName"}), field::dns1123_subdomain(name));
  }
  const Json* ports = at_path(spec, {"ports"});
  const std::size_t count = ports && ports->is_array() ? ports->size() : 0;
  if (count == 0 && !headless && type != "ExternalName") out->push_back(required("spec.ports"));
  std::set<std::string> names, keys;
  for (std::size_t i = 0; i < count; ++i) {
    const Json& p = (*ports)[i];
    if (!p.is_object()) continue;  // null: the typed decoder's zero value; anything else it refused
    const std::string pp = idx("spec.ports", i);
    const std::string name = string_at(p, {"name"});
    if (count > 1 && name.empty()) {
      out->push_back(required(pp + ".name"));
    } else if (!name.empty()) {
      field::each_invalid(out, pp + ".name", name, field::dns1123_label(name));
      if (!names.insert(name).second) out->push_back(field::duplicate(pp + ".name", name));
    }
    const std::int64_t port = int_at(p, {"port"}, 0);
    field::each_invalid(out, pp + ".port", port, field::port_number(port));
    const std::string protocol = string_at(p, {"protocol"});
    if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
      out->push_back(not_supported(pp + ".protocol", protocol, {"SCTP", "TCP", "UDP"}));
    }
    const Json target = p.value("targetPort", Json(port));
    if (target.is_number_integer()) {
      field::each_invalid(out, pp + ".targetPort", target, field::port_number(target.get<std::int64_t>()));
    } else if (target.is_string()) {
      field::each_invalid(out, pp + ".targetPort", target, field::port_name(target.get<std::string>()));
    }
    const std::int64_t node_port = int_at(p, {"nodePort"}, 0);
    if (node_port != 0 && type == "ClusterIP") {
      out->push_back(forbidden(pp + ".nodePort", "may not be used when `type` is 'ClusterIP'"));
    } else if (node_port != 0 && (node_port < 30000 || node_port > 32767)) {
      out->push_back(invalid(pp + ".nodePort", node_port,
                             "provided port is not in the valid range. The range of valid ports is 30000-32767"));
    }
    if (!keys.insert(protocol + "/" + std::to_string(port)).second) {
      out->push_back(field::duplicate_printed(pp, service_port_key(protocol, port)));
    }
  }
  if (!cluster_ip.empty() && !headless && !is_ipv4(cluster_ip)) {
    out->push_back(invalid("spec.clusterIPs[0]", cluster_ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
  }
  if (headless && (type == "NodePort" || type == "LoadBalancer")) {
    out->push_back(invalid("spec.clusterIPs[0]", cluster_ip, "may not be set to 'None' for " + type + " services"));
  }
  if (const Json* selector = object_at(spec, {"selector"})) field::validate_labels(selector, "spec.selector", out);
  if (old) {
    const std::string before = string_at(*old, {"spec", "clusterIP"});
    if (!before.empty() && !cluster_ip.empty() && before != cluster_ip && type != "ExternalName") {
      out->push_back(field::invalid_printed("spec.clusterIPs[0]", field::go_string_slice(Json::array({cluster_ip})),
                                            "may not change once set"));
    }
  }
}

void validate_pvc(const Json& o, const Json* old, std::vector<Cause>* out) {
  const Json* modes = at_path(o, {"spec", "accessModes"});
  if (!modes || !modes->is_array() || modes->empty()) {
    out->push_back(required("spec.accessModes", "at least 1 access mode is required"));
  } else {
    bool once_pod = false, other = false;
    for (const auto& m : *modes) {
      const std::string mode = m.is_string() ? m.get<std::string>() : "";
      if (mode == "ReadWriteOncePod") once_pod = true;
      else if (mode == "ReadWriteOnce" || mode == "ReadOnlyMany" || mode == "ReadWriteMany") other = true;
      else out->push_back(not_supported("spec.accessModes", m, {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"}));
    }
    if (once_pod && other) out->push_back(forbidden("spec.accessModes", "may not use ReadWriteOncePod with other access modes"));
  }
  const Json* storage = at_path(o, {"spec", "resources", "requests", "storage"});
  if (!storage || storage->is_null()) {
    out->push_back(required("spec.resources[storage]"));
  } else if (const auto q = quantity_from_json(*storage); q && (q->negative() || q->zero())) {
    out->push_back(invalid("spec.resources[storage]", to_string(*q), "must be greater than zero"));
  }
  if (const std::string sc = string_at(o, {"spec", "storageClassName"}); !sc.empty()) {
    field::each_invalid(out, "spec.storageClassName", sc, field::dns1123_subdomain(sc));
  }
  if (const std::string mode = string_at(o, {"spec", "volumeMode"}); mode != "Filesystem" && mode != "Block") {
    out->push_back(not_supported("spec.volumeMode", mode, {"Block", "Filesystem"}));
  }
  if (!old) return;
  if (canonical(old->value("spec", Json())) != canonical(o.value("spec", Json()))) {
    out->push_back(forbidden("spec", "spec is immutable after creation except resources.requests and "
                                     "volumeAttributesClassName for bound claims"));
  }
  const Json* before = at_path(*old, {"spec", "resources", "requests", "storage"});
  const auto a = before ? quantity_from_json(*before) : std::nullopt;
  const auto b = storage ? quantity_from_json(*storage) : std::nullopt;
  if (a && b && compare(*b, *a) < 0) {
    out->push_back(forbidden("spec.resources.requests.storage", "field can not be less than previous value"));
  }
}

}  // namespace

bool is_core_config_kind(const ResourceType& t) {
  return t.group.empty() && (t.plural == "serviceaccounts" || t.plural == "configmaps" || t.plural == "secrets" ||
                             t.plural == "services" || t.plural == "persistentvolumeclaims");
}

void default_core_kind(const ResourceType& type, Json& object) {
  if (type.plural == "secrets") {
    if (missing(object, "type") || object["type"] == "") object["type"] = "Opaque";
    // stringData is a write-only convenience: the API server merges it into data (winning over
    // data's value for the same key) and never stores it.
    if (object.contains("stringData") && object["stringData"].is_object()) {
      if (missing(object, "data")) object["data"] = Json::object();
      for (auto it = object["stringData"].begin(); it != object["stringData"].end(); ++it) {
        if (it->is_string() && object["data"].is_object()) object["data"][it.key()] = base64_encode(it->get<std::string>());
      }
    }
    object.erase("stringData");
  } else if (type.plural == "services") {
    if (missing(object, "spec")) object["spec"] = Json::object();
    Json& spec = object["spec"];
    if (!spec.is_object()) return;
    if (missing(spec, "type")) spec["type"] = "ClusterIP";
    if (missing(spec, "sessionAffinity")) spec["sessionAffinity"] = "None";
    if (spec["sessionAffinity"] == "ClientIP" && missing(spec, "sessionAffinityConfig")) {
      spec["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", 10800}}}};
    }
    const std::string t = spec["type"].is_string() ? spec["type"].get<std::string>() : "";
    if (t != "ExternalName" && missing(spec, "internalTrafficPolicy")) spec["internalTrafficPolicy"] = "Cluster";
    if ((t == "NodePort" || t == "LoadBalancer") && missing(spec, "externalTrafficPolicy")) spec["externalTrafficPolicy"] = "Cluster";
    if (t == "LoadBalancer" && missing(spec, "allocateLoadBalancerNodePorts")) spec["allocateLoadBalancerNodePorts"] = true;
    if (spec.contains("ports") && spec["ports"].is_array()) {
      for (auto& p : spec["ports"]) {
        if (!p.is_object()) continue;
        if (missing(p, "protocol")) p["protocol"] = "TCP";
        if (missing(p, "targetPort") || p["targetPort"] == 0 || p["targetPort"] == "") p["targetPort"] = p.value("port", Json(0));
      }
    }
    if (missing(object, "status")) object["status"] = {{"loadBalancer", Json::object()}};
  } else if (type.plural == "persistentvolumeclaims") {
    if (missing(object, "spec")) object["spec"] = Json::object();
    if (object["spec"].is_object() && missing(object["spec"], "volumeMode")) object["spec"]["volumeMode"] = "Filesystem";
    if (missing(object, "status") || object["status"].empty()) object["status"] = {{"phase", "Pending"}};
  }
}

void validate_core_kind(const ResourceType& type, const Json& object, const Json* old, std::vector<Cause>* out) {
  if (type.plural == "configmaps") validate_config_map(object, old, out);
  else if (type.plural == "secrets") validate_secret(object, old, out);
  else if (type.plural == "services") validate_service(object, old, out);
  else if (type.plural == "persistentvolumeclaims") validate_pvc(object, old, out);
  // serviceaccounts: the name (objects.cpp) and the typed fields (typed_decode.cpp) are all kube checks.
}

}  // namespace opspilot::k8s_sim
