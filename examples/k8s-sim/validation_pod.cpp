// PodSpec validation as pkg/apis/core/validation (ValidatePodSpec and what it calls) does it:
// volumes, containers (names, ports, env, mounts, resources, probes, security context), the pod
// security context and the service account name.
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

std::string idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

const Json& list_at(const Json& object, const char* key) {
  static const Json empty = Json::array();
  const Json* v = at_path(object, {key});
  return v && v->is_array() ? *v : empty;
}

bool has(const Json& object, const char* key) {
  return object.is_object() && object.contains(key) && !object[key].is_null();
}

void non_negative(const Json& object, const char* key, const std::string& path, std::vector<Cause>* out) {
  const Json* v = at_path(object, {key});
  if (v && v->is_number_integer() && v->get<std::int64_t>() < 0) {
    out->push_back(invalid(path + "." + key, *v, "must be greater than or equal to 0"));
  }
}

// Volume sources in the order ValidateVolumes looks at them (the second one found is the one
// reported). kube spells the downwardAPI path "downwarAPI" in that message; so does this.
const std::vector<std::pair<const char*, const char*>>& volume_sources() {
  static const std::vector<std::pair<const char*, const char*>> s = {
      {"emptyDir", "emptyDir"}, {"hostPath", "hostPath"}, {"gitRepo", "gitRepo"},
      {"gcePersistentDisk", "gcePersistentDisk"}, {"awsElasticBlockStore", "awsElasticBlockStore"},
      {"secret", "secret"}, {"nfs", "nfs"}, {"iscsi", "iscsi"}, {"glusterfs", "glusterfs"}, {"flocker", "flocker"},
      {"persistentVolumeClaim", "persistentVolumeClaim"}, {"rbd", "rbd"}, {"cinder", "cinder"}, {"cephfs", "cephFS"},
      {"quobyte", "quobyte"}, {"downwardAPI", "downwarAPI"}, {"fc", "fc"}, {"flexVolume", "flexVolume"},
      {"configMap", "configMap"}, {"azureFile", "azureFile"}, {"vsphereVolume", "vsphereVolume"},
      {"photonPersistentDisk", "photonPersistentDisk"}, {"portworxVolume", "portworxVolume"}, {"azureDisk", "azureDisk"},
      {"storageos", "storageos"}, {"projected", "projected"}, {"scaleIO", "scaleIO"}, {"csi", "csi"},
      {"ephemeral", "ephemeral"}, {"image", "image"}};
  return s;
}

void validate_mode(const Json& source, const char* key, const std::string& path, std::vector<Cause>* out) {
  const Json* mode = at_path(source, {key});
  if (mode && mode->is_number_integer() && (mode->get<std::int64_t>() < 0 || mode->get<std::int64_t>() > 0777)) {
    out->push_back(invalid(path + "." + key, *mode, "must be a number between 0 and 0777 (octal), both inclusive"));
  }
}

// The volumes that validated cleanly: only those can be mounted (kube's `vols` map).
std::set<std::string> validate_volumes(const Json& spec, const std::string& path, std::vector<Cause>* out) {
  std::set<std::string> valid, seen;
  const Json& volumes = list_at(spec, "volumes");
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    const Json& v = volumes[i];
    const std::string at = idx(path + ".volumes", i);
    std::vector<Cause> errs;
    int sources = 0;
    for (const auto& [key, reported] : volume_sources()) {
      if (!has(v, key)) continue;
      if (sources++ > 0) {
        errs.push_back(forbidden(at + "." + reported, "may not specify more than 1 volume type"));
        continue;
      }
      const Json& src = v[key];
      const std::string sp = at + "." + key;
      if (std::string(key) == "configMap") {
        if (string_at(src, {"name"}).empty()) errs.push_back(required(sp + ".name"));
        validate_mode(src, "defaultMode", sp, &errs);
      } else if (std::string(key) == "secret") {
        if (string_at(src, {"secretName"}).empty()) errs.push_back(required(sp + ".secretName"));
        validate_mode(src, "defaultMode", sp, &errs);
      } else if (std::string(key) == "persistentVolumeClaim") {
        if (string_at(src, {"claimName"}).empty()) errs.push_back(required(sp + ".claimName"));
      } else if (std::string(key) == "emptyDir") {
        const Json* limit = at_path(src, {"sizeLimit"});
        if (auto q = limit ? quantity_from_json(*limit) : std::nullopt; q && q->negative()) {
          errs.push_back(forbidden(sp + ".sizeLimit", "SizeLimit field must be a valid resource quantity"));
        }
      } else if (std::string(key) == "projected" || std::string(key) == "downwardAPI") {
        validate_mode(src, "defaultMode", sp, &errs);
      }
    }
    if (sources == 0) errs.push_back(required(at, "must specify a volume type"));
    const std::string name = string_at(v, {"name"});
    if (name.empty()) errs.push_back(required(at + ".name"));
    else field::each_invalid(&errs, at + ".name", name, field::dns1123_label(name));
    if (seen.count(name)) errs.push_back(field::duplicate(at + ".name", name));
    seen.insert(name);
    if (errs.empty()) valid.insert(name);
    out->insert(out->end(), errs.begin(), errs.end());
  }
  return valid;
}

void validate_ports(const Json& c, const std::string& at, std::vector<Cause>* out) {
  std::set<std::string> names;
  const Json& ports = list_at(c, "ports");
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const Json& p = ports[i];
    const std::string pp = idx(at + ".ports", i);
    const std::string name = string_at(p, {"name"});
    if (!name.empty()) {
      const auto msgs = field::port_name(name);
      if (!msgs.empty()) field::each_invalid(out, pp + ".name", name, msgs);
      else if (!names.insert(name).second) out->push_back(field::duplicate(pp + ".name", name));
    }
    const std::int64_t port = int_at(p, {"containerPort"}, 0);
    if (port == 0) out->push_back(required(pp + ".containerPort"));
    else field::each_invalid(out, pp + ".containerPort", port, field::port_number(port));
    if (const std::int64_t host = int_at(p, {"hostPort"}, 0); host != 0) {
      field::each_invalid(out, pp + ".hostPort", host, field::port_number(host));
    }
    const std::string protocol = string_at(p, {"protocol"});
    if (protocol.empty()) out->push_back(required(pp + ".protocol"));
    else if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
      out->push_back(not_supported(pp + ".protocol", protocol, {"SCTP", "TCP", "UDP"}));
    }
  }
}

void validate_key_ref(const Json& ref, const std::string& at, std::vector<Cause>* out) {
  const std::string name = string_at(ref, {"name"});
  field::each_invalid(out, at + ".name", name, field::dns1123_subdomain(name));
  const std::string key = string_at(ref, {"key"});
  if (key.empty()) out->push_back(required(at + ".key"));
  else field::each_invalid(out, at + ".key", key, field::config_map_key(key));
}

void validate_env(const Json& c, const std::string& at, std::vector<Cause>* out) {
  const Json& env = list_at(c, "env");
  for (std::size_t i = 0; i < env.size(); ++i) {
    const Json& e = env[i];
    const std::string ep = idx(at + ".env", i);
    const std::string name = string_at(e, {"name"});
    if (name.empty()) out->push_back(required(ep + ".name"));
    else field::each_invalid(out, ep + ".name", name, field::env_var_name(name));
    if (!has(e, "valueFrom")) continue;
    const Json& from = e["valueFrom"];
    const std::string fp = ep + ".valueFrom";
    int sources = 0;
    for (const char* key : {"fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"}) {
      if (!has(from, key)) continue;
      ++sources;
      if (std::string(key) == "configMapKeyRef" || std::string(key) == "secretKeyRef") {
        validate_key_ref(from[key], fp + "." + key, out);
      } else if (std::string(key) == "fieldRef" && string_at(from[key], {"fieldPath"}).empty()) {
        out->push_back(required(fp + ".fieldRef.fieldPath"));
      } else if (std::string(key) == "resourceFieldRef" && string_at(from[key], {"resource"}).empty()) {
        out->push_back(required(fp + ".resourceFieldRef.resource"));
      }
    }
    if (sources == 0) {
      out->push_back(invalid(fp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
    } else if (!string_at(e, {"value"}).empty()) {
      out->push_back(invalid(fp, "", "may not be specified when `value` is not empty"));
    } else if (sources > 1) {
      out->push_back(invalid(fp, "", "may not have more than one field specified at a time"));
    }
  }
  const Json& env_from = list_at(c, "envFrom");
  for (std::size_t i = 0; i < env_from.size(); ++i) {
    const int sources = (has(env_from[i], "configMapRef") ? 1 : 0) + (has(env_from[i], "secretRef") ? 1 : 0);
    if (sources == 0) out->push_back(invalid(at + ".envFrom", "", "must specify one of: `configMapRef` or `secretRef`"));
    if (sources > 1) out->push_back(invalid(at + ".envFrom", "", "may not have more than one field specified at a time"));
  }
}

void validate_mounts(const Json& c, const std::set<std::string>& volumes, const std::string& at, std::vector<Cause>* out) {
  std::set<std::string> paths;
  const Json& mounts = list_at(c, "volumeMounts");
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    const std::string mp = idx(at + ".volumeMounts", i);
    const std::string name = string_at(mounts[i], {"name"});
    const std::string path = string_at(mounts[i], {"mountPath"});
    if (name.empty()) out->push_back(required(mp + ".name"));
    if (!volumes.count(name)) out->push_back(field::not_found(mp + ".name", name));
    if (path.empty()) out->push_back(required(mp + ".mountPath"));
    else if (path.front() != '/') {
      // Stricter than kube-apiserver: the kubelet refuses a relative mount path when it starts the container.
      out->push_back(invalid(mp + ".mountPath", path, "must be an absolute path (the kubelet refuses relative mount paths)"));
    }
    if (paths.count(path)) out->push_back(invalid(mp + ".mountPath", path, "must be unique"));
    paths.insert(path);
    // kube names the list, not the element, in subPath causes (validateLocalDescendingPath's caller).
    const std::string sub = string_at(mounts[i], {"subPath"});
    if (!sub.empty() && sub.front() == '/') out->push_back(invalid(at + ".volumeMounts.subPath", sub, "must be a relative path"));
    if (("/" + sub + "/").find("/../") != std::string::npos) {
      out->push_back(invalid(at + ".volumeMounts.subPath", sub, "must not contain '..'"));
    }
  }
}

void validate_resources(const Json& c, const std::string& at, std::vector<Cause>* out) {
  const Json* res = at_path(c, {"resources"});
  if (!res || !res->is_object()) return;
  const Json* limits = at_path(*res, {"limits"});
  for (const char* kind : {"limits", "requests"}) {
    const Json* list = at_path(*res, {kind});
    if (!list || !list->is_object()) continue;
    for (auto it = list->begin(); it != list->end(); ++it) {
      const std::string name = it.key();
      const std::string rp = at + ".resources." + kind + "[" + name + "]";
      const auto name_errs = field::qualified_name(name);
      field::each_invalid(out, rp, name, name_errs);
      if (name_errs.empty() && name.find('/') == std::string::npos) {
        static const std::set<std::string> kQuota = {"pods", "services", "replicationcontrollers", "resourcequotas",
                                                     "secrets", "configmaps", "persistentvolumeclaims", "storage"};
        const bool container = name == "cpu" || name == "memory" || name == "ephemeral-storage" ||
                               name.rfind("hugepages-", 0) == 0;
        if (!container && !kQuota.count(name)) out->push_back(invalid(rp, name, "must be a standard resource type or fully qualified"));
        else if (!container) out->push_back(invalid(rp, name, "must be a standard resource for containers"));
      }
      const auto q = quantity_from_json(*it);
      if (!q) continue;  // the typed decoder reports it first
      if (q->negative()) out->push_back(invalid(rp, to_string(*q), "must be greater than or equal to 0"));
      if (std::string(kind) != "requests" || !limits || !limits->contains(name)) continue;
      const auto limit = quantity_from_json((*limits)[name]);
      if (!limit) continue;
      if (name.rfind("hugepages-", 0) == 0 && compare(*q, *limit) != 0) {
        out->push_back(invalid(at + ".resources.requests", to_string(*q),
                               "must be equal to " + name + " limit of " + to_string(*limit)));
      } else if (compare(*q, *limit) > 0) {
        out->push_back(invalid(at + ".resources.requests", to_string(*q),
                               "must be less than or equal to " + name + " limit of " + to_string(*limit)));
      }
    }
  }
}

void validate_seccomp(const Json& sc, const std::string& at, std::vector<Cause>* out) {
  if (!has(sc, "seccompProfile")) return;
  const Json& sp = sc["seccompProfile"];
  const std::string type = string_at(sp, {"type"});
  const std::string path = at + ".seccompProfile";
  if (type.empty()) out->push_back(required(path + ".type", "type is required when seccompProfile is set"));
  else if (type != "Localhost" && type != "RuntimeDefault" && type != "Unconfined") {
    out->push_back(not_supported(path + ".type", type, {"Localhost", "RuntimeDefault", "Unconfined"}));
  }
  if (type == "Localhost" && !has(sp, "localhostProfile")) {
    out->push_back(required(path + ".localhostProfile", "must be set when seccomp type is Localhost"));
  } else if (type != "Localhost" && has(sp, "localhostProfile")) {
    out->push_back(invalid(path + ".localhostProfile", sp, "can only be set when seccomp type is Localhost"));
  }
}

void validate_ids(const Json& sc, const std::string& at, std::initializer_list<const char*> keys, std::vector<Cause>* out) {
  for (const char* key : keys) {
    const Json* id = at_path(sc, {key});
    if (id && id->is_number_integer() && (id->get<std::int64_t>() < 0 || id->get<std::int64_t>() > 2147483647)) {
      out->push_back(invalid(at + "." + key, *id, field::inclusive_range(0, 2147483647)));
    }
  }
}

void validate_security_context(const Json& c, const std::string& at, std::vector<Cause>* out) {
  if (!has(c, "securityContext")) return;
  const Json& sc = c["securityContext"];
  const std::string sp = at + ".securityContext";
  validate_ids(sc, sp, {"runAsUser", "runAsGroup"}, out);
  validate_seccomp(sc, sp, out);
  const Json* escalation = at_path(sc, {"allowPrivilegeEscalation"});
  if (!escalation || *escalation != false) return;
  if (const Json* priv = at_path(sc, {"privileged"}); priv && *priv == true) {
    out->push_back(invalid(sp, sc, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"));
  }
  const Json* add = at_path(sc, {"capabilities", "add"});
  for (const auto& cap : add && add->is_array() ? *add : Json::array()) {
    if (cap == "CAP_SYS_ADMIN") {
      out->push_back(invalid(sp, sc, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"));
    }
  }
}

void validate_port_ref(const Json& port, const Json& c, const std::string& at, std::vector<Cause>* out) {
  if (port.is_number_integer()) {
    field::each_invalid(out, at, port, field::port_number(port.get<std::int64_t>()));
    return;
  }
  if (!port.is_string()) {  // absent: the zero IntOrString, port 0
    field::each_invalid(out, at, 0, field::port_number(0));
    return;
  }
  const std::string name = port.get<std::string>();
  const auto msgs = field::port_name(name);
  field::each_invalid(out, at, name, msgs);
  if (!msgs.empty()) return;
  for (const auto& p : list_at(c, "ports")) {
    if (string_at(p, {"name"}) == name) return;
  }
  // Stricter than kube-apiserver: a probe naming a port the container lacks fails in the kubelet, forever.
  out->push_back(field::not_found(at, name));
}

void validate_probe(const Json& c, const char* key, const std::string& at, std::vector<Cause>* out) {
  if (!has(c, key)) return;
  const Json& probe = c[key];
  const std::string pp = at + "." + key;
  int handlers = 0;
  for (const char* h : {"exec", "httpGet", "tcpSocket", "grpc"}) {
    if (!has(probe, h)) continue;
    const std::string hp = pp + "." + h;
    if (handlers++ > 0) {
      out->push_back(forbidden(hp, "may not specify more than 1 handler type"));
      continue;
    }
    const Json& handler = probe[h];
    if (std::string(h) == "exec") {
      const Json* cmd = at_path(handler, {"command"});
      if (!cmd || !cmd->is_array() || cmd->empty()) out->push_back(required(hp + ".command"));
    } else if (std::string(h) == "grpc") {
      const std::int64_t port = int_at(handler, {"port"}, 0);
      field::each_invalid(out, hp + ".port", port, field::port_number(port));
    } else {
      validate_port_ref(handler.value("port", Json()), c, hp + ".port", out);
      const std::string scheme = string_at(handler, {"scheme"}, "HTTP");
      if (std::string(h) == "httpGet" && scheme != "HTTP" && scheme != "HTTPS") {
        out->push_back(not_supported(hp + ".scheme", scheme, {"HTTP", "HTTPS"}));
      }
    }
  }
  if (handlers == 0) out->push_back(required(pp, "must specify a handler type"));
  for (const char* n : {"initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"}) {
    non_negative(probe, n, pp, out);
  }
  if (const Json* grace = at_path(probe, {"terminationGracePeriodSeconds"}); grace && grace->is_number_integer()) {
    if (std::string(key) == "readinessProbe") {
      out->push_back(invalid(pp + ".terminationGracePeriodSeconds", *grace, "must not be set for readinessProbes"));
    } else if (grace->get<std::int64_t>() <= 0) {
      out->push_back(invalid(pp + ".terminationGracePeriodSeconds", *grace, "must be greater than 0"));
    }
  }
  const Json* success = at_path(probe, {"successThreshold"});
  if (std::string(key) != "readinessProbe" && success && success->is_number_integer() && *success != 1) {
    out->push_back(invalid(pp + ".successThreshold", *success, "must be 1"));
  }
}

void validate_container(const Json& c, const std::set<std::string>& volumes, const std::string& at, bool init,
                        std::vector<Cause>* out) {
  const std::string name = string_at(c, {"name"});
  if (name.empty()) out->push_back(required(at + ".name"));
  else field::each_invalid(out, at + ".name", name, field::dns1123_label(name));
  if (string_at(c, {"image"}).empty()) out->push_back(required(at + ".image"));
  if (const std::string policy = string_at(c, {"terminationMessagePolicy"});
      !policy.empty() && policy != "File" && policy != "FallbackToLogsOnError") {
    out->push_back(not_supported(at + ".terminationMessagePolicy", policy, {"File", "FallbackToLogsOnError"}));
  }
  validate_ports(c, at, out);
  validate_env(c, at, out);
  validate_mounts(c, volumes, at, out);
  if (const std::string pull = string_at(c, {"imagePullPolicy"});
      !pull.empty() && pull != "Always" && pull != "IfNotPresent" && pull != "Never") {
    out->push_back(not_supported(at + ".imagePullPolicy", pull, {"Always", "IfNotPresent", "Never"}));
  }
  validate_resources(c, at, out);
  validate_security_context(c, at, out);
  if (init) {
    for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe", "lifecycle"}) {
      if (has(c, probe) && string_at(c, {"restartPolicy"}) != "Always") {
        out->push_back(forbidden(at + "." + probe, "may not be set for init containers without restartPolicy=Always"));
      }
    }
    return;
  }
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) validate_probe(c, probe, at, out);
}

}  // namespace

void default_pod_spec_details(Json& spec) {
  for (const char* list : {"containers", "initContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) {
      if (!c.is_object()) continue;
      for (const char* key : {"livenessProbe", "readinessProbe", "startupProbe"}) {
        if (!c.contains(key) || !c[key].is_object()) continue;
        Json& p = c[key];
        // SetDefaults_Probe: zero means unset.
        static const std::pair<const char*, int> kProbeDefaults[] = {
            {"timeoutSeconds", 1}, {"periodSeconds", 10}, {"successThreshold", 1}, {"failureThreshold", 3}};
        for (const auto& [k, d] : kProbeDefaults) {
          if (!p.contains(k) || p[k].is_null() || p[k] == 0) p[k] = d;
        }
        if (p.contains("httpGet") && p["httpGet"].is_object()) {
          if (string_at(p["httpGet"], {"path"}).empty()) p["httpGet"]["path"] = "/";
          if (string_at(p["httpGet"], {"scheme"}).empty()) p["httpGet"]["scheme"] = "HTTP";
        }
      }
      if (c.contains("env") && c["env"].is_array()) {
        for (auto& e : c["env"]) {
          Json* ref = e.is_object() && e.contains("valueFrom") && e["valueFrom"].is_object() && e["valueFrom"].contains("fieldRef")
                          ? &e["valueFrom"]["fieldRef"] : nullptr;
          if (ref && ref->is_object() && !ref->contains("apiVersion")) (*ref)["apiVersion"] = "v1";
        }
      }
    }
  }
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (auto& v : spec["volumes"]) {
      for (const char* src : {"configMap", "secret", "projected", "downwardAPI"}) {
        if (v.is_object() && v.contains(src) && v[src].is_object() && !v[src].contains("defaultMode")) v[src]["defaultMode"] = 420;
      }
    }
  }
}

void validate_pod_spec(const Json& spec, const std::string& path, std::vector<Cause>* out) {
  if (!spec.is_object()) return;
  const std::set<std::string> volumes = validate_volumes(spec, path, out);
  const Json& containers = list_at(spec, "containers");
  if (containers.empty()) out->push_back(required(path + ".containers"));
  std::set<std::string> names;
  for (std::size_t i = 0; i < containers.size(); ++i) {
    const std::string at = idx(path + ".containers", i);
    validate_container(containers[i], volumes, at, false, out);
    const std::string name = string_at(containers[i], {"name"});
    if (!names.insert(name).second) out->push_back(field::duplicate(at + ".name", name));
  }
  const Json& inits = list_at(spec, "initContainers");
  for (std::size_t i = 0; i < inits.size(); ++i) {
    const std::string at = idx(path + ".initContainers", i);
    validate_container(inits[i], volumes, at, true, out);
    const std::string name = string_at(inits[i], {"name"});
    if (!names.insert(name).second) out->push_back(field::duplicate(at + ".name", name));
  }
  if (const std::string policy = string_at(spec, {"restartPolicy"});
      !policy.empty() && policy != "Always" && policy != "OnFailure" && policy != "Never") {
    out->push_back(not_supported(path + ".restartPolicy", policy, {"Always", "OnFailure", "Never"}));
  }
  if (const std::string dns = string_at(spec, {"dnsPolicy"});
      !dns.empty() && dns != "ClusterFirstWithHostNet" && dns != "ClusterFirst" && dns != "Default" && dns != "None") {
    out->push_back(not_supported(path + ".dnsPolicy", dns, {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"}));
  }
  if (has(spec, "securityContext")) {
    const Json& sc = spec["securityContext"];
    validate_ids(sc, path + ".securityContext", {"runAsUser", "runAsGroup", "fsGroup"}, out);
    validate_seccomp(sc, path + ".securityContext", out);
  }
  non_negative(spec, "terminationGracePeriodSeconds", path, out);
  if (const std::string sa = string_at(spec, {"serviceAccountName"}); !sa.empty()) {
    field::each_invalid(out, path + ".serviceAccountName", sa, field::dns1123_subdomain(sa));
  }
}

}  // namespace opspilot::k8s_sim
