#include "agent/loop/timeline.h"

#include <cerrno>
#include <cmath>
#include <cstring>

namespace opspilot::agent {

bool Timeline::open(const std::string& path, std::string* error) {
  std::lock_guard lock(mu_);
  f_ = std::fopen(path.c_str(), "a");
  if (!f_) {
    if (error) *error = "cannot open timeline \"" + path + "\": " + std::strerror(errno);
    return false;
  }
  if (std::ftell(f_) == 0) std::fprintf(f_, "%s\n", kHeader);
  return true;
}

Timeline::~Timeline() {
  if (f_) std::fclose(f_);
}

void Timeline::write(const Decision& d, double load, double ready, double latency, double errors) {
  std::lock_guard lock(mu_);
  if (!f_) return;
  auto num = [](double v) { return std::isfinite(v) ? v : std::nan(""); };
  const auto& p = d.prediction;
  std::fprintf(f_, "%.3f,%s,%.4g,%.4g,%.4g,%.4g,%.0f,%d,%.4g,%d,%s,%s,%s,%.4g,%.4g\n",
               to_unix_seconds(d.created), d.target.c_str(), num(load),
               p.enough_data ? p.mean : std::nan(""), p.enough_data ? p.lower : std::nan(""),
               p.enough_data ? p.upper : std::nan(""), p.horizon_seconds, d.current_replicas, num(ready),
               d.desired_replicas, d.action.c_str(), to_string(d.state), d.id.c_str(), num(latency),
               num(errors));
  std::fflush(f_);
}

}  // namespace opspilot::agent
