// Breadcrumbs and mark positions shared by the YAML loaders (yaml_common.h).
#include "policies/yaml_common.h"

#include <algorithm>

namespace opspilot::policies::yaml {

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

LineColumn line_column(const YAML::Mark& mark) {
  // yaml-cpp marks are 0-based (-1 when unknown); people count from 1.
  if (mark.line < 0) return LineColumn{};
  return LineColumn{mark.line + 1, mark.column + 1};
}

YAML::Mark end_of_text_clamped(YAML::Mark mark, std::string_view text) {
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  if (last == std::string_view::npos || mark.pos <= static_cast<int>(last)) return mark;
  const std::size_t line_start = text.rfind('\n', last);
  mark.line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(last), '\n'));
  mark.column = static_cast<int>(last - (line_start == std::string_view::npos ? 0 : line_start + 1)) + 1;
  return mark;
}

}  // namespace opspilot::policies::yaml
