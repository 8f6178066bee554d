// Stages 2 and 4 of the policy loader: collect the documents of every file (and directory),
// then compile them into an engine when nothing is wrong.
#include "policies/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "policies/engine.h"

namespace opspilot::policies {
namespace {

namespace fs = std::filesystem;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct SourceFile {
  std::string path;
  std::string text;
};

class Collector {
 public:
  explicit Collector(const LoadOptions& options) : options_(options) {}

  void add_text(std::string_view text, const std::string& file) {
    DiagnosticSink sink(file, text);
    std::vector<bool> ok;
    auto docs = read_policy_documents(text, sink, &ok);
    for (std::size_t i = 0; i < docs.size(); ++i) {
      PolicyDocument& d = docs[i];
      if (!d.name.empty()) {
        const auto it = names_.find(d.name);
        if (it != names_.end()) {
          sink.add(Severity::Error, Code::DuplicateName, d.pos.line, d.pos.column, "metadata.name",
                   messages::duplicate_policy(d.name, it->second));
          ok[i] = false;
        } else {
          names_.emplace(d.name, file + ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column));
        }
      }
      all_ok_ = all_ok_ && ok[i];
      documents_.push_back(std::move(d));
    }
    for (Diagnostic& x : sink.take_sorted()) {
      all_ok_ = all_ok_ && !x.is_error();
      diagnostics_.push_back(std::move(x));
    }
    files_.push_back(SourceFile{file, std::string(text)});
  }

  void add_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      unreadable(path, "no such file or not readable");
      return;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    add_text(ss.str(), path);
  }

  void add_path(const std::string& path) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      add_file(path);
      return;
    }
    std::vector<std::string> found = files_under(path, is_policy_file_name, ec);
    if (ec) {
      unreadable(path, ec.message());
      return;
    }
    if (found.empty()) {
      diagnostics_.push_back(Diagnostic{Severity::Error, Code::FileUnreadable, path, 0, 0, "",
                                        messages::no_policy_files(path), ""});
      all_ok_ = false;
      return;
    }
    // files_under() sorts: a stable order, earlier files evaluate first
    for (const std::string& f : found) add_file(f);
  }

  LoadResult finish() {
    LoadResult r;
    std::vector<Diagnostic> cross;
    validate_policy_documents(documents_, options_, cross);
    for (Diagnostic& d : cross) {
      attach_source_line(d);
      all_ok_ = all_ok_ && !d.is_error();
    }
    // Keep each file's diagnostics together, in file order, cross-document ones merged in.
    for (const SourceFile& f : files_) r.files.push_back(f.path);
    std::vector<Diagnostic> merged = std::move(diagnostics_);
    merged.insert(merged.end(), cross.begin(), cross.end());
    std::stable_sort(merged.begin(), merged.end(), [&](const Diagnostic& a, const Diagnostic& b) {
      const auto ia = file_index(a.file), ib = file_index(b.file);
      return std::tie(ia, a.line, a.column) < std::tie(ib, b.line, b.column);
    });
    r.diagnostics = std::move(merged);
    r.documents = documents_.size();
    for (const PolicyDocument& d : documents_) r.rules += d.rule_count();
    if (all_ok_) r.engine = std::make_shared<const PolicyEngine>(std::move(documents_));
    return r;
  }

 private:
  void unreadable(const std::string& path, const std::string& why) {
    diagnostics_.push_back(Diagnostic{Severity::Error, Code::FileUnreadable, path, 0, 0, "",
                                      messages::file_unreadable(path, why), ""});
    all_ok_ = false;
  }
  std::size_t file_index(const std::string& file) const {
    for (std::size_t i = 0; i < files_.size(); ++i)
      if (files_[i].path == file) return i;
    return 0;  // unreadable files have no text; they come first
  }
  void attach_source_line(Diagnostic& d) const {
    for (const SourceFile& f : files_) {
      if (f.path != d.file || d.line <= 0) continue;
      std::size_t start = 0;
      for (int l = 1; l < d.line && start != std::string::npos; ++l) {
        start = f.text.find('\n', start);
        if (start != std::string::npos) ++start;
      }
      if (start == std::string::npos) return;
      std::size_t end = f.text.find('\n', start);
      if (end == std::string::npos) end = f.text.size();
      d.source_line = f.text.substr(start, end - start);
      if (!d.source_line.empty() && d.source_line.back() == '\r') d.source_line.pop_back();
      return;
    }
  }

  const LoadOptions& options_;
  std::vector<PolicyDocument> documents_;
  std::vector<Diagnostic> diagnostics_;
  std::vector<SourceFile> files_;
  std::map<std::string, std::string> names_;
  bool all_ok_ = true;
};

}  // namespace

std::size_t LoadResult::error_count() const {
  return static_cast<std::size_t>(
      std::count_if(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.is_error(); }));
}
std::size_t LoadResult::warning_count() const { return diagnostics.size() - error_count(); }
std::string LoadResult::report() const { return format_diagnostics(diagnostics); }

std::vector<std::string> files_under(const std::string& dir, bool (*want)(std::string_view), std::error_code& ec) {
  std::vector<std::string> found;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    std::error_code file_ec;
    if (it->is_regular_file(file_ec) && want(name)) found.push_back(it->path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

bool is_policy_test_file_name(std::string_view f) { return ends_with(f, "_test.yaml") || ends_with(f, "_test.yml"); }
bool is_policy_file_name(std::string_view f) {
  return (ends_with(f, ".yaml") || ends_with(f, ".yml")) && !is_policy_test_file_name(f) && !f.starts_with(".");
}

LoadResult load_policy_string(std::string_view text, const std::string& file, const LoadOptions& options) {
  Collector c(options);
  c.add_text(text, file);
  return c.finish();
}

LoadResult load_policy_paths(const std::vector<std::string>& paths, const LoadOptions& options) {
  Collector c(options);
  for (const std::string& p : paths) c.add_path(p);
  return c.finish();
}

}  // namespace opspilot::policies
