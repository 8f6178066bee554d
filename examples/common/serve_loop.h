#pragma once
// The life of an example server (opspilot-sandbox, opspilot-k8s-sim), around each one's own
// sessions: a listening socket, a periodic tick on the same io_context, and a staged shutdown
// on stop() or SIGINT/SIGTERM — stop accepting, let requests in flight finish for a grace
// period, then stop.
// Thread-safety: construct, listen() and run() from one thread; stop() from any thread. The
// callbacks run on the io_context's one thread.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

namespace opspilot::examples {

class ServeLoop {
 public:
  /// `on_socket` takes each accepted connection (on its own strand); `on_tick` runs every `tick`.
  ServeLoop(std::function<void(boost::asio::ip::tcp::socket)> on_socket, std::function<void()> on_tick,
            std::chrono::milliseconds tick, std::chrono::milliseconds grace = std::chrono::milliseconds(300));
  ServeLoop(const ServeLoop&) = delete;
  ServeLoop& operator=(const ServeLoop&) = delete;

  /// Binds and listens on host:port (port 0 = a free port). "" on success, else the error in words.
  std::string listen(const std::string& host, unsigned short port);
  /// The bound port (after listen()), 0 before.
  unsigned short port() const;
  /// Serves until stop() or, when `handle_signals`, SIGINT/SIGTERM. Returns the signal or 0.
  int run(bool handle_signals);
  /// Starts the staged shutdown; run() returns shortly after.
  void stop();
  bool stopping() const { return stopping_.load(); }

 private:
  void accept();
  void tick();
  void shutdown(int sig);

  std::function<void(boost::asio::ip::tcp::socket)> on_socket_;
  std::function<void()> on_tick_;
  std::chrono::milliseconds tick_every_, grace_period_;
  boost::asio::io_context ioc_{1};
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  boost::asio::steady_timer ticker_{ioc_}, grace_{ioc_};
  boost::asio::signal_set signals_{ioc_};
  std::atomic<bool> stopping_{false};
  int stopped_by_ = 0;
};

}  // namespace opspilot::examples
