#include "actuators/aws/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "actuators/common/hmac.h"

namespace opspilot::actuators::aws {
namespace {

struct ParsedUrl {
  std::string scheme;
  std::string authority;  // host[:port] as written, userinfo removed
  std::string path;
  std::string query;
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<ParsedUrl> parse_url(const std::string& url, std::string* error) {
  const auto sep = url.find("://");
  if (sep == std::string::npos || sep == 0) {
    *error = "cannot sign \"" + url + "\": expected an absolute URL such as https://host/";
    return std::nullopt;
  }
  ParsedUrl u;
  u.scheme = lower(url.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") {
    *error = "cannot sign \"" + url + "\": expected an http:// or https:// URL";
    return std::nullopt;
  }
  const auto rest_begin = sep + 3;
  const auto auth_end = url.find_first_of("/?#", rest_begin);
  u.authority = url.substr(rest_begin, auth_end == std::string::npos ? std::string::npos : auth_end - rest_begin);
  if (const auto at = u.authority.rfind('@'); at != std::string::npos) u.authority.erase(0, at + 1);
  if (u.authority.empty()) {
    *error = "cannot sign \"" + url + "\": the URL has no host";
    return std::nullopt;
  }
  std::string rest = auth_end == std::string::npos ? std::string() : url.substr(auth_end);
  if (const auto hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  const auto q = rest.find('?');
  u.path = rest.substr(0, q);
  if (q != std::string::npos) u.query = rest.substr(q + 1);
  if (u.path.empty()) u.path = "/";
  // The Host header curl sends (and that we send explicitly) omits the scheme's default port.
  const std::string default_port = u.scheme == "https" ? ":443" : ":80";
  if (u.authority.size() > default_port.size() &&
      u.authority.compare(u.authority.size() - default_port.size(), default_port.size(), default_port) == 0 &&
      u.authority[u.authority.size() - default_port.size() - 1] != ':')
    u.authority.resize(u.authority.size() - default_port.size());
  return u;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Undoes percent-encoding; a stray '%' stays literal (so it is re-encoded as %25).
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

/// RFC 3986 dot-segment removal; every other character of the path is kept, then encoded. Like
/// the AWS SDKs for every service but S3, an already-encoded path is encoded again ("double
/// encoding"), which is what the services expect.
std::string canonical_uri(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  const bool trailing_slash = path.size() > 1 && path.back() == '/';
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (seg != "." && !(seg.empty() && end == path.size())) {
      out.push_back(seg);
    }
    start = end + 1;
  }
  std::string joined = "/";
  for (std::size_t i = 0; i < out.size(); ++i) joined += (i ? "/" : "") + out[i];
  if (trailing_slash && joined != "/") joined += "/";
  return uri_encode(joined, /*keep_slash=*/true);
}

std::string canonical_query(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string item = query.substr(start, end - start);
    if (!item.empty()) {
      const auto eq = item.find('=');
      const std::string k = percent_decode(item.substr(0, eq));
      const std::string v = eq == std::string::npos ? std::string() : percent_decode(item.substr(eq + 1));
      pairs.emplace_back(uri_encode(k), uri_encode(v));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

/// Trims the value and collapses runs of spaces, as the canonical-headers step requires.
std::string canonical_header_value(std::string_view v) {
  std::string out;
  bool in_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service) {
  const std::string k_date = hmac_sha256_raw("AWS4" + std::string(secret), date);
  const std::string k_region = hmac_sha256_raw(k_date, region);
  const std::string k_service = hmac_sha256_raw(k_region, service);
  return hmac_sha256_raw(k_service, "aws4_request");
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

SignedRequest sign_v4(const SigningInput& in, const Credentials& creds) {
  SignedRequest r;
  std::string error;
  const auto url = parse_url(in.url, &error);
  if (!url) {
    r.error = error;
    return r;
  }
  if (in.region.empty() || in.service.empty()) {
    r.error = "cannot sign a request without a region and a service (got region \"" + in.region +
              "\", service \"" + in.service + "\")";
    return r;
  }
  r.amz_date = amz_date(in.time);
  r.host = url->authority;
  const std::string date = r.amz_date.substr(0, 8);

  // Canonical headers: lowercase names, sorted; repeated names join their values with commas in
  // the order given.
  std::map<std::string, std::string> headers;
  auto add = [&headers](const std::string& name, const std::string& value) {
    auto& slot = headers[lower(name)];
    slot += (slot.empty() ? "" : ",") + canonical_header_value(value);
  };
  add("host", r.host);
  add("x-amz-date", r.amz_date);
  for (const auto& [k, v] : in.headers) {
    const std::string name = lower(k);
    if (name == "host" || name == "x-amz-date" || name == "authorization") continue;  // ours
    add(k, v);
  }
  const bool token = !creds.session_token.empty();
  if (token && in.sign_session_token) add("x-amz-security-token", creds.session_token);

  std::string canonical_headers;
  for (const auto& [k, v] : headers) {
    canonical_headers += k + ":" + v + "\n";
    r.signed_headers += (r.signed_headers.empty() ? "" : ";") + k;
  }
  r.canonical_request = in.method + "\n" + canonical_uri(url->path) + "\n" + canonical_query(url->query) + "\n" +
                        canonical_headers + "\n" + r.signed_headers + "\n" + sha256_hex(in.body);
  const std::string scope = date + "/" + in.region + "/" + in.service + "/aws4_request";
  r.string_to_sign = "AWS4-HMAC-SHA256\n" + r.amz_date + "\n" + scope + "\n" + sha256_hex(r.canonical_request);
  const std::string key = derive_signing_key(creds.secret_access_key, date, in.region, in.service);
  r.signature = to_hex(hmac_sha256_raw(key, r.string_to_sign));
  if (key.empty() || r.signature.empty()) {
    r.error = "libcrypto failed while computing the SigV4 signature";
    return r;
  }
  r.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                    ", SignedHeaders=" + r.signed_headers + ", Signature=" + r.signature;
  r.headers.emplace_back("Host", r.host);
  r.headers.emplace_back("X-Amz-Date", r.amz_date);
  if (token) r.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  r.headers.emplace_back("Authorization", r.authorization);
  r.ok = true;
  return r;
}

}  // namespace opspilot::actuators::aws
