// The canary / before-after judge: Mann-Whitney p-values against independently computed
// references (brute-force enumeration, a different DP, the asymptotic formula in Python, published
// worked examples), the Hodges-Lehmann shift against a materialise-and-nth_element reference, and
// the decision rules: direction, effect bound, floor, NoData.
//
// Reference numbers were computed once with Python 3 (no scipy) by the script below, run by the
// author of this file; its output is pasted next to each case.
//   - U by pair counting: U = #(e > c) + 0.5·#(e == c) over all pairs (no ranks involved).
//   - exact: itertools.combinations over every choice of the experiment's ranks (Fraction
//     arithmetic), p = min(1, 2·min(P(U' <= U), P(U' >= U)));  for 20×20 a DP counting subsets
//     of {1..40} by rank sum (checked equal to the enumeration on the 8×7 case).
//   - asymptotic: σ² = n1·n2/12·((N+1) − Σ(t³−t)/(N(N−1))), z = (max(U, n1n2−U) − n1n2/2 − 0.5)/σ,
//     p = min(1, erfc(z/√2)) with math.erfc — scipy's method='asymptotic', use_continuity=True.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "agent/decide/judge.h"

using namespace opspilot::agent;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> normal(std::size_t n, double mean, double sd, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(mean, sd);
  std::vector<double> v(n);
  for (double& x : v) x = g(rng);
  return v;
}

JudgeSpec with(BadDirection bad) {
  JudgeSpec s;
  s.bad = bad;
  return s;
}

/// The Hodges-Lehmann shift the obvious way: every difference in memory, nth_element.
double reference_shift(const std::vector<double>& c, const std::vector<double>& e) {
  std::vector<double> d;
  d.reserve(c.size() * e.size());
  for (double x : e)
    for (double y : c) d.push_back(x - y);
  const std::size_t m = d.size();
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(m / 2), d.end());
  const double upper = d[m / 2];
  if (m % 2) return upper;
  const double lower = *std::max_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(m / 2));
  return (lower + upper) / 2;
}

void expect_rel(double actual, double expected, double rel) {
  EXPECT_NEAR(actual, expected, std::fabs(expected) * rel) << "expected " << expected;
}

}  // namespace

TEST(JudgeNames, RoundTrip) {
  for (BadDirection d : {BadDirection::Increase, BadDirection::Decrease, BadDirection::Either}) {
    BadDirection back = d == BadDirection::Increase ? BadDirection::Decrease : BadDirection::Increase;
    ASSERT_TRUE(bad_direction_from_string(to_string(d), &back)) << to_string(d);
    EXPECT_EQ(back, d);
  }
  BadDirection untouched = BadDirection::Either;
  EXPECT_FALSE(bad_direction_from_string("up", &untouched));
  EXPECT_FALSE(bad_direction_from_string("Increase", &untouched));
  EXPECT_FALSE(bad_direction_from_string("", &untouched));
  EXPECT_EQ(untouched, BadDirection::Either);
  EXPECT_STREQ(to_string(JudgeOutcome::Pass), "pass");
  EXPECT_STREQ(to_string(JudgeOutcome::Fail), "fail");
  EXPECT_STREQ(to_string(JudgeOutcome::NoData), "no_data");
}

TEST(JudgeExact, SmallSamplesMatchBruteForceEnumeration) {
  struct Case {
    std::vector<double> control, experiment;
    double u, p;  // Python: itertools.combinations over all rank choices, Fraction arithmetic
  };
  const std::vector<Case> cases = {
      {{1.1, 2.3, 0.4, 5.0, 3.3}, {4.1, 6.2, 7.7, 2.9, 8.8, 9.5}, 27, 0.030303030303030304},
      {{12, 15, 11, 19, 14, 13, 18, 10}, {16, 21, 17, 20, 22, 9, 23}, 44, 0.0721056721056721},
      {{3.5, 1.5, 2.5}, {0.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5}, 27, 0.04895104895104895},
      {{2, 1, 4, 3}, {6, 5, 8, 7}, 16, 0.02857142857142857},
  };
  for (const Case& k : cases) {
    JudgeSpec spec;
    spec.min_samples = 3;
    const JudgeResult r = judge(k.control, k.experiment, spec);
    EXPECT_TRUE(r.exact);
    EXPECT_EQ(r.z, 0);
    EXPECT_EQ(r.u, k.u);
    expect_rel(r.p_value, k.p, 1e-12);
    // Swapping the groups mirrors U and keeps the two-sided p.
    const JudgeResult m = judge(k.experiment, k.control, spec);
    EXPECT_EQ(m.u, static_cast<double>(k.control.size() * k.experiment.size()) - k.u);
    expect_rel(m.p_value, k.p, 1e-12);
  }
}

TEST(JudgeExact, TwentyByTwentyMatchesARankSumDpAndTwentyOneSwitchesToNormal) {
  std::vector<double> c, e;
  for (int i = 0; i < 20; ++i) {
    c.push_back(static_cast<double>(2 * i + (i % 3 == 0)) * 0.5 + 0.01 * i);
    e.push_back(static_cast<double>(2 * i + 7) * 0.5 + 0.013 * i);
  }
  const JudgeResult r = judge(c, e);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.u, 260);
  expect_rel(r.p_value, 0.10807707391351054, 1e-12);  // Python: subsets of {1..40} by rank sum

  e.push_back(100);  // 21 values: beyond the exact table, the normal approximation takes over
  const JudgeResult a = judge(c, e);
  EXPECT_FALSE(a.exact);
  EXPECT_NE(a.z, 0);
}

TEST(JudgeAsymptotic, TiesMatchThePythonReference) {
  struct Case {
    std::vector<double> control, experiment;
    double u, z, p;  // Python: pair-counted U, the tie-corrected normal formula, math.erfc
  };
  std::vector<double> c25, e30;
  for (int i = 0; i < 25; ++i) c25.push_back(i % 7);
  for (int i = 0; i < 30; ++i) e30.push_back((i * 3) % 8);
  const std::vector<Case> cases = {
      {{1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7}, {3, 4, 4, 5, 5, 6, 6, 6, 7, 8, 8, 9, 9, 10}, 133,
       2.5122401138566417, 0.011996743120469102},
      {c25, e30, 443.5, 1.1591734097821882, 0.24638550769719425},
      // Small, but tied: the exact table (which assumes no ties) is not used.
      {{1, 1, 2, 3}, {2, 3, 3, 4, 5}, 17.5, 1.759186414825121, 0.0785458509511907},
  };
  for (const Case& k : cases) {
    JudgeSpec spec;
    spec.min_samples = 4;
    const JudgeResult r = judge(k.control, k.experiment, spec);
    EXPECT_FALSE(r.exact);
    EXPECT_EQ(r.u, k.u);
    expect_rel(r.z, k.z, 1e-9);
    expect_rel(r.p_value, k.p, 1e-9);
  }
}

TEST(JudgeTextbook, WikipediaTortoiseAndHare) {
  // Wikipedia, "Mann–Whitney U test", Illustration of calculation methods: 6 tortoises and 6
  // hares finish in the order T H H H H H T T T T T H; U_T = 11 (hares beaten by tortoises),
  // U_H = 25. As values: the finishing positions.
  const std::vector<double> tortoises = {1, 7, 8, 9, 10, 11};
  const std::vector<double> hares = {2, 3, 4, 5, 6, 12};
  // Our U counts pairs where the experiment's value is larger (finished later), so hares as the
  // experiment give U = the number of (tortoise ahead of hare) pairs = U_T.
  const JudgeResult h = judge(tortoises, hares);
  EXPECT_EQ(h.u, 11);
  const JudgeResult t = judge(hares, tortoises);
  EXPECT_EQ(t.u, 25);
  // Not significant (Wikipedia: the critical value of U at 5% two-tailed for 6 vs 6 is 5);
  // exact p from the brute-force enumeration above: 0.30952380952380953.
  expect_rel(h.p_value, 0.30952380952380953, 1e-12);
  EXPECT_EQ(h.outcome, JudgeOutcome::Pass);
}

TEST(JudgeTextbook, NagG08ahfExampleWithTies) {
  // NAG Library g08ahf/g08amc example program: group 1 (16 values) vs group 2 (23), with ties.
  // NAG's published results: test statistic U = 86.0000, normal statistic −2.8039, approximate
  // one-tailed probability 0.0025. Our two-sided p (Python reference): 0.005048845813774749.
  const std::vector<double> g1 = {13, 6, 12, 7, 12, 7, 10, 7, 10, 7, 16, 7, 10, 8, 9, 8};
  const std::vector<double> g2 = {17, 6, 10, 8, 15, 8, 15, 10, 15, 10, 14, 10,
                                  14, 11, 14, 11, 13, 12, 13, 12, 13, 12, 12};
  const JudgeResult r = judge(g2, g1, with(BadDirection::Decrease));
  EXPECT_EQ(r.u, 86);
  EXPECT_NEAR(r.z, -2.8039, 5e-5);
  expect_rel(r.p_value, 0.005048845813774749, 1e-9);
  EXPECT_NEAR(r.p_value / 2, 0.0025, 5e-5);
  EXPECT_EQ(r.outcome, JudgeOutcome::Fail) << r.detail;  // group 1 is clearly lower
}

TEST(JudgeDirection, BigIncreaseFailsOnlyWhereIncreaseHurts) {
  const auto control = normal(40, 100, 5, 1);
  const auto experiment = normal(40, 200, 5, 2);

  const JudgeResult inc = judge(control, experiment, with(BadDirection::Increase));
  EXPECT_EQ(inc.outcome, JudgeOutcome::Fail) << inc.detail;
  EXPECT_TRUE(inc.worse);
  EXPECT_FALSE(inc.better);
  EXPECT_LT(inc.p_value, 1e-10);
  EXPECT_NEAR(inc.shift, 100, 5);
  EXPECT_NEAR(inc.effect_size, 2, 0.1);
  EXPECT_EQ(inc.u, 1600);  // every experiment value above every control value

  const JudgeResult dec = judge(control, experiment, with(BadDirection::Decrease));
  EXPECT_EQ(dec.outcome, JudgeOutcome::Pass) << dec.detail;
  EXPECT_FALSE(dec.worse);
  EXPECT_TRUE(dec.better);

  const JudgeResult either = judge(control, experiment, with(BadDirection::Either));
  EXPECT_EQ(either.outcome, JudgeOutcome::Fail) << either.detail;
  EXPECT_FALSE(either.better);
}

TEST(JudgeDirection, BigDecreaseFailsForDecreaseAndEither) {
  const auto control = normal(40, 100, 5, 3);
  const auto experiment = normal(40, 50, 5, 4);
  const JudgeResult inc = judge(control, experiment, with(BadDirection::Increase));
  EXPECT_EQ(inc.outcome, JudgeOutcome::Pass) << inc.detail;
  EXPECT_TRUE(inc.better);
  EXPECT_NE(inc.detail.find("significantly better"), std::string::npos) << inc.detail;
  const JudgeResult dec = judge(control, experiment, with(BadDirection::Decrease));
  EXPECT_EQ(dec.outcome, JudgeOutcome::Fail) << dec.detail;
  EXPECT_TRUE(dec.worse);
  EXPECT_NE(dec.detail.find("< 0.90"), std::string::npos) << dec.detail;
  const JudgeResult either = judge(control, experiment, with(BadDirection::Either));
  EXPECT_EQ(either.outcome, JudgeOutcome::Fail) << either.detail;
  EXPECT_NE(either.detail.find("outside [0.90, 1.10]"), std::string::npos) << either.detail;
}

TEST(JudgeDirection, TheShiftDecidesWhenTheMediansAgree) {
  // Both medians are 5, but most experiment values moved up: the Hodges-Lehmann shift (3.9, by
  // sorting the 1681 differences in Python) says which way the group went.
  std::vector<double> control(20, 1.0), experiment(20, 4.9);
  control.push_back(5);
  experiment.push_back(5);
  control.insert(control.end(), 20, 6.0);
  experiment.insert(experiment.end(), 20, 100.0);
  const JudgeResult r = judge(control, experiment);
  EXPECT_EQ(r.control_median, r.experiment_median);
  EXPECT_NEAR(r.shift, 3.9, 1e-12);
  EXPECT_TRUE(r.worse);
  EXPECT_LT(r.p_value, 0.05);
  EXPECT_EQ(r.outcome, JudgeOutcome::Fail) << r.detail;
  EXPECT_EQ(judge(control, experiment, with(BadDirection::Decrease)).outcome, JudgeOutcome::Pass);
}

TEST(JudgeEffect, TinySignificantShiftPassesTheBound) {
  // +2% on 2000 values each: overwhelmingly significant, but within max_increase 1.1.
  const auto control = normal(2000, 100, 2, 5);
  const auto experiment = normal(2000, 102, 2, 6);
  const JudgeResult r = judge(control, experiment);
  EXPECT_FALSE(r.exact);
  EXPECT_LT(r.p_value, 1e-50);
  EXPECT_TRUE(r.worse);
  EXPECT_NEAR(r.effect_size, 1.02, 0.005);
  EXPECT_NEAR(r.shift, 2, 0.2);
  EXPECT_EQ(r.outcome, JudgeOutcome::Pass) << r.detail;
  EXPECT_NE(r.detail.find("within the effect bound"), std::string::npos) << r.detail;

  // The same data fails once the bound is tighter than the change.
  JudgeSpec tight;
  tight.max_increase = 1.01;
  EXPECT_EQ(judge(control, experiment, tight).outcome, JudgeOutcome::Fail);
}

TEST(JudgeEffect, NotSignificantPassesWhateverTheRatio) {
  // Two values far out move the mean ratio past 1.1, but the ranks say nothing changed.
  auto control = normal(30, 100, 10, 7);
  auto experiment = normal(30, 100, 10, 8);
  experiment[0] = 1000;
  const JudgeResult r = judge(control, experiment);
  EXPECT_GT(r.effect_size, 1.1);
  EXPECT_GT(r.p_value, 0.05);
  EXPECT_EQ(r.outcome, JudgeOutcome::Pass) << r.detail;
  EXPECT_NE(r.detail.find("no significant change"), std::string::npos) << r.detail;
}

TEST(JudgeFloor, BothMeansBelowTheFloorPass) {
  // An error rate doubling from 0.1% to 0.2%: significant and ratio 2, but below a 1% floor.
  const auto control = normal(40, 0.001, 0.0001, 9);
  const auto experiment = normal(40, 0.002, 0.0001, 10);
  JudgeSpec spec;
  EXPECT_EQ(judge(control, experiment, spec).outcome, JudgeOutcome::Fail);  // floor off
  spec.floor = 0.01;
  const JudgeResult r = judge(control, experiment, spec);
  EXPECT_EQ(r.outcome, JudgeOutcome::Pass) << r.detail;
  EXPECT_TRUE(r.worse);
  EXPECT_NE(r.detail.find("floor"), std::string::npos) << r.detail;
  // Only one mean below the floor: the floor does not apply.
  spec.floor = 0.0015;
  EXPECT_EQ(judge(control, experiment, spec).outcome, JudgeOutcome::Fail);
}

TEST(JudgeNoData, TooFewValues) {
  const std::vector<double> four = {1, 2, 3, 4};
  const std::vector<double> forty = normal(40, 10, 1, 11);
  const JudgeResult r = judge(four, forty);  // min_samples 5 by default
  EXPECT_EQ(r.outcome, JudgeOutcome::NoData);
  EXPECT_EQ(r.n_control, 4u);
  EXPECT_EQ(r.n_experiment, 40u);
  EXPECT_EQ(r.p_value, 1);
  EXPECT_EQ(r.u, 0);
  EXPECT_EQ(r.control_mean, 0);
  EXPECT_EQ(r.effect_size, 1);
  EXPECT_NE(r.detail.find("4 finite control values"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("need at least 5"), std::string::npos) << r.detail;
  EXPECT_EQ(judge(forty, four).outcome, JudgeOutcome::NoData);
  JudgeSpec four_is_enough;
  four_is_enough.min_samples = 4;
  EXPECT_NE(judge(four, forty, four_is_enough).outcome, JudgeOutcome::NoData);
}

TEST(JudgeNoData, NonFiniteValuesAreSkippedAndNotCounted) {
  const std::vector<double> control = {1, kNaN, 2, kInf, 3, -kInf, 4};
  const std::vector<double> experiment = normal(10, 10, 1, 12);
  const JudgeResult r = judge(control, experiment);
  EXPECT_EQ(r.outcome, JudgeOutcome::NoData);
  EXPECT_EQ(r.n_control, 4u);
  EXPECT_NE(r.detail.find("3 skipped"), std::string::npos) << r.detail;

  // With a fifth finite value the NaNs change nothing: same figures as without them.
  std::vector<double> with_nan = {kNaN, 5, 1, kNaN, 2, kInf, 3, 4};
  std::vector<double> exp_nan = experiment;
  exp_nan.push_back(kNaN);
  exp_nan.insert(exp_nan.begin(), -kInf);
  const JudgeResult a = judge(with_nan, exp_nan);
  const JudgeResult b = judge(std::vector<double>{1, 2, 3, 4, 5}, experiment);
  EXPECT_EQ(a.n_control, 5u);
  EXPECT_EQ(a.n_experiment, 10u);
  EXPECT_EQ(a.u, b.u);
  EXPECT_EQ(a.p_value, b.p_value);
  EXPECT_EQ(a.shift, b.shift);
  EXPECT_EQ(a.control_mean, 3);
  EXPECT_EQ(a.outcome, b.outcome);
}

TEST(JudgeNoData, EmptyGroups) {
  const std::vector<double> empty;
  const std::vector<double> some = {1, 2, 3, 4, 5, 6};
  const std::vector<double> all_nan = {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  JudgeSpec zero;
  zero.min_samples = 0;  // even then: nothing to compare with
  for (const JudgeSpec& spec : {JudgeSpec{}, zero}) {
    EXPECT_EQ(judge(empty, empty, spec).outcome, JudgeOutcome::NoData);
    EXPECT_EQ(judge(empty, some, spec).outcome, JudgeOutcome::NoData);
    EXPECT_EQ(judge(some, empty, spec).outcome, JudgeOutcome::NoData);
    EXPECT_EQ(judge(all_nan, some, spec).outcome, JudgeOutcome::NoData);
  }
  EXPECT_EQ(judge(empty, some).n_experiment, 6u);
}

TEST(JudgeIdentical, SameValuesPassWithPOne) {
  const std::vector<double> v = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
  const JudgeResult r = judge(v, v, with(BadDirection::Either));
  EXPECT_EQ(r.outcome, JudgeOutcome::Pass) << r.detail;
  EXPECT_EQ(r.p_value, 1);
  EXPECT_EQ(r.z, 0);
  EXPECT_EQ(r.u, 11 * 11 / 2.0);
  EXPECT_EQ(r.shift, 0);
  EXPECT_EQ(r.effect_size, 1);
  EXPECT_FALSE(r.worse);
  EXPECT_FALSE(r.better);

  // All values equal: σ² = 0, p = 1; and all zero: ratio 1, not NaN.
  const std::vector<double> zeros(8, 0.0);
  const JudgeResult z = judge(zeros, zeros);
  EXPECT_EQ(z.p_value, 1);
  EXPECT_EQ(z.effect_size, 1);
  EXPECT_EQ(z.outcome, JudgeOutcome::Pass);
  const std::vector<double> sevens(12, 7.0);
  EXPECT_EQ(judge(sevens, std::vector<double>(9, 7.0)).p_value, 1);
}

TEST(JudgeEffect, ZeroControlMean) {
  const std::vector<double> zeros(10, 0.0);
  const std::vector<double> errors = {0, 0, 1, 2, 1, 3, 2, 1, 2, 4};
  const JudgeResult r = judge(zeros, errors);
  EXPECT_EQ(r.effect_size, kInf);
  EXPECT_EQ(r.outcome, JudgeOutcome::Fail) << r.detail;
  // No percentage of a zero median, just the values.
  EXPECT_NE(r.detail.find("vs control 0, mean ratio inf"), std::string::npos) << r.detail;
}

TEST(JudgeShift, BisectionEqualsMaterialisedNthElement) {
  std::mt19937 rng(13);
  std::uniform_int_distribution<int> small(0, 6);
  std::normal_distribution<double> g(0, 1);
  std::uniform_int_distribution<int> size(1, 60);
  for (int round = 0; round < 200; ++round) {
    std::vector<double> c(static_cast<std::size_t>(size(rng))), e(static_cast<std::size_t>(size(rng)));
    // Alternate heavy ties (many equal differences), continuous values, and wild magnitudes.
    for (double& x : c) x = round % 3 == 0 ? small(rng) : round % 3 == 1 ? g(rng) : g(rng) * std::pow(10.0, small(rng) * 40 - 120);
    for (double& x : e) x = round % 3 == 0 ? small(rng) + 1 : round % 3 == 1 ? g(rng) + 0.3 : g(rng) * std::pow(10.0, small(rng) * 40 - 120);
    JudgeSpec spec;
    spec.min_samples = 1;
    const JudgeResult r = judge(c, e, spec);
    ASSERT_EQ(r.shift, reference_shift(c, e)) << "round " << round << " n=" << e.size() << " vs " << c.size();
  }
  // The size the brief names: 1000 × 1000, 10^6 differences.
  const auto c = normal(1000, 50, 10, 14);
  const auto e = normal(1000, 53, 10, 15);
  EXPECT_EQ(judge(c, e).shift, reference_shift(c, e));
}

TEST(JudgeDetail, OneSentenceWithTheFigures) {
  const auto control = normal(40, 0.12, 0.01, 16);
  const auto experiment = normal(40, 0.41, 0.03, 17);
  const JudgeResult r = judge(control, experiment);
  ASSERT_EQ(r.outcome, JudgeOutcome::Fail);
  // e.g. "fail: experiment median 0.412 vs control 0.12 (+243%), mean ratio 3.43 > 1.10,
  //       Mann-Whitney p=1.1e-14 < 0.05 (n=40 vs 40)"
  EXPECT_EQ(r.detail.rfind("fail: experiment median 0.4", 0), 0u) << r.detail;
  EXPECT_NE(r.detail.find(" vs control 0.1"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("(+2"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("mean ratio 3."), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("> 1.10"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("Mann-Whitney p="), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("(n=40 vs 40)"), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find('\n'), std::string::npos);
}
