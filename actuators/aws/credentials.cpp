#include "actuators/aws/credentials.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "actuators/aws/query_client.h"
#include "actuators/common/http_client.h"

namespace opspilot::actuators::aws {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

/// Reads a whole file; std::nullopt with `why` when it cannot be opened.
std::optional<std::string> read_file(const std::string& path, std::string* why) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    *why = "does not exist";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = "cannot be opened for reading";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Environment environment_from(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const IniProfile* IniFile::find(const std::string& name) const {
  for (const auto& p : profiles)
    if (p.name == name) return &p;
  return nullptr;
}

IniFile parse_ini(std::string_view text, const std::string& file_label) {
  IniFile out;
  IniProfile* current = nullptr;
  bool in_bad_section = false;  // after a malformed header: its keys are not errors of their own
  std::string last_key;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    const std::string line = trim_space(raw);
    const std::string where = file_label + ":" + std::to_string(line_no) + ": ";
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      if (end == text.size()) break;
      continue;
    }
    if (in_bad_section && line[0] != '[') continue;
    if (raw[0] == ' ' || raw[0] == '\t') {
      // An indented line continues the previous key's value (nested sub-settings).
      if (current != nullptr && !last_key.empty()) {
        current->values[last_key] += "\n" + line;
      } else {
        out.errors.push_back(where + "indented line \"" + line + "\" does not continue a `key = value` line");
      }
    } else if (line[0] == '[') {
      last_key.clear();
      in_bad_section = true;
      if (line.back() != ']') {
        out.errors.push_back(where + "section header \"" + line + "\" has no closing \"]\"");
        current = nullptr;
      } else {
        const std::string name = trim_space(std::string_view(line).substr(1, line.size() - 2));
        if (name.empty()) {
          out.errors.push_back(where + "empty profile name \"" + line + "\"; expected e.g. [default]");
          current = nullptr;
        } else {
          auto it = std::find_if(out.profiles.begin(), out.profiles.end(),
                                 [&](const IniProfile& p) { return p.name == name; });
          in_bad_section = false;
          if (it == out.profiles.end()) {
            out.profiles.push_back(IniProfile{name, line_no, {}, {}});
            current = &out.profiles.back();
          } else {
            current = &*it;
          }
        }
      }
    } else {
      const auto eq = line.find('=');
      if (eq == std::string::npos) {
        out.errors.push_back(where + "expected \"[profile]\" or \"key = value\", got \"" + line + "\"");
        last_key.clear();
      } else {
        const std::string key = lower(trim_space(std::string_view(line).substr(0, eq)));
        if (key.empty()) {
          out.errors.push_back(where + "missing key before \"=\" in \"" + line + "\"");
          last_key.clear();
        } else if (current == nullptr) {
          out.errors.push_back(where + "\"" + key + "\" appears before any [profile] header");
          last_key.clear();
        } else {
          current->values[key] = trim_space(std::string_view(line).substr(eq + 1));
          current->value_lines[key] = line_no;
          last_key = key;
        }
      }
    }
    if (end == text.size()) break;
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  std::tm tm{};
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::size_t i = 19;
  std::chrono::microseconds fraction{0};
  if (i < s.size() && s[i] == '.') {
    ++i;
    long long us = 0;
    int n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (n < 6) us = us * 10 + (s[i] - '0'), ++n;
      ++i;
    }
    if (n == 0) return std::nullopt;
    while (n++ < 6) us *= 10;
    fraction = std::chrono::microseconds(us);
  }
  long offset_seconds = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const int oh = digits(s, i + 1, 2), om = digits(s, i + 4, 2);
    if (oh < 0 || om < 0 || i + 3 >= s.size() || s[i + 3] != ':') return std::nullopt;
    offset_seconds = (oh * 3600L + om * 60L) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;  // no zone: refuse to guess local time
  }
  if (i != s.size()) return std::nullopt;
  const std::time_t t = timegm(&tm);
  return std::chrono::system_clock::from_time_t(t - offset_seconds) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(fraction);
}

CredentialChain::CredentialChain(CredentialOptions options) : options_(std::move(options)) {
  if (!options_.env) options_.env = process_environment();
  if (!options_.now) options_.now = [] { return std::chrono::system_clock::now(); };
}

std::optional<std::string> CredentialChain::env(const std::string& name) const {
  auto v = options_.env(name);
  if (v && v->empty()) return std::nullopt;  // the SDKs treat an empty variable as unset
  return v;
}

std::chrono::system_clock::time_point CredentialChain::now() const { return options_.now(); }

int CredentialChain::sts_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sts_calls_;
}

std::string CredentialChain::sts_endpoint() const {
  if (!options_.sts_endpoint.empty()) return options_.sts_endpoint;
  if (auto v = env("AWS_ENDPOINT_URL_STS")) return *v;
  if (auto v = env("AWS_ENDPOINT_URL")) return *v;
  if (options_.region.empty()) return "https://sts.amazonaws.com";
  return default_endpoint("sts", options_.region);
}

CredentialChain::Attempt CredentialChain::from_environment() const {
  Attempt a;
  const auto key = env("AWS_ACCESS_KEY_ID");
  const auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (!key && !secret) {
    a.note = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set";
    return a;
  }
  if (!key || !secret) {
    a.found = Found::Broken;
    a.note = std::string(key ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                             : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    return a;
  }
  a.found = Found::Yes;
  a.creds.access_key_id = *key;
  a.creds.secret_access_key = *secret;
  a.creds.session_token = env("AWS_SESSION_TOKEN").value_or("");
  a.creds.source = "environment (AWS_ACCESS_KEY_ID)";
  return a;
}

CredentialChain::Attempt CredentialChain::from_shared_file() const {
  Attempt a;
  std::string path;
  const auto from_env = env("AWS_SHARED_CREDENTIALS_FILE");
  if (from_env) {
    path = *from_env;
  } else if (auto home = env("HOME")) {
    path = *home + "/.aws/credentials";
  } else {
    a.note = "AWS_SHARED_CREDENTIALS_FILE and HOME are not set, so there is no credentials file to read";
    return a;
  }
  if (path.rfind("~/", 0) == 0) {
    if (auto home = env("HOME")) path = *home + path.substr(1);
  }
  std::string profile = options_.profile;
  bool explicit_profile = !profile.empty();
  if (profile.empty()) {
    if (auto p = env("AWS_PROFILE")) {
      profile = *p;
      explicit_profile = true;
    } else {
      profile = "default";
    }
  }
  std::string why;
  const auto text = read_file(path, &why);
  if (!text) {
    // A file someone pointed us at, or a profile someone asked for, must exist.
    a.found = (from_env || explicit_profile) ? Found::Broken : Found::No;
    a.note = "shared credentials file " + path + " " + why +
             (explicit_profile ? " (profile \"" + profile + "\" was requested)" : "");
    return a;
  }
  const IniFile ini = parse_ini(*text, path);
  if (!ini.errors.empty()) {
    a.found = Found::Broken;
    a.note = "shared credentials file is malformed: " + join(ini.errors, "; ");
    return a;
  }
  const IniProfile* p = ini.find(profile);
  if (p == nullptr) {
    std::vector<std::string> names;
    for (const auto& q : ini.profiles) names.push_back(q.name);
    a.found = explicit_profile ? Found::Broken : Found::No;
    a.note = "profile \"" + profile + "\" not found in " + path + " (profiles: " +
             (names.empty() ? std::string("none") : join(names, ", ")) + ")";
    return a;
  }
  const std::string at = path + ":" + std::to_string(p->line);
  auto value = [&](const std::string& k) {
    auto it = p->values.find(k);
    return it == p->values.end() ? std::string() : it->second;
  };
  const std::string key = value("aws_access_key_id");
  const std::string secret = value("aws_secret_access_key");
  if (key.empty() || secret.empty()) {
    a.found = Found::Broken;
    if (key.empty() && secret.empty())
      a.note = "profile \"" + profile + "\" at " + at +
               " has no aws_access_key_id / aws_secret_access_key (role_arn, credential_process and SSO "
               "profiles are not supported here)";
    else
      a.note = "profile \"" + profile + "\" at " + at + " has " +
               (key.empty() ? "aws_secret_access_key but no aws_access_key_id"
                            : "aws_access_key_id but no aws_secret_access_key");
    return a;
  }
  a.found = Found::Yes;
  a.creds.access_key_id = key;
  a.creds.secret_access_key = secret;
  a.creds.session_token = value("aws_session_token");
  a.creds.source = "shared credentials file " + at + " [" + profile + "]";
  return a;
}

CredentialChain::Attempt CredentialChain::from_web_identity() {
  Attempt a;
  const auto token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
  const auto role_arn = env("AWS_ROLE_ARN");
  if (!token_file && !role_arn) {
    a.note = "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set";
    return a;
  }
  if (!token_file || !role_arn) {
    a.found = Found::Broken;
    a.note = token_file ? "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"
                        : "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not";
    return a;
  }
  const auto t = now();
  if (web_identity_cache_ && web_identity_cache_->expiration &&
      t < *web_identity_cache_->expiration - kRefreshBeforeExpiry) {
    a.found = Found::Yes;
    a.creds = *web_identity_cache_;
    return a;
  }
  // Keeps still-valid cached credentials when a refresh fails: better than stopping early.
  auto fall_back = [&](Attempt failed) {
    if (web_identity_cache_ && web_identity_cache_->expiration && t < *web_identity_cache_->expiration) {
      Attempt ok;
      ok.found = Found::Yes;
      ok.creds = *web_identity_cache_;
      ok.calls = std::move(failed.calls);
      return ok;
    }
    return failed;
  };

  std::string why;
  auto token = read_file(*token_file, &why);
  if (!token) {
    a.found = Found::Broken;
    a.note = "web identity token file " + *token_file + " " + why;
    return fall_back(a);
  }
  const std::string jwt = trim_space(*token);
  if (jwt.empty()) {
    a.found = Found::Broken;
    a.note = "web identity token file " + *token_file + " is empty";
    return fall_back(a);
  }
  const std::string session =
      env("AWS_ROLE_SESSION_NAME")
          .value_or("opspilot-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                     t.time_since_epoch()).count()));

  QueryOptions q;
  q.endpoint = sts_endpoint();
  q.region = options_.region.empty() ? "us-east-1" : options_.region;
  q.service = "sts";
  q.version = "2011-06-15";
  q.timeout = options_.timeout;
  q.retry = options_.retry;
  q.sign = false;  // the web identity token is the proof; there is nothing to sign with yet
  q.withhold_response = true;
  q.redacted_params = {"WebIdentityToken"};
  QueryClient sts(q, nullptr);
  ++sts_calls_;
  QueryResponse r = sts.call("AssumeRoleWithWebIdentity",
                             {{"RoleArn", *role_arn}, {"RoleSessionName", session}, {"WebIdentityToken", jwt}});
  a.calls = r.calls;
  const std::string what = "STS AssumeRoleWithWebIdentity at " + sts.url() + " for role " + *role_arn;
  if (!r.ok) {
    a.found = Found::Broken;
    a.note = what + " failed: " + r.error.describe();
    a.retryable = r.error.retryable;
    return fall_back(a);
  }
  const auto* res = r.result;
  Credentials c;
  if (res != nullptr) {
    c.access_key_id = xml_text(*res, "Credentials.AccessKeyId");
    c.secret_access_key = xml_text(*res, "Credentials.SecretAccessKey");
    c.session_token = xml_text(*res, "Credentials.SessionToken");
    c.expiration = parse_iso8601(xml_text(*res, "Credentials.Expiration"));
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty() || !c.expiration) {
    a.found = Found::Broken;
    a.note = what + " answered without complete credentials (AccessKeyId, SecretAccessKey, SessionToken, "
                    "Expiration)";
    return fall_back(a);
  }
  c.source = "web identity (role " + *role_arn + ", session " + session + ")";
  web_identity_cache_ = c;
  a.found = Found::Yes;
  a.creds = std::move(c);
  return a;
}

CredentialsResult CredentialChain::resolve() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> tried;
  auto broken = [&](const std::string& source, const Attempt& a) {
    std::string error = "AWS credentials from " + source + " are unusable: " + a.note;
    if (!tried.empty()) error += " (sources tried before it: " + join(tried, "; ") + ")";
    return CredentialsResult{std::nullopt, error, a.retryable, a.calls};
  };
  if (options_.profile.empty()) {
    Attempt a = from_environment();
    if (a.found == Found::Yes) return CredentialsResult{a.creds, "", false};
    if (a.found == Found::Broken) return broken("environment", a);
    tried.push_back("environment: " + a.note);

    a = from_web_identity();
    if (a.found == Found::Yes) return CredentialsResult{a.creds, "", false, a.calls};
    if (a.found == Found::Broken) return broken("web identity", a);
    tried.push_back("web identity: " + a.note);
  } else {
    tried.push_back("environment and web identity: skipped, profile \"" + options_.profile +
                    "\" was configured explicitly");
  }
  Attempt a = from_shared_file();
  if (a.found == Found::Yes) return CredentialsResult{a.creds, "", false};
  if (a.found == Found::Broken) return broken("the shared credentials file", a);
  tried.push_back("shared credentials file: " + a.note);
  return CredentialsResult{std::nullopt, "no AWS credentials found; tried " + join(tried, "; "), false};
}

}  // namespace opspilot::actuators::aws
