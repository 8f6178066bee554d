#include "agent/cli/commands.h"

#include <algorithm>

namespace opspilot::agent::cli {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

bool Options::has(const std::string& name) const {
  return std::any_of(flags.begin(), flags.end(), [&](const auto& f) { return f.first == name; });
}

std::string Options::get(const std::string& name, const std::string& def) const {
  for (auto it = flags.rbegin(); it != flags.rend(); ++it)
    if (it->first == name) return it->second;
  return def;
}

Options parse_options(const Args& args, const std::vector<std::string>& value_flags,
                      const std::vector<std::string>& bool_flags) {
  Options o;
  auto known = [&](const std::string& n, bool* takes_value) {
    if (std::find(value_flags.begin(), value_flags.end(), n) != value_flags.end()) {
      *takes_value = true;
      return true;
    }
    *takes_value = false;
    return std::find(bool_flags.begin(), bool_flags.end(), n) != bool_flags.end();
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.size() < 2 || a[0] != '-') {
      o.positional.push_back(a);
      continue;
    }
    if (a == "-c") a = "--config";
    std::string value;
    bool inline_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      inline_value = true;
    }
    const std::string name = a.substr(a[1] == '-' ? 2 : 1);
    bool takes_value = false;
    if (!known(name, &takes_value)) {
      std::string best;
      std::size_t best_d = 3;
      for (const auto& list : {value_flags, bool_flags})
        for (const auto& k : list)
          if (auto d = edit_distance(name, k); d < best_d) {
            best_d = d;
            best = k;
          }
      o.error = "unknown option \"" + args[i] + "\"" + (best.empty() ? "" : "; did you mean \"--" + best + "\"?");
      return o;
    }
    if (takes_value && !inline_value) {
      if (i + 1 >= args.size()) {
        o.error = "option \"" + a + "\" needs a value";
        return o;
      }
      value = args[++i];
    }
    o.flags.emplace_back(name, value);
  }
  return o;
}

}  // namespace opspilot::agent::cli
