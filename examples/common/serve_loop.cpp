#include "examples/common/serve_loop.h"

#include <csignal>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "examples/common/cli.h"

namespace opspilot::examples {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

ServeLoop::ServeLoop(std::function<void(tcp::socket)> on_socket, std::function<void()> on_tick,
                     std::chrono::milliseconds tick, std::chrono::milliseconds grace)
    : on_socket_(std::move(on_socket)), on_tick_(std::move(on_tick)), tick_every_(tick), grace_period_(grace) {}

std::string ServeLoop::listen(const std::string& host, unsigned short port) { return listen_on(acceptor_, host, port); }

unsigned short ServeLoop::port() const { return bound_port(acceptor_); }

int ServeLoop::run(bool handle_signals) {
  if (handle_signals) {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (!ec) shutdown(sig);
    });
  }
  accept();
  tick();
  ioc_.run();
  return stopped_by_;
}

void ServeLoop::stop() {
  asio::post(ioc_, [this] { shutdown(0); });
}

void ServeLoop::accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](const boost::system::error_code& ec, tcp::socket socket) {
    if (stopping_) return;
    if (!ec) on_socket_(std::move(socket));
    accept();
  });
}

void ServeLoop::tick() {
  ticker_.expires_after(tick_every_);
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    on_tick_();
    tick();
  });
}

void ServeLoop::shutdown(int sig) {
  if (stopping_.exchange(true)) return;
  stopped_by_ = sig;
  boost::system::error_code ignored;
  acceptor_.close(ignored);  // 1. stop accepting
  ticker_.cancel();
  signals_.cancel();
  grace_.expires_after(grace_period_);  // 2. let requests in flight finish
  grace_.async_wait([this](const boost::system::error_code&) { ioc_.stop(); });  // 3. then stop hard
}

}  // namespace opspilot::examples
