#include "examples/sandbox/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "examples/sandbox/model.h"

namespace opspilot::sandbox {
namespace {

std::string count_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", std::floor(std::max(0.0, v)));
  return buf;
}

std::string gauge_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string le_text(double le) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", le);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += " ";
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " ";
  out += type;
  out += "\n";
}

}  // namespace

std::string render_metrics(const Model& model, std::string_view only) {
  std::vector<const ServiceSim*> services;
  for (const ServiceSim& s : model.services()) {
    if (only.empty() || s.name() == only) services.push_back(&s);
  }
  if (services.empty()) return {};
  const double now = model.elapsed_s();
  std::string out;
  out.reserve(2048 * services.size());
  auto label = [](const ServiceSim& s) { return "{service=\"" + s.name() + "\""; };

  header(out, "sandbox_http_requests_total", "counter",
         "Requests handled by the service, by HTTP status code: 500 its own failures, 502 a dependency's, "
         "503 shed for lack of capacity.");
  for (const ServiceSim* s : services) {
    const Counters& c = s->counters();
    const std::pair<const char*, double> codes[] = {
        {"200", c.ok}, {"500", c.errors}, {"502", s->dependency_errors()}, {"503", c.shed}};
    for (const auto& [code, value] : codes) {
      out += "sandbox_http_requests_total" + label(*s) + ",code=\"" + code + "\"} " + count_text(value) + "\n";
    }
  }

  header(out, "sandbox_http_request_duration_seconds", "histogram",
         "Time to answer served requests (200 and 500), in seconds.");
  for (const ServiceSim* s : services) {
    const Counters& c = s->counters();
    const std::string name = "sandbox_http_request_duration_seconds";
    double prev = 0;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      // Cumulative and never above the total, whatever floating point rounding did.
      const double v = std::max(prev, std::min(c.buckets[i], c.latency_count));
      prev = v;
      out += name + "_bucket" + label(*s) + ",le=\"" + le_text(kLatencyBuckets[i]) + "\"} " + count_text(v) + "\n";
    }
    out += name + "_bucket" + label(*s) + ",le=\"+Inf\"} " + count_text(c.latency_count) + "\n";
    out += name + "_sum" + label(*s) + "} " + gauge_text(c.latency_sum) + "\n";
    out += name + "_count" + label(*s) + "} " + count_text(c.latency_count) + "\n";
  }

  std::vector<ServiceStatus> status;
  for (const ServiceSim* s : services) status.push_back(s->status(now));
  auto gauge = [&](const char* name, const char* help, auto get) {
    header(out, name, "gauge", help);
    for (std::size_t i = 0; i < services.size(); ++i) {
      out += std::string(name) + label(*services[i]) + "} " + gauge_text(get(status[i])) + "\n";
    }
  };
  gauge("sandbox_replicas", "Desired replicas.", [](const ServiceStatus& s) { return double(s.desired); });
  gauge("sandbox_ready_replicas", "Replicas ready to serve.", [](const ServiceStatus& s) { return double(s.ready); });
  gauge("sandbox_cpu_utilization", "CPU utilisation per ready replica, 0 to 1.",
        [](const ServiceStatus& s) { return s.cpu; });
  gauge("sandbox_revision", "Revision being rolled out or running.",
        [](const ServiceStatus& s) { return double(s.revision); });
  gauge("sandbox_up", "1 when at least one replica is ready.",
        [](const ServiceStatus& s) { return s.ready > 0 ? 1.0 : 0.0; });
  header(out, "sandbox_rollout_started_timestamp_seconds", "gauge",
         "When the latest rollout (deploy, restart, rollback, eviction) began, unix seconds; 0 before the first.");
  for (const ServiceSim* s : services) {
    const double at = s->rollout_started_s();
    char ts[48];  // unix seconds need all their digits, not gauge_text's 6
    std::snprintf(ts, sizeof ts, "%.3f", std::isfinite(at) ? static_cast<double>(model.start_unix()) + at : 0.0);
    out += "sandbox_rollout_started_timestamp_seconds" + label(*s) + "} " + ts + "\n";
  }
  header(out, "sandbox_pod_restarts_total", "counter", "Container restarts of the service's pods (crash loops).");
  for (const ServiceSim* s : services)
    out += "sandbox_pod_restarts_total" + label(*s) + "} " + count_text(s->restarts_total()) + "\n";
  header(out, "sandbox_pod_latency_seconds", "gauge", "p99 latency of each ready pod over the last tick, in seconds.");
  for (const ServiceSim* s : services) {
    for (const Pod& p : s->pods()) {
      if (!p.ready(now) || p.p99_s <= 0) continue;  // not serving (yet): no latency to report
      out += "sandbox_pod_latency_seconds" + label(*s) + ",pod=\"" + s->pod_name(p) + "\"} " + gauge_text(p.p99_s) + "\n";
    }
  }
  // Ground truth, for scoring detectors: the agent's `incident` signal can read it.
  header(out, "sandbox_incident_active", "gauge", "Incidents in progress on the service (ground truth).");
  for (const ServiceSim* s : services) {
    const auto& incidents = s->incidents();
    const auto active = std::count_if(incidents.begin(), incidents.end(),
                                      [](const IncidentRecord& r) { return r.active(); });
    out += "sandbox_incident_active" + label(*s) + "} " + gauge_text(static_cast<double>(active)) + "\n";
  }

  header(out, "sandbox_simulated_time_seconds", "gauge", "The sandbox's simulated time, in unix seconds.");
  char buf[64];
  std::snprintf(buf, sizeof buf, "sandbox_simulated_time_seconds %.3f\n",
                static_cast<double>(model.start_unix()) + model.elapsed_s());
  out += buf;
  return out;
}

}  // namespace opspilot::sandbox
