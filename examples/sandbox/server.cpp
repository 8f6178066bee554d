#include "examples/sandbox/server.h"

#include <atomic>
#include <csignal>
#include <iostream>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "examples/common/serve_loop.h"
#include "examples/sandbox/api.h"

namespace opspilot::sandbox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr auto kTickInterval = std::chrono::milliseconds(200);
constexpr std::uint64_t kBodyLimit = 1 << 20;

// One connection: read a request, answer it, repeat while the client keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, SandboxApi& api, const agent::Clock& clock)
      : stream_(std::move(socket)), api_(api), clock_(clock) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted) {
      close();
      return;
    }
    if (ec) {
      // A malformed or oversized request: say so, then close (the stream may be out of sync).
      auto res = std::make_shared<http::response<http::string_body>>(http::status::bad_request, 11);
      res->set(http::field::content_type, "application/json");
      res->body() = "{\"error\":\"cannot read the HTTP request: " + ec.message() + "\"}\n";
      res->keep_alive(false);
      res->prepare_payload();
      write(res);
      return;
    }
    const auto& req = parser_->get();
    ApiRequest api_req{std::string(req.method_string()), std::string(req.target()), req.body(),
                       std::string(req["X-Opspilot-Signature"]), std::string(req["X-Opspilot-Timestamp"])};
    ApiResponse out = api_.handle(api_req, clock_.now());
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(out.status),
                                                                   req.version());
    res->set(http::field::server, "opspilot-sandbox");
    res->set(http::field::content_type, out.content_type);
    if (!out.allow.empty()) res->set(http::field::allow, out.allow);
    res->keep_alive(req.keep_alive());
    res->body() = std::move(out.body);
    res->prepare_payload();
    if (req.method() == http::verb::head) res->body().clear();
    write(res);
  }

  void write(const std::shared_ptr<http::response<http::string_body>>& res) {
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) {
        self->close();
        return;
      }
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  SandboxApi& api_;
  const agent::Clock& clock_;
};

}  // namespace

struct Server::Impl {
  Impl(SandboxApi& api, const agent::Clock& clock)
      : loop([&api, &clock](tcp::socket socket) { std::make_shared<Session>(std::move(socket), api, clock)->start(); },
             [&api, &clock] { api.advance(clock.now()); }, kTickInterval) {}
  examples::ServeLoop loop;
};

Server::Server(SandboxApi& api, const agent::Clock& clock) : impl_(std::make_unique<Impl>(api, clock)) {}

Server::~Server() = default;

std::string Server::listen(const std::string& host, unsigned short port) { return impl_->loop.listen(host, port); }

unsigned short Server::port() const { return impl_->loop.port(); }

int Server::run(bool handle_signals) { return impl_->loop.run(handle_signals); }

void Server::stop() { impl_->loop.stop(); }

}  // namespace opspilot::sandbox
