#include "examples/k8s-sim/quantity.h"

#include <cstdint>

namespace opspilot::k8s_sim {

namespace {

constexpr QuantityNanos kBillion = 1000000000;
// Saturation bound: 1e36 nanos (1e27 units), far beyond any real resource.
const QuantityNanos kCap = [] {
  QuantityNanos v = 1;
  for (int i = 0; i < 36; ++i) v *= 10;
  return v;
}();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

QuantityNanos saturating_mul(QuantityNanos a, QuantityNanos b) {
  if (a == 0 || b == 0) return 0;
  if (a > kCap / b) return kCap;
  return a * b;
}

std::string int128_text(QuantityNanos v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  if (neg) v = -v;
  std::string out;
  while (v > 0) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return neg ? "-" + out : out;
}

struct Suffix {
  int base = 10;  // 10 or 2
  int exponent = 0;
  Quantity::Format format = Quantity::Format::DecimalSI;
};

std::optional<Suffix> interpret(const std::string& s) {
  static const std::pair<const char*, int> kDecimal[] = {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0}, {"k", 3},
                                                         {"M", 6},  {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
  static const std::pair<const char*, int> kBinary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                        {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  for (const auto& [text, exp] : kDecimal) {
    if (s == text) return Suffix{10, exp, Quantity::Format::DecimalSI};
  }
  for (const auto& [text, exp] : kBinary) {
    if (s == text) return Suffix{2, exp, Quantity::Format::BinarySI};
  }
  if (s.size() >= 2 && (s[0] == 'e' || s[0] == 'E')) {
    std::size_t i = 1;
    bool neg = false;
    if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
    if (i >= s.size() || s.size() - i > 4) return std::nullopt;
    int e = 0;
    for (; i < s.size(); ++i) {
      if (!is_digit(s[i])) return std::nullopt;
      e = e * 10 + (s[i] - '0');
    }
    return Suffix{10, neg ? -e : e, Quantity::Format::DecimalExponent};
  }
  return std::nullopt;
}

}  // namespace

// The grammar of resource.parseQuantityString: sign, digits, optional fraction, then a suffix of
// "eEinumkKMGTP" letters optionally followed by a signed exponent.
std::optional<Quantity> parse_quantity(const std::string& str) {
  if (str.empty()) return std::nullopt;
  std::size_t pos = 0;
  bool positive = true;
  if (str[0] == '-' || str[0] == '+') positive = str[pos++] == '+';
  std::string num, denom;
  while (pos < str.size() && is_digit(str[pos])) num += str[pos++];
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    while (pos < str.size() && is_digit(str[pos])) denom += str[pos++];
  }
  const std::size_t suffix_start = pos;
  while (pos < str.size() && std::string("eEinumkKMGTP").find(str[pos]) != std::string::npos) ++pos;
  if (pos < str.size() && (str[pos] == '-' || str[pos] == '+')) ++pos;
  while (pos < str.size() && is_digit(str[pos])) ++pos;
  if (pos != str.size()) return std::nullopt;
  const auto suffix = interpret(str.substr(suffix_start));
  if (!suffix) return std::nullopt;

  // mantissa = the digits without the point; value = mantissa * 10^(exp10 - |denom|) * 2^exp2.
  std::string digits = num + denom;
  int scale10 = (suffix->base == 10 ? suffix->exponent : 0) - static_cast<int>(denom.size());
  while (digits.size() > 1 && digits.front() == '0') digits.erase(digits.begin());
  // Past 30 significant digits the tail cannot matter at nano precision within the cap.
  while (digits.size() > 30) {
    digits.pop_back();
    ++scale10;
  }
  QuantityNanos mantissa = 0;
  for (char c : digits) mantissa = mantissa * 10 + (c - '0');
  if (suffix->base == 2) mantissa = saturating_mul(mantissa, static_cast<QuantityNanos>(1) << suffix->exponent);
  const int shift = scale10 + 9;
  QuantityNanos nanos = mantissa;
  if (shift >= 0) {
    for (int i = 0; i < shift && nanos < kCap; ++i) nanos = saturating_mul(nanos, 10);
  } else {
    // Divide, rounding a non-zero remainder up: kube gives at least 1n to whoever asks for any.
    bool remainder = false;
    for (int i = 0; i < -shift && nanos > 0; ++i) {
      remainder = remainder || nanos % 10 != 0;
      nanos /= 10;
    }
    if (mantissa != 0 && (remainder || nanos == 0)) nanos += 1;
  }
  Quantity q;
  q.nanos = positive ? nanos : -nanos;
  q.format = suffix->format;
  if (q.format == Quantity::Format::BinarySI && nanos > 0 && nanos < kBillion) q.format = Quantity::Format::DecimalSI;
  return q;
}

std::optional<Quantity> quantity_from_json(const Json& value) {
  if (value.is_string()) return parse_quantity(value.get<std::string>());
  if (value.is_number()) return parse_quantity(value.dump());
  return std::nullopt;
}

int compare(const Quantity& a, const Quantity& b) { return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0; }

std::string to_string(const Quantity& q) {
  if (q.zero()) return "0";
  const QuantityNanos magnitude = q.nanos < 0 ? -q.nanos : q.nanos;
  const std::string sign = q.nanos < 0 ? "-" : "";
  if (q.format == Quantity::Format::BinarySI && magnitude >= 1024 * kBillion && magnitude % kBillion == 0) {
    static const char* kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    QuantityNanos v = magnitude / kBillion;
    int exp = 0;
    while (exp < 6 && v % 1024 == 0) {
      v /= 1024;
      ++exp;
    }
    return sign + int128_text(v) + kBinary[exp];
  }
  // Decimal: strip trailing zeros, then lower the exponent to a multiple of 3 (AsCanonicalBytes).
  QuantityNanos amount = magnitude;
  int exponent = -9;
  while (amount % 10 == 0) {
    amount /= 10;
    ++exponent;
  }
  switch (exponent % 3) {
    case 1: case -2: amount *= 10; exponent -= 1; break;
    case 2: case -1: amount *= 100; exponent -= 2; break;
    default: break;
  }
  std::string suffix;
  if (q.format == Quantity::Format::DecimalExponent) {
    suffix = exponent == 0 ? "" : "e" + std::to_string(exponent);
  } else {
    static const std::pair<int, const char*> kDecimal[] = {{-9, "n"}, {-6, "u"}, {-3, "m"}, {0, ""}, {3, "k"},
                                                           {6, "M"},  {9, "G"},  {12, "T"}, {15, "P"}, {18, "E"}};
    suffix = "e" + std::to_string(exponent);
    for (const auto& [e, text] : kDecimal) {
      if (e == exponent) suffix = text;
    }
  }
  return sign + int128_text(amount) + suffix;
}

}  // namespace opspilot::k8s_sim
