#pragma once
// Private to agent/server/http_server*.cpp: the state an HttpServer shares with its connections.
// Not part of the public API; include agent/server/http_server.h instead.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/server/http_server.h"

namespace opspilot::agent {
namespace http_detail {

using HandlerPtr = std::shared_ptr<const Handler>;
using Observer = std::shared_ptr<const std::function<void(const RequestRecord&)>>;

struct MethodTable {
  std::map<std::string, HandlerPtr> by_method;
};

// What a request resolved to: a handler, or the 404/405 to answer instead.
struct Match {
  HandlerPtr handler;
  std::string route;                 // the first route whose path matched (also for a 405); else "unmatched"
  std::vector<std::string> allowed;  // for 405, sorted
  bool path_known = false;
};

struct RouteTable {
  std::map<std::string, MethodTable> exact;
  std::vector<std::pair<std::string, MethodTable>> prefixes;  // longest first
  Observer observer;

  Match find(const std::string& method, const std::string& path) const;
};

/// "1.2.3.4:80" or "[::1]:80".
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep);

// One connection (defined in http_session.cpp). The server reaches it only through these, each of
// which hops onto the connection's strand.
class Session;
/// Creates a connection for an accepted socket and starts serving it, unless the server is
/// stopping (then the socket is just closed).
void start_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<HttpServer::Impl> server);
/// Stage two of stop(): close the connection if idle, else let its request finish.
void stop_session(const std::shared_ptr<Session>& s);
/// Stage three of stop(): close the connection now.
void close_session(const std::shared_ptr<Session>& s);

}  // namespace http_detail

// Shared by the HttpServer and its connections, so a connection that outlives the server object
// (a handler still running after stop) never touches freed memory.
struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(boost::asio::io_context& io_ctx, std::string listen_addr, HttpServerOptions opts)
      : io(io_ctx),
        listen(std::move(listen_addr)),
        options(std::move(opts)),
        strand(boost::asio::make_strand(io_ctx)),
        acceptor(strand),
        grace_timer(strand),
        retry_timer(strand) {}

  bool start(std::string* error);
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void stop(std::chrono::milliseconds grace, bool wait);
  void close_all_hard();
  /// Registers a new connection; false once stop() has begun.
  bool add(const std::shared_ptr<http_detail::Session>& s);
  void remove(http_detail::Session* s);
  std::vector<std::shared_ptr<http_detail::Session>> live_sessions();

  boost::asio::io_context& io;
  const std::string listen;
  const HttpServerOptions options;
  // The acceptor and both timers live on this strand; stop() reaches them only through it.
  boost::asio::strand<boost::asio::io_context::executor_type> strand;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer grace_timer;
  boost::asio::steady_timer retry_timer;

  mutable std::shared_mutex routes_mu;  // guards routes (and its observer)
  http_detail::RouteTable routes;
  HttpServerStats stats;

  std::atomic<bool> stopping{false};     // stop() has begun: answer with Connection: close
  std::atomic<bool> hard_closed{false};  // grace ran out: answer nothing more
  std::atomic<unsigned short> bound_port{0};
  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::unordered_map<http_detail::Session*, std::weak_ptr<http_detail::Session>> sessions;
  std::string bound;
  bool started = false;
  bool stop_called = false;
  bool acceptor_closed = false;
};

}  // namespace opspilot::agent
