#pragma once
// Small helpers shared by the simulator: Kubernetes time formats, uids and generated names, the
// pod-template hash, canonical JSON for "same template?" comparisons, and IntOrString values.
// Thread-safety: free functions without shared state; the RNG passed in is the caller's.
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/clock.h"

namespace opspilot::k8s_sim {

using Json = nlohmann::json;
using agent::TimePoint;

/// RFC 3339 at second precision, as metav1.Time serialises: "2026-01-05T00:00:00Z".
std::string format_time(TimePoint t);
/// RFC 3339 with microseconds, as metav1.MicroTime serialises: "2026-01-05T00:00:00.123000Z".
std::string format_micro_time(TimePoint t);
/// Parses either of the above (any fraction length); nullopt when it is not such a time.
std::optional<TimePoint> parse_time(const std::string& text);
/// kubectl's AGE column ("45s", "5m3s", "3h", "2d4h"), from k8s.io/apimachinery duration.HumanDuration.
std::string format_age(std::chrono::milliseconds d);

/// A random RFC 4122 version-4 UUID.
std::string new_uid(std::mt19937_64& rng);
/// `n` characters from the alphabet Kubernetes uses for generated names (no vowels, no 0/1/3).
std::string random_suffix(std::mt19937_64& rng, std::size_t n = 5);
/// k8s.io/apimachinery rand.SafeEncodeString: maps each byte into the same vowel-free alphabet.
std::string safe_encode(const std::string& s);
std::uint32_t fnv1a32(const std::string& s);

/// `j` with nulls, empty objects and empty arrays removed, recursively. The real API decodes into
/// Go structs, where `"resources": {}`, `null` and an absent field are the same thing; comparing
/// canonical forms gives the same answer for templates that kubectl round-trips.
Json canonical(const Json& j);
/// The pod-template-hash label value for a template (its own hash label ignored).
std::string template_hash(const Json& pod_template, int collision_count = 0);
/// Whether two pod templates are equal ignoring the pod-template-hash label.
bool same_template(const Json& a, const Json& b);

/// Resolves an IntOrString ("25%" or 3) against `total`, rounding a percentage up or down.
/// nullopt when the value is neither a whole number nor "<number>%".
std::optional<int> resolve_int_or_percent(const Json& value, int total, bool round_up);

/// The value at a path of object keys, or nullptr when any step is missing or not an object.
const Json* at_path(const Json& j, std::initializer_list<const char*> path);
/// The string at a path, or `fallback`.
std::string string_at(const Json& j, std::initializer_list<const char*> path, const std::string& fallback = "");
/// The whole number at a path, or `fallback`.
std::int64_t int_at(const Json& j, std::initializer_list<const char*> path, std::int64_t fallback = 0);

/// Standard base64 with padding, as Go's encoding/base64.StdEncoding writes it.
std::string base64_encode(const std::string& bytes);
/// Decodes standard base64 as Go's StdEncoding does (CR and LF ignored, padding required).
/// On bad input returns false with `bad_at` = the byte offset Go reports ("illegal base64 data at
/// input byte N").
bool base64_decode(const std::string& text, std::string* out, std::size_t* bad_at);

/// Percent-decodes a URL component ('+' stays '+', as Go's PathUnescape/QueryUnescape differ only there).
std::string url_decode(const std::string& s, bool plus_is_space);

}  // namespace opspilot::k8s_sim
