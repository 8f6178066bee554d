// `opspilot detect`: causal anomaly scoring of a CSV, as the live agent would score it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/csv_input.h"
#include "agent/predict/detect/detector.h"

namespace opspilot::agent::cli {
namespace {

std::string number(double v) {
  if (!std::isfinite(v)) return "";
  char b[32];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

}  // namespace

int cmd_detect(const Args& args) {
  const Options o = parse_options(args, {"input", "output", "time-column", "value-column"}, {"quiet"});
  auto usage = [](const std::string& m) {
    std::cerr << "opspilot detect: " << m << "\nrun `opspilot help` for usage\n";
    return 2;
  };
  if (!o.error.empty()) return usage(o.error);
  if (!o.positional.empty()) return usage("unexpected argument \"" + o.positional.front() + "\"");
  if (!o.has("input")) return usage("say which file: --input FILE");
  const std::vector<std::string> columns = split_list(o.get("value-column", "value"));
  if (columns.empty()) return usage("--value-column names no column");

  std::string error;
  const auto csv = read_csv_series(o.get("input"), o.get("time-column", "timestamp"), columns, &error);
  if (!csv) {
    std::cerr << "opspilot detect: " << error << "\n";
    return 1;
  }
  const std::vector<detect::ScoredRow> rows =
      detect::detect_table(csv->time, csv->values, columns, detect::DetectOptions{});
  if (rows.size() != csv->rows) {
    std::cerr << "opspilot detect: internal error: " << rows.size() << " scores for " << csv->rows << " rows\n";
    return 1;
  }

  CsvOutput output;
  if (!output.open(o.get("output", "-"), &error)) {
    std::cerr << "opspilot detect: " << error << "\n";
    return 1;
  }
  std::ostream& out = output.stream();
  out << "timestamp";
  if (columns.size() == 1) {
    out << ",value";
  } else {
    for (const auto& c : columns) out << "," << c;
  }
  out << ",score,is_anomaly\n";
  std::size_t anomalies = 0, episodes = 0;
  std::vector<std::string> starts;
  bool was = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    out << csv->time_text[i];
    for (std::size_t c = 0; c < columns.size(); ++c) out << "," << number(csv->values[c][i]);
    char score[32];
    std::snprintf(score, sizeof score, "%.4f", std::clamp(r.score, 0.0, 1.0));
    out << "," << score << "," << (r.anomaly ? 1 : 0) << "\n";
    anomalies += r.anomaly;
    if (r.anomaly && !was) {
      ++episodes;
      if (starts.size() < 10) starts.push_back(csv->time_text[i] + ": " + r.top.explanation);
    }
    was = r.anomaly;
  }
  if (!output.finish(&error)) {
    std::cerr << "opspilot detect: " << error << "\n";
    return 1;
  }
  if (!o.has("quiet")) {
    std::cerr << "opspilot detect: " << csv->rows << " rows, " << anomalies << " anomalous in "
              << episodes << " episode(s)\n";
    for (const auto& n : csv->notes) std::cerr << "  note: " << n << "\n";
    for (const auto& s : starts) std::cerr << "  " << s << "\n";
    if (episodes > starts.size()) std::cerr << "  ... and " << episodes - starts.size() << " more\n";
  }
  return 0;
}

}  // namespace opspilot::agent::cli
