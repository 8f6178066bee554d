#pragma once
// Bounded in-memory history of every signal the agent observes, for the predictors.
//
// Each series is a few tiers of fixed-step rings with no per-point timestamps: a tier is a step,
// the index of its newest bucket and a ring of doubles (NaN = gap). Tier 0 holds raw points at
// the native step; each coarser tier holds the mean of the points that fell in its bucket. With
// the defaults (15 s x 1440 = 6 h, 1 min x 1440 = 1 day, 30 min x 2688 = 8 weeks) a series is
// 5,568 doubles = 43.5 KiB, allocated once when the series is created and never grown, so
// memory is a known function of the number of series (bounded by `max_series`).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/clock.h"

namespace opspilot::agent {

struct SeriesPoint {
  TimePoint t{};
  double value = 0;
};

/// What happened to one appended point. Everything but Ok means the point was not stored.
enum class AppendStatus {
  Ok,
  Late,           // older than the newest stored slot (out of order): dropped
  Future,         // further ahead of the clock than `max_future` (clock skew): rejected
  Invalid,        // NaN or infinite value: rejected
  TooManySeries,  // a new series would exceed `max_series`: refused
};
const char* to_string(AppendStatus s);

/// One tier: `capacity` buckets of `step` each.
struct TierSpec {
  Duration step{0};
  std::size_t capacity = 0;
};

struct SeriesStoreOptions {
  /// Tier 0 (raw points), then the roll-up tiers, finest first, each step longer than the one
  /// before. A roll-up bucket is the mean of the tier-0 slots that start inside it; when a step
  /// is not a whole multiple of tier 0's (e.g. 45 s under 1 min), buckets simply hold uneven
  /// numbers of slots, and some none.
  std::vector<TierSpec> tiers = {
      {std::chrono::seconds(15), 1440},
      {std::chrono::minutes(1), 1440},
      {std::chrono::minutes(30), 2688},
  };
  /// Points further ahead of the clock than this are rejected: accepting one would advance the
  /// ring past "now" and wipe real history.
  Duration max_future{std::chrono::minutes(5)};
  /// Hard cap on the number of series (memory bound: ~44 KiB each with the default tiers).
  std::size_t max_series = 20000;

  /// The default tiers with tier 0 at `native_step` (e.g. the agent's scrape interval); roll-up
  /// tiers not coarser than it are left out (a 90 s interval keeps only the 30 min roll-up).
  static SeriesStoreOptions with_native_step(Duration native_step);
  /// Empty when usable; otherwise what is wrong, quoting the offending value.
  std::string validate() const;
};

/// The answer to a range query. Gaps are omitted: callers see them as missing steps.
/// A point's time is the start of its slot or bucket, so the first point may lie up to one
/// `step` before the `from` asked for (the bucket that contains `from`).
struct RangeResult {
  std::size_t tier = 0;  // 0 = raw points, 1.. = roll-ups (bucket means)
  Duration step{0};
  std::vector<SeriesPoint> points;
};

struct SeriesStoreStats {
  std::size_t series = 0;
  std::size_t bytes = 0;             // heap held by the series (rings, bookkeeping, ids)
  std::size_t bytes_per_series = 0;  // what one more series costs
  std::uint64_t appended = 0;
  std::uint64_t late = 0;
  std::uint64_t future = 0;
  std::uint64_t invalid = 0;
  std::uint64_t refused = 0;  // TooManySeries
};

class StoredSeries;  // one series' tiers; defined in series_store.cpp
/// A stable reference to one series: append through it to skip the map lookup on hot paths.
/// Stays valid (and usable) after remove(); the series is freed when the last handle goes.
using SeriesHandle = std::shared_ptr<StoredSeries>;

/// Thread-safety: all methods may be called from any thread. A shared_mutex guards the map of
/// series (readers share it; only creating or removing a series takes it exclusively) and each
/// series has its own mutex, so appends to different series do not contend. Counters are
/// atomics. The clock must outlive the store.
class SeriesStore {
 public:
  /// Throws std::invalid_argument with validate()'s message for unusable options (start-up
  /// only; check validate() first to get the message as a value).
  explicit SeriesStore(const Clock& clock, SeriesStoreOptions options = {});
  ~SeriesStore();
  SeriesStore(const SeriesStore&) = delete;
  SeriesStore& operator=(const SeriesStore&) = delete;

  /// Stores one point of series `id` (created on first use). Late, future and non-finite points
  /// are counted and dropped; a second point in the same tier-0 slot replaces the first.
  AppendStatus append(const std::string& id, TimePoint t, double value);
  AppendStatus append(const SeriesHandle& series, TimePoint t, double value);
  /// The series `id`, created if needed; nullptr (and `status` TooManySeries) at the cap.
  SeriesHandle handle(const std::string& id, AppendStatus* status = nullptr);

  /// Points of `id` in [from, to] from the finest tier that still holds `from`; with a
  /// `step_hint` coarser than that tier, from the coarsest tier whose step is <= step_hint.
  /// When no tier reaches back to `from`, the coarsest tier answers with what it has.
  /// nullopt when the series does not exist.
  std::optional<RangeResult> range(const std::string& id, TimePoint from, TimePoint to,
                                   Duration step_hint = Duration(0)) const;
  /// The last point stored, with its exact time (not rounded to a slot).
  std::optional<SeriesPoint> latest(const std::string& id) const;

  bool remove(const std::string& id);
  std::vector<std::string> ids() const;
  SeriesStoreStats stats() const;
  const SeriesStoreOptions& options() const { return options_; }

 private:
  SeriesHandle find(const std::string& id) const;
  AppendStatus count(AppendStatus s);

  const Clock& clock_;
  const SeriesStoreOptions options_;
  std::size_t series_bytes_ = 0;  // cost of one series, computed once from the tiers
  mutable std::shared_mutex map_mu_;
  std::unordered_map<std::string, SeriesHandle> series_;
  std::atomic<std::uint64_t> appended_{0}, late_{0}, future_{0}, invalid_{0}, refused_{0};
};

}  // namespace opspilot::agent
