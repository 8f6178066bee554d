// `opspilot forecast`: the agent's forecaster on any CSV series, with calibrated intervals.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/csv_input.h"
#include "agent/config/duration.h"
#include "agent/format.h"
#include "agent/predict/forecast.h"
#include "agent/predict/regular_series.h"

namespace opspilot::agent::cli {
namespace {

int usage(const std::string& m) {
  std::cerr << "opspilot forecast: " << m << "\nrun `opspilot help` for usage\n";
  return 2;
}

/// A count of steps ("48") or a duration ("2d") divided by the series' step.
std::optional<std::size_t> steps_of(const std::string& text, double step_seconds, std::string* why) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 9) {
      *why = "\"" + text + "\" is too large";
      return std::nullopt;
    }
    return static_cast<std::size_t>(std::stoul(text));
  }
  std::string err;
  const auto d = parse_duration(text, &err);
  if (!d) {
    *why = "\"" + text + "\" is neither a number of steps nor a duration (" + err + ")";
    return std::nullopt;
  }
  const double n = to_seconds(*d) / step_seconds;
  if (std::abs(n - std::round(n)) > 1e-6) {
    char b[160];
    std::snprintf(b, sizeof b, "\"%s\" is not a whole number of %gs steps", text.c_str(), step_seconds);
    *why = b;
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::llround(n));
}

std::string level_name(double level) {
  char b[16];
  std::snprintf(b, sizeof b, "%g", level * 100);
  return b;
}

std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6f", v);
  std::string s = b;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string iso_time(double unix_seconds) {
  return format_rfc3339(from_unix_seconds(unix_seconds));
}

}  // namespace

int cmd_forecast(const Args& args) {
  const Options o = parse_options(
      args, {"input", "output", "horizon", "time-column", "value-column", "season", "level"},
      {"quiet", "allow-negative"});
  if (!o.error.empty()) return usage(o.error);
  if (!o.positional.empty()) return usage("unexpected argument \"" + o.positional.front() + "\"");
  if (!o.has("input")) return usage("say which file: --input FILE");
  if (!o.has("horizon")) return usage("say how far ahead: --horizon STEPS (e.g. 48) or a duration (e.g. 2d)");

  forecast::Options fo;
  fo.levels.clear();
  for (const std::string& part : split_list(o.get("level", "80,95"))) {
    char* end = nullptr;
    const double v = std::strtod(part.c_str(), &end);
    if (part.empty() || end != part.c_str() + part.size() || !(v > 0 && v < 100))
      return usage("--level \"" + part + "\" is not a percentage in (0, 100), e.g. 80,95");
    // 0.95 is a fraction written where a percentage belongs, not a 0.95% interval.
    if (v < 1)
      return usage("--level takes percentages such as 80,95; got " + part + " (did you mean " + fmt("%g", v * 100) +
                   "?)");
    if (std::find(fo.levels.begin(), fo.levels.end(), v / 100) != fo.levels.end())
      return usage("--level names " + part + " twice; give each level once, e.g. 80,95");
    fo.levels.push_back(v / 100);
  }
  if (fo.levels.empty()) return usage("--level names no level; e.g. --level 80,95");
  fo.non_negative = !o.has("allow-negative");

  std::string error;
  const auto csv = read_csv_series(o.get("input"), o.get("time-column", "timestamp"),
                                   {o.get("value-column", "value")}, &error);
  if (!csv) {
    std::cerr << "opspilot forecast: " << error << "\n";
    return 1;
  }
  std::vector<std::pair<double, double>> points;
  points.reserve(csv->rows);
  for (std::size_t i = 0; i < csv->rows; ++i) points.emplace_back(csv->time[i], csv->values[0][i]);
  forecast::RegularizeOptions ro;
  ro.non_negative = fo.non_negative;
  const auto series = forecast::regularize(points, ro, &error);
  if (!series) {
    std::cerr << "opspilot forecast: " << o.get("input") << ": " << error << "\n";
    return 1;
  }
  fo.step_seconds = series->step_seconds;

  std::string why;
  const auto horizon = steps_of(o.get("horizon"), fo.step_seconds, &why);
  if (!horizon) return usage("--horizon " + why);
  if (*horizon == 0 || *horizon > 100000) return usage("--horizon must be 1 to 100000 steps");
  fo.horizon = *horizon;
  const std::string season = o.get("season", "auto");
  if (season != "auto") {
    for (const std::string& part : split_list(season)) {
      const auto p = steps_of(part, fo.step_seconds, &why);
      if (!p) return usage("--season " + why);
      if (*p < 2) return usage("--season \"" + part + "\" is shorter than two steps");
      fo.seasons.push_back(*p);
    }
  }

  const auto f = forecast::forecast(series->y, fo, &error);
  if (!f) {
    std::cerr << "opspilot forecast: " << o.get("input") << ": " << error << "\n";
    return 1;
  }

  CsvOutput output;
  if (!output.open(o.get("output", "-"), &error)) {
    std::cerr << "opspilot forecast: " << error << "\n";
    return 1;
  }
  std::ostream& out = output.stream();
  out << "step,timestamp,mean";
  for (const auto& b : f->bands) out << ",lower_" << level_name(b.level) << ",upper_" << level_name(b.level);
  out << "\n";
  for (std::size_t h = 0; h < f->mean.size(); ++h) {
    const double last = series->start + static_cast<double>(series->y.size() - 1) * series->step_seconds;
    out << h + 1 << "," << iso_time(last + static_cast<double>(h + 1) * series->step_seconds)
        << "," << number(f->mean[h]);
    for (const auto& b : f->bands) out << "," << number(b.lower[h]) << "," << number(b.upper[h]);
    out << "\n";
  }
  if (!output.finish(&error)) {
    std::cerr << "opspilot forecast: " << error << "\n";
    return 1;
  }
  if (!o.has("quiet")) {
    std::cerr << "opspilot forecast: " << series->y.size() << " points every "
              << format_duration(std::chrono::milliseconds(std::llround(series->step_seconds * 1000)))
              << "; model " << f->model;
    if (std::isfinite(f->validation_mase)) {
      char b[96];
      std::snprintf(b, sizeof b, "; out-of-sample MASE %.3f, coverage %.0f%%", f->validation_mase,
                    f->validation_coverage * 100);
      std::cerr << b;
    }
    std::cerr << "\n";
    for (const auto& n : csv->notes) std::cerr << "  note: " << n << "\n";
    for (const auto& n : series->notes) std::cerr << "  note: " << n << "\n";
    for (const auto& n : f->notes) std::cerr << "  note: " << n << "\n";
  }
  return 0;
}

}  // namespace opspilot::agent::cli
