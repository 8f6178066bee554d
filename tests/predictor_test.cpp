#include <gtest/gtest.h>

#include <random>

#include "agent/predict/predictor.h"

using namespace opspilot::agent;
using namespace std::chrono_literals;

TEST(NormalQuantile, MatchesTables) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959964, 1e-5);
  EXPECT_NEAR(normal_quantile(0.9), 1.281552, 1e-5);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(normal_quantile(0.001), -3.090232, 1e-5);
}

TEST(LinearTrendPredictor, NotEnoughDataIsAStateNotAGuess) {
  LinearTrendPredictor p(30min, 8);
  const TimePoint now(Duration(10'000'000));
  std::vector<Point> h{{now - 30s, 10}, {now - 15s, 11}, {now, 12}};
  const auto f = p.forecast(h, now, 2min, 0.95);
  EXPECT_FALSE(f.enough_data);
  EXPECT_NE(f.note.find("not enough data"), std::string::npos);
}

TEST(LinearTrendPredictor, RecoversATrend) {
  LinearTrendPredictor p(30min, 8);
  const TimePoint now(Duration(10'000'000'000));
  std::vector<Point> h;
  for (int i = 120; i >= 0; --i) {
    const TimePoint t = now - std::chrono::seconds(15 * i);
    h.push_back({t, 100 + 0.5 * to_seconds(t - (now - 30min))});  // +0.5/s
  }
  const auto f = p.forecast(h, now, 120s, 0.95);
  ASSERT_TRUE(f.enough_data);
  EXPECT_NEAR(f.mean, 100 + 0.5 * (1800 + 120), 1e-6);
  EXPECT_LE(f.lower, f.mean);
  EXPECT_GE(f.upper, f.mean);
}

TEST(LinearTrendPredictor, IntervalsAreCalibratedOnNoisyData) {
  // Stationary noise: the 95% interval should contain about 95% of the next values.
  LinearTrendPredictor p(30min, 8);
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 10);
  std::vector<Point> h;
  TimePoint t(Duration(1'000'000'000));
  int inside = 0, total = 0;
  for (int i = 0; i < 2000; ++i) {
    if (h.size() > 200) {
      const auto f = p.forecast(h, t, 60s, 0.95);
      const double actual = 500 + noise(rng);
      if (f.enough_data) {
        ++total;
        if (actual >= f.lower && actual <= f.upper) ++inside;
      }
      h.push_back({t + 60s, actual});
    } else {
      h.push_back({t, 500 + noise(rng)});
    }
    t += 15s;
    if (h.size() > 400) h.erase(h.begin());
  }
  ASSERT_GT(total, 1000);
  const double coverage = static_cast<double>(inside) / total;
  EXPECT_GT(coverage, 0.90);
  EXPECT_LT(coverage, 0.99);
}
