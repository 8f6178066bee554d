#pragma once
// Reading an actuator's settings (the string map from the config's `actuator:` section). Every
// backend reads them the same way, so a bad value is refused with the same words everywhere.
// Each reader throws std::invalid_argument naming the key, the value and what was expected: a
// backend is only built at start-up, never while acting.
// Thread-safety: pure functions.
#include <chrono>
#include <set>
#include <string>

#include "actuators/actuator.h"
#include "actuators/common/http_client.h"

namespace opspilot::actuators {

/// The value, or `def` when the key is absent.
std::string setting_string(const ActuatorSettings& s, const std::string& key, const std::string& def = "");
/// A non-negative integer.
int setting_int(const ActuatorSettings& s, const std::string& key, int def);
/// A duration: "250ms", "5s", "2m", or a plain number of milliseconds.
std::chrono::milliseconds setting_duration(const ActuatorSettings& s, const std::string& key,
                                           std::chrono::milliseconds def);
/// true/false (also yes/no, 1/0).
bool setting_bool(const ActuatorSettings& s, const std::string& key, bool def);
/// Refuses a key outside `known` (a typo would otherwise be silently ignored), listing them.
void check_known_settings(const ActuatorSettings& s, const std::set<std::string>& known);
/// A positive duration (`timeout`-like keys).
std::chrono::milliseconds setting_timeout(const ActuatorSettings& s, const std::string& key,
                                          std::chrono::milliseconds def);
/// How an HTTP backend retries: `retries` (total tries, 1..20) and `retry_base` (the first
/// backoff step, doubling with full jitter up to 5 s).
RetryPolicy setting_retry(const ActuatorSettings& s, int default_attempts);
/// A secret given as `<key>_file` (a path; one trailing newline dropped) or `<key>_env` (an
/// environment variable's name); never as a literal. "" when neither is set.
std::string setting_secret(const ActuatorSettings& s, const std::string& key);

}  // namespace opspilot::actuators
