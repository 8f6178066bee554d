// `opspilot approvals`, `opspilot approve ID` and `opspilot deny ID --reason ...`: the approval
// gate without Slack, through a running agent's HTTP API (/api/v1/approvals) with a bearer token.
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actuators/common/http_client.h"
#include "agent/cli/commands.h"
#include "agent/config/loader.h"

namespace opspilot::agent::cli {
namespace {

const char* kApprovalsUsage = R"(usage:
  opspilot approvals [--server URL | -c FILE] [--token T | --token-file F] [--json]
  opspilot approve ID [--reason TEXT] [--server URL | -c FILE] [--token T | --token-file F] [--json]
  opspilot deny ID --reason TEXT [--server URL | -c FILE] [--token T | --token-file F] [--json]

The agent's address: --server, else $OPSPILOT_SERVER, else the config's http.listen (-c), else
http://127.0.0.1:9460. The token: --token, --token-file, else $OPSPILOT_TOKEN.
)";

int usage(const std::string& cmd, const std::string& msg) {
  std::cerr << "opspilot " << cmd << ": " << msg << "\n" << kApprovalsUsage;
  return 2;
}

struct Target {
  std::string server;
  std::string token;
  std::string error;
};

Target resolve(const Options& o) {
  Target t;
  if (o.has("server")) {
    t.server = o.get("server");
  } else if (const char* env = std::getenv("OPSPILOT_SERVER"); env && *env) {
    t.server = env;
  } else if (o.has("c")) {
    const LoadResult r = load_config_file(o.get("c"));
    if (!r.ok()) {
      t.error = "the config does not load:\n" + r.report();
      return t;
    }
    std::string listen = r.config.listen;
    if (listen.size() > 2 && listen.compare(listen.size() - 2, 2, ":0") == 0) {
      t.error = "the config listens on port 0 (any free port): say which with --server URL";
      return t;
    }
    if (listen.rfind("0.0.0.0:", 0) == 0) listen = "127.0.0.1:" + listen.substr(8);
    t.server = "http://" + listen;
  } else {
    t.server = "http://127.0.0.1:9460";
  }
  while (!t.server.empty() && t.server.back() == '/') t.server.pop_back();
  if (t.server.find("://") == std::string::npos) t.server = "http://" + t.server;
  if (o.has("token")) {
    t.token = o.get("token");
  } else if (o.has("token-file")) {
    std::ifstream in(o.get("token-file"));
    if (!in) {
      t.error = "cannot read the token file \"" + o.get("token-file") + "\"";
      return t;
    }
    std::getline(in, t.token);
    while (!t.token.empty() && std::isspace(static_cast<unsigned char>(t.token.back()))) t.token.pop_back();
  } else if (const char* env = std::getenv("OPSPILOT_TOKEN"); env && *env) {
    t.token = env;
  }
  return t;
}

/// Sends the request; on success returns the parsed body, otherwise prints the error (the
/// server's {"error"} message when there is one) and returns nullopt.
std::optional<nlohmann::json> call(const std::string& cmd, const Target& t, const std::string& method,
                                   const std::string& path, const std::string& body) {
  actuators::HttpRequest req;
  req.method = method;
  req.url = t.server + path;
  req.body = body;
  req.timeout = std::chrono::seconds(10);
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  if (!t.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + t.token);
  actuators::HttpClient client;
  const actuators::HttpResponse resp = client.send(req);
  if (!resp.transport_ok()) {
    std::cerr << "opspilot " << cmd << ": cannot reach the agent at " << t.server << ": " << resp.error << "\n";
    return std::nullopt;
  }
  const nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  if (resp.status < 200 || resp.status >= 300) {
    const std::string msg = !j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_string()
                                ? j["error"].get<std::string>()
                                : resp.body;
    std::cerr << "opspilot " << cmd << ": HTTP " << resp.status << ": " << msg << "\n";
    return std::nullopt;
  }
  if (j.is_discarded()) {
    std::cerr << "opspilot " << cmd << ": the agent answered with something that is not JSON\n";
    return std::nullopt;
  }
  return j;
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string joined(const nlohmann::json& arr) {
  std::string out;
  if (!arr.is_array()) return out;
  for (const auto& x : arr)
    if (x.is_string()) out += (out.empty() ? "" : ",") + x.get<std::string>();
  return out;
}

std::string what(const nlohmann::json& e) {
  const std::string action = str(e, "action");
  if (action != "scale") return action;
  return "scale " + std::to_string(e.value("from_replicas", 0)) + "->" + std::to_string(e.value("to_replicas", 0));
}

}  // namespace

int cmd_approvals(const Args& args) {
  const Options o = parse_options(args, {"server", "c", "token", "token-file"}, {"json", "all"});
  if (!o.error.empty()) return usage("approvals", o.error);
  if (!o.positional.empty()) return usage("approvals", "unexpected argument \"" + o.positional.front() + "\"");
  const Target t = resolve(o);
  if (!t.error.empty()) return usage("approvals", t.error);
  const auto j = call("approvals", t, "GET", "/api/v1/approvals", "");
  if (!j) return 1;
  if (o.has("json")) {
    std::cout << j->dump(2) << "\n";
    return 0;
  }
  const auto& list = (*j)["approvals"];
  if (!list.is_array() || list.empty()) {
    std::cout << "no open approval requests\n";
    return 0;
  }
  std::cout << std::left << std::setw(10) << "ID" << std::setw(22) << "TARGET" << std::setw(14) << "ACTION"
            << std::setw(10) << "STATUS" << std::setw(26) << "EXPIRES" << "RULES / APPROVERS\n";
  for (const auto& e : list) {
    const auto& a = e["approval"];
    const auto& who = a["approvers"];
    std::string approvers = joined(who["slack_users"]);
    for (const char* k : {"slack_groups", "tokens"})
      if (const std::string x = joined(who[k]); !x.empty()) approvers += (approvers.empty() ? "" : ",") + x;
    std::cout << std::setw(10) << str(e, "id") << std::setw(22) << (str(e, "namespace") + "/" + str(e, "target"))
              << std::setw(14) << what(e) << std::setw(10) << str(a, "status") << std::setw(26) << str(a, "expires")
              << joined(a["rules"]) << " / " << (approvers.empty() ? "any approver" : approvers) << "\n";
    if (const std::string r = str(e, "reason"); !r.empty()) std::cout << "          why: " << r << "\n";
  }
  return 0;
}

namespace {

int answer(const std::string& cmd, const Args& args, bool approve) {
  const Options o = parse_options(args, {"server", "c", "token", "token-file", "reason"}, {"json"});
  if (!o.error.empty()) return usage(cmd, o.error);
  if (o.positional.size() != 1) return usage(cmd, "say which request: opspilot " + cmd + " ID");
  if (!approve && o.get("reason").empty()) return usage(cmd, "say why: --reason TEXT");
  const Target t = resolve(o);
  if (!t.error.empty()) return usage(cmd, t.error);
  const std::string id = o.positional.front();
  const nlohmann::json body = {{"reason", o.get("reason")}};
  const auto j = call(cmd, t, "POST", "/api/v1/approvals/" + actuators::HttpClient::url_encode(id) + (approve ? "/approve" : "/deny"),
                      body.dump());
  if (!j) return 1;
  if (o.has("json")) {
    std::cout << j->dump(2) << "\n";
    return 0;
  }
  std::cout << id << " (" << str(*j, "namespace") << "/" << str(*j, "target") << ", " << what(*j) << "): "
            << str(*j, "message") << "\n";
  return 0;
}

}  // namespace

int cmd_approve(const Args& args) { return answer("approve", args, true); }
int cmd_deny(const Args& args) { return answer("deny", args, false); }

}  // namespace opspilot::agent::cli
