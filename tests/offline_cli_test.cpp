// `opspilot forecast` and `opspilot detect`, run as the real binary on CSV files.
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "agent/cli/csv_input.h"
#include "tests/test_support.h"

namespace opspilot {
namespace {

constexpr double kPi = 3.14159265358979323846;

int run(const std::string& args, std::string* out) {
  return test::run_command(std::string(OPSPILOT_BIN) + " " + args + " 2>&1", out);
}

std::vector<std::vector<std::string>> read_rows(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    agent::cli::split_csv_record(line, ',', &f);
    rows.push_back(f);
  }
  return rows;
}

// Hourly load with a daily cycle, `days` long, starting 2026-01-05T00:00:00Z.
std::string hourly_csv(int days, double noise_sd, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, noise_sd);
  std::ostringstream s;
  s << "timestamp,value\n";
  const long start = 1767571200;
  for (int h = 0; h < days * 24; ++h)
    s << start + h * 3600L << "," << 100 + 40 * std::sin(2 * kPi * h / 24.0) + noise(rng) << "\n";
  return s.str();
}

TEST(ForecastCommand, WritesStepsTimestampsMeansAndBands) {
  test::TempDir dir;
  const std::string in = dir.write("load.csv", hourly_csv(21, 2));
  std::string out;
  ASSERT_EQ(run("forecast --input " + in + " --horizon 1d --output " + dir.file("f.csv"), &out), 0) << out;
  const auto rows = read_rows(dir.file("f.csv"));
  ASSERT_EQ(rows.size(), 25u) << out;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"step", "timestamp", "mean", "lower_80", "upper_80",
                                               "lower_95", "upper_95"}));
  EXPECT_EQ(rows[1][0], "1");
  EXPECT_EQ(rows[1][1], "2026-01-26T00:00:00Z");  // one step after the last point
  for (std::size_t h = 1; h < rows.size(); ++h) {
    const double mean = std::stod(rows[h][2]), l80 = std::stod(rows[h][3]), u80 = std::stod(rows[h][4]);
    const double l95 = std::stod(rows[h][5]), u95 = std::stod(rows[h][6]);
    const double truth = 100 + 40 * std::sin(2 * kPi * static_cast<double>(21 * 24 + h - 1) / 24.0);
    EXPECT_NEAR(mean, truth, 8) << "step " << h;
    EXPECT_LE(l95, l80);
    EXPECT_LE(l80, mean);
    EXPECT_LE(mean, u80);
    EXPECT_LE(u80, u95);
  }
  EXPECT_NE(out.find("model"), std::string::npos) << out;
}

TEST(ForecastCommand, HonoursColumnsSeasonAndLevels) {
  test::TempDir dir;
  std::string csv = hourly_csv(14, 1);
  csv.replace(0, csv.find('\n'), "when,requests");
  const std::string in = dir.write("load.csv", csv);
  std::string out;
  ASSERT_EQ(run("forecast --input " + in + " --time-column when --value-column requests --season 24 "
                "--level 90 --horizon 6 --quiet",
                &out),
            0)
      << out;
  std::istringstream s(out);
  std::string header;
  std::getline(s, header);
  EXPECT_EQ(header, "step,timestamp,mean,lower_90,upper_90");
}

TEST(ForecastCommand, BadInputIsAClearErrorNeverAForecast) {
  test::TempDir dir;
  std::string out;
  EXPECT_EQ(run("forecast --input " + dir.file("missing.csv") + " --horizon 5", &out), 1);
  EXPECT_NE(out.find("cannot open"), std::string::npos) << out;

  const std::string in = dir.write("load.csv", hourly_csv(3, 1));
  EXPECT_EQ(run("forecast --input " + in + " --horizon 5 --value-column requests", &out), 1);
  EXPECT_NE(out.find("no column \"requests\""), std::string::npos) << out;
  EXPECT_EQ(run("forecast --input " + in, &out), 2);
  EXPECT_NE(out.find("--horizon"), std::string::npos) << out;
  EXPECT_EQ(run("forecast --input " + in + " --horizon 90m", &out), 2);
  EXPECT_NE(out.find("not a whole number"), std::string::npos) << out;
  EXPECT_EQ(run("forecast --input " + in + " --horizon 5 --level 150", &out), 2);
  // A fraction where a percentage belongs is refused, not read as a 0.95% interval.
  EXPECT_EQ(run("forecast --input " + in + " --horizon 5 --level 0.95", &out), 2);
  EXPECT_NE(out.find("--level takes percentages such as 80,95; got 0.95 (did you mean 95?)"), std::string::npos) << out;
  EXPECT_EQ(run("forecast --input " + in + " --horizon 5 --level 80,0.5", &out), 2);
  EXPECT_NE(out.find("got 0.5 (did you mean 50?)"), std::string::npos) << out;
  EXPECT_EQ(run("forecast --input " + in + " --horizon 5 --level 80,95,80", &out), 2);
  EXPECT_NE(out.find("--level names 80 twice"), std::string::npos) << out;
  EXPECT_EQ(run("forecast --input " + in + " --horizon 5 --level 1,99", &out), 0) << out;

  const std::string bad_time = dir.write("t.csv", "timestamp,value\n2026-01-05T00:00:00Z,1\nyesterday,2\n");
  EXPECT_EQ(run("forecast --input " + bad_time + " --horizon 5", &out), 1);
  EXPECT_NE(out.find("t.csv:3: timestamp \"yesterday\""), std::string::npos) << out;

  const std::string one = dir.write("one.csv", "timestamp,value\n1,5\n");
  EXPECT_EQ(run("forecast --input " + one + " --horizon 5", &out), 1) << out;

  // A constant series is forecast flat, with a note; NaN and gaps are noted, never fatal.
  std::ostringstream flat;
  flat << "timestamp,value\n";
  for (int i = 0; i < 200; ++i) flat << i * 60 << "," << (i == 50 ? std::string("NaN") : std::string("7")) << "\n";
  const std::string flat_csv = dir.write("flat.csv", flat.str());
  ASSERT_EQ(run("forecast --input " + flat_csv + " --horizon 3 --output " + dir.file("flat-out.csv"), &out), 0) << out;
  const auto rows = read_rows(dir.file("flat-out.csv"));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_NEAR(std::stod(rows[1][2]), 7, 1e-6);
  EXPECT_NE(out.find("note:"), std::string::npos) << out;
  // The note says where the bad value was (the header is line 1, row 50 is line 52).
  EXPECT_NE(out.find("1 value(s) empty or not a finite number, treated as missing: line 52 value \"NaN\""),
            std::string::npos)
      << out;
}

TEST(ForecastCommand, ReadsTheNasaTraceAsIs) {
  const std::string in = std::string(OPSPILOT_DATA_DIR) + "/nasa-http/requests_per_minute.csv";
  test::TempDir dir;
  std::string out;
  ASSERT_EQ(run("forecast --input " + in + " --value-column requests --horizon 1h --output " + dir.file("n.csv"), &out), 0)
      << out;
  EXPECT_EQ(read_rows(dir.file("n.csv")).size(), 61u);
}

TEST(DetectCommand, ScoresCausallyAndFlagsAPlantedSpike) {
  test::TempDir dir;
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0, 1);
  std::ostringstream s;
  s << "timestamp,value\n";
  for (int i = 0; i < 3000; ++i) s << "2026-01-05 " << (i / 3600 < 10 ? "0" : "") << i / 3600 << ":"
                                    << (i / 60 % 60 < 10 ? "0" : "") << i / 60 % 60 << ":"
                                    << (i % 60 < 10 ? "0" : "") << i % 60 << ","
                                    << (i >= 2000 && i < 2020 ? 60.0 : 20 + noise(rng)) << "\n";
  const std::string in = dir.write("s.csv", s.str());
  std::string out;
  ASSERT_EQ(run("detect --input " + in + " --output " + dir.file("d.csv"), &out), 0) << out;
  const auto rows = read_rows(dir.file("d.csv"));
  ASSERT_EQ(rows.size(), 3001u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"timestamp", "value", "score", "is_anomaly"}));
  EXPECT_EQ(rows[1][0], "2026-01-05 00:00:00");
  int before = 0, during = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const double score = std::stod(rows[i][2]);
    EXPECT_GE(score, 0.0);
    EXPECT_LE(score, 1.0);
    const bool a = rows[i][3] == "1";
    if (i - 1 < 2000) before += a;
    if (i - 1 >= 2000 && i - 1 < 2020) during += a;
  }
  EXPECT_EQ(before, 0) << "no alarm on clean data";
  EXPECT_GT(during, 10) << "the spike is flagged";

  // Causal: scoring a prefix gives the same scores for the rows it has.
  const std::string prefix = s.str().substr(0, s.str().find("2026-01-05 00:33:20"));
  const std::string in2 = dir.write("p.csv", prefix);
  ASSERT_EQ(run("detect --input " + in2 + " --output " + dir.file("p-out.csv"), &out), 0) << out;
  const auto prow = read_rows(dir.file("p-out.csv"));
  ASSERT_EQ(prow.size(), 2001u);
  for (std::size_t i = 1; i < prow.size(); ++i) ASSERT_EQ(prow[i], rows[i]) << "row " << i;
}

TEST(DetectCommand, SeveralColumnsAndBadInput) {
  const std::string skab = std::string(OPSPILOT_DATA_DIR) + "/skab/valve1/1.csv";
  test::TempDir dir;
  std::string out;
  ASSERT_EQ(run("detect --input " + skab + " --time-column datetime --value-column "
                "Accelerometer1RMS,Current,Pressure --output " + dir.file("k.csv"), &out), 0) << out;
  const auto rows = read_rows(dir.file("k.csv"));
  ASSERT_GT(rows.size(), 100u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"timestamp", "Accelerometer1RMS", "Current", "Pressure",
                                               "score", "is_anomaly"}));
  EXPECT_EQ(run("detect --input " + skab, &out), 1);
  EXPECT_NE(out.find("no column \"timestamp\""), std::string::npos) << out;
  EXPECT_EQ(run("detect --input " + skab + " --bogus", &out), 2);
}

}  // namespace
}  // namespace opspilot
