#include "examples/k8s-sim/seed.h"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "examples/k8s-sim/resources.h"
#include "examples/k8s-sim/simulator.h"

namespace opspilot::k8s_sim {

namespace {

Json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  char* end = nullptr;
  const long long i = std::strtoll(text.c_str(), &end, 10);
  if (*end == '\0' && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-')) return i;
  const double d = std::strtod(text.c_str(), &end);
  if (*end == '\0' && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' || text[0] == '.')) return d;
  return text;
}

Json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& el : node) a.push_back(to_json(el));
      return a;
    }
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : node) o[kv.first.as<std::string>()] = to_json(kv.second);
      return o;
    }
    default: return nullptr;
  }
}

void check_keys(const Json& object, const std::set<std::string>& allowed, const std::string& where, std::string* errors) {
  if (!object.is_object()) {
    *errors += where + " is " + object.dump() + ", expected a mapping\n";
    return;
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!allowed.count(it.key())) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      *errors += where + ": unknown key '" + it.key() + "' (expected one of: " + list + ")\n";
    }
  }
}

Json meta(const Json& entry) {
  return {{"name", string_at(entry, {"name"})}, {"namespace", string_at(entry, {"namespace"}, "default")}};
}

Json labels_of(const Json& entry) {
  if (const Json* l = at_path(entry, {"labels"}); l && l->is_object()) return *l;
  return {{"app", string_at(entry, {"name"})}};
}

Json pod_template(const Json& entry) {
  Json containers;
  if (const Json* c = at_path(entry, {"containers"}); c && c->is_array()) {
    containers = *c;
  } else {
    containers = Json::array({{{"name", string_at(entry, {"container"}, string_at(entry, {"name"}))},
                               {"image", string_at(entry, {"image"})}}});
  }
  Json tmpl = {{"metadata", {{"labels", labels_of(entry)}}}, {"spec", {{"containers", containers}}}};
  if (const Json* a = at_path(entry, {"annotations"}); a && a->is_object()) tmpl["metadata"]["annotations"] = *a;
  return tmpl;
}

const std::set<std::string> kWorkloadKeys = {"name", "namespace", "replicas", "image", "container", "containers",
                                             "labels", "annotations"};

}  // namespace

bool parse_document(const std::string& text, const std::string& name, Json* out, std::string* error) {
  try {
    const YAML::Node root = YAML::Load(text);
    *out = to_json(root);
    if (out->is_null()) *out = Json::object();
    return true;
  } catch (const YAML::Exception& e) {
    // yaml-cpp marks are 0-based; people count from 1.
    *error = name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg;
    return false;
  }
}

bool load_document(const std::string& path, Json* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read the seed file '" + path + "'";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_document(ss.str(), path, out, error);
}

std::string read_settings(const Json& document, SeedSettings* out) {
  std::string errors;
  check_keys(document, {"settings", "auth", "namespaces", "deployments", "statefulsets", "leases",
                        "podDisruptionBudgets", "objects"}, "seed", &errors);
  if (const Json* s = at_path(document, {"settings"})) {
    check_keys(*s, {"timeScale", "podReadySeconds", "neverReadyImage", "seed"}, "settings", &errors);
    auto number = [&](const char* key, std::optional<double>* dst) {
      const Json* v = at_path(*s, {key});
      if (!v) return;
      if (!v->is_number() || v->get<double>() < 0) {
        errors += std::string("settings.") + key + " is " + v->dump() + ", expected a number >= 0\n";
      } else {
        *dst = v->get<double>();
      }
    };
    number("timeScale", &out->time_scale);
    number("podReadySeconds", &out->pod_ready_seconds);
    if (out->time_scale && *out->time_scale <= 0) errors += "settings.timeScale is 0, expected a number > 0\n";
    if (const Json* v = at_path(*s, {"neverReadyImage"})) {
      if (v->is_string()) out->never_ready_image = v->get<std::string>();
      else errors += "settings.neverReadyImage is " + v->dump() + ", expected a string\n";
    }
    if (const Json* v = at_path(*s, {"seed"})) {
      if (v->is_number_unsigned()) out->seed = v->get<std::uint64_t>();
      else errors += "settings.seed is " + v->dump() + ", expected a whole number >= 0\n";
    }
  }
  if (const Json* a = at_path(document, {"auth"})) {
    std::string error;
    check_keys(*a, {"tokens"}, "auth", &errors);
    if (!Authenticator::from_json(*a, &out->auth, &error)) errors += error + "\n";
  }
  return errors;
}

std::string seed_objects(const Json& document, std::vector<Json>* out) {
  std::string errors;
  auto each = [&](const char* key, auto&& fn) {
    const Json* list = at_path(document, {key});
    if (!list) return;
    if (!list->is_array()) {
      errors += std::string(key) + " is " + list->dump() + ", expected a list\n";
      return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) fn((*list)[i], std::string(key) + "[" + std::to_string(i) + "]");
  };
  each("namespaces", [&](const Json& ns, const std::string& where) {
    if (!ns.is_string()) {
      errors += where + " is " + ns.dump() + ", expected a namespace name\n";
      return;
    }
    out->push_back({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  });
  each("deployments", [&](const Json& d, const std::string& where) {
    std::set<std::string> keys = kWorkloadKeys;
    keys.insert({"progressDeadlineSeconds", "revisionHistoryLimit", "maxSurge", "maxUnavailable", "strategy", "minReadySeconds"});
    check_keys(d, keys, where, &errors);
    if (!d.is_object()) return;  // check_keys said so
    Json spec = {{"replicas", d.value("replicas", Json(1))},
                 {"selector", {{"matchLabels", labels_of(d)}}},
                 {"template", pod_template(d)}};
    for (const char* k : {"progressDeadlineSeconds", "revisionHistoryLimit", "minReadySeconds"}) {
      if (d.contains(k)) spec[k] = d[k];
    }
    const std::string strategy = string_at(d, {"strategy"}, "RollingUpdate");
    spec["strategy"] = {{"type", strategy}};
    if (strategy == "RollingUpdate") {
      spec["strategy"]["rollingUpdate"] = {{"maxSurge", d.value("maxSurge", Json("25%"))},
                                           {"maxUnavailable", d.value("maxUnavailable", Json("25%"))}};
    }
    out->push_back({{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", meta(d)}, {"spec", spec}});
  });
  each("statefulsets", [&](const Json& s, const std::string& where) {
    std::set<std::string> keys = kWorkloadKeys;
    keys.insert({"serviceName", "podManagementPolicy"});
    check_keys(s, keys, where, &errors);
    if (!s.is_object()) return;  // check_keys said so
    Json spec = {{"replicas", s.value("replicas", Json(1))},
                 {"selector", {{"matchLabels", labels_of(s)}}},
                 {"serviceName", string_at(s, {"serviceName"}, string_at(s, {"name"}))},
                 {"template", pod_template(s)}};
    if (s.contains("podManagementPolicy")) spec["podManagementPolicy"] = s["podManagementPolicy"];
    out->push_back({{"apiVersion", "apps/v1"}, {"kind", "StatefulSet"}, {"metadata", meta(s)}, {"spec", spec}});
  });
  each("leases", [&](const Json& l, const std::string& where) {
    check_keys(l, {"name", "namespace", "holder", "leaseDurationSeconds"}, where, &errors);
    if (!l.is_object()) return;  // check_keys said so
    Json spec = Json::object();
    if (l.contains("holder")) spec["holderIdentity"] = l["holder"];
    if (l.contains("leaseDurationSeconds")) spec["leaseDurationSeconds"] = l["leaseDurationSeconds"];
    out->push_back({{"apiVersion", "coordination.k8s.io/v1"}, {"kind", "Lease"}, {"metadata", meta(l)}, {"spec", spec}});
  });
  each("podDisruptionBudgets", [&](const Json& p, const std::string& where) {
    check_keys(p, {"name", "namespace", "selector", "minAvailable", "maxUnavailable"}, where, &errors);
    if (!p.is_object()) return;  // check_keys said so
    Json spec = {{"selector", {{"matchLabels", p.value("selector", Json::object())}}}};
    for (const char* k : {"minAvailable", "maxUnavailable"}) {
      if (p.contains(k)) spec[k] = p[k];
    }
    out->push_back({{"apiVersion", "policy/v1"}, {"kind", "PodDisruptionBudget"}, {"metadata", meta(p)}, {"spec", spec}});
  });
  each("objects", [&](const Json& o, const std::string& where) {
    if (!o.is_object() || !find_kind(string_at(o, {"apiVersion"}), string_at(o, {"kind"}))) {
      errors += where + " has apiVersion '" + string_at(o, {"apiVersion"}) + "' and kind '" + string_at(o, {"kind"}) +
                "', expected a served kind (Deployment, StatefulSet, ReplicaSet, Pod, Lease, PodDisruptionBudget, "
                "Event, Namespace, ServiceAccount, ConfigMap, Secret, Service, PersistentVolumeClaim, Role, "
                "RoleBinding, ClusterRole, ClusterRoleBinding, ServiceMonitor, PrometheusRule)\n";
      return;
    }
    out->push_back(o);
  });
  return errors;
}

std::string Simulator::seed(const Json& document) {
  std::vector<Json> objects;
  std::string errors = seed_objects(document, &objects);
  if (!errors.empty()) return errors;
  for (Json& o : objects) {
    const ResourceType* type = find_kind(string_at(o, {"apiVersion"}), string_at(o, {"kind"}));
    const std::string ns = type->namespaced ? string_at(o, {"metadata", "namespace"}, "default") : "";
    if (type->plural == "namespaces" && store_.find(*type, "", string_at(o, {"metadata", "name"}))) continue;
    if (o.contains("metadata")) o["metadata"].erase("resourceVersion");
    const ApiResult r = registry_.create_object(*type, ns, o, {});
    if (!r.ok()) {
      errors += type->kind + " " + (ns.empty() ? "" : ns + "/") + string_at(o, {"metadata", "name"}) + ": " +
                string_at(r.body, {"message"}) + "\n";
    }
  }
  if (errors.empty()) controllers_.settle();
  return errors;
}

}  // namespace opspilot::k8s_sim
