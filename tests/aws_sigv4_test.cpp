// AWS Signature Version 4 against AWS's published vectors (the SigV4 test suite, the IAM
// ListUsers walkthrough, the signing-key derivation example), and the credential chain: the
// environment, shared credentials files (profiles, malformed files with file:line errors) and web
// identity against a real moto STS.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "actuators/aws/credentials.h"
#include "actuators/aws/query_client.h"
#include "actuators/aws/sigv4.h"
#include "actuators/common/hmac.h"
#include "tests/test_support.h"

namespace opspilot::actuators::aws {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

// ---------------------------------------------------------------- the SigV4 test suite

constexpr const char* kSuiteKey = "AKIDEXAMPLE";
constexpr const char* kSuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kSuiteToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YU"
    "uwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQc"
    "HNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

std::chrono::system_clock::time_point suite_time() {
  return std::chrono::system_clock::from_time_t(1440938160);  // 2015-08-30T12:36:00Z
}

Credentials suite_credentials(const std::string& token = "") {
  return Credentials{kSuiteKey, kSuiteSecret, token, std::nullopt, "test suite"};
}

SigningInput suite_input(const std::string& method, const std::string& url) {
  SigningInput in;
  in.method = method;
  in.url = url;
  in.region = "us-east-1";
  in.service = "service";
  in.time = suite_time();
  return in;
}

struct SuiteCase {
  const char* name;
  const char* method;
  const char* url;
  std::vector<std::pair<std::string, std::string>> headers;
  const char* body;
  const char* signed_headers;
  const char* signature;
};

// Requests and signatures as AWS publishes them (aws-sig-v4-test-suite, 2015-08-30T12:36:00Z).
const std::vector<SuiteCase>& suite_cases() {
  static const std::vector<SuiteCase> cases{
      {"get-vanilla", "GET", "https://example.amazonaws.com/", {}, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case", "GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", {}, "",
       "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-empty-query-key", "GET", "https://example.amazonaws.com/?Param1=value1", {}, "", "host;x-amz-date",
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query-unreserved", "GET",
       "https://example.amazonaws.com/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {}, "", "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query", "GET", "https://example.amazonaws.com/?\xe1\x88\xb4=bar", {}, "", "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-unreserved", "GET",
       "https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {}, "",
       "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8", "GET", "https://example.amazonaws.com/\xe1\x88\xb4", {}, "", "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-header-key-duplicate", "GET", "https://example.amazonaws.com/",
       {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, "", "host;my-header1;x-amz-date",
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-trim", "GET", "https://example.amazonaws.com/",
       {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, "", "host;my-header1;my-header2;x-amz-date",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-vanilla", "POST", "https://example.amazonaws.com/", {}, "", "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query", "POST", "https://example.amazonaws.com/?Param1=value1", {}, "", "host;x-amz-date",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-header-key-sort", "POST", "https://example.amazonaws.com/", {{"My-Header1", "value1"}}, "",
       "host;my-header1;x-amz-date", "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case", "POST", "https://example.amazonaws.com/", {{"My-Header1", "VALUE1"}}, "",
       "host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-x-www-form-urlencoded", "POST", "https://example.amazonaws.com/",
       {{"Content-Type", "application/x-www-form-urlencoded"}}, "Param1=value1", "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters", "POST", "https://example.amazonaws.com/",
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}}, "Param1=value1",
       "content-type;host;x-amz-date", "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
  };
  return cases;
}

TEST(SigV4, SignsEveryPublishedTestSuiteRequestAsAwsDoes) {
  for (const auto& c : suite_cases()) {
    SigningInput in = suite_input(c.method, c.url);
    in.headers = c.headers;
    in.body = c.body;
    const SignedRequest s = sign_v4(in, suite_credentials());
    ASSERT_TRUE(s.ok) << c.name << ": " << s.error;
    EXPECT_EQ(s.authorization, std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                                           "aws4_request, SignedHeaders=") +
                                   c.signed_headers + ", Signature=" + c.signature)
        << c.name << "\ncanonical request:\n"
        << s.canonical_request;
  }
}

TEST(SigV4, GetVanillaIntermediatesMatchTheSuite) {
  const SignedRequest s = sign_v4(suite_input("GET", "https://example.amazonaws.com/"), suite_credentials());
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(s.amz_date, "20150830T123600Z");
  // The headers to send: Host and X-Amz-Date as signed, and Authorization; no token header.
  ASSERT_EQ(s.headers.size(), 3u);
  EXPECT_EQ(s.headers[0], (std::pair<std::string, std::string>{"Host", "example.amazonaws.com"}));
  EXPECT_EQ(s.headers[1], (std::pair<std::string, std::string>{"X-Amz-Date", "20150830T123600Z"}));
  EXPECT_EQ(s.headers[2].first, "Authorization");
}

TEST(SigV4, FormBodyIsHashedIntoTheCanonicalRequest) {
  SigningInput in = suite_input("POST", "https://example.amazonaws.com/");
  in.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  in.body = "Param1=value1";
  const SignedRequest s = sign_v4(in, suite_credentials());
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(sha256_hex("Param1=value1"), "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(s.canonical_request,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  in.body = "Param1=value2";  // a different body must give a different signature
  EXPECT_NE(sign_v4(in, suite_credentials()).signature, s.signature);
}

TEST(SigV4, SessionTokenSignedBeforeOrAddedAfter) {
  // post-sts-header-before: the token is part of the canonical request.
  const SignedRequest before = sign_v4(suite_input("POST", "https://example.amazonaws.com/"), suite_credentials(kSuiteToken));
  ASSERT_TRUE(before.ok);
  EXPECT_EQ(before.signed_headers, "host;x-amz-date;x-amz-security-token");
  EXPECT_EQ(before.signature, "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
  EXPECT_EQ(before.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
  // post-sts-header-after: signed as post-vanilla, the token header added afterwards.
  SigningInput after_in = suite_input("POST", "https://example.amazonaws.com/");
  after_in.sign_session_token = false;
  const SignedRequest after = sign_v4(after_in, suite_credentials(kSuiteToken));
  EXPECT_EQ(after.signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  bool token_sent = false;
  for (const auto& [k, v] : after.headers) token_sent |= (k == "X-Amz-Security-Token" && v == kSuiteToken);
  EXPECT_TRUE(token_sent);
}

TEST(SigV4, IamListUsersWalkthrough) {
  // "Create a signed AWS API request": GET IAM ListUsers, with its published signature.
  SigningInput in = suite_input("GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08");
  in.service = "iam";
  in.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  const SignedRequest s = sign_v4(in, suite_credentials());
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, DerivedSigningKeyMatchesTheDocumentedExample) {
  EXPECT_EQ(to_hex(derive_signing_key(kSuiteSecret, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4, HostKeepsOnlyNonDefaultPortsAndBadUrlsAreErrors) {
  Credentials c = suite_credentials();
  EXPECT_EQ(sign_v4(suite_input("POST", "http://127.0.0.1:5000/"), c).host, "127.0.0.1:5000");
  EXPECT_EQ(sign_v4(suite_input("POST", "https://autoscaling.us-east-1.amazonaws.com:443/"), c).host,
            "autoscaling.us-east-1.amazonaws.com");
  EXPECT_EQ(sign_v4(suite_input("POST", "http://localhost:80"), c).host, "localhost");
  const SignedRequest bad = sign_v4(suite_input("POST", "autoscaling.amazonaws.com"), c);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("\"autoscaling.amazonaws.com\""), std::string::npos) << bad.error;
  SigningInput no_region = suite_input("POST", "https://example.amazonaws.com/");
  no_region.region.clear();
  EXPECT_FALSE(sign_v4(no_region, c).ok);
}

// ---------------------------------------------------------------- shared credentials files

TEST(SharedCredentialsFile, ParsesProfilesCommentsAndContinuations) {
  const IniFile ini = parse_ini(
      "# a comment\n"
      "[default]\r\n"
      "aws_access_key_id = AKIDDEFAULT\n"
      "AWS_Secret_Access_Key=secret/with=equals\n"
      "; another comment\n"
      "\n"
      "[ops]\n"
      "aws_access_key_id = AKIDOPS\n"
      "aws_secret_access_key = opssecret\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "[default]\n"
      "aws_session_token = tok\n",
      "creds");
  ASSERT_TRUE(ini.errors.empty()) << ini.errors.front();
  ASSERT_EQ(ini.profiles.size(), 2u);
  const IniProfile* d = ini.find("default");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->line, 2);
  EXPECT_EQ(d->values.at("aws_access_key_id"), "AKIDDEFAULT");
  EXPECT_EQ(d->values.at("aws_secret_access_key"), "secret/with=equals");
  EXPECT_EQ(d->values.at("aws_session_token"), "tok");  // a repeated section merges
  EXPECT_EQ(ini.find("ops")->values.at("s3"), "\nmax_concurrent_requests = 20");
  EXPECT_EQ(ini.find("missing"), nullptr);
}

TEST(SharedCredentialsFile, ReportsEveryMalformedLineWithItsPosition) {
  const IniFile ini = parse_ini(
      "# comment\n"
      "[default\n"
      "aws_access_key_id = A\n"
      "[ops]\n"
      "aws_access_key_id AKID\n"
      "= value\n"
      "[]\n"
      "[fine]\n"
      "  indented_after_header\n",
      "/home/x/.aws/credentials");
  ASSERT_EQ(ini.errors.size(), 5u);
  EXPECT_EQ(ini.errors[0], "/home/x/.aws/credentials:2: section header \"[default\" has no closing \"]\"");
  EXPECT_EQ(ini.errors[1],
            "/home/x/.aws/credentials:5: expected \"[profile]\" or \"key = value\", got \"aws_access_key_id AKID\"");
  EXPECT_EQ(ini.errors[2], "/home/x/.aws/credentials:6: missing key before \"=\" in \"= value\"");
  EXPECT_EQ(ini.errors[3], "/home/x/.aws/credentials:7: empty profile name \"[]\"; expected e.g. [default]");
  EXPECT_EQ(ini.errors[4],
            "/home/x/.aws/credentials:9: indented line \"indented_after_header\" does not continue a `key = value` "
            "line");
  const IniFile orphan = parse_ini("aws_access_key_id = A\n", "f");
  ASSERT_EQ(orphan.errors.size(), 1u);
  EXPECT_EQ(orphan.errors[0], "f:1: \"aws_access_key_id\" appears before any [profile] header");
}

TEST(Iso8601, ParsesWhatStsWrites) {
  using std::chrono::system_clock;
  EXPECT_EQ(parse_iso8601("2015-08-30T12:36:00Z"), suite_time());
  EXPECT_EQ(parse_iso8601("2015-08-30T14:36:00+02:00"), suite_time());
  const auto frac = parse_iso8601("2015-08-30T12:36:00.874539Z");
  ASSERT_TRUE(frac.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(*frac - suite_time()).count(), 874539);
  EXPECT_FALSE(parse_iso8601("2015-08-30T12:36:00").has_value());  // no zone: no guessing
  EXPECT_FALSE(parse_iso8601("2015-13-30T12:36:00Z").has_value());
  EXPECT_FALSE(parse_iso8601("yesterday").has_value());
}

// ---------------------------------------------------------------- the credential chain

CredentialOptions options_with(std::map<std::string, std::string> env) {
  CredentialOptions o;
  o.region = "us-east-1";
  o.env = environment_from(std::move(env));
  o.retry.attempts = 2;
  o.retry.base = 10ms;
  o.timeout = 2000ms;
  return o;
}

TEST(CredentialChain, EnvironmentComesFirst) {
  TempDir home;
  home.write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  CredentialChain chain(options_with({{"HOME", home.path().string()},
                                      {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                      {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                                      {"AWS_SESSION_TOKEN", "envtoken"}}));
  const CredentialsResult r = chain.resolve();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.credentials->access_key_id, "ENVKEY");
  EXPECT_EQ(r.credentials->secret_access_key, "envsecret");
  EXPECT_EQ(r.credentials->session_token, "envtoken");
  EXPECT_NE(r.credentials->source.find("environment"), std::string::npos);
}

TEST(CredentialChain, HalfSetEnvironmentIsAnErrorNotAFallThrough) {
  TempDir home;
  home.write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  CredentialChain chain(options_with({{"HOME", home.path().string()}, {"AWS_ACCESS_KEY_ID", "ENVKEY"}}));
  const CredentialsResult r = chain.resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error, "AWS credentials from environment are unusable: AWS_ACCESS_KEY_ID is set but "
                     "AWS_SECRET_ACCESS_KEY is not");
}

TEST(CredentialChain, NothingConfiguredListsEverySourceTried) {
  TempDir home;
  CredentialChain chain(options_with({{"HOME", home.path().string()}}));
  const CredentialsResult r = chain.resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.retryable);
  for (const char* part : {"no AWS credentials found", "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
                           "web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set",
                           "shared credentials file", "/.aws/credentials does not exist"})
    EXPECT_NE(r.error.find(part), std::string::npos) << "missing \"" << part << "\" in: " << r.error;
}

TEST(CredentialChain, SharedFileProfilesFromSettingEnvironmentOrDefault) {
  TempDir dir;
  const std::string file = dir.write("creds",
                                     "[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n"
                                     "[ops]\naws_access_key_id = OPSKEY\naws_secret_access_key = opssecret\n"
                                     "aws_session_token = opstoken\n"
                                     "[half]\naws_access_key_id = HALFKEY\n");
  {
    CredentialChain chain(options_with({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
    const auto r = chain.resolve();
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "DEFKEY");
    EXPECT_EQ(r.credentials->source, "shared credentials file " + file + ":1 [default]");
  }
  {
    CredentialChain chain(options_with({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "ops"}}));
    const auto r = chain.resolve();
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "OPSKEY");
    EXPECT_EQ(r.credentials->session_token, "opstoken");
  }
  {
    // An explicit profile wins over AWS_PROFILE and skips the environment's keys.
    CredentialOptions o = options_with({{"AWS_SHARED_CREDENTIALS_FILE", file},
                                        {"AWS_PROFILE", "default"},
                                        {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                        {"AWS_SECRET_ACCESS_KEY", "envsecret"}});
    o.profile = "ops";
    CredentialChain chain(o);
    const auto r = chain.resolve();
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "OPSKEY");
  }
  {
    CredentialOptions o = options_with({{"AWS_SHARED_CREDENTIALS_FILE", file}});
    o.profile = "nope";
    CredentialChain chain(o);
    const auto r = chain.resolve();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error.find("profile \"nope\" not found in " + file + " (profiles: default, ops, half)"),
              std::string::npos)
        << r.error;
    EXPECT_NE(r.error.find("skipped, profile \"nope\" was configured explicitly"), std::string::npos) << r.error;
  }
  {
    CredentialOptions o = options_with({{"AWS_SHARED_CREDENTIALS_FILE", file}});
    o.profile = "half";
    CredentialChain chain(o);
    const auto r = chain.resolve();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error.find("profile \"half\" at " + file + ":8 has aws_access_key_id but no aws_secret_access_key"),
              std::string::npos)
        << r.error;
  }
}

TEST(CredentialChain, MalformedSharedFileNamesFileAndLine) {
  TempDir home;
  const std::string file = home.write(".aws/credentials", "[default]\naws_access_key_id = K\nsecret\n[ops\n");
  CredentialChain chain(options_with({{"HOME", home.path().string()}}));
  const auto r = chain.resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find(file + ":3: expected \"[profile]\" or \"key = value\", got \"secret\""), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find(file + ":4: section header \"[ops\" has no closing \"]\""), std::string::npos) << r.error;
}

// ---------------------------------------------------------------- web identity against moto's STS

class MotoServer {
 public:
  MotoServer() : port_(test::free_port()), url_("http://127.0.0.1:" + std::to_string(port_)) {
    const std::string program = test::find_program("moto_server");
    if (program.empty()) {
      error_ = "moto_server is not on PATH (pip install 'moto[server]')";
      return;
    }
    proc_ = std::make_unique<test::ChildProcess>(
        program, std::vector<std::string>{"-H", "127.0.0.1", "-p", std::to_string(port_)}, dir_.file("moto.log"));
  }
  bool wait_ready(std::string* why) const {
    if (!error_.empty()) {
      *why = error_;
      return false;
    }
    if (test::wait_for_http(url_ + "/moto-api/", 30s)) return true;
    std::string log;
    test::run_command("tail -n 20 '" + dir_.file("moto.log") + "'", &log);
    *why = "moto_server did not answer at " + url_ + "; log:\n" + log;
    return false;
  }
  const std::string& url() const { return url_; }

 private:
  TempDir dir_;
  int port_;
  std::string url_;
  std::string error_;
  std::unique_ptr<test::ChildProcess> proc_;
};

class WebIdentity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new MotoServer();
    ready_ = moto_->wait_ready(&why_);
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(ready_) << why_; }

  CredentialOptions web_identity_options(const std::string& token_file) {
    CredentialOptions o = options_with({{"HOME", home_.path().string()},
                                        {"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                        {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/opspilot"},
                                        {"AWS_ROLE_SESSION_NAME", "opspilot-test"}});
    o.sts_endpoint = moto_->url();
    return o;
  }

  static MotoServer* moto_;
  static bool ready_;
  static std::string why_;
  TempDir home_;
};
MotoServer* WebIdentity::moto_ = nullptr;
bool WebIdentity::ready_ = false;
std::string WebIdentity::why_;

TEST_F(WebIdentity, TradesTheTokenAtStsAndCachesUntilFiveMinutesBeforeExpiry) {
  const std::string token = home_.write("token", "eyJhbGciOiJSUzI1NiJ9.payload.signature\n");
  auto offset = std::make_shared<std::atomic<long>>(0);  // seconds added to the real clock
  CredentialOptions o = web_identity_options(token);
  o.now = [offset] { return std::chrono::system_clock::now() + std::chrono::seconds(offset->load()); };
  CredentialChain chain(o);

  const auto first = chain.resolve();
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(chain.sts_calls(), 1);
  EXPECT_EQ(first.credentials->access_key_id.rfind("ASIA", 0), 0u) << first.credentials->access_key_id;
  EXPECT_FALSE(first.credentials->secret_access_key.empty());
  EXPECT_FALSE(first.credentials->session_token.empty());
  ASSERT_TRUE(first.credentials->expiration.has_value());
  const auto lifetime = *first.credentials->expiration - std::chrono::system_clock::now();
  EXPECT_GT(lifetime, 50min);  // STS's default session is an hour
  EXPECT_LT(lifetime, 61min);
  EXPECT_NE(first.credentials->source.find("arn:aws:iam::123456789012:role/opspilot"), std::string::npos);
  // The exchange is on the record, minus the token and the credentials STS answered with.
  ASSERT_EQ(first.calls.size(), 1u);
  EXPECT_EQ(first.calls[0].status, 200);
  EXPECT_EQ(first.calls[0].url, moto_->url() + "/");
  EXPECT_EQ(first.calls[0].body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2F"
            "opspilot&RoleSessionName=opspilot-test&WebIdentityToken=(redacted)");
  EXPECT_EQ(first.calls[0].response, "(withheld)");

  // Within the validity window: the cache answers, STS is not asked again.
  offset->store(30 * 60);
  const auto cached = chain.resolve();
  ASSERT_TRUE(cached.ok()) << cached.error;
  EXPECT_EQ(cached.credentials->access_key_id, first.credentials->access_key_id);
  EXPECT_EQ(chain.sts_calls(), 1);
  EXPECT_TRUE(cached.calls.empty());

  // Four minutes before expiry (inside the five-minute margin): refreshed.
  offset->store(std::chrono::duration_cast<std::chrono::seconds>(lifetime - 4min).count());
  const auto refreshed = chain.resolve();
  ASSERT_TRUE(refreshed.ok()) << refreshed.error;
  EXPECT_EQ(chain.sts_calls(), 2);
  EXPECT_NE(refreshed.credentials->access_key_id, first.credentials->access_key_id);
}

TEST_F(WebIdentity, EnvironmentKeysWinOverWebIdentity) {
  const std::string token = home_.write("token", "jwt");
  CredentialOptions o = web_identity_options(token);
  auto base = o.env;
  o.env = [base](const std::string& n) -> std::optional<std::string> {
    if (n == "AWS_ACCESS_KEY_ID") return std::string("ENVKEY");
    if (n == "AWS_SECRET_ACCESS_KEY") return std::string("envsecret");
    return base(n);
  };
  CredentialChain chain(o);
  const auto r = chain.resolve();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.credentials->access_key_id, "ENVKEY");
  EXPECT_EQ(chain.sts_calls(), 0);
}

TEST_F(WebIdentity, MissingTokenFileIsAnErrorNamingIt) {
  const std::string missing = home_.file("no-such-token");
  CredentialChain chain(web_identity_options(missing));
  const auto r = chain.resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("web identity token file " + missing + " does not exist"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"), std::string::npos)
      << r.error;
  EXPECT_EQ(chain.sts_calls(), 0);
}

TEST_F(WebIdentity, RoleWithoutTokenFileIsAnError) {
  CredentialChain chain(options_with({{"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/opspilot"}}));
  const auto r = chain.resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"), std::string::npos) << r.error;
}

TEST_F(WebIdentity, UnreachableStsIsRetryableAndNamesTheEndpoint) {
  const std::string token = home_.write("token", "jwt");
  CredentialOptions o = web_identity_options(token);
  o.sts_endpoint = "http://127.0.0.1:" + std::to_string(test::free_port());
  CredentialChain chain(o);
  const auto r = chain.resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("STS AssumeRoleWithWebIdentity at " + o.sts_endpoint + "/"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("after 2 attempt(s)"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("jwt"), std::string::npos) << "the token leaked into: " << r.error;
}

TEST_F(WebIdentity, StsEndpointFollowsTheSdkVariables) {
  CredentialOptions o = options_with({});
  EXPECT_EQ(CredentialChain(o).sts_endpoint(), "https://sts.us-east-1.amazonaws.com");
  o.region = "cn-north-1";
  EXPECT_EQ(CredentialChain(o).sts_endpoint(), "https://sts.cn-north-1.amazonaws.com.cn");
  o.env = environment_from({{"AWS_ENDPOINT_URL", "http://all:1"}});
  EXPECT_EQ(CredentialChain(o).sts_endpoint(), "http://all:1");
  o.env = environment_from({{"AWS_ENDPOINT_URL", "http://all:1"}, {"AWS_ENDPOINT_URL_STS", "http://sts:2"}});
  EXPECT_EQ(CredentialChain(o).sts_endpoint(), "http://sts:2");
  o.sts_endpoint = "http://explicit:3";
  EXPECT_EQ(CredentialChain(o).sts_endpoint(), "http://explicit:3");
}

}  // namespace
}  // namespace opspilot::actuators::aws
