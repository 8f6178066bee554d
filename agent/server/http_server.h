#pragma once
// The agent's HTTP server: /metrics, /healthz, /api/v1, /slack and /mcp are routes on one of these.
// Built on Boost.Beast (HTTP/1.1, keep-alive, one strand per connection), which stays out of this
// header (pimpl) so that every file registering a route does not pay Beast's compile time.
//
// Handlers are plain synchronous functions run on the io threads: a slow handler holds an io
// thread for as long as it runs, so long work belongs elsewhere (the handler should only read a
// snapshot). A handler that throws gets a 500 with the message; the server keeps serving.
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace opspilot::agent {

struct Request {
  std::string method;        // as sent: "GET", "POST"; "HEAD" when a GET route serves a HEAD
  std::string path;          // the target before '?', not percent-decoded ("/api/v1/decisions/7")
  std::string query_string;  // the raw text after '?', empty when there is none
  std::map<std::string, std::string>
      query;  // url-decoded ('+' is a space); a repeated key keeps the last value
  std::map<std::string, std::string> headers;  // lower-case names; a repeated header is joined with ", "
  std::string body;
  std::string remote;  // the peer as "ip:port", for logs
};

struct Response {
  int status = 200;  // 200..599; anything else is answered as a 500 that says so
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>>
      headers;  // extra headers; a name given twice keeps the last
};

using Handler = std::function<Response(const Request&)>;

/// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte. A malformed escape is
/// kept as written (as browsers and curl do), or with `strict` makes the result nullopt.
std::optional<std::string> form_decode(std::string_view s, bool strict);

/// {"error": message} with the given status, the shape every error of the server has.
Response json_error(int status, std::string_view message);

struct HttpServerOptions {
  /// A connection with no request under way for this long is closed; also bounds a slow client's
  /// request read and response write.
  std::chrono::milliseconds idle_timeout{30000};
  std::size_t body_limit = 1024 * 1024;  // bytes; a larger request body is answered with 413
  std::size_t header_limit = 16 * 1024;  // bytes; larger request headers are answered with 431
  std::string server_name = "opspilot";  // the Server header
};

/// One request as the server saw it, for the agent's own metrics and logs.
struct RequestRecord {
  std::string route;  // the registered path, or prefix + "*"; "unmatched" (404), "invalid" (400, 431)
  std::string method;
  int status = 0;
  double seconds = 0;  // from a complete request to a response ready to write (handler time)
};

struct RouteStatusCount {
  std::string route;  // as in RequestRecord: bounded by the routes registered, never the raw path
  int status = 0;
  std::uint64_t count = 0;
  double seconds_total = 0;
};

/// Requests served, by route and status, plus connection counts.
/// Thread-safety: every member may be called from any thread at any time.
class HttpServerStats {
 public:
  void record(const std::string& route, int status, double seconds);
  void connection_opened();
  void connection_closed();
  /// Sorted by route, then status.
  std::vector<RouteStatusCount> snapshot() const;
  std::uint64_t requests_total() const;
  std::uint64_t connections_accepted() const;
  std::uint64_t connections_open() const;

 private:
  struct Counts {
    std::uint64_t count = 0;
    double seconds = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, Counts> by_route_;
  std::uint64_t total_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t open_ = 0;
};

/// An HTTP/1.1 server on a caller-owned io_context, which any number of threads may run.
///
/// Routing: an exact route wins over a prefix route; among prefix routes the longest prefix wins;
/// the first of those that accepts the method answers. A GET route also answers HEAD (headers and
/// Content-Length only). A path no route matches gets 404; a path that matches with another method
/// gets 405 with an Allow header. Both carry a JSON error body.
///
/// Thread-safety: route(), route_prefix(), set_observer(), start(), stop() and the destructor are
/// for the owner and must not be called concurrently with one another; route() may still be called
/// while serving (routes sit behind a reader/writer lock). port(), address() and stats() are safe
/// from any thread. stop() may be called from an io thread (e.g. a signal handler on the same
/// io_context): it then starts the staged shutdown and returns at once instead of waiting.
class HttpServer {
 public:
  /// `listen` is "host:port": "127.0.0.1:9090", "localhost:0", "[::1]:9090", ":9090" or
  /// "*:9090" (all IPv4 interfaces). Port 0 binds any free port; read it with port().
  HttpServer(boost::asio::io_context& io, std::string listen, HttpServerOptions options = {});
  /// Stops with no grace (in-flight requests are cut) if stop() was not called, and drops the
  /// routes so a connection still finishing cannot call a handler whose owner is gone. The
  /// io_context must outlive the server.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Serves `method` on exactly `path`. Registering the same method and path again replaces it.
  void route(std::string method, std::string path, Handler h);
  /// Serves `method` on every path that starts with `prefix` (e.g. "/api/v1/decisions/").
  void route_prefix(std::string method, std::string prefix, Handler h);
  /// Called after each request (on the io thread that served it), e.g. to count it in Prometheus.
  void set_observer(std::function<void(const RequestRecord&)> observer);

  /// Binds and listens, then accepts on the io_context. On failure returns false and says which
  /// address could not be used and why (malformed, unknown host, address in use, permission).
  /// A host name is resolved here, synchronously; IPv4 addresses are tried first.
  bool start(std::string* error);
  /// The bound port, after a successful start(); 0 before.
  unsigned short port() const;
  /// The bound address as "ip:port" ("[ip]:port" for IPv6), after start().
  std::string address() const;

  /// Staged shutdown: stop accepting at once (new connections are refused), close idle
  /// keep-alive connections, let requests in flight finish and be answered (with
  /// "Connection: close") for up to `grace`, then close every connection still open. Called off
  /// the io threads, it returns when all connections are gone or soon after `grace` has passed.
  /// A handler still running after `grace` is not interrupted (it is synchronous code); its
  /// connection is closed without a response when it returns. The server cannot be restarted.
  void stop(std::chrono::milliseconds grace);

  const HttpServerStats& stats() const;

  struct Impl;  // public so the .cpp's connection class can name it; its definition stays private

 private:
  std::shared_ptr<Impl> impl_;  // shared with live connections, which may outlive *this briefly
};

}  // namespace opspilot::agent
