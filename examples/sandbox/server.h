#pragma once
// The sandbox's HTTP/1.1 server (Boost.Beast, keep-alive, one io_context thread). It moves bytes
// to and from SandboxApi, and every 200 ms of real time advances the model to the clock's "now"
// so history keeps being recorded when nobody asks. Beast stays out of this header.
// Shutdown is staged: stop accepting, give open connections a moment, then stop the loop.
// Thread-safety: listen() and run() from one thread; stop() from any thread.
#include <memory>
#include <string>

#include "agent/clock.h"

namespace opspilot::sandbox {

class SandboxApi;

class Server {
 public:
  Server(SandboxApi& api, const agent::Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens on host:port (port 0 = a free port). Empty on success, else the error in
  /// words quoting the address.
  std::string listen(const std::string& host, unsigned short port);
  /// The bound port (after listen()).
  unsigned short port() const;
  /// Serves until stop() or, when `handle_signals`, SIGINT/SIGTERM. Returns the signal that
  /// stopped it, or 0.
  int run(bool handle_signals);
  /// Starts the staged shutdown; run() returns shortly after.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opspilot::sandbox
