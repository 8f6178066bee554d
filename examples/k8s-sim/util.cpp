#include "examples/k8s-sim/util.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace opspilot::k8s_sim {

namespace {

constexpr char kNameAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
constexpr std::size_t kNameAlphabetSize = sizeof(kNameAlphabet) - 1;

std::tm utc(TimePoint t, long* millis) {
  const auto ms = t.time_since_epoch().count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long rem = static_cast<long>(ms % 1000);
  if (rem < 0) {  // before 1970: keep the fraction positive
    rem += 1000;
    --secs;
  }
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  if (millis) *millis = rem;
  return tm;
}

}  // namespace

std::string format_time(TimePoint t) {
  const std::tm tm = utc(t, nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_micro_time(TimePoint t) {
  long ms = 0;
  const std::tm tm = utc(t, &ms);
  char buf[40];
  char date[24];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf, sizeof buf, "%s.%03ld000Z", date, ms);
  return buf;
}

std::optional<TimePoint> parse_time(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::size_t i = static_cast<std::size_t>(consumed);
  std::int64_t millis = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[i] - '0');
      ++digits;
      ++i;
    }
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  if (i + 1 != text.size() || text[i] != 'Z') return std::nullopt;
  const std::time_t secs = ::timegm(&tm);
  return TimePoint(agent::Duration(static_cast<std::int64_t>(secs) * 1000 + millis));
}

std::string format_age(std::chrono::milliseconds d) {
  const std::int64_t seconds = d.count() / 1000;
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return std::to_string(seconds) + "s";
  const std::int64_t minutes = seconds / 60;
  if (minutes < 10) {
    const std::int64_t s = seconds % 60;
    return std::to_string(minutes) + "m" + (s ? std::to_string(s) + "s" : "");
  }
  if (minutes < 180) return std::to_string(minutes) + "m";
  const std::int64_t hours = minutes / 60;
  if (hours < 8) {
    const std::int64_t m = minutes % 60;
    return std::to_string(hours) + "h" + (m ? std::to_string(m) + "m" : "");
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    const std::int64_t h = hours % 24;
    return std::to_string(hours / 24) + "d" + (h ? std::to_string(h) + "h" : "");
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  return std::to_string(hours / 24 / 365) + "y";
}

std::string new_uid(std::mt19937_64& rng) {
  const std::uint64_t hi = (rng() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  const std::uint64_t lo = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32), static_cast<unsigned long long>((hi >> 16) & 0xffff),
                static_cast<unsigned long long>(hi & 0xffff), static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string random_suffix(std::mt19937_64& rng, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += kNameAlphabet[rng() % kNameAlphabetSize];
  return out;
}

std::string safe_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += kNameAlphabet[c % kNameAlphabetSize];
  return out;
}

std::uint32_t fnv1a32(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

Json canonical(const Json& j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
      Json v = canonical(it.value());
      if (v.is_null() || (v.is_object() && v.empty()) || (v.is_array() && v.empty())) continue;
      out[it.key()] = std::move(v);
    }
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(canonical(v));
    return out;
  }
  return j;
}

namespace {
Json without_hash_label(const Json& pod_template) {
  Json t = canonical(pod_template);
  if (t.contains("metadata") && t["metadata"].contains("labels")) {
    t["metadata"]["labels"].erase("pod-template-hash");
    t = canonical(t);
  }
  return t;
}
}  // namespace

std::string template_hash(const Json& pod_template, int collision_count) {
  std::string text = without_hash_label(pod_template).dump();
  if (collision_count > 0) text += std::to_string(collision_count);
  return safe_encode(std::to_string(fnv1a32(text)));
}

bool same_template(const Json& a, const Json& b) { return without_hash_label(a) == without_hash_label(b); }

std::optional<int> resolve_int_or_percent(const Json& value, int total, bool round_up) {
  if (value.is_number_integer()) return value.get<int>();
  if (!value.is_string()) return std::nullopt;
  const std::string s = value.get<std::string>();
  if (s.size() < 2 || s.back() != '%') return std::nullopt;
  int pct = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9' || pct > 100000) return std::nullopt;
    pct = pct * 10 + (s[i] - '0');
  }
  const long long scaled = static_cast<long long>(pct) * total;
  return static_cast<int>(round_up ? (scaled + 99) / 100 : scaled / 100);
}

const Json* at_path(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string string_at(const Json& j, std::initializer_list<const char*> path, const std::string& fallback) {
  const Json* v = at_path(j, path);
  return v && v->is_string() ? v->get<std::string>() : fallback;
}

std::int64_t int_at(const Json& j, std::initializer_list<const char*> path, std::int64_t fallback) {
  const Json* v = at_path(j, path);
  return v && v->is_number_integer() ? v->get<std::int64_t>() : fallback;
}

namespace {
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string base64_encode(const std::string& bytes) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kBase64Alphabet[(v >> s) & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// A port of Go's Encoding.decodeQuantum, so the reported offsets are the ones kube reports.
bool base64_decode(const std::string& src, std::string* out, std::size_t* bad_at) {
  out->clear();
  std::size_t si = 0;
  auto newline = [&](std::size_t at) { return src[at] == '\n' || src[at] == '\r'; };
  while (si < src.size()) {
    int dbuf[4] = {0, 0, 0, 0};
    int dlen = 4;
    bool end = false;
    for (int j = 0; j < 4; ++j) {
      if (si == src.size()) {
        if (j == 0) return true;
        *bad_at = si - static_cast<std::size_t>(j);  // padding is required: a short quantum is corrupt
        return false;
      }
      const char in = src[si++];
      if (const int v = base64_value(in); v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (in == '\n' || in == '\r') {
        --j;
        continue;
      }
      if (in != '=' || j < 2) {
        *bad_at = si - 1;
        return false;
      }
      if (j == 2) {  // "==" expected; the first '=' is consumed
        while (si < src.size() && newline(si)) ++si;
        if (si == src.size()) {
          *bad_at = src.size();
          return false;
        }
        if (src[si] != '=') {
          *bad_at = si - 1;
          return false;
        }
        ++si;
      }
      while (si < src.size() && newline(si)) ++si;
      if (si < src.size()) {
        *bad_at = si;  // trailing garbage after the padding
        return false;
      }
      dlen = j;
      end = true;
      break;
    }
    const unsigned v = (static_cast<unsigned>(dbuf[0]) << 18) | (static_cast<unsigned>(dbuf[1]) << 12) |
                       (static_cast<unsigned>(dbuf[2]) << 6) | static_cast<unsigned>(dbuf[3]);
    if (dlen >= 2) *out += static_cast<char>((v >> 16) & 0xff);
    if (dlen >= 3) *out += static_cast<char>((v >> 8) & 0xff);
    if (dlen >= 4) *out += static_cast<char>(v & 0xff);
    if (end) return true;
  }
  return true;
}

std::string url_decode(const std::string& s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace opspilot::k8s_sim
