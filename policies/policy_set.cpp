#include "policies/policy_set.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace opspilot::policies {
namespace {
namespace fs = std::filesystem;

// Path and a hash of the content: policy files are small, and a content hash cannot miss an
// edit that kept the size within one timestamp tick.
void fingerprint_file(const fs::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  if (in) ss << in.rdbuf();
  out += p.string() + "|" + (in ? std::to_string(std::hash<std::string>{}(ss.str())) : "missing") + "\n";
}
}  // namespace

std::string ReloadReport::summary() const {
  if (!ok)
    return "policy reload rejected: " + std::to_string(errors) + (errors == 1 ? " error" : " errors") + "; " +
           (generation == 0 ? std::string("no policies are in force")
                            : "generation " + std::to_string(generation) + " stays in force");
  return "policies loaded: generation " + std::to_string(generation) + ", " + std::to_string(files) +
         (files == 1 ? " file, " : " files, ") + std::to_string(documents) +
         (documents == 1 ? " policy, " : " policies, ") + std::to_string(rules) + " rules, " +
         std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
}

PolicySet::PolicySet(std::vector<std::string> paths, LoadOptions options)
    : paths_(std::move(paths)), options_(std::move(options)) {}

std::string PolicySet::fingerprint() const {
  std::string out;
  for (const std::string& path : paths_) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      fingerprint_file(path, out);
      continue;
    }
    // canonical(): a ConfigMap update swaps the ..data symlink, so the resolved path changes
    for (const std::string& f : files_under(path, is_policy_file_name, ec)) fingerprint_file(fs::canonical(f, ec), out);
  }
  return out;
}

ReloadReport PolicySet::reload() {
  std::lock_guard<std::mutex> serial(reload_mutex_);
  const std::string print = fingerprint();
  LoadResult r = load_policy_paths(paths_, options_);  // outside mutex_: readers keep going
  ReloadReport rep;
  rep.ok = r.ok();
  rep.files = r.files.size();
  rep.documents = r.documents;
  rep.rules = r.rules;
  rep.errors = r.error_count();
  rep.warnings = r.warning_count();
  rep.diagnostics = std::move(r.diagnostics);
  rep.at = std::chrono::system_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  fingerprint_ = print;
  if (r.ok()) {
    engine_ = std::move(r.engine);
    ++generation_;
    ++ok_;
    rep.applied = true;
  } else {
    ++failed_;
  }
  rep.generation = generation_;
  last_ = rep;
  return rep;
}

std::optional<ReloadReport> PolicySet::reload_if_changed() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ok_ + failed_ > 0 && fingerprint() == fingerprint_) return std::nullopt;
  }
  return reload();
}

std::shared_ptr<const PolicyEngine> PolicySet::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return engine_;
}
std::uint64_t PolicySet::generation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return generation_;
}
ReloadReport PolicySet::last_report() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_;
}
std::uint64_t PolicySet::reloads_ok() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ok_;
}
std::uint64_t PolicySet::reloads_failed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failed_;
}

Evaluation PolicySet::evaluate(const Proposal& proposal, const Context& context) const {
  const auto engine = current();
  if (engine) return engine->evaluate(proposal, context);
  Evaluation ev;
  ev.replicas = proposal.current_replicas;
  ev.verdict = proposal.action == "hold" ? Verdict::Allow : Verdict::Deny;
  ev.rules.push_back(RuleResult{"default", ev.verdict, "no valid policies are loaded; nothing acts without a policy",
                                std::nullopt});
  return ev;
}

}  // namespace opspilot::policies
