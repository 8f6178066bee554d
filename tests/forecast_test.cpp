// The forecasting library (agent/predict/forecast.h) on generated series whose truth is known,
// on every kind of bad input, and on a few real M4 Hourly series.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "agent/predict/forecast.h"
#include "agent/predict/forecast_internal.h"

namespace fc = opspilot::agent::forecast;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Load-like truth: a daily cycle (period `day` steps), a weekday/weekend effect, a level.
double truth(std::size_t t, std::size_t day, double weekly_amp = 15) {
  const double phase = 2 * kPi * static_cast<double>(t % day) / static_cast<double>(day);
  const bool weekend = (t / day) % 7 >= 5;
  return 100 + 30 * std::sin(phase) + 10 * std::sin(2 * phase) + (weekend ? -weekly_amp : 0);
}

std::vector<double> generate(std::size_t n, std::size_t day, double noise, unsigned seed, double weekly_amp = 15) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> e(0, noise);
  std::vector<double> y(n);
  for (std::size_t t = 0; t < n; ++t) y[t] = truth(t, day, weekly_amp) + e(rng);
  return y;
}

fc::Options hourly(std::size_t horizon) {
  fc::Options o;
  o.horizon = horizon;
  return o;
}

// Every number finite, bands ordered around the mean, one band per level.
void expect_sane(const fc::Forecast& f, std::size_t horizon, std::size_t levels = 2) {
  ASSERT_EQ(f.mean.size(), horizon);
  ASSERT_EQ(f.bands.size(), levels);
  for (std::size_t j = 0; j < horizon; ++j) {
    ASSERT_TRUE(std::isfinite(f.mean[j])) << "step " << j;
    for (const auto& b : f.bands) {
      ASSERT_TRUE(std::isfinite(b.lower[j]) && std::isfinite(b.upper[j])) << "step " << j;
      EXPECT_LE(b.lower[j], f.mean[j] + 1e-9);
      EXPECT_GE(b.upper[j], f.mean[j] - 1e-9);
    }
  }
  EXPECT_FALSE(f.model.empty());
}

bool has_note(const fc::Forecast& f, const std::string& word) {
  for (const auto& n : f.notes)
    if (n.find(word) != std::string::npos) return true;
  return false;
}

double mean_abs_error_vs_truth(const fc::Forecast& f, std::size_t from, std::size_t day, double weekly_amp = 15) {
  double s = 0;
  for (std::size_t j = 0; j < f.mean.size(); ++j) s += std::abs(f.mean[j] - truth(from + j, day, weekly_amp));
  return s / static_cast<double>(f.mean.size());
}

}  // namespace

TEST(DetectSeasons, FindsDailyAndWeeklyAtAnyStep) {
  EXPECT_EQ(fc::detect_seasons(generate(24 * 7 * 4, 24, 3, 1), 3600), (std::vector<std::size_t>{24, 168}));
  EXPECT_EQ(fc::detect_seasons(generate(96 * 7 * 3, 96, 3, 2), 900), (std::vector<std::size_t>{96, 672}));
  // Five days at 5 minutes: the daily cycle only (a week cannot be seen in five days).
  EXPECT_EQ(fc::detect_seasons(generate(288 * 5, 288, 3, 3), 300), (std::vector<std::size_t>{288}));
  // Daily cycle without a weekly effect.
  EXPECT_EQ(fc::detect_seasons(generate(24 * 7 * 4, 24, 3, 4, 0), 3600), (std::vector<std::size_t>{24}));
}

TEST(DetectSeasons, NothingInNoiseOrARandomWalk) {
  std::mt19937 rng(5);
  std::normal_distribution<double> e(0, 1);
  std::vector<double> noise(1000), walk(1000);
  double w = 0;
  for (std::size_t t = 0; t < 1000; ++t) { noise[t] = 50 + e(rng); w += e(rng); walk[t] = 100 + w; }
  EXPECT_TRUE(fc::detect_seasons(noise, 3600).empty());
  EXPECT_TRUE(fc::detect_seasons(walk, 3600).empty());
  EXPECT_TRUE(fc::detect_seasons(noise, 0).empty());   // no step, no calendar
  EXPECT_TRUE(fc::detect_seasons({1, 2, 3}, 3600).empty());
}

TEST(Forecast, RecoversDailyAndWeeklyPatternHourly) {
  const std::size_t n = 24 * 7 * 5;
  std::string error;
  const auto f = fc::forecast(generate(n, 24, 2, 11), hourly(48), &error);
  ASSERT_TRUE(f) << error;
  expect_sane(*f, 48);
  EXPECT_EQ(f->seasons, (std::vector<std::size_t>{24, 168}));
  // Noise sigma is 2; a forecast that knew the pattern exactly would be off by 0 on average.
  EXPECT_LT(mean_abs_error_vs_truth(*f, n, 24), 1.5) << f->model;
  EXPECT_LT(f->validation_mase, 0.8);
}

TEST(Forecast, RecoversDailyPatternAtFiveMinutes) {
  const std::size_t n = 288 * 6;
  fc::Options o;
  o.step_seconds = 300;
  o.horizon = 288;
  std::string error;
  const auto f = fc::forecast(generate(n, 288, 2, 12, 0), o, &error);
  ASSERT_TRUE(f) << error;
  expect_sane(*f, 288);
  EXPECT_EQ(f->seasons, (std::vector<std::size_t>{288}));
  EXPECT_LT(mean_abs_error_vs_truth(*f, n, 288, 0), 2.0) << f->model;
}

TEST(Forecast, DampedTrendFlattensInsteadOfRunningAway) {
  // Holt-Winters with a damped trend, directly: a trend that stops must not be extrapolated
  // forever.
  std::mt19937 rng(13);
  std::normal_distribution<double> e(0, 0.5);
  std::vector<double> y(400);
  for (std::size_t t = 0; t < y.size(); ++t) y[t] = 50 + 0.3 * std::min<double>(static_cast<double>(t), 300) + e(rng);
  auto m = fc::detail::make_ets({true, true, false, {}});
  std::string why;
  ASSERT_TRUE(m->fit(y, y, &why)) << why;
  std::vector<double> out(500);
  m->predict(out);
  EXPECT_NEAR(out[0], 140, 3);
  for (std::size_t j = 1; j < out.size(); ++j) EXPECT_LE(std::abs(out[j] - out[j - 1]), std::abs(out[1] - out[0]) + 1e-9);
  EXPECT_LT(std::abs(out.back() - out[0]), 20) << m->describe();

  // A steady trend is followed (the one-shot forecast, whatever model it picks).
  std::vector<double> lin(300);
  for (std::size_t t = 0; t < lin.size(); ++t) lin[t] = 10 + 0.5 * static_cast<double>(t) + e(rng);
  const auto f = fc::forecast(lin, hourly(10), &why);
  ASSERT_TRUE(f) << why;
  expect_sane(*f, 10);
  EXPECT_NEAR(f->mean[0], 160, 3) << f->model;
  EXPECT_GT(f->mean[9], f->mean[0]);
}

TEST(Forecast, PlantedOutliersDoNotWreckTheForecast) {
  const std::size_t n = 24 * 7 * 5;
  std::vector<double> y = generate(n, 24, 2, 14);
  std::string error;
  const auto clean = fc::forecast(y, hourly(48), &error);
  ASSERT_TRUE(clean) << error;
  for (std::size_t t : {n - 300, n - 200, n - 150, n - 90, n - 40, n - 7}) y[t] += (t % 2 ? 400 : -90);
  const auto dirty = fc::forecast(y, hourly(48), &error);
  ASSERT_TRUE(dirty) << error;
  expect_sane(*dirty, 48);
  const double clean_err = mean_abs_error_vs_truth(*clean, n, 24);
  const double dirty_err = mean_abs_error_vs_truth(*dirty, n, 24);
  EXPECT_LT(dirty_err, 2 * clean_err + 2) << dirty->model;
}

TEST(Forecast, MultiplicativeSeasonalityFollowsAGrowingAmplitude) {
  // The daily swing is 50% of a level that grows thirteenfold: multiplicative Holt-Winters
  // tracks the swing, additive keeps lagging behind it.
  const std::size_t n = 24 * 7 * 3, h = 24;
  std::mt19937 rng(16);
  std::normal_distribution<double> e(0, 0.01);
  auto level = [](std::size_t t) { return 20.0 + 0.5 * static_cast<double>(t); };
  auto season = [](std::size_t t) { return 1 + 0.5 * std::sin(2 * kPi * static_cast<double>(t % 24) / 24); };
  std::vector<double> y(n);
  for (std::size_t t = 0; t < n; ++t) y[t] = level(t) * season(t) * (1 + e(rng));
  auto error_of = [&](bool multiplicative) {
    auto m = fc::detail::make_ets({true, true, multiplicative, {24}});
    std::string why;
    EXPECT_TRUE(m->fit(y, y, &why)) << why;
    std::vector<double> out(h);
    m->predict(out);
    double err = 0;
    for (std::size_t j = 0; j < h; ++j) err += std::abs(out[j] - level(n + j) * season(n + j)) / static_cast<double>(h);
    return err;
  };
  const double mult = error_of(true), add = error_of(false);
  EXPECT_LT(mult, 0.6 * add);
  EXPECT_LT(mult, 10.0);  // on a level of about 270 with a swing of +-135
}

TEST(Forecast, HoltWintersClipsOutliersBeforeTheyReachTheState) {
  const std::size_t n = 24 * 7 * 3;
  std::vector<double> y = generate(n, 24, 2, 15, 0);
  for (std::size_t t = n - 30; t < n; t += 6) y[t] += 300;  // five spikes of 150 sigma, recent
  auto error_of = [&](double clip_k) {
    auto m = fc::detail::make_ets({true, true, false, {24}, clip_k});
    std::string why;
    EXPECT_TRUE(m->fit(y, y, &why)) << why;
    std::vector<double> out(24);
    m->predict(out);
    double e = 0;
    for (std::size_t j = 0; j < 24; ++j) e += std::abs(out[j] - truth(n + j, 24, 0)) / 24;
    return e;
  };
  const double robust = error_of(4), naive = error_of(1e12);
  EXPECT_LT(robust, 3.0);
  // The same model without clipping is visibly dragged by the spikes: the clipping is what helps.
  EXPECT_GT(naive, 2 * robust);
}

TEST(Forecast, IntervalsAreCalibratedOutOfSample) {
  // 40 independent series with known Gaussian noise; each forecast scored on its own future.
  double in80 = 0, in95 = 0, total = 0, width_ratio = 0;
  const std::size_t n = 24 * 7 * 3, h = 24;
  for (unsigned seed = 0; seed < 40; ++seed) {
    const std::vector<double> all = generate(n + h, 24, 3, 100 + seed);
    const std::vector<double> y(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    std::string error;
    const auto f = fc::forecast(y, hourly(h), &error);
    ASSERT_TRUE(f) << error;
    for (std::size_t j = 0; j < h; ++j) {
      const double actual = all[n + j];
      in80 += actual >= f->bands[0].lower[j] && actual <= f->bands[0].upper[j];
      in95 += actual >= f->bands[1].lower[j] && actual <= f->bands[1].upper[j];
      width_ratio += (f->bands[1].upper[j] - f->bands[1].lower[j]) / (2 * 1.96 * 3);
      total += 1;
    }
  }
  EXPECT_GE(in95 / total, 0.92);
  EXPECT_LE(in95 / total, 0.98);
  EXPECT_GE(in80 / total, 0.72);
  EXPECT_LE(in80 / total, 0.90);
  // Not trivially wide: about the width the true noise implies.
  EXPECT_LT(width_ratio / total, 1.6);
}

TEST(OnlineForecaster, IncrementalUpdatesMatchARefit) {
  const std::size_t n = 24 * 7 * 4, extra = 72;
  const std::vector<double> all = generate(n + extra + 24, 24, 2, 21);
  const std::vector<double> first(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  const std::vector<double> more(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n + extra));
  std::string error;
  auto online = fc::OnlineForecaster::fit(first, hourly(24), &error);
  ASSERT_TRUE(online) << error;
  for (std::size_t t = n; t < n + extra; ++t) online->update(all[t]);
  EXPECT_EQ(online->updates_since_fit(), extra);
  const fc::Forecast inc = online->predict(24);
  const auto refit = fc::forecast(more, hourly(24), &error);
  ASSERT_TRUE(refit) << error;
  expect_sane(inc, 24);
  double diff = 0;
  for (std::size_t j = 0; j < 24; ++j) diff += std::abs(inc.mean[j] - refit->mean[j]) / 24;
  EXPECT_LT(diff, 2.0) << online->model() << " vs " << refit->model;
  EXPECT_LT(mean_abs_error_vs_truth(inc, n + extra, 24), 2.0);
}

TEST(OnlineForecaster, StateIsBoundedAndGapsAdvanceTheClock) {
  const std::size_t n = 24 * 7 * 4;
  const std::vector<double> all = generate(n + 48, 24, 2, 22);
  std::string error;
  auto online = fc::OnlineForecaster::fit({all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)}, hourly(24), &error);
  ASSERT_TRUE(online) << error;
  const std::size_t bytes = online->state_bytes();
  EXPECT_LT(bytes, 64u * 1024) << online->model();
  // 24 gaps (NaN and inf), then real data: the forecast stays in phase with the cycle.
  for (std::size_t t = n; t < n + 12; ++t) online->update(NAN);
  for (std::size_t t = n + 12; t < n + 24; ++t) online->update(INFINITY);
  for (std::size_t t = n + 24; t < n + 48; ++t) online->update(all[t]);
  EXPECT_EQ(online->state_bytes(), bytes);
  const fc::Forecast f = online->predict(48);  // longer than the calibrated horizon
  expect_sane(f, 48);
  EXPECT_LT(mean_abs_error_vs_truth(f, n + 48, 24), 2.5);
  // Movable.
  fc::OnlineForecaster moved = std::move(*online);
  moved.update(all[n]);
  EXPECT_EQ(moved.updates_since_fit(), 49u);
}

TEST(ForecastBadInput, TooFewPointsIsAnErrorValue) {
  std::string error;
  EXPECT_FALSE(fc::forecast({}, hourly(1), &error));
  EXPECT_EQ(error, "0 finite points; need at least 3");
  EXPECT_FALSE(fc::forecast({1, NAN, 2}, hourly(1), &error));
  EXPECT_EQ(error, "2 finite points; need at least 3");
  EXPECT_FALSE(fc::forecast({NAN, NAN, NAN, NAN}, hourly(1), &error));
  EXPECT_FALSE(fc::OnlineForecaster::fit({1, 2}, hourly(1), &error));
  EXPECT_FALSE(fc::forecast({1, 2}, hourly(1), nullptr));  // no error sink: still no crash
}

TEST(ForecastBadInput, BadOptionsQuoteTheValue) {
  const std::vector<double> y = generate(100, 24, 1, 30);
  std::string error;
  EXPECT_FALSE(fc::forecast(y, hourly(0), &error));
  EXPECT_EQ(error, "horizon 0 steps; expected 1..100000");
  fc::Options o = hourly(4);
  o.levels = {0.8, 1.5};
  EXPECT_FALSE(fc::forecast(y, o, &error));
  EXPECT_EQ(error, "interval level 1.5; expected a value in (0, 1), e.g. 0.95");
  o = hourly(4);
  o.step_seconds = -60;
  EXPECT_FALSE(fc::forecast(y, o, &error));
  EXPECT_EQ(error, "step_seconds -60; expected a positive number of seconds");
}

TEST(ForecastBadInput, GapsAreSkippedTooManyAreRefused) {
  std::vector<double> y = generate(24 * 7 * 4, 24, 2, 31);
  for (std::size_t t = 0; t < y.size(); t += 17) y[t] = (t % 2) ? NAN : INFINITY;
  y[y.size() - 1] = NAN;  // even the last point
  std::string error;
  const auto f = fc::forecast(y, hourly(24), &error);
  ASSERT_TRUE(f) << error;
  expect_sane(*f, 24);
  EXPECT_TRUE(has_note(*f, "gaps (NaN/inf)"));
  EXPECT_LT(mean_abs_error_vs_truth(*f, y.size(), 24), 2.5) << f->model;

  std::vector<double> holey = generate(200, 24, 2, 32);
  for (std::size_t t = 0; t < holey.size(); ++t)
    if (t % 5 >= 2) holey[t] = NAN;
  EXPECT_FALSE(fc::forecast(holey, hourly(24), &error));
  EXPECT_EQ(error, "120 of 200 points are gaps (NaN/inf); at most half may be");

  // The whole validation window missing: nothing can be validated, so a seasonal naive
  // fallback, said so, rather than an error or a guess.
  std::vector<double> tail = generate(24 * 7 * 3, 24, 2, 34);
  for (std::size_t t = tail.size() - 200; t < tail.size(); ++t) tail[t] = NAN;
  const auto fb = fc::forecast(tail, hourly(24), &error);
  ASSERT_TRUE(fb) << error;
  expect_sane(*fb, 24);
  EXPECT_TRUE(has_note(*fb, "no candidate model could be validated: seasonal naive fallback")) << fb->model;

  std::vector<double> leading(10, NAN);
  const std::vector<double> rest = generate(300, 24, 2, 33);
  leading.insert(leading.end(), rest.begin(), rest.end());
  const auto g = fc::forecast(leading, hourly(6), &error);
  ASSERT_TRUE(g) << error;
  EXPECT_TRUE(has_note(*g, "10 leading gaps dropped"));
}

TEST(ForecastBadInput, ConstantSeriesGivesAFlatForecastAndZeroWidthBands) {
  std::string error;
  const auto f = fc::forecast(std::vector<double>(500, 42.0), hourly(12), &error);
  ASSERT_TRUE(f) << error;
  expect_sane(*f, 12);
  for (std::size_t j = 0; j < 12; ++j) {
    EXPECT_DOUBLE_EQ(f->mean[j], 42.0);
    EXPECT_DOUBLE_EQ(f->bands[1].upper[j], 42.0);
    EXPECT_DOUBLE_EQ(f->bands[1].lower[j], 42.0);
  }
  EXPECT_TRUE(has_note(*f, "constant series at 42"));
  EXPECT_EQ(f->validation_mase, 0);
  // Online: the bands open up once the series starts to move.
  auto online = fc::OnlineForecaster::fit(std::vector<double>(500, 42.0), hourly(4), &error);
  ASSERT_TRUE(online) << error;
  for (int i = 0; i < 50; ++i) online->update(42.0 + (i % 2 ? 1 : -1));
  const fc::Forecast g = online->predict(4);
  expect_sane(g, 4);
  EXPECT_GT(g.bands[1].upper[0] - g.bands[1].lower[0], 0.1);
}

TEST(ForecastBadInput, NegativeValuesAreNotedAndFlooredWhenNonNegative) {
  std::vector<double> y = generate(24 * 7 * 3, 24, 2, 40);
  for (double& v : y) v -= 110;  // much of the cycle below zero
  std::string error;
  const auto f = fc::forecast(y, hourly(24), &error);
  ASSERT_TRUE(f) << error;
  expect_sane(*f, 24);
  EXPECT_TRUE(has_note(*f, "negative values"));
  for (std::size_t j = 0; j < 24; ++j) {
    EXPECT_GE(f->mean[j], 0);
    EXPECT_GE(f->bands[1].lower[j], 0);
  }
  fc::Options signed_quantity = hourly(24);
  signed_quantity.non_negative = false;
  const auto g = fc::forecast(y, signed_quantity, &error);
  ASSERT_TRUE(g) << error;
  EXPECT_FALSE(has_note(*g, "negative values"));
  double lowest = 0;
  for (double v : g->mean) lowest = std::min(lowest, v);
  EXPECT_LT(lowest, -20);
}

TEST(ForecastBadInput, ShortHistoryFallsBackWithANote) {
  std::string error;
  // Weekly requested but only 10 days of hourly data: the week cannot even fit twice.
  fc::Options o = hourly(24);
  o.seasons = {24, 168};
  const auto f = fc::forecast(generate(240, 24, 2, 50), o, &error);
  ASSERT_TRUE(f) << error;
  expect_sane(*f, 24);
  EXPECT_EQ(f->seasons, (std::vector<std::size_t>{24}));
  EXPECT_TRUE(has_note(*f, "season 168 ignored: expected 2..120 steps for 240 points"));
  // 17 days: two weeks fit, but not two weeks plus a validation window: dropped for fitting.
  const auto f2 = fc::forecast(generate(408, 24, 2, 52), o, &error);
  ASSERT_TRUE(f2) << error;
  expect_sane(*f2, 24);
  EXPECT_EQ(f2->seasons, (std::vector<std::size_t>{24}));
  EXPECT_TRUE(has_note(*f2, "period 168 dropped"));
  // Five points: nothing to validate on; a naive forecast, said so.
  const auto g = fc::forecast({3, 4, 5, 4, 3}, hourly(3), &error);
  ASSERT_TRUE(g) << error;
  expect_sane(*g, 3);
  EXPECT_TRUE(has_note(*g, "too few to validate"));
  EXPECT_TRUE(std::isnan(g->validation_mase));
  // A nonsense season is ignored, with a note.
  o.seasons = {1, 100000};
  const auto h = fc::forecast(generate(300, 24, 2, 51), o, &error);
  ASSERT_TRUE(h) << error;
  EXPECT_TRUE(has_note(*h, "season 100000 ignored"));
}

TEST(ForecastBadInput, ExtremeValuesNeverProduceNanOrInf) {
  std::string error;
  std::vector<double> explode(400), huge(400), tiny(400), spiky(400, 1.0);
  for (std::size_t t = 0; t < 400; ++t) {
    explode[t] = std::exp(0.05 * static_cast<double>(t));
    huge[t] = 1e300 * (1 + 0.1 * std::sin(static_cast<double>(t)));
    tiny[t] = 1e-300 * (2 + std::sin(static_cast<double>(t) / 3));
  }
  spiky[399] = 1e12;
  const std::vector<std::vector<double>> cases{explode, huge, tiny, spiky};
  for (const auto& series : cases) {
    const auto* y = &series;
    const auto f = fc::forecast(*y, hourly(48), &error);
    ASSERT_TRUE(f) << error;
    expect_sane(*f, 48);
    auto online = fc::OnlineForecaster::fit(*y, hourly(48), &error);
    ASSERT_TRUE(online) << error;
    online->update(y->back() * 1e6);
    online->update(-y->back());
    expect_sane(online->predict(48), 48);
  }
}

TEST(ForecastM4, BeatsSeasonalNaiveOnTheFirstSeries) {
  const std::string dir = OPSPILOT_DATA_DIR "/m4-hourly/";
  std::ifstream train(dir + "Hourly-train.csv"), test(dir + "Hourly-test.csv");
  if (!train || !test) GTEST_SKIP() << "M4 data not found under " << dir;
  auto row = [](std::istream& in) {
    std::string line, cell;
    std::getline(in, line);
    std::vector<double> v;
    std::stringstream ss(line);
    std::getline(ss, cell, ',');  // id
    while (std::getline(ss, cell, ',')) {
      std::string s;
      for (char c : cell)
        if (c != '"' && c != '\r') s += c;
      if (!s.empty()) v.push_back(std::stod(s));
    }
    return v;
  };
  std::string header;
  std::getline(train, header);
  std::getline(test, header);
  double ours = 0, naive = 0;
  for (int i = 0; i < 4; ++i) {
    const std::vector<double> y = row(train), actual = row(test);
    ASSERT_EQ(actual.size(), 48u);
    std::string error;
    const auto f = fc::forecast(y, hourly(48), &error);
    ASSERT_TRUE(f) << error;
    expect_sane(*f, 48);
    for (std::size_t j = 0; j < 48; ++j) {
      ours += std::abs(actual[j] - f->mean[j]);
      naive += std::abs(actual[j] - y[y.size() - 24 + j % 24]);
    }
  }
  EXPECT_LT(ours, naive);
}
