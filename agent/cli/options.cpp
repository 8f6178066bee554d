#include "agent/cli/commands.h"

#include <algorithm>

#include "agent/config/diagnostics.h"

namespace opspilot::agent::cli {

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
      std::vector<std::string_view> all(value_flags.begin(), value_flags.end());
      all.insert(all.end(), bool_flags.begin(), bool_flags.end());
      const auto best = closest_match(name, all);
      o.error = "unknown option \"" + args[i] + "\"" + (best ? "; did you mean \"--" + *best + "\"?" : "");
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
