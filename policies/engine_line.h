#pragma once
// The evaluator's reason writer (engine.cpp): compile-time fragments and the proposal's numbers
// appended into a fixed buffer without temporaries, then copied once into a RuleResult.
// Private to policies/engine.cpp.
// Thread-safety: none; one per evaluation.
#include <charconv>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>

#include "policies/engine_compiled.h"
#include "policies/time_rules.h"

namespace opspilot::policies::compiled {

// The reason being written: a fixed buffer for the usual few dozen characters, a string past
// it (names in policies are the user's, of any length).
class Line {
 public:
  Line& clear() {
    n_ = 0;
    return *this;
  }
  Line& operator<<(std::string_view s) {
    if (n_ + s.size() <= sizeof buf_) [[likely]] {
      std::memcpy(buf_ + n_, s.data(), s.size());
      n_ += s.size();
      return *this;
    }
    return spill(s);
  }
  Line& operator<<(char c) { return *this << std::string_view(&c, 1); }
  Line& integer(long long v) {
    char b[24];
    return *this << std::string_view(b, static_cast<std::size_t>(std::to_chars(b, b + sizeof b, v).ptr - b));
  }
  Line& num(double v) {  // %.3g
    char b[32];
    return *this << std::string_view(b, static_cast<std::size_t>(compiled::format_num(b, b + sizeof b, v) - b));
  }
  Line& duration(std::chrono::seconds d) {
    char b[kMaxPolicyDuration];
    return *this << std::string_view(b, static_cast<std::size_t>(write_policy_duration(b, d) - b));
  }
  Line& time_of_day(int minutes) {
    char b[kMaxTimeOfDay];
    return *this << std::string_view(b, static_cast<std::size_t>(write_time_of_day(b, minutes) - b));
  }
  std::string_view view() const { return n_ <= sizeof buf_ ? std::string_view(buf_, n_) : std::string_view(long_); }

 private:
  static constexpr std::size_t kSpilled = ~std::size_t{0} / 2;  // n_ once the text is in long_
  [[gnu::noinline]] Line& spill(std::string_view s) {
    if (n_ <= sizeof buf_) long_.assign(buf_, n_);
    long_.append(s);
    n_ = kSpilled;
    return *this;
  }
  char buf_[480];
  std::size_t n_ = 0;
  std::string long_;
};

}  // namespace opspilot::policies::compiled
