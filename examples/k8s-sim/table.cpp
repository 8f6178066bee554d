#include "examples/k8s-sim/table.h"

#include <cctype>

#include "examples/k8s-sim/selector.h"

namespace opspilot::k8s_sim {

namespace {

struct Column {
  const char* name;
  const char* type;
  int priority;
  const char* description;
};

Json column_json(const Column& c) {
  return {{"name", c.name}, {"type", c.type}, {"format", std::string(c.name) == "Name" ? "name" : ""},
          {"description", c.description}, {"priority", c.priority}};
}

std::string age(const Json& o, TimePoint now) {
  const auto created = parse_time(string_at(o, {"metadata", "creationTimestamp"}));
  if (!created) return "<unknown>";
  return format_age(std::chrono::duration_cast<std::chrono::milliseconds>(now - *created));
}

std::string joined(const Json& containers, const char* field) {
  std::string out;
  for (const auto& c : containers.is_array() ? containers : Json::array()) {
    out += (out.empty() ? "" : ",") + string_at(c, {field});
  }
  return out;
}

std::string selector_text(const Json& o) {
  LabelSelector s;
  std::string why;
  const Json* sel = at_path(o, {"spec", "selector"});
  if (!sel || !LabelSelector::from_json(*sel, &s, &why)) return "<none>";
  return s.to_string();
}

std::int64_t count(const Json& o, const char* field) { return int_at(o, {"status", field}, 0); }

std::string pod_status(const Json& pod) {
  const Json* statuses = at_path(pod, {"status", "containerStatuses"});
  for (const auto& cs : statuses && statuses->is_array() ? *statuses : Json::array()) {
    const std::string waiting = string_at(cs, {"state", "waiting", "reason"});
    if (!waiting.empty()) return waiting;
  }
  return string_at(pod, {"status", "phase"}, "Pending");
}

std::string pod_ready_text(const Json& pod) {
  const Json* containers = at_path(pod, {"spec", "containers"});
  const Json* statuses = at_path(pod, {"status", "containerStatuses"});
  int ready = 0;
  for (const auto& cs : statuses && statuses->is_array() ? *statuses : Json::array()) ready += at_path(cs, {"ready"}) && *at_path(cs, {"ready"}) == true ? 1 : 0;
  return std::to_string(ready) + "/" + std::to_string(containers && containers->is_array() ? containers->size() : 0);
}

std::vector<Column> columns_for(const ResourceType& t) {
  const Column name{"Name", "string", 0, "Name must be unique within a namespace."};
  const Column age_col{"Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created."};
  if (t.plural == "deployments") {
    return {name, {"Ready", "string", 0, "Number of the pod with ready state"},
            {"Up-to-date", "integer", 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec."},
            {"Available", "integer", 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."},
            age_col, {"Containers", "string", 1, "Names of each container in the template."},
            {"Images", "string", 1, "Images referenced by each container in the template."},
            {"Selector", "string", 1, "Label selector for pods."}};
  }
  if (t.plural == "replicasets") {
    return {name, {"Desired", "integer", 0, "Replicas is the number of desired replicas."},
            {"Current", "integer", 0, "Replicas is the most recently observed number of replicas."},
            {"Ready", "integer", 0, "The number of ready replicas for this replica set."}, age_col,
            {"Containers", "string", 1, "Names of each container in the template."},
            {"Images", "string", 1, "Images referenced by each container in the template."},
            {"Selector", "string", 1, "Selector is a label query over pods that should match the replica count."}};
  }
  if (t.plural == "statefulsets") {
    return {name, {"Ready", "string", 0, "Number of the pod with ready state"}, age_col,
            {"Containers", "string", 1, "Names of each container in the template."},
            {"Images", "string", 1, "Images referenced by each container in the template."}};
  }
  if (t.plural == "pods") {
    return {name, {"Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."},
            {"Status", "string", 0, "The aggregate status of the containers in this pod."},
            {"Restarts", "string", 0, "The number of times the containers in this pod have been restarted."}, age_col,
            {"IP", "string", 1, "IP address allocated to the pod."},
            {"Node", "string", 1, "Name of the node the pod is assigned to."}};
  }
  if (t.plural == "leases") return {name, {"Holder", "string", 0, "The holder of the lease."}, age_col};
  if (t.plural == "namespaces") return {name, {"Status", "string", 0, "The status of the namespace"}, age_col};
  if (t.plural == "poddisruptionbudgets") {
    return {name, {"Min Available", "string", 0, "The minimum number of pods that must be available."},
            {"Max Unavailable", "string", 0, "The maximum number of pods that may be unavailable."},
            {"Allowed Disruptions", "integer", 0, "Calculated number of pods that may be disrupted at this time."}, age_col};
  }
  if (t.plural == "events") {
    return {{"Last Seen", "string", 0, "Time when this event was last seen."},
            {"Type", "string", 0, "Type of this event (Normal, Warning)."},
            {"Reason", "string", 0, "Why the action was taken."},
            {"Object", "string", 0, "The object this event is about."},
            {"Message", "string", 0, "A human-readable description of the status of this operation."}};
  }
  if (t.plural == "serviceaccounts") {
    return {name, {"Secrets", "integer", 0, "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."}, age_col};
  }
  if (t.plural == "configmaps") return {name, {"Data", "integer", 0, "Number of keys in data and binaryData."}, age_col};
  if (t.plural == "secrets") {
    return {name, {"Type", "string", 0, "Used to facilitate programmatic handling of secret data."},
            {"Data", "integer", 0, "Number of keys in data."}, age_col};
  }
  if (t.plural == "services") {
    return {name, {"Type", "string", 0, "How the service is exposed."},
            {"Cluster-IP", "string", 0, "The IP address assigned to the service."},
            {"External-IP", "string", 0, "External IPs or load-balancer ingress addresses."},
            {"Port(s)", "string", 0, "The ports exposed by the service."}, age_col,
            {"Selector", "string", 1, "Route service traffic to pods with label keys and values matching this selector."}};
  }
  if (t.plural == "persistentvolumeclaims") {
    return {name, {"Status", "string", 0, "The phase of the claim."},
            {"Volume", "string", 0, "The binding reference to the PersistentVolume backing this claim."},
            {"Capacity", "string", 0, "The actual resources of the underlying volume."},
            {"Access Modes", "string", 0, "The access modes of the volume."},
            {"StorageClass", "string", 0, "The name of the StorageClass required by the claim."},
            {"VolumeAttributesClass", "string", 0, "The name of the VolumeAttributesClass required by the claim."}, age_col,
            {"VolumeMode", "string", 1, "Whether the volume is a filesystem or a block device."}};
  }
  if (t.plural == "roles" || t.plural == "clusterroles") {
    return {name, {"Created At", "date", 0, "CreationTimestamp of the object."}};
  }
  if (t.plural == "rolebindings" || t.plural == "clusterrolebindings") {
    return {name, {"Role", "string", 0, "The role the binding grants."}, age_col,
            {"Users", "string", 1, "Users in the binding."}, {"Groups", "string", 1, "Groups in the binding."},
            {"ServiceAccounts", "string", 1, "ServiceAccounts in the binding."}};
  }
  return {name, age_col};
}

std::size_t size_of(const Json& o, const char* key) {
  const Json* v = at_path(o, {key});
  return v && (v->is_object() || v->is_array()) ? v->size() : 0;
}

std::string service_ports(const Json& svc) {
  std::string out;
  const Json* ports = at_path(svc, {"spec", "ports"});
  for (const auto& p : ports && ports->is_array() ? *ports : Json::array()) {
    std::string one = std::to_string(int_at(p, {"port"}));
    if (const std::int64_t node = int_at(p, {"nodePort"}, 0)) one += ":" + std::to_string(node);
    out += (out.empty() ? "" : ",") + one + "/" + string_at(p, {"protocol"}, "TCP");
  }
  return out.empty() ? "<none>" : out;
}

std::string service_selector(const Json& svc) {
  std::string out;
  const Json* sel = at_path(svc, {"spec", "selector"});
  if (!sel || !sel->is_object()) return "<none>";
  for (auto it = sel->begin(); it != sel->end(); ++it) {
    out += (out.empty() ? "" : ",") + it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  }
  return out.empty() ? "<none>" : out;
}

std::string access_modes(const Json& pvc) {
  std::string out;
  const Json* modes = at_path(pvc, {"status", "accessModes"});
  for (const auto& m : modes && modes->is_array() ? *modes : Json::array()) {
    const std::string mode = m.is_string() ? m.get<std::string>() : "";
    const std::string s = mode == "ReadWriteOnce" ? "RWO" : mode == "ReadOnlyMany" ? "ROX"
                        : mode == "ReadWriteMany" ? "RWX" : mode == "ReadWriteOncePod" ? "RWOP" : mode;
    out += (out.empty() ? "" : ",") + s;
  }
  return out;
}

// The Users / Groups / ServiceAccounts cells of a binding: subjects of one kind, comma-joined.
std::string subjects_of(const Json& binding, const std::string& kind) {
  std::string out;
  const Json* subjects = at_path(binding, {"subjects"});
  for (const auto& s : subjects && subjects->is_array() ? *subjects : Json::array()) {
    if (string_at(s, {"kind"}) != kind) continue;
    const std::string ns = string_at(s, {"namespace"});
    out += (out.empty() ? "" : ", ") + (kind == "ServiceAccount" ? ns + "/" : "") + string_at(s, {"name"});
  }
  return out;
}

Json config_cells(const ResourceType& t, const Json& o, TimePoint now) {
  const std::string n = string_at(o, {"metadata", "name"});
  if (t.plural == "serviceaccounts") return {n, size_of(o, "secrets"), age(o, now)};
  if (t.plural == "configmaps") return {n, size_of(o, "data") + size_of(o, "binaryData"), age(o, now)};
  if (t.plural == "secrets") return {n, string_at(o, {"type"}), size_of(o, "data"), age(o, now)};
  if (t.plural == "services") {
    const Json* external = at_path(o, {"spec", "externalIPs"});
    std::string ext = string_at(o, {"spec", "type"}) == "ExternalName" ? string_at(o, {"spec", "externalName"}) : "<none>";
    if (external && external->is_array() && !external->empty()) ext = (*external)[0].is_string() ? (*external)[0].get<std::string>() : ext;
    if (string_at(o, {"spec", "type"}) == "LoadBalancer" && ext == "<none>") ext = "<pending>";
    return {n, string_at(o, {"spec", "type"}), string_at(o, {"spec", "clusterIP"}, "<none>"), ext, service_ports(o),
            age(o, now), service_selector(o)};
  }
  if (t.plural == "persistentvolumeclaims") {
    return {n, string_at(o, {"status", "phase"}, "Pending"), string_at(o, {"spec", "volumeName"}),
            string_at(o, {"status", "capacity", "storage"}), access_modes(o),
            string_at(o, {"spec", "storageClassName"}, "<unset>"), string_at(o, {"spec", "volumeAttributesClassName"}, "<unset>"),
            age(o, now), string_at(o, {"spec", "volumeMode"}, "Filesystem")};
  }
  if (t.plural == "roles" || t.plural == "clusterroles") return {n, string_at(o, {"metadata", "creationTimestamp"})};
  if (t.plural == "rolebindings" || t.plural == "clusterrolebindings") {
    return {n, string_at(o, {"roleRef", "kind"}) + "/" + string_at(o, {"roleRef", "name"}), age(o, now),
            subjects_of(o, "User"), subjects_of(o, "Group"), subjects_of(o, "ServiceAccount")};
  }
  return {n, age(o, now)};
}

Json cells_for(const ResourceType& t, const Json& o, TimePoint now) {
  const std::string n = string_at(o, {"metadata", "name"});
  const Json* containers = at_path(o, {"spec", "template", "spec", "containers"});
  const Json no_containers = Json::array();
  const Json& cs = containers ? *containers : no_containers;
  if (t.plural == "deployments") {
    return {n, std::to_string(count(o, "readyReplicas")) + "/" + std::to_string(int_at(o, {"spec", "replicas"}, 1)),
            count(o, "updatedReplicas"), count(o, "availableReplicas"), age(o, now), joined(cs, "name"),
            joined(cs, "image"), selector_text(o)};
  }
  if (t.plural == "replicasets") {
    return {n, int_at(o, {"spec", "replicas"}, 1), count(o, "replicas"), count(o, "readyReplicas"), age(o, now),
            joined(cs, "name"), joined(cs, "image"), selector_text(o)};
  }
  if (t.plural == "statefulsets") {
    return {n, std::to_string(count(o, "readyReplicas")) + "/" + std::to_string(int_at(o, {"spec", "replicas"}, 1)),
            age(o, now), joined(cs, "name"), joined(cs, "image")};
  }
  if (t.plural == "pods") {
    return {n, pod_ready_text(o), pod_status(o), "0", age(o, now), string_at(o, {"status", "podIP"}, "<none>"),
            string_at(o, {"spec", "nodeName"}, "<none>")};
  }
  if (t.plural == "leases") return {n, string_at(o, {"spec", "holderIdentity"}, "<none>"), age(o, now)};
  if (t.plural == "namespaces") return {n, string_at(o, {"status", "phase"}, "Active"), age(o, now)};
  if (t.plural == "poddisruptionbudgets") {
    const Json* min = at_path(o, {"spec", "minAvailable"});
    const Json* max = at_path(o, {"spec", "maxUnavailable"});
    auto text = [](const Json* v) { return !v ? std::string("N/A") : v->is_string() ? v->get<std::string>() : v->dump(); };
    return {n, text(min), text(max), count(o, "disruptionsAllowed"), age(o, now)};
  }
  if (t.plural == "events") {
    const std::string last = string_at(o, {"lastTimestamp"}, string_at(o, {"metadata", "creationTimestamp"}));
    const auto at = parse_time(last);
    const std::string seen = at ? format_age(std::chrono::duration_cast<std::chrono::milliseconds>(now - *at)) : "<unknown>";
    std::string kind = string_at(o, {"involvedObject", "kind"});
    for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return {seen, string_at(o, {"type"}), string_at(o, {"reason"}),
            kind + "/" + string_at(o, {"involvedObject", "name"}), string_at(o, {"message"})};
  }
  return config_cells(t, o, now);
}

}  // namespace

bool wants_table(const std::string& accept) { return accept.find("as=Table") != std::string::npos; }

Json to_table(const ResourceType& type, const std::vector<const Json*>& objects, TimePoint now,
              const std::string& include_object, const std::string& list_resource_version) {
  Json columns = Json::array();
  for (const auto& c : columns_for(type)) columns.push_back(column_json(c));
  Json rows = Json::array();
  for (const Json* o : objects) {
    Json row = {{"cells", cells_for(type, *o, now)}};
    if (include_object == "Object") {
      row["object"] = *o;
    } else if (include_object != "None") {
      row["object"] = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", (*o)["metadata"]}};
    }
    rows.push_back(row);
  }
  return {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", {{"resourceVersion", list_resource_version}}},
          {"columnDefinitions", columns}, {"rows", rows}};
}

}  // namespace opspilot::k8s_sim
