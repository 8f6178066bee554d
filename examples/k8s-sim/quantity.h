#pragma once
// Resource quantities ("100m", "64Mi", "1.5Gi", "2e3") as k8s.io/apimachinery/pkg/api/resource
// parses, compares and prints them: exact to the nano (smaller non-zero values round up to 1n,
// as kube rounds them), printed in kube's canonical form, which is what its messages quote
// ("0.5" prints as "500m", "1.5Gi" as "1536Mi", "1000m" as "1").
// Thread-safety: a value type and pure functions.
#include <optional>
#include <string>

#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

// 128 bits hold any quantity a manifest plausibly carries in nano units (2^60 Ei is ~1.2e27
// nanos); larger magnitudes saturate rather than wrap. __extension__ keeps -Wpedantic quiet.
__extension__ typedef __int128 QuantityNanos;

struct Quantity {
  enum class Format { DecimalSI, BinarySI, DecimalExponent };
  QuantityNanos nanos = 0;  // the value in units of 1e-9
  Format format = Format::DecimalSI;
  bool negative() const { return nanos < 0; }
  bool zero() const { return nanos == 0; }
};

/// What kube says of text that is no quantity (the same message for every such text).
inline constexpr const char* kQuantityFormatError =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// Parses a quantity; nullopt when the text is not one.
std::optional<Quantity> parse_quantity(const std::string& text);
/// A quantity from JSON as the typed decoder takes it: a string, or a bare number.
std::optional<Quantity> quantity_from_json(const Json& value);
/// <0, 0 or >0 as a is less than, equal to or greater than b.
int compare(const Quantity& a, const Quantity& b);
/// The canonical form, e.g. "500m", "1536Mi", "2k", "1e3".
std::string to_string(const Quantity& q);

}  // namespace opspilot::k8s_sim
