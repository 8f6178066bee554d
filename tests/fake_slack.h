#pragma once
// A Slack-compatible receiver on 127.0.0.1:0 (the agent's own Beast server) that records every
// request and answers like Slack's Web API, an incoming webhook and a response_url. Shared by the
// Slack client suite and the approvals end-to-end suite.
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/server/http_server.h"

namespace opspilot::agent::slack::slack_test {

inline constexpr const char* kBotToken = "xoxb-test-token-0123456789";

class FakeSlack {
 public:
  using json = nlohmann::json;
  FakeSlack() : guard_(boost::asio::make_work_guard(io_)), server_(io_, "127.0.0.1:0") {
    server_.route("POST", "/api/chat.postMessage", [this](const Request& r) { return api(r, &FakeSlack::post_message); });
    server_.route("POST", "/api/chat.update", [this](const Request& r) { return api(r, &FakeSlack::chat_update); });
    server_.route("GET", "/api/usergroups.users.list", [this](const Request& r) { return api(r, &FakeSlack::members); });
    server_.route("POST", "/services/T0/B0/webhook-secret-path", [this](const Request& r) {
      record(r);
      const json j = json::parse(r.body, nullptr, false);
      if (j.is_discarded() || !j.contains("text")) return text(400, "invalid_payload");
      return text(200, "ok");
    });
    server_.route("POST", "/services/T0/B0/archived-secret-path", [this](const Request& r) {
      record(r);
      return text(410, "channel_is_archived");
    });
    server_.route_prefix("POST", "/actions/", [this](const Request& r) {
      record(r);
      Response resp;
      resp.body = R"({"ok":true})";
      return resp;
    });
    std::string err;
    if (!server_.start(&err)) throw std::runtime_error(err);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeSlack() {
    server_.stop(std::chrono::milliseconds(200));
    guard_.reset();
    thread_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::string api_url() const { return base() + "/api"; }
  HttpServer& server() { return server_; }

  std::vector<Request> requests(const std::string& path) {
    std::lock_guard lock(mu_);
    std::vector<Request> out;
    for (const auto& r : log_)
      if (r.path == path) out.push_back(r);
    return out;
  }

  std::atomic<int> throttle_next{0};  // answer this many API calls with 429 + Retry-After: 1

 private:
  static Response json_body(int status, const json& j) {
    Response r;
    r.status = status;
    r.body = j.dump();
    return r;
  }
  static Response text(int status, std::string body) {
    Response r;
    r.status = status;
    r.content_type = "text/plain";
    r.body = std::move(body);
    return r;
  }
  void record(const Request& r) {
    std::lock_guard lock(mu_);
    log_.push_back(r);
  }
  Response api(const Request& r, Response (FakeSlack::*method)(const Request&)) {
    record(r);
    if (throttle_next.load() > 0) {
      --throttle_next;
      Response resp = json_body(429, {{"ok", false}, {"error", "ratelimited"}});
      resp.headers.push_back({"Retry-After", "1"});
      return resp;
    }
    const auto auth = r.headers.find("authorization");
    if (auth == r.headers.end() || auth->second != std::string("Bearer ") + kBotToken)
      return json_body(200, {{"ok", false}, {"error", "invalid_auth"}});
    return (this->*method)(r);
  }
  Response post_message(const Request& r) {
    const json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("channel")) return json_body(200, {{"ok", false}, {"error", "invalid_arguments"}});
    if (j["channel"] == "#missing") return json_body(200, {{"ok", false}, {"error", "channel_not_found"}});
    if (j["channel"] == "#echo")  // a misbehaving proxy that echoes the request's headers
      return text(400, "bad request; authorization: " + r.headers.at("authorization"));
    if (j["channel"] == "#noscope")
      return json_body(200, {{"ok", false}, {"error", "missing_scope"}, {"needed", "chat:write"}});
    return json_body(200, {{"ok", true}, {"channel", "C1"}, {"ts", "1700000000.000100"}});
  }
  Response chat_update(const Request& r) {
    const json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("ts")) return json_body(200, {{"ok", false}, {"error", "invalid_arguments"}});
    if (j["ts"] == "1.000000") return json_body(200, {{"ok", false}, {"error", "message_not_found"}});
    return json_body(200, {{"ok", true}, {"channel", j["channel"]}, {"ts", j["ts"]}});
  }
  Response members(const Request& r) {
    const auto g = r.query.find("usergroup");
    if (g != r.query.end() && g->second == "S1") return json_body(200, {{"ok", true}, {"users", {"U1", "U2", "W3"}}});
    return json_body(200, {{"ok", false}, {"error", "no_such_subteam"}});
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  HttpServer server_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Request> log_;
};

}  // namespace opspilot::agent::slack::slack_test
