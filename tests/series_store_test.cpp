// SeriesStore: tier placement, roll-up means against a straightforward reference, gaps, late /
// future / non-finite points, tier choice for queries, memory per series, concurrent use.
#include "agent/store/series_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <thread>

namespace opspilot::agent {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2024-01-01T00:00:00Z: aligned to every tier step, so bucket boundaries are easy to reason about.
const TimePoint kStart = TimePoint(Duration(1'704'067'200'000));

std::int64_t ms(TimePoint t) { return t.time_since_epoch().count(); }
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

std::map<std::int64_t, double> as_map(const RangeResult& r) {
  std::map<std::int64_t, double> m;
  for (const auto& p : r.points) m[ms(p.t)] = p.value;
  return m;
}

TEST(SeriesStore, RawPointsLandInTheirStepSlots) {
  ManualClock clock(kStart + hours(1));
  SeriesStore store(clock);
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(store.append("checkout/load", kStart + seconds(15 * i + 3), i * 1.5),
              AppendStatus::Ok);
  auto r = store.range("checkout/load", kStart, kStart + minutes(10));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->tier, 0u);
  EXPECT_EQ(r->step, Duration(seconds(15)));
  ASSERT_EQ(r->points.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(r->points[i].t, kStart + seconds(15 * i)) << "slot start, not the raw time";
    EXPECT_DOUBLE_EQ(r->points[i].value, i * 1.5);
  }
  auto last = store.latest("checkout/load");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->t, kStart + seconds(15 * 9 + 3)) << "latest keeps the exact time";
  EXPECT_DOUBLE_EQ(last->value, 13.5);
  EXPECT_FALSE(store.range("nope", kStart, kStart + hours(1)).has_value());
  EXPECT_FALSE(store.latest("nope").has_value());
}

// Ten days of jittered 15 s points with random gaps, duplicates in a slot and a few late points,
// checked bucket by bucket against means computed the obvious way.
TEST(SeriesStore, RollupsEqualReferenceMeans) {
  ManualClock clock(kStart);
  SeriesStore store(clock);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> noise(-5, 5);
  std::map<std::int64_t, double> ref_slots;  // slot start -> value (last wins)
  TimePoint t = kStart;
  const TimePoint end = kStart + hours(24 * 10);
  std::uint64_t late = 0;
  while (t < end) {
    const double v = 100 + 50 * std::sin(ms(t) / 3.6e6) + noise(rng);
    const int dice = static_cast<int>(rng() % 100);
    if (dice < 3) {
      t += minutes(40);  // a gap longer than a tier-2 bucket
      continue;
    }
    const TimePoint at = t + Duration(static_cast<std::int64_t>(rng() % 15000));
    clock.set(at);
    ASSERT_EQ(store.append("s", at, v), AppendStatus::Ok);
    ref_slots[floor_div(ms(at), 15000) * 15000] = v;
    if (dice < 8) {  // a second point in the same slot: last wins
      ASSERT_EQ(store.append("s", at, v + 1), AppendStatus::Ok);
      ref_slots[floor_div(ms(at), 15000) * 15000] = v + 1;
    }
    if (dice == 9 && t > kStart + minutes(1)) {  // out of order: dropped
      ASSERT_EQ(store.append("s", at - seconds(30), 1e9), AppendStatus::Late);
      ++late;
    }
    t += seconds(15);
  }
  std::map<std::int64_t, std::pair<double, int>> ref1, ref2;
  for (const auto& [slot, v] : ref_slots) {
    auto& a = ref1[floor_div(slot, 60000) * 60000];
    a.first += v;
    ++a.second;
    auto& b = ref2[floor_div(slot, 1800000) * 1800000];
    b.first += v;
    ++b.second;
  }
  const std::int64_t newest_slot = ref_slots.rbegin()->first;

  // Tier 0: the last 1440 slots exactly.
  auto r0 = store.range("s", TimePoint(Duration(newest_slot - 1439 * 15000)), end);
  ASSERT_TRUE(r0);
  EXPECT_EQ(r0->tier, 0u);
  auto got0 = as_map(*r0);
  std::size_t expect0 = 0;
  for (auto it = ref_slots.lower_bound(newest_slot - 1439 * 15000); it != ref_slots.end(); ++it) {
    ++expect0;
    ASSERT_TRUE(got0.count(it->first)) << "missing slot " << it->first;
    EXPECT_DOUBLE_EQ(got0[it->first], it->second);
  }
  EXPECT_EQ(got0.size(), expect0);

  // Tier 1: one day of 1-minute means.
  const std::int64_t newest_min = floor_div(newest_slot, 60000) * 60000;
  auto r1 = store.range("s", TimePoint(Duration(newest_min - 1439 * 60000)), end);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->tier, 1u);
  EXPECT_EQ(r1->step, Duration(minutes(1)));
  auto got1 = as_map(*r1);
  std::size_t expect1 = 0;
  for (auto it = ref1.lower_bound(newest_min - 1439 * 60000); it != ref1.end(); ++it) {
    ++expect1;
    ASSERT_TRUE(got1.count(it->first)) << "missing minute " << it->first;
    EXPECT_NEAR(got1[it->first], it->second.first / it->second.second, 1e-9);
  }
  EXPECT_EQ(got1.size(), expect1);

  // Tier 2: every 30-minute bucket since the start (10 days < 8 weeks).
  auto r2 = store.range("s", kStart, end);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->tier, 2u);
  auto got2 = as_map(*r2);
  EXPECT_EQ(got2.size(), ref2.size());
  for (const auto& [bucket, acc] : ref2) {
    ASSERT_TRUE(got2.count(bucket)) << "missing bucket " << bucket;
    EXPECT_NEAR(got2[bucket], acc.first / acc.second, 1e-9);
  }
  EXPECT_EQ(store.stats().late, late);
}

TEST(SeriesStore, GapsAreMissingPointsAndLongGapsClearTheRing) {
  ManualClock clock(kStart + hours(100));
  SeriesStore store(clock);
  for (int i = 0; i < 5; ++i) store.append("g", kStart + seconds(15 * i), 1);
  for (int i = 10; i < 12; ++i) store.append("g", kStart + seconds(15 * i), 2);
  auto r = store.range("g", kStart, kStart + minutes(5));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->points.size(), 7u);
  EXPECT_EQ(r->points[4].t, kStart + seconds(60));
  EXPECT_EQ(r->points[5].t, kStart + seconds(150));
  // A gap longer than tier 0 holds (6 h): tier 0 keeps only the new point.
  store.append("g", kStart + hours(7), 3);
  auto after = store.range("g", kStart + hours(7) - minutes(5), kStart + hours(8));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->tier, 0u);
  ASSERT_EQ(after->points.size(), 1u);
  EXPECT_DOUBLE_EQ(after->points[0].value, 3);
  // The old points are still in the roll-ups: tier 1 (one day) holds all 7 hours.
  auto old = store.range("g", kStart, kStart + hours(8));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->tier, 1u);
  ASSERT_EQ(old->points.size(), 4u);
  EXPECT_DOUBLE_EQ(old->points[0].value, 1);  // slots 0-3
  EXPECT_DOUBLE_EQ(old->points[1].value, 1);  // slot 4
  EXPECT_EQ(old->points[2].t, kStart + minutes(2));
  EXPECT_DOUBLE_EQ(old->points[2].value, 2);  // slots 10, 11
  EXPECT_EQ(old->points[3].t, kStart + hours(7));
  // Tier 2, asked for by step: the first bucket is the mean of all seven, (5*1 + 2*2) / 7.
  auto coarse = store.range("g", kStart, kStart + hours(8), minutes(30));
  ASSERT_TRUE(coarse);
  EXPECT_EQ(coarse->tier, 2u);
  ASSERT_EQ(coarse->points.size(), 2u);
  EXPECT_NEAR(coarse->points[0].value, 9.0 / 7.0, 1e-12);
  EXPECT_DOUBLE_EQ(coarse->points[1].value, 3);
}

TEST(SeriesStore, RejectsLateFutureAndNonFinitePointsAndCountsThem) {
  ManualClock clock(kStart);
  SeriesStore store(clock);
  EXPECT_EQ(store.append("x", kStart, std::nan("")), AppendStatus::Invalid);
  EXPECT_EQ(store.append("x", kStart, INFINITY), AppendStatus::Invalid);
  EXPECT_EQ(store.append("x", kStart, -INFINITY), AppendStatus::Invalid);
  EXPECT_EQ(store.stats().series, 0u) << "a rejected point must not create a series";
  EXPECT_EQ(store.append("x", kStart + minutes(5), 1), AppendStatus::Ok) << "within max_future";
  EXPECT_EQ(store.append("x", kStart + minutes(5) + Duration(1), 1), AppendStatus::Future);
  EXPECT_EQ(store.append("x", kStart + hours(24 * 365), 1), AppendStatus::Future);
  EXPECT_EQ(store.append("x", kStart + minutes(4), 7), AppendStatus::Late);
  EXPECT_EQ(store.append("x", kStart + minutes(5) - Duration(1), 8), AppendStatus::Late)
      << "the previous slot";
  clock.advance(minutes(1));
  EXPECT_EQ(store.append("x", kStart + minutes(5) + seconds(10), 9), AppendStatus::Ok)
      << "same slot as the newest: replaces it";
  auto r = store.range("x", kStart, kStart + hours(1));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->points.size(), 1u);
  EXPECT_DOUBLE_EQ(r->points[0].value, 9);
  const auto st = store.stats();
  EXPECT_EQ(st.invalid, 3u);
  EXPECT_EQ(st.future, 2u);
  EXPECT_EQ(st.late, 2u);
  EXPECT_EQ(st.appended, 2u);
  EXPECT_STREQ(to_string(AppendStatus::Late), "late");
}

TEST(SeriesStore, QueriesPickTheFinestTierHoldingFromAndHonourStepHints) {
  ManualClock clock(kStart + hours(24 * 3));
  SeriesStore store(clock);
  for (TimePoint t = kStart; t <= kStart + hours(24 * 3); t += seconds(15)) store.append("q", t, 1);
  const TimePoint now = clock.now();
  EXPECT_EQ(store.range("q", now - hours(1), now)->tier, 0u);
  EXPECT_EQ(store.range("q", now - hours(1), now)->points.size(), 241u);
  EXPECT_EQ(store.range("q", now - hours(12), now)->tier, 1u);
  EXPECT_EQ(store.range("q", now - hours(48), now)->tier, 2u);
  EXPECT_EQ(store.range("q", now - hours(1), now, minutes(1))->tier, 1u);
  EXPECT_EQ(store.range("q", now - hours(1), now, minutes(5))->tier, 1u);
  EXPECT_EQ(store.range("q", now - hours(1), now, hours(2))->tier, 2u);
  auto coarse = store.range("q", now - hours(1), now, hours(2));
  EXPECT_EQ(coarse->step, Duration(minutes(30)));
  EXPECT_EQ(coarse->points.size(), 3u) << "buckets overlapping the last hour";
  // Older than anything held: the coarsest tier answers with what it has.
  auto all = store.range("q", kStart - hours(24 * 100), now);
  EXPECT_EQ(all->tier, 2u);
  EXPECT_EQ(all->points.size(), 3u * 48 + 1);
  EXPECT_TRUE(store.range("q", now, now - hours(1))->points.empty()) << "to before from";
}

TEST(SeriesStore, ValidatesOptionsQuotingTheValue) {
  SeriesStoreOptions o;
  o.tiers[1].step = seconds(10);
  EXPECT_EQ(o.validate(),
            "series store tier 1: step must be longer than tier 0's step 15000 ms, got 10000 ms");
  o = SeriesStoreOptions::with_native_step(seconds(10));
  EXPECT_EQ(o.validate(), "");
  o.tiers[2].capacity = 0;
  EXPECT_NE(o.validate().find("tier 2: capacity must be at least 1"), std::string::npos);
  o = SeriesStoreOptions::with_native_step(Duration(0));
  EXPECT_NE(o.validate().find("step must be positive, got 0 ms"), std::string::npos);
  // An agent interval above a roll-up step drops that roll-up instead of failing.
  o = SeriesStoreOptions::with_native_step(seconds(90));
  ASSERT_EQ(o.tiers.size(), 2u);
  EXPECT_EQ(o.tiers[1].step, Duration(minutes(30)));
  EXPECT_EQ(o.validate(), "");
  ManualClock clock;
  o.tiers.clear();
  EXPECT_THROW(SeriesStore(clock, o), std::invalid_argument);
}

// 45 s does not divide 1 min: each minute holds the one or two slots that start in it, and the
// means still match a reference.
TEST(SeriesStore, NativeStepThatDoesNotDivideTheRollupStep) {
  ManualClock clock(kStart + hours(4));
  SeriesStore store(clock, SeriesStoreOptions::with_native_step(seconds(45)));
  std::map<std::int64_t, std::pair<double, int>> ref;
  for (int i = 0; i < 240; ++i) {
    const TimePoint t = kStart + seconds(45 * i);
    ASSERT_EQ(store.append("x", t, i), AppendStatus::Ok);
    auto& a = ref[floor_div(ms(t), 60000) * 60000];
    a.first += i;
    ++a.second;
  }
  auto r = store.range("x", kStart, kStart + hours(4), minutes(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tier, 1u);
  ASSERT_EQ(r->points.size(), ref.size());
  for (const auto& p : r->points) {
    const auto& a = ref.at(ms(p.t));
    EXPECT_DOUBLE_EQ(p.value, a.first / a.second);
  }
}

TEST(SeriesStore, CapsTheNumberOfSeries) {
  ManualClock clock(kStart);
  SeriesStoreOptions o;
  o.max_series = 3;
  SeriesStore store(clock, o);
  for (const char* id : {"s0", "s1", "s2"})
    EXPECT_EQ(store.append(id, kStart, 1), AppendStatus::Ok);
  EXPECT_EQ(store.append("s3", kStart, 1), AppendStatus::TooManySeries);
  EXPECT_EQ(store.append("s0", kStart + seconds(15), 1), AppendStatus::Ok)
      << "existing series still work";
  EXPECT_EQ(store.stats().refused, 1u);
  EXPECT_TRUE(store.remove("s0"));
  EXPECT_EQ(store.append("s3", kStart, 1), AppendStatus::Ok);
  EXPECT_EQ(store.ids(), (std::vector<std::string>{"s1", "s2", "s3"}));
}

TEST(SeriesStore, HandlesSkipTheLookupAndSurviveRemoval) {
  ManualClock clock(kStart);
  SeriesStore store(clock);
  SeriesHandle h = store.handle("h");
  ASSERT_TRUE(h);
  EXPECT_EQ(store.append(h, kStart, 5), AppendStatus::Ok);
  EXPECT_DOUBLE_EQ(store.latest("h")->value, 5);
  store.remove("h");
  EXPECT_EQ(store.append(h, kStart + seconds(15), 6), AppendStatus::Ok);
  EXPECT_FALSE(store.latest("h"));
}

long rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * ::sysconf(_SC_PAGESIZE);
}

TEST(SeriesStore, MemoryPerSeriesStaysUnder64KiB) {
  ManualClock clock(kStart + hours(24 * 56));
  SeriesStore store(clock);
  EXPECT_LE(store.stats().bytes_per_series, 64u * 1024);
  const long before = rss_bytes();
  const int n = 150;
  for (int i = 0; i < n; ++i) {
    char id[48];
    std::snprintf(id, sizeof id, "service-%d/load", i);
    // Full 8 weeks in tier 2, a day in tier 1, 6 h in tier 0 (all rings touched).
    TimePoint t = kStart;
    for (; t < kStart + hours(24 * 55); t += minutes(30)) store.append(id, t, 1);
    for (; t < kStart + hours(24 * 56 - 6); t += minutes(1)) store.append(id, t, 1);
    for (; t <= kStart + hours(24 * 56); t += seconds(15)) store.append(id, t, 1);
  }
  const auto st = store.stats();
  EXPECT_EQ(st.series, static_cast<std::size_t>(n));
  EXPECT_LE(st.bytes / n, 64u * 1024) << st.bytes;
  const long per_series_rss = (rss_bytes() - before) / n;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Sanitizers pad allocations and add shadow memory: only the accounting is checked here.
  std::cout << "[memory] " << per_series_rss
            << " bytes RSS per series (sanitizer build, not checked)\n";
#else
  EXPECT_LE(per_series_rss, 64 * 1024) << per_series_rss;
  std::cout << "[memory] " << per_series_rss << " bytes RSS per series\n";
#endif
  auto r = store.range("service-0/load", kStart, clock.now());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tier, 2u);
  EXPECT_EQ(r->points.size(), 2688u) << "8 weeks of 30-minute buckets, no gaps";
}

TEST(SeriesStore, ConcurrentWritersAndReaders) {
  ManualClock clock(kStart + hours(24));
  SeriesStore store(clock);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 2000; ++i) {
        char id[32];  // not "w" + to_string(): GCC 12 -O2 warns falsely on it (-Wrestrict)
        std::snprintf(id, sizeof id, "w%d/%d", w % 2, i % 10);
        store.append(id, kStart + seconds(15 * (i / 10)), i);
      }
    });
  }
  std::thread reader([&] {
    while (!stop) {
      for (const auto& id : store.ids()) {
        auto r = store.range(id, kStart, clock.now());
        if (r) {
          ASSERT_LE(r->points.size(), 1440u);
        }
      }
      store.stats();
    }
  });
  for (auto& t : threads) t.join();
  stop = true;
  reader.join();
  const auto st = store.stats();
  EXPECT_EQ(st.series, 20u);
  EXPECT_EQ(st.appended + st.late, 8000u);
}

}  // namespace
}  // namespace opspilot::agent
