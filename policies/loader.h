#pragma once
// Loading policy files, in stages like Falco's rule loader:
//   read     YAML text -> PolicyDocument values, reporting schema problems with positions
//            (loader_read.cpp);
//   collect  files and directories -> every document of every file, `---` separated, in a stable
//            order (files sorted by path), duplicate names refused (loader.cpp);
//   validate checks across documents: contradicting bounds on the same targets, selectors that
//            match no known target (validate.cpp);
//   compile  the documents into a PolicyEngine, the evaluator (engine.h).
// Every problem of every file is reported at once; a result with errors has no engine.
// Thread-safety: the functions are reentrant; results are plain values.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "policies/diagnostics.h"
#include "policies/document.h"

namespace opspilot::policies {

class PolicyEngine;

/// A target the agent knows, for "this selector matches nothing" warnings.
struct KnownTarget {
  std::string namespace_;
  std::string name;
  std::map<std::string, std::string> labels;
  std::string environment;
};

struct LoadOptions {
  /// When not empty, a selector that matches none of these is reported (as a warning).
  std::vector<KnownTarget> known_targets;
};

struct LoadResult {
  std::shared_ptr<const PolicyEngine> engine;  // null when there were errors
  std::vector<Diagnostic> diagnostics;         // errors and warnings, by file then position
  std::vector<std::string> files;              // the policy files read
  std::size_t documents = 0;
  std::size_t rules = 0;

  bool ok() const { return engine != nullptr; }
  std::size_t error_count() const;
  std::size_t warning_count() const;
  /// The diagnostics formatted for people (empty when there are none).
  std::string report() const;
};

/// Stage 1: the documents of one text. Problems go to `sink`; documents with errors are still
/// returned (so cross-document checks can run) with `ok` false in `document_ok`.
std::vector<PolicyDocument> read_policy_documents(std::string_view text, DiagnosticSink& sink,
                                                  std::vector<bool>* document_ok = nullptr);

/// Stages 3: cross-document checks, appended to `out` (source lines filled by the caller).
void validate_policy_documents(const std::vector<PolicyDocument>& docs, const LoadOptions& options,
                               std::vector<Diagnostic>& out);

/// Loads one text as if it were the file `file` (used by tests and the fuzzer).
LoadResult load_policy_string(std::string_view text, const std::string& file = "policy.yaml",
                              const LoadOptions& options = {});
/// Loads files and directories (a directory contributes its *.yaml / *.yml files, sorted,
/// recursively, except *_test.yaml / *_test.yml table tests).
LoadResult load_policy_paths(const std::vector<std::string>& paths, const LoadOptions& options = {});

/// Whether `path` names a policy file a directory scan would load.
bool is_policy_file_name(std::string_view filename);
/// Whether `path` names a table-test file (*_test.yaml, *_test.yml).
bool is_policy_test_file_name(std::string_view filename);

/// The files under `dir` (recursively, sorted) whose names `want`, skipping every entry whose name
/// starts with '.': a mounted ConfigMap keeps its files in hidden `..<timestamp>` directories
/// behind a `..data` symlink, and each file would otherwise be found twice. Symlinks to files are
/// followed; symlinks to directories are not descended. `ec` is set when `dir` cannot be read.
std::vector<std::string> files_under(const std::string& dir, bool (*want)(std::string_view), std::error_code& ec);

}  // namespace opspilot::policies
