#pragma once
// What the sandbox remembers and exports: monotonic counters (for /metrics) and a bounded
// 1-minute history per service (for reports, /api/v1/history and --simulate CSV).
// Thread-safety: plain values and a ring owned by one ServiceSim.
#include <array>
#include <cstdint>
#include <deque>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace opspilot::sandbox {

/// Upper bounds (seconds) of the request-duration histogram, without +Inf.
inline constexpr std::array<double, 11> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                           0.5,   1,    2.5,   5,    10};

/// Everything counted since the start, in simulated time. All members only grow.
struct Counters {
  double ok = 0;        // code 200
  double errors = 0;    // code 500: failed while being served (incidents, base error rate)
  double shed = 0;      // code 503: refused for lack of ready capacity
  std::array<double, kLatencyBuckets.size()> buckets{};  // cumulative: requests with latency <= le
  double latency_count = 0;  // served requests (200 + 500)
  double latency_sum = 0;    // seconds
};

/// Which incidents were visible during a minute (bit set).
enum IncidentFlag : std::uint8_t {
  kFlagRegression = 1,        // some replica runs a revision with a latency/error regression
  kFlagCrashLoop = 2,         // some replica is crash-looping
  kFlagDependencyOutage = 4,  // a dependency is failing requests
  kFlagBadPod = 8,            // one replica is slow
};
std::string flags_to_string(std::uint8_t flags);  // "regression+bad_pod", "" for none

/// One simulated minute of one service.
struct MinuteSample {
  std::int64_t unix_s = 0;   // start of the minute
  double load_rps = 0;       // offered load, mean over the minute
  double served_rps = 0;     // requests answered (200 + 500)
  int desired = 0;           // at the end of the minute
  int ready = 0;             // at the end of the minute
  double p50_s = 0;          // mean of the model's p50 over the minute's served requests
  double p99_s = 0;          // the same for p99 (the cap when nothing was served)
  double error_ratio = 0;    // (500 + 503) / offered
  double cpu = 0;            // mean CPU utilisation per ready replica, [0, 1]
  int revision = 0;
  std::uint8_t flags = 0;    // IncidentFlag bits seen during the minute
};

/// A ring of the last `capacity` minutes.
class History {
 public:
  explicit History(std::size_t capacity) : capacity_(capacity) {}
  void push(const MinuteSample& s) {
    samples_.push_back(s);
    while (samples_.size() > capacity_) samples_.pop_front();
  }
  const std::deque<MinuteSample>& samples() const { return samples_; }
  std::size_t capacity() const { return capacity_; }
  void set_capacity(std::size_t c) { capacity_ = c; }

 private:
  std::size_t capacity_;
  std::deque<MinuteSample> samples_;
};

/// The CSV header written by write_csv_rows().
std::string csv_header();
/// One line per sample: unix_seconds,time,service,load_rps,... (see csv_header()).
void write_csv_rows(std::ostream& out, const std::string& service, const std::vector<MinuteSample>& rows);
/// Column arrays {"service":…, "resolution_seconds":60, "unix_seconds":[…], "load_rps":[…], …}
/// of the samples at or after `since_unix`, at most the last `limit`.
nlohmann::json history_json(const std::string& service, const History& h, std::int64_t since_unix,
                            std::size_t limit);

}  // namespace opspilot::sandbox
