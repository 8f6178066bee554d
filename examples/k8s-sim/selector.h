#pragma once
// Label and field selectors, as the API server parses them from `?labelSelector=` and
// `?fieldSelector=` and as objects carry them (`spec.selector` with matchLabels/matchExpressions).
// Parse errors are values that quote the offending text.
// Thread-safety: immutable after parsing; safe to share between threads.
#include <string>
#include <vector>

#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

class LabelSelector {
 public:
  enum class Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };
  struct Requirement {
    std::string key;
    Op op = Op::Equals;
    std::vector<std::string> values;
  };

  /// Parses the string form ("app=web,tier!=db,env in (a,b),!legacy"). Empty = everything.
  /// On a syntax error returns false and sets `error` (quoting the selector).
  static bool parse(const std::string& text, LabelSelector* out, std::string* error);
  /// From a metav1.LabelSelector object. A null/absent selector matches nothing (as for a
  /// PodDisruptionBudget); an empty object matches everything.
  static bool from_json(const Json& selector, LabelSelector* out, std::string* error);

  bool matches(const Json& labels) const;
  bool empty() const { return requirements_.empty() && !match_nothing_; }
  /// The string form, as Scale.status.selector shows it.
  std::string to_string() const;

 private:
  std::vector<Requirement> requirements_;
  bool match_nothing_ = false;
};

/// Field selectors: `metadata.name=x,metadata.namespace!=y` over a fixed set of fields per resource.
class FieldSelector {
 public:
  struct Term {
    std::string field;
    bool equals = true;
    std::string value;
  };
  /// `supported` lists the fields this resource can be selected by; others are an error naming them.
  static bool parse(const std::string& text, const std::vector<std::string>& supported, FieldSelector* out,
                    std::string* error);
  bool matches(const Json& object) const;
  bool empty() const { return terms_.empty(); }

 private:
  std::vector<Term> terms_;
};

/// The value of a selectable field ("metadata.name", "status.phase", "involvedObject.kind", ...).
std::string field_value(const Json& object, const std::string& field);

}  // namespace opspilot::k8s_sim
