#include "agent/store/series_store.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace opspilot::agent {
namespace {

constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();
const double kGap = std::numeric_limits<double>::quiet_NaN();

// Bucket index of time `t_ms` at step `step_ms`, rounding towards minus infinity so times
// before 1970 still land in the right bucket.
std::int64_t floor_div(std::int64_t t_ms, std::int64_t step_ms) {
  std::int64_t q = t_ms / step_ms;
  if ((t_ms % step_ms != 0) && ((t_ms < 0) != (step_ms < 0))) --q;
  return q;
}

// Joins pieces with one allocation. Used instead of chains of `"text" + std::string&&`, on
// which GCC 12 at -O2 reports a false -Wrestrict (GCC bug 105329).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (auto p : parts) n += p.size();
  std::string s;
  s.reserve(n);
  for (auto p : parts) s.append(p);
  return s;
}

std::string describe(Duration d) { return cat({std::to_string(d.count()), " ms"}); }

}  // namespace

const char* to_string(AppendStatus s) {
  switch (s) {
    case AppendStatus::Ok: return "ok";
    case AppendStatus::Late: return "late";
    case AppendStatus::Future: return "future";
    case AppendStatus::Invalid: return "invalid";
    case AppendStatus::TooManySeries: return "too_many_series";
  }
  return "invalid";
}

SeriesStoreOptions SeriesStoreOptions::with_native_step(Duration native_step) {
  SeriesStoreOptions o;
  std::vector<TierSpec> tiers = {{native_step, o.tiers[0].capacity}};
  for (std::size_t i = 1; i < o.tiers.size(); ++i)
    if (o.tiers[i].step > native_step) tiers.push_back(o.tiers[i]);
  o.tiers = std::move(tiers);
  return o;
}

std::string SeriesStoreOptions::validate() const {
  if (tiers.empty()) return "series store: at least one tier is needed, got none";
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const auto& t = tiers[i];
    const std::string name = cat({"series store tier ", std::to_string(i)});
    if (t.step.count() <= 0) return cat({name, ": step must be positive, got ", describe(t.step)});
    if (t.capacity == 0) return name + ": capacity must be at least 1 point, got 0";
    if (t.capacity > (1u << 24))
      return cat(
          {name, ": capacity must be at most 16777216 points, got ", std::to_string(t.capacity)});
    if (i > 0 && t.step <= tiers[i - 1].step)
      return cat({name, ": step must be longer than tier ", std::to_string(i - 1), "'s step ",
                  describe(tiers[i - 1].step), ", got ", describe(t.step)});
  }
  if (max_future.count() < 0)
    return cat({"series store: max_future must not be negative, got ", describe(max_future)});
  if (max_series == 0) return "series store: max_series must be at least 1, got 0";
  return {};
}

class StoredSeries {
 public:
  // One tier of one series. `newest` is the bucket index (time / step) of the newest slot; the
  // ring holds buckets newest-capacity+1 .. newest, each at ring[bucket mod capacity]. For roll-up
  // tiers, `sum`/`count` accumulate the newest (still open) bucket, whose slot always holds the
  // running mean so queries see it before it completes.
  struct Tier {
    std::int64_t step_ms = 0;
    std::int64_t capacity = 0;
    double* ring = nullptr;  // points into StoredSeries::values_
    std::int64_t newest = kNone;
    std::int64_t first = kNone;  // first bucket ever written: tells whether anything was evicted
    std::size_t head = 0;        // == slot(newest), kept incrementally: no division per append
    double sum = 0;
    std::uint32_t count = 0;

    std::size_t slot(std::int64_t bucket) const {
      const std::int64_t m = bucket % capacity;
      return static_cast<std::size_t>(m < 0 ? m + capacity : m);
    }
    // Moves the newest slot forward to `bucket`, marking the buckets skipped over as gaps.
    void advance_to(std::int64_t bucket) {
      if (newest == kNone) {
        newest = first = bucket;
        head = slot(bucket);
        return;
      }
      const std::int64_t skipped = bucket - newest;
      if (skipped >= capacity) {
        std::fill(ring, ring + capacity, kGap);
        head = slot(bucket);
      } else {
        // Clear head+1 .. head+skipped, wrapping: at most two contiguous runs.
        const auto cap = static_cast<std::size_t>(capacity);
        const std::size_t n = static_cast<std::size_t>(skipped);
        const std::size_t first_run = std::min(n, cap - 1 - head);
        std::fill(ring + head + 1, ring + head + 1 + first_run, kGap);
        std::fill(ring, ring + (n - first_run), kGap);
        head = (head + n) % cap;
      }
      newest = bucket;
    }
    // Oldest bucket still held (never before the first one written).
    std::int64_t oldest() const { return std::max(first, newest - capacity + 1); }
    // Whether this tier still holds everything from `bucket` on (nothing newer evicted).
    bool holds(std::int64_t bucket) const {
      return newest != kNone && (first >= newest - capacity + 1 || bucket >= newest - capacity + 1);
    }
  };

  explicit StoredSeries(const std::vector<TierSpec>& specs) {
    std::size_t total = 0;
    for (const auto& s : specs) total += s.capacity;
    values_ = std::make_unique<double[]>(total);  // the one allocation of the series' data
    std::fill(values_.get(), values_.get() + total, kGap);
    tiers_.reserve(specs.size());
    double* p = values_.get();
    for (const auto& s : specs) {
      Tier t;
      t.step_ms = s.step.count();
      t.capacity = static_cast<std::int64_t>(s.capacity);
      t.ring = p;
      p += s.capacity;
      tiers_.push_back(t);
    }
  }

  // Caller has checked the value is finite and not too far in the future.
  AppendStatus append(TimePoint t, double v) {
    std::lock_guard lock(mu_);
    Tier& raw = tiers_[0];
    const std::int64_t bucket = floor_div(t.time_since_epoch().count(), raw.step_ms);
    if (raw.newest != kNone && bucket < raw.newest) return AppendStatus::Late;
    double replaced = kGap;
    if (raw.newest != kNone && bucket == raw.newest) {
      replaced = raw.ring[raw.head];  // same slot again: last wins
    } else {
      raw.advance_to(bucket);
    }
    raw.ring[raw.head] = v;
    // Roll-ups are keyed by the slot's start, not the raw time, so a slot and its replacement
    // always fold into the same bucket and the replacement can be undone exactly.
    const std::int64_t slot_start = bucket * raw.step_ms;
    for (std::size_t i = 1; i < tiers_.size(); ++i) {
      Tier& up = tiers_[i];
      const std::int64_t b = floor_div(slot_start, up.step_ms);
      if (up.newest == kNone || b > up.newest) {
        up.advance_to(b);
        up.sum = v;
        up.count = 1;
      } else if (!std::isnan(replaced)) {
        up.sum += v - replaced;
      } else {
        up.sum += v;
        ++up.count;
      }
      up.ring[up.head] = up.sum / up.count;
    }
    last_ = SeriesPoint{t, v};
    has_last_ = true;
    return AppendStatus::Ok;
  }

  RangeResult range(TimePoint from, TimePoint to, Duration step_hint) const {
    std::lock_guard lock(mu_);
    RangeResult r;
    const std::int64_t from_ms = from.time_since_epoch().count();
    const std::int64_t to_ms = to.time_since_epoch().count();
    std::size_t pick = tiers_.size() - 1;
    for (std::size_t i = 0; i < tiers_.size(); ++i) {
      if (tiers_[i].holds(floor_div(from_ms, tiers_[i].step_ms))) {
        pick = i;
        break;
      }
    }
    while (pick + 1 < tiers_.size() && tiers_[pick + 1].step_ms <= step_hint.count()) ++pick;
    const Tier& tier = tiers_[pick];
    r.tier = pick;
    r.step = Duration(tier.step_ms);
    if (tier.newest == kNone || to_ms < from_ms) return r;
    const std::int64_t lo = std::max(floor_div(from_ms, tier.step_ms), tier.oldest());
    const std::int64_t hi = std::min(floor_div(to_ms, tier.step_ms), tier.newest);
    if (hi < lo) return r;
    r.points.reserve(static_cast<std::size_t>(hi - lo + 1));
    std::size_t s = tier.slot(lo);
    for (std::int64_t b = lo; b <= hi; ++b) {
      const double v = tier.ring[s];
      if (!std::isnan(v)) r.points.push_back(SeriesPoint{TimePoint(Duration(b * tier.step_ms)), v});
      if (++s == static_cast<std::size_t>(tier.capacity)) s = 0;
    }
    return r;
  }

  std::optional<SeriesPoint> latest() const {
    std::lock_guard lock(mu_);
    if (!has_last_) return std::nullopt;
    return last_;
  }

 private:
  mutable std::mutex mu_;
  std::unique_ptr<double[]> values_;
  std::vector<Tier> tiers_;
  SeriesPoint last_;
  bool has_last_ = false;
};

SeriesStore::SeriesStore(const Clock& clock, SeriesStoreOptions options)
    : clock_(clock), options_(std::move(options)) {
  if (auto err = options_.validate(); !err.empty()) throw std::invalid_argument(err);
  std::size_t points = 0;
  for (const auto& t : options_.tiers) points += t.capacity;
  // Rings, the StoredSeries object and its tier table, the shared_ptr control block (make_shared
  // puts both in one block) and the hash-map node with its key.
  series_bytes_ = points * sizeof(double) + sizeof(StoredSeries) +
                  options_.tiers.size() * sizeof(StoredSeries::Tier) +
                  sizeof(std::pair<const std::string, SeriesHandle>) + 4 * sizeof(void*);
}

SeriesStore::~SeriesStore() = default;

AppendStatus SeriesStore::count(AppendStatus s) {
  switch (s) {
    case AppendStatus::Ok: appended_.fetch_add(1, std::memory_order_relaxed); break;
    case AppendStatus::Late: late_.fetch_add(1, std::memory_order_relaxed); break;
    case AppendStatus::Future: future_.fetch_add(1, std::memory_order_relaxed); break;
    case AppendStatus::Invalid: invalid_.fetch_add(1, std::memory_order_relaxed); break;
    case AppendStatus::TooManySeries: refused_.fetch_add(1, std::memory_order_relaxed); break;
  }
  return s;
}

SeriesHandle SeriesStore::find(const std::string& id) const {
  std::shared_lock lock(map_mu_);
  auto it = series_.find(id);
  return it == series_.end() ? nullptr : it->second;
}

SeriesHandle SeriesStore::handle(const std::string& id, AppendStatus* status) {
  if (status) *status = AppendStatus::Ok;
  if (auto s = find(id)) return s;
  std::unique_lock lock(map_mu_);
  auto it = series_.find(id);  // another thread may have created it meanwhile
  if (it != series_.end()) return it->second;
  if (series_.size() >= options_.max_series) {
    if (status) *status = AppendStatus::TooManySeries;
    return nullptr;
  }
  auto s = std::make_shared<StoredSeries>(options_.tiers);
  series_.emplace(id, s);
  return s;
}

AppendStatus SeriesStore::append(const std::string& id, TimePoint t, double value) {
  // Reject bad points before creating a series for them.
  if (!std::isfinite(value)) return count(AppendStatus::Invalid);
  if (t > clock_.now() + options_.max_future) return count(AppendStatus::Future);
  AppendStatus status;
  auto s = handle(id, &status);
  if (!s) return count(status);
  return count(s->append(t, value));
}

AppendStatus SeriesStore::append(const SeriesHandle& series, TimePoint t, double value) {
  if (!std::isfinite(value)) return count(AppendStatus::Invalid);
  if (t > clock_.now() + options_.max_future) return count(AppendStatus::Future);
  return count(series->append(t, value));
}

std::optional<RangeResult> SeriesStore::range(const std::string& id, TimePoint from, TimePoint to,
                                              Duration step_hint) const {
  auto s = find(id);
  if (!s) return std::nullopt;
  return s->range(from, to, step_hint);
}

std::optional<SeriesPoint> SeriesStore::latest(const std::string& id) const {
  auto s = find(id);
  if (!s) return std::nullopt;
  return s->latest();
}

bool SeriesStore::remove(const std::string& id) {
  std::unique_lock lock(map_mu_);
  return series_.erase(id) > 0;
}

std::vector<std::string> SeriesStore::ids() const {
  std::shared_lock lock(map_mu_);
  std::vector<std::string> out;
  out.reserve(series_.size());
  for (const auto& [id, s] : series_) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

SeriesStoreStats SeriesStore::stats() const {
  SeriesStoreStats st;
  {
    std::shared_lock lock(map_mu_);
    st.series = series_.size();
    st.bytes = series_.bucket_count() * sizeof(void*);
    for (const auto& [id, s] : series_) {
      st.bytes += series_bytes_;
      if (id.capacity() > 15) st.bytes += id.capacity() + 1;  // beyond the small-string buffer
    }
  }
  st.bytes_per_series = series_bytes_;
  st.appended = appended_.load(std::memory_order_relaxed);
  st.late = late_.load(std::memory_order_relaxed);
  st.future = future_.load(std::memory_order_relaxed);
  st.invalid = invalid_.load(std::memory_order_relaxed);
  st.refused = refused_.load(std::memory_order_relaxed);
  return st;
}

}  // namespace opspilot::agent
