#include "actuators/common/settings.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace opspilot::actuators {
namespace {

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& expected) {
  throw std::invalid_argument("setting \"" + key + "\" must be " + expected + ", got \"" + value + "\"");
}

long long parse_count(const std::string& key, const std::string& text, const std::string& shown,
                      const std::string& expected) {
  try {
    std::size_t pos = 0;
    const long long v = std::stoll(text, &pos);
    if (pos != text.size() || v < 0) bad(key, shown, expected);
    return v;
  } catch (const std::logic_error&) {
    bad(key, shown, expected);
  }
}

}  // namespace

std::string setting_string(const ActuatorSettings& s, const std::string& key, const std::string& def) {
  auto it = s.find(key);
  return it == s.end() ? def : it->second;
}

int setting_int(const ActuatorSettings& s, const std::string& key, int def) {
  auto it = s.find(key);
  if (it == s.end()) return def;
  const long long v = parse_count(key, it->second, it->second, "a non-negative integer");
  if (v > 1'000'000'000) bad(key, it->second, "a non-negative integer below 10^9");
  return static_cast<int>(v);
}

std::chrono::milliseconds setting_duration(const ActuatorSettings& s, const std::string& key,
                                           std::chrono::milliseconds def) {
  auto it = s.find(key);
  if (it == s.end()) return def;
  static const char* kExpected = "a non-negative duration (e.g. 500ms, 5s, 2m)";
  std::string text = it->second;
  long long scale = 1;
  if (text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
    text.resize(text.size() - 2);
  } else if (text.size() > 1 && text.back() == 's') {
    text.pop_back();
    scale = 1000;
  } else if (text.size() > 1 && text.back() == 'm') {
    text.pop_back();
    scale = 60'000;
  }
  const long long v = parse_count(key, text, it->second, kExpected);
  if (v > 86'400'000LL / scale) bad(key, it->second, "at most a day");
  return std::chrono::milliseconds(v * scale);
}

bool setting_bool(const ActuatorSettings& s, const std::string& key, bool def) {
  auto it = s.find(key);
  if (it == s.end()) return def;
  const std::string& v = it->second;
  if (v == "true" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "no" || v == "0") return false;
  bad(key, v, "true or false");
}

void check_known_settings(const ActuatorSettings& s, const std::set<std::string>& known) {
  for (const auto& [key, value] : s) {
    if (known.count(key) != 0) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw std::invalid_argument("unknown setting \"" + key + "\"; expected one of: " + list);
  }
}

std::chrono::milliseconds setting_timeout(const ActuatorSettings& s, const std::string& key,
                                          std::chrono::milliseconds def) {
  const auto v = setting_duration(s, key, def);
  if (v.count() == 0) bad(key, setting_string(s, key), "a positive duration (e.g. 500ms, 5s)");
  return v;
}

RetryPolicy setting_retry(const ActuatorSettings& s, int default_attempts) {
  RetryPolicy p;
  p.attempts = setting_int(s, "retries", default_attempts);
  if (p.attempts < 1 || p.attempts > 20)
    bad("retries", setting_string(s, "retries"), "the total number of tries, from 1 to 20");
  p.base = setting_duration(s, "retry_base", p.base);
  return p;
}

std::string setting_secret(const ActuatorSettings& s, const std::string& key) {
  if (s.count(key) != 0)
    throw std::invalid_argument("setting \"" + key + "\" must not hold the secret itself; give \"" + key +
                                "_file\" (a path) or \"" + key + "_env\" (an environment variable)");
  if (auto it = s.find(key + "_file"); it != s.end()) {
    std::ifstream in(it->second);
    if (!in) throw std::invalid_argument("setting \"" + key + "_file\": cannot read \"" + it->second + "\"");
    std::ostringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    if (!secret.empty() && secret.back() == '\n') secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    if (secret.empty()) throw std::invalid_argument("setting \"" + key + "_file\": \"" + it->second + "\" is empty");
    return secret;
  }
  if (auto it = s.find(key + "_env"); it != s.end()) {
    const char* v = std::getenv(it->second.c_str());
    if (v == nullptr || *v == '\0')
      throw std::invalid_argument("setting \"" + key + "_env\": the environment variable " + it->second +
                                  " is not set or empty");
    return v;
  }
  return {};
}

}  // namespace opspilot::actuators
