// Anomaly and changepoint detection on the Skoltech Anomaly Benchmark (SKAB, 34 files of a
// water-pump test bed, 8 sensors at 1 s), evaluated as SKAB evaluates, plus the streaming
// detector's speed and state size.
//
// How it is scored (waico/SKAB notebooks with waico/tsad's evaluating(), numenta/NAB's scorer):
// - Outliers ("binary"): every row of every file in one confusion matrix; F1 = TP / (TP + (FP +
//   FN) / 2), FAR = FP / (FP + TN), MAR = FN / (FN + TP).
// - Changepoints ("nab"): a 30 s window centred on each labelled changepoint (SKAB's leaderboard
//   setting), NAB's scaled-sigmoid scoring (earliest detection in a window counts, false positives
//   weighted by their distance past the preceding window), the three NAB profiles, normalised
//   between the null (0) and the perfect (100) detector, with the detection threshold chosen per
//   profile over the whole corpus as NAB's optimizer does. No probationary period (SKAB has none).
// - One configuration for every file: DetectOptions{} (detect_table's defaults). The detector is
//   causal and streaming: it learns each file's baseline during its first 400 rows (the published
//   baselines train on those rows too) and never sees a label.
//
// Targets (TARGET lines, medians of the repetitions): outlier F1 >= 0.80; NAB standard >= 40;
// SeriesDetector >= 2 M points/s on one core; state <= 2 KiB per series.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "agent/predict/detect/detector.h"
#include "agent/predict/detect/nab_score.h"
#include "bench/bench_support.h"

namespace {

using namespace opspilot::agent::detect;

struct SkabFile {
  std::string name;
  std::vector<double> t;
  std::vector<std::vector<double>> columns;  // 8 sensors
  std::vector<std::string> names;
  std::vector<int> anomaly, changepoint;
};

double parse_time(const std::string& s) {
  std::tm tm{};
  if (!strptime(s.c_str(), "%Y-%m-%d %H:%M:%S", &tm)) return std::nan("");
  return static_cast<double>(timegm(&tm));
}

/// One `;`-separated SKAB file: datetime;8 sensors;anomaly;changepoint.
bool load_file(const std::filesystem::path& path, SkabFile& f) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return false;
  std::stringstream head(line);
  std::string tok;
  std::getline(head, tok, ';');
  while (std::getline(head, tok, ';')) f.names.push_back(tok);
  if (f.names.size() != 10) {
    std::fprintf(stderr, "%s: expected 11 columns, found %zu\n", path.c_str(), f.names.size() + 1);
    return false;
  }
  f.names.resize(8);
  f.columns.assign(8, {});
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::getline(ss, tok, ';');
    f.t.push_back(parse_time(tok));
    for (auto& c : f.columns) {
      std::getline(ss, tok, ';');
      c.push_back(std::strtod(tok.c_str(), nullptr));
    }
    std::getline(ss, tok, ';');
    f.anomaly.push_back(std::strtod(tok.c_str(), nullptr) > 0.5);
    std::getline(ss, tok, ';');
    f.changepoint.push_back(std::strtod(tok.c_str(), nullptr) > 0.5);
  }
  f.name = path.parent_path().filename().string() + "/" + path.filename().string();
  return !f.t.empty();
}

const std::vector<SkabFile>& skab() {
  static const std::vector<SkabFile> files = [] {
    std::vector<SkabFile> out;
    const std::filesystem::path root = std::filesystem::path(OPSPILOT_DATA_DIR) / "skab";
    for (const char* sub : {"valve1", "valve2", "other"}) {
      std::vector<std::filesystem::path> paths;
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(root / sub, ec))
        if (e.path().extension() == ".csv") paths.push_back(e.path());
      std::sort(paths.begin(), paths.end());
      for (const auto& p : paths) {
        SkabFile f;
        if (load_file(p, f)) out.push_back(std::move(f));
      }
    }
    return out;
  }();
  return files;
}

struct Evaluation {
  long tp = 0, fp = 0, fn = 0, tn = 0;
  std::size_t rows = 0, changepoints = 0;
  std::vector<nab::Result> nab;  // standard, reward_low_FP_rate, reward_low_FN_rate
  double f1() const { return tp / (tp + 0.5 * static_cast<double>(fp + fn)); }
  double far() const { return 100.0 * static_cast<double>(fp) / static_cast<double>(fp + tn); }
  double mar() const { return 100.0 * static_cast<double>(fn) / static_cast<double>(fn + tp); }
  double precision() const { return static_cast<double>(tp) / static_cast<double>(tp + fp); }
  double recall() const { return static_cast<double>(tp) / static_cast<double>(tp + fn); }
};

Evaluation evaluate(const std::vector<SkabFile>& files) {
  Evaluation e;
  std::vector<nab::File> nab_files;
  const DetectOptions options;  // defaults, the same for every file
  for (const SkabFile& f : files) {
    const auto rows = detect_table(f.t, f.columns, f.names, options);
    nab::File nf;
    nf.scores.resize(rows.size());
    std::vector<std::size_t> cps;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const bool p = rows[i].anomaly, a = f.anomaly[i] != 0;
      e.tp += p && a, e.fp += p && !a, e.fn += !p && a, e.tn += !p && !a;
      nf.scores[i] = rows[i].change_score;
      if (f.changepoint[i]) cps.push_back(i);
    }
    nf.windows = nab::centered_windows(f.t, cps, 30);
    e.rows += rows.size();
    e.changepoints += cps.size();
    nab_files.push_back(std::move(nf));
  }
  for (const auto& p : nab::profiles()) e.nab.push_back(nab::optimize(nab_files, p, 0));
  return e;
}

void BM_SkabCorpus(benchmark::State& state) {
  const auto& files = skab();
  if (files.empty()) {
    state.SkipWithError("no SKAB files under " OPSPILOT_DATA_DIR "/skab");
    return;
  }
  Evaluation e;
  for (auto _ : state) e = evaluate(files);
  state.SetItemsProcessed(state.iterations() * static_cast<long>(e.rows));
  state.counters["f1"] = e.f1();
  state.counters["far_pct"] = e.far();
  state.counters["mar_pct"] = e.mar();
  state.counters["precision"] = e.precision();
  state.counters["recall"] = e.recall();
  state.counters["nab_standard"] = e.nab[0].normalized;
  state.counters["nab_low_fp"] = e.nab[1].normalized;
  state.counters["nab_low_fn"] = e.nab[2].normalized;
  state.counters["files"] = static_cast<double>(files.size());
  state.counters["changepoints"] = static_cast<double>(e.changepoints);
  for (int i = 0; i < 3; ++i) {
    const std::string k = std::to_string(i);
    state.counters["nab_threshold_" + k] = e.nab[i].threshold;
    state.counters["nab_detected_" + k] = static_cast<double>(e.nab[i].detected_windows);
    state.counters["nab_fp_" + k] = static_cast<double>(e.nab[i].false_positives);
  }
}
BENCHMARK(BM_SkabCorpus)->Unit(benchmark::kMillisecond)->Repetitions(3)->Iterations(1);

/// Noisy values with an occasional spike and level shift, so every component does real work.
const std::vector<double>& stream() {
  static const std::vector<double> v = [] {
    std::mt19937 rng(1);
    std::normal_distribution<double> g(100, 5);
    std::vector<double> out(1 << 16);
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = g(rng) + ((i / 4096) % 2 ? 8 : 0);
      if (i % 1000 == 999) out[i] += 60;
    }
    return out;
  }();
  return v;
}

void run_updates(benchmark::State& state, const DetectorOptions& o) {
  SeriesDetector d("http_requests_total{job=\"api\"}", o);
  const auto& v = stream();
  double t = 1'700'000'000;
  std::size_t i = 0;
  // Past the learning phase (a whole day with the default daily season) before timing.
  for (int k = 0; k < 8000; ++k, t += 15) d.update(t, v[i++ & (v.size() - 1)]);
  for (auto _ : state) {
    benchmark::DoNotOptimize(d.update(t, v[i++ & (v.size() - 1)]));
    t += 15;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["state_bytes"] = static_cast<double>(d.state_bytes());
}

void BM_SeriesDetectorUpdate(benchmark::State& state) { run_updates(state, DetectorOptions{}); }
BENCHMARK(BM_SeriesDetectorUpdate)->Repetitions(5);

void BM_SeriesDetectorUpdateTableDefaults(benchmark::State& state) { run_updates(state, table_series_defaults()); }
BENCHMARK(BM_SeriesDetectorUpdateTableDefaults)->Repetitions(5);

void target(const char* name, double measured, const char* unit, const char* op, double limit, int digits,
            const char* reference) {
  const bool pass = op[0] == '>' ? measured >= limit : measured <= limit;
  std::printf("TARGET %s: measured %.*f %s (target %s %.*f %s) -> %s%s%s\n", name, digits, measured, unit, op, digits,
              limit, unit, pass ? "PASS" : "FAIL", reference[0] ? "   published: " : "", reference);
}

}  // namespace

int main(int argc, char** argv) {
  opspilot::bench::MedianReporter reporter;
  if (!opspilot::bench::run_benchmarks(&argc, argv, reporter)) return 1;
  std::printf("\n");
  for (const auto& [name, run] : reporter.medians) {
    const auto& c = run.counters;
    if (name == "BM_SkabCorpus") {
      std::printf("SKAB: %.0f files, %.0f labelled changepoints, %.0f rows/s through detect_table (median of %lld)\n",
                  c.at("files").value, c.at("changepoints").value, c.at("items_per_second").value,
                  static_cast<long long>(run.repetitions));
      const char* profile[3] = {"standard", "reward_low_FP_rate", "reward_low_FN_rate"};
      for (int i = 0; i < 3; ++i) {
        const std::string k = std::to_string(i);
        std::printf("  NAB %-18s threshold %.3f (chosen by NAB's optimizer), %.0f of %.0f windows detected, %.0f false positives\n",
                    profile[i], c.at("nab_threshold_" + k).value, c.at("nab_detected_" + k).value,
                    c.at("changepoints").value, c.at("nab_fp_" + k).value);
      }
      target("skab_outlier_f1", c.at("f1").value, "", ">=", 0.80, 3, "Conv-AE 0.79, MSET 0.73, LSTM-AE 0.68");
      target("skab_nab_standard", c.at("nab_standard").value, "", ">=", 40, 1,
             "Isolation forest 37.53, MSCRED 28.74, Vanilla LSTM 27.09");
      std::printf("INFO skab_nab_reward_low_FP_rate: %.1f   published best: MSCRED 23.43, T-squared+Q 22.42\n",
                  c.at("nab_low_fp").value);
      std::printf("INFO skab_nab_reward_low_FN_rate: %.1f   published best: Isolation forest 45.02, Vanilla LSTM 32.68\n",
                  c.at("nab_low_fn").value);
      std::printf("INFO skab_outlier_precision: %.3f, recall: %.3f\n", c.at("precision").value, c.at("recall").value);
      std::printf("INFO skab_outlier_FAR: %.2f %%, MAR: %.2f %%   published: Conv-AE FAR 13.69 %% MAR 17.77 %%, "
                  "MSET FAR 20.82 %% MAR 20.08 %%\n",
                  c.at("far_pct").value, c.at("mar_pct").value);
    } else if (name == "BM_SeriesDetectorUpdate") {
      target("series_detector_points_per_s", c.at("items_per_second").value / 1e6, "M points/s", ">=", 2.0, 2,
             "");
      target("series_detector_state_bytes", c.at("state_bytes").value, "bytes/series", "<=", 2048, 0, "");
    } else if (name == "BM_SeriesDetectorUpdateTableDefaults") {
      std::printf("INFO series_detector_points_per_s (table defaults): %.2f M points/s, state %.0f bytes/series\n",
                  c.at("items_per_second").value / 1e6, c.at("state_bytes").value);
    }
  }
  if (reporter.medians.empty()) std::printf("no medians: run with the default repetitions\n");
  return 0;
}
