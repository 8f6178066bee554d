#pragma once
// Turning an HTTP request into what it asks of the API (kube-apiserver's RequestInfo): resource
// or non-resource, verb, group/version/resource, namespace, name, subresource, query parameters.
// Thread-safety: pure functions and plain values.
#include <map>
#include <string>

#include "examples/k8s-sim/resources.h"

namespace opspilot::k8s_sim {

struct HttpIn {
  std::string method;         // "GET", "POST", ...
  std::string target;         // path and query, as on the request line
  std::string authorization;  // Authorization header
  std::string content_type;
  std::string accept;
  std::string host;
  std::string body;
};

struct RequestInfo {
  std::string path;
  std::map<std::string, std::string> query;
  bool resource_request = false;
  std::string verb;  // get list watch create update patch delete deletecollection (or the lower-case method)
  std::string group, version, resource, ns, name, subresource;
  const ResourceType* type = nullptr;  // set for a served resource
  bool unknown_resource = false;       // looked like /api(s)/.../<resource> but names nothing served

  std::string param(const std::string& key, const std::string& fallback = "") const {
    auto it = query.find(key);
    return it == query.end() ? fallback : it->second;
  }
  bool flag(const std::string& key) const {
    const std::string v = param(key);
    return v == "1" || v == "true";
  }
};

RequestInfo parse_request(const std::string& method, const std::string& target);

}  // namespace opspilot::k8s_sim
