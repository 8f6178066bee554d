#pragma once
// Prometheus text exposition (format 0.0.4) of the model, written by hand: the sandbox exports
// what a real instrumented service would, labelled service="<name>":
//   sandbox_http_requests_total{service,code}       counter  (code 200, 500, 503)
//   sandbox_http_request_duration_seconds           histogram (.005 … 10, +Inf)
//   sandbox_replicas / sandbox_ready_replicas       gauges
//   sandbox_cpu_utilization                         gauge, per ready replica, [0, 1]
//   sandbox_revision / sandbox_up                   gauges
//   sandbox_simulated_time_seconds                  gauge (unix seconds of simulated now)
// Counts are printed as whole numbers (floor of the simulated totals), so counters are monotonic.
// Thread-safety: pure functions of a Model the caller keeps still.
#include <string>
#include <string_view>

namespace opspilot::sandbox {

class Model;

/// Content-Type of the exposition.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

/// All services, or only `service` when not empty (sidecar mode). Empty string when `service`
/// names no service.
std::string render_metrics(const Model& model, std::string_view service = {});

}  // namespace opspilot::sandbox
