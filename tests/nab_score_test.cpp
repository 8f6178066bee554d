// The NAB scorer against hand-computed cases and NAB's documented behaviour (numenta/NAB
// nab/sweeper.py: scaledSigmoid, calcSweepScore, calcScoreByThreshold).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "agent/predict/detect/nab_score.h"

using namespace opspilot::agent::detect::nab;

namespace {

const Profile kStandard{"standard", 1.0, 0.11, 1.0, 1.0};
const Profile kLowFn{"reward_low_FN_rate", 1.0, 0.11, 2.0, 1.0};
constexpr double kInf = std::numeric_limits<double>::infinity();

/// One 100-row file with a window over rows 40..49 and detections (score 1) at `rows`.
File file_with(std::initializer_list<std::size_t> rows) {
  File f;
  f.scores.assign(100, 0.0);
  for (std::size_t r : rows) f.scores[r] = 1.0;
  f.windows = {{40, 49}};
  return f;
}

double raw(std::initializer_list<std::size_t> rows, const Profile& p = kStandard, double probation = 0) {
  return score({file_with(rows)}, p, 0.5, probation).raw;
}

}  // namespace

TEST(NabScore, ScaledSigmoidMatchesNabsDocumentedValues) {
  EXPECT_NEAR(scaled_sigmoid(-1.0), 0.98661, 1e-5);  // left edge of a window
  EXPECT_NEAR(scaled_sigmoid(-0.5), 0.84828, 1e-5);  // halfway in
  EXPECT_NEAR(scaled_sigmoid(0.0), 0.0, 1e-12);      // right edge
  EXPECT_NEAR(scaled_sigmoid(1.0), -0.98661, 1e-5);  // one window width past it
  EXPECT_EQ(scaled_sigmoid(3.0), -1.0);              // "FP well behind window"
  EXPECT_EQ(scaled_sigmoid(7.5), -1.0);
}

TEST(NabScore, NullAndPerfectDetectorsAnchorTheScale) {
  const File null_file = file_with({});
  const File perfect = file_with({40});
  const Result n = score({null_file}, kStandard, 0.5, 0);
  const Result p = score({perfect}, kStandard, 0.5, 0);
  EXPECT_DOUBLE_EQ(n.raw, -1.0);
  EXPECT_DOUBLE_EQ(n.normalized, 0.0);
  EXPECT_NEAR(p.raw, 1.0, 1e-12);  // the earliest detection is worth exactly A_TP
  EXPECT_NEAR(p.normalized, 100.0, 1e-9);
  EXPECT_EQ(p.detected_windows, 1u);
  EXPECT_EQ(p.windows, 1u);
}

TEST(NabScore, EarlierIsBetterAndOnlyTheFirstDetectionInAWindowCounts) {
  // Row 45 of a 10-row window ending at 49: position -(49 - 45 + 1) / 10 = -0.5.
  const double halfway = 0.848283639957513 / 0.9866142981514303;
  EXPECT_NEAR(raw({45}), halfway, 1e-12);
  EXPECT_NEAR(raw({45, 47, 49}), halfway, 1e-12);
  // The last row: position -0.1, 2 / (1 + e^-0.5) - 1 = 0.244919.
  EXPECT_NEAR(raw({49}), 0.2449186624037092 / 0.9866142981514303, 1e-12);
  EXPECT_NEAR(score({file_with({45})}, kStandard, 0.5, 0).normalized, 100 * (halfway + 1) / 2, 1e-9);
}

TEST(NabScore, FalsePositivesAreWeightedByDistancePastTheWindow) {
  // Before any window: -A_FP.
  EXPECT_NEAR(raw({10}), -1.0 - 0.11, 1e-12);
  // Three rows past the right edge of a 10-row window: position 3 / (10 - 1).
  EXPECT_NEAR(raw({52}), -1.0 + 0.11 * (2 / (1 + std::exp(5.0 / 3)) - 1), 1e-12);
  // Nine rows past: position 1.
  EXPECT_NEAR(raw({58}), -1.0 - 0.11 * 0.9866142981514303, 1e-12);
  // Far past (position >= 3): the full -A_FP.
  EXPECT_NEAR(raw({80}), -1.0 - 0.11, 1e-12);
  // A true positive does not excuse a false positive later.
  EXPECT_NEAR(raw({40, 80}), 1.0 - 0.11, 1e-12);
  const Result r = score({file_with({10, 40, 80})}, kStandard, 0.5, 0);
  EXPECT_EQ(r.false_positives, 2u);
}

TEST(NabScore, ProfilesWeighMissesAndFalseAlarmsDifferently) {
  const auto ps = profiles();
  ASSERT_EQ(ps.size(), 3u);
  EXPECT_EQ(ps[0].name, "standard");
  EXPECT_DOUBLE_EQ(ps[0].fp, 0.11);
  EXPECT_EQ(ps[1].name, "reward_low_FP_rate");
  EXPECT_DOUBLE_EQ(ps[1].fp, 0.22);
  EXPECT_EQ(ps[2].name, "reward_low_FN_rate");
  EXPECT_DOUBLE_EQ(ps[2].fn, 2.0);
  EXPECT_DOUBLE_EQ(raw({}, kLowFn), -2.0);
  const double halfway = 0.848283639957513 / 0.9866142981514303;
  EXPECT_NEAR(score({file_with({45})}, kLowFn, 0.5, 0).normalized, 100 * (halfway + 2) / 3, 1e-9);
  EXPECT_NEAR(raw({10}, ps[1]), -1.22, 1e-12);
}

TEST(NabScore, ProbationaryRowsAreNotScored) {
  // NAB's probation: min(floor(0.15 * 100), 750) = 15 rows; a detection at row 10 is ignored.
  EXPECT_DOUBLE_EQ(raw({10}, kStandard, kNabProbation), -1.0);
  EXPECT_NEAR(raw({20}, kStandard, kNabProbation), -1.11, 1e-12);
  // A window entirely inside the probation counts for nobody (not even the null detector).
  File f = file_with({});
  f.windows = {{2, 5}, {40, 49}};
  const Result r = score({f}, kStandard, 0.5, kNabProbation);
  EXPECT_EQ(r.windows, 1u);
}

TEST(NabScore, WindowsAreCentredOnChangepointsAndNeverOverlap) {
  std::vector<double> t(100);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = 1000 + static_cast<double>(i);
  auto w = centered_windows(t, {50}, 30);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].first, 35u);
  EXPECT_EQ(w[0].last, 65u);
  w = centered_windows(t, {60, 50, 5, 99}, 30);  // unsorted input; edges clip to the data
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].first, 0u);
  EXPECT_EQ(w[0].last, 20u);
  EXPECT_EQ(w[1].first, 35u);
  EXPECT_EQ(w[1].last, 65u);
  EXPECT_EQ(w[2].first, 66u);  // cut where it would overlap the one before
  EXPECT_EQ(w[2].last, 75u);
  EXPECT_EQ(w[3].first, 84u);
  EXPECT_EQ(w[3].last, 99u);
  // A gap in the timestamps: windows are by time, not by row count.
  std::vector<double> g{0, 1, 2, 30, 31, 32};
  w = centered_windows(g, {3}, 4);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].first, 3u);
  EXPECT_EQ(w[0].last, 5u);
}

TEST(NabScore, OptimizerChoosesTheBestThresholdPerProfile) {
  File a;
  a.scores.assign(100, 0.0);
  a.windows = {{40, 49}};
  a.scores[45] = 0.9;  // a true positive
  a.scores[10] = 0.8;  // a false positive
  File b;
  b.scores.assign(60, 0.0);
  b.windows = {{20, 29}};
  b.scores[25] = 0.3;  // a weaker true positive, worth the false positive above it
  const std::vector<File> files{a, b};
  const Result best = optimize(files, kStandard, 0);
  EXPECT_DOUBLE_EQ(best.threshold, 0.3);
  const double halfway = 0.848283639957513 / 0.9866142981514303;
  EXPECT_NEAR(best.raw, 2 * halfway - 0.11, 1e-12);
  EXPECT_EQ(best.detected_windows, 2u);
  // A heavy enough false-positive weight flips the choice to 0.9 (file b's window is missed)...
  Profile strict{"strict", 1.0, 2.5, 1.0, 1.0};
  EXPECT_DOUBLE_EQ(optimize(files, strict, 0).threshold, 0.9);
  // ...and with nothing worth detecting, no threshold detects anything.
  File c = a;
  c.windows.clear();
  EXPECT_EQ(optimize({c}, kStandard, 0).threshold, kInf);
}

TEST(NabScore, OptimizerAgreesWithScoringEveryThreshold) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<File> files(5);
  std::vector<double> candidates{kInf};
  for (auto& f : files) {
    f.scores.resize(300);
    for (double& s : f.scores) {
      s = u(rng) < 0.05 ? std::round(u(rng) * 20) / 20 : 0.0;
      candidates.push_back(s);
    }
    f.windows = {{60, 75}, {150, 170}, {240, 255}};
  }
  for (const auto& p : profiles()) {
    double best = -kInf;
    for (double c : candidates) best = std::max(best, score(files, p, c, 0).raw);
    EXPECT_NEAR(optimize(files, p, 0).raw, best, 1e-9) << p.name;
  }
}
