#include "examples/k8s-sim/request.h"

#include <cctype>
#include <vector>

#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) parts.push_back(url_decode(cur, false));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(url_decode(cur, false));
  return parts;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

RequestInfo parse_request(const std::string& method, const std::string& target) {
  RequestInfo info;
  const auto q = target.find('?');
  info.path = target.substr(0, q);
  if (q != std::string::npos) {
    const std::string query = target.substr(q + 1);
    std::size_t start = 0;
    while (start <= query.size()) {
      std::size_t end = query.find('&', start);
      if (end == std::string::npos) end = query.size();
      const std::string kv = query.substr(start, end - start);
      if (!kv.empty()) {
        const auto eq = kv.find('=');
        info.query[url_decode(kv.substr(0, eq), true)] = eq == std::string::npos ? "" : url_decode(kv.substr(eq + 1), true);
      }
      start = end + 1;
    }
  }
  info.verb = lower(method);
  const std::vector<std::string> parts = split_path(info.path);
  std::size_t i = 0;
  if (parts.size() >= 3 && parts[0] == "api") {
    info.version = parts[1];
    i = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    return info;  // discovery, /version, /sim/..., or nothing
  }
  std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(i), parts.end());
  if (rest[0] == "namespaces" && rest.size() >= 3 && rest[2] != "status" && rest[2] != "finalize") {
    info.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.size() > 3) {
    info.unknown_resource = true;
    return info;
  }
  info.resource_request = true;
  info.resource = rest[0];
  if (rest.size() >= 2) info.name = rest[1];
  if (rest.size() == 3) info.subresource = rest[2];
  info.type = find_resource(info.group, info.version, info.resource);
  if (!info.type || (!info.ns.empty() && !info.type->namespaced) ||
      (!info.subresource.empty() && !info.type->has_subresource(info.subresource))) {
    info.unknown_resource = true;
    info.type = nullptr;
  }
  if (method == "GET") info.verb = info.name.empty() ? (info.flag("watch") ? "watch" : "list") : (info.flag("watch") ? "watch" : "get");
  else if (method == "POST") info.verb = "create";
  else if (method == "PUT") info.verb = "update";
  else if (method == "PATCH") info.verb = "patch";
  else if (method == "DELETE") info.verb = info.name.empty() ? "deletecollection" : "delete";
  return info;
}

}  // namespace opspilot::k8s_sim
