// `opspilot policy validate FILE|DIR... [--json]` and `opspilot policy test PATH [--verbose]`:
// thin glue over policies/loader.h and policies/table_tests.h, which do the work.
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/cli/commands.h"
#include "policies/loader.h"
#include "policies/table_tests.h"

namespace opspilot::agent::cli {
namespace {

const char* kPolicyUsage = R"(usage:
  opspilot policy validate FILE|DIR... [--json]   check policy files; every problem as file:line:col
  opspilot policy test PATH [--verbose]           run the *_test.yaml table tests under PATH
)";

int policy_usage(const std::string& msg) {
  std::cerr << "opspilot policy: " << msg << "\n" << kPolicyUsage;
  return 2;
}

int policy_validate(const Args& args) {
  const Options o = parse_options(args, {}, {"json"});
  if (!o.error.empty()) return policy_usage(o.error);
  if (o.positional.empty()) return policy_usage("say which files: opspilot policy validate FILE|DIR...");
  const policies::LoadResult r = policies::load_policy_paths(o.positional);
  if (o.has("json")) {
    nlohmann::json j = policies::diagnostics_to_json(r.diagnostics);
    j["files"] = r.files;
    j["policies"] = r.documents;
    j["rules"] = r.rules;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << r.report();
    if (r.ok())
      std::cout << "ok: " << r.files.size() << (r.files.size() == 1 ? " file, " : " files, ") << r.documents
                << (r.documents == 1 ? " policy, " : " policies, ") << r.rules << " rules\n";
    else
      std::cout << "invalid: " << r.error_count() << (r.error_count() == 1 ? " error" : " errors") << "\n";
  }
  return r.ok() ? 0 : 1;
}

int policy_test(const Args& args) {
  const Options o = parse_options(args, {}, {"verbose"});
  if (!o.error.empty()) return policy_usage(o.error);
  if (o.positional.size() != 1) return policy_usage("say which directory: opspilot policy test DIR");
  const policies::TableTestReport r = policies::run_policy_tests(o.positional.front());
  std::cout << r.format(o.has("verbose"));
  return r.ok() ? 0 : 1;
}

}  // namespace

int cmd_policy(const Args& args) {
  if (args.empty()) return policy_usage("say what to do: validate or test");
  const std::string sub = args.front();
  const Args rest(args.begin() + 1, args.end());
  if (sub == "validate") return policy_validate(rest);
  if (sub == "test") return policy_test(rest);
  if (sub == "help" || sub == "--help" || sub == "-h") {
    std::cout << kPolicyUsage;
    return 0;
  }
  return policy_usage("unknown subcommand \"" + sub + "\"; expected validate or test");
}

}  // namespace opspilot::agent::cli
