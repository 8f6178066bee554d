#pragma once
// The policies in force, reloadable. A PolicySet loads files and directories; reload() reads
// them again and swaps the new version in only when it has no errors — a bad edit is reported
// and the last good version stays in force. reload_if_changed() polls a fingerprint of the files
// (paths and content hashes), which also catches a Kubernetes ConfigMap update (the kubelet
// swaps a `..data` symlink, which changes what the paths resolve to).
//
// Thread-safety: all members are safe to call from any thread. Readers take a shared_ptr
// snapshot (current()) and evaluate against it without a lock held; reload() builds the new
// engine outside the lock and swaps the pointer under it. Reloads are serialised.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "policies/engine.h"
#include "policies/loader.h"

namespace opspilot::policies {

/// What one reload did, for the log and /metrics.
struct ReloadReport {
  bool ok = false;               // the new version had no errors
  bool applied = false;          // it is now in force (ok, and it was a reload or the first load)
  std::uint64_t generation = 0;  // the generation in force after this reload (0 = none yet)
  std::size_t files = 0, documents = 0, rules = 0;
  std::size_t errors = 0, warnings = 0;
  std::vector<Diagnostic> diagnostics;
  std::chrono::system_clock::time_point at;
  /// One line: "policies reloaded: generation 3, 2 files, 4 policies, 31 rules, 0 warnings" or
  /// "policy reload rejected: 2 errors; generation 2 stays in force".
  std::string summary() const;
};

class PolicySet final : public PolicyEvaluator {
 public:
  explicit PolicySet(std::vector<std::string> paths, LoadOptions options = {});

  /// Loads the paths again; see the class comment.
  ReloadReport reload();
  /// Reloads when the files' fingerprint changed since the last reload; nullopt otherwise.
  std::optional<ReloadReport> reload_if_changed();

  /// The engine in force; null before the first successful load.
  std::shared_ptr<const PolicyEngine> current() const;
  std::uint64_t generation() const;
  ReloadReport last_report() const;
  std::uint64_t reloads_ok() const;
  std::uint64_t reloads_failed() const;

  /// Evaluates against current(); with no policies loaded every action is denied.
  Evaluation evaluate(const Proposal& proposal, const Context& context) const override;

 private:
  std::string fingerprint() const;

  const std::vector<std::string> paths_;
  const LoadOptions options_;
  mutable std::mutex mutex_;         // guards the members below
  std::mutex reload_mutex_;          // serialises reloads
  std::shared_ptr<const PolicyEngine> engine_;
  std::uint64_t generation_ = 0;
  std::uint64_t ok_ = 0, failed_ = 0;
  ReloadReport last_;
  std::string fingerprint_;
};

}  // namespace opspilot::policies
