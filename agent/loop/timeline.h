#pragma once
// An optional CSV of every tick (what was seen, predicted and decided), for reports and charts.
// Thread-safety: write() is guarded by a mutex.
#include <cstdio>
#include <mutex>
#include <string>

#include "agent/journal/decision.h"

namespace opspilot::agent {

class Timeline {
 public:
  static constexpr const char* kHeader =
      "time,target,load,forecast_mean,forecast_lower,forecast_upper,horizon,replicas,ready_replicas,"
      "desired,action,state,decision_id,latency,errors";
  /// Opens (appends to) `path`; returns false with `error` set when it cannot.
  bool open(const std::string& path, std::string* error);
  void write(const Decision& d, double load, double ready, double latency, double errors);
  ~Timeline();

 private:
  std::mutex mu_;
  std::FILE* f_ = nullptr;
};

}  // namespace opspilot::agent
