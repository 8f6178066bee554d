#pragma once
// Injectable clocks. The loop, the series store and every stage read "now" from a Clock, so the
// sandbox and backtests can run time faster than real time (ScaledClock) or step it by hand
// (ManualClock). Thread-safety: all clocks are safe to read from any thread.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace opspilot::agent {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Duration>;

inline double to_seconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }
inline double to_unix_seconds(TimePoint t) { return to_seconds(t.time_since_epoch()); }
inline TimePoint from_unix_seconds(double s) {
  return TimePoint(Duration(static_cast<std::int64_t>(s * 1000.0)));
}

class Clock {
 public:
  virtual ~Clock() = default;
  /// Current time on this clock (wall-clock time for SystemClock, simulated time otherwise).
  virtual TimePoint now() const = 0;
  /// How long to really wait for `simulated` time to pass on this clock.
  virtual std::chrono::nanoseconds real_delay(Duration simulated) const = 0;
  /// Simulated seconds per real second.
  virtual double speed() const { return 1.0; }
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
  std::chrono::nanoseconds real_delay(Duration simulated) const override { return simulated; }
};

/// Time that starts at `start` and runs `speed` times faster than real time. Two processes given
/// the same start and speed (the sandbox and the agent in `make demo`) share one simulated time.
class ScaledClock final : public Clock {
 public:
  ScaledClock(TimePoint start, double speed, std::chrono::system_clock::time_point real_anchor =
                                                 std::chrono::system_clock::now())
      : start_(start), speed_(speed), anchor_(real_anchor) {}
  TimePoint now() const override {
    const auto real = std::chrono::system_clock::now() - anchor_;
    const auto sim = std::chrono::duration<double, std::milli>(real) * speed_;
    return start_ + Duration(static_cast<std::int64_t>(sim.count()));
  }
  std::chrono::nanoseconds real_delay(Duration simulated) const override {
    return std::chrono::nanoseconds(
        static_cast<std::int64_t>(static_cast<double>(simulated.count()) * 1e6 / speed_));
  }
  double speed() const override { return speed_; }

 private:
  TimePoint start_;
  double speed_;
  std::chrono::system_clock::time_point anchor_;
};

/// A clock that only moves when told to: for tests and backtests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint(Duration(1'700'000'000'000))) : now_ms_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(Duration(now_ms_.load())); }
  std::chrono::nanoseconds real_delay(Duration) const override { return std::chrono::nanoseconds(0); }
  void advance(Duration d) { now_ms_ += d.count(); }
  void set(TimePoint t) { now_ms_ = t.time_since_epoch().count(); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace opspilot::agent
