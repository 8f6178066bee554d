#pragma once
// Internals shared by the journal's translation units; not part of its interface.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace opspilot::agent::journal_detail {

// Joins pieces with one allocation. Used instead of chains of `"text" + std::string&&`, on
// which GCC 12 at -O2 reports a false -Wrestrict (GCC bug 105329).
inline std::string cat(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (auto p : parts) n += p.size();
  std::string s;
  s.reserve(n);
  for (auto p : parts) s.append(p);
  return s;
}

inline std::string shorten(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  return cat({std::string_view(s).substr(0, max), "... (", std::to_string(s.size()), " bytes)"});
}

/// The system's words for an errno value ("No space left on device"); thread-safe.
inline std::string errno_text(int err) {
  return std::error_code(err, std::system_category()).message();
}

/// "journal-000042.jsonl".
std::string segment_name(std::uint64_t number);
/// Segment files in `dir` as (number, path), oldest (lowest number) first.
std::vector<std::pair<std::uint64_t, std::string>> list_segments(const std::string& dir);

using LineFn = std::function<void(std::string_view line, std::uint64_t line_number)>;
/// Calls f for each complete line of `path`; returns true when the file ends in a partial line
/// (which is not passed to f). Sets `error` when the file cannot be read; a file that no longer
/// exists (deleted by rotation meanwhile) reads as empty.
bool for_each_line(const std::string& path, const LineFn& f, std::string* error);
/// fsync() on a directory, so a created or deleted file name is durable.
bool fsync_dir(const std::string& dir);

}  // namespace opspilot::agent::journal_detail
