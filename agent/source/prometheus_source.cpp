#include "agent/source/prometheus_source.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace opspilot::agent {
namespace {

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

QueryTime query_time_for(const Clock& clock) {
  return dynamic_cast<const SystemClock*>(&clock) != nullptr ? QueryTime::ServerNow : QueryTime::AgentClock;
}

SignalValue reduce_to_signal(const PromQueryResult& result, const std::string& query, TimePoint now,
                             Duration stale_after, bool* non_finite) {
  if (non_finite) *non_finite = false;
  SignalValue v;
  v.query = query;
  if (!result.ok()) {
    v.status = SignalStatus::Error;
    v.error = result.error->message;
    return v;
  }
  const PromResult& r = result.result;
  if (r.type == PromResultType::String) {
    v.status = SignalStatus::Error;
    v.error = "query returned the string \"" + r.string_value.substr(0, 80) +
              "\"; expected an instant vector or a scalar";
    return v;
  }
  if (r.type == PromResultType::Matrix) {
    v.status = SignalStatus::Error;
    v.error = "query returned a range vector (matrix) of " + std::to_string(r.series.size()) +
              " series; expected an instant vector or a scalar (wrap a [range] selector in rate(), "
              "avg_over_time() or similar)";
    return v;
  }
  double sum = 0;
  double oldest = 0;
  std::size_t n = 0;
  for (const auto& s : r.series) {
    if (s.samples.empty()) continue;
    const PromSample& p = s.samples.back();
    sum += p.value;
    oldest = n == 0 ? p.time : std::min(oldest, p.time);
    ++n;
  }
  if (n == 0) {
    v.status = SignalStatus::Missing;
    v.error = "no data: query returned no series";
    return v;
  }
  v.value = sum;
  v.sampled_at = from_unix_seconds(oldest);
  // Per-series values when labels tell series apart (a per-pod signal's pods); bounded.
  if (n > 1 || (n == 1 && !r.series.front().labels.empty())) {
    for (const auto& s : r.series) {
      if (s.samples.empty() || !std::isfinite(s.samples.back().value)) continue;
      if (v.series.size() >= SignalValue::kMaxSeries) break;
      SeriesValue x;
      x.labels = s.labels;
      x.labels.erase("__name__");
      x.value = s.samples.back().value;
      v.series.push_back(std::move(x));
    }
  }
  if (!std::isfinite(sum)) {
    if (non_finite) *non_finite = true;
    v.status = SignalStatus::Error;
    v.error = "not a finite number: " + format_value(sum) +
              (n > 1 ? " (sum of " + std::to_string(n) + " series)" : std::string());
    return v;
  }
  const Duration age = now - v.sampled_at;
  if (age > stale_after) {
    v.status = SignalStatus::Stale;
    v.error = "sample is " + format_seconds(to_seconds(age)) + " old; stale after " +
              format_seconds(to_seconds(stale_after));
    return v;
  }
  v.status = SignalStatus::Ok;
  return v;
}

PrometheusSource::PrometheusSource(std::shared_ptr<PrometheusClient> client,
                                   PrometheusSourceOptions options)
    : client_(std::move(client)), options_(options) {}

PrometheusSource::PrometheusSource(const Config& config, QueryTime query_time)
    : PrometheusSource(std::make_shared<PrometheusClient>(config.prometheus),
                       PrometheusSourceOptions{query_time, config.stale_after}) {}

Observation PrometheusSource::observe(const TargetSpec& target, TimePoint now) {
  Observation obs;
  obs.at = now;
  obs.source = "prometheus " + client_->url();
  const std::optional<TimePoint> at =
      options_.query_time == QueryTime::AgentClock ? std::optional<TimePoint>(now) : std::nullopt;
  for (const auto& [role, spec] : target.signals) {
    const PromQueryResult result = client_->query(spec.query, at);
    bool non_finite = false;
    SignalValue v = reduce_to_signal(result, spec.query, now, options_.stale_after, &non_finite);
    if (non_finite) non_finite_.fetch_add(1, std::memory_order_relaxed);
    if (v.status == SignalStatus::Missing) missing_.fetch_add(1, std::memory_order_relaxed);
    if (v.status == SignalStatus::Stale) stale_.fetch_add(1, std::memory_order_relaxed);
    obs.signals.emplace(role, std::move(v));
  }
  return obs;
}

PrometheusSourceStats PrometheusSource::stats() const {
  const PrometheusClientStats c = client_->stats();
  PrometheusSourceStats s;
  s.queries = c.queries;
  s.query_errors = c.query_errors;
  s.retries = c.retries;
  s.non_finite = non_finite_.load(std::memory_order_relaxed);
  s.missing = missing_.load(std::memory_order_relaxed);
  s.stale = stale_.load(std::memory_order_relaxed);
  return s;
}

SourceStats PrometheusSource::source_stats() const {
  const PrometheusSourceStats p = stats();
  SourceStats s;
  s.bad_samples = p.non_finite;
  s.query_errors = p.query_errors;
  s.query_retries = p.retries;
  return s;
}

}  // namespace opspilot::agent
