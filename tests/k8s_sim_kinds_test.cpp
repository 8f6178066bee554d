// The kinds a Helm chart installs, against the Kubernetes API simulator with the real kubectl:
// ServiceAccount, ConfigMap, Secret, Service, PersistentVolumeClaim, Role, RoleBinding,
// ClusterRole, ClusterRoleBinding, ServiceMonitor and PrometheusRule, plus a hardened Deployment.
// `kubectl apply --dry-run=server` must accept a correct manifest and store nothing; each family
// of mistakes must fail with kube-apiserver's wording naming the field; real creates must be
// listed by `kubectl get` (short names, server-side Tables); roleRef never changes.
// kubectl talks plain HTTP here (no tokens are configured, so every request is admin).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "examples/k8s-sim/sim_process.h"

namespace opspilot::k8s_sim {
namespace {

using nlohmann::json;
using testing::SimProcess;

struct KubectlRun {
  int code = -1;
  std::string output;  // stdout and stderr together
};

// One valid object of every new kind, and a hardened Deployment (see the file's header).
std::string good_manifest() {
  std::ifstream in(std::string(OPSPILOT_SOURCE_DIR) + "/examples/k8s-sim/manifests/app-kinds.yaml");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What `kubectl apply` prints for each object of good_manifest().
const std::vector<std::string> kGoodObjects = {
    "serviceaccount/opspilot", "configmap/opspilot-config", "secret/opspilot-secrets", "service/opspilot",
    "persistentvolumeclaim/opspilot-journal", "role.rbac.authorization.k8s.io/opspilot",
    "rolebinding.rbac.authorization.k8s.io/opspilot", "clusterrole.rbac.authorization.k8s.io/opspilot:leases",
    "clusterrolebinding.rbac.authorization.k8s.io/opspilot:leases", "servicemonitor.monitoring.coreos.com/opspilot",
    "prometheusrule.monitoring.coreos.com/opspilot", "poddisruptionbudget.policy/opspilot", "deployment.apps/opspilot"};

const char* kAllNewKinds =
    "serviceaccounts,configmaps,secrets,services,persistentvolumeclaims,roles,rolebindings,clusterroles,"
    "clusterrolebindings,servicemonitors,prometheusrules";

class K8sSimKinds : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl_ = test::find_program("kubectl");
    ASSERT_FALSE(kubectl_.empty()) << "kubectl is not on PATH; this suite needs the real kubectl";
    sim_ = std::make_unique<SimProcess>("namespaces: [prod]\n");
    ASSERT_EQ(sim_->error(), "");
    kubeconfig_ = sim_->write_kubeconfig();
  }

  // The simulator's graceful stop must be clean under the sanitizers.
  void TearDown() override {
    if (sim_ && sim_->error().empty()) {
      EXPECT_EQ(sim_->stop(), "");
    }
  }

  KubectlRun kubectl(const std::string& args) const {
    KubectlRun r;
    const std::string cmd = "timeout 30 '" + kubectl_ + "' --kubeconfig='" + kubeconfig_ + "' --cache-dir='" +
                            sim_->dir().file("kube-cache") + "' " + args;
    r.code = test::run_command(cmd, &r.output);
    return r;
  }

  // `kubectl <verb> -f` on `manifest`, written to a file named after the test step.
  KubectlRun kubectl_file(const std::string& verb, const std::string& name, const std::string& manifest) const {
    return kubectl(verb + " -f '" + sim_->dir().write(name + ".yaml", manifest) + "'");
  }

  // The manifest is refused as a whole: kubectl fails, nothing was created, and every message
  // kube-apiserver would give (naming the field) is in kubectl's output.
  void expect_refused(const std::string& name, const std::string& manifest, const std::vector<std::string>& messages,
                      const std::string& verb = "apply --dry-run=server") const {
    const KubectlRun r = kubectl_file(verb, name, manifest);
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_EQ(r.output.find(" created"), std::string::npos) << r.output;
    std::string missing;
    for (const auto& m : messages) missing += r.output.find(m) == std::string::npos ? "[" + m + "]\n" : "";
    EXPECT_EQ(missing, "") << "kubectl's output lacks these; it was:\n" << r.output;
  }

  std::string resource_version() const {
    const auto r = sim_->send("GET", "/api/v1/namespaces");
    const json list = json::parse(r.body, nullptr, false);
    return list.is_object() ? list["metadata"].value("resourceVersion", "") : "";
  }

  std::string kubectl_;
  std::string kubeconfig_;
  std::unique_ptr<SimProcess> sim_;
};

TEST_F(K8sSimKinds, ServerDryRunAcceptsEveryNewKindAndAHardenedDeploymentAndStoresNothing) {
  ASSERT_NE(good_manifest().find("kind: Deployment"), std::string::npos) << "examples/k8s-sim/manifests/app-kinds.yaml";
  const std::string before = resource_version();
  ASSERT_FALSE(before.empty());
  const KubectlRun r = kubectl_file("apply --dry-run=server", "good", good_manifest());
  ASSERT_EQ(r.code, 0) << r.output;
  for (const auto& o : kGoodObjects) {
    EXPECT_NE(r.output.find(o + " created (server dry run)"), std::string::npos) << o << "\n" << r.output;
  }
  const KubectlRun get = kubectl(std::string("get ") + kAllNewKinds + ",deployments,poddisruptionbudgets -A -o name");
  EXPECT_EQ(get.code, 0) << get.output;
  EXPECT_EQ(get.output.find("opspilot"), std::string::npos) << "a dry run stored something:\n" << get.output;
  EXPECT_EQ(resource_version(), before) << "a dry run bumped the resourceVersion";
  // The answer is the object as it would be stored: defaulted and allocated.
  const auto svc = sim_->send("POST", "/api/v1/namespaces/default/services?dryRun=All",
                              R"({"metadata":{"name":"probe"},"spec":{"type":"NodePort","ports":[{"port":80}]}})");
  ASSERT_EQ(svc.status, 201) << svc.body;
  const json s = json::parse(svc.body);
  EXPECT_EQ(s["spec"]["sessionAffinity"], "None");
  EXPECT_EQ(s["spec"]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(s["spec"]["ports"][0]["targetPort"], 80);
  EXPECT_EQ(s["spec"]["ports"][0]["nodePort"], 30000);
  EXPECT_EQ(s["spec"]["clusterIP"].get<std::string>().rfind("10.96.", 0), 0u) << svc.body;
  EXPECT_EQ(sim_->send("GET", "/api/v1/namespaces/default/services/probe").status, 404);
  EXPECT_EQ(resource_version(), before);
}

TEST_F(K8sSimKinds, RealApplyCreatesEveryNewKindAndKubectlGetListsThem) {
  const KubectlRun r = kubectl_file("apply", "good", good_manifest());
  ASSERT_EQ(r.code, 0) << r.output;
  for (const auto& o : kGoodObjects) EXPECT_NE(r.output.find(o + " created"), std::string::npos) << o << "\n" << r.output;
  // Short names and server-side Tables, as kubectl prints them without -o (one table per kind).
  const KubectlRun t = kubectl("get sa/opspilot cm/opspilot-config secret/opspilot-secrets svc/opspilot "
                               "pvc/opspilot-journal role/opspilot rolebinding/opspilot clusterrole/opspilot:leases "
                               "clusterrolebinding/opspilot:leases smon/opspilot promrule/opspilot");
  EXPECT_EQ(t.code, 0) << t.output;
  std::string missing;
  for (const std::string want :
       {"SECRETS", "serviceaccount/opspilot", "configmap/opspilot-config   1 ", "TYPE", "Opaque", "CLUSTER-IP",
        "EXTERNAL-IP", "PORT(S)", "ClusterIP", "10.96.", "8080/TCP,9090/TCP", "ACCESS MODES", "Pending", "CREATED AT",
        "role.rbac.authorization.k8s.io/opspilot", "Role/opspilot", "clusterrole.rbac.authorization.k8s.io/opspilot:leases",
        "ClusterRole/opspilot:leases", "servicemonitor.monitoring.coreos.com/opspilot",
        "prometheusrule.monitoring.coreos.com/opspilot"}) {
    missing += t.output.find(want) == std::string::npos ? "[" + want + "] " : "";
  }
  EXPECT_EQ(missing, "") << "kubectl get lacks these:\n" << t.output;
  // What the API server did to them: stringData merged into data, a default type, an address.
  const json list = json::parse(kubectl("get secret/opspilot-secrets promrule/opspilot svc/opspilot -o json").output);
  ASSERT_EQ(list["items"].size(), 3u) << list.dump();
  const json& secret = list["items"][0];
  EXPECT_EQ(secret["data"]["slack-token"], "eG94Yi0xMjM=");  // base64("xoxb-123")
  EXPECT_FALSE(secret.contains("stringData"));
  EXPECT_EQ(secret["type"], "Opaque");
  const json& rule = list["items"][1];
  EXPECT_EQ(rule["metadata"]["generation"], 1);
  EXPECT_EQ(rule["metadata"]["annotations"]["prometheus-operator-validated"], "true");
  const std::string ip = list["items"][2]["spec"]["clusterIP"];
  // A second apply changes nothing the server keeps (the Secret's stringData is always re-sent).
  const KubectlRun again = kubectl_file("apply", "good", good_manifest());
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("service/opspilot unchanged"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("rolebinding.rbac.authorization.k8s.io/opspilot unchanged"), std::string::npos) << again.output;
  // A changed Service re-applies as a strategic merge keyed by port, keeping its cluster IP.
  std::string more = good_manifest();
  const std::string ports = "{name: metrics, port: 9090, targetPort: 9090}]";
  more.replace(more.find(ports), ports.size(), "{name: metrics, port: 9090, targetPort: 9090}, {name: admin, port: 8081}]");
  const KubectlRun changed = kubectl_file("apply", "more", more);
  EXPECT_NE(changed.output.find("service/opspilot configured"), std::string::npos) << changed.output;
  const json svc = json::parse(kubectl("get svc opspilot -o json").output);
  EXPECT_EQ(svc["spec"]["ports"].size(), 3u) << svc.dump();
  EXPECT_EQ(svc["spec"]["ports"][2]["targetPort"], 8081) << svc.dump();
  EXPECT_EQ(svc["spec"]["clusterIP"], ip);
}

TEST_F(K8sSimKinds, ARoleBindingsRoleRefCannotChange) {
  ASSERT_EQ(kubectl_file("apply", "good", good_manifest()).code, 0);
  std::string changed = good_manifest();
  const std::string from = "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: opspilot}";
  changed.replace(changed.find(from), from.size(), "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}");
  const KubectlRun r = kubectl_file("apply", "changed", changed);
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("The RoleBinding \"opspilot\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"
                          "\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"view\"}: cannot change roleRef"),
            std::string::npos)
      << r.output;
  const KubectlRun get = kubectl("get rolebinding opspilot");
  EXPECT_NE(get.output.find("Role/opspilot"), std::string::npos) << get.output;
  // A replace is an update too: the same answer.
  const KubectlRun replace = kubectl_file("replace", "changed", changed);
  EXPECT_NE(replace.output.find("cannot change roleRef"), std::string::npos) << replace.output;
}

constexpr const char* kDeploymentHead = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
)";

std::string deployment(const std::string& name, const std::string& pod_spec) {
  std::string head = kDeploymentHead;
  head.replace(head.find("NAME"), 4, name);
  return head + pod_spec;
}

TEST_F(K8sSimKinds, PodTemplateVolumesMountsAndContainerNamesAreChecked) {
  const std::string prefix = "spec.template.spec.";
  expect_refused("volumes",
                 deployment("mounts", R"(      containers:
      - name: app
        image: "app:1"
        volumeMounts: [{name: cfg, mountPath: /etc/app}, {name: tmp, mountPath: /etc/app}, {name: tmp, mountPath: data}]
      volumes: [{name: tmp, emptyDir: {}}, {name: both, emptyDir: {}, configMap: {name: c}}, {name: none}, {name: tmp, emptyDir: {}}]
)") + "---\n" + deployment("names", R"(      containers:
      - {name: App, image: "app:1"}
      - {name: App, image: "app:2"}
      - {name: web}
)"),
                 {prefix + "containers[0].volumeMounts[0].name: Not found: \"cfg\"",
                  prefix + "containers[0].volumeMounts[1].mountPath: Invalid value: \"/etc/app\": must be unique",
                  prefix + "containers[0].volumeMounts[2].mountPath: Invalid value: \"data\": must be an absolute path",
                  prefix + "volumes[1].configMap: Forbidden: may not specify more than 1 volume type",
                  prefix + "volumes[2]: Required value: must specify a volume type",
                  prefix + "volumes[3].name: Duplicate value: \"tmp\"",
                  prefix + "containers[0].name: Invalid value: \"App\": a lowercase RFC 1123 label must consist of",
                  prefix + "containers[1].name: Duplicate value: \"App\"",
                  prefix + "containers[2].image: Required value"});
}

TEST_F(K8sSimKinds, PodTemplatePortsResourcesProbesEnvAndSecurityAreChecked) {
  const std::string c = "spec.template.spec.containers[0].";
  expect_refused("containers", deployment("checks", R"(      terminationGracePeriodSeconds: -1
      serviceAccountName: Bad_SA
      containers:
      - name: app
        image: "app:1"
        ports: [{name: http, containerPort: 8080}, {name: http, containerPort: 70000}, {name: way-too-long-port-name, containerPort: 1}]
        resources: {requests: {cpu: "2", memory: 64Mi}, limits: {cpu: 500m, memory: 1Gi}}
        livenessProbe: {periodSeconds: -5}
        readinessProbe: {httpGet: {port: metrics}, tcpSocket: {port: 80}}
        startupProbe: {exec: {command: ["true"]}, successThreshold: 2}
        env: [{value: x}, {name: A, valueFrom: {}}, {name: B, valueFrom: {fieldRef: {fieldPath: metadata.name}, secretKeyRef: {name: s, key: k}}}]
        securityContext: {allowPrivilegeEscalation: false, privileged: true, runAsUser: -1, seccompProfile: {type: Default}}
      - name: sidecar
        image: "proxy:1"
        resources: {limits: {memory: "-1"}}
        securityContext: {allowPrivilegeEscalation: false, capabilities: {add: [CAP_SYS_ADMIN], drop: [ALL]}}
)"),
                 {c + "ports[1].name: Duplicate value: \"http\"",
                  c + "ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                  c + "ports[2].name: Invalid value: \"way-too-long-port-name\": must be no more than 15 characters",
                  c + "resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 500m",
                  "containers[1].resources.limits[memory]: Invalid value: \"-1\": must be greater than or equal to 0",
                  c + "livenessProbe: Required value: must specify a handler type",
                  c + "livenessProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0",
                  c + "readinessProbe.httpGet.port: Not found: \"metrics\"",
                  c + "readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
                  c + "startupProbe.successThreshold: Invalid value: 2: must be 1",
                  c + "env[0].name: Required value",
                  c + "env[1].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, "
                      "`configMapKeyRef` or `secretKeyRef`",
                  c + "env[2].valueFrom: Invalid value: \"\": may not have more than one field specified at a time",
                  c + "securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
                  c + "securityContext.seccompProfile.type: Unsupported value: \"Default\": supported values: "
                      "\"Localhost\", \"RuntimeDefault\", \"Unconfined\"",
                  "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
                  "containers[1].securityContext: Invalid value:",
                  "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
                  "spec.template.spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0",
                  "spec.template.spec.serviceAccountName: Invalid value: \"Bad_SA\": a lowercase RFC 1123 subdomain"});
}

TEST_F(K8sSimKinds, WronglyTypedFieldsAreRefusedByTheTypedDecoder) {
  // kube answers these 400 BadRequest before validating: the Go types do not take the values.
  expect_refused("types",
                 deployment("non-root", R"(      containers:
      - {name: app, image: "app:1", securityContext: {runAsNonRoot: "yes"}}
)") + "---\n" + deployment("drop", R"(      containers:
      - {name: app, image: "app:1", securityContext: {capabilities: {drop: ALL}}}
)") + "---\n" + deployment("quantity", R"(      containers:
      - {name: app, image: "app:1", resources: {requests: {memory: lots}}}
)") + R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: labels}
spec:
  selector: {matchLabels: {app: 1}}
  template:
    metadata: {labels: {app: "1"}}
    spec: {containers: [{name: app, image: "app:1"}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: numbers}
data: {port: 8080}
)",
                 {"Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into "
                  "Go struct field SecurityContext.spec.template.spec.containers.securityContext.runAsNonRoot of type bool",
                  "json: cannot unmarshal string into Go struct field Capabilities.spec.template.spec.containers."
                  "securityContext.capabilities.drop of type []v1.Capability",
                  "Deployment in version \"v1\" cannot be handled as a Deployment: quantities must match the regular "
                  "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                  "json: cannot unmarshal number into Go struct field LabelSelector.spec.selector.matchLabels of type string",
                  "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go "
                  "struct field ConfigMap.data of type string"});
}

TEST_F(K8sSimKinds, ServicesNeedValidPortsNamesAndType) {
  expect_refused("services", R"(apiVersion: v1
kind: Service
metadata: {name: bad-svc}
spec:
  type: Cluster
  ports: [{port: 0, targetPort: Not_A_Name, protocol: HTTP}, {port: 80, targetPort: 70000}]
---
apiVersion: v1
kind: Service
metadata: {name: no-ports}
spec: {selector: {app: x}}
---
apiVersion: v1
kind: Service
metadata: {name: dup}
spec: {ports: [{name: a, port: 80, nodePort: 30080}, {name: a, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: 1st-service}
spec: {ports: [{port: 80}]}
)",
                 {"Service \"bad-svc\" is invalid",
                  "spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", \"ExternalName\", "
                  "\"LoadBalancer\", \"NodePort\"",
                  "spec.ports[0].name: Required value", "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                  "spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                  "spec.ports[0].targetPort: Invalid value: \"Not_A_Name\": must contain only alpha-numeric characters",
                  "spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                  "Service \"no-ports\" is invalid: spec.ports: Required value",
                  "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
                  "spec.ports[1].name: Duplicate value: \"a\"", "spec.ports[1]: Duplicate value: core.ServicePort{",
                  "metadata.name: Invalid value: \"1st-service\": a DNS-1035 label must consist of lower case alphanumeric"});
}

TEST_F(K8sSimKinds, PersistentVolumeClaimsNeedAccessModesAndStorage) {
  expect_refused("pvcs", R"(apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: bad-pvc}
spec: {accessModes: [ReadWriteSometimes], resources: {requests: {storage: "0"}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: empty-pvc}
spec: {}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: mixed}
spec: {accessModes: [ReadWriteOncePod, ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
)",
                 {"spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", "
                  "\"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
                  "spec.resources[storage]: Invalid value: \"0\": must be greater than zero",
                  "spec.accessModes: Required value: at least 1 access mode is required",
                  "spec.resources[storage]: Required value",
                  "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"});
}

TEST_F(K8sSimKinds, ConfigMapAndSecretKeysValuesAndSizesAreChecked) {
  expect_refused("config", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: bad-cm}
data: {"bad key": "x", dup: "y"}
binaryData: {dup: eQ==}
---
apiVersion: v1
kind: Secret
metadata: {name: not-base64}
data: {token: "not base64!"}
---
apiVersion: v1
kind: Secret
metadata: {name: tls}
type: kubernetes.io/tls
data: {tls.crt: aGVsbG8=}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: strict}
dataa: {a: b}
)",
                 {"data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, "
                  "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                  "'[-._a-zA-Z0-9]+')",
                  "data[dup]: Invalid value: \"dup\": duplicate of key present in binaryData",
                  "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 3",
                  "Secret \"tls\" is invalid: data[tls.key]: Required value",
                  "strict decoding error: unknown field \"dataa\""});
  // Over 1 MiB of data (kubectl create: apply would add a too-large last-applied annotation too).
  const std::string big(1024 * 1024 + 1, 'x');
  expect_refused("big", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {blob: " + big + "}\n",
                 {"ConfigMap \"big\" is invalid: : Too long: may not be more than 1048576 bytes"}, "create --dry-run=server");
}

TEST_F(K8sSimKinds, RbacRulesAndBindingsAreChecked) {
  expect_refused("rbac", R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: bad-role}
rules:
- {apiGroups: [""], resources: [pods]}
- {verbs: [get]}
- {nonResourceURLs: [/metrics], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:bad"}
rules: [{nonResourceURLs: [/metrics], resources: [pods], verbs: [get]}]
aggregationRule: {clusterRoleSelectors: []}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bad-binding}
roleRef: {apiGroup: rbac, kind: Deployment, name: ""}
subjects: [{kind: ServiceAccount, name: x, apiGroup: rbac.authorization.k8s.io}, {kind: Robot, name: r}, {kind: User}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bad-crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: ServiceAccount, name: opspilot}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: no-roleref}
subjects: [{kind: Group, name: devs}]
)",
                 {"rules[0].verbs: Required value: verbs must contain at least one value",
                  "rules[1].apiGroups: Required value: resource rules must supply at least one api group",
                  "rules[1].resources: Required value: resource rules must supply at least one resource",
                  "rules[2].nonResourceURLs: Invalid value: []string{\"/metrics\"}: namespaced rules cannot apply to "
                  "non-resource URLs",
                  "ClusterRole.rbac.authorization.k8s.io \"system:bad\" is invalid",
                  "rules[0].nonResourceURLs: Invalid value: []string{\"/metrics\"}: rules cannot apply to both regular "
                  "resources and non-resource URLs",
                  "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if "
                  "aggregationRule is non-nil",
                  "roleRef.apiGroup: Unsupported value: \"rbac\": supported values: \"rbac.authorization.k8s.io\"",
                  "roleRef.kind: Unsupported value: \"Deployment\": supported values: \"Role\", \"ClusterRole\"",
                  "roleRef.name: Required value",
                  "subjects[0].apiGroup: Unsupported value: \"rbac.authorization.k8s.io\": supported values: \"\"",
                  "subjects[1].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
                  "subjects[2].name: Required value",
                  "ClusterRoleBinding.rbac.authorization.k8s.io \"bad-crb\" is invalid: [roleRef.kind: Unsupported value: "
                  "\"Role\": supported values: \"ClusterRole\", subjects[0].namespace: Required value]",
                  "RoleBinding.rbac.authorization.k8s.io \"no-roleref\" is invalid: [roleRef.kind: Unsupported value: \"\""});
}

TEST_F(K8sSimKinds, ServiceAccountsPodDisruptionBudgetsAndMissingNamespaces) {
  expect_refused("misc", R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: typed}
automountServiceAccountToken: "false"
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: Bad_Name}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: both}
spec: {minAvailable: 1, maxUnavailable: 1, selector: {matchLabels: {app: x}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: unselective}
spec: {minAvailable: 1}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: elsewhere, namespace: ghost}
data: {a: b}
)",
                 {"ServiceAccount in version \"v1\" cannot be handled as a ServiceAccount: json: cannot unmarshal string "
                  "into Go struct field ServiceAccount.automountServiceAccountToken of type bool",
                  "ServiceAccount \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\"",
                  "minAvailable and maxUnavailable cannot be both set",
                  "PodDisruptionBudget.policy \"unselective\" is invalid: spec.selector: Required value",
                  "namespaces \"ghost\" not found"});
}

TEST_F(K8sSimKinds, ServiceMonitorAndPrometheusRuleSchemasAreChecked) {
  expect_refused("monitoring", R"(apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: bad-smon}
spec:
  endpoints: [{interval: 30 seconds}, {port: 9090}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: bad-schema}
spec:
  groups:
  - name: a
    rules: [{alert: X, for: 5 minutes, labels: {severity: {level: 1}}}]
  - name: a
    rules: []
)",
                 {"ServiceMonitor.monitoring.coreos.com \"bad-smon\" is invalid", "spec.selector: Required value",
                  "spec.endpoints[0].interval: Invalid value: \"30 seconds\": spec.endpoints[0].interval in body should match",
                  "spec.endpoints[0]: Invalid value: \"object\": an endpoint must name the Service port to scrape",
                  "spec.endpoints[1].port: Invalid value: \"integer\": spec.endpoints[1].port in body must be of type "
                  "string: \"integer\"",
                  "spec.groups[0].rules[0].expr: Required value",
                  "spec.groups[0].rules[0].for: Invalid value: \"5 minutes\"",
                  "spec.groups[0].rules[0].labels.severity: Invalid value: \"object\"",
                  "spec.groups[1]: Duplicate value: map[string]interface {}{\"name\":\"a\"}"});
}

TEST_F(K8sSimKinds, PrometheusRulesThatPrometheusCannotLoadAreDeniedByTheWebhook) {
  // One object alone: kubectl then prints the webhook's causes, one per rule problem.
  expect_refused("rules", R"yaml(apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: bad-rules}
spec:
  groups:
  - name: a
    rules:
    - {alert: X, record: "x:y", expr: up}
    - {expr: up}
    - {alert: Z, expr: "sum(rate(x[5m])"}
    - {record: "bad name", expr: up, for: 5m}
    - {alert: E, expr: ""}
)yaml",
                 {"group \"a\", rule 1, \"X\": only one of 'record' and 'alert' must be set",
                  "group \"a\", rule 2, \"\": one of 'record' or 'alert' must be set",
                  "group \"a\", rule 3, \"Z\": could not parse expression: 1:4: parse error: unclosed left parenthesis",
                  "group \"a\", rule 4, \"bad name\": invalid field 'for' in recording rule",
                  "group \"a\", rule 4, \"bad name\": invalid recording rule name: bad name",
                  "group \"a\", rule 5, \"E\": field 'expr' must be set in rule"});
  const auto r = sim_->send("POST", "/apis/monitoring.coreos.com/v1/namespaces/default/prometheusrules?dryRun=All",
                            R"({"metadata":{"name":"x"},"spec":{"groups":[{"name":"a","rules":[{"expr":"up"}]}]}})");
  EXPECT_EQ(r.status, 422) << r.body;
  const json status = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(status.is_object()) << r.body;
  EXPECT_EQ(status["message"], "admission webhook \"prometheusrulevalidate.monitoring.coreos.com\" denied the request: "
                               "Rules are not valid");
  EXPECT_EQ(status["reason"], "Invalid");
}

}  // namespace
}  // namespace opspilot::k8s_sim
