#pragma once
// Helpers shared by the configuration suites (config_test.cpp, config_errors_test.cpp): inline
// YAML loading and exact diagnostic checks.
#include <gtest/gtest.h>

#include <string>

#include "agent/config/diagnostics.h"
#include "agent/config/loader.h"

namespace opspilot::agent::config_test {

// Inline YAML starts after the raw string's first newline, so line 1 is the first line shown.
inline LoadResult load(std::string yaml) {
  if (!yaml.empty() && yaml.front() == '\n') yaml.erase(0, 1);
  return load_config_string(yaml, "test.yaml");
}

inline const Diagnostic* find_message(const LoadResult& r, const std::string& message) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.message == message) return &d;
  }
  return nullptr;
}

// Asserts that `r` has a diagnostic with exactly this message, position, code and path.
inline void expect_diag(const LoadResult& r, int line, int column, DiagnosticCode code, const std::string& path,
                        const std::string& message, DiagnosticSeverity severity = DiagnosticSeverity::Error) {
  const Diagnostic* d = find_message(r, message);
  ASSERT_NE(d, nullptr) << "no diagnostic \"" << message << "\"; got:\n" << r.report();
  EXPECT_EQ(d->line, line) << message;
  EXPECT_EQ(d->column, column) << message;
  EXPECT_EQ(d->code, code) << message << " is " << code_name(d->code);
  EXPECT_EQ(d->path, path) << message;
  EXPECT_EQ(d->severity, severity) << message;
  EXPECT_EQ(d->file, "test.yaml");
}

// A valid sidecar-mode target, for cases about other sections: with the replicas and saturation
// signals the planner needs, so it draws no cannot-scale warning.
inline const std::string kTarget = R"(
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics:
      load: sum(rate(http_requests_total[1m]))
      replicas: kube_deployment_spec_replicas{deployment="web"}
      saturation: avg(cpu_utilization{service="web"})
)";

}  // namespace opspilot::agent::config_test
