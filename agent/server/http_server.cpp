// The agent's HTTP server: listening, accepting, routing tables, statistics and the staged
// shutdown. The per-connection protocol work is in http_session.cpp.
#include "agent/server/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

#include <nlohmann/json.hpp>

#include "agent/server/http_server_impl.h"

namespace opspilot::agent {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace http_detail {

std::string endpoint_text(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

}  // namespace http_detail

using namespace http_detail;

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct ListenSpec {
  std::string host, port;
};

std::optional<ListenSpec> split_listen(const std::string& listen, std::string* why) {
  const std::string example = " (expected host:port, e.g. 127.0.0.1:9090, [::1]:9090 or :9090)";
  ListenSpec spec;
  std::string rest;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      *why = "listen address '" + listen + "' has an unclosed '[' or no ':port' after it" + example;
      return std::nullopt;
    }
    spec.host = listen.substr(1, close - 1);
    rest = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
      *why = "listen address '" + listen + "' has no port" + example;
      return std::nullopt;
    }
    spec.host = listen.substr(0, colon);
    rest = listen.substr(colon + 1);
    if (spec.host.find(':') != std::string::npos) {
      *why = "listen address '" + listen + "' has an IPv6 host without brackets" + example;
      return std::nullopt;
    }
  }
  const bool digits = !rest.empty() && rest.size() <= 5 &&
                      std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoul(rest) > 65535) {
    *why = "port '" + rest + "' in listen address '" + listen + "' is not a number in 0..65535";
    return std::nullopt;
  }
  if (spec.host.empty() || spec.host == "*") spec.host = "0.0.0.0";
  spec.port = rest;
  return spec;
}

}  // namespace

bool HttpServer::Impl::start(std::string* error) {
  auto fail = [&](std::string msg) {
    if (error) *error = std::move(msg);
    return false;
  };
  {
    std::lock_guard lock(mu);
    if (stop_called) return fail("HTTP server for '" + listen + "' was stopped; it cannot be restarted");
    if (started) return fail("HTTP server is already listening on " + bound);
  }
  std::string why;
  const auto spec = split_listen(listen, &why);
  if (!spec) return fail(why);

  std::vector<tcp::endpoint> endpoints;
  const auto port = static_cast<unsigned short>(std::stoul(spec->port));
  error_code ec;
  const auto numeric = asio::ip::make_address(spec->host, ec);
  if (!ec) {
    endpoints.emplace_back(numeric, port);
  } else {
    tcp::resolver resolver(io);
    const auto results = resolver.resolve(spec->host, spec->port, tcp::resolver::passive, ec);
    if (ec)
      return fail("cannot resolve host '" + spec->host + "' in listen address '" + listen +
                  "': " + ec.message());
    for (const auto& r : results) endpoints.push_back(r.endpoint());
    // IPv4 first, so "localhost:0" binds where clients that say 127.0.0.1 connect.
    std::stable_partition(endpoints.begin(), endpoints.end(),
                          [](const tcp::endpoint& e) { return e.address().is_v4(); });
  }

  std::string tried;
  for (const auto& ep : endpoints) {
    error_code e;
    acceptor.open(ep.protocol(), e);
    // SO_REUSEADDR lets a restarted agent bind past TIME_WAIT; a live listener still gets EADDRINUSE.
    if (!e) acceptor.set_option(asio::socket_base::reuse_address(true), e);
    if (!e) acceptor.bind(ep, e);
    if (!e) acceptor.listen(asio::socket_base::max_listen_connections, e);
    if (!e) break;
    tried += (tried.empty() ? "" : "; ") + endpoint_text(ep) + ": " + e.message();
    error_code ignored;
    acceptor.close(ignored);
  }
  if (!acceptor.is_open()) return fail("cannot listen on '" + listen + "': " + tried);

  const auto local = acceptor.local_endpoint(ec);
  bound_port = local.port();
  {
    std::lock_guard lock(mu);
    started = true;
    bound = endpoint_text(local);
  }
  asio::dispatch(strand, [self = shared_from_this()] { self->do_accept(); });
  return true;
}

void HttpServer::Impl::do_accept() {
  if (!acceptor.is_open()) return;
  // Each connection gets its own strand, so handlers of one connection never run concurrently.
  acceptor.async_accept(asio::make_strand(io),
                        [self = shared_from_this()](error_code ec, tcp::socket socket) {
                          self->on_accept(ec, std::move(socket));
                        });
}

void HttpServer::Impl::on_accept(error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: back off briefly instead of spinning on the error.
    retry_timer.expires_after(std::chrono::milliseconds(50));
    retry_timer.async_wait([self = shared_from_this()](error_code e) {
      if (!e) self->do_accept();
    });
    return;
  }
  start_session(std::move(socket), shared_from_this());
  do_accept();
}

bool HttpServer::Impl::add(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(mu);
  // Checked under the same lock stop() takes, so a session is either told to stop or never starts.
  if (stop_called) return false;
  sessions.emplace(s.get(), s);
  return true;
}

void HttpServer::Impl::remove(Session* s) {
  std::lock_guard lock(mu);
  if (sessions.erase(s) == 0) return;
  if (stop_called && sessions.empty()) {
    // The last connection is gone: the hard-close timer has nothing left to do, and leaving it
    // armed would keep io_context::run() from returning until the grace period ends.
    asio::post(strand, [self = shared_from_this()] { self->grace_timer.cancel(); });
  }
  cv.notify_all();
}

std::vector<std::shared_ptr<Session>> HttpServer::Impl::live_sessions() {
  std::vector<std::shared_ptr<Session>> live;
  std::lock_guard lock(mu);
  for (auto& [ptr, weak] : sessions) {
    if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  return live;
}

void HttpServer::Impl::close_all_hard() {
  hard_closed = true;
  for (auto& s : live_sessions()) close_session(s);
}

void HttpServer::Impl::stop(std::chrono::milliseconds grace, bool wait) {
  {
    std::lock_guard lock(mu);
    if (stop_called) return;
    stop_called = true;
    stopping = true;
    if (!started) return;
  }
  // Stage one, on the acceptor's strand: no new connections; arm the hard-close deadline.
  asio::dispatch(strand, [self = shared_from_this(), grace] {
    error_code ec;
    self->acceptor.close(ec);
    self->retry_timer.cancel();
    bool idle;
    {
      std::lock_guard lock(self->mu);
      self->acceptor_closed = true;
      idle = self->sessions.empty();
    }
    self->cv.notify_all();
    if (idle) return;
    self->grace_timer.expires_after(grace);
    self->grace_timer.async_wait([self](error_code e) {
      if (!e) self->close_all_hard();  // stage three
    });
  });
  // Stage two: idle connections close now; busy ones finish their request.
  for (auto& s : live_sessions()) stop_session(s);

  // On an io thread, waiting would block the very thread the connections need to finish.
  if (!wait || io.get_executor().running_in_this_thread()) return;
  std::unique_lock lock(mu);
  cv.wait_for(lock, grace + std::chrono::milliseconds(250),
              [&] { return acceptor_closed && sessions.empty(); });
}

// ---------------------------------------------------------------------------------------------
// Public surface

Response json_error(int status, std::string_view message) {
  Response r;
  r.status = status;
  // replace: a message quoting a client's bytes may not be valid UTF-8, and dump() would throw.
  r.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

void HttpServerStats::record(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mu_);
  auto& c = by_route_[{route, status}];
  ++c.count;
  c.seconds += seconds;
  ++total_;
}
void HttpServerStats::connection_opened() {
  std::lock_guard lock(mu_);
  ++accepted_;
  ++open_;
}
void HttpServerStats::connection_closed() {
  std::lock_guard lock(mu_);
  --open_;
}
std::vector<RouteStatusCount> HttpServerStats::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<RouteStatusCount> out;
  out.reserve(by_route_.size());
  for (const auto& [key, c] : by_route_) out.push_back({key.first, key.second, c.count, c.seconds});
  return out;
}
std::uint64_t HttpServerStats::requests_total() const {
  std::lock_guard lock(mu_);
  return total_;
}
std::uint64_t HttpServerStats::connections_accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}
std::uint64_t HttpServerStats::connections_open() const {
  std::lock_guard lock(mu_);
  return open_;
}

HttpServer::HttpServer(asio::io_context& io, std::string listen, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(listen), std::move(options))) {}

HttpServer::~HttpServer() {
  impl_->stop(std::chrono::milliseconds(0), /*wait=*/false);
  // Connections still finishing must not call into handlers whose owners are going away.
  std::unique_lock lock(impl_->routes_mu);
  impl_->routes = RouteTable{};
}

void HttpServer::route(std::string method, std::string path, Handler h) {
  std::unique_lock lock(impl_->routes_mu);
  impl_->routes.exact[std::move(path)].by_method[upper(std::move(method))] =
      std::make_shared<const Handler>(std::move(h));
}

void HttpServer::route_prefix(std::string method, std::string prefix, Handler h) {
  std::unique_lock lock(impl_->routes_mu);
  auto& list = impl_->routes.prefixes;
  auto it = std::find_if(list.begin(), list.end(), [&](const auto& p) { return p.first == prefix; });
  if (it == list.end()) {
    list.emplace_back(prefix, MethodTable{});
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    it = std::find_if(list.begin(), list.end(), [&](const auto& p) { return p.first == prefix; });
  }
  it->second.by_method[upper(std::move(method))] = std::make_shared<const Handler>(std::move(h));
}

void HttpServer::set_observer(std::function<void(const RequestRecord&)> observer) {
  std::unique_lock lock(impl_->routes_mu);
  impl_->routes.observer =
      observer ? std::make_shared<const std::function<void(const RequestRecord&)>>(std::move(observer))
               : nullptr;
}

bool HttpServer::start(std::string* error) { return impl_->start(error); }

unsigned short HttpServer::port() const { return impl_->bound_port; }

std::string HttpServer::address() const {
  std::lock_guard lock(impl_->mu);
  return impl_->bound;
}

void HttpServer::stop(std::chrono::milliseconds grace) { impl_->stop(grace, /*wait=*/true); }

const HttpServerStats& HttpServer::stats() const { return impl_->stats; }

}  // namespace opspilot::agent
