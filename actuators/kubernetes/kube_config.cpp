// Where Kubernetes credentials come from: a kubeconfig file (clusters, users, contexts, as
// client-go reads them) or the in-cluster service account. Inline credentials (*-data) are
// base64-decoded into private 0600 files because libcurl takes certificates by path.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "actuators/common/http_client.h"
#include "actuators/kubernetes/kube_client.h"

namespace opspilot::actuators::kube {
namespace {

namespace fs = std::filesystem;

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

/// Standard or URL-safe base64 (JWT segments), padding optional, whitespace ignored.
std::optional<std::string> base64_decode(const std::string& in) {
  std::string out;
  unsigned int buffer = 0;
  int bits = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
    else if (ch == '+' || ch == '-') v = 62;
    else if (ch == '/' || ch == '_') v = 63;
    else if (ch == '=') break;
    else if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') continue;
    else return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

/// A private directory for decoded credentials, created on first use.
class PrivateFiles {
 public:
  /// Path of a new 0600 file holding `content`, or "" with *error set.
  std::string write(const std::string& name, const std::string& content, std::string* error) {
    if (!owned_) {
      std::string tmpl = (fs::temp_directory_path() / "opspilot-kube-XXXXXX").string();
      if (mkdtemp(tmpl.data()) == nullptr) {
        *error = "cannot create a private temporary directory for credentials under " +
                 fs::temp_directory_path().string();
        return {};
      }
      owned_ = std::make_shared<const OwnedFiles>(tmpl);  // mkdtemp makes it 0700
    }
    const std::string path = owned_->dir() + "/" + name;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      *error = "cannot create " + path;
      return {};
    }
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (done != content.size()) {
      *error = "cannot write " + path;
      return {};
    }
    return path;
  }
  std::shared_ptr<const OwnedFiles> owned() const { return owned_; }

 private:
  std::shared_ptr<const OwnedFiles> owned_;
};

std::string scalar(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

/// The entry named `name` in a kubeconfig list (clusters, users, contexts) and its body.
YAML::Node named_entry(const YAML::Node& root, const char* list, const char* body, const std::string& name,
                       std::vector<std::string>* names) {
  const YAML::Node entries = root[list];
  if (!entries || !entries.IsSequence()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& e : entries) {
    const std::string n = scalar(e, "name");
    names->push_back(n);
    if (n == name && e[body]) return e[body];
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + ("\"" + s + "\"");
  return out.empty() ? "none" : out;
}

/// Resolves a path from the kubeconfig relative to the file's directory, as client-go does.
std::string relative_to(const std::string& kubeconfig, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(kubeconfig).parent_path() / path).string();
}

/// `file_key` as a path, or `data_key` decoded into a private file; "" when neither is set.
bool file_or_data(const YAML::Node& node, const std::string& kubeconfig, const char* file_key, const char* data_key,
                  PrivateFiles* files, std::string* out, const std::string& where, std::string* error) {
  const std::string data = scalar(node, data_key);
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded || decoded->empty()) {
      *error = where + ": " + data_key + " is not valid base64";
      return false;
    }
    std::string why;
    *out = files->write(data_key, *decoded, &why);
    if (out->empty()) {
      *error = where + ": " + why;
      return false;
    }
    return true;
  }
  *out = relative_to(kubeconfig, scalar(node, file_key));
  if (!out->empty() && !fs::exists(*out)) {
    *error = where + ": " + file_key + " " + *out + " does not exist";
    return false;
  }
  return true;
}

std::optional<KubeConfig> from_kubeconfig(const std::string& path, const KubeConfigOptions& options,
                                          std::string* error) {
  std::string text;
  if (!read_file(path, &text)) {
    *error = "kubeconfig " + path + " cannot be read (" + (fs::exists(path) ? "permission denied" : "no such file") + ")";
    return std::nullopt;
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's marks are 0-based; people count from 1.
    *error = "kubeconfig " + path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
             ": not valid YAML: " + e.msg;
    return std::nullopt;
  }
  if (!root.IsMap()) {
    *error = "kubeconfig " + path + " is not a YAML mapping with clusters, users and contexts";
    return std::nullopt;
  }
  const std::string context_name = options.context.empty() ? scalar(root, "current-context") : options.context;
  std::vector<std::string> names;
  if (context_name.empty()) {
    named_entry(root, "contexts", "context", "", &names);
    *error = "kubeconfig " + path + " has no current-context and no context was given (contexts: " + join(names) + ")";
    return std::nullopt;
  }
  const std::string where = "kubeconfig " + path + " context \"" + context_name + "\"";
  const YAML::Node context = named_entry(root, "contexts", "context", context_name, &names);
  if (!context || !context.IsMap()) {
    *error = "kubeconfig " + path + " has no context \"" + context_name + "\" (contexts: " + join(names) + ")";
    return std::nullopt;
  }
  KubeConfig cfg;
  cfg.source = path + " context " + context_name;
  if (const std::string ns = scalar(context, "namespace"); !ns.empty()) cfg.namespace_ = ns;

  const std::string cluster_name = scalar(context, "cluster");
  names.clear();
  const YAML::Node cluster = named_entry(root, "clusters", "cluster", cluster_name, &names);
  if (cluster_name.empty() || !cluster || !cluster.IsMap()) {
    *error = where + " names cluster \"" + cluster_name + "\", which is not in clusters (clusters: " + join(names) + ")";
    return std::nullopt;
  }
  PrivateFiles files;
  cfg.server = options.server.empty() ? scalar(cluster, "server") : options.server;
  while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
  if (cfg.server.empty()) {
    *error = where + ": cluster \"" + cluster_name + "\" has no server URL";
    return std::nullopt;
  }
  cfg.insecure_skip_tls_verify = scalar(cluster, "insecure-skip-tls-verify") == "true";
  if (!file_or_data(cluster, path, "certificate-authority", "certificate-authority-data", &files, &cfg.ca_file,
                    where + " cluster \"" + cluster_name + "\"", error)) {
    return std::nullopt;
  }

  // A context without a user is anonymous, as in client-go; a named user must exist.
  const std::string user_name = scalar(context, "user");
  if (!user_name.empty()) {
    names.clear();
    const YAML::Node user = named_entry(root, "users", "user", user_name, &names);
    if (!user || !user.IsMap()) {
      *error = where + " names user \"" + user_name + "\", which is not in users (users: " + join(names) + ")";
      return std::nullopt;
    }
    const std::string uwhere = where + " user \"" + user_name + "\"";
    cfg.user = user_name;
    cfg.token = scalar(user, "token");
    cfg.token_file = relative_to(path, scalar(user, "tokenFile"));
    if (!cfg.token_file.empty() && !fs::exists(cfg.token_file)) {
      *error = uwhere + ": tokenFile " + cfg.token_file + " does not exist";
      return std::nullopt;
    }
    if (!file_or_data(user, path, "client-certificate", "client-certificate-data", &files, &cfg.client_cert_file,
                      uwhere, error) ||
        !file_or_data(user, path, "client-key", "client-key-data", &files, &cfg.client_key_file, uwhere, error)) {
      return std::nullopt;
    }
    if (cfg.client_cert_file.empty() != cfg.client_key_file.empty()) {
      *error = uwhere + ": a client certificate needs both client-certificate(-data) and client-key(-data)";
      return std::nullopt;
    }
    const bool has_credentials = !cfg.token.empty() || !cfg.token_file.empty() || !cfg.client_cert_file.empty();
    if (!has_credentials && (user["exec"] || user["auth-provider"])) {
      *error = uwhere + " authenticates with an " + std::string(user["exec"] ? "exec" : "auth-provider") +
               " plugin, which opspilot does not run; give it a token, tokenFile or client certificate";
      return std::nullopt;
    }
  }
  cfg.owned_files = files.owned();
  return cfg;
}

/// "system:serviceaccount:ns:name" from the token's JWT payload, for messages; "" if not a JWT.
std::string token_subject(const std::string& token) {
  const auto a = token.find('.');
  const auto b = a == std::string::npos ? a : token.find('.', a + 1);
  if (b == std::string::npos) return {};
  auto payload = base64_decode(token.substr(a + 1, b - a - 1));
  if (!payload) return {};
  const auto j = nlohmann::json::parse(*payload, nullptr, false);
  return j.is_object() ? j.value("sub", "") : std::string();
}

std::optional<KubeConfig> in_cluster(const KubeConfigOptions& options, std::string* error) {
  const std::string dir = options.service_account_dir;
  KubeConfig cfg;
  cfg.source = "in-cluster";
  if (!options.server.empty()) {
    cfg.server = options.server;
  } else {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port) {
      *error = "in-cluster configuration needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
               "(are we running in a pod?)";
      return std::nullopt;
    }
    const std::string h = host;
    cfg.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  }
  cfg.token_file = dir + "/token";
  std::string token;
  if (!read_file(cfg.token_file, &token) || trim_space(token).empty()) {
    *error = "in-cluster configuration: the service-account token " + cfg.token_file + " is missing or empty";
    return std::nullopt;
  }
  if (fs::exists(dir + "/ca.crt")) cfg.ca_file = dir + "/ca.crt";
  std::string ns;
  if (read_file(dir + "/namespace", &ns) && !trim_space(ns).empty()) cfg.namespace_ = trim_space(ns);
  const std::string sub = token_subject(trim_space(token));
  cfg.user = sub.empty() ? "the pod's service account" : sub;
  return cfg;
}

}  // namespace

std::optional<KubeConfig> load_kube_config(const KubeConfigOptions& options, std::string* error) {
  std::string ignored;
  if (!error) error = &ignored;
  try {
    if (options.in_cluster) return in_cluster(options, error);
    if (!options.kubeconfig.empty()) return from_kubeconfig(options.kubeconfig, options, error);
    if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
      const std::string first = std::string(env).substr(0, std::string(env).find(':'));
      if (!first.empty()) return from_kubeconfig(first, options, error);
    }
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    if (host && *host && fs::exists(options.service_account_dir + "/token")) return in_cluster(options, error);
    if (const char* home = std::getenv("HOME"); home && *home) {
      const std::string path = std::string(home) + "/.kube/config";
      if (fs::exists(path)) return from_kubeconfig(path, options, error);
    }
    *error = "no Kubernetes credentials found: no kubeconfig setting, $KUBECONFIG unset, not in a pod "
             "(KUBERNETES_SERVICE_HOST unset or no token in " + options.service_account_dir + "), no ~/.kube/config";
  } catch (const std::exception& e) {
    // yaml-cpp throws on type mismatches deep inside; configuration loading is not a hot path,
    // but the contract is a value, so turn it into one.
    *error = "Kubernetes configuration could not be loaded: " + std::string(e.what());
  }
  return std::nullopt;
}

}  // namespace opspilot::actuators::kube
