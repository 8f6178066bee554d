// The subset parser behind yaml::parse() (yaml_tree.h): the YAML policy files are written in,
// read straight into a Tree at memory speed, with the positions yaml-cpp would give. Anything
// else — and anything it is not sure it reads exactly as yaml-cpp does — makes it give up, and
// yaml-cpp reads the text instead. Giving up is always safe; reading differently is the bug
// tests/yaml_tree_test.cpp hunts (it compares the two trees on generated and mutated texts).
//
// Accepted: block maps whose keys are plain or quoted one-line scalars followed by ": " (or ":"
// at the end of the line); block lists ("- "), also "indentless" under a key and holding a map
// that starts on the item's line; one-line [flow] and {flow} collections, nested; plain
// scalars on one line; 'single' and "double" quoted scalars on one line without escapes;
// `~`/null spellings as null; comments; blank lines; `---` lines between documents.
// Given up on: tabs, CR and other control bytes, a non-ASCII first byte; anchors, aliases,
// tags, directives, `...`; block scalars; a value continued on the next line; an empty value or
// list item; "? " keys; a ':' or '#' where yaml-cpp might split differently; a trailing ',' in
// a flow collection. Other UTF-8 text is read as bytes, as yaml-cpp reads it.
// Thread-safety: no shared state.
#include <cctype>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "policies/yaml_tree.h"

namespace opspilot::policies::yaml {
namespace {

bool is_null_text(std::string_view s) { return s == "~" || s == "null" || s == "Null" || s == "NULL"; }

class Subset {
 public:
  Subset(std::string_view text, TreeBuilder& b) : s_(text), b_(b) {}

  bool run() {
    // Bytes past ASCII pass through yaml-cpp as they are (UTF-8 text, columns counted in bytes),
    // except at the very start, where yaml-cpp looks for a byte-order mark or UTF-16/32.
    if (!s_.empty() && static_cast<unsigned char>(s_[0]) >= 0x80) return false;
    for (const char c : s_)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) return false;
    bool opened = false;  // a `---` started a document that has no content yet
    while (true) {
      skip_to_content();
      if (eof()) {
        if (opened) empty_document();
        return true;
      }
      if (document_start()) {
        if (opened) empty_document();
        i_ += 3;
        if (!rest_of_line_blank()) return false;
        opened = true;
        continue;
      }
      if (marker_like() || at('%')) return false;
      b_.begin_document();
      if (!block_node(-1)) return false;
      b_.end_document();
      opened = false;
      skip_to_content();
      if (!eof() && !document_start()) return false;  // a second root without `---`
    }
  }

 private:
  // --- position -------------------------------------------------------------------------------
  bool eof() const { return i_ >= s_.size(); }
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  char peek(std::size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\n'; }
  int column() const { return static_cast<int>(i_ - line_start_); }
  YAML::Mark mark() const {
    YAML::Mark m;
    m.pos = static_cast<int>(i_);
    m.line = line_;
    m.column = column();
    return m;
  }
  static bool blank_or_break(char c) { return c == ' ' || c == '\n'; }

  void next_line() {
    while (i_ < s_.size() && s_[i_] != '\n') ++i_;
    if (i_ < s_.size()) ++i_;
    ++line_;
    line_start_ = i_;
  }
  void skip_spaces() {
    while (at(' ')) ++i_;
  }
  // Moves to the first character of the next line with content (not blank, not only a comment);
  // indent_ is its column. From the middle of a line that already has content, stays there.
  void skip_to_content() {
    while (true) {
      std::size_t j = line_start_;
      while (j < s_.size() && s_[j] == ' ') ++j;
      if (j < s_.size() && s_[j] != '\n' && s_[j] != '#') {
        if (i_ < j) i_ = j;
        indent_ = static_cast<int>(j - line_start_);
        return;
      }
      if (j >= s_.size()) {
        i_ = s_.size();
        return;
      }
      i_ = j;
      next_line();
    }
  }
  // After a token: only blanks or a comment may follow on the line; then moves to the next line.
  bool rest_of_line_blank() {
    const std::size_t from = i_;
    skip_spaces();
    if (eof() || at('\n') || (at('#') && i_ > from)) {
      next_line();
      return true;
    }
    return false;
  }
  bool document_start() const {
    return indent_ == 0 && s_.compare(i_, 3, "---") == 0 && blank_or_break(peek(3));
  }
  bool marker_like() const { return s_.compare(i_, 3, "---") == 0 || s_.compare(i_, 3, "...") == 0; }
  bool seq_entry() const { return at('-') && blank_or_break(peek(1)); }

  void empty_document() {
    b_.begin_document();
    b_.end_document();
  }

  // --- block structure --------------------------------------------------------------------------
  // Each block_* starts at its first token and returns at the first token of the next content
  // line (or the end), having emitted the node.
  bool block_node(int parent_indent) {
    if (indent_ <= parent_indent) return false;
    return seq_entry() ? block_seq(indent_) : block_map(column());
  }

  bool block_map(int indent) {
    b_.begin(NodeKind::Map, mark());
    while (true) {
      if (!key()) return false;
      skip_spaces();
      if (eof() || at('\n') || at('#')) {  // the value starts on a later line
        next_line();
        skip_to_content();
        if (eof() || marker_like()) return false;  // an empty value: yaml-cpp places it oddly
        if (indent_ > indent) {
          if (!block_node(indent)) return false;
        } else if (indent_ == indent && seq_entry()) {
          if (!block_seq(indent)) return false;  // "key:\n- item": a list at the key's indent
        } else {
          return false;
        }
      } else if (!inline_value()) {
        return false;
      }
      skip_to_content();
      if (eof() || marker_like() || indent_ < indent) break;
      if (indent_ > indent || seq_entry()) return false;
    }
    b_.end();
    return true;
  }

  bool block_seq(int indent) {
    b_.begin(NodeKind::Sequence, mark());
    while (true) {
      ++i_;  // the '-'
      skip_spaces();
      if (eof() || at('\n') || at('#')) {
        next_line();
        skip_to_content();
        if (eof() || marker_like() || indent_ <= indent) return false;  // an empty item
        if (!block_node(indent)) return false;
      } else if (seq_entry()) {
        return false;  // "- - x"
      } else if (starts_key()) {
        if (!block_map(column())) return false;  // "- name: x" then keys under "name"
      } else if (!inline_value()) {
        return false;
      }
      skip_to_content();
      if (eof() || marker_like() || indent_ < indent) break;
      if (indent_ > indent) return false;
      if (!seq_entry()) break;  // the parent map's next key (checked there)
    }
    b_.end();
    return true;
  }

  // --- scalars ----------------------------------------------------------------------------------
  enum class Stop { Eol, Comment, Colon };
  struct Plain {
    std::size_t end;  // after the last non-blank character
    Stop stop;
    std::size_t colon;  // where the ':' is, for Stop::Colon
  };
  // A plain scalar in block context from i_: up to the end of the line, a " #" comment or a
  // ": " (": " at the end of the line too).
  Plain scan_plain() const {
    std::size_t j = i_;
    Stop stop = Stop::Eol;
    while (j < s_.size() && s_[j] != '\n') {
      if (s_[j] == ':' && (j + 1 >= s_.size() || blank_or_break(s_[j + 1]))) {
        stop = Stop::Colon;
        break;
      }
      if (s_[j] == '#' && j > i_ && s_[j - 1] == ' ') {
        stop = Stop::Comment;
        break;
      }
      ++j;
    }
    const std::size_t at_stop = j;
    while (j > i_ && s_[j - 1] == ' ') --j;
    return Plain{j, stop, at_stop};
  }
  // Characters that cannot start a plain scalar (or that yaml-cpp might read as something else).
  bool plain_start() const {
    const char c = peek();
    if (std::string_view(",[]{}#&*!|>'\"%@`?:").find(c) != std::string_view::npos) return false;
    // "-5" is a scalar, "- " a list item; "-]" and the like are left to yaml-cpp.
    return c != '-' || std::isalnum(static_cast<unsigned char>(peek(1))) || peek(1) == '.';
  }

  void emit_plain(std::size_t end) {
    const std::string_view text = s_.substr(i_, end - i_);
    if (is_null_text(text)) b_.null(mark());
    else b_.scalar_view(mark(), text);
    i_ = end;
  }

  // A quoted scalar on one line; false at a line break or an escape.
  bool quoted() {
    const char q = peek();
    const YAML::Mark m = mark();
    bool doubled = false;  // '' inside '...' stands for one '
    std::size_t j = i_ + 1;
    while (true) {
      if (j >= s_.size() || s_[j] == '\n' || (q == '"' && s_[j] == '\\')) return false;
      if (s_[j] == q) {
        if (q == '\'' && j + 1 < s_.size() && s_[j + 1] == '\'') {
          doubled = true;
          j += 2;
          continue;
        }
        break;
      }
      ++j;
    }
    const std::string_view inside = s_.substr(i_ + 1, j - i_ - 1);
    i_ = j + 1;
    if (!doubled) {
      b_.scalar_view(m, inside);
      return true;
    }
    std::string text;
    for (std::size_t k = 0; k < inside.size(); ++k) {
      text += inside[k];
      if (inside[k] == '\'') ++k;  // the second of a pair
    }
    b_.scalar(m, std::move(text));
    return true;
  }

  // Whether a block map starts here: a one-line scalar followed by ": " or ":" at the line end.
  bool starts_key() const {
    if (at('\'') || at('"')) {
      const char q = peek();
      std::size_t j = i_ + 1;
      while (j < s_.size() && s_[j] != '\n') {
        if (s_[j] == q && !(q == '\'' && j + 1 < s_.size() && s_[j + 1] == '\'')) break;
        j += (q == '\'' && s_[j] == '\'') ? 2 : 1;
      }
      return j + 1 < s_.size() && s_[j] == q && s_[j + 1] == ':';
    }
    return plain_start() && scan_plain().stop == Stop::Colon;
  }

  // A block map key and its ':'.
  bool key() {
    if (at('\'') || at('"')) {
      if (!quoted()) return false;
    } else {
      if (!plain_start() || at('-')) return false;
      const Plain p = scan_plain();
      // A space before the ':' or a very long key: yaml-cpp's simple-key rules; not worth copying.
      if (p.stop != Stop::Colon || p.end != p.colon || p.end - i_ > 1000) return false;
      emit_plain(p.end);
    }
    if (!at(':') || !blank_or_break(peek(1))) return false;
    ++i_;
    return true;
  }

  // A value on the key's (or list item's) line: a flow collection or a scalar, then the line end.
  bool inline_value() {
    if (at('[') || at('{')) {
      if (!flow_node()) return false;
    } else if (at('\'') || at('"')) {
      if (!quoted()) return false;
    } else {
      if (!plain_start()) return false;
      const Plain p = scan_plain();
      if (p.stop == Stop::Colon) return false;  // "a: b: c"
      emit_plain(p.end);
    }
    return rest_of_line_blank();
  }

  // --- flow collections (one line) -------------------------------------------------------------
  bool flow_node() {
    if (at('[')) return flow_collection(NodeKind::Sequence, ']');
    if (at('{')) return flow_collection(NodeKind::Map, '}');
    if (at('\'') || at('"')) return quoted();
    return flow_plain();
  }

  // A plain scalar inside [ ] or { }: ends at , ] } or a ':' before a blank , ] }.
  bool flow_plain() {
    if (!plain_start()) return false;
    std::size_t j = i_;
    while (true) {
      if (j >= s_.size() || s_[j] == '\n') return false;  // the collection goes on past the line
      const char c = s_[j];
      if (c == ',' || c == ']' || c == '}') break;
      if (c == ':' && (j + 1 >= s_.size() || std::string_view(" \n,]}").find(s_[j + 1]) != std::string_view::npos)) break;
      if (c == '[' || c == '{' || c == '?') return false;  // yaml-cpp ends the scalar there
      if (c == '#' && s_[j - 1] == ' ') return false;      // a comment inside the collection
      ++j;
    }
    while (j > i_ && s_[j - 1] == ' ') --j;
    emit_plain(j);
    return true;
  }

  bool flow_collection(NodeKind kind, char close) {
    b_.begin(kind, mark());
    ++i_;
    skip_spaces();
    if (at(close)) {
      ++i_;
      b_.end();
      return true;
    }
    while (true) {
      if (kind == NodeKind::Map) {
        if (at('[') || at('{') || !flow_node()) return false;  // the key
        if (!at(':') || peek(1) != ' ') return false;
        ++i_;
        skip_spaces();
      }
      if (at(',') || at(close) || !flow_node()) return false;  // the value or item; never empty
      skip_spaces();
      if (at(',')) {
        ++i_;
        skip_spaces();
        if (at(close)) return false;  // a trailing comma
        continue;
      }
      if (!at(close)) return false;  // includes "[a: b]", a map inside a list without braces
      ++i_;
      b_.end();
      return true;
    }
  }

  std::string_view s_;
  TreeBuilder& b_;
  std::size_t i_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 0;
  int indent_ = 0;  // column of the current content line's first character
};

}  // namespace

std::unique_ptr<Tree> parse_subset(std::string_view text) {
  // Marks are ints, as in yaml-cpp.
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return nullptr;
  auto tree = std::make_unique<Tree>();
  tree->source_.assign(text);  // scalars are slices of the tree's own copy
  TreeBuilder builder(*tree);
  builder.reserve(text.size() / 10);  // policy files run ~12 bytes a node
  if (!Subset(tree->source_, builder).run()) return nullptr;
  return tree;
}

}  // namespace opspilot::policies::yaml
