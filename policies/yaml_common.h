#pragma once
// The loader-independent half of walking YAML nodes, shared by the policy loader
// (policies/yaml_reader.h, over the light tree of policies/yaml_tree.h) and the agent's config
// loader (agent/config/yaml_reader.h, over yaml-cpp's YAML::Node): breadcrumb paths, describing
// a node for "expected X, got Y", the key/value view of a map, turning yaml-cpp's 0-based marks
// into diagnostics at 1-based positions, and reading plain strings. Which keys exist and how
// other values convert stay with each loader's Reader, which derives from ReaderBase. The node
// type is a template parameter: anything with YAML::Node's IsDefined/IsNull/IsScalar/IsMap/
// IsSequence/Scalar/Mark.
// Thread-safety: pure functions; a ReaderBase writes to one sink and serves one load.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policies/diagnostic_core.h"

namespace opspilot::policies::yaml {

/// "a.b" (or "b" under the document root).
std::string child(const std::string& path, std::string_view key);
/// "a[3]".
std::string item(const std::string& path, std::size_t i);
/// "a map", "a list", "nothing (null)" or the quoted scalar (shortened past 60 characters).
template <class Node>
std::string describe(const Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (!n.IsDefined() || n.IsNull()) return "nothing (null)";
  const std::string_view s = n.Scalar();
  return diagnostic_messages::q(s.size() > 60 ? std::string(s.substr(0, 57)) + "..." : std::string(s));
}

/// One key of a map, first occurrence only (later duplicates are reported and ignored).
template <class Node>
struct BasicEntry {
  std::string key;
  Node key_node;
  Node value;
  std::string path;
};

template <class Node>
struct BasicMapView {
  std::vector<BasicEntry<Node>> entries;
  const BasicEntry<Node>* find(std::string_view key) const {
    for (const BasicEntry<Node>& e : entries) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }
};

/// A yaml-cpp mark as people count: 1-based line and column; both 0 when the mark is unknown.
struct LineColumn {
  int line = 0;
  int column = 0;
};
LineColumn line_column(const YAML::Mark& mark);

/// Errors found at the end of input ("end of map flow not found") are marked past the last line;
/// this points just after the last non-blank character instead, so the caret has a line to sit under.
YAML::Mark end_of_text_clamped(YAML::Mark mark, std::string_view text);

/// Reports problems at YAML nodes into a sink and reads scalars; the base of each loader's Reader.
/// `Code` needs WrongType and EmptyValue values. Thread-safety: none; one per load.
template <class Code, class Node>
class ReaderBase {
 public:
  using Entry = BasicEntry<Node>;
  explicit ReaderBase(BasicDiagnosticSink<Code>& sink) : sink_(sink) {}

  void report(Severity severity, Code code, const YAML::Mark& mark, std::string path, std::string message) {
    const LineColumn at = line_column(mark);
    sink_.add(severity, code, at.line, at.column, std::move(path), std::move(message));
  }
  void error(Code code, const Node& at, std::string path, std::string message) {
    report(Severity::Error, code, at.Mark(), std::move(path), std::move(message));
  }
  void warning(Code code, const Node& at, std::string path, std::string message) {
    report(Severity::Warning, code, at.Mark(), std::move(path), std::move(message));
  }
  /// An error about the value of `e`; always false, so callers can `return bad(...)`.
  bool bad(const Entry& e, Code code, std::string message) {
    error(code, at(e), e.path, std::move(message));
    return false;
  }

  /// Where a value's problems point: the value, or its key when the value is empty (an empty
  /// value has no text of its own to point at).
  static const Node& at(const Entry& e) { return e.value.IsNull() ? e.key_node : e.value; }

  /// The text of `e`'s value; a map, list or null is reported as "expected `expected`, got ...".
  bool scalar(const Entry& e, std::string_view expected, std::string& out) {
    if (!e.value.IsScalar()) {
      return bad(e, Code::WrongType, diagnostic_messages::wrong_type(expected, describe(e.value)));
    }
    out = e.value.Scalar();
    return true;
  }
  /// A non-empty string; false when `e` is absent or its value is bad (already reported).
  bool read_string(const Entry* e, std::string& out) {
    std::string s;
    if (e == nullptr || !scalar(*e, "a string", s)) return false;
    if (s.empty()) return bad(*e, Code::EmptyValue, diagnostic_messages::empty_value(e->key));
    out = std::move(s);
    return true;
  }

 protected:
  BasicDiagnosticSink<Code>& sink_;
};

}  // namespace opspilot::policies::yaml
