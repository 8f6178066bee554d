#include "examples/k8s-sim/typed_decode.h"

#include <deque>
#include <limits>
#include <map>

#include "examples/k8s-sim/quantity.h"

namespace opspilot::k8s_sim {

namespace {

enum class Kind { Bool, Int32, Int64, String, Struct, List, Map, IntOrString, Quantity, Bytes };

struct Type {
  Kind kind = Kind::String;
  std::string go;  // the Go type as error messages print it: "bool", "[]v1.Container", "v1.Probe"
  std::vector<std::pair<std::string, const Type*>> fields;  // Struct
  const Type* elem = nullptr;                                // List, Map
};

// The Go types of the served kinds, as far as the simulator checks them. Types live in a deque
// so the pointers between them stay valid while it grows.
class Schema {
 public:
  Schema() { build(); }
  const Type* root(const std::string& plural) const {
    auto it = roots_.find(plural);
    return it == roots_.end() ? nullptr : it->second;
  }

 private:
  const Type* scalar(Kind k, const std::string& go) { return &store_.emplace_back(Type{k, go, {}, nullptr}); }
  const Type* list(const Type* elem) { return &store_.emplace_back(Type{Kind::List, "[]" + elem->go, {}, elem}); }
  const Type* map(const Type* elem, const std::string& go = "") {
    return &store_.emplace_back(Type{Kind::Map, go.empty() ? "map[string]" + elem->go : go, {}, elem});
  }
  const Type* object(const std::string& go, std::vector<std::pair<std::string, const Type*>> fields) {
    return &store_.emplace_back(Type{Kind::Struct, go, std::move(fields), nullptr});
  }
  void build();

  std::deque<Type> store_;
  std::map<std::string, const Type*> roots_;
};

void Schema::build() {
  const Type* b = scalar(Kind::Bool, "bool");
  const Type* i32 = scalar(Kind::Int32, "int32");
  const Type* i64 = scalar(Kind::Int64, "int64");
  const Type* str = scalar(Kind::String, "string");
  auto named = [&](const char* go) { return scalar(Kind::String, go); };
  const Type* ios = scalar(Kind::IntOrString, "intstr.IntOrString");
  const Type* qty = scalar(Kind::Quantity, "resource.Quantity");
  const Type* bytes = scalar(Kind::Bytes, "[]uint8");
  const Type* strings = list(str);
  const Type* string_map = map(str);
  const Type* resource_list = map(qty, "v1.ResourceList");

  const Type* meta = object("v1.ObjectMeta", {{"name", str}, {"generateName", str}, {"namespace", str},
                                              {"labels", string_map}, {"annotations", string_map},
                                              {"finalizers", strings}});
  const Type* selector = object(
      "v1.LabelSelector",
      {{"matchLabels", string_map},
       {"matchExpressions", list(object("v1.LabelSelectorRequirement", {{"key", str},
                                                                        {"operator", named("v1.LabelSelectorOperator")},
                                                                        {"values", strings}}))}});
  const Type* seccomp = object("v1.SeccompProfile", {{"type", named("v1.SeccompProfileType")}, {"localhostProfile", str}});
  const Type* key_to_path = list(object("v1.KeyToPath", {{"key", str}, {"path", str}, {"mode", i32}}));
  const Type* http_get = object("v1.HTTPGetAction", {{"path", str}, {"port", ios}, {"host", str},
                                                     {"scheme", named("v1.URIScheme")},
                                                     {"httpHeaders", list(object("v1.HTTPHeader", {{"name", str}, {"value", str}}))}});
  const Type* tcp = object("v1.TCPSocketAction", {{"port", ios}, {"host", str}});
  const Type* exec = object("v1.ExecAction", {{"command", strings}});
  const Type* probe = object("v1.Probe", {{"exec", exec}, {"httpGet", http_get}, {"tcpSocket", tcp},
                                          {"grpc", object("v1.GRPCAction", {{"port", i32}, {"service", str}})},
                                          {"initialDelaySeconds", i32}, {"timeoutSeconds", i32}, {"periodSeconds", i32},
                                          {"successThreshold", i32}, {"failureThreshold", i32},
                                          {"terminationGracePeriodSeconds", i64}});
  const Type* handler = object("v1.LifecycleHandler", {{"exec", exec}, {"httpGet", http_get}, {"tcpSocket", tcp},
                                                       {"sleep", object("v1.SleepAction", {{"seconds", i64}})}});
  const Type* capability = named("v1.Capability");
  const Type* security = object("v1.SecurityContext",
                                {{"capabilities", object("v1.Capabilities", {{"add", list(capability)}, {"drop", list(capability)}})},
                                 {"privileged", b}, {"runAsUser", i64}, {"runAsGroup", i64}, {"runAsNonRoot", b},
                                 {"readOnlyRootFilesystem", b}, {"allowPrivilegeEscalation", b},
                                 {"procMount", named("v1.ProcMountType")}, {"seccompProfile", seccomp}});
  const Type* key_selector = object("v1.ConfigMapKeySelector", {{"name", str}, {"key", str}, {"optional", b}});
  const Type* env = list(object(
      "v1.EnvVar",
      {{"name", str}, {"value", str},
       {"valueFrom", object("v1.EnvVarSource",
                            {{"fieldRef", object("v1.ObjectFieldSelector", {{"apiVersion", str}, {"fieldPath", str}})},
                             {"resourceFieldRef", object("v1.ResourceFieldSelector",
                                                         {{"containerName", str}, {"resource", str}, {"divisor", qty}})},
                             {"configMapKeyRef", key_selector},
                             {"secretKeyRef", object("v1.SecretKeySelector", {{"name", str}, {"key", str}, {"optional", b}})}})}}));
  const Type* container = object(
      "v1.Container",
      {{"name", str}, {"image", str}, {"command", strings}, {"args", strings}, {"workingDir", str},
       {"ports", list(object("v1.ContainerPort", {{"name", str}, {"hostPort", i32}, {"containerPort", i32},
                                                  {"protocol", named("v1.Protocol")}, {"hostIP", str}}))},
       {"env", env},
       {"resources", object("v1.ResourceRequirements", {{"limits", resource_list}, {"requests", resource_list}})},
       {"volumeMounts", list(object("v1.VolumeMount", {{"name", str}, {"readOnly", b}, {"mountPath", str}, {"subPath", str}}))},
       {"livenessProbe", probe}, {"readinessProbe", probe}, {"startupProbe", probe},
       {"lifecycle", object("v1.Lifecycle", {{"postStart", handler}, {"preStop", handler}})},
       {"terminationMessagePath", str}, {"terminationMessagePolicy", named("v1.TerminationMessagePolicy")},
       {"imagePullPolicy", named("v1.PullPolicy")}, {"securityContext", security}, {"stdin", b}, {"tty", b}});
  const Type* volume = object(
      "v1.Volume",
      {{"name", str},
       {"configMap", object("v1.ConfigMapVolumeSource", {{"name", str}, {"items", key_to_path}, {"defaultMode", i32}, {"optional", b}})},
       {"secret", object("v1.SecretVolumeSource", {{"secretName", str}, {"items", key_to_path}, {"defaultMode", i32}, {"optional", b}})},
       {"emptyDir", object("v1.EmptyDirVolumeSource", {{"medium", named("v1.StorageMedium")}, {"sizeLimit", qty}})},
       {"persistentVolumeClaim", object("v1.PersistentVolumeClaimVolumeSource", {{"claimName", str}, {"readOnly", b}})},
       {"projected", object("v1.ProjectedVolumeSource", {{"defaultMode", i32}})},
       {"downwardAPI", object("v1.DownwardAPIVolumeSource", {{"defaultMode", i32}})}});
  const Type* pod_spec = object(
      "v1.PodSpec",
      {{"volumes", list(volume)}, {"initContainers", list(container)}, {"containers", list(container)},
       {"restartPolicy", named("v1.RestartPolicy")}, {"terminationGracePeriodSeconds", i64},
       {"activeDeadlineSeconds", i64}, {"dnsPolicy", named("v1.DNSPolicy")}, {"nodeSelector", string_map},
       {"serviceAccountName", str}, {"serviceAccount", str}, {"automountServiceAccountToken", b}, {"nodeName", str},
       {"hostNetwork", b}, {"hostPID", b}, {"hostIPC", b}, {"shareProcessNamespace", b},
       {"securityContext", object("v1.PodSecurityContext", {{"runAsUser", i64}, {"runAsGroup", i64}, {"runAsNonRoot", b},
                                                           {"supplementalGroups", list(i64)}, {"fsGroup", i64},
                                                           {"seccompProfile", seccomp}})},
       {"imagePullSecrets", list(object("v1.LocalObjectReference", {{"name", str}}))}, {"schedulerName", str},
       {"priorityClassName", str}, {"enableServiceLinks", b}});
  const Type* pod_template = object("v1.PodTemplateSpec", {{"metadata", meta}, {"spec", pod_spec}});
  const Type* pvc_spec = object(
      "v1.PersistentVolumeClaimSpec",
      {{"accessModes", list(named("v1.PersistentVolumeAccessMode"))}, {"selector", selector},
       {"resources", object("v1.VolumeResourceRequirements", {{"limits", resource_list}, {"requests", resource_list}})},
       {"volumeName", str}, {"storageClassName", str}, {"volumeMode", named("v1.PersistentVolumeMode")}});

  auto root = [&](const std::string& plural, const std::string& go, std::vector<std::pair<std::string, const Type*>> fields) {
    fields.insert(fields.begin(), {"metadata", meta});
    roots_[plural] = object(go, std::move(fields));
  };
  root("deployments", "v1.Deployment",
       {{"spec", object("v1.DeploymentSpec",
                        {{"replicas", i32}, {"selector", selector}, {"template", pod_template},
                         {"strategy", object("v1.DeploymentStrategy",
                                             {{"type", named("v1.DeploymentStrategyType")},
                                              {"rollingUpdate", object("v1.RollingUpdateDeployment",
                                                                       {{"maxUnavailable", ios}, {"maxSurge", ios}})}})},
                         {"minReadySeconds", i32}, {"revisionHistoryLimit", i32}, {"paused", b},
                         {"progressDeadlineSeconds", i32}})}});
  root("replicasets", "v1.ReplicaSet",
       {{"spec", object("v1.ReplicaSetSpec", {{"replicas", i32}, {"minReadySeconds", i32}, {"selector", selector},
                                              {"template", pod_template}})}});
  root("statefulsets", "v1.StatefulSet",
       {{"spec", object("v1.StatefulSetSpec",
                        {{"replicas", i32}, {"selector", selector}, {"template", pod_template}, {"serviceName", str},
                         {"podManagementPolicy", named("v1.PodManagementPolicyType")},
                         {"revisionHistoryLimit", i32}, {"minReadySeconds", i32},
                         {"volumeClaimTemplates", list(object("v1.PersistentVolumeClaim", {{"metadata", meta}, {"spec", pvc_spec}}))}})}});
  root("pods", "v1.Pod", {{"spec", pod_spec}});
  root("poddisruptionbudgets", "v1.PodDisruptionBudget",
       {{"spec", object("v1.PodDisruptionBudgetSpec", {{"minAvailable", ios}, {"selector", selector}, {"maxUnavailable", ios},
                                                        {"unhealthyPodEvictionPolicy", named("v1.UnhealthyPodEvictionPolicyType")}})}});
  root("leases", "v1.Lease",
       {{"spec", object("v1.LeaseSpec", {{"holderIdentity", str}, {"leaseDurationSeconds", i32}, {"leaseTransitions", i32}})}});
  root("namespaces", "v1.Namespace", {});
  root("serviceaccounts", "v1.ServiceAccount",
       {{"secrets", list(object("v1.ObjectReference", {{"kind", str}, {"namespace", str}, {"name", str}}))},
        {"imagePullSecrets", list(object("v1.LocalObjectReference", {{"name", str}}))},
        {"automountServiceAccountToken", b}});
  root("configmaps", "v1.ConfigMap", {{"immutable", b}, {"data", string_map}, {"binaryData", map(bytes)}});
  root("secrets", "v1.Secret", {{"immutable", b}, {"data", map(bytes)}, {"stringData", string_map},
                                {"type", named("v1.SecretType")}});
  root("services", "v1.Service",
       {{"spec", object("v1.ServiceSpec",
                        {{"ports", list(object("v1.ServicePort", {{"name", str}, {"protocol", named("v1.Protocol")},
                                                                  {"appProtocol", str}, {"port", i32}, {"targetPort", ios},
                                                                  {"nodePort", i32}}))},
                         {"selector", string_map}, {"clusterIP", str}, {"clusterIPs", strings},
                         {"type", named("v1.ServiceType")}, {"externalIPs", strings},
                         {"sessionAffinity", named("v1.ServiceAffinity")}, {"loadBalancerIP", str},
                         {"externalName", str}, {"publishNotReadyAddresses", b},
                         {"allocateLoadBalancerNodePorts", b}})}});
  root("persistentvolumeclaims", "v1.PersistentVolumeClaim", {{"spec", pvc_spec}});
  const Type* rules = list(object("v1.PolicyRule", {{"verbs", strings}, {"apiGroups", strings}, {"resources", strings},
                                                    {"resourceNames", strings}, {"nonResourceURLs", strings}}));
  root("roles", "v1.Role", {{"rules", rules}});
  root("clusterroles", "v1.ClusterRole",
       {{"rules", rules}, {"aggregationRule", object("v1.AggregationRule", {{"clusterRoleSelectors", list(selector)}})}});
  const Type* subjects = list(object("v1.Subject", {{"kind", str}, {"apiGroup", str}, {"name", str}, {"namespace", str}}));
  const Type* role_ref = object("v1.RoleRef", {{"apiGroup", str}, {"kind", str}, {"name", str}});
  root("rolebindings", "v1.RoleBinding", {{"subjects", subjects}, {"roleRef", role_ref}});
  root("clusterrolebindings", "v1.ClusterRoleBinding", {{"subjects", subjects}, {"roleRef", role_ref}});
}

const Schema& schema() {
  static const Schema s;
  return s;
}

std::string json_kind(const Json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "bool";
  if (v.is_number()) return "number";
  if (v.is_array()) return "array";
  return "object";
}

// "SecurityContext" from "v1.SecurityContext", as UnmarshalTypeError.Struct names the type.
std::string short_name(const std::string& go) {
  const auto dot = go.rfind('.');
  return dot == std::string::npos ? go : go.substr(dot + 1);
}

class Walker {
 public:
  std::optional<std::string> problem;

  void walk(const Type& t, const Json& v, const std::string& path, const std::string& owner) {
    if (problem || v.is_null()) return;  // null decodes to the zero value; the first problem wins
    switch (t.kind) {
      case Kind::Bool:
        if (!v.is_boolean()) mismatch(json_kind(v), t, path, owner);
        break;
      case Kind::Int32:
      case Kind::Int64:
        integer(t, v, path, owner);
        break;
      case Kind::String:
        if (!v.is_string()) mismatch(json_kind(v), t, path, owner);
        break;
      case Kind::Struct:
        if (!v.is_object()) return mismatch(json_kind(v), t, path, owner);
        for (const auto& [name, ft] : t.fields) {
          if (auto it = v.find(name); it != v.end()) walk(*ft, *it, path.empty() ? name : path + "." + name, short_name(t.go));
        }
        break;
      case Kind::List:
        if (!v.is_array()) return mismatch(json_kind(v), t, path, owner);
        for (const auto& item : v) walk(*t.elem, item, path, owner);
        break;
      case Kind::Map:
        if (!v.is_object()) return mismatch(json_kind(v), t, path, owner);
        for (const auto& item : v) walk(*t.elem, item, path, owner);
        break;
      case Kind::IntOrString:
        // intstr.IntOrString.UnmarshalJSON decodes a non-string into an int32 on its own, so its
        // errors carry no field path.
        if (v.is_string() || (v.is_number_integer() && fits_int32(v))) break;
        problem = "json: cannot unmarshal " + (v.is_number() ? "number " + v.dump() : json_kind(v)) +
                  " into Go value of type int32";
        break;
      case Kind::Quantity:
        if (!quantity_from_json(v)) problem = kQuantityFormatError;
        break;
      case Kind::Bytes: {
        if (!v.is_string()) return mismatch(json_kind(v), t, path, owner);
        std::string decoded;
        std::size_t bad = 0;
        if (!base64_decode(v.get<std::string>(), &decoded, &bad)) {
          problem = "illegal base64 data at input byte " + std::to_string(bad);
        }
        break;
      }
    }
  }

 private:
  static bool fits_int32(const Json& v) {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
    const std::int64_t n = v.get<std::int64_t>();
    return n >= std::numeric_limits<std::int32_t>::min() && n <= std::numeric_limits<std::int32_t>::max();
  }

  void integer(const Type& t, const Json& v, const std::string& path, const std::string& owner) {
    if (!v.is_number()) return mismatch(json_kind(v), t, path, owner);
    bool ok = v.is_number_integer();
    if (ok && t.kind == Kind::Int32) ok = fits_int32(v);
    if (ok && t.kind == Kind::Int64 && v.is_number_unsigned()) {
      ok = v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    }
    // Go's literalStore: a number that does not parse as the target integer names the literal.
    if (!ok) mismatch("number " + v.dump(), t, path, owner);
  }

  void mismatch(const std::string& got, const Type& t, const std::string& path, const std::string& owner) {
    problem = "json: cannot unmarshal " + got + " into Go struct field " + owner + "." + path + " of type " + t.go;
  }
};

}  // namespace

std::optional<std::string> decode_problem(const ResourceType& type, const Json& object) {
  const Type* root = schema().root(type.plural);
  if (!root) return std::nullopt;
  Walker w;
  w.walk(*root, object, "", short_name(root->go));
  return w.problem;
}

std::string decode_error_message(const ResourceType& type, const std::string& problem) {
  return type.kind + " in version \"" + type.version + "\" cannot be handled as a " + type.kind + ": " + problem;
}

}  // namespace opspilot::k8s_sim
