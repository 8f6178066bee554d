#include "agent/journal/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <string_view>
#include <system_error>

#include "agent/journal/journal_detail.h"

namespace opspilot::agent {
namespace {

namespace fs = std::filesystem;
using journal_detail::cat;
using journal_detail::errno_text;
using journal_detail::for_each_line;
using journal_detail::fsync_dir;
using journal_detail::list_segments;
using journal_detail::segment_name;
using nlohmann::json;

constexpr const char* kLockFile = "journal.lock";
constexpr std::size_t kMaxProblems = 20;

bool acted(DecisionState s) {
  return s == DecisionState::Planned || s == DecisionState::Acting || s == DecisionState::Applied ||
         s == DecisionState::Verified;
}

// Which cooldown an acted decision counts against; empty when none.
std::string action_class(const Decision& d) {
  if (d.action == "restart" || d.action == "rollback") return d.action;
  if (d.action != "scale") return {};
  const int to = d.policy_checked && d.policy.replicas > 0 ? d.policy.replicas : d.desired_replicas;
  if (to > d.current_replicas) return "scale_up";
  if (to < d.current_replicas) return "scale_down";
  return {};
}

}  // namespace

std::optional<TimePoint> TargetActions::last_action() const {
  std::optional<TimePoint> t;
  for (const auto& x : {last_scale_up, last_scale_down, last_restart, last_rollback})
    if (x && (!t || *x > *t)) t = x;
  return t;
}

JournalOptions JournalOptions::from_spec(const JournalSpec& spec, const Clock* clock) {
  JournalOptions o;
  o.dir = spec.path;
  o.fsync = spec.fsync;
  o.max_segment_bytes = spec.max_segment_bytes;
  o.max_segments = spec.max_segments;
  o.max_in_memory = spec.max_in_memory;
  o.clock = clock;
  return o;
}

std::string JournalOptions::validate() const {
  if (dir.empty()) return "journal: path (a directory) is required, got \"\"";
  if (max_segment_bytes < 1024)
    return cat({"journal: max_segment_bytes must be at least 1024, got ",
                std::to_string(max_segment_bytes)});
  if (max_segments < 1)
    return cat({"journal: max_segments must be at least 1, got ", std::to_string(max_segments)});
  if (max_in_memory < 1) return "journal: max_in_memory must be at least 1, got 0";
  return {};
}

Journal::Journal(JournalOptions options, bool read_only)
    : options_(std::move(options)), read_only_(read_only) {}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::unique_ptr<Journal> Journal::open(const JournalOptions& options, std::string* error) {
  if (auto err = options.validate(); !err.empty()) {
    if (error) *error = err;
    return nullptr;
  }
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    if (error)
      *error = cat({"journal: cannot create directory \"", options.dir, "\": ", ec.message()});
    return nullptr;
  }
  std::unique_ptr<Journal> j(new Journal(options, false));
  const std::string lock_path = (fs::path(options.dir) / kLockFile).string();
  j->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (j->lock_fd_ < 0) {
    if (error) *error = cat({"journal: open ", lock_path, ": ", errno_text(errno)});
    return nullptr;
  }
  if (::flock(j->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {0};
    [[maybe_unused]] auto n = ::pread(j->lock_fd_, holder, sizeof holder - 1, 0);
    if (error) {
      *error = cat({"journal \"", options.dir, "\" is in use by another process",
                    holder[0] ? cat({" (pid ", holder, ")"}) : "", ": flock ", lock_path, ": ",
                    errno_text(err)});
    }
    return nullptr;
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(j->lock_fd_, 0) == 0) {
    [[maybe_unused]] auto n = ::pwrite(j->lock_fd_, pid.data(), pid.size(), 0);
  }
  if (!j->replay(error)) return nullptr;
  return j;
}

std::unique_ptr<Journal> Journal::open_read_only(const std::string& dir, std::string* error,
                                                 std::size_t max_in_memory) {
  JournalOptions o;
  o.dir = dir;
  o.max_in_memory = max_in_memory;
  if (auto err = o.validate(); !err.empty()) {
    if (error) *error = err;
    return nullptr;
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (error) *error = "journal directory \"" + dir + "\" does not exist or is not a directory";
    return nullptr;
  }
  std::unique_ptr<Journal> j(new Journal(o, true));
  if (!j->replay(error)) return nullptr;
  return j;
}

bool Journal::replay(std::string* error) {
  std::lock_guard lock(mu_);
  const auto segs = list_segments(options_.dir);
  for (const auto& [number, path] : segs) {
    ++replay_stats_.segments;
    const std::string name = fs::path(path).filename().string();
    auto problem = [&](std::uint64_t line_no, const std::string& what) {
      if (replay_stats_.problems.size() < kMaxProblems)
        replay_stats_.problems.push_back(cat({name, ":", std::to_string(line_no), ": ", what}));
    };
    std::uint64_t lines_here = 0;
    std::string read_error;
    const bool torn = for_each_line(
        path,
        [&](std::string_view line, std::uint64_t line_no) {
          lines_here = line_no;
          ++replay_stats_.lines;
          if (line.empty()) return;  // left by a fresh-line restart after a failed write
          auto ev = json::parse(line, nullptr, false);
          Decision d;
          std::string err;
          if (ev.is_discarded() || !ev.is_object()) {
            ++replay_stats_.corrupt_lines;
            problem(line_no, "not a JSON object (a torn or damaged line), skipped");
            return;
          }
          auto dj = ev.find("decision");
          if (dj == ev.end() || !from_json(*dj, d, &err) || d.id.empty()) {
            ++replay_stats_.corrupt_lines;
            problem(line_no,
                    err.empty() ? "event without a decision id, skipped" : err + ", skipped");
            return;
          }
          auto seq = ev.find("seq");
          ++replay_stats_.events;
          index(d, seq != ev.end() && seq->is_number_unsigned() ? seq->get<std::uint64_t>() : 0);
        },
        &read_error);
    if (!read_error.empty()) {
      if (error) *error = cat({"journal: ", read_error});
      return false;
    }
    if (torn) {
      ++replay_stats_.torn_lines;
      problem(lines_here + 1, "partial last line (interrupted write), skipped");
    }
  }
  if (read_only_) return true;
  return open_segment(segs.empty() ? 1 : segs.back().first, error);
}

bool Journal::open_segment(std::uint64_t number, std::string* error) {
  const std::string path = (fs::path(options_.dir) / segment_name(number)).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (error) *error = cat({"journal: open ", path, ": ", errno_text(errno)});
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    if (error) *error = cat({"journal: stat ", path, ": ", errno_text(errno)});
    ::close(fd);
    return false;
  }
  bool torn = false;
  if (st.st_size > 0) {
    // Reading the last byte needs a readable descriptor; ours is write-only.
    const int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    char last = '\n';
    if (rfd < 0 || ::pread(rfd, &last, 1, st.st_size - 1) != 1) last = 0;  // unknown: assume torn
    if (rfd >= 0) ::close(rfd);
    torn = last != '\n';
  }
  if (st.st_size == 0) fsync_dir(options_.dir);  // make the new file's name durable too
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_number_ = number;
  segment_bytes_ = static_cast<std::uint64_t>(st.st_size);
  carried_bytes_ = 0;
  need_newline_ = torn;
  return true;
}

void Journal::index(const Decision& d, std::uint64_t seq) {
  if (seq >= next_seq_) next_seq_ = seq + 1;
  if (d.id.size() > 2 && d.id.rfind("d-", 0) == 0 &&
      d.id.find_first_not_of("0123456789", 2) == std::string::npos && d.id.size() < 20) {
    const std::uint64_t n = std::stoull(d.id.substr(2));
    if (n >= next_id_) next_id_ = n + 1;
  }
  auto [it, inserted] = by_id_.try_emplace(d.id);
  const bool was_acted = !inserted && acted(it->second.decision.state);
  it->second.decision = d;
  it->second.seq = seq;
  if (inserted) {
    order_.push_back(d.id);
    while (by_id_.size() > options_.max_in_memory && !order_.empty()) {
      by_id_.erase(order_.front());
      order_.pop_front();
    }
  }
  if (is_terminal(d.state))
    pending_.erase(d.id);
  else
    pending_[d.id] = d;

  const std::string key = d.namespace_ + "/" + d.target;
  auto t = targets_.find(key);
  if (t != targets_.end()) {
    for (auto& [kind, source] : t->second.sources)
      if (source.id == d.id) source = d;  // keep carried copies at their latest state
  }
  if (!acted(d.state) || was_acted) return;
  const std::string kind = action_class(d);
  if (kind.empty()) return;
  TargetState& ts = targets_[key];
  std::optional<TimePoint>* slot = kind == "scale_up"     ? &ts.times.last_scale_up
                                   : kind == "scale_down" ? &ts.times.last_scale_down
                                   : kind == "restart"    ? &ts.times.last_restart
                                                          : &ts.times.last_rollback;
  if (!*slot || d.updated >= **slot) {
    *slot = d.updated;
    ts.sources[kind] = d;
  }
}

JournalResult Journal::append(const Decision& d) {
  std::lock_guard lock(mu_);
  if (read_only_) return {false, 0, "journal \"" + options_.dir + "\" is open read-only"};
  if (d.id.empty()) return {false, 0, "journal: refusing a decision without an id"};
  return write_event(d, true);
}

JournalResult Journal::write_event(const Decision& d, bool may_rotate) {
  const Clock* clock = options_.clock;
  const SystemClock system_clock;
  if (!clock) clock = &system_clock;
  json ev;
  ev["seq"] = next_seq_;
  ev["ts"] = format_rfc3339_ms(clock->now());
  ev["decision"] = to_json(d);
  // replace: a response body cut inside a UTF-8 sequence must not make the write throw.
  auto dump = [&ev] { return ev.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; };
  std::string body = dump();
  if (may_rotate && segment_bytes_ > carried_bytes_ &&
      segment_bytes_ + body.size() > options_.max_segment_bytes) {
    if (auto r = rotate(); !r.ok) return r;
    ev["seq"] = next_seq_;  // the carried lines took the numbers before it
    body = dump();
  }
  const std::uint64_t seq = next_seq_;
  const std::string line = need_newline_ ? "\n" + body : body;
  const std::string path = segment_name(segment_number_);
  ++next_seq_;  // consumed even on failure: a torn line may carry it

  // One write() in the normal case. A short write only happens at a limit (disk full, file size
  // limit); writing the rest then fails with the reason, which is what we report.
  std::size_t written = 0;
  int err = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  if (err != 0) {
    std::string what = cat({"journal: write ", path, ": ", errno_text(err)});
    if (written > 0) {
      // Take the partial line back so the file stays a sequence of whole lines. If that fails
      // too, the next write starts on a fresh line and replay skips the fragment.
      if (::ftruncate(fd_, static_cast<off_t>(segment_bytes_)) == 0) {
        what += cat({" (", std::to_string(written), " of ", std::to_string(line.size()),
                     " bytes were written and removed again)"});
      } else {
        need_newline_ = true;
        what += cat({" (", std::to_string(written), " of ", std::to_string(line.size()),
                     " bytes were written; removing them failed: ", errno_text(errno), ")"});
      }
    }
    return {false, 0, what};
  }
  segment_bytes_ += line.size();
  need_newline_ = false;
  if (options_.fsync && ::fdatasync(fd_) != 0) {
    // The line may or may not be on disk: report it so the caller does not act on it.
    return {false, 0, cat({"journal: fdatasync ", path, ": ", errno_text(errno)})};
  }
  index(d, seq);
  return {true, seq, ""};
}

JournalResult Journal::rotate() {
  std::string error;
  // Close off a torn fragment in the segment we leave, so it reads as one skipped line rather
  // than as a torn tail forever. Best effort: replay copes either way.
  if (need_newline_ && ::write(fd_, "\n", 1) == 1) need_newline_ = false;
  if (!open_segment(segment_number_ + 1, &error)) return {false, 0, error};
  // Carry unfinished decisions and the ones that set each target's cooldowns into the new
  // segment before old segments are deleted, so a restart still resumes and still waits.
  std::map<std::string, Decision> carry = pending_;
  for (const auto& [key, ts] : targets_)
    for (const auto& [kind, d] : ts.sources) carry.try_emplace(d.id, d);
  for (const auto& [id, d] : carry) {
    auto r = write_event(d, false);
    if (!r.ok) return r;
  }
  carried_bytes_ = segment_bytes_;
  auto segs = list_segments(options_.dir);
  bool deleted = false;
  while (segs.size() > static_cast<std::size_t>(options_.max_segments) &&
         segs.front().first != segment_number_) {
    ::unlink(segs.front().second.c_str());
    segs.erase(segs.begin());
    deleted = true;
  }
  if (deleted) fsync_dir(options_.dir);
  return {true, 0, ""};
}

std::string Journal::next_id() {
  std::lock_guard lock(mu_);
  char buf[32];
  std::snprintf(buf, sizeof buf, "d-%06llu", static_cast<unsigned long long>(next_id_++));
  return buf;
}

std::optional<Decision> Journal::get(const std::string& id) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = by_id_.find(id); it != by_id_.end()) return it->second.decision;
    if (auto it = pending_.find(id); it != pending_.end()) return it->second;
  }
  return scan_disk(id);  // without the lock: files are append-only
}

std::optional<Decision> Journal::scan_disk(const std::string& id) const {
  if (id.empty()) return std::nullopt;
  const std::string needle = "\"id\":" + json(id).dump();
  auto segs = list_segments(options_.dir);
  for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
    std::optional<Decision> found;
    for_each_line(
        it->second,
        [&](std::string_view line, std::uint64_t) {
          if (line.find(needle) == std::string_view::npos) return;
          auto ev = json::parse(line, nullptr, false);
          if (ev.is_discarded() || !ev.is_object() || !ev.contains("decision")) return;
          Decision d;
          if (from_json(ev["decision"], d, nullptr) && d.id == id) found = std::move(d);
        },
        nullptr);
    if (found) return found;
  }
  return std::nullopt;
}

std::vector<Decision> Journal::list(const std::string& target, std::size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<const Decision*> matches;
  for (const auto& [id, e] : by_id_)
    if (target.empty() || e.decision.target == target) matches.push_back(&e.decision);
  auto newer = [](const Decision* a, const Decision* b) {
    if (a->created != b->created) return a->created > b->created;
    if (a->id.size() != b->id.size()) return a->id.size() > b->id.size();
    return a->id > b->id;
  };
  const std::size_t n = limit == 0 ? matches.size() : std::min(limit, matches.size());
  std::partial_sort(matches.begin(), matches.begin() + static_cast<std::ptrdiff_t>(n),
                    matches.end(), newer);
  std::vector<Decision> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(*matches[i]);
  return out;
}

std::vector<Decision> Journal::pending() const {
  std::lock_guard lock(mu_);
  std::vector<Decision> out;
  for (const auto& [id, d] : pending_) out.push_back(d);
  std::stable_sort(out.begin(), out.end(),
                   [](const Decision& a, const Decision& b) { return a.created < b.created; });
  return out;
}

TargetActions Journal::last_actions(const std::string& namespace_,
                                    const std::string& target) const {
  std::lock_guard lock(mu_);
  auto it = targets_.find(namespace_ + "/" + target);
  return it == targets_.end() ? TargetActions{} : it->second.times;
}

ReplayStats Journal::replay_stats() const {
  std::lock_guard lock(mu_);
  return replay_stats_;
}

std::uint64_t Journal::next_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_;
}

std::size_t Journal::size() const {
  std::lock_guard lock(mu_);
  return by_id_.size();
}

std::vector<std::string> Journal::segments() const {
  std::vector<std::string> out;
  for (auto& [n, path] : list_segments(options_.dir)) out.push_back(path);
  return out;
}

}  // namespace opspilot::agent
