// The Helm chart (charts/opspilot), rendered the way Helm renders it (Go text/template + sprig,
// tests/helm_render) for six value sets of both modes, then checked: every document is valid
// YAML; the RBAC is exactly what is enabled, no more; the pod is hardened; the agent accepts the
// opspilot.yaml the chart wrote; and the real kubectl accepts every manifest with
// `apply --dry-run=server` against the Kubernetes API simulator, which validates what it
// receives. Invalid values fail rendering with a message naming the value.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "examples/k8s-sim/sim_process.h"
#include "test_support.h"

namespace opspilot::test {
namespace {

namespace fs = std::filesystem;
const std::string kChart = std::string(OPSPILOT_SOURCE_DIR) + "/charts/opspilot";
const std::string kValues = std::string(OPSPILOT_SOURCE_DIR) + "/tests/data/chart/";
constexpr const char* kNamespace = "opspilot";

struct Rendered {
  int code = -1;
  std::string out;  // stdout: the manifests
  std::string err;  // stderr
  std::vector<YAML::Node> docs;
};

Rendered render(const std::string& args, const std::string& release = "ops") {
  Rendered r;
  r.code = run_command(std::string("'") + OPSPILOT_HELM_RENDER_BIN + "' '" + kChart + "' --release " + release + " -n " +
                           kNamespace + " " + args,
                       &r.out, &r.err);
  if (r.code == 0) {
    for (YAML::Node& d : YAML::LoadAll(r.out))
      if (d.IsMap()) r.docs.push_back(d);
  }
  return r;
}

Rendered render_set(const std::string& set) { return render("-f '" + kValues + set + ".yaml'"); }

const YAML::Node* find(const Rendered& r, const std::string& kind, const std::string& name = "", const std::string& ns = "") {
  for (const YAML::Node& d : r.docs) {
    if (d["kind"].as<std::string>() != kind) continue;
    if (!name.empty() && d["metadata"]["name"].as<std::string>() != name) continue;
    if (!ns.empty() && (!d["metadata"]["namespace"] || d["metadata"]["namespace"].as<std::string>() != ns)) continue;
    return &d;
  }
  return nullptr;
}

std::vector<std::string> strings(const YAML::Node& list) {
  std::vector<std::string> out;
  if (list)
    for (const auto& e : list) out.push_back(e.as<std::string>());
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : ",") + e;
  return s;
}

// A rule as "apiGroups|resources|resourceNames|verbs", each list sorted, for exact comparison.
std::set<std::string> rules_of(const YAML::Node& role) {
  std::set<std::string> out;
  for (const auto& rule : role["rules"]) {
    std::string s;
    for (const char* key : {"apiGroups", "resources", "resourceNames", "verbs"}) {
      auto v = strings(rule[key]);
      std::sort(v.begin(), v.end());
      s += (std::string(key) == "apiGroups" ? "" : "|") + join(v);
    }
    out.insert(s);
  }
  return out;
}

// Every Role/ClusterRole of a render, keyed "Kind namespace/name".
std::map<std::string, std::set<std::string>> all_rbac(const Rendered& r) {
  std::map<std::string, std::set<std::string>> out;
  for (const YAML::Node& d : r.docs) {
    const std::string kind = d["kind"].as<std::string>();
    if (kind != "Role" && kind != "ClusterRole") continue;
    const std::string ns = d["metadata"]["namespace"] ? d["metadata"]["namespace"].as<std::string>() : "";
    out[kind + " " + ns + "/" + d["metadata"]["name"].as<std::string>()] = rules_of(d);
  }
  return out;
}

const std::set<std::string> kLease = {"coordination.k8s.io|leases||create", "coordination.k8s.io|leases|ops-opspilot|get,update"};

struct ValueSet {
  std::string name;
  bool sidecar;
  std::map<std::string, std::set<std::string>> rbac;  // exactly these Roles/ClusterRoles
  std::string subject;                                  // the ServiceAccount bound
};

void PrintTo(const ValueSet& set, std::ostream* os) { *os << set.name; }

std::vector<ValueSet> value_sets() {
  const std::string read_deploy = "apps|deployments||get,list,watch";
  const std::string read_sts = "apps|statefulsets||get,list,watch";
  const std::string pods = "|pods||get";
  const std::string evict = "|pods/eviction||create";
  return {
      {"controller-dry-run",
       false,
       {{"Role shop/ops-opspilot", {read_deploy}},
        {"Role search/ops-opspilot", {read_sts}},
        {"Role opspilot/ops-opspilot-leader-election", kLease}},
       "ops-opspilot"},
      {"controller-active",
       false,
       {{"Role shop/ops-opspilot",
         {read_deploy, "apps|deployments/scale|cart,checkout|get,patch", "apps|deployments|cart,checkout|patch", pods,
          evict, "apps|deployments|cart,checkout|update", "apps|replicasets||list"}},
        {"Role search/ops-opspilot",
         {read_sts, "apps|statefulsets/scale|search|get,patch", "apps|statefulsets|search|patch", pods, evict}},
        {"Role opspilot/ops-opspilot-leader-election", kLease}},
       "ops-opspilot"},
      {"controller-cluster-wide-scale-only",
       false,
       {{"ClusterRole /ops-opspilot", {read_deploy, "apps|deployments/scale|checkout,search|get,patch"}},
        {"Role opspilot/ops-opspilot-leader-election", kLease}},
       "ops-opspilot"},
      {"controller-persistent", false, {{"Role opspilot/ops-opspilot", {read_deploy}}}, "ops-opspilot"},
      {"sidecar-dry-run",
       true,
       {{"Role opspilot/ops-opspilot", {read_deploy}},
        {"Role opspilot/ops-opspilot-leader-election",
         {"coordination.k8s.io|leases||create", "coordination.k8s.io|leases|opspilot-web|get,update"}}},
       "web"},
      {"sidecar-active",
       true,
       {{"Role opspilot/ops-opspilot",
         {read_deploy, "apps|deployments/scale|web|get,patch", "apps|deployments|web|update", "apps|replicasets||list"}},
        {"Role opspilot/ops-opspilot-leader-election",
         {"coordination.k8s.io|leases||create", "coordination.k8s.io|leases|opspilot-web|get,update"}}},
       "web"},
  };
}

// The agent's container and its pod spec: from the Deployment (controller) or the sidecar patch.
struct AgentPod {
  YAML::Node pod;
  YAML::Node container;
};

AgentPod agent_pod(const Rendered& r, bool sidecar) {
  AgentPod a;
  if (sidecar) {
    const YAML::Node* cm = find(r, "ConfigMap", "ops-opspilot-sidecar");
    if (!cm) return a;
    a.pod = YAML::Load((*cm)["data"]["patch.yaml"].as<std::string>())["spec"]["template"]["spec"];
  } else {
    const YAML::Node* d = find(r, "Deployment", "ops-opspilot");
    if (!d) return a;
    a.pod = (*d)["spec"]["template"]["spec"];
  }
  for (const auto& c : a.pod["containers"])
    if (c["name"].as<std::string>() == "opspilot") a.container.reset(c);
  return a;
}

class Chart : public ::testing::TestWithParam<ValueSet> {};

TEST_P(Chart, RendersValidManifestsWithExactlyTheRbacThatIsEnabled) {
  const ValueSet& set = GetParam();
  const Rendered r = render_set(set.name);
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_FALSE(r.docs.empty());
  for (const YAML::Node& d : r.docs) {
    ASSERT_TRUE(d["apiVersion"] && d["kind"] && d["metadata"]["name"]) << YAML::Dump(d);
    const std::string kind = d["kind"].as<std::string>();
    if (kind != "ClusterRole" && kind != "ClusterRoleBinding") {
      EXPECT_TRUE(d["metadata"]["namespace"]) << kind << " " << d["metadata"]["name"] << " has no namespace";
    }
    EXPECT_EQ(d["metadata"]["labels"]["app.kubernetes.io/managed-by"].as<std::string>(""), "Helm") << kind;
  }
  EXPECT_EQ(all_rbac(r), set.rbac);
  for (const YAML::Node& d : r.docs) {
    const std::string kind = d["kind"].as<std::string>();
    if (kind != "RoleBinding" && kind != "ClusterRoleBinding") continue;
    ASSERT_EQ(d["subjects"].size(), 1u);
    EXPECT_EQ(d["subjects"][0]["kind"].as<std::string>(), "ServiceAccount");
    EXPECT_EQ(d["subjects"][0]["name"].as<std::string>(), set.subject);
    EXPECT_EQ(d["subjects"][0]["namespace"].as<std::string>(), kNamespace);
    const std::string role_kind = kind == "RoleBinding" ? "Role" : "ClusterRole";
    EXPECT_EQ(d["roleRef"]["kind"].as<std::string>(), role_kind);
    const std::string ns = kind == "RoleBinding" ? d["metadata"]["namespace"].as<std::string>() : "";
    EXPECT_TRUE(set.rbac.count(role_kind + " " + ns + "/" + d["roleRef"]["name"].as<std::string>()))
        << "binding to a role the chart does not render: " << YAML::Dump(d["roleRef"]);
  }
  // Never a wildcard, never secrets.
  for (const auto& [role, rules] : set.rbac)
    for (const auto& rule : rules) {
      EXPECT_EQ(rule.find('*'), std::string::npos) << role << ": " << rule;
      EXPECT_EQ(rule.find("secrets"), std::string::npos) << role << ": " << rule;
    }
}

TEST_P(Chart, ThePodIsHardened) {
  const ValueSet& set = GetParam();
  const Rendered r = render_set(set.name);
  ASSERT_EQ(r.code, 0) << r.err;
  const AgentPod a = agent_pod(r, set.sidecar);
  ASSERT_TRUE(a.container) << "no opspilot container";
  auto map_or_empty = [](const YAML::Node& n) { return n && n.IsMap() ? n : YAML::Node(YAML::NodeType::Map); };
  const YAML::Node sc = map_or_empty(a.container["securityContext"]);
  const YAML::Node psc = map_or_empty(a.pod["securityContext"]);
  EXPECT_TRUE(sc["runAsNonRoot"].as<bool>(false) || psc["runAsNonRoot"].as<bool>(false));
  const long uid = sc["runAsUser"] ? sc["runAsUser"].as<long>() : psc["runAsUser"].as<long>(0);
  EXPECT_GT(uid, 0) << "non-root by number, so the kubelet can check it";
  EXPECT_TRUE(sc["readOnlyRootFilesystem"].as<bool>(false));
  EXPECT_FALSE(sc["allowPrivilegeEscalation"].as<bool>(true));
  EXPECT_FALSE(sc["privileged"].as<bool>(false));
  EXPECT_EQ(strings(sc["capabilities"]["drop"]), std::vector<std::string>{"ALL"});
  EXPECT_FALSE(sc["capabilities"]["add"]);
  auto seccomp_of = [](const YAML::Node& context) {
    return context && context["seccompProfile"] ? context["seccompProfile"]["type"].as<std::string>("") : std::string();
  };
  const std::string seccomp = seccomp_of(sc).empty() ? seccomp_of(psc) : seccomp_of(sc);
  EXPECT_EQ(seccomp, "RuntimeDefault");
  // Requests and limits, probes on /healthz and /readyz.
  EXPECT_TRUE(a.container["resources"]["requests"]["cpu"]);
  EXPECT_TRUE(a.container["resources"]["requests"]["memory"]);
  EXPECT_TRUE(a.container["resources"]["limits"]["memory"]);
  EXPECT_EQ(a.container["livenessProbe"]["httpGet"]["path"].as<std::string>(""), "/healthz");
  if (set.sidecar) {
    EXPECT_FALSE(a.container["readinessProbe"]) << "a sidecar must not take its workload's pods out of service";
  } else {
    EXPECT_EQ(a.container["readinessProbe"]["httpGet"]["path"].as<std::string>(""), "/readyz");
    EXPECT_GE(a.pod["terminationGracePeriodSeconds"].as<int>(0), 30) << "the tick must be able to finish";
    EXPECT_EQ(a.pod["automountServiceAccountToken"].as<bool>(false), true);
  }
  // Every mount names a volume; the journal is an emptyDir, or a PVC when persistence is on.
  std::set<std::string> volumes;
  std::string journal;
  for (const auto& v : a.pod["volumes"]) {
    volumes.insert(v["name"].as<std::string>());
    if (v["name"].as<std::string>() == "opspilot-journal") journal = v["emptyDir"] ? "emptyDir" : v["persistentVolumeClaim"] ? "pvc" : "?";
  }
  bool root_writable = false;
  for (const auto& m : a.container["volumeMounts"]) {
    EXPECT_TRUE(volumes.count(m["name"].as<std::string>())) << m["name"];
    root_writable = root_writable || m["mountPath"].as<std::string>() == "/";
  }
  EXPECT_FALSE(root_writable);
  EXPECT_EQ(journal, set.name == "controller-persistent" ? "pvc" : "emptyDir");
  // Controller mode: a PodDisruptionBudget exactly when there is a standby to keep.
  if (!set.sidecar) {
    const YAML::Node* d = find(r, "Deployment", "ops-opspilot");
    ASSERT_TRUE(d);
    const int replicas = (*d)["spec"]["replicas"].as<int>();
    EXPECT_EQ(find(r, "PodDisruptionBudget") != nullptr, replicas > 1);
    EXPECT_EQ((*d)["spec"]["strategy"]["type"].as<std::string>(), set.name == "controller-persistent" ? "Recreate" : "RollingUpdate");
    EXPECT_EQ(find(r, "PersistentVolumeClaim") != nullptr, set.name == "controller-persistent");
  }
}

// The agent accepts the opspilot.yaml the chart wrote, with the policies and secrets mounted
// where the chart mounts them (here under a temporary directory instead of /etc/opspilot).
TEST_P(Chart, TheAgentAcceptsTheConfigTheChartWrote) {
  const ValueSet& set = GetParam();
  const Rendered r = render_set(set.name);
  ASSERT_EQ(r.code, 0) << r.err;
  const YAML::Node* cm = find(r, "ConfigMap", "ops-opspilot-config");
  ASSERT_TRUE(cm);
  TempDir dir;
  const std::string root = dir.path().string();
  std::string config = (*cm)["data"]["opspilot.yaml"].as<std::string>();
  auto replace_all = [](std::string& s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  };
  replace_all(config, "/etc/opspilot/", root + "/etc/");
  replace_all(config, "/var/lib/opspilot/", root + "/var/");
  // Outside a cluster: the actuator and leader election reach the API through a kubeconfig.
  const std::string kubeconfig = dir.write("kubeconfig", "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n");
  replace_all(config, "in_cluster: true", "kubeconfig: " + kubeconfig);
  const YAML::Node parsed = YAML::Load(config);
  if (parsed["leader_election"]) replace_all(config, "leader_election:\n", "leader_election:\n  kubeconfig: " + kubeconfig + "\n");
  fs::create_directories(root + "/etc/policies");
  fs::create_directories(root + "/etc/secrets/slack");
  fs::create_directories(root + "/etc/secrets/api");
  if (const YAML::Node* policies = find(r, "ConfigMap", "ops-opspilot-policies")) {
    for (const auto& kv : (*policies)["data"]) dir.write("etc/policies/" + kv.first.as<std::string>(), kv.second.as<std::string>());
  } else {
    dir.write("etc/policies/existing.yaml", "apiVersion: opspilot.dev/v1\nkind: Policy\nmetadata:\n  name: existing\nspec:\n  bounds: {max_replicas: 9}\n");
  }
  dir.write("etc/secrets/slack/bot-token", "xoxb-test\n");
  dir.write("etc/secrets/slack/signing-secret", "signing\n");
  if (parsed["api"])
    for (const auto& t : parsed["api"]["tokens"]) dir.write("etc/secrets/api/" + t["name"].as<std::string>(), "token-" + t["name"].as<std::string>());
  const std::string file = dir.write("opspilot.yaml", config);
  std::string out;
  const int code = run_command(std::string("'") + OPSPILOT_BIN + "' validate -c '" + file + "'", &out);
  EXPECT_EQ(code, 0) << out << "\n" << config;
  const YAML::Node values = YAML::LoadFile(kValues + set.name + ".yaml");
  EXPECT_EQ(parsed["mode"].as<std::string>(), values["dryRun"] && !values["dryRun"].as<bool>() ? "active" : "dry-run");
}

INSTANTIATE_TEST_SUITE_P(ValueSets, Chart, ::testing::ValuesIn(value_sets()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// Invalid values fail rendering, naming the value, instead of failing in the cluster.
TEST(ChartValues, InvalidValuesFailRenderingNamingTheValue) {
  const std::string ctl = "--set prometheus.url=http://p:9090 --set targets[0].name=web --set targets[0].metrics.load=x ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--set mode=daemonset", "mode: \"daemonset\" is not a mode; expected controller or sidecar"},
      {ctl + "--set sidecar.workload.name=web", "mode: controller, but sidecar.workload.name is set (\"web\")"},
      {ctl + "--set mode=sidecar --set prometheus.url= --set sidecar.workload.name=web --set sidecar.metrics.load=x",
       "mode: sidecar, but targets has 1 entries (controller mode)"},
      {"--set prometheus.url=http://p:9090 --set targets[0].name=web", "targets[0] (web): metrics is required"},
      {"--set prometheus.url=http://p:9090 --set targets[0].name=web --set targets[0].metrics.latency=x",
       "targets[0] (web): metrics.load is required"},
      {"--set mode=sidecar --set sidecar.workload.name=web", "sidecar.metrics.load is required"},
      {ctl + "--set dryRun=false", "dryRun: false needs at least one policy"},
      {"--set targets[0].name=web --set targets[0].metrics.load=x", "prometheus.url is required in controller mode"},
      {ctl + "--set controller.leaderElection.enabled=false", "controller.replicas: 2 replicas need controller.leaderElection.enabled: true"},
      {ctl + "--set journal.persistence.enabled=true", "journal.persistence.enabled with controller.replicas: 2"},
      {ctl + "--set controller.namespaces={shop}", "targets[0] (web): namespace \"opspilot\" is not in controller.namespaces [shop]"},
      {ctl + "--set targets[0].kind=DaemonSet", "targets[0].kind: \"DaemonSet\" is not a kind this chart manages"},
      {ctl + "--set approvals.slack.enabled=true --set approvals.slack.botToken=x --set approvals.slack.signingSecret=y",
       "approvals.slack.channel is required"},
      {ctl + "--set api.tokens[0].name=ci --set api.tokens[0].role=root", "api.tokens[0].role: \"root\""},
      {ctl + "--set serviceMonitor.enabled=true --set service.enabled=false", "serviceMonitor.enabled needs service.enabled"},
  };
  for (const auto& [args, message] : cases) {
    const Rendered r = render(args);
    EXPECT_EQ(r.code, 1) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("Error: execution error at (opspilot/templates/"), std::string::npos) << r.err;
  }
}

// The real kubectl accepts every manifest of every value set with a server-side dry run against
// the Kubernetes API simulator (which defaults and validates each object as kube-apiserver does,
// and stores nothing), and the sidecar patch applies to a running Deployment.
TEST(ChartKubectl, EveryValueSetIsAcceptedByApplyDryRunServer) {
  const std::string kubectl = find_program("kubectl");
  ASSERT_FALSE(kubectl.empty()) << "kubectl is not on PATH; this suite needs the real kubectl";
  k8s_sim::testing::SimProcess sim(R"(
namespaces: [opspilot, shop, search]
deployments:
  - {name: web, namespace: opspilot, replicas: 2, image: "nginx:1.25", labels: {app: web}}
)");
  ASSERT_EQ(sim.error(), "");
  const std::string kubeconfig = sim.write_kubeconfig("opspilot");
  auto run = [&](const std::string& args, std::string* out) {
    return run_command("timeout 60 '" + kubectl + "' --kubeconfig='" + kubeconfig + "' --cache-dir='" + sim.dir().file("cache") + "' " + args + " 2>&1", out);
  };
  for (const ValueSet& set : value_sets()) {
    const Rendered r = render_set(set.name);
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string file = sim.dir().write(set.name + ".yaml", r.out);
    std::string out;
    EXPECT_EQ(run("apply --dry-run=server -f '" + file + "'", &out), 0) << set.name << ":\n" << out;
    std::size_t created = 0;
    for (std::size_t at = out.find("(server dry run)"); at != std::string::npos; at = out.find("(server dry run)", at + 1)) ++created;
    EXPECT_EQ(created, r.docs.size()) << set.name << ":\n" << out;
    if (set.sidecar) {
      const YAML::Node* cm = find(r, "ConfigMap", "ops-opspilot-sidecar");
      ASSERT_TRUE(cm);
      const std::string patch = sim.dir().write(set.name + "-patch.yaml", (*cm)["data"]["patch.yaml"].as<std::string>());
      EXPECT_EQ(run("patch deployment web --dry-run=server --patch-file '" + patch + "' -o jsonpath='{.spec.template.spec.containers[*].name}'", &out), 0) << out;
      EXPECT_NE(out.find("opspilot"), std::string::npos) << out;
    }
  }
  std::string out;
  ASSERT_EQ(run("get configmaps,roles,deployments -A -o name", &out), 0) << out;
  EXPECT_EQ(out.find("opspilot-config"), std::string::npos) << "a dry run stores nothing:\n" << out;

  // The kustomize base is the chart's output for its values.yaml, and kubectl builds it and the
  // production overlay into manifests the server accepts.
  const std::string kustomize = std::string(OPSPILOT_SOURCE_DIR) + "/examples/kustomize/";
  const Rendered base = render("-f '" + kustomize + "base/values.yaml'", "opspilot");
  ASSERT_EQ(base.code, 0) << base.err;
  EXPECT_TRUE(base.out == read_file(kustomize + "base/opspilot.yaml")) << "examples/kustomize/base/opspilot.yaml is stale: run make kustomize-base";
  for (const char* dir : {"base", "overlays/production"}) {
    ASSERT_EQ(run("kustomize '" + kustomize + dir + "'", &out), 0) << dir << ": " << out;
    const std::string built = sim.dir().write("kustomized.yaml", out);
    EXPECT_NE(out.find("kind: Deployment"), std::string::npos) << out;
    EXPECT_EQ(run("apply --dry-run=server -f '" + built + "'", &out), 0) << dir << ":\n" << out;
  }
  ASSERT_EQ(run("kustomize '" + kustomize + "overlays/production'", &out), 0);
  EXPECT_NE(out.find("name: shop-production"), std::string::npos) << "the overlay's policies replace the base's";
  EXPECT_NE(out.find("image: ghcr.io/opspilot/opspilot:0.1.0"), std::string::npos);

  // The simulator validates what it receives: a mount of a volume that does not exist is refused.
  const Rendered r = render_set("controller-dry-run");
  std::string broken = r.out;
  const std::string from = "{name: opspilot-tmp, mountPath: /tmp}";
  ASSERT_NE(broken.find(from), std::string::npos);
  broken.replace(broken.find(from), from.size(), "{name: no-such-volume, mountPath: /tmp}");
  EXPECT_NE(run("apply --dry-run=server -f '" + sim.dir().write("broken.yaml", broken) + "'", &out), 0) << out;
  EXPECT_NE(out.find("no-such-volume"), std::string::npos) << out;
}

// The six value sets render well inside the budget of a test run.
TEST(ChartValues, SixValueSetsRenderQuickly) {
  const auto started = std::chrono::steady_clock::now();
  for (const ValueSet& set : value_sets()) ASSERT_EQ(render_set(set.name).code, 0) << set.name;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("rendered %zu value sets in %.2f s (target < 60 s)\n", value_sets().size(), seconds);
  EXPECT_LT(seconds, 60.0);
}

// The metric families the agent registers (agent/metrics.cpp is where every one is built).
std::set<std::string> agent_metric_names() {
  std::set<std::string> names;
  const std::string src = read_file(std::string(OPSPILOT_SOURCE_DIR) + "/agent/metrics.cpp");
  const std::regex re(R"re(Name\("(opspilot_[a-z_]+)"\))re");
  for (auto it = std::sregex_iterator(src.begin(), src.end(), re); it != std::sregex_iterator(); ++it) names.insert((*it)[1]);
  return names;
}

// Every opspilot_* name in a PromQL expression is a metric the agent exports (histogram series
// by their family name).
void expect_known_metrics(const std::string& expr, const std::set<std::string>& known, const std::string& where) {
  const std::regex re("opspilot_[a-z_]+");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), re); it != std::sregex_iterator(); ++it) {
    std::string name = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (!known.count(name) && name.ends_with(suffix)) name.resize(name.size() - std::string(suffix).size());
    EXPECT_TRUE(known.count(name)) << where << ": " << it->str() << " is not a metric the agent exports, in " << expr;
  }
}

// The PrometheusRule's alerts are valid Prometheus rules (promtool, from Debian's prometheus
// package), cover what the agent must be watched for, and query metrics the agent exports.
TEST(ChartMonitoring, PrometheusRuleIsValidAndWatchesTheAgent) {
  const Rendered r = render_set("controller-active");
  ASSERT_EQ(r.code, 0) << r.err;
  const YAML::Node* rule = find(r, "PrometheusRule");
  ASSERT_TRUE(rule);
  const YAML::Node* monitor = find(r, "ServiceMonitor");
  ASSERT_TRUE(monitor);
  EXPECT_EQ((*monitor)["spec"]["endpoints"][0]["port"].as<std::string>(), "http-opspilot");
  TempDir dir;
  YAML::Emitter out;
  YAML::Node file;
  file["groups"] = (*rule)["spec"]["groups"];
  out << file;
  const std::string path = dir.write("rules.yaml", out.c_str());
  const std::string promtool = find_program("promtool");
  ASSERT_FALSE(promtool.empty()) << "promtool (Debian's prometheus package) is needed";
  std::string checked;
  EXPECT_EQ(run_command("'" + promtool + "' check rules '" + path + "' 2>&1", &checked), 0) << checked;
  std::set<std::string> alerts;
  const auto known = agent_metric_names();
  ASSERT_GT(known.size(), 30u);
  for (const auto& g : (*rule)["spec"]["groups"])
    for (const auto& a : g["rules"]) {
      alerts.insert(a["alert"].as<std::string>());
      expect_known_metrics(a["expr"].as<std::string>(), known, a["alert"].as<std::string>());
    }
  for (const char* must : {"OpspilotNotActing", "OpspilotTicksStalled", "OpspilotForecastBelowFloor", "OpspilotApprovalsPilingUp",
                           "OpspilotActuatorErrors", "OpspilotLeaderChurn"})
    EXPECT_TRUE(alerts.count(must)) << must;
}

TEST(ChartMonitoring, GrafanaDashboardQueriesTheAgentsMetrics) {
  const std::string text = read_file(std::string(OPSPILOT_SOURCE_DIR) + "/examples/grafana/opspilot-dashboard.json");
  const nlohmann::json dash = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(dash.is_discarded()) << "not JSON";
  EXPECT_EQ(dash["uid"], "opspilot-agent");
  const auto known = agent_metric_names();
  std::size_t queries = 0;
  std::set<std::string> used;
  for (const auto& panel : dash["panels"]) {
    for (const auto& t : panel.value("targets", nlohmann::json::array())) {
      const std::string expr = t["expr"];
      expect_known_metrics(expr, known, panel["title"]);
      const std::regex re("opspilot_[a-z_]+");
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), re); it != std::sregex_iterator(); ++it) used.insert(it->str());
      ++queries;
    }
  }
  EXPECT_GE(queries, 20u);
  for (const char* must : {"opspilot_decisions_total", "opspilot_forecast_mase", "opspilot_approvals_pending", "opspilot_leader"})
    EXPECT_TRUE(used.count(must)) << must;
}

// The image: a multi-stage bookworm build with the make targets CI runs, and a runtime stage
// that installs the package of every shared library the agent binary needs, running as the
// non-root user the chart's security context names.
TEST(ChartImage, DockerfileShipsWhatTheBinaryNeedsAsNonRoot) {
  const std::string docker = read_file(std::string(OPSPILOT_SOURCE_DIR) + "/Dockerfile");
  ASSERT_FALSE(docker.empty());
  const std::regex from_re(R"(\nFROM ([^\s]+))");
  std::vector<std::string> stages;
  for (auto it = std::sregex_iterator(docker.begin(), docker.end(), from_re); it != std::sregex_iterator(); ++it) stages.push_back((*it)[1]);
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0], "debian:bookworm");
  EXPECT_EQ(stages[1], "debian:bookworm-slim");
  EXPECT_NE(docker.find("make build"), std::string::npos);
  EXPECT_NE(docker.find("make test"), std::string::npos);
  const std::string runtime = docker.substr(docker.rfind("\nFROM "));
  const YAML::Node values = YAML::LoadFile(kChart + "/values.yaml");
  const std::string uid = values["podSecurityContext"]["runAsUser"].as<std::string>();
  EXPECT_NE(runtime.find("\nUSER " + uid + ":" + uid + "\n"), std::string::npos) << "the image's user is the chart's";
  std::string needed;
  // Each NEEDED library as the loader resolves it ("libm.so.6 /lib/x86_64-linux-gnu/libm.so.6").
  ASSERT_EQ(run_command(std::string("for l in $(readelf -d '") + OPSPILOT_BIN +
                            "' | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'); do echo \"$l $(ldd '" + OPSPILOT_BIN +
                            "' | awk -v l=$l '$1 == l {print $3}')\"; done",
                        &needed),
            0);
  std::istringstream libs(needed);
  std::size_t checked = 0;
  for (std::string lib, path; libs >> lib >> path;) {
    if (lib.find("asan") != std::string::npos || lib.find("ubsan") != std::string::npos) continue;  // the test build's sanitizers
    std::string owner;
    // dpkg knows a file by the path its package installed it at: /usr/lib or /lib (merged /usr).
    ASSERT_EQ(run_command("{ dpkg -S '" + path + "' || dpkg -S '/usr" + path + "' || dpkg -S \"$(realpath '" + path +
                              "')\"; } 2>/dev/null | head -1 | cut -d: -f1",
                          &owner),
              0);
    while (!owner.empty() && std::isspace(static_cast<unsigned char>(owner.back()))) owner.pop_back();
    ASSERT_FALSE(owner.empty()) << lib;
    EXPECT_NE(runtime.find(" " + owner + " "), std::string::npos) << lib << " comes from " << owner << ", not installed in the runtime stage";
    ++checked;
  }
  EXPECT_GE(checked, 4u);
}

}  // namespace
}  // namespace opspilot::test
