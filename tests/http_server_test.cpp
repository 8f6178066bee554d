// The agent's HTTP server over real loopback sockets: routing, keep-alive, error answers,
// concurrency, staged shutdown and bind failures. Clients are libcurl (actuators::HttpClient,
// which reuses its connection) and raw Asio sockets where the exact bytes matter.
#include "agent/server/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actuators/common/http_client.h"

namespace opspilot::agent {
namespace {

using namespace std::chrono_literals;
using tcp = boost::asio::ip::tcp;

// An io_context run by `threads` threads, with a server on 127.0.0.1:0 (routes added by the test
// before start()).
class Served {
 public:
  explicit Served(int threads = 2, HttpServerOptions opts = {})
      : guard_(boost::asio::make_work_guard(io)),
        server(io, "127.0.0.1:0", std::move(opts)),
        threads_(threads) {}
  ~Served() {
    server.stop(200ms);
    guard_.reset();
    for (auto& t : pool_) t.join();
  }
  void start() {
    std::string err;
    ASSERT_TRUE(server.start(&err)) << err;
    ASSERT_NE(server.port(), 0);
    for (int i = 0; i < threads_; ++i) pool_.emplace_back([this] { io.run(); });
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server.port()) + path;
  }

  boost::asio::io_context io;

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;

 public:
  HttpServer server;

 private:
  int threads_;
  std::vector<std::thread> pool_;
};

actuators::HttpResponse send(actuators::HttpClient& c, const std::string& method, const std::string& url,
                             const std::string& body = "") {
  actuators::HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.timeout = 5000ms;
  return c.send(req);
}

actuators::HttpResponse get(const std::string& url) {
  actuators::HttpClient c;
  return send(c, "GET", url);
}

// Sends raw bytes on a fresh connection and returns everything the server sends until it closes
// (or `timeout` passes).
std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = 2000ms) {
  boost::asio::io_context io;
  tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(s, boost::asio::buffer(bytes));
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    const auto n = s.read_some(boost::asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

Response text(std::string body) {
  Response r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

TEST(HttpServer, RoutesByExactPathAndMethodAndPassesQueryHeadersBody) {
  Served s;
  s.server.route("GET", "/healthz", [](const Request&) { return text("ok"); });
  s.server.route("POST", "/echo", [](const Request& r) {
    return text(r.method + "|" + r.path + "|" + r.query_string + "|" + r.query.at("name") + "|" +
                r.query.at("empty") + "|" + r.headers.at("x-custom-header") + "|" + r.body);
  });
  s.start();

  auto health = get(s.url("/healthz"));
  EXPECT_EQ(health.status, 200) << health.error;
  EXPECT_EQ(health.body, "ok");
  EXPECT_EQ(health.header("content-type"), "text/plain");
  EXPECT_EQ(health.header("server"), "opspilot");

  actuators::HttpClient c;
  actuators::HttpRequest req;
  req.method = "POST";
  req.url = s.url("/echo?name=web%20api+v2&empty=&x=1");
  req.body = "payload";
  req.headers.emplace_back("X-Custom-Header", "Value");
  auto r = c.send(req);
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "POST|/echo|name=web%20api+v2&empty=&x=1|web api v2||Value|payload");
}

TEST(HttpServer, QueryDecodingKeepsMalformedEscapesAndRepeatedHeadersAreJoined) {
  Served s;
  s.server.route("GET", "/q", [](const Request& r) {
    std::string out;
    for (const auto& [k, v] : r.query) out += "[" + k + "=" + v + "]";
    return text(out + r.headers.at("x-dup"));
  });
  s.start();
  const auto out = raw_exchange(s.server.port(),
                                "GET /q?a=%zz&b=%4&c&d=%41%42&&e=1+2 HTTP/1.1\r\nHost: x\r\nX-Dup: 1\r\n"
                                "x-dup: 2\r\nConnection: close\r\n\r\n");
  EXPECT_NE(out.find("[a=%zz][b=%4][c=][d=AB][e=1 2]1, 2"), std::string::npos) << out;
}

TEST(HttpServer, PrefixRoutesPickTheLongestPrefixAndExactRoutesWin) {
  Served s;
  s.server.route_prefix("GET", "/api/v1/", [](const Request& r) { return text("v1:" + r.path); });
  s.server.route_prefix("GET", "/api/v1/decisions/",
                        [](const Request& r) { return text("decision:" + r.path); });
  s.server.route("GET", "/api/v1/decisions/latest", [](const Request&) { return text("latest"); });
  s.start();

  EXPECT_EQ(get(s.url("/api/v1/decisions/42")).body, "decision:/api/v1/decisions/42");
  EXPECT_EQ(get(s.url("/api/v1/decisions/latest")).body, "latest");
  EXPECT_EQ(get(s.url("/api/v1/status?x=1")).body, "v1:/api/v1/status");
  EXPECT_EQ(get(s.url("/api/v2/status")).status, 404);

  bool found = false;
  for (const auto& c : s.server.stats().snapshot()) {
    if (c.route == "/api/v1/decisions/*" && c.status == 200) found = c.count == 1;
  }
  EXPECT_TRUE(found) << "prefix routes are counted under prefix + '*'";
}

TEST(HttpServer, KeepAliveServesManyRequestsOnOneConnection) {
  Served s;
  s.server.route("GET", "/n", [](const Request& r) { return text(r.query.at("i")); });
  s.start();
  actuators::HttpClient c;
  for (int i = 0; i < 20; ++i) {
    auto r = send(c, "GET", s.url("/n?i=" + std::to_string(i)));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, std::to_string(i));
  }
  EXPECT_EQ(s.server.stats().connections_accepted(), 1u) << "libcurl should have reused one connection";
  EXPECT_EQ(s.server.stats().requests_total(), 20u);

  // Two pipelined requests in one write are answered in order on the same connection.
  const auto out = raw_exchange(s.server.port(),
                                "GET /n?i=a HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /n?i=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto a = out.find("\r\n\r\na");
  const auto b = out.find("\r\n\r\nb");
  EXPECT_NE(a, std::string::npos) << out;
  EXPECT_NE(b, std::string::npos) << out;
  EXPECT_LT(a, b);
  EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
}

TEST(HttpServer, UnknownPathIs404AndWrongMethodIs405WithJsonErrors) {
  Served s;
  s.server.route("GET", "/metrics", [](const Request&) { return text("m"); });
  s.server.route("POST", "/metrics", [](const Request&) { return text("p"); });
  s.server.route("PUT", "/only-put", [](const Request&) { return text("p"); });
  s.start();

  auto r = get(s.url("/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, R"({"error":"no route for GET /nope"})");

  actuators::HttpClient c;
  r = send(c, "DELETE", s.url("/metrics"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, HEAD, POST");
  EXPECT_NE(r.body.find("method DELETE is not allowed on /metrics"), std::string::npos) << r.body;
  r = send(c, "GET", s.url("/only-put"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "PUT");
}

TEST(HttpServer, HeadOnAGetRouteSendsHeadersAndLengthButNoBody) {
  Served s;
  s.server.route("GET", "/doc", [](const Request& r) {
    EXPECT_EQ(r.method, "HEAD");
    return text("0123456789");
  });
  s.start();
  const auto out =
      raw_exchange(s.server.port(), "HEAD /doc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Content-Length: 10\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << "no body after the headers: " << out;
}

TEST(HttpServer, BodyOverTheLimitIs413AndTheServerGoesOn) {
  HttpServerOptions opts;
  opts.body_limit = 1024;
  Served s(2, opts);
  s.server.route("POST", "/in", [](const Request& r) { return text(std::to_string(r.body.size())); });
  s.start();
  actuators::HttpClient c;
  auto r = send(c, "POST", s.url("/in"), std::string(1024, 'x'));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "1024");
  r = send(c, "POST", s.url("/in"), std::string(300 * 1024, 'x'));
  EXPECT_EQ(r.status, 413) << r.error;
  EXPECT_EQ(r.body, R"({"error":"request body exceeds the limit of 1024 bytes"})");
  // Chunked bodies have no Content-Length up front; the limit still holds.
  const auto out = raw_exchange(s.server.port(),
                                "POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "800\r\n" +
                                    std::string(0x800, 'y') + "\r\n0\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out.substr(0, 200);
  r = send(c, "POST", s.url("/in"), "abc");
  EXPECT_EQ(r.status, 200) << r.error;
}

TEST(HttpServer, DefaultBodyLimitIsOneMebibyteAndExpect100ContinueIsAnswered) {
  Served s;
  s.server.route("POST", "/in", [](const Request& r) { return text(std::to_string(r.body.size())); });
  s.start();
  actuators::HttpClient c;
  auto r = send(c, "POST", s.url("/in"), std::string(1024 * 1024 + 1, 'x'));
  EXPECT_EQ(r.status, 413) << r.error;

  boost::asio::io_context io;
  tcp::socket sock(io);
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), s.server.port()});
  boost::asio::write(
      sock, boost::asio::buffer(std::string(
                "POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")));
  std::string got(64, '\0');
  const auto n = sock.read_some(boost::asio::buffer(got));
  got.resize(n);
  EXPECT_EQ(got, "HTTP/1.1 100 Continue\r\n\r\n");
  boost::asio::write(sock, boost::asio::buffer(std::string("hello")));
  boost::system::error_code ec;
  std::string rest(512, '\0');
  rest.resize(sock.read_some(boost::asio::buffer(rest), ec));
  EXPECT_EQ(rest.rfind("HTTP/1.1 200 OK", 0), 0u) << rest;
  EXPECT_EQ(rest.substr(rest.size() - 1), "5");
}

TEST(HttpServer, ThrowingHandlerIs500WithTheMessageAndTheServerKeepsServing) {
  Served s;
  s.server.route("GET", "/boom",
                 [](const Request&) -> Response { throw std::runtime_error("store is empty"); });
  s.server.route("GET", "/odd", [](const Request&) -> Response { throw 42; });
  s.server.route("GET", "/bad-status", [](const Request&) {
    Response r;
    r.status = 42;
    return r;
  });
  s.server.route("GET", "/ok", [](const Request&) { return text("ok"); });
  s.start();
  actuators::HttpClient c;
  auto r = send(c, "GET", s.url("/boom"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":"handler for GET /boom failed: store is empty"})");
  r = send(c, "GET", s.url("/odd"));
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("non-standard exception"), std::string::npos);
  r = send(c, "GET", s.url("/bad-status"));
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("returned status 42, expected 200..599"), std::string::npos) << r.body;
  r = send(c, "GET", s.url("/ok"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(s.server.stats().connections_accepted(), 1u) << "a 500 keeps the connection alive";
}

TEST(HttpServer, MalformedRequestIs400AndHandlerHeadersCannotSplitTheResponse) {
  Served s;
  s.server.route("GET", "/h", [](const Request&) {
    Response r = text("x");
    r.headers.emplace_back("X-Good", "1");
    r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: stolen");
    return r;
  });
  s.start();
  auto out = raw_exchange(s.server.port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 400 Bad Request", 0), 0u) << out;
  EXPECT_NE(out.find("malformed HTTP request"), std::string::npos) << out;
  out = raw_exchange(s.server.port(), "GET /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(out.find("X-Good: 1\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("stolen"), std::string::npos) << out;
}

TEST(HttpServer, ConcurrentClientsOnSeveralThreadsAreAllAnsweredAndCounted) {
  Served s(3);
  std::atomic<int> in_handler{0}, max_parallel{0};
  s.server.route("POST", "/echo", [&](const Request& r) {
    const int now = ++in_handler;
    int prev = max_parallel.load();
    while (now > prev && !max_parallel.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(1ms);
    --in_handler;
    return text(r.body);
  });
  std::atomic<int> observed{0};
  s.server.set_observer([&](const RequestRecord& rec) {
    if (rec.route == "/echo" && rec.status == 200 && rec.method == "POST") ++observed;
    if (observed % 50 == 7) throw std::runtime_error("a broken observer must not break serving");
  });
  s.start();
  constexpr int kClients = 8, kEach = 40;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      actuators::HttpClient c;
      for (int i = 0; i < kEach; ++i) {
        const std::string body = "client" + std::to_string(t) + "-" + std::to_string(i);
        auto r = send(c, "POST", s.url("/echo"), body);
        if (r.status == 200 && r.body == body) ++good;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good.load(), kClients * kEach);
  EXPECT_EQ(observed.load(), kClients * kEach);
  EXPECT_GT(max_parallel.load(), 1) << "handlers should run on several io threads at once";
  EXPECT_EQ(s.server.stats().connections_accepted(), static_cast<std::uint64_t>(kClients));
  const auto snap = s.server.stats().snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].route, "/echo");
  EXPECT_EQ(snap[0].count, static_cast<std::uint64_t>(kClients * kEach));
}

bool can_connect(unsigned short port) {
  boost::asio::io_context io;
  tcp::socket sock(io);
  boost::system::error_code ec;
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

TEST(HttpServer, GracefulStopLetsTheInFlightRequestFinishAndRefusesNewConnections) {
  Served s(2);
  std::promise<void> entered;
  s.server.route("GET", "/slow", [&](const Request&) {
    entered.set_value();
    std::this_thread::sleep_for(400ms);
    return text("finished");
  });
  s.server.route("GET", "/fast", [](const Request&) { return text("fast"); });
  s.start();
  const auto port = s.server.port();

  // An idle keep-alive connection, which stop() should close rather than wait for.
  actuators::HttpClient idle;
  ASSERT_EQ(send(idle, "GET", s.url("/fast")).status, 200);

  auto slow = std::async(std::launch::async, [&] { return get(s.url("/slow")); });
  entered.get_future().wait();
  const auto t0 = std::chrono::steady_clock::now();
  s.server.stop(3s);
  const auto stop_took = std::chrono::steady_clock::now() - t0;

  const auto r = slow.get();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "finished");
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_LT(stop_took, 2s) << "stop() should return once the in-flight request is done";
  EXPECT_GE(stop_took, 200ms) << "stop() should have waited for the in-flight request";
  EXPECT_FALSE(can_connect(port)) << "new connections must be refused after stop()";
  EXPECT_EQ(s.server.stats().connections_open(), 0u);
}

TEST(HttpServer, StopClosesHardWhenGraceRunsOut) {
  Served s(2);
  std::promise<void> entered;
  s.server.route("GET", "/stuck", [&](const Request&) {
    entered.set_value();
    std::this_thread::sleep_for(1200ms);
    return text("too late");
  });
  s.start();
  auto stuck = std::async(std::launch::async, [&] { return get(s.url("/stuck")); });
  entered.get_future().wait();
  const auto t0 = std::chrono::steady_clock::now();
  s.server.stop(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 900ms)
      << "stop() must not wait past grace for a stuck handler";
  const auto r = stuck.get();
  EXPECT_EQ(r.status, 0) << "the cut request gets no answer, got: " << r.body;
  EXPECT_FALSE(r.error.empty());
}

TEST(HttpServer, StopFromAnIoThreadDoesNotBlockAndRunReturns) {
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1:0");
  server.route("GET", "/x", [](const Request&) { return text("x"); });
  std::string err;
  ASSERT_TRUE(server.start(&err)) << err;
  const auto port = server.port();
  std::thread client([&] {
    actuators::HttpClient c;  // keeps its connection open: stop() must close it
    EXPECT_EQ(send(c, "GET", "http://127.0.0.1:" + std::to_string(port) + "/x").status, 200);
    boost::asio::post(io, [&] { server.stop(5s); });
    std::this_thread::sleep_for(300ms);
  });
  const auto t0 = std::chrono::steady_clock::now();
  io.run();  // one thread: a blocking stop() here would deadlock
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s)
      << "run() should end once the idle connection is closed";
  client.join();
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  HttpServerOptions opts;
  opts.idle_timeout = 150ms;
  Served s(1, opts);
  s.start();
  const auto t0 = std::chrono::steady_clock::now();
  const auto out = raw_exchange(s.server.port(), "", 3000ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(out.empty()) << out;
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 2000ms) << "the server, not our 3 s read timeout, should have closed it";
}

TEST(HttpServer, StartFailsClearlyOnAnAddressInUse) {
  Served first;
  first.start();
  boost::asio::io_context io;
  const std::string addr = "127.0.0.1:" + std::to_string(first.server.port());
  HttpServer second(io, addr);
  std::string err;
  EXPECT_FALSE(second.start(&err));
  EXPECT_NE(err.find("'" + addr + "'"), std::string::npos) << err;
  EXPECT_NE(err.find("in use"), std::string::npos) << err;
  EXPECT_EQ(second.port(), 0);
}

TEST(HttpServer, StartRejectsMalformedListenAddressesQuotingThem) {
  boost::asio::io_context io;
  struct Case {
    std::string listen, expect;
  };
  for (const auto& c : std::vector<Case>{
           {"9090", "listen address '9090' has no port"},
           {"127.0.0.1:99999", "port '99999' in listen address '127.0.0.1:99999' is not a number"},
           {"127.0.0.1:http", "port 'http'"},
           {"::1:80", "IPv6 host without brackets"},
           {"[::1:80", "unclosed '['"},
           {"256.1.1.1:0", "cannot resolve host '256.1.1.1'"}}) {
    HttpServer server(io, c.listen);
    std::string err;
    EXPECT_FALSE(server.start(&err)) << c.listen;
    EXPECT_NE(err.find(c.expect), std::string::npos) << c.listen << " -> " << err;
  }
}

TEST(HttpServer, ListensOnLocalhostAndAllInterfacesByName) {
  for (const std::string host : {"localhost", ""}) {
    boost::asio::io_context io;
    HttpServer server(io, host + ":0");
    std::string err;
    ASSERT_TRUE(server.start(&err)) << host << ": " << err;
    EXPECT_NE(server.port(), 0);
    EXPECT_TRUE(can_connect(server.port())) << server.address();
  }
}

}  // namespace
}  // namespace opspilot::agent
