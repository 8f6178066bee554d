#pragma once
// Shared by the benchmark binaries: run the registered benchmarks, print them as usual, and keep
// the median aggregate of each for the TARGET lines printed at the end.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace opspilot::bench {

class MedianReporter : public benchmark::ConsoleReporter {
 public:
  MedianReporter() : ConsoleReporter(::isatty(::fileno(stdout)) ? OO_ColorTabular : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median")
        medians[r.run_name.function_name + (r.run_name.args.empty() ? "" : "/" + r.run_name.args)] = r;
    ConsoleReporter::ReportRuns(runs);
  }
  /// Median runs by benchmark name and arguments ("BM_Range/3600"), without repetition suffixes.
  std::map<std::string, Run> medians;
};

/// Initializes Google Benchmark, runs every registered benchmark into `reporter`; false on
/// unrecognised arguments.
inline bool run_benchmarks(int* argc, char** argv, MedianReporter& reporter) {
  benchmark::Initialize(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(*argc, argv)) return false;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return true;
}

}  // namespace opspilot::bench
