// rbac.authorization.k8s.io/v1 kinds, defaulted and validated as pkg/apis/rbac/v1/defaults.go and
// pkg/apis/rbac/validation do it: rules need verbs; resource rules need apiGroups and resources;
// non-resource URLs only in ClusterRoles; bindings refer to a role in the RBAC group (a
// ClusterRoleBinding only to a ClusterRole) and may never change that reference.
#include "examples/k8s-sim/field_errors.h"
#include "examples/k8s-sim/validation.h"

namespace opspilot::k8s_sim {

namespace {

using field::invalid;
using field::not_supported;
using field::required;

constexpr const char* kRbacGroup = "rbac.authorization.k8s.io";

std::string idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool non_empty_list(const Json& rule, const char* key) {
  const Json* v = at_path(rule, {key});
  return v && v->is_array() && !v->empty();
}

void validate_rules(const Json& object, bool namespaced, std::vector<Cause>* out) {
  const Json* rules = at_path(object, {"rules"});
  for (std::size_t i = 0; rules && rules->is_array() && i < rules->size(); ++i) {
    const Json& rule = (*rules)[i];
    const std::string at = idx("rules", i);
    if (!non_empty_list(rule, "verbs")) out->push_back(required(at + ".verbs", "verbs must contain at least one value"));
    if (non_empty_list(rule, "nonResourceURLs")) {
      const std::string urls = field::go_string_slice(rule["nonResourceURLs"]);
      if (namespaced) {
        out->push_back(field::invalid_printed(at + ".nonResourceURLs", urls, "namespaced rules cannot apply to non-resource URLs"));
      }
      if (non_empty_list(rule, "apiGroups") || non_empty_list(rule, "resources") || non_empty_list(rule, "resourceNames")) {
        out->push_back(field::invalid_printed(at + ".nonResourceURLs", urls,
                                              "rules cannot apply to both regular resources and non-resource URLs"));
      }
      continue;
    }
    if (!non_empty_list(rule, "apiGroups")) {
      out->push_back(required(at + ".apiGroups", "resource rules must supply at least one api group"));
    }
    if (!non_empty_list(rule, "resources")) {
      out->push_back(required(at + ".resources", "resource rules must supply at least one resource"));
    }
  }
}

void validate_aggregation(const Json& object, std::vector<Cause>* out) {
  const Json* rule = at_path(object, {"aggregationRule"});
  if (!rule || rule->is_null()) return;
  const Json* selectors = at_path(*rule, {"clusterRoleSelectors"});
  if (!selectors || !selectors->is_array() || selectors->empty()) {
    out->push_back(required("aggregationRule.clusterRoleSelectors",
                            "at least one clusterRoleSelector required if aggregationRule is non-nil"));
  }
}

// How Go prints an rbac.RoleRef with %#v.
std::string role_ref_text(const Json& ref) {
  return "rbac.RoleRef{APIGroup:\"" + string_at(ref, {"apiGroup"}) + "\", Kind:\"" + string_at(ref, {"kind"}) +
         "\", Name:\"" + string_at(ref, {"name"}) + "\"}";
}

void validate_binding(const Json& object, const Json* old, bool namespaced, std::vector<Cause>* out) {
  const Json empty = Json::object();
  const Json* ref_ptr = at_path(object, {"roleRef"});
  const Json& ref = ref_ptr && ref_ptr->is_object() ? *ref_ptr : empty;
  if (const std::string group = string_at(ref, {"apiGroup"}); group != kRbacGroup) {
    out->push_back(not_supported("roleRef.apiGroup", group, {kRbacGroup}));
  }
  const std::string kind = string_at(ref, {"kind"});
  if (namespaced && kind != "Role" && kind != "ClusterRole") {
    out->push_back(not_supported("roleRef.kind", kind, {"Role", "ClusterRole"}));
  } else if (!namespaced && kind != "ClusterRole") {
    out->push_back(not_supported("roleRef.kind", kind, {"ClusterRole"}));
  }
  const std::string name = string_at(ref, {"name"});
  if (name.empty()) out->push_back(required("roleRef.name"));
  else field::each_invalid(out, "roleRef.name", name, field::path_segment_name(name));

  const Json* subjects = at_path(object, {"subjects"});
  for (std::size_t i = 0; subjects && subjects->is_array() && i < subjects->size(); ++i) {
    const Json& s = (*subjects)[i];
    const std::string at = idx("subjects", i);
    const std::string subject = string_at(s, {"name"});
    const std::string group = string_at(s, {"apiGroup"});
    if (subject.empty()) out->push_back(required(at + ".name"));
    const std::string skind = string_at(s, {"kind"});
    if (skind == "ServiceAccount") {
      if (!subject.empty()) field::each_invalid(out, at + ".name", subject, field::dns1123_subdomain(subject));
      if (!group.empty()) out->push_back(not_supported(at + ".apiGroup", group, {""}));
      if (!namespaced && string_at(s, {"namespace"}).empty()) out->push_back(required(at + ".namespace"));
    } else if (skind == "User" || skind == "Group") {
      if (group != kRbacGroup) out->push_back(not_supported(at + ".apiGroup", group, {kRbacGroup}));
    } else {
      out->push_back(not_supported(at + ".kind", skind, {"ServiceAccount", "User", "Group"}));
    }
  }
  if (old) {
    const Json* before = at_path(*old, {"roleRef"});
    if (before && canonical(*before) != canonical(ref)) out->push_back(field::invalid_printed("roleRef", role_ref_text(ref), "cannot change roleRef"));
  }
}

}  // namespace

bool is_rbac_kind(const ResourceType& t) { return t.group == kRbacGroup; }

void default_rbac_kind(const ResourceType& type, Json& object) {
  if (type.plural != "rolebindings" && type.plural != "clusterrolebindings") return;
  // SetDefaults_RoleBinding / _ClusterRoleBinding / _Subject: the RBAC group where it is implied.
  // roleRef is a struct, not a pointer, in the Go type: an absent one is an empty one, defaulted.
  if (!object.contains("roleRef") || object["roleRef"].is_null()) object["roleRef"] = Json::object();
  if (object["roleRef"].is_object() && string_at(object["roleRef"], {"apiGroup"}).empty()) {
    object["roleRef"]["apiGroup"] = kRbacGroup;
  }
  if (!object.contains("subjects") || !object["subjects"].is_array()) return;
  for (auto& s : object["subjects"]) {
    if (!s.is_object() || !string_at(s, {"apiGroup"}).empty()) continue;
    const std::string kind = string_at(s, {"kind"});
    if (kind == "User" || kind == "Group") s["apiGroup"] = kRbacGroup;
  }
}

void validate_rbac_kind(const ResourceType& type, const Json& object, const Json* old, std::vector<Cause>* out) {
  if (type.plural == "roles") {
    validate_rules(object, true, out);
  } else if (type.plural == "clusterroles") {
    validate_rules(object, false, out);
    validate_aggregation(object, out);
  } else {
    validate_binding(object, old, type.plural == "rolebindings", out);
  }
}

}  // namespace opspilot::k8s_sim
