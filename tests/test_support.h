#pragma once
// Helpers shared by the test suites: temporary directories, free loopback ports, child
// processes (real servers: the sandbox, Prometheus, the opspilot binary) and HTTP probes.
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace opspilot::test {

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `content` to `name` inside the directory and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

/// A loopback TCP port that was free a moment ago (bound to port 0, read back, released).
int free_port();

/// A child process started with execv; killed (SIGKILL) and reaped on destruction.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::string& log_file = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  /// Waits for exit up to `timeout`; returns the exit status (as from waitpid) or -1.
  int wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

struct HttpResult {
  long status = 0;
  std::string body;
  std::string error;
};

HttpResult http_get(const std::string& url, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
HttpResult http_post(const std::string& url, const std::string& body, const std::string& content_type = "application/json");
/// Polls `url` until it answers 200 or `timeout` passes.
bool wait_for_http(const std::string& url, std::chrono::milliseconds timeout);

/// Runs a shell command, returning its exit code and capturing stdout+stderr into `output`.
int run_command(const std::string& command, std::string* output);
/// Runs a shell command, returning its exit code, with stdout in `out` and stderr in `err` apart.
int run_command(const std::string& command, std::string* out, std::string* err);
/// The content of a file; "" when it cannot be read.
std::string read_file(const std::string& path);

#ifdef OPSPILOT_SOURCE_DIR
/// The text of every file in policies/examples/, sorted (seeds for the policy fuzz and parser
/// tests). Inline: OPSPILOT_SOURCE_DIR is defined for the test binaries, not this library.
inline std::vector<std::string> bundled_policy_texts() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(OPSPILOT_SOURCE_DIR) + "/policies/examples")) {
    std::ifstream in(e.path());
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  std::sort(out.begin(), out.end());
  return out;
}
#endif

/// Path of an executable found on PATH, or empty.
std::string find_program(const std::string& name);

}  // namespace opspilot::test
