// How fast the agent decodes Prometheus range-query answers (the backtests and forecaster
// warm-up pull days of history for many series at once).
//
// Builds a realistic /api/v1/query_range body — 100 series x 10,000 points, Prometheus' own
// formatting (millisecond timestamps, shortest-round-trip values, some NaN) — and decodes it
// repeatedly. Reports the median decoded samples/s over the repetitions, against the target of
// >= 1,000,000 samples/s on one core. A DOM parse (nlohmann::json::parse) is measured beside it
// for comparison.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "agent/source/prometheus_client.h"

namespace {

constexpr int kSeries = 100;
constexpr int kPoints = 10'000;
constexpr double kTargetSamplesPerSecond = 1e6;

std::string shortest(double v) {
  char buf[32];
  // Go's strconv.FormatFloat(v, 'f', -1, 64) writes the shortest representation; %.17g is close
  // in length to the worst case and keeps the document realistic in size.
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const std::string& range_body() {
  static const std::string body = [] {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> noise(0.0, 1.0);
    std::string b;
    b.reserve(static_cast<std::size_t>(kSeries) * kPoints * 40);
    b += R"({"status":"success","data":{"resultType":"matrix","result":[)";
    for (int s = 0; s < kSeries; ++s) {
      if (s) b += ',';
      b += R"({"metric":{"__name__":"http_requests_total","code":")" + std::to_string(200 + s % 5) +
           R"(","handler":"/api/v1/items","instance":"10.0.)" + std::to_string(s / 10) + "." +
           std::to_string(s % 10) + R"(:8080","job":"api","method":"GET"},"values":[)";
      for (int i = 0; i < kPoints; ++i) {
        if (i) b += ',';
        const long long ms = 1'700'000'000'123LL + static_cast<long long>(i) * 15'000;
        char ts[32];
        std::snprintf(ts, sizeof ts, "%lld.%03lld", ms / 1000, ms % 1000);
        b += '[';
        b += ts;
        b += ",\"";
        if (i % 997 == 13) {
          b += "NaN";
        } else if (s % 2 == 0) {
          b += shortest(100.0 + 50.0 * noise(rng));  // a rate: long fractional digits
        } else {
          b += std::to_string(1000 + i * 7 + s);  // a counter: an integer
        }
        b += "\"]";
      }
      b += "]}";
    }
    b += "]}}";
    return b;
  }();
  return body;
}

void BM_DecodeRangeQuery(benchmark::State& state) {
  const std::string& body = range_body();
  std::size_t samples = 0;
  for (auto _ : state) {
    opspilot::agent::PromResponse r;
    const std::string err = opspilot::agent::decode_prometheus_response(body, r);
    if (!err.empty()) {
      state.SkipWithError(err.c_str());
      return;
    }
    samples = r.result.sample_count();
    benchmark::DoNotOptimize(r.result.series.data());
  }
  if (samples != static_cast<std::size_t>(kSeries) * kPoints) state.SkipWithError("wrong sample count");
  state.counters["samples_per_second"] = benchmark::Counter(
      static_cast<double>(samples) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(body.size()) * state.iterations());
}
BENCHMARK(BM_DecodeRangeQuery)->Unit(benchmark::kMillisecond)->Repetitions(5)->Iterations(2)
    ->ReportAggregatesOnly(false);

void BM_DomParseForComparison(benchmark::State& state) {
  const std::string& body = range_body();
  for (auto _ : state) {
    auto doc = nlohmann::json::parse(body);
    benchmark::DoNotOptimize(doc.size());
  }
  state.counters["samples_per_second"] =
      benchmark::Counter(static_cast<double>(kSeries) * kPoints * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DomParseForComparison)->Unit(benchmark::kMillisecond)->Repetitions(3)->Iterations(1);

// Keeps the per-repetition samples/s of the SAX decoder so main() can print the median.
class TargetReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      if (run.benchmark_name().rfind("BM_DecodeRangeQuery", 0) != 0) continue;
      const auto it = run.counters.find("samples_per_second");
      if (it != run.counters.end()) decode_rates.push_back(it->second.value);
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::vector<double> decode_rates;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::printf("query_range body: %d series x %d points, %.1f MB\n", kSeries, kPoints,
              static_cast<double>(range_body().size()) / 1e6);
  TargetReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  auto rates = reporter.decode_rates;
  if (rates.empty()) {
    std::printf("TARGET prometheus_decode_samples_per_second: measured 0 samples/s (target >= %.0f) -> FAIL\n",
                kTargetSamplesPerSecond);
    return 0;
  }
  std::sort(rates.begin(), rates.end());
  const double median = rates.size() % 2 ? rates[rates.size() / 2]
                                         : (rates[rates.size() / 2 - 1] + rates[rates.size() / 2]) / 2;
  std::printf("decode samples/s over %zu repetitions: median %.0f, min %.0f, max %.0f\n", rates.size(),
              median, rates.front(), rates.back());
  std::printf("TARGET prometheus_decode_samples_per_second: measured %.0f samples/s (target >= %.0f) -> %s\n",
              median, kTargetSamplesPerSecond, median >= kTargetSamplesPerSecond ? "PASS" : "FAIL");
  return 0;
}
