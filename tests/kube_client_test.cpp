// The Kubernetes API client: kubeconfig parsing (tokens, token files, inline certificates,
// contexts, namespaces and the errors for bad files), the in-cluster service account, TLS against
// the simulator's self-signed certificate, and retries — against the real opspilot-k8s-sim.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "actuators/kubernetes/kube_client.h"
#include "examples/k8s-sim/sim_process.h"
#include "tests/test_support.h"

namespace opspilot::actuators::kube {
namespace {

using k8s_sim::testing::SimProcess;
using namespace std::chrono_literals;

constexpr const char* kState = R"(
deployments:
  - {name: web, replicas: 2, image: "nginx:1.25"}
auth:
  tokens:
    - {token: admin-token, user: admin}
    - {token: rotated-token, user: "system:serviceaccount:prod:opspilot"}
)";

const std::string kDeploy = "/apis/apps/v1/namespaces/default/deployments";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

/// A kubeconfig with one cluster, one user and one context named "test".
std::string kubeconfig(const std::string& server, const std::string& cluster_extra, const std::string& user_extra,
                       const std::string& context_extra = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: c\n  cluster:\n    server: " + server +
         "\n" + cluster_extra + "users:\n- name: u\n  user:\n" + user_extra +
         "contexts:\n- name: test\n  context:\n    cluster: c\n    user: u\n" + context_extra;
}

KubeConfig load_ok(const KubeConfigOptions& options) {
  std::string error;
  auto cfg = load_kube_config(options, &error);
  EXPECT_TRUE(cfg.has_value()) << error;
  return cfg.value_or(KubeConfig{});
}

std::string load_error(const KubeConfigOptions& options) {
  std::string error;
  auto cfg = load_kube_config(options, &error);
  EXPECT_FALSE(cfg.has_value());
  return error;
}

RetryPolicy fast_retries(int attempts) {
  RetryPolicy p;
  p.attempts = attempts;
  p.base = 10ms;
  p.cap = 3000ms;
  return p;
}

TEST(KubeConfigFile, ReadsTokensContextsAndNamespaces) {
  test::TempDir dir;
  dir.write("token.txt", "file-token\n");
  const std::string path = dir.write("config", R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster: {server: "https://dev.example:6443/", insecure-skip-tls-verify: true}
- name: prod-cluster
  cluster: {server: "https://prod.example:6443", certificate-authority: ca.pem}
users:
- name: dev-user
  user: {token: literal-token}
- name: prod-user
  user: {tokenFile: token.txt}
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
- name: prod
  context: {cluster: prod-cluster, user: prod-user, namespace: payments}
)");
  dir.write("ca.pem", "not really a certificate");
  KubeConfigOptions o;
  o.kubeconfig = path;
  const KubeConfig dev = load_ok(o);
  EXPECT_EQ(dev.server, "https://dev.example:6443") << "no trailing slash, so paths join cleanly";
  EXPECT_EQ(dev.token, "literal-token");
  EXPECT_TRUE(dev.insecure_skip_tls_verify);
  EXPECT_EQ(dev.namespace_, "default");
  EXPECT_EQ(dev.source, path + " context dev");
  EXPECT_EQ(dev.user, "dev-user");
  EXPECT_EQ(KubeClient(dev).url("/api"), "https://dev.example:6443/api");

  o.context = "prod";
  const KubeConfig prod = load_ok(o);
  EXPECT_EQ(prod.server, "https://prod.example:6443");
  EXPECT_EQ(prod.token, "");
  EXPECT_EQ(prod.token_file, dir.file("token.txt")) << "relative to the kubeconfig's directory";
  EXPECT_EQ(prod.ca_file, dir.file("ca.pem"));
  EXPECT_FALSE(prod.insecure_skip_tls_verify);
  EXPECT_EQ(prod.namespace_, "payments");

  o.server = "http://127.0.0.1:1";
  EXPECT_EQ(load_ok(o).server, "http://127.0.0.1:1") << "the server setting overrides the kubeconfig's";
}

TEST(KubeConfigFile, ErrorsNameTheFileTheContextAndWhatIsMissing) {
  test::TempDir dir;
  KubeConfigOptions o;
  o.kubeconfig = dir.write("config", kubeconfig("https://x:6443", "", "    token: t\n"));
  o.context = "staging";
  EXPECT_EQ(load_error(o), "kubeconfig " + o.kubeconfig + " has no context \"staging\" (contexts: \"test\")");

  o.context.clear();
  o.kubeconfig = dir.file("absent");
  EXPECT_EQ(load_error(o), "kubeconfig " + o.kubeconfig + " cannot be read (no such file)");

  o.kubeconfig = dir.write("broken", "clusters: [\n  - name: x\n");
  // The '-' on line 2, column 3, counted from 1 (yaml-cpp counts from 0).
  EXPECT_EQ(load_error(o), "kubeconfig " + o.kubeconfig + ":2:3: not valid YAML: illegal block entry");

  o.kubeconfig = dir.write("nouser", R"(
current-context: test
clusters: [{name: c, cluster: {server: "https://x:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: test, context: {cluster: c, user: ghost}}]
)");
  EXPECT_EQ(load_error(o), "kubeconfig " + o.kubeconfig + " context \"test\" names user \"ghost\", which is not in users (users: \"u\")");

  o.kubeconfig = dir.write("baddata", kubeconfig("https://x:6443", "    certificate-authority-data: '%%%'\n", "    token: t\n"));
  EXPECT_EQ(load_error(o), "kubeconfig " + o.kubeconfig + " context \"test\" cluster \"c\": certificate-authority-data is not valid base64");

  o.kubeconfig = dir.write("exec", kubeconfig("https://x:6443", "", "    exec: {command: aws}\n"));
  EXPECT_NE(load_error(o).find("exec plugin, which opspilot does not run"), std::string::npos);

  o.kubeconfig = dir.write("nocurrent", "clusters: []\ncontexts:\n- name: a\n  context: {cluster: c}\n");
  EXPECT_EQ(load_error(o), "kubeconfig " + o.kubeconfig + " has no current-context and no context was given (contexts: \"a\")");
}

TEST(KubeConfigFile, InlineCertificatesAreDecodedIntoPrivateFiles) {
  test::TempDir dir;
  const std::string ca = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
  const std::string cert = "-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n";
  const std::string key = "-----BEGIN PRIVATE KEY-----\nsecret!\n-----END PRIVATE KEY-----\n";
  KubeConfigOptions o;
  o.kubeconfig = dir.write("config", kubeconfig("https://x:6443", "    certificate-authority-data: " + base64(ca) + "\n",
                                                "    client-certificate-data: " + base64(cert) +
                                                    "\n    client-key-data: " + base64(key) + "\n"));
  std::string cert_path;
  {
    const KubeConfig cfg = load_ok(o);
    ASSERT_FALSE(cfg.ca_file.empty());
    EXPECT_EQ(read(cfg.ca_file), ca);
    EXPECT_EQ(read(cfg.client_cert_file), cert);
    EXPECT_EQ(read(cfg.client_key_file), key);
    for (const auto& f : {cfg.ca_file, cfg.client_cert_file, cfg.client_key_file}) {
      struct stat st {};
      ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    }
    struct stat st {};
    ASSERT_EQ(::stat(std::filesystem::path(cfg.ca_file).parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    cert_path = cfg.client_cert_file;
    const KubeConfig copy = cfg;  // copies share the files
    (void)copy;
  }
  EXPECT_FALSE(std::filesystem::exists(cert_path)) << "removed with the last copy of the config";

  // A certificate without its key is refused.
  o.kubeconfig = dir.write("halfcert", kubeconfig("https://x:6443", "", "    client-certificate-data: " + base64(cert) + "\n"));
  EXPECT_NE(load_error(o).find("needs both client-certificate(-data) and client-key(-data)"), std::string::npos);
}

/// Sets environment variables for one test and restores them.
class ScopedEnv {
 public:
  ScopedEnv(const std::string& name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name.c_str())) old_ = old, had_ = true;
    if (value) ::setenv(name.c_str(), value, 1);
    else ::unsetenv(name.c_str());
  }
  ~ScopedEnv() {
    if (had_) ::setenv(name_.c_str(), old_.c_str(), 1);
    else ::unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

TEST(KubeConfigInCluster, ReadsTheServiceAccountDirectoryAndEnvironment) {
  test::TempDir sa;
  // A JWT whose payload names the service account (the signature is not checked client-side).
  const std::string payload = R"({"sub":"system:serviceaccount:prod:opspilot"})";
  sa.write("token", "eyJhbGciOiJSUzI1NiJ9." + base64(payload) + ".sig\n");
  sa.write("ca.crt", "pem");
  sa.write("namespace", "prod\n");
  KubeConfigOptions o;
  o.in_cluster = true;
  o.service_account_dir = sa.path().string();
  {
    ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
    const KubeConfig cfg = load_ok(o);
    EXPECT_EQ(cfg.server, "https://10.96.0.1:443");
    EXPECT_EQ(cfg.token_file, sa.file("token"));
    EXPECT_EQ(cfg.ca_file, sa.file("ca.crt"));
    EXPECT_EQ(cfg.namespace_, "prod");
    EXPECT_EQ(cfg.source, "in-cluster");
    EXPECT_EQ(cfg.user, "system:serviceaccount:prod:opspilot");
    // Discovery finds the in-cluster account too when nothing else is configured.
    ScopedEnv kc("KUBECONFIG", nullptr);
    KubeConfigOptions discover;
    discover.service_account_dir = sa.path().string();
    EXPECT_EQ(load_ok(discover).source, "in-cluster");
  }
  {
    ScopedEnv host("KUBERNETES_SERVICE_HOST", "fd00::1");
    ScopedEnv port("KUBERNETES_SERVICE_PORT", "6443");
    EXPECT_EQ(load_ok(o).server, "https://[fd00::1]:6443");
  }
  ScopedEnv host("KUBERNETES_SERVICE_HOST", nullptr);
  EXPECT_NE(load_error(o).find("needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT"), std::string::npos);
  o.service_account_dir = sa.file("nowhere");
  o.server = "http://127.0.0.1:1";
  EXPECT_EQ(load_error(o), "in-cluster configuration: the service-account token " + sa.file("nowhere") +
                               "/token is missing or empty");
}

TEST(KubeClientSim, ReReadsARotatedServiceAccountTokenOnEveryRequest) {
  SimProcess sim(kState);
  ASSERT_EQ(sim.error(), "");
  test::TempDir sa;
  sa.write("token", "rotated-token\n");
  sa.write("namespace", "default");
  KubeConfigOptions o;
  o.in_cluster = true;
  o.service_account_dir = sa.path().string();
  o.server = sim.url();
  KubeClient client(load_ok(o), fast_retries(2));
  KubeResponse r = client.request("GET", kDeploy + "/web");
  ASSERT_TRUE(r.ok()) << r.status << " " << r.message();
  EXPECT_EQ(r.body["metadata"]["name"], "web");
  sa.write("token", "expired-token");
  r = client.request("GET", kDeploy + "/web");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.attempts, 1) << "a 401 is never retried";
  EXPECT_EQ(r.message(), "Unauthorized");
  EXPECT_NE(describe_failure(r, "get", "apps", "deployments", "default", "web").find("401 Unauthorized"), std::string::npos);
  EXPECT_EQ(sim.stop(), "");
}

TEST(KubeClientSim, WrongTokenIsA401DescribedAsRejectedCredentials) {
  SimProcess sim(kState);
  ASSERT_EQ(sim.error(), "");
  KubeConfig cfg;
  cfg.server = sim.url();
  cfg.token = "not-a-token";
  KubeClient client(cfg, fast_retries(3));
  const KubeResponse r = client.request("GET", kDeploy);
  EXPECT_EQ(r.status, 401);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(describe_failure(r, "list", "apps", "deployments", "default", ""),
            "the Kubernetes API rejected the credentials (401 Unauthorized): the bearer token is missing, wrong or "
            "expired; server said: Unauthorized");
  EXPECT_EQ(sim.stop(), "");
}

TEST(KubeClientSim, TlsWithTheClusterCaSucceedsAndAWrongCaIsATlsError) {
  SimProcess sim(kState, {}, /*tls=*/true);
  ASSERT_EQ(sim.error(), "");
  SimProcess other(kState, {}, /*tls=*/true);  // a second self-signed CA, not the first server's
  ASSERT_EQ(other.error(), "");
  test::TempDir dir;
  KubeConfigOptions o;
  // certificate-authority as a file path.
  o.kubeconfig = dir.write("file", kubeconfig(sim.https_url(), "    certificate-authority: " + sim.ca_file() + "\n",
                                              "    token: admin-token\n"));
  KubeClient by_file(load_ok(o), fast_retries(1));
  KubeResponse r = by_file.request("GET", kDeploy + "/web");
  EXPECT_TRUE(r.ok()) << r.status << " " << r.message();
  // certificate-authority-data inline.
  o.kubeconfig = dir.write("data", kubeconfig(sim.https_url(), "    certificate-authority-data: " + base64(read(sim.ca_file())) + "\n",
                                              "    token: admin-token\n"));
  KubeClient by_data(load_ok(o), fast_retries(1));
  r = by_data.request("GET", kDeploy + "/web");
  EXPECT_TRUE(r.ok()) << r.status << " " << r.message();
  // The other server's CA did not sign this server's certificate.
  o.kubeconfig = dir.write("wrong", kubeconfig(sim.https_url(), "    certificate-authority: " + other.ca_file() + "\n",
                                               "    token: admin-token\n"));
  KubeClient wrong(load_ok(o), fast_retries(2));
  r = wrong.request("GET", kDeploy + "/web");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  const std::string described = describe_failure(r, "get", "apps", "deployments", "default", "web");
  EXPECT_EQ(described.rfind("TLS error talking to the Kubernetes API", 0), 0u) << described;
  // insecure-skip-tls-verify accepts it anyway.
  o.kubeconfig = dir.write("insecure", kubeconfig(sim.https_url(), "    insecure-skip-tls-verify: true\n", "    token: admin-token\n"));
  KubeClient insecure(load_ok(o), fast_retries(1));
  EXPECT_TRUE(insecure.request("GET", kDeploy + "/web").ok());
  EXPECT_EQ(sim.stop(), "");
  EXPECT_EQ(other.stop(), "");
}

TEST(KubeClientSim, RetriesA429HonouringRetryAfter) {
  SimProcess sim(kState);
  ASSERT_EQ(sim.error(), "");
  ASSERT_EQ(sim.send("POST", "/sim/fault", R"({"pathPrefix":")" + kDeploy + R"(","code":429,"count":2,"retryAfterSeconds":1})").status, 201);
  KubeConfig cfg;
  cfg.server = sim.url();
  cfg.token = "admin-token";
  KubeClient client(cfg, fast_retries(4));
  const auto start = std::chrono::steady_clock::now();
  const KubeResponse r = client.request("GET", kDeploy + "/web");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.ok()) << r.status << " " << r.message();
  EXPECT_EQ(r.attempts, 3);
  // Two waits of the server's 1 s, not the 10 ms the backoff alone would have chosen.
  EXPECT_GE(elapsed, 1900ms);
  EXPECT_LT(elapsed, 6s);
  EXPECT_EQ(sim.stop(), "");
}

TEST(KubeClientSim, ServerErrorsAreRetriedThenReportedWithTheAttempts) {
  SimProcess sim(kState);
  ASSERT_EQ(sim.error(), "");
  ASSERT_EQ(sim.send("POST", "/sim/fault", R"({"pathPrefix":")" + kDeploy + R"(","code":500,"count":5})").status, 201);
  KubeConfig cfg;
  cfg.server = sim.url();
  cfg.token = "admin-token";
  KubeClient client(cfg, fast_retries(3));
  const KubeResponse r = client.request("GET", kDeploy + "/web");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(describe_failure(r, "get", "apps", "deployments", "default", "web"),
            "the Kubernetes API failed get Deployment default/web with HTTP 500 after 3 attempts: " + r.message());
  // Exactly three requests consumed the fault: two of five remain armed.
  const auto faults = nlohmann::json::parse(sim.send("GET", "/sim/faults").body, nullptr, false);
  ASSERT_TRUE(faults.is_object()) << faults.dump();
  ASSERT_EQ(faults["faults"].size(), 1u) << faults.dump();
  EXPECT_EQ(faults["faults"][0]["remaining"], 2) << faults.dump();
  EXPECT_EQ(sim.stop(), "");
}

TEST(KubeClientSim, InvalidWritesAndMissingObjectsAreDescribedInTheApisTerms) {
  SimProcess sim(kState);
  ASSERT_EQ(sim.error(), "");
  KubeConfig cfg;
  cfg.server = sim.url();
  cfg.token = "admin-token";
  KubeClient client(cfg, fast_retries(2));
  const nlohmann::json patch = {{"spec", {{"replicas", -1}}}};
  KubeResponse r = client.request("PATCH", kDeploy + "/web", &patch, "application/merge-patch+json");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(describe_failure(r, "patch", "apps", "deployments", "default", "web"),
            "Deployment default/web rejected as invalid (422): Deployment.apps \"web\" is invalid: spec.replicas: "
            "Invalid value: -1: must be greater than or equal to 0");
  r = client.request("GET", kDeploy + "/nope");
  EXPECT_EQ(describe_failure(r, "get", "apps", "deployments", "default", "nope"), "Deployment default/nope not found");
  r = client.request("GET", "/apis/apps/v1/namespaces/ghost/deployments/web");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(sim.stop(), "");
}

TEST(KubeClient, UnreachableServerIsReportedInWords) {
  KubeConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(test::free_port());
  KubeClient client(cfg, fast_retries(2), 2s);
  const KubeResponse r = client.request("GET", "/api");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.attempts, 2);
  const std::string d = describe_failure(r, "get", "", "pods", "default", "x");
  EXPECT_EQ(d.rfind("Kubernetes API unreachable after 2 attempts: ", 0), 0u) << d;
  EXPECT_NE(d.find(cfg.server), std::string::npos) << "names where it tried: " << d;
}

}  // namespace
}  // namespace opspilot::actuators::kube
