// Series store: memory for 10,000 series holding 8 weeks, and append / query throughput.
//
// Filling 8 weeks at 15 s would be 3.2 billion appends for 10,000 series; the fill instead
// appends, per series, 8 weeks at 30 min, then the last day at 1 min, then the last 6 h at 15 s,
// all through the public append path. That fills every tier completely (2688 + 1440 + 1440
// buckets), which is what memory depends on. Each fill runs in a fresh child process, so the
// RSS delta it reports is the store's alone (not pages an earlier repetition left behind).
//
// Targets (printed at the end as TARGET lines, medians of the repetitions):
//   bytes per series holding 8 weeks <= 64 KiB;  10,000 series resident < 1 GiB.
#include <benchmark/benchmark.h>

#include "bench/bench_support.h"
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/store/series_store.h"

namespace {

using opspilot::agent::AppendStatus;
using opspilot::agent::Duration;
using opspilot::agent::ManualClock;
using opspilot::agent::SeriesHandle;
using opspilot::agent::SeriesStore;
using opspilot::agent::TimePoint;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int kSeries = 10000;
const TimePoint kNow = TimePoint(Duration(1'709'251'200'000));  // 2024-03-01T00:00:00Z

std::string series_id(int i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "service-%05d/load", i);
  return buf;
}

long rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long total = 0, resident = 0;
  statm >> total >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

// 8 weeks at 30 min, the last day at 1 min, the last 6 h at 15 s: every tier full.
std::uint64_t fill_series(SeriesStore& store, const std::string& id) {
  std::uint64_t n = 0;
  double v = 100;
  TimePoint t = kNow - hours(24 * 56);
  auto add = [&](TimePoint at) {
    v = v * 0.999 + 0.1 * static_cast<double>(n % 17);
    n += store.append(id, at, v) == AppendStatus::Ok;
  };
  for (; t < kNow - hours(24); t += minutes(30)) add(t);
  for (; t < kNow - hours(6); t += minutes(1)) add(t);
  for (; t <= kNow; t += seconds(15)) add(t);
  return n;
}

struct FillResult {
  double seconds = 0;
  double appends = 0;
  double accounted_bytes = 0;
  double rss_delta_bytes = 0;
  double series = 0;
};

FillResult fill_in_child() {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    ManualClock clock(kNow);
    const long before = rss_bytes();
    FillResult r;
    {
      SeriesStore store(clock);
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < kSeries; ++i)
        r.appends += static_cast<double>(fill_series(store, series_id(i)));
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      r.rss_delta_bytes = static_cast<double>(rss_bytes() - before);
      const auto st = store.stats();
      r.accounted_bytes = static_cast<double>(st.bytes);
      r.series = static_cast<double>(st.series);
      ssize_t w = ::write(fds[1], &r, sizeof r);
      ::_exit(w == sizeof r ? 0 : 1);  // skip freeing 450 MB: the process ends here
    }
  }
  ::close(fds[1]);
  FillResult r;
  const ssize_t n = ::read(fds[0], &r, sizeof r);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (n != sizeof r) return {};
  return r;
}

void BM_Fill10kSeries8Weeks(benchmark::State& state) {
  for (auto _ : state) {
    const FillResult r = fill_in_child();
    if (r.series != kSeries) {
      state.SkipWithError("fill child failed");
      return;
    }
    state.SetIterationTime(r.seconds);
    state.counters["appends_per_s"] = r.appends / r.seconds;
    state.counters["bytes_per_series_accounted"] = r.accounted_bytes / kSeries;
    state.counters["bytes_per_series_rss"] = r.rss_delta_bytes / kSeries;
    state.counters["rss_mib"] = r.rss_delta_bytes / (1024.0 * 1024.0);
  }
}
BENCHMARK(BM_Fill10kSeries8Weeks)
    ->Iterations(1)
    ->Repetitions(3)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

// Steady state: each of 10,000 series gets its next 15 s point, by id (map lookup included).
struct SteadyStore {
  ManualClock clock{kNow};
  SeriesStore store{clock};
  std::vector<std::string> ids;
  std::vector<SeriesHandle> handles;
  TimePoint t = kNow;
  SteadyStore() {
    for (int i = 0; i < kSeries; ++i) {
      ids.push_back(series_id(i));
      handles.push_back(store.handle(ids.back()));
    }
  }
};
SteadyStore& steady() {
  static SteadyStore s;
  return s;
}

void BM_AppendById(benchmark::State& state) {
  auto& s = steady();
  std::size_t i = 0;
  for (auto _ : state) {
    if (i == s.ids.size()) {
      i = 0;
      s.t += seconds(15);
      s.clock.set(s.t);
    }
    benchmark::DoNotOptimize(s.store.append(s.ids[i++], s.t, 42.0));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendById)->Repetitions(3);

void BM_AppendByHandle(benchmark::State& state) {
  auto& s = steady();
  std::size_t i = 0;
  for (auto _ : state) {
    if (i == s.handles.size()) {
      i = 0;
      s.t += seconds(15);
      s.clock.set(s.t);
    }
    benchmark::DoNotOptimize(s.store.append(s.handles[i++], s.t, 42.0));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendByHandle)->Repetitions(3);

// Queries against full series: the last hour (tier 0, 241 points), the last day (tier 1, 1440),
// 8 weeks (tier 2, 2688).
SeriesStore& query_store() {
  static ManualClock clock(kNow);
  static SeriesStore store(clock);
  static bool filled = [] {
    for (int i = 0; i < 64; ++i) fill_series(store, series_id(i));
    return true;
  }();
  (void)filled;
  return store;
}

void BM_Range(benchmark::State& state) {
  auto& store = query_store();
  const Duration span = Duration(state.range(0) * 1000);
  std::size_t points = 0;
  int i = 0;
  for (auto _ : state) {
    auto r = store.range(series_id(i++ & 63), kNow - span, kNow);
    points += r->points.size();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(points));
  state.counters["points_per_query"] =
      static_cast<double>(points) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Range)->Arg(3600)->Arg(86400 - 60)->Arg(56 * 86400 - 1800)->Repetitions(3);

void BM_Latest(benchmark::State& state) {
  auto& store = query_store();
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(store.latest(series_id(i++ & 63)));
}
BENCHMARK(BM_Latest)->Repetitions(3);


void target(const char* name, double measured, const char* unit, const char* op, double limit) {
  const bool pass = std::string(op) == "<=" ? measured <= limit : measured < limit;
  std::printf("TARGET %s: measured %.1f %s (target %s %.0f %s) -> %s\n", name, measured, unit, op,
              limit, unit, pass ? "PASS" : "FAIL");
}

}  // namespace

int main(int argc, char** argv) {
  opspilot::bench::MedianReporter reporter;
  if (!opspilot::bench::run_benchmarks(&argc, argv, reporter)) return 1;

  std::printf("\n");
  for (const auto& [name, run] : reporter.medians) {
    if (name.rfind("BM_Fill10kSeries8Weeks", 0) == 0) {
      const auto& c = run.counters;
      std::printf("MEASURED fill: %.2f M appends/s through append(id, ...) (median of %lld)\n",
                  c.at("appends_per_s").value / 1e6, static_cast<long long>(run.repetitions));
      target("bytes_per_series_8_weeks_rss", c.at("bytes_per_series_rss").value / 1024, "KiB",
             "<=", 64);
      target("bytes_per_series_8_weeks_accounted", c.at("bytes_per_series_accounted").value / 1024,
             "KiB", "<=", 64);
      target("rss_10000_series_8_weeks", c.at("rss_mib").value, "MiB", "<", 1024);
    } else if (run.counters.count("items_per_second")) {
      std::printf("MEASURED %s: %.2f M items/s, %.1f ns per call (median)\n", name.c_str(),
                  run.counters.at("items_per_second").value / 1e6, run.GetAdjustedRealTime());
    } else {
      std::printf("MEASURED %s: %.1f ns per call (median)\n", name.c_str(),
                  run.GetAdjustedRealTime());
    }
  }
  if (reporter.medians.empty()) std::printf("no medians: run with the default repetitions\n");
  return 0;
}
