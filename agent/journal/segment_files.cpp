// Segment files of the journal: naming, listing, reading line by line.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "agent/journal/journal_detail.h"

namespace opspilot::agent::journal_detail {

namespace fs = std::filesystem;

std::string segment_name(std::uint64_t number) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "journal-%06llu.jsonl", static_cast<unsigned long long>(number));
  return buf;
}

// Segment files in `dir`, oldest (lowest number) first.
std::vector<std::pair<std::uint64_t, std::string>> list_segments(const std::string& dir) {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 15 || name.rfind("journal-", 0) != 0 || !name.ends_with(".jsonl")) continue;
    const std::string digits = name.substr(8, name.size() - 14);
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    out.emplace_back(std::stoull(digits), e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Reads in chunks: segments can be large.
bool for_each_line(const std::string& path, const LineFn& f, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // A segment deleted by the writer's rotation between listing and opening (a read-only
    // reader racing a running agent) is simply gone, not an error.
    if (error && errno != ENOENT) *error = cat({"open ", path, ": ", errno_text(errno)});
    return false;
  }
  std::string pending;
  std::vector<char> buf(1 << 20);
  std::uint64_t line_no = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && error) *error = cat({"read ", path, ": ", errno_text(errno)});
    if (n <= 0) break;
    std::size_t start = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      if (buf[i] != '\n') continue;
      pending.append(buf.data() + start, i - start);
      f(std::string_view(pending), ++line_no);
      pending.clear();
      start = i + 1;
    }
    pending.append(buf.data() + start, static_cast<std::size_t>(n) - start);
  }
  ::close(fd);
  return !pending.empty();
}

bool fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace opspilot::agent::journal_detail
