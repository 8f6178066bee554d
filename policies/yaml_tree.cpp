// The light YAML tree (yaml_tree.h): nodes, the builder both parsers share, yaml-cpp's event
// parser feeding it, and parse() choosing between the subset parser and yaml-cpp.
#include "policies/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <limits>
#include <sstream>

#include "policies/yaml_common.h"

namespace opspilot::policies::yaml {

// --- Node ---------------------------------------------------------------------------------------

NodeKind Node::kind() const { return tree_ ? tree_->nodes_[index_].kind : NodeKind::Null; }
bool Node::IsNull() const { return kind() == NodeKind::Null; }
bool Node::IsScalar() const { return tree_ && kind() == NodeKind::Scalar; }
bool Node::IsMap() const { return tree_ && kind() == NodeKind::Map; }
bool Node::IsSequence() const { return tree_ && kind() == NodeKind::Sequence; }

std::string_view Node::Scalar() const { return IsScalar() ? tree_->nodes_[index_].scalar : std::string_view(); }

YAML::Mark Node::Mark() const {
  if (!tree_) return YAML::Mark::null_mark();
  const Tree::Data& d = tree_->nodes_[index_];
  if (d.line < 0) return YAML::Mark::null_mark();
  YAML::Mark m;
  m.pos = d.pos;
  m.line = d.line;
  m.column = d.column;
  return m;
}

std::size_t Node::size() const {
  if (!tree_) return 0;
  const Tree::Data& d = tree_->nodes_[index_];
  if (d.kind == NodeKind::Map) return d.count / 2;
  return d.kind == NodeKind::Sequence ? d.count : 0;
}

Node Node::item(std::size_t i) const {
  if (!IsSequence() || i >= size()) return Node();
  return Node(tree_, tree_->children_[tree_->nodes_[index_].first + i]);
}
Node Node::key(std::size_t i) const {
  if (!IsMap() || i >= size()) return Node();
  return Node(tree_, tree_->children_[tree_->nodes_[index_].first + 2 * i]);
}
Node Node::value(std::size_t i) const {
  if (!IsMap() || i >= size()) return Node();
  return Node(tree_, tree_->children_[tree_->nodes_[index_].first + 2 * i + 1]);
}

// --- TreeBuilder --------------------------------------------------------------------------------

void TreeBuilder::begin_document() {
  open_.clear();
  pending_.clear();
  root_.reset();
}

void TreeBuilder::end_document() {
  // A document with no node (only `---`) is a null root at no position.
  const std::uint32_t root = root_ ? *root_ : add(NodeKind::Null, YAML::Mark::null_mark());
  tree_.roots_.push_back(Node(&tree_, root));
  root_.reset();
}

std::uint32_t TreeBuilder::add(NodeKind kind, const YAML::Mark& mark) {
  Tree::Data d;
  d.kind = kind;
  d.pos = mark.pos;
  d.line = mark.line;
  d.column = mark.column;
  tree_.nodes_.push_back(std::move(d));
  return static_cast<std::uint32_t>(tree_.nodes_.size() - 1);
}

void TreeBuilder::attach(std::uint32_t index) {
  if (open_.empty()) root_ = index;
  else pending_.push_back(index);
}

std::uint32_t TreeBuilder::null(const YAML::Mark& mark) {
  const std::uint32_t i = add(NodeKind::Null, mark);
  attach(i);
  return i;
}

void TreeBuilder::reserve(std::size_t nodes) {
  tree_.nodes_.reserve(nodes);
  tree_.children_.reserve(nodes);
  pending_.reserve(64);
}

std::uint32_t TreeBuilder::scalar_view(const YAML::Mark& mark, std::string_view text) {
  const std::uint32_t i = add(NodeKind::Scalar, mark);
  tree_.nodes_[i].scalar = text;
  attach(i);
  return i;
}

std::uint32_t TreeBuilder::scalar(const YAML::Mark& mark, std::string text) {
  return scalar_view(mark, tree_.owned_.emplace_back(std::move(text)));
}

std::uint32_t TreeBuilder::begin(NodeKind kind, const YAML::Mark& mark) {
  const std::uint32_t i = add(kind, mark);
  attach(i);
  open_.push_back(Open{i, pending_.size()});
  return i;
}

void TreeBuilder::end() {
  const Open o = open_.back();
  open_.pop_back();
  Tree::Data& d = tree_.nodes_[o.index];
  d.first = static_cast<std::uint32_t>(tree_.children_.size());
  d.count = static_cast<std::uint32_t>(pending_.size() - o.pending_from);
  tree_.children_.insert(tree_.children_.end(), pending_.begin() + static_cast<std::ptrdiff_t>(o.pending_from),
                         pending_.end());
  pending_.resize(o.pending_from);
}

void TreeBuilder::repeat(std::uint32_t index) { attach(index); }

// --- yaml-cpp -----------------------------------------------------------------------------------

namespace {

// yaml-cpp's events into a TreeBuilder. Anchors are numbered per document by yaml-cpp; an alias
// becomes the anchored node itself, as YAML::Load's NodeBuilder makes it.
class EventAdapter final : public YAML::EventHandler {
 public:
  explicit EventAdapter(TreeBuilder& b) : b_(b) {}

  void OnDocumentStart(const YAML::Mark&) override {
    anchors_.clear();
    b_.begin_document();
  }
  void OnDocumentEnd() override { b_.end_document(); }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { remember(anchor, b_.null(mark)); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // yaml-cpp refuses unknown anchors before calling this; a null node keeps us safe regardless.
    if (anchor < anchors_.size() && anchors_[anchor] != kNone) b_.repeat(anchors_[anchor]);
    else b_.null(mark);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    remember(anchor, b_.scalar(mark, value));
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    remember(anchor, b_.begin(NodeKind::Sequence, mark));
  }
  void OnSequenceEnd() override { b_.end(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    remember(anchor, b_.begin(NodeKind::Map, mark));
  }
  void OnMapEnd() override { b_.end(); }

 private:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  void remember(YAML::anchor_t anchor, std::uint32_t index) {
    if (anchor == YAML::NullAnchor) return;
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1, kNone);
    anchors_[anchor] = index;
  }
  TreeBuilder& b_;
  std::vector<std::uint32_t> anchors_;
};

ParsedText syntax_error(YAML::Mark mark, std::string message) {
  ParsedText p;
  p.error_mark = mark;
  p.error_message = std::move(message);
  return p;
}

}  // namespace

std::optional<YAML::Mark> hanging_flow_entry(std::string_view text) {
  // A plain scalar cannot start with ',' (a flow indicator), so outside flow collections, quoted
  // text and block scalars a ',' that begins a line's content is always a syntax error; refusing
  // it here costs valid files nothing. Flow depth and quotes are tracked roughly (single- and
  // double-quoted scalars, comments); block scalars (| and >) by their indentation.
  int depth = 0, line = 0;
  char quote = 0;
  int block_indent = -1;  // indentation of the key that opened a block scalar; -1 = none
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view l = text.substr(pos, end - pos);
    const std::size_t first = l.find_first_not_of(" \t\r");
    const int indent = first == std::string_view::npos ? -1 : static_cast<int>(first);
    if (block_indent >= 0 && (indent < 0 || indent > block_indent)) {
      pos = end + 1;
      ++line;
      continue;  // block scalar content: any text goes
    }
    block_indent = -1;
    std::size_t content = indent < 0 ? l.size() : first;
    if (l.starts_with("---") || l.starts_with("...")) depth = 0, quote = 0, content = 3;
    if (depth == 0 && quote == 0) {
      // Skip blanks, tags and anchors ("--- !t &a ,") to the first real token.
      while (content < l.size()) {
        if (l[content] == ' ' || l[content] == '\t') {
          ++content;
        } else if (l[content] == '!' || l[content] == '&') {
          while (content < l.size() && l[content] != ' ' && l[content] != '\t') ++content;
        } else {
          break;
        }
      }
      if (content < l.size() && l[content] == ',') {
        YAML::Mark m;
        m.pos = static_cast<int>(pos + content);
        m.line = line;
        m.column = static_cast<int>(content);
        return m;
      }
    }
    char last = 0;
    for (std::size_t i = indent < 0 ? l.size() : first; i < l.size(); ++i) {
      const char c = l[i];
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '#' && (i == 0 || l[i - 1] == ' ' || l[i - 1] == '\t')) break;
      if ((c == '"' || c == '\'') && (i == 0 || std::string_view(" \t[{,:-").find(l[i - 1]) != std::string_view::npos)) {
        quote = c;
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      }
      if (c != ' ' && c != '\t' && c != '\r') last = c;
    }
    if (depth == 0 && quote == 0 && (last == '|' || last == '>' ||
        ((last == '-' || last == '+' || (last >= '1' && last <= '9')) && l.find_last_of("|>") != std::string_view::npos &&
         l.find_last_of("|>") + 3 >= l.find_last_not_of(" \t\r"))))
      block_indent = indent;
    pos = end + 1;
    ++line;
  }
  return std::nullopt;
}

ParsedText parse_with_yaml_cpp(std::string_view text, Documents which) {
  if (const auto mark = hanging_flow_entry(text)) return syntax_error(*mark, hanging_flow_entry_message());
  ParsedText p;
  p.tree = std::make_unique<Tree>();
  TreeBuilder builder(*p.tree);
  EventAdapter events(builder);
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(events)) {
      if (which == Documents::FirstOnly) break;
    }
  } catch (const YAML::Exception& e) {
    return syntax_error(end_of_text_clamped(e.mark, text), e.msg);
  }
  p.ok = true;
  p.documents = p.tree->documents();
  return p;
}

ParsedText parse(std::string_view text, Documents which) {
  if (auto tree = parse_subset(text)) {
    // FirstOnly: an empty first document's null root has a position only yaml-cpp knows.
    if (which == Documents::All || (!tree->documents().empty() && !tree->documents().front().IsNull())) {
      ParsedText p;
      p.ok = true;
      p.documents = tree->documents();
      if (which == Documents::FirstOnly) p.documents.resize(1);
      p.tree = std::move(tree);
      return p;
    }
  }
  return parse_with_yaml_cpp(text, which);
}

}  // namespace opspilot::policies::yaml
