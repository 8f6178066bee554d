#pragma once
// Reports of what the agent saw and did, from its timeline CSV and journal: a Markdown summary
// and a self-contained HTML page with charts (load, forecast band, replicas, decisions).
#include <string>
#include <vector>

#include "agent/journal/decision.h"

namespace opspilot::agent {

struct ReportInput {
  std::string title = "opspilot report";
  std::string timeline_csv;          // contents of the timeline file
  std::vector<Decision> decisions;   // journaled decisions, any order
  double latency_slo_seconds = 0.5;  // p99 above this counts as an SLO-violation minute
  double error_slo_ratio = 0.01;     // error ratio above this counts too
};

struct ReportOutput {
  std::string markdown;
  std::string html;
};

/// False with `error` set when the timeline cannot be read (the message names the line).
bool build_report(const ReportInput& in, ReportOutput* out, std::string* error);

}  // namespace opspilot::agent
