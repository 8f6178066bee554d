// opspilot-helm-render (tests/helm_render/*.go) stands in for `helm template` in the chart tests,
// since Helm cannot be installed here. These tests run the real binary on the fixture chart in
// tests/data/helm-fixture and on small charts written to temp dirs, and compare its stdout,
// stderr and exit code with what Helm 3 prints.
//
// Two deliberate differences from real Helm, both asked for by the renderer's brief and visible
// in the golden output (tests/data/helm-fixture/expected/default.yaml): documents are printed in
// lexical template-path order (Helm sorts by kind: ServiceAccount, ConfigMap, Service,
// Deployment, ...), and documents holding only comments are dropped (Helm prints them). Hooks
// come last, as in Helm.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace opspilot::test {
namespace {

const std::string kRender = OPSPILOT_HELM_RENDER_BIN;
const std::string kFixture = std::string(OPSPILOT_SOURCE_DIR) + "/tests/data/helm-fixture";

struct Result {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs the renderer with `args`, keeping stdout and stderr apart.
Result render(const std::vector<std::string>& args) {
  std::string cmd = shell_quote(kRender);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  Result r;
  r.exit_code = run_command(cmd, &r.out, &r.err);
  return r;
}

// The "# Source:" lines of an output, in order.
std::vector<std::string> sources(const std::string& out) {
  std::vector<std::string> v;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# Source: ", 0) == 0) v.push_back(line.substr(10));
  }
  return v;
}

// A writable copy of the fixture chart, for tests that break it.
struct FixtureCopy {
  TempDir dir;
  std::string chart = dir.file("fixture");
  FixtureCopy() { std::filesystem::copy(kFixture, chart, std::filesystem::copy_options::recursive); }
  void write(const std::string& rel, const std::string& content) const { dir.write("fixture/" + rel, content); }
};

// A one-off chart named `name` in `dir` with the given templates (and optional values.yaml).
std::string small_chart(const TempDir& dir, const std::string& name,
                        const std::vector<std::pair<std::string, std::string>>& files) {
  dir.write(name + "/Chart.yaml", "apiVersion: v2\nname: " + name + "\nversion: 1.0.0\n");
  for (const auto& [path, content] : files) dir.write(name + "/" + path, content);
  return dir.file(name);
}

TEST(HelmRender, FixtureMatchesGoldenOutput) {
  // include + nindent, toYaml of nested maps and lists, tpl, default, coalesce, .Files.Get,
  // .Files.Glob + AsConfig with .helmignore'd files (including expected/ itself) left out.
  const Result r = render({kFixture});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string golden = read_file(kFixture + "/expected/default.yaml");
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(r.out, golden);
}

TEST(HelmRender, SourcesInPathOrderHooksLastWithoutNotesPartialsOrEmptyDocuments) {
  const Result r = render({kFixture});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> want = {
      "fixture/templates/configmap.yaml",      "fixture/templates/deployment.yaml",
      "fixture/templates/files-configmap.yaml", "fixture/templates/multi.yaml",
      "fixture/templates/multi.yaml",           "fixture/templates/hooks/migrate-job.yaml"};
  EXPECT_EQ(sources(r.out), want);
  EXPECT_EQ(r.out.find("NOTES"), std::string::npos);
  EXPECT_EQ(r.out.find("_helpers"), std::string::npos);
  EXPECT_EQ(r.out.find("servicemonitor"), std::string::npos) << "renders empty without the CRD API";
  EXPECT_EQ(r.out.find("comment-only"), std::string::npos);
  EXPECT_EQ(r.out.find("stale.bak"), std::string::npos) << ".helmignore must hide files/*.bak";
}

TEST(HelmRender, ReleaseNameAndNamespaceReachTemplatesAndTpl) {
  const Result r = render({"ops", kFixture, "--namespace", "monitoring", "--show-only", "templates/configmap.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  name: ops-fixture\n  namespace: monitoring\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    app.kubernetes.io/instance: ops\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  greeting: \"hello from ops in monitoring\"\n"), std::string::npos) << r.out;
  const Result flag = render({kFixture, "--release", "ops", "-n", "monitoring", "-s", "templates/configmap.yaml"});
  EXPECT_EQ(flag.out, r.out);
}

TEST(HelmRender, ApiVersionsFlagEnablesTheServiceMonitor) {
  const Result r = render({kFixture, "--api-versions", "monitoring.coreos.com/v1", "-n", "obs", "--show-only",
                           "templates/servicemonitor.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"(---
# Source: fixture/templates/servicemonitor.yaml
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: release-name-fixture
  namespace: obs
spec:
  endpoints:
    - port: metrics
      interval: 30s
)");
  // Without the API the template renders empty, so --show-only cannot find it (Helm's wording).
  const Result missing = render({kFixture, "--show-only", "templates/servicemonitor.yaml"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_EQ(missing.err, "Error: could not find template templates/servicemonitor.yaml in chart\n");
}

TEST(HelmRender, ShowOnlyFollowsFlagOrderAndAcceptsGlobs) {
  const Result r = render({kFixture, "-s", "templates/multi.yaml", "-s", "templates/config*.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> want = {"fixture/templates/multi.yaml", "fixture/templates/multi.yaml",
                                         "fixture/templates/configmap.yaml"};
  EXPECT_EQ(sources(r.out), want);
  const Result bad = render({kFixture, "-s", "templates/nope.yaml"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "Error: could not find template templates/nope.yaml in chart\n");
}

TEST(HelmRender, RequiredFailsNamingTheValueAtTheCallSite) {
  // A null from --set deletes the chart default, so `required` sees nothing. Helm executes
  // deeper template paths first, so the hook under templates/hooks/ is the one that fails.
  const std::string want =
      "Error: execution error at (fixture/templates/hooks/migrate-job.yaml:13:20): image.repository is required\n";
  const Result r = render({kFixture, "--set", "image.repository=null"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, want);
  const Result empty = render({kFixture, "--set-string", "image.repository="});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_EQ(empty.err, want);
}

TEST(HelmRender, FailMessageGetsHelmsExecutionErrorForm) {
  const Result r = render({kFixture, "--set", "mode=bogus"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "Error: execution error at (fixture/templates/deployment.yaml:2:4): mode must be controller or sidecar, "
            "got \"bogus\"\n");
}

TEST(HelmRender, ValuesFilesAndSetCoalesceLikeHelm) {
  TempDir dir;
  // Maps merge key by key; null deletes a default (labels, resources.limits); lists replace.
  const std::string a = dir.write("a.yaml", "labels: null\nreplicas: 5\nconfig:\n  slo:\n    window: 7d\n"
                                            "resources:\n  limits: null\n");
  const std::string b = dir.write("b.yaml", "replicas: 7\nimage:\n  pullPolicy: Always\n");
  const Result r = render({kFixture, "-f", a, "--values", b, "--set", "config.targets[1].port=9191",
                           "--set", "env.LOG_LEVEL=debug,env.MODE=fast", "--set", "args={--once,--verbose}",
                           "--set-string", "image.tag=1.10", "-s", "templates/deployment.yaml", "-s",
                           "templates/configmap.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"(---
# Source: fixture/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-name-fixture
  labels:
    app.kubernetes.io/name: fixture
    app.kubernetes.io/instance: release-name
    app.kubernetes.io/version: "2.4.0"
    app.kubernetes.io/managed-by: Helm
    helm.sh/chart: fixture-0.3.1
spec:
  replicas: 7
  selector:
    matchLabels:
      app.kubernetes.io/name: fixture
  template:
    metadata:
      labels:
        app.kubernetes.io/name: fixture
    spec:
      containers:
        - name: agent
          image: "ghcr.io/opspilot/agent:1.10"
          imagePullPolicy: Always
          args:
            - --once
            - --verbose
          env:
            - name: LOG_LEVEL
              value: "debug"
            - name: MODE
              value: "fast"
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
---
# Source: fixture/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: release-name-fixture
  namespace: default
  labels:
    app.kubernetes.io/name: fixture
    app.kubernetes.io/instance: release-name
    app.kubernetes.io/version: "2.4.0"
    app.kubernetes.io/managed-by: Helm
    helm.sh/chart: fixture-0.3.1
data:
  greeting: "hello from release-name in default"
  mode: "controller"
  config.yaml: |
    slo:
      availability: 0.999
      window: 7d
    targets:
    - null
    - port: 9191
  agent.conf: |
    # opspilot agent config fixture
    interval = 15s
)");
}

TEST(HelmRender, UserNullDeletesTheDefaultKeyRatherThanSettingNull) {
  TempDir dir;
  const std::string chart = small_chart(dir, "nulls", {{"values.yaml", "a:\n  b: 1\n  c: 2\nd: 3\ne: 4\n"},
                                                       {"templates/v.yaml", "v: {{ toJson .Values | quote }}\n"}});
  const std::string f = dir.write("f.yaml", "e: null\nnew: null\n");
  const Result r = render({chart, "-f", f, "--set", "a.b=null,d=null"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A null for a key the chart does not define stays a null (Helm only deletes defaults).
  EXPECT_EQ(r.out, "---\n# Source: nulls/templates/v.yaml\nv: \"{\\\"a\\\":{\\\"c\\\":2},\\\"new\\\":null}\"\n");
}

TEST(HelmRender, ScalarOverADefaultTableWinsWithAWarning) {
  const Result r = render({kFixture, "--set", "resources.limits=none", "-s", "templates/deployment.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("          resources:\n            limits: none\n            requests:\n"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.err,
            "warning: cannot overwrite table with non table for fixture.resources.limits (map[cpu:500m "
            "memory:256Mi])\n");
}

TEST(HelmRender, SetBeatsValuesFilesAndTypesValuesLikeHelm) {
  TempDir dir;
  const std::string a = dir.write("a.yaml", "replicas: 5\n");
  const std::string b = dir.write("b.yaml", "replicas: 7\n");
  const auto replicas = [](const Result& r) {
    const auto at = r.out.find("  replicas: ");
    return at == std::string::npos ? r.err : r.out.substr(at, r.out.find('\n', at) - at);
  };
  EXPECT_EQ(replicas(render({kFixture, "-f", a + "," + b, "-s", "templates/deployment.yaml"})), "  replicas: 7");
  EXPECT_EQ(replicas(render({kFixture, "-f", b, "-f", a, "-s", "templates/deployment.yaml"})), "  replicas: 5");
  EXPECT_EQ(replicas(render({kFixture, "-f", a, "--set", "replicas=9", "-s", "templates/deployment.yaml"})),
            "  replicas: 9");
  // Numbers from YAML are float64 in Helm, so a million prints in exponent form...
  EXPECT_EQ(replicas(render({kFixture, "-f", dir.write("m.yaml", "replicas: 1000000\n"), "-s",
                             "templates/deployment.yaml"})),
            "  replicas: 1e+06");
  // ...while --set makes an int64; --set-string keeps leading zeros.
  EXPECT_EQ(replicas(render({kFixture, "--set", "replicas=1000000", "-s", "templates/deployment.yaml"})),
            "  replicas: 1000000");
  EXPECT_EQ(replicas(render({kFixture, "--set-string", "replicas=007", "-s", "templates/deployment.yaml"})),
            "  replicas: 007");
}

TEST(HelmRender, ParseErrorNamesFileAndLine) {
  FixtureCopy fx;
  fx.write("templates/broken.yaml", "apiVersion: v1\nkind: Secret\n{{- if }}\n");
  const Result r = render({fx.chart});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "Error: parse error at (fixture/templates/broken.yaml:3): missing value for if\n");
}

TEST(HelmRender, EnvAndExpandenvAreRemovedLikeInHelm) {
  TempDir dir;
  const std::string chart = small_chart(dir, "noenv", {{"templates/x.yaml", "home: {{ env \"HOME\" }}\n"}});
  const Result r = render({chart});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: parse error at (noenv/templates/x.yaml:1): function \"env\" not defined\n");
}

TEST(HelmRender, BadValuesFileIsReportedWithItsPath) {
  TempDir dir;
  const std::string bad = dir.write("bad.yaml", "replicas: 3\nimage:\n  tag: 1\n bad: 2\n");
  const Result r = render({kFixture, "-f", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "Error: failed to parse " + bad + ": error converting YAML to JSON: yaml: line 3: did not find "
                   "expected key\n");
  const Result list = render({kFixture, "-f", dir.write("list.yaml", "- a\n")});
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_NE(list.err.find("cannot unmarshal array into Go value of type map[string]interface {}"), std::string::npos)
      << list.err;
  const Result set = render({kFixture, "--set", "image.repository"});
  EXPECT_EQ(set.exit_code, 1);
  EXPECT_EQ(set.err, "Error: failed parsing --set data: key \"repository\" has no value\n");
}

TEST(HelmRender, ChartKubeVersionConstraintIsChecked) {
  const Result r = render({kFixture, "--kube-version", "1.24.3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.24.3\n");
  EXPECT_EQ(render({kFixture, "--kube-version", "v1.25.0"}).exit_code, 0);
}

TEST(HelmRender, ToYamlLaysOutLikeHelm) {
  // Expected text checked against sigs.k8s.io/yaml's algorithm (JSON, then yaml.v2): keys in
  // yaml.v2's natural order (port9 < port10, upper case first), sequences flush with their key,
  // quoting only where needed, a million as an integer, long strings folded past column 80.
  TempDir dir;
  const std::string chart = small_chart(dir, "layout",
                                        {{"values.yaml", R"(obj:
  port10: 1
  port9: 2
  Zeta: z
  alpha: "true"
  big: 1000000
  ratio: 0.25
  empty: ""
  colon: "a: b"
  none: null
  list:
    - name: x
      args: [--a, --b]
    - [1, 2]
  emptyList: []
  emptyMap: {}
  multi: "line1\nline2\n"
  query: sum(rate(http_requests_total{job="api",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="api"}[5m])) > 0.01
)"},
                                         {"templates/obj.yaml", "{{ toYaml .Values.obj }}\n"}});
  const Result r = render({chart});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"(---
# Source: layout/templates/obj.yaml
Zeta: z
alpha: "true"
big: 1000000
colon: 'a: b'
empty: ""
emptyList: []
emptyMap: {}
list:
- args:
  - --a
  - --b
  name: x
- - 1
  - 2
multi: |
  line1
  line2
none: null
port9: 2
port10: 1
query: sum(rate(http_requests_total{job="api",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="api"}[5m]))
  > 0.01
ratio: 0.25
)");
}

TEST(HelmRender, BuiltInObjectsMatchHelms) {
  TempDir dir;
  const std::string chart = small_chart(dir, "objects", {{"templates/objects.yaml", R"(kube: {{ .Capabilities.KubeVersion.Version }} {{ .Capabilities.KubeVersion.Major }}.{{ .Capabilities.KubeVersion.Minor }}
has: {{ .Capabilities.APIVersions.Has "apps/v1" }} {{ .Capabilities.APIVersions.Has "apps/v1/Deployment" }} {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }} {{ .Capabilities.APIVersions.Has "example.com/v1" }}
release: {{ .Release.Name }} {{ .Release.Namespace }} {{ .Release.Service }} {{ .Release.IsInstall }} {{ .Release.IsUpgrade }} {{ .Release.Revision }}
chart: {{ .Chart.Name }} {{ .Chart.Version }} {{ .Chart.IsRoot }}
template: {{ .Template.Name }} {{ .Template.BasePath }}
lines: {{ .Files.Lines "data/list.txt" | toJson | quote }}
secrets: {{ (.Files.Glob "data/*.txt").AsSecrets | quote }}
missing: {{ .Files.Get "data/missing.txt" | quote }}
lookup: {{ lookup "v1" "Secret" "ns" "name" | toJson | quote }}
)"},
                                                         {"data/list.txt", "a\nb\n"}});
  const Result r = render({"rel", chart, "-n", "ns", "--kube-version", "1.29", "--api-versions", "example.com/v1",
                           "--is-upgrade"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"(---
# Source: objects/templates/objects.yaml
kube: v1.29.0 1.29
has: true true false true
release: rel ns Helm false true 1
chart: objects 1.0.0 true
template: objects/templates/objects.yaml objects/templates
lines: "[\"a\",\"b\"]"
secrets: "list.txt: YQpiCg=="
missing: ""
lookup: "{}"
)");
  const Result install = render({chart, "-s", "templates/objects.yaml"});
  EXPECT_NE(install.out.find("release: release-name default Helm true false 1\n"), std::string::npos) << install.out;
  EXPECT_NE(install.out.find("kube: v1.32.4 1.32\n"), std::string::npos) << install.out;
}

TEST(HelmRender, RenderedDocumentsAreCheckedLikeHelmsManifestSorter) {
  TempDir dir;
  // An unquoted number in annotations fails Helm's manifest parsing, exactly so.
  const std::string ann = small_chart(dir, "ann", {{"templates/svc.yaml",
                                                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
                                                    "  annotations:\n    prometheus.io/port: 9102\n"}});
  Result r = render({ann});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Error: YAML parse error on ann/templates/svc.yaml: error unmarshaling JSON: while decoding JSON: json: "
            "cannot unmarshal number into Go struct field .metadata.annotations of type string\n\n"
            "Use --debug flag to render out invalid YAML\n");
  // A "{{ }}" that reached the output (a value printed without tpl) is a map used as a key.
  const std::string braces = small_chart(
      dir, "braces", {{"values.yaml", "greeting: \"{{ .Release.Name }}\"\n"},
                      {"templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  greeting: {{ .Values.greeting }}\n"}});
  r = render({braces});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Error: YAML parse error on braces/templates/cm.yaml: error converting YAML to JSON: yaml: invalid map "
            "key: map[interface {}]interface {}{\".Release.Name\":interface {}(nil)}\n\n"
            "Use --debug flag to render out invalid YAML\n");
  // --debug also prints what was rendered, so the broken text can be seen.
  r = render({braces, "--debug"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "---\n# Source: braces/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\ndata:\n"
                   "  greeting: {{ .Release.Name }}\n\n");
}

TEST(HelmRender, IncludeRecursionIsCutOff) {
  TempDir dir;
  const std::string chart = small_chart(
      dir, "loop", {{"templates/x.yaml", "a: {{ include \"loop\" . }}\n{{- define \"loop\" }}{{ include \"loop\" . }}{{ end }}\n"}});
  const Result r = render({chart});
  EXPECT_EQ(r.exit_code, 1);
  const std::string tail = "rendering template has a nested reference name: loop: unable to execute template\n";
  ASSERT_GE(r.err.size(), tail.size());
  EXPECT_EQ(r.err.substr(r.err.size() - tail.size()), tail);
  EXPECT_EQ(r.err.rfind("Error: template: loop/templates/x.yaml:1:", 0), 0u) << r.err.substr(0, 200);
}

TEST(HelmRender, ValuesSchemaIsOnlyWarnedAbout) {
  TempDir dir;
  const std::string chart = small_chart(
      dir, "schema", {{"values.schema.json", "{\"type\": \"object\"}\n"}, {"templates/x.yaml", "a: b\n"}});
  const Result r = render({chart});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "---\n# Source: schema/templates/x.yaml\na: b\n");
  EXPECT_NE(r.err.find("warning: "), std::string::npos);
  EXPECT_NE(r.err.find("values.schema.json"), std::string::npos) << r.err;
}

TEST(HelmRender, CommandLineMistakesExitTwo) {
  Result r = render({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("Error: a chart directory is required\n", 0), 0u) << r.err;
  r = render({kFixture, "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("Error: unknown flag: --no-such-flag\n", 0), 0u) << r.err;
  r = render({kFixture, "--set"});
  EXPECT_EQ(r.exit_code, 2);
  r = render({kFixture, "--name-template", "Bad_Name"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invalid release name \"Bad_Name\""), std::string::npos) << r.err;
}

}  // namespace
}  // namespace opspilot::test
