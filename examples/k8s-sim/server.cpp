#include "examples/k8s-sim/server.h"

#include <atomic>
#include <csignal>
#include <deque>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "examples/common/serve_loop.h"
#include "examples/k8s-sim/simulator.h"

namespace opspilot::k8s_sim {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(120);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr std::uint64_t kBodyLimit = 8 << 20;
constexpr std::size_t kMaxPendingWatchLines = 100000;  // a client that stops reading is cut off

// One connection, plain or TLS (CRTP as in Beast's flex server example): read a request, answer
// it, repeat while the client keeps the connection alive. A watch answer turns the connection
// into a stream of chunks that ends (and closes) at the watch timeout or when the client leaves.
template <class Derived>
class HttpSession {
 public:
  HttpSession(Simulator& sim, beast::flat_buffer buffer, const asio::any_io_executor& ex)
      : buffer_(std::move(buffer)), sim_(sim), watch_timer_(ex) {}

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    beast::get_lowest_layer(derived().stream()).expires_after(kIdleTimeout);
    http::async_read(derived().stream(), buffer_, *parser_,
                     [self = derived().shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  beast::flat_buffer buffer_;

 private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated) {
      close();
      return;
    }
    if (ec) {
      auto res = std::make_shared<http::response<http::string_body>>(http::status::bad_request, 11);
      res->set(http::field::content_type, "application/json");
      res->body() = status_body(400, "BadRequest", "cannot read the HTTP request: " + ec.message()).dump();
      res->keep_alive(false);
      res->prepare_payload();
      write(res);
      return;
    }
    const auto& req = parser_->get();
    HttpIn in{std::string(req.method_string()), std::string(req.target()),
              std::string(req[http::field::authorization]), std::string(req[http::field::content_type]),
              std::string(req[http::field::accept]), std::string(req[http::field::host]), req.body()};
    HttpOut out = sim_.handle(in);
    if (out.watch) {
      start_watch(std::move(*out.watch), req.version());
      return;
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(out.code), req.version());
    res->set(http::field::server, "opspilot-k8s-sim");
    res->set(http::field::content_type, out.content_type);
    res->set(http::field::cache_control, "no-cache, private");
    for (const auto& [k, v] : out.headers) res->set(k, v);
    res->keep_alive(req.keep_alive());
    res->body() = std::move(out.body);
    res->prepare_payload();
    write(res);
  }

  void write(const std::shared_ptr<http::response<http::string_body>>& res) {
    http::async_write(derived().stream(), *res, [self = derived().shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) {
        self->close();
        return;
      }
      self->do_read();
    });
  }

  void start_watch(WatchPlan plan, unsigned version) {
    // Subscribe now, in the same turn as the initial lines were taken, so no change falls between.
    for (auto& line : plan.initial) pending_.push_back(std::move(line));
    finishing_ = plan.finish_after_initial;
    std::weak_ptr<Derived> weak = derived().shared_from_this();
    subscription_ = sim_.subscribe(plan, [weak](const std::string& line) {
      if (auto self = weak.lock()) self->enqueue(line);
    });
    beast::get_lowest_layer(derived().stream()).expires_never();
    header_ = std::make_shared<http::response<http::empty_body>>(http::status::ok, version);
    header_->set(http::field::server, "opspilot-k8s-sim");
    header_->set(http::field::content_type, "application/json");
    header_->set(http::field::cache_control, "no-cache, private");
    header_->chunked(true);
    header_->keep_alive(false);  // the connection ends with the watch
    serializer_ = std::make_shared<http::response_serializer<http::empty_body>>(*header_);
    http::async_write_header(derived().stream(), *serializer_,
                             [self = derived().shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec) return self->end_watch();
                               self->header_written_ = true;
                               self->flush();
                             });
    watch_timer_.expires_after(plan.timeout);
    watch_timer_.async_wait([weak](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->finishing_ = true;
      self->flush();
    });
    // Notice a client that hangs up while no events flow (otherwise it would be seen only at
    // the next write). This pending read also keeps the session alive while no write is.
    derived().stream().async_read_some(asio::buffer(probe_),
                                       [self = derived().shared_from_this()](beast::error_code, std::size_t) {
                                         self->end_watch();
                                       });
  }

  void enqueue(const std::string& line) {
    if (watch_over_ || finishing_) return;
    if (pending_.size() >= kMaxPendingWatchLines) return end_watch();
    pending_.push_back(line);
    flush();
  }

  void flush() {
    if (watch_over_ || writing_ || !header_written_) return;
    if (pending_.empty()) {
      if (finishing_) finish_watch();
      return;
    }
    writing_ = true;
    asio::async_write(derived().stream(), http::make_chunk(asio::buffer(pending_.front())),
                      [self = derived().shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->end_watch();
                        self->pending_.pop_front();
                        self->flush();
                      });
  }

  void finish_watch() {
    if (watch_over_ || writing_) return;
    writing_ = true;
    sim_.unsubscribe(subscription_);
    subscription_ = 0;
    asio::async_write(derived().stream(), http::make_chunk_last(),
                      [self = derived().shared_from_this()](beast::error_code, std::size_t) {
                        self->writing_ = false;
                        self->end_watch();
                      });
  }

  void end_watch() {
    if (watch_over_) return;
    watch_over_ = true;
    if (subscription_) sim_.unsubscribe(subscription_);
    subscription_ = 0;
    watch_timer_.cancel();
    pending_.clear();
    close();
  }

  void close() {
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(derived().stream()).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  Simulator& sim_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // Watch state.
  asio::steady_timer watch_timer_;
  std::shared_ptr<http::response<http::empty_body>> header_;
  std::shared_ptr<http::response_serializer<http::empty_body>> serializer_;
  std::deque<std::string> pending_;
  int subscription_ = 0;
  bool header_written_ = false;
  bool writing_ = false;
  bool finishing_ = false;
  bool watch_over_ = false;
  std::array<char, 64> probe_{};
};

class PlainSession : public HttpSession<PlainSession>, public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(beast::tcp_stream stream, Simulator& sim, beast::flat_buffer buffer)
      : HttpSession(sim, std::move(buffer), stream.get_executor()), stream_(std::move(stream)) {}
  void run() { do_read(); }
  beast::tcp_stream& stream() { return stream_; }

 private:
  beast::tcp_stream stream_;
};

class TlsSession : public HttpSession<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(beast::tcp_stream stream, ssl::context& ctx, Simulator& sim, beast::flat_buffer buffer)
      : HttpSession(sim, std::move(buffer), stream.get_executor()), stream_(std::move(stream), ctx) {}
  void run() {
    beast::get_lowest_layer(stream_).expires_after(kHandshakeTimeout);
    stream_.async_handshake(ssl::stream_base::server, buffer_.data(),
                            [self = shared_from_this()](beast::error_code ec, std::size_t used) {
                              if (ec) return;  // not a TLS client after all, or it gave up
                              self->buffer_.consume(used);
                              self->do_read();
                            });
  }
  ssl::stream<beast::tcp_stream>& stream() { return stream_; }

 private:
  // asio's stream rather than beast::ssl_stream: Boost 1.81's beast::ssl_stream mis-constrains
  // the buffered async_handshake we need to replay the bytes the TLS detection consumed.
  ssl::stream<beast::tcp_stream> stream_;
};

// Looks at the first bytes of a connection: a TLS ClientHello goes to a TlsSession.
class DetectSession : public std::enable_shared_from_this<DetectSession> {
 public:
  DetectSession(tcp::socket socket, ssl::context& ctx, Simulator& sim) : stream_(std::move(socket)), ctx_(ctx), sim_(sim) {}
  void run() {
    stream_.expires_after(kHandshakeTimeout);
    beast::async_detect_ssl(stream_, buffer_, [self = shared_from_this()](beast::error_code ec, bool tls) {
      if (ec) return;
      if (tls) {
        std::make_shared<TlsSession>(std::move(self->stream_), self->ctx_, self->sim_, std::move(self->buffer_))->run();
      } else {
        std::make_shared<PlainSession>(std::move(self->stream_), self->sim_, std::move(self->buffer_))->run();
      }
    });
  }

 private:
  beast::tcp_stream stream_;
  ssl::context& ctx_;
  Simulator& sim_;
  beast::flat_buffer buffer_;
};

}  // namespace

struct Server::Impl {
  Impl(Simulator& sim, std::optional<TlsMaterial> t, std::chrono::milliseconds tick_every)
      : tls(std::move(t)),
        ssl_ctx(ssl::context::tls_server),
        loop(
            [this, &sim](tcp::socket socket) {
              beast::error_code ec;
              socket.set_option(tcp::no_delay(true), ec);
              if (tls) std::make_shared<DetectSession>(std::move(socket), ssl_ctx, sim)->run();
              else std::make_shared<PlainSession>(beast::tcp_stream(std::move(socket)), sim, beast::flat_buffer())->run();
            },
            [&sim] { sim.tick(); }, tick_every) {}

  std::optional<TlsMaterial> tls;
  ssl::context ssl_ctx;
  examples::ServeLoop loop;
};

Server::Server(Simulator& sim, std::optional<TlsMaterial> tls, std::chrono::milliseconds tick)
    : impl_(std::make_unique<Impl>(sim, std::move(tls), tick)) {}

Server::~Server() = default;

std::string Server::listen(const std::string& host, unsigned short port) {
  beast::error_code ec;
  if (impl_->tls) {
    auto& ctx = impl_->ssl_ctx;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx.use_certificate_chain(asio::buffer(impl_->tls->cert_pem), ec);
    if (ec) return "the TLS certificate was refused: " + ec.message();
    ctx.use_private_key(asio::buffer(impl_->tls->key_pem), ssl::context::pem, ec);
    if (ec) return "the TLS private key was refused: " + ec.message();
  }
  return impl_->loop.listen(host, port);
}

unsigned short Server::port() const { return impl_->loop.port(); }

int Server::run(bool handle_signals) { return impl_->loop.run(handle_signals); }

void Server::stop() { impl_->loop.stop(); }

}  // namespace opspilot::k8s_sim
