#pragma once
// Sidecar mode: observe a target by scraping its own /metrics endpoint and evaluating each
// signal's query (the PromQL subset of promql_subset.h) on what was scraped. Rates need history,
// so the source keeps, per target, a bounded history of exactly the series its queries read.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/config/config.h"
#include "agent/source/exposition.h"
#include "agent/source/observation.h"
#include "agent/source/promql_subset.h"

namespace opspilot::agent {

/// The scraped history of one target's queried series: per series its labels and a ring of
/// (time, value) points. Bounded: at most `max_series` series and `max_points` points each;
/// trim() cuts points older than a window and forgets series that stopped appearing.
/// Thread-safety: none; ScrapeSource guards each target's history with that target's mutex.
class SeriesHistory final : public promql::SeriesSource {
 public:
  enum class AddResult { Added, CounterReset, Duplicate, Full };

  SeriesHistory(std::size_t max_series, std::size_t max_points)
      : max_series_(max_series), max_points_(max_points < 2 ? 2 : max_points) {}

  /// Starts a new scrape: only series add()ed from now on are "current" for instant selectors.
  void begin_scrape(TimePoint now);

  /// Appends a finite sample. CounterReset when the value dropped below the previous point;
  /// Duplicate (not stored) when `t` is not after the series' newest point (an exposition that
  /// repeats an explicit timestamp); Full when the series is new and max_series are stored.
  AddResult add(std::string_view name, std::span<const exposition::Label> labels, TimePoint t,
                double value);

  /// For series named `metric`: drops points at or before `keep_after` (keeping the newest one),
  /// and forgets series not scraped since `forget_before`.
  void trim(std::string_view metric, TimePoint keep_after, TimePoint forget_before);

  /// Forgets every metric whose name is not in `names` (queries changed).
  void retain_only(const std::vector<std::string>& names);

  std::size_t series_count() const { return series_count_; }

  void for_each(std::string_view metric,
                const std::function<void(const promql::SeriesRef&)>& fn) const override;

 private:
  struct Series {
    promql::LabelPairs labels;
    std::vector<promql::Point> points;  // oldest first; erased from the front (small, bounded)
    std::uint64_t scrape = 0;           // the scrape it last appeared in
    TimePoint last_seen{};
  };
  using ByLabels = std::unordered_map<std::string, Series>;  // canonical label key -> series

  std::size_t max_series_;
  std::size_t max_points_;
  std::map<std::string, ByLabels, std::less<>> by_name_;
  std::size_t series_count_ = 0;
  std::uint64_t scrape_ = 0;
  TimePoint scrape_time_{};
  std::vector<exposition::Label> sorted_;  // reused per sample
  std::string key_;                        // reused per sample
};

/// Counters for the agent's own /metrics. A snapshot: plain values.
struct ScrapeStats {
  std::uint64_t scrapes = 0;          // scrapes attempted (one per observe() of a target)
  std::uint64_t scrape_errors = 0;    // scrapes that failed: transport error, timeout, non-2xx
  std::uint64_t samples = 0;          // sample lines read
  std::uint64_t bad_lines = 0;        // lines skipped as unreadable
  std::uint64_t nan_samples = 0;      // NaN/±Inf samples of queried metrics, skipped
  std::uint64_t counter_resets = 0;   // drops in a series read by rate()/irate()/increase()
  std::uint64_t series_rejected = 0;  // new series refused because the target's history was full
};

struct ScrapeOptions {
  std::size_t max_series_per_target = 10'000;
  std::size_t max_points_per_series = 4'096;
  /// Series not seen for this long (or the query's window, when longer) are forgotten.
  Duration forget_after{std::chrono::minutes(10)};
  std::chrono::milliseconds retry_base{100};
  std::chrono::milliseconds retry_cap{1000};
  std::size_t max_error_body = 300;  // characters of a failed response's body quoted in errors
};

/// MetricSource for sidecar mode (see the top of this header).
///
/// Per observe(target, now): GET target.scrape_url (Accept: OpenMetrics, then text 0.0.4) with
/// ScrapeSpec's timeout and `retries` retries after the first try; parse; append the samples of
/// queried metrics to the target's history at `now` (or at the sample's own timestamp); evaluate
/// every signal. A failed scrape makes every signal Error, quoting the status and a trimmed body
/// or the transport error; a query outside the subset is Error with its column; no data (no
/// matching series, fewer than two scrapes in a rate's window, NaN quantile) is Missing with the
/// reason. Parsed queries are cached per (target, role) and re-parsed when their text changes.
///
/// Thread-safety: observe() may run concurrently for different targets (each target's state has
/// its own mutex; calls for the same target are serialised). Each thread uses its own
/// thread_local HttpClient. stats() may be called from any thread at any time.
class ScrapeSource final : public MetricSource {
 public:
  static constexpr const char* kAccept =
      "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

  explicit ScrapeSource(ScrapeSpec spec, ScrapeOptions options = {});
  ~ScrapeSource() override;
  ScrapeSource(const ScrapeSource&) = delete;
  ScrapeSource& operator=(const ScrapeSource&) = delete;

  Observation observe(const TargetSpec& target, TimePoint now) override;
  /// Everything observe() does once a scrape has succeeded, on a body the caller already has:
  /// refresh the query cache, parse `body` (format from `content_type` and the body), append the
  /// queried series to the target's history at `now`, evaluate every signal, count the stats
  /// (one scrape). observe() is exactly its HTTP fetch followed by this. For benchmarks and
  /// sources that receive expositions by other means (pushed, read from a file). Does not need
  /// target.scrape_url. Same thread-safety as observe().
  Observation observe_payload(const TargetSpec& target, TimePoint now,
                              std::string_view content_type, std::string_view body);
  ScrapeStats stats() const;
  SourceStats source_stats() const override;

 private:
  struct TargetState;
  TargetState& state_for(const std::string& target_name);
  /// Re-parses queries whose text changed and recomputes the metrics read. `st.mu` held.
  void refresh_queries(TargetState& st, const TargetSpec& target);
  /// observe_payload()'s work after the cache refresh, on a successful scrape. `st.mu` held.
  void ingest(TargetState& st, const TargetSpec& target, TimePoint now,
              std::string_view content_type, std::string_view body, Observation& obs);

  ScrapeSpec spec_;
  ScrapeOptions options_;
  std::mutex targets_mu_;
  std::map<std::string, std::unique_ptr<TargetState>> targets_;

  std::atomic<std::uint64_t> scrapes_{0}, scrape_errors_{0}, samples_{0}, bad_lines_{0},
      nan_samples_{0}, counter_resets_{0}, series_rejected_{0};
};

}  // namespace opspilot::agent
