#pragma once
// The decision journal: a directory of append-only segment files (journal-000001.jsonl, ...),
// one JSON event per line:
//
//   {"seq":42,"ts":"2024-05-01T10:00:00.123Z","decision":{...the full record...}}
//
// A decision is written once per state change; the latest line for an id is its current state.
// append() returns only after the line is on disk (fdatasync when fsync is on): that is the
// "journaled before anything acts" point of the loop. Replaying on open() rebuilds what a
// restarted agent needs: the latest state of recent decisions, the next sequence number and
// decision id, when each target last acted (cooldowns) and the decisions not yet finished.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/journal/decision.h"
#include "agent/journal/rfc3339.h"

namespace opspilot::agent {

struct JournalOptions {
  std::string dir;
  bool fsync = true;
  std::uint64_t max_segment_bytes = 64ull << 20;
  int max_segments = 8;               // oldest segments beyond this are deleted
  std::size_t max_in_memory = JournalSpec{}.max_in_memory;  // decisions indexed in memory; older stay on disk
  const Clock* clock = nullptr;       // stamps "ts"; nullptr = the system clock

  static JournalOptions from_spec(const JournalSpec& spec, const Clock* clock = nullptr);
  /// Empty when usable; otherwise what is wrong, quoting the offending value.
  std::string validate() const;
};

/// The outcome of append(): errors are values, with the system's own words
/// (e.g. "write journal-000003.jsonl: No space left on device").
struct JournalResult {
  bool ok = false;
  std::uint64_t seq = 0;  // the event's sequence number when ok
  std::string error;
  explicit operator bool() const { return ok; }
};

/// What replay found. Damaged lines are skipped, never fatal: a torn last line is what a crash
/// or a full disk leaves behind.
struct ReplayStats {
  int segments = 0;
  std::uint64_t lines = 0;            // complete lines read
  std::uint64_t events = 0;           // lines that held a decision
  std::uint64_t corrupt_lines = 0;    // complete lines that did not parse as an event
  std::uint64_t torn_lines = 0;       // segments ending in a partial line (no newline)
  std::vector<std::string> problems;  // the first few, as "file:line: what"
};

/// When a target last acted, by direction, as the policy context's cooldowns need it. An action
/// counts from the first time its decision was journaled as Planned (dry-run), Acting, Applied
/// or Verified: once it may have touched the target.
struct TargetActions {
  std::optional<TimePoint> last_scale_up;
  std::optional<TimePoint> last_scale_down;
  std::optional<TimePoint> last_restart;
  std::optional<TimePoint> last_rollback;
  std::optional<TimePoint> last_action() const;
};

/// Thread-safety: every method may be called from any thread; one mutex serialises them (an
/// append holds it through its fdatasync). A writable journal holds an exclusive flock on
/// `<dir>/journal.lock` so two agents cannot interleave writes; read-only opens take no lock.
class Journal {
 public:
  /// Opens (creating the directory if needed) and replays the journal. nullptr and `error` set
  /// when the directory cannot be used or another process holds it.
  static std::unique_ptr<Journal> open(const JournalOptions& options, std::string* error);
  /// For the CLI: replays the journal of a running or stopped agent without locking it.
  /// append() on it fails.
  static std::unique_ptr<Journal> open_read_only(const std::string& dir, std::string* error,
                                                 std::size_t max_in_memory = 10000);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// Writes the decision's current state as one line, durably. Never throws.
  JournalResult append(const Decision& d);
  /// A fresh decision id, "d-" + at least 6 digits, unique across restarts of this journal.
  std::string next_id();

  /// The latest state of `id`; looked up on disk when it is no longer held in memory.
  std::optional<Decision> get(const std::string& id) const;
  /// Latest states, newest first (by creation time), optionally of one target name only;
  /// limit 0 = all held in memory.
  std::vector<Decision> list(const std::string& target = "", std::size_t limit = 100) const;
  /// Decisions not in a terminal state (to resume verification or approval), oldest first.
  std::vector<Decision> pending() const;
  TargetActions last_actions(const std::string& namespace_, const std::string& target) const;

  ReplayStats replay_stats() const;
  std::uint64_t next_seq() const;
  std::size_t size() const;  // decisions held in memory
  bool read_only() const { return read_only_; }
  const std::string& dir() const { return options_.dir; }
  /// Segment files present, oldest first (full paths).
  std::vector<std::string> segments() const;

 private:
  struct Entry {
    Decision decision;
    std::uint64_t seq = 0;
  };
  struct TargetState {
    TargetActions times;
    // The decisions that set each time, kept whole so rotation can carry them forward.
    std::map<std::string, Decision> sources;  // by kind: scale_up, scale_down, restart, rollback
  };

  Journal(JournalOptions options, bool read_only);
  bool replay(std::string* error);
  void index(const Decision& d, std::uint64_t seq);
  JournalResult write_event(const Decision& d, bool may_rotate);  // mu_ held
  bool open_segment(std::uint64_t number, std::string* error);    // mu_ held
  JournalResult rotate();                                         // mu_ held
  std::optional<Decision> scan_disk(const std::string& id) const;

  const JournalOptions options_;
  const bool read_only_;
  mutable std::mutex mu_;
  int fd_ = -1;       // current segment, O_APPEND
  int lock_fd_ = -1;  // journal.lock, flock'ed while open (writable only)
  std::uint64_t segment_number_ = 0;
  std::uint64_t segment_bytes_ = 0;
  std::uint64_t carried_bytes_ = 0;  // of segment_bytes_, written by rotate()'s carry-forward
  bool need_newline_ =
      false;  // the segment may end in a partial line: start the next on a fresh one
  std::uint64_t next_seq_ = 1;
  std::uint64_t next_id_ = 1;
  ReplayStats replay_stats_;
  std::unordered_map<std::string, Entry> by_id_;
  std::deque<std::string> order_;                         // ids by first appearance, for eviction
  std::map<std::string, Decision> pending_;               // non-terminal, by id; never evicted
  std::unordered_map<std::string, TargetState> targets_;  // by "namespace/name"
};

}  // namespace opspilot::agent
