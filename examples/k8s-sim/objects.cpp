#include "examples/k8s-sim/objects.h"

#include <map>
#include <set>

#include "examples/k8s-sim/field_errors.h"
#include "examples/k8s-sim/selector.h"
#include "examples/k8s-sim/validation.h"

namespace opspilot::k8s_sim {

namespace {

bool is_apps_workload(const ResourceType& t) {
  return t.group == "apps" && (t.plural == "deployments" || t.plural == "replicasets" || t.plural == "statefulsets");
}

std::string image_pull_policy(const std::string& image) {
  const auto slash = image.rfind('/');
  const std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
  if (last.find('@') != std::string::npos) return "IfNotPresent";
  const auto colon = last.rfind(':');
  if (colon == std::string::npos || last.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

// Defaults fill in what is missing (absent or null); a value of the wrong type is left for
// validate() to report, never replaced.
bool missing(const Json& object, const char* key) { return !object.contains(key) || object[key].is_null(); }

void default_template(Json& object) {
  Json& tmpl = object["spec"]["template"];
  if (!tmpl.is_object()) return;
  if (missing(tmpl, "metadata")) tmpl["metadata"] = Json::object();
  if (missing(tmpl, "spec")) tmpl["spec"] = Json::object();
  default_pod_spec(tmpl["spec"]);
}

Cause invalid_value(const std::string& field, const Json& value, const std::string& why) {
  return field::invalid(field, value, why);
}

Cause required(const std::string& field) { return field::required(field); }

// Kinds whose objects have a spec (the rest keep their content at the top level: data, rules...).
bool has_spec(const ResourceType& t) {
  return !(t.plural == "events" || t.plural == "configmaps" || t.plural == "secrets" || t.plural == "serviceaccounts" ||
           is_rbac_kind(t));
}

void validate_non_negative(const Json& object, std::initializer_list<const char*> path, const std::string& field,
                           std::vector<Cause>* causes) {
  const Json* v = at_path(object, path);
  if (!v) return;
  if (!v->is_number_integer()) {
    causes->push_back(invalid_value(field, *v, "must be a whole number"));
  } else if (v->get<std::int64_t>() < 0) {
    causes->push_back(invalid_value(field, *v, "must be greater than or equal to 0"));
  }
}

// The shape checks a typed decoder would make: objects where objects belong.
void validate_types(const ResourceType& type, const Json& object, std::vector<Cause>* causes) {
  std::vector<std::pair<std::vector<const char*>, const char*>> objects = {
      {{"metadata", "labels"}, "metadata.labels"}, {{"metadata", "annotations"}, "metadata.annotations"}};
  if (has_spec(type)) objects.push_back({{"spec"}, "spec"});
  if (is_apps_workload(type)) {
    objects.push_back({{"spec", "template"}, "spec.template"});
    objects.push_back({{"spec", "template", "metadata"}, "spec.template.metadata"});
    objects.push_back({{"spec", "template", "spec"}, "spec.template.spec"});
  }
  if (type.plural == "deployments") {
    objects.push_back({{"spec", "strategy"}, "spec.strategy"});
    objects.push_back({{"spec", "strategy", "rollingUpdate"}, "spec.strategy.rollingUpdate"});
  }
  for (const auto& [path, field] : objects) {
    const Json* cur = &object;
    for (const char* step : path) {
      cur = cur && cur->is_object() && cur->contains(step) ? &(*cur)[step] : nullptr;
    }
    if (cur && !cur->is_null() && !cur->is_object()) causes->push_back(invalid_value(field, *cur, "must be an object"));
  }
  if (const Json* paused = at_path(object, {"spec", "paused"}); paused && !paused->is_boolean() && !paused->is_null()) {
    causes->push_back(invalid_value("spec.paused", *paused, "must be true or false"));
  }
}

void validate_workload(const ResourceType& type, const Json& object, const Json* old, std::vector<Cause>* causes) {
  validate_non_negative(object, {"spec", "replicas"}, "spec.replicas", causes);
  validate_non_negative(object, {"spec", "revisionHistoryLimit"}, "spec.revisionHistoryLimit", causes);
  const Json* selector = at_path(object, {"spec", "selector"});
  LabelSelector sel;
  std::string error;
  if (!selector || !selector->is_object()) {
    causes->push_back(required("spec.selector"));
  } else if (!LabelSelector::from_json(*selector, &sel, &error)) {
    causes->push_back(invalid_value("spec.selector", *selector, error));
  } else if (sel.empty()) {
    causes->push_back(invalid_value("spec.selector", *selector, "empty selector is invalid for " + type.singular));
  } else {
    const Json* labels = at_path(object, {"spec", "template", "metadata", "labels"});
    if (!labels || !sel.matches(*labels)) {
      causes->push_back(invalid_value("spec.template.metadata.labels", labels ? *labels : Json::object(),
                                      "`selector` does not match template `labels`"));
    }
  }
  if (old && selector) {
    const Json* before = at_path(*old, {"spec", "selector"});
    if (before && canonical(*before) != canonical(*selector)) {
      causes->push_back(invalid_value("spec.selector", *selector, "field is immutable"));
    }
  }
  const Json* pod_spec = at_path(object, {"spec", "template", "spec"});
  if (!pod_spec) {
    causes->push_back(required("spec.template.spec.containers"));
  } else {
    validate_pod_spec(*pod_spec, "spec.template.spec", causes);
    // ValidatePodTemplateSpecForReplicaSet/StatefulSet: controllers only run pods that restart.
    if (const std::string policy = string_at(*pod_spec, {"restartPolicy"}); !policy.empty() && policy != "Always") {
      causes->push_back(field::not_supported("spec.template.spec.restartPolicy", policy, {"Always"}));
    }
  }
  field::validate_labels(at_path(object, {"spec", "template", "metadata", "labels"}), "spec.template.metadata", causes);
  field::validate_annotations(at_path(object, {"spec", "template", "metadata", "annotations"}), "spec.template.metadata",
                              causes);
  if (type.plural == "deployments") {
    if (const Json* ru = at_path(object, {"spec", "strategy", "rollingUpdate"}); ru && ru->is_object()) {
      const int replicas = static_cast<int>(int_at(object, {"spec", "replicas"}, 1));
      const auto surge = resolve_int_or_percent(ru->value("maxSurge", Json(0)), replicas, true);
      const auto unavailable = resolve_int_or_percent(ru->value("maxUnavailable", Json(0)), replicas, false);
      if (!surge) causes->push_back(invalid_value("spec.strategy.rollingUpdate.maxSurge", ru->value("maxSurge", Json()),
                                                  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')"));
      if (!unavailable) causes->push_back(invalid_value("spec.strategy.rollingUpdate.maxUnavailable", ru->value("maxUnavailable", Json()),
                                                        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')"));
      if (surge && unavailable && ru->value("maxSurge", Json(0)) == Json(0) && ru->value("maxUnavailable", Json(0)) == Json(0)) {
        causes->push_back(invalid_value("spec.strategy.rollingUpdate.maxUnavailable", 0, "may not be 0 when `maxSurge` is 0"));
      }
    }
    const std::int64_t deadline = int_at(object, {"spec", "progressDeadlineSeconds"}, 600);
    if (deadline <= int_at(object, {"spec", "minReadySeconds"}, 0)) {
      causes->push_back(invalid_value("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"));
    }
  }
}

}  // namespace

void default_pod_spec(Json& spec) {
  if (!spec.is_object()) return;
  if (!spec.contains("restartPolicy")) spec["restartPolicy"] = "Always";
  if (!spec.contains("dnsPolicy")) spec["dnsPolicy"] = "ClusterFirst";
  if (!spec.contains("schedulerName")) spec["schedulerName"] = "default-scheduler";
  if (!spec.contains("terminationGracePeriodSeconds")) spec["terminationGracePeriodSeconds"] = 30;
  if (!spec.contains("securityContext")) spec["securityContext"] = Json::object();
  for (const char* list : {"containers", "initContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) {
      if (!c.is_object()) continue;
      if (!c.contains("terminationMessagePath")) c["terminationMessagePath"] = "/dev/termination-log";
      if (!c.contains("terminationMessagePolicy")) c["terminationMessagePolicy"] = "File";
      if (!c.contains("imagePullPolicy")) c["imagePullPolicy"] = image_pull_policy(string_at(c, {"image"}));
      if (!c.contains("resources")) c["resources"] = Json::object();
      if (c.contains("ports") && c["ports"].is_array()) {
        for (auto& p : c["ports"]) {
          if (p.is_object() && !p.contains("protocol")) p["protocol"] = "TCP";
        }
      }
    }
  }
  default_pod_spec_details(spec);
}

void apply_defaults(const ResourceType& type, Json& object) {
  if (is_core_config_kind(type)) return default_core_kind(type, object);
  if (is_rbac_kind(type)) return default_rbac_kind(type, object);
  if (is_monitoring_kind(type)) return default_monitoring_kind(type, object);
  if (missing(object, "spec")) {
    if (type.plural == "leases" || type.plural == "events") return;
    object["spec"] = Json::object();
  }
  if (!object["spec"].is_object()) return;
  Json& spec = object["spec"];
  if (is_apps_workload(type)) {
    if (!spec.contains("replicas")) spec["replicas"] = 1;
    if (type.plural != "replicasets" && !spec.contains("revisionHistoryLimit")) spec["revisionHistoryLimit"] = 10;
    default_template(object);
  }
  if (type.plural == "deployments") {
    if (!spec.contains("progressDeadlineSeconds")) spec["progressDeadlineSeconds"] = 600;
    if (missing(spec, "strategy")) spec["strategy"] = Json::object();
    Json& strategy = spec["strategy"];
    if (strategy.is_object()) {
      if (missing(strategy, "type")) strategy["type"] = "RollingUpdate";
      if (strategy["type"] == "RollingUpdate" && missing(strategy, "rollingUpdate")) strategy["rollingUpdate"] = Json::object();
      if (strategy["type"] == "RollingUpdate" && strategy["rollingUpdate"].is_object()) {
        if (missing(strategy["rollingUpdate"], "maxSurge")) strategy["rollingUpdate"]["maxSurge"] = "25%";
        if (missing(strategy["rollingUpdate"], "maxUnavailable")) strategy["rollingUpdate"]["maxUnavailable"] = "25%";
      }
    }
  } else if (type.plural == "statefulsets") {
    if (!spec.contains("podManagementPolicy")) spec["podManagementPolicy"] = "OrderedReady";
    if (!spec.contains("updateStrategy")) spec["updateStrategy"] = {{"type", "RollingUpdate"}, {"rollingUpdate", {{"partition", 0}}}};
    if (!spec.contains("persistentVolumeClaimRetentionPolicy")) {
      spec["persistentVolumeClaimRetentionPolicy"] = {{"whenDeleted", "Retain"}, {"whenScaled", "Retain"}};
    }
  } else if (type.plural == "pods") {
    default_pod_spec(spec);
  } else if (type.plural == "namespaces") {
    if (!spec.contains("finalizers")) spec["finalizers"] = Json::array({"kubernetes"});
    object["status"] = {{"phase", "Active"}};
    Json& meta = object["metadata"];
    if (missing(meta, "labels")) meta["labels"] = Json::object();
    if (meta["labels"].is_object()) meta["labels"]["kubernetes.io/metadata.name"] = string_at(object, {"metadata", "name"});
  }
}

std::vector<std::string> name_problems(const ResourceType& type, const std::string& name) {
  if (type.plural == "namespaces") return field::dns1123_label(name);
  if (type.plural == "services") return field::dns1035_label(name);  // ValidateServiceName
  if (is_rbac_kind(type)) return field::path_segment_name(name);     // ValidateRBACName: "system:foo" is fine
  return field::dns1123_subdomain(name);
}

bool valid_name(const ResourceType& type, const std::string& name, std::string* why) {
  const auto problems = name_problems(type, name);
  if (!problems.empty()) *why = problems.front();
  return problems.empty();
}

std::vector<Cause> validate(const ResourceType& type, const Json& object, const Json* old) {
  std::vector<Cause> causes;
  const std::string name = string_at(object, {"metadata", "name"});
  field::each_invalid(&causes, "metadata.name", name, name_problems(type, name));
  field::validate_labels(at_path(object, {"metadata", "labels"}), "metadata", &causes);
  field::validate_annotations(at_path(object, {"metadata", "annotations"}), "metadata", &causes);
  validate_types(type, object, &causes);
  if (is_apps_workload(type)) validate_workload(type, object, old, &causes);
  if (is_core_config_kind(type)) {
    validate_core_kind(type, object, old, &causes);
  } else if (is_rbac_kind(type)) {
    validate_rbac_kind(type, object, old, &causes);
  } else if (is_monitoring_kind(type)) {
    validate_monitoring_kind(type, object, &causes);
  } else if (type.plural == "pods") {
    if (const Json* spec = at_path(object, {"spec"})) validate_pod_spec(*spec, "spec", &causes);
  } else if (type.plural == "leases") {
    if (const Json* d = at_path(object, {"spec", "leaseDurationSeconds"})) {
      if (!d->is_number_integer() || d->get<std::int64_t>() <= 0) {
        causes.push_back(invalid_value("spec.leaseDurationSeconds", *d, "must be greater than 0"));
      }
    }
  } else if (type.plural == "poddisruptionbudgets") {
    const Json* min = at_path(object, {"spec", "minAvailable"});
    const Json* max = at_path(object, {"spec", "maxUnavailable"});
    if (min && max) causes.push_back(invalid_value("spec", object["spec"], "minAvailable and maxUnavailable cannot be both set"));
    if (const Json* selector = at_path(object, {"spec", "selector"}); !selector || selector->is_null()) {
      // Stricter than kube-apiserver, which accepts it: in policy/v1 such a budget covers every pod of the namespace.
      causes.push_back(field::required("spec.selector", "a PodDisruptionBudget without a selector covers every pod in "
                                                        "its namespace (kube-apiserver accepts it; the simulator does not)"));
    }
    for (auto [v, field] : {std::pair{min, "spec.minAvailable"}, std::pair{max, "spec.maxUnavailable"}}) {
      if (v && !resolve_int_or_percent(*v, 100, true)) {
        causes.push_back(invalid_value(field, *v, "must be a whole number or a percentage such as \"50%\""));
      }
    }
  } else if (type.plural == "events") {
    const std::string ns = string_at(object, {"metadata", "namespace"});
    const std::string involved = string_at(object, {"involvedObject", "namespace"});
    if (!involved.empty() && involved != ns) {
      causes.push_back(invalid_value("involvedObject.namespace", involved, "does not match event.namespace"));
    }
  }
  return causes;
}

std::optional<ApiResult> admission_webhooks(const ResourceType& type, const Json& object) {
  return monitoring_webhook(type, object);
}

std::vector<Cause> validate_scale(const Json& scale) {
  std::vector<Cause> causes;
  validate_non_negative(scale, {"spec", "replicas"}, "spec.replicas", &causes);
  return causes;
}

std::vector<std::string> unknown_fields(const ResourceType& type, const Json& object) {
  static const std::set<std::string> kTop = {"apiVersion", "kind", "metadata", "spec", "status"};
  static const std::set<std::string> kEvent = {"apiVersion", "kind", "metadata", "involvedObject", "reason", "message",
                                               "source", "firstTimestamp", "lastTimestamp", "count", "type",
                                               "eventTime", "series", "action", "related", "reportingComponent",
                                               "reportingInstance"};
  static const std::set<std::string> kMeta = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
                                              "generation", "creationTimestamp", "deletionTimestamp",
                                              "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
                                              "finalizers", "managedFields"};
  // The top-level fields of the kinds that keep their content beside metadata instead of in a spec.
  static const std::map<std::string, std::set<std::string>> kFlat = {
      {"events", kEvent},
      {"configmaps", {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"}},
      {"secrets", {"apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"}},
      {"serviceaccounts", {"apiVersion", "kind", "metadata", "secrets", "imagePullSecrets", "automountServiceAccountToken"}},
      {"roles", {"apiVersion", "kind", "metadata", "rules"}},
      {"clusterroles", {"apiVersion", "kind", "metadata", "rules", "aggregationRule"}},
      {"rolebindings", {"apiVersion", "kind", "metadata", "subjects", "roleRef"}},
      {"clusterrolebindings", {"apiVersion", "kind", "metadata", "subjects", "roleRef"}}};
  std::vector<std::string> unknown;
  if (!object.is_object()) return unknown;
  const auto flat = kFlat.find(type.plural);
  const auto& top = flat == kFlat.end() ? kTop : flat->second;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!top.count(it.key())) unknown.push_back(it.key());
  }
  if (const Json* meta = at_path(object, {"metadata"}); meta && meta->is_object()) {
    for (auto it = meta->begin(); it != meta->end(); ++it) {
      if (!kMeta.count(it.key())) unknown.push_back("metadata." + it.key());
    }
  }
  return unknown;
}

bool spec_changed(const Json& before, const Json& after) {
  const Json* a = at_path(before, {"spec"});
  const Json* b = at_path(after, {"spec"});
  return canonical(a ? *a : Json()) != canonical(b ? *b : Json());
}

}  // namespace opspilot::k8s_sim
