// One HTTP connection of the agent's server: read a request, run its handler, write the answer,
// repeat while the client keeps the connection alive. See http_server.h for the behaviour.
#include <boost/asio/dispatch.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <optional>

#include "agent/server/http_server_impl.h"

namespace opspilot::agent::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace opspilot::agent::http_detail

namespace opspilot::agent {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> form_decode(std::string_view s, bool strict) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else if (s[i] == '%' && strict) {
      return std::nullopt;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace opspilot::agent

namespace opspilot::agent::http_detail {

namespace {

std::string url_decode(std::string_view s) { return *form_decode(s, false); }

std::map<std::string, std::string> parse_query(std::string_view qs) {
  std::map<std::string, std::string> out;
  while (!qs.empty()) {
    const auto amp = qs.find('&');
    const auto pair = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out[url_decode(pair)] = "";
    } else {
      out[url_decode(pair.substr(0, eq))] = url_decode(pair.substr(eq + 1));
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Match RouteTable::find(const std::string& method, const std::string& path) const {
  Match m;
  auto try_table = [&](const MethodTable& t, const std::string& label) {
    if (!m.path_known) m.route = label;
    m.path_known = true;
    auto it = t.by_method.find(method);
    if (it == t.by_method.end() && method == "HEAD") it = t.by_method.find("GET");
    if (it != t.by_method.end()) {
      m.handler = it->second;
      m.route = label;
      return true;
    }
    for (const auto& [meth, h] : t.by_method) m.allowed.push_back(meth);
    if (t.by_method.count("GET") && !t.by_method.count("HEAD")) m.allowed.push_back("HEAD");
    return false;
  };
  if (auto it = exact.find(path); it != exact.end() && try_table(it->second, path)) return m;
  for (const auto& [prefix, table] : prefixes) {
    if (path.compare(0, prefix.size(), prefix) == 0 && try_table(table, prefix + "*")) return m;
  }
  if (!m.path_known) m.route = "unmatched";
  std::sort(m.allowed.begin(), m.allowed.end());
  m.allowed.erase(std::unique(m.allowed.begin(), m.allowed.end()), m.allowed.end());
  return m;
}

using Shared = std::shared_ptr<HttpServer::Impl>;

// One connection: reads a request, runs its handler, writes the answer, and repeats while the
// client keeps the connection alive. Every member runs on the connection's own strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Shared server) : stream_(std::move(socket)), srv_(std::move(server)) {
    beast::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint_text(peer);
    stream_.socket().set_option(tcp::no_delay(true), ec);  // small answers go out at once
    srv_->stats.connection_opened();
  }
  ~Session() {
    srv_->stats.connection_closed();
    srv_->remove(this);
  }

  asio::any_io_executor executor() { return stream_.get_executor(); }
  void start() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

  // Stage two of shutdown: an idle keep-alive connection is closed now; one with a request under
  // way finishes it (its answer says "Connection: close").
  void on_stop() {
    if (reading_ && buffer_.size() == 0 && !(parser_ && parser_->got_some())) close();
  }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void do_read() {
    if (srv_->stopping) return close();
    parser_.emplace();
    parser_->body_limit(srv_->options.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(srv_->options.header_limit));
    stream_.expires_after(srv_->options.idle_timeout);
    reading_ = true;
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    reading_ = false;
    if (parser_->is_done()) return handle();
    stream_.expires_after(srv_->options.idle_timeout);
    const auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      // curl asks before sending a large body; answering lets it go on instead of waiting 1 s.
      continue_ = http::response<http::empty_body>{http::status::continue_, req.version()};
      return http::async_write(stream_, continue_,
                               [self = shared_from_this()](beast::error_code e, std::size_t) {
                                 if (e) return self->close();
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    handle();
  }

  void on_read_error(beast::error_code ec) {
    reading_ = false;
    const bool protocol_error = &ec.category() == &http::make_error_code(http::error::bad_target).category();
    if (ec == http::error::body_limit) {
      const auto& req = parser_->get();
      auto m = lookup(std::string(req.method_string()),
                      std::string(req.target().substr(0, req.target().find('?'))));
      return answer_error(
          413, m.route, std::string(req.method_string()),
          "request body exceeds the limit of " + std::to_string(srv_->options.body_limit) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return answer_error(
          431, "invalid", "",
          "request headers exceed the limit of " + std::to_string(srv_->options.header_limit) + " bytes");
    }
    // A client closing between requests, an idle timeout or a stop: nothing to answer.
    if (!protocol_error || ec == http::error::end_of_stream || ec == http::error::partial_message)
      return close();
    answer_error(400, "invalid", "", "malformed HTTP request: " + ec.message());
  }

  Match lookup(const std::string& method, const std::string& path) {
    std::shared_lock lock(srv_->routes_mu);
    return srv_->routes.find(method, path);
  }

  void answer_error(int status, const std::string& route, const std::string& method, const std::string& msg) {
    srv_->stats.record(route, status, 0);
    notify({route, method, status, 0});
    Response r = json_error(status, msg);
    write(std::move(r), 11, /*keep_alive=*/false, /*head=*/false, /*linger=*/true);
  }

  void notify(const RequestRecord& rec) {
    Observer obs;
    {
      std::shared_lock lock(srv_->routes_mu);
      obs = srv_->routes.observer;
    }
    if (!obs) return;
    try {
      (*obs)(rec);
    } catch (...) {  // a broken observer must not take requests down with it
    }
  }

  void handle() {
    auto& req = parser_->get();
    const auto started = std::chrono::steady_clock::now();
    Request r;
    r.method = std::string(req.method_string());
    const std::string_view target = req.target();
    const auto q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) {
      r.query_string = std::string(target.substr(q + 1));
      r.query = parse_query(r.query_string);
    }
    for (const auto& f : req) {
      auto [it, fresh] = r.headers.emplace(lower(f.name_string()), std::string(f.value()));
      if (!fresh) it->second += ", " + std::string(f.value());
    }
    r.body = std::move(req.body());
    r.remote = remote_;

    const Match m = lookup(r.method, r.path);
    Response out;
    if (m.handler) {
      try {
        out = (*m.handler)(r);
      } catch (const std::exception& e) {
        out = json_error(500, "handler for " + r.method + " " + r.path + " failed: " + e.what());
      } catch (...) {
        out = json_error(500,
                         "handler for " + r.method + " " + r.path + " failed with a non-standard exception");
      }
      if (out.status < 200 || out.status > 599) {
        out = json_error(500, "handler for " + r.method + " " + r.path + " returned status " +
                                  std::to_string(out.status) + ", expected 200..599");
      }
    } else if (m.path_known) {
      std::string allow;
      for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      out = json_error(405, "method " + r.method + " is not allowed on " + r.path + "; allowed: " + allow);
      out.headers.emplace_back("Allow", allow);
    } else {
      out = json_error(404, "no route for " + r.method + " " + r.path);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    srv_->stats.record(m.route, out.status, secs);
    notify({m.route, r.method, out.status, secs});
    write(std::move(out), req.version(), req.keep_alive(), r.method == "HEAD");
  }

  void write(Response&& out, unsigned version, bool keep_alive, bool head, bool linger = false) {
    // Past the grace period of stop(): a handler that was still running loses its answer, as
    // documented, rather than racing the process's exit with a half-written response.
    if (srv_->hard_closed) return close();
    keep_alive = keep_alive && !srv_->stopping;
    res_ = {};
    res_.version(version);
    res_.result(static_cast<unsigned>(out.status));
    res_.set(http::field::server, srv_->options.server_name);
    if (!out.content_type.empty()) res_.set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) {
      // A CR or LF would let a handler's value split the response; drop such a header.
      if (name.empty() || name.find_first_of("\r\n:") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos)
        continue;
      res_.set(name, value);
    }
    res_.keep_alive(keep_alive);
    if (out.status == 204 || out.status == 304) {
      // These carry no body and no Content-Length (prepare_payload would throw on a body).
    } else if (head) {
      res_.content_length(out.body.size());
    } else {
      res_.body() = std::move(out.body);
      res_.prepare_payload();
    }
    stream_.expires_after(srv_->options.idle_timeout);
    http::async_write(stream_, res_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive, linger));
  }

  void on_write(bool keep_alive, bool linger, beast::error_code ec, std::size_t) {
    res_ = {};  // a /metrics answer is large; do not hold it while the connection idles
    if (!ec && linger) return linger_close();
    if (ec || !keep_alive || srv_->stopping) return close();
    do_read();
  }

  // After an error answer the client may still be sending (a body over the limit). Closing with
  // unread data makes the kernel reset the connection, which can destroy our answer before the
  // client reads it; so half-close and discard what still arrives, bounded in time and bytes.
  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(
        std::min<std::chrono::milliseconds>(srv_->options.idle_timeout, std::chrono::seconds(2)));
    drain();
  }
  void drain() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) return self->close();
                              self->drain();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  http::response<http::empty_body> continue_;
  Shared srv_;
  std::string remote_;
  bool reading_ = false;  // waiting for the first bytes or the header of a request
  static constexpr std::size_t kMaxDrainBytes = 64 * 1024 * 1024;
  std::array<char, 16 * 1024> discard_{};
  std::size_t drained_ = 0;
};

void start_session(tcp::socket&& socket, Shared server) {
  auto s = std::make_shared<Session>(std::move(socket), server);
  if (server->add(s)) s->start();
}

void stop_session(const std::shared_ptr<Session>& s) {
  asio::dispatch(s->executor(), [s] { s->on_stop(); });
}

void close_session(const std::shared_ptr<Session>& s) {
  asio::dispatch(s->executor(), [s] { s->close(); });
}

}  // namespace opspilot::agent::http_detail
