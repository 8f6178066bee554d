#pragma once
// The simulator's HTTP/1.1 server (Boost.Beast, one io_context thread). One port serves plain
// HTTP and, when TLS material is given, HTTPS too (the first bytes tell which). Requests go to
// the Simulator; watches are streamed as chunked JSON lines until their timeout or the client
// leaves. A timer runs the simulated controllers every `tick` of real time.
// Shutdown is staged: stop accepting, give open connections a moment, then stop the loop.
// Thread-safety: listen() and run() from one thread; stop() from any thread.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "examples/k8s-sim/tls.h"

namespace opspilot::k8s_sim {

class Simulator;

class Server {
 public:
  Server(Simulator& sim, std::optional<TlsMaterial> tls,
         std::chrono::milliseconds tick = std::chrono::milliseconds(20));
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens on host:port (port 0 = a free port). Empty on success, else the error in
  /// words quoting the address (or the TLS material OpenSSL refused).
  std::string listen(const std::string& host, unsigned short port);
  unsigned short port() const;
  /// Serves until stop() or, when `handle_signals`, SIGINT/SIGTERM. Returns the signal or 0.
  int run(bool handle_signals);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opspilot::k8s_sim
