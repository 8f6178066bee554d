#pragma once
// YAML text -> a light, read-only tree of nodes with their positions, for the policy loader and
// the policy table tests. Why (issue 4: load and validate 1 MB of policies in < 100 ms): for a
// 1 MB policy file YAML::LoadAll took ~250 ms, and yaml-cpp's event parser alone — its scanner,
// without the node graph — still ~180 ms; the subset parser below reads the same file in ~7 ms.
//
// Two parsers fill the same tree:
//   - parse_subset(): a small scanner for the YAML that policy files are written in — block maps
//     and lists, one-line [flow] and {flow} collections, plain and one-line quoted scalars,
//     comments, `---` between documents. It gives up (returns nothing) at anything else:
//     anchors, aliases, tags, block scalars (| >), multi-line scalars or flow collections, escapes,
//     tabs and other control bytes, empty values, and at every syntax error.
//   - parse_with_yaml_cpp(): yaml-cpp's event parser (YAML::Parser + YAML::EventHandler), which
//     reads all of YAML and words the syntax errors; aliases point at their anchor's node, as
//     YAML::Load would make them.
// parse() tries the first and falls back to the second, so every text means what yaml-cpp says
// it means, with yaml-cpp's positions and messages; tests/yaml_tree_test.cpp proves the two
// trees equal (kinds, text, line, column, offset) on every text the subset accepts.
//
// Thread-safety: a Tree is immutable once parsed; Nodes are read-only handles into it and may
// be read from any thread while the Tree lives. Parsing shares no state.
#include <yaml-cpp/mark.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opspilot::policies::yaml {

class Tree;

enum class NodeKind : std::uint8_t { Null, Scalar, Map, Sequence };

/// A node of a Tree, or no node (default-constructed: IsDefined() false). Cheap to copy; valid
/// while its Tree lives. The names follow YAML::Node's, so the loader code shared with the
/// agent's config (yaml_common.h) reads both.
class Node {
 public:
  Node() = default;

  bool IsDefined() const { return tree_ != nullptr; }
  /// True for a null value (`~`, `null`, an empty document) and for no node.
  bool IsNull() const;
  bool IsScalar() const;
  bool IsMap() const;
  bool IsSequence() const;
  NodeKind kind() const;
  /// The text of a scalar; "" for anything else. Valid while the Tree lives.
  std::string_view Scalar() const;
  /// Where the node starts, 0-based as yaml-cpp counts; YAML::Mark::null_mark() for no node.
  YAML::Mark Mark() const;

  /// Items of a list, pairs of a map, 0 otherwise.
  std::size_t size() const;
  Node item(std::size_t i) const;   // a list's i-th item
  Node key(std::size_t i) const;    // a map's i-th key
  Node value(std::size_t i) const;  // a map's i-th value

  /// A list's items, for range-for: `for (const Node n : list.items())`.
  class ItemRange items() const;

  /// Same tree, same node (aliases make two paths reach one node).
  bool operator==(const Node& o) const { return tree_ == o.tree_ && index_ == o.index_; }

 private:
  friend class Tree;
  friend class TreeBuilder;
  Node(const Tree* tree, std::uint32_t index) : tree_(tree), index_(index) {}
  const Tree* tree_ = nullptr;
  std::uint32_t index_ = 0;
};

class ItemRange {
 public:
  class iterator {
   public:
    iterator(Node node, std::size_t i) : node_(node), i_(i) {}
    Node operator*() const { return node_.item(i_); }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const iterator& o) const { return i_ != o.i_; }

   private:
    Node node_;
    std::size_t i_;
  };
  explicit ItemRange(Node n) : node_(n) {}
  iterator begin() const { return {node_, 0}; }
  iterator end() const { return {node_, node_.IsSequence() ? node_.size() : 0}; }

 private:
  Node node_;
};
inline ItemRange Node::items() const { return ItemRange(*this); }

/// The nodes of one parsed text. Not copyable or movable: Nodes point at it.
class Tree {
 public:
  Tree() = default;
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  /// One root per document, in order; an empty document's root is a null node at no position.
  const std::vector<Node>& documents() const { return roots_; }

 private:
  friend class Node;
  friend class TreeBuilder;
  friend std::unique_ptr<Tree> parse_subset(std::string_view text);
  struct Data {
    NodeKind kind = NodeKind::Null;
    int pos = -1, line = -1, column = -1;
    std::uint32_t first = 0, count = 0;  // children_[first, first + count): items, or key, value, key, value...
    std::string_view scalar;             // into source_ or owned_
  };
  std::string source_;             // the text the subset parser read; most scalars are slices of it
  std::deque<std::string> owned_;  // scalars that are not (yaml-cpp's, '' unescaped); stable addresses
  std::vector<Data> nodes_;
  std::vector<std::uint32_t> children_;
  std::vector<Node> roots_;
};

/// Fills a Tree in document order: nodes open and close like YAML events. Used by both parsers.
/// Thread-safety: none; one per parse.
class TreeBuilder {
 public:
  explicit TreeBuilder(Tree& tree) : tree_(tree) {}
  void begin_document();
  void end_document();
  /// Room for about this many nodes, to grow the arrays once.
  void reserve(std::size_t nodes);
  /// Each returns the new node's index (for anchors).
  std::uint32_t null(const YAML::Mark& mark);
  /// `text` must stay valid as long as the tree (a slice of the tree's source).
  std::uint32_t scalar_view(const YAML::Mark& mark, std::string_view text);
  std::uint32_t scalar(const YAML::Mark& mark, std::string text);
  std::uint32_t begin(NodeKind kind, const YAML::Mark& mark);  // Map or Sequence
  void end();
  /// An existing node again (an alias of an anchored node).
  void repeat(std::uint32_t index);

 private:
  std::uint32_t add(NodeKind kind, const YAML::Mark& mark);
  void attach(std::uint32_t index);

  struct Open {
    std::uint32_t index;
    std::size_t pending_from;  // where its children start in pending_
  };
  Tree& tree_;
  std::vector<Open> open_;
  std::vector<std::uint32_t> pending_;  // children of the open containers, innermost last
  std::optional<std::uint32_t> root_;
};

/// A parsed text: its documents, or the syntax error that stopped it.
struct ParsedText {
  bool ok = false;
  std::unique_ptr<Tree> tree;  // owns the nodes of `documents`
  /// One root per document (only the first with Documents::FirstOnly; none when !ok or the
  /// text has no document).
  std::vector<Node> documents;
  /// When !ok: where (moved from past-the-end onto the last character) and the parser's words
  /// for it (the caller adds "YAML syntax error: ").
  YAML::Mark error_mark;
  std::string error_message;
};

enum class Documents { All, FirstOnly };

/// The documents of `text`: the subset parser's tree when it accepts the text, else yaml-cpp's
/// (including its syntax errors). FirstOnly reads like YAML::Load (a later document's syntax is
/// not checked); All like YAML::LoadAll.
ParsedText parse(std::string_view text, Documents which = Documents::All);

/// The fast parser alone: nullptr when `text` is outside the subset (then parse() asks yaml-cpp).
std::unique_ptr<Tree> parse_subset(std::string_view text);
/// yaml-cpp alone (what parse() falls back to).
ParsedText parse_with_yaml_cpp(std::string_view text, Documents which = Documents::All);

/// yaml-cpp 0.7 can loop forever on a ',' that begins a line's content in block context (found
/// by the policy fuzzers: ", b", "---\n,", " , x" after a block map). Such a ',' is never valid
/// YAML; this returns where the first one is, so it is reported as a syntax error without
/// handing the text to yaml-cpp. parse_with_yaml_cpp() checks it first.
std::optional<YAML::Mark> hanging_flow_entry(std::string_view text);
inline std::string hanging_flow_entry_message() {
  return "a line cannot start with ',' outside a [list] or {map}";
}

}  // namespace opspilot::policies::yaml
