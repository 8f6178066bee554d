// Streaming anomaly and incident detection: planted anomalies found with small delay, clean
// seasonal data left alone, burn-rate rules firing at their thresholds, a correlation break only
// the multivariate detector sees, bounded state and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "agent/predict/detect/detect_internal.h"
#include "agent/predict/detect/detector.h"

using namespace opspilot::agent::detect;

namespace {

constexpr double kT0 = 1'700'000'000;  // 2023-11-14 22:13:20 UTC
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Feeds `values` at `step` seconds from kT0; returns the signals.
std::vector<Signal> feed(SeriesDetector& d, const std::vector<double>& values, double step = 15) {
  std::vector<Signal> out;
  for (std::size_t i = 0; i < values.size(); ++i) out.push_back(d.update(kT0 + step * static_cast<double>(i), values[i]));
  return out;
}

std::vector<double> noise(std::size_t n, double mean, double sd, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(mean, sd);
  std::vector<double> v(n);
  for (double& x : v) x = g(rng);
  return v;
}

/// Defaults without the daily season: the detection tests below run for hours, not days (with
/// a season, learning lasts one whole season; the seasonal test covers that path).
DetectorOptions plain() {
  DetectorOptions o;
  o.season_seconds = 0;
  return o;
}

/// Index of the first anomalous signal at or after `from`, or -1.
long first_alarm(const std::vector<Signal>& s, std::size_t from = 0) {
  for (std::size_t i = from; i < s.size(); ++i)
    if (s[i].anomalous) return static_cast<long>(i);
  return -1;
}

std::size_t alarms(const std::vector<Signal>& s, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  const auto end = s.begin() + static_cast<std::ptrdiff_t>(std::min(to, s.size()));
  std::size_t k = 0;
  for (auto it = s.begin() + static_cast<std::ptrdiff_t>(std::min(from, s.size())); it < end; ++it) k += it->anomalous;
  return k;
}

}  // namespace

TEST(RobustWindow, FastPathEqualsASortingReference) {
  // The streaming window (sorted insert/evict, MAD by binary search over two sorted runs) must
  // agree exactly with sorting the last kCap values, on continuous and on quantized data.
  std::mt19937 rng(12);
  std::normal_distribution<double> g(0, 1);
  std::uniform_int_distribution<int> q(30, 34);
  for (int trial = 0; trial < 2000; ++trial) {
    opspilot::agent::detect::internal::RobustWindow w;
    std::vector<double> last;
    const int n = 1 + trial % 90;
    for (int i = 0; i < n; ++i) {
      const double x = trial % 2 ? g(rng) : q(rng);
      w.push(x);
      last.push_back(x);
      if (last.size() > w.kCap) last.erase(last.begin());
    }
    std::vector<double> sorted = last;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(w.size(), sorted.size());
    for (std::size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(w.sorted(i), sorted[i]);
    const double center = trial % 3 ? w.median() : g(rng);
    std::vector<double> dev;
    for (double x : last) dev.push_back(std::fabs(x - center));
    std::sort(dev.begin(), dev.end());
    ASSERT_DOUBLE_EQ(w.mad(center), dev[(dev.size() - 1) / 2]) << "trial " << trial;
    const double pos = 0.25 * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const double q1 = sorted[lo] + (sorted[std::min(lo + 1, sorted.size() - 1)] - sorted[lo]) * (pos - static_cast<double>(lo));
    ASSERT_DOUBLE_EQ(w.quantile(0.25), q1);
  }
}

TEST(SeriesDetector, WarmUpIsLearningNeverAnAlarm) {
  DetectorOptions o = plain();
  o.warmup_points = 50;
  SeriesDetector d("load", o);
  auto v = noise(50, 100, 5, 1);
  v[20] = 1e6;  // even a wild value in warm-up is not an alarm
  const auto s = feed(d, v);
  for (const auto& sig : s) {
    EXPECT_TRUE(sig.learning);
    EXPECT_EQ(sig.score, 0);
    EXPECT_FALSE(sig.anomalous);
    EXPECT_EQ(sig.explanation, "learning");
  }
  EXPECT_FALSE(d.learning());
  EXPECT_FALSE(d.update(kT0 + 15 * 50, 100).learning);
  SeriesDetector e("load", o);
  feed(e, noise(49, 100, 5, 1));
  EXPECT_TRUE(e.learning());
}

TEST(SeriesDetector, FindsASpikeAtOnceAndLetsGo) {
  SeriesDetector d("latency_ms", plain());
  auto v = noise(800, 100, 5, 2);
  v[500] = 160;  // 12 sigma
  const auto s = feed(d, v);
  EXPECT_EQ(alarms(s, 0, 500), 0u) << "false alarm at " << first_alarm(s);
  ASSERT_TRUE(s[500].anomalous);
  EXPECT_GT(s[500].score, 0.9);
  EXPECT_NE(s[500].explanation.find("latency_ms 160"), std::string::npos) << s[500].explanation;
  EXPECT_NE(s[500].explanation.find("above"), std::string::npos) << s[500].explanation;
  EXPECT_LE(alarms(s, 501), 3u) << "one spike must not hold the alarm";
}

TEST(SeriesDetector, FindsALevelShiftWithSmallDelay) {
  SeriesDetector d("queue_depth", plain());
  auto v = noise(900, 50, 2, 3);
  for (std::size_t i = 600; i < v.size(); ++i) v[i] += 6;  // +3 sigma, lasting
  const auto s = feed(d, v);
  EXPECT_EQ(alarms(s, 0, 600), 0u) << "false alarm at " << first_alarm(s);
  const long at = first_alarm(s, 600);
  ASSERT_GE(at, 600);
  EXPECT_LE(at - 600, 15) << "detected " << at - 600 << " points late";
  ASSERT_TRUE(s[at].since.has_value());
  EXPECT_NEAR(*s[at].since, kT0 + 15 * 600, 15 * 15);
  // The shift lasts, and so does the alarm (the baseline does not learn anomalous points).
  EXPECT_GE(alarms(s, 620), 250u);
}

TEST(SeriesDetector, FindsAVarianceShift) {
  SeriesDetector d("cpu", plain());
  auto v = noise(900, 40, 1, 4);
  const auto wild = noise(300, 0, 4, 5);
  for (std::size_t i = 600; i < v.size(); ++i) v[i] = 40 + wild[i - 600];  // sigma x4, same mean
  const auto s = feed(d, v);
  EXPECT_EQ(alarms(s, 0, 600), 0u) << "false alarm at " << first_alarm(s);
  const long at = first_alarm(s, 600);
  ASSERT_GE(at, 600);
  EXPECT_LE(at - 600, 20) << "detected " << at - 600 << " points late";
}

TEST(SeriesDetector, NoAlarmsOnTwoWeeksOfCleanSeasonalData) {
  // Two weeks at 5-minute steps: a daily cycle (quiet nights, busy days), lighter weekends,
  // multiplicative noise. Nothing here is an incident.
  const double step = 300;
  const std::size_t n = 14 * 288;
  std::mt19937 rng(6);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = kT0 + step * static_cast<double>(i);
    const double day = std::fmod(t, 86400) / 86400;
    const int weekday = static_cast<int>(std::floor(t / 86400) + 4) % 7;  // 0 = Sunday
    const double weekend = (weekday == 0 || weekday == 6) ? 0.6 : 1.0;
    const double level = 200 + 150 * weekend * (0.5 - 0.5 * std::cos(2 * M_PI * (day - 0.1)));
    v[i] = level * (1 + 0.05 * g(rng));
  }
  {
    SeriesDetector d("requests_per_second");  // defaults: a daily season
    const auto s = feed(d, v, step);
    EXPECT_EQ(alarms(s), 0u) << "first false alarm at point " << first_alarm(s) << ": "
                             << (first_alarm(s) >= 0 ? s[first_alarm(s)].explanation : "");
  }
  {
    // Without a season, two weeks of stationary noise are just as quiet.
    DetectorOptions o;
    o.season_seconds = 0;
    SeriesDetector d("queue_depth", o);
    const auto s = feed(d, noise(n, 40, 4, 13), step);
    EXPECT_EQ(alarms(s), 0u) << "first false alarm at point " << first_alarm(s) << ": "
                             << (first_alarm(s) >= 0 ? s[first_alarm(s)].explanation : "");
  }
  // The seasonal model still sees a value that is normal at noon but not at 3 am.
  SeriesDetector d("requests_per_second");
  auto w = v;
  const std::size_t night = 12 * 288 + 36;  // day 12, 03:00 or so
  for (std::size_t i = night; i < night + 6; ++i) w[i] = 330;
  const auto s = feed(d, w, step);
  EXPECT_GE(alarms(s, night, night + 6), 4u) << s[night].explanation;
}

TEST(SeriesDetector, ConstantSeriesNeitherDividesByZeroNorAlarmsForever) {
  SeriesDetector d("replicas", plain());
  std::vector<double> v(1000, 42);
  v[600] = 43;  // one wiggle
  const auto s = feed(d, v);
  for (const auto& sig : s) ASSERT_TRUE(std::isfinite(sig.score)) << sig.explanation;
  EXPECT_EQ(alarms(s, 0, 600), 0u);
  EXPECT_EQ(alarms(s, 620), 0u) << "the wiggle is long gone";
  // A lasting change on a constant series is an alarm, and after relearn_after_points it is the
  // new normal.
  DetectorOptions o = plain();
  o.relearn_after_points = 300;
  SeriesDetector e("replicas", o);
  std::vector<double> w(1600, 42);
  for (std::size_t i = 600; i < w.size(); ++i) w[i] = 50;
  const auto t = feed(e, w);
  EXPECT_TRUE(t[600].anomalous);
  EXPECT_EQ(alarms(t, 1300), 0u);
}

TEST(SeriesDetector, BadInputIsCountedAndChangesNothing) {
  DetectorOptions o = plain();
  o.warmup_points = 20;
  SeriesDetector d("errors", o);
  SeriesDetector twin("errors", o);
  const auto v = noise(100, 10, 1, 7);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double t = kT0 + 15.0 * static_cast<double>(i);
    const Signal a = d.update(t, v[i]);
    twin.update(t, v[i]);
    if (i == 50) {
      const Signal gap = d.update(t + 1, kNaN);
      EXPECT_NE(gap.explanation.find("gap"), std::string::npos) << gap.explanation;
      const Signal inf = d.update(t + 2, INFINITY);
      EXPECT_NE(inf.explanation.find("not finite"), std::string::npos) << inf.explanation;
      const Signal dup = d.update(t, v[i]);
      EXPECT_NE(dup.explanation.find("duplicate or out of order"), std::string::npos) << dup.explanation;
      const Signal old = d.update(t - 100, 1e9);
      EXPECT_FALSE(old.anomalous);
      EXPECT_EQ(old.score, 0);
      (void)a;
    }
  }
  const InputCounts c = d.input_counts();
  EXPECT_EQ(c.accepted, 100u);
  EXPECT_EQ(c.gaps, 1u);
  EXPECT_EQ(c.non_finite, 1u);
  EXPECT_EQ(c.out_of_order, 2u);
  // Same state as a detector that never saw the bad input.
  const double t = kT0 + 15.0 * 100;
  EXPECT_DOUBLE_EQ(d.update(t, 25).score, twin.update(t, 25).score);
}

TEST(SeriesDetector, StateIsBoundedAndSaysWhy) {
  SeriesDetector d("http_requests_total{job=\"api\"}");  // defaults: a daily season, 48 phases
  const auto v = noise(8000, 100, 5, 8);
  const std::size_t before = d.state_bytes();
  feed(d, v, 15);  // 33 hours: past the season-long learning phase
  EXPECT_EQ(d.state_bytes(), before) << "state must not grow with the stream";
  EXPECT_LE(d.state_bytes(), 2048u);
  const auto parts = d.last_signals();
  ASSERT_GE(parts.size(), 5u);
  for (const auto& p : parts) {
    EXPECT_FALSE(p.detector.empty());
    EXPECT_FALSE(p.explanation.empty()) << p.detector;
    EXPECT_GE(p.score, 0);
    EXPECT_LE(p.score, 1);
  }
}

TEST(SeriesDetector, ReportsChangepoints) {
  SeriesDetector d("flow", plain());
  auto v = noise(800, 30, 1, 9);
  for (std::size_t i = 500; i < v.size(); ++i) v[i] -= 3;
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < v.size(); ++i) {
    d.update(kT0 + static_cast<double>(i), v[i]);
    if (d.last_change() > 0) at.push_back(i);
  }
  ASSERT_FALSE(at.empty());
  bool near = false;
  for (std::size_t i : at) near |= i >= 500 && i <= 512;
  EXPECT_TRUE(near) << "first changepoint at " << at.front();
  EXPECT_LE(at.size(), 6u);
  d.update(kT0 + 900, 27);
}

TEST(Registry, BuiltinsByNameRefusingDuplicates) {
  const auto names = detector_names();
  for (const char* n : {"robust-z", "iqr", "seasonal-residual", "cusum", "combined", "burn-rate"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  EXPECT_EQ(make_detector("no-such-detector", {}), nullptr);
  EXPECT_FALSE(register_detector("iqr", [](const DetectorOptions& o) { return make_detector("robust-z", o); }));
  EXPECT_FALSE(register_detector("", [](const DetectorOptions& o) { return make_detector("robust-z", o); }));
  EXPECT_TRUE(register_detector("test-alias", [](const DetectorOptions& o) { return make_detector("robust-z", o); }));
  EXPECT_NE(make_detector("test-alias", {}), nullptr);
  for (const auto& n : names) {
    auto d = make_detector(n, {});
    ASSERT_NE(d, nullptr) << n;
    EXPECT_EQ(d->name(), n);
    for (int i = 0; i < 400; ++i) d->update(kT0 + i, n == "burn-rate" ? 0.0001 : 5.0 + (i % 3));
    EXPECT_LE(d->state_bytes(), 2048u + 1024u) << n;
    EXPECT_EQ(d->input_counts().accepted, 400u) << n;
  }
}

TEST(MultivariateDetector, CatchesACorrelationBreakNoSingleSeriesShows) {
  // Requests and CPU move together; then CPU runs opposite to requests. Each series alone stays
  // within its usual range.
  std::mt19937 rng(10);
  std::normal_distribution<double> g(0, 1);
  const std::size_t n = 1400, brk = 1000;
  std::vector<double> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = g(rng);
    a[i] = 100 + 10 * x;
    b[i] = 50 + 5 * (i < brk ? x : -x) + 0.5 * g(rng);
  }
  MultivariateDetector m({"requests", "cpu"});
  SeriesDetector sa("requests", plain()), sb("cpu", plain());
  std::vector<Signal> ms, ua, ub;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = kT0 + 15.0 * static_cast<double>(i);
    ms.push_back(m.update(t, {a[i], b[i]}));
    ua.push_back(sa.update(t, a[i]));
    ub.push_back(sb.update(t, b[i]));
  }
  EXPECT_EQ(alarms(ms, 0, brk), 0u) << "false alarm at " << first_alarm(ms) << ": " << ms[first_alarm(ms)].explanation;
  EXPECT_EQ(alarms(ua), 0u);
  EXPECT_EQ(alarms(ub), 0u) << ub[first_alarm(ub)].explanation;
  const long at = first_alarm(ms, brk);
  ASSERT_GE(at, static_cast<long>(brk));
  EXPECT_LE(at - static_cast<long>(brk), 10);
  EXPECT_GE(alarms(ms, brk), (n - brk) / 2);
  EXPECT_NE(ms[at].explanation.find("Mahalanobis"), std::string::npos) << ms[at].explanation;
  const auto c = m.last_contributions();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NEAR(c[0] + c[1], 1.0, 1e-9);
  EXPECT_LE(m.state_bytes(), 2048u);
}

TEST(MultivariateDetector, RefusesRowsOfTheWrongShape) {
  MultivariateDetector m({"a", "b", "c"});
  const Signal s = m.update(kT0, {1, 2});
  EXPECT_NE(s.explanation.find("expected 3"), std::string::npos) << s.explanation;
  m.update(kT0 + 1, {1, kNaN, 3});
  m.update(kT0 + 2, {1, 2, 3});
  m.update(kT0 + 2, {1, 2, 3});
  EXPECT_EQ(m.input_counts().accepted, 1u);
  EXPECT_EQ(m.input_counts().gaps, 1u);
  EXPECT_EQ(m.input_counts().non_finite, 1u);
  EXPECT_EQ(m.input_counts().out_of_order, 1u);
  EXPECT_TRUE(m.learning());
}

namespace {
/// Feeds `minutes` of per-minute counts with a constant error ratio; returns the last signal.
Signal burn_for(BurnRate& b, double& t, double minutes, double error_ratio) {
  Signal s;
  for (int i = 0; i < minutes; ++i, t += 60) s = b.update_counts(t, 1000 * (1 - error_ratio), 1000);
  return s;
}
bool firing(const BurnRate& b, const std::string& severity, double factor) {
  for (const auto& a : b.alerts())
    if (a.firing && a.window.severity == severity && a.window.factor == factor) return true;
  return false;
}
}  // namespace

TEST(BurnRate, MultiWindowRulesFireAtTheirThresholds) {
  // A 99.9% SLO: the budget is a 0.1% error ratio.
  {
    BurnRate b("checkout");
    double t = kT0;
    burn_for(b, t, 3 * 24 * 60, 0.0005);  // 0.5x for three days: nothing fires
    for (const auto& a : b.alerts()) EXPECT_FALSE(a.firing) << a.window.factor;
    EXPECT_NEAR(b.burn_rate(3600), 0.5, 0.01);
  }
  {
    BurnRate b("checkout");
    double t = kT0;
    const Signal s = burn_for(b, t, 3 * 24 * 60, 0.005);  // 5x: tickets (3x, 1x), no page (6x, 14.4x)
    EXPECT_TRUE(firing(b, "ticket", 3));
    EXPECT_TRUE(firing(b, "ticket", 1));
    EXPECT_FALSE(firing(b, "page", 6));
    EXPECT_FALSE(firing(b, "page", 14.4));
    EXPECT_TRUE(s.anomalous);
    EXPECT_GE(s.score, 0.6);
    EXPECT_LT(s.score, 0.9);
  }
  {
    BurnRate b("checkout");
    double t = kT0;
    burn_for(b, t, 120, 0.0);
    const Signal s = burn_for(b, t, 65, 0.02);  // 20x for over an hour: page
    EXPECT_TRUE(firing(b, "page", 14.4));
    EXPECT_GE(s.score, 0.9);
    EXPECT_NE(s.explanation.find("14.4x page threshold"), std::string::npos) << s.explanation;
    ASSERT_TRUE(s.since.has_value());
    // Errors stop: the 5-minute window clears within ~6 minutes and the page stops though the
    // hour still burns above 14.4x (the short window is what makes alerts reset quickly).
    burn_for(b, t, 7, 0.0);
    EXPECT_GE(b.burn_rate(3600), 14.4);
    EXPECT_FALSE(firing(b, "page", 14.4));
  }
  {
    // Five minutes at 50x in an otherwise clean day is not a page: the hour averages ~4x.
    BurnRate b("checkout");
    double t = kT0;
    burn_for(b, t, 24 * 60, 0.0);
    burn_for(b, t, 5, 0.05);
    EXPECT_GE(b.burn_rate(300), 40);
    EXPECT_LT(b.burn_rate(3600), 14.4);
    EXPECT_FALSE(firing(b, "page", 14.4));
  }
}

TEST(BurnRate, RatioSeriesBadInputAndBoundedState) {
  BurnRate b("5xx ratio");
  double t = kT0;
  for (int i = 0; i < 10000; ++i, t += 15) b.update_ratio(t, 0.0001);
  const std::size_t bytes = b.state_bytes();
  for (int i = 0; i < 10000; ++i, t += 15) b.update_ratio(t, 0.0001);
  EXPECT_EQ(b.state_bytes(), bytes);
  EXPECT_LE(bytes, 4096u);
  EXPECT_NE(b.update_ratio(t, 1.5).explanation.find("outside [0, 1]"), std::string::npos);
  EXPECT_NE(b.update_counts(t, 10, 5).explanation.find("good"), std::string::npos);
  b.update_ratio(t - 60, 0.5);
  EXPECT_EQ(b.input_counts().out_of_order, 1u);
  EXPECT_EQ(b.input_counts().non_finite, 2u);
  EXPECT_LT(b.burn_rate(3600), 1);
}

TEST(IncidentRiskModel, CombinesSignalsAndNamesTheDrivers) {
  IncidentRiskModel model;
  EXPECT_EQ(model.assess({}).level, "none");
  Signal quiet;
  quiet.detector = "combined";
  quiet.score = 0.05;
  Signal a = quiet;
  a.series = "latency";
  a.score = 0.9;
  a.anomalous = true;
  a.explanation = "latency 412 is 6.1 robust z above the median 120 since 12:03:00";
  Signal learning = a;
  learning.learning = true;
  const IncidentRisk one = model.assess({quiet, a, learning});
  EXPECT_EQ(one.level, "warning") << one.summary;
  ASSERT_EQ(one.drivers.size(), 1u);
  EXPECT_EQ(one.drivers[0].series, "latency");
  EXPECT_NE(one.summary.find("latency 412"), std::string::npos);
  Signal b = a;
  b.series = "errors";
  EXPECT_EQ(model.assess({a, b}).level, "incident");
  Signal burn;
  burn.detector = "burn-rate";
  burn.score = 0.9;
  burn.anomalous = true;
  burn.explanation = "checkout burns the error budget 20x";
  const IncidentRisk page = model.assess({quiet, burn});
  EXPECT_EQ(page.level, "incident");
  EXPECT_GE(page.risk, 0.85);
  EXPECT_LE(page.risk, 1.0);
}

TEST(DetectTable, CausalScoresAlarmsAndChangepoints) {
  const std::size_t n = 1200, at = 800;
  std::vector<double> t(n);
  std::vector<std::vector<double>> cols{noise(n, 10, 1, 11), noise(n, 200, 10, 12)};
  for (std::size_t i = 0; i < n; ++i) t[i] = kT0 + static_cast<double>(i);
  for (std::size_t i = at; i < n; ++i) cols[1][i] += 40;
  cols[0][300] = kNaN;  // a missing cell
  const auto rows = detect_table(t, cols, {"pressure", "flow"}, {});
  ASSERT_EQ(rows.size(), n);
  std::size_t before = 0, after = 0;
  for (std::size_t i = 0; i < at; ++i) before += rows[i].anomaly;
  for (std::size_t i = at; i < n; ++i) after += rows[i].anomaly;
  EXPECT_EQ(before, 0u);
  EXPECT_GE(after, (n - at) * 9 / 10);
  std::size_t first = n;
  for (std::size_t i = at; i < n && first == n; ++i)
    if (rows[i].anomaly) first = i;
  ASSERT_LT(first, n);
  EXPECT_LE(first - at, 10u);
  EXPECT_EQ(rows[first].top.series, "flow");
  bool cp = false;
  for (std::size_t i = at; i < at + 12; ++i) cp |= rows[i].changepoint;
  EXPECT_TRUE(cp);
  for (const auto& r : rows) {
    EXPECT_GE(r.score, 0);
    EXPECT_LE(r.score, 1);
  }
  // Causal: scoring a prefix gives the same rows as scoring the whole table.
  std::vector<double> tp(t.begin(), t.begin() + 900);
  std::vector<std::vector<double>> cp_cols{{cols[0].begin(), cols[0].begin() + 900}, {cols[1].begin(), cols[1].begin() + 900}};
  const auto prefix = detect_table(tp, cp_cols, {"pressure", "flow"}, {});
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    ASSERT_EQ(prefix[i].score, rows[i].score) << i;
    ASSERT_EQ(prefix[i].anomaly, rows[i].anomaly) << i;
    ASSERT_EQ(prefix[i].change_score, rows[i].change_score) << i;
  }
}
