#include "agent/source/scrape_source.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include "actuators/common/http_client.h"
#include "agent/config/duration.h"

namespace opspilot::agent {

// ---- SeriesHistory ---------------------------------------------------------------------------

void SeriesHistory::begin_scrape(TimePoint now) {
  ++scrape_;
  scrape_time_ = now;
}

SeriesHistory::AddResult SeriesHistory::add(std::string_view name,
                                            std::span<const exposition::Label> labels, TimePoint t,
                                            double value) {
  // Canonical key: labels sorted by name, so the same series written in another label order is
  // the same series. Built in reused buffers: no allocation for a series already stored.
  sorted_.assign(labels.begin(), labels.end());
  std::sort(sorted_.begin(), sorted_.end(),
            [](const exposition::Label& a, const exposition::Label& b) { return a.name < b.name; });
  key_.clear();
  for (const exposition::Label& l : sorted_) {
    key_.append(l.name);
    key_.push_back('\x1f');
    key_.append(l.value);
    key_.push_back('\x1e');
  }
  auto by_name = by_name_.find(name);
  if (by_name == by_name_.end()) {
    if (series_count_ >= max_series_) return AddResult::Full;
    by_name = by_name_.emplace(std::string(name), ByLabels{}).first;
  }
  auto it = by_name->second.find(key_);
  if (it == by_name->second.end()) {
    if (series_count_ >= max_series_) return AddResult::Full;
    Series s;
    s.labels.reserve(sorted_.size());
    for (const exposition::Label& l : sorted_) s.labels.emplace_back(l.name, l.value);
    it = by_name->second.emplace(key_, std::move(s)).first;
    ++series_count_;
  }
  Series& s = it->second;
  s.scrape = scrape_;
  s.last_seen = scrape_time_;
  if (!s.points.empty() && t <= s.points.back().t) return AddResult::Duplicate;
  const bool reset = !s.points.empty() && value < s.points.back().v;
  if (s.points.size() >= max_points_) s.points.erase(s.points.begin());
  s.points.push_back(promql::Point{t, value});
  return reset ? AddResult::CounterReset : AddResult::Added;
}

void SeriesHistory::trim(std::string_view metric, TimePoint keep_after, TimePoint forget_before) {
  auto by_name = by_name_.find(metric);
  if (by_name == by_name_.end()) return;
  for (auto it = by_name->second.begin(); it != by_name->second.end();) {
    Series& s = it->second;
    if (s.last_seen < forget_before) {
      it = by_name->second.erase(it);
      --series_count_;
      continue;
    }
    auto first_kept = std::find_if(s.points.begin(), s.points.end(),
                                   [&](const promql::Point& p) { return p.t > keep_after; });
    if (first_kept == s.points.end() && !s.points.empty()) --first_kept;  // keep the newest
    s.points.erase(s.points.begin(), first_kept);
    ++it;
  }
  if (by_name->second.empty()) by_name_.erase(by_name);
}

void SeriesHistory::retain_only(const std::vector<std::string>& names) {
  for (auto it = by_name_.begin(); it != by_name_.end();) {
    if (std::find(names.begin(), names.end(), it->first) != names.end()) {
      ++it;
      continue;
    }
    series_count_ -= it->second.size();
    it = by_name_.erase(it);
  }
}

void SeriesHistory::for_each(std::string_view metric,
                             const std::function<void(const promql::SeriesRef&)>& fn) const {
  auto by_name = by_name_.find(metric);
  if (by_name == by_name_.end()) return;
  for (const auto& [key, s] : by_name->second) {
    fn(promql::SeriesRef{by_name->first, &s.labels, s.points, s.scrape == scrape_});
  }
}

// ---- ScrapeSource ----------------------------------------------------------------------------

struct ScrapeSource::TargetState {
  struct CachedQuery {
    std::string text;
    std::shared_ptr<const promql::Query> query;  // null when the text is outside the subset
    std::string error;
  };

  TargetState(std::size_t max_series, std::size_t max_points) : history(max_series, max_points) {}

  std::mutex mu;
  std::map<std::string, CachedQuery> queries;  // by role
  std::vector<promql::MetricUse> uses;         // union over the queries, longest window per name
  /// Since when, and in how many scrapes, each queried metric has been collected: a rate over a
  /// window longer than that history reads low (warming_up()).
  struct Watch {
    TimePoint since{};
    std::size_t scrapes = 0;
  };
  std::map<std::string, Watch, std::less<>> watched;
  SeriesHistory history;
  exposition::Parser parser;
};

namespace {

/// A response body as it can be quoted in one line: whitespace runs collapsed, cut to `max`.
std::string trimmed_body(const std::string& body, std::size_t max) {
  std::string out;
  bool blank = false;
  for (char c : body) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      blank = !out.empty();
      continue;
    }
    if (blank) out.push_back(' ');
    blank = false;
    if (out.size() >= max) {
      out += "...";
      break;
    }
    out.push_back(c);
  }
  return out;
}

std::string attempts_text(int n) { return std::to_string(n) + (n == 1 ? " attempt" : " attempts"); }

}  // namespace

ScrapeSource::ScrapeSource(ScrapeSpec spec, ScrapeOptions options)
    : spec_(spec), options_(options) {}

ScrapeSource::~ScrapeSource() = default;

ScrapeSource::TargetState& ScrapeSource::state_for(const std::string& target_name) {
  std::lock_guard<std::mutex> lock(targets_mu_);
  auto& slot = targets_[target_name];
  if (!slot) {
    slot = std::make_unique<TargetState>(options_.max_series_per_target,
                                         options_.max_points_per_series);
  }
  return *slot;
}

ScrapeStats ScrapeSource::stats() const {
  ScrapeStats s;
  s.scrapes = scrapes_.load();
  s.scrape_errors = scrape_errors_.load();
  s.samples = samples_.load();
  s.bad_lines = bad_lines_.load();
  s.nan_samples = nan_samples_.load();
  s.counter_resets = counter_resets_.load();
  s.series_rejected = series_rejected_.load();
  return s;
}

void ScrapeSource::refresh_queries(TargetState& st, const TargetSpec& target) {
  // Parse only texts not seen before for this (target, role).
  bool changed = false;
  for (auto it = st.queries.begin(); it != st.queries.end();) {
    if (target.signals.count(it->first) == 0) {
      it = st.queries.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (const auto& [role, spec] : target.signals) {
    auto& cached = st.queries[role];
    if (cached.query && cached.text == spec.query) continue;
    if (!cached.query && !cached.error.empty() && cached.text == spec.query) continue;
    cached = {};
    cached.text = spec.query;
    promql::QueryError err;
    cached.query = promql::Query::parse(spec.query, &err);
    if (!cached.query) {
      cached.error = "query \"" + spec.query + "\" is outside the PromQL subset the sidecar evaluates: " +
                     err.to_string();
    }
    changed = true;
  }
  if (!changed) return;
  st.uses.clear();
  for (const auto& [role, cached] : st.queries) {
    if (!cached.query) continue;
    for (const promql::MetricUse& u : cached.query->metrics()) {
      auto same = std::find_if(st.uses.begin(), st.uses.end(),
                               [&](const promql::MetricUse& x) { return x.name == u.name; });
      if (same == st.uses.end()) st.uses.push_back(u);
      else same->window = std::max(same->window, u.window);
    }
  }
  std::vector<std::string> names;
  for (const auto& u : st.uses) names.push_back(u.name);
  st.history.retain_only(names);
  std::erase_if(st.watched, [&](const auto& w) { return std::find(names.begin(), names.end(), w.first) == names.end(); });
}

namespace {

/// Why `query` has no honest value yet, or nullopt. Prometheus' rate() extrapolates to the start
/// of its window only when the first point lies within 1.1 average steps of it; when the agent
/// itself began scraping inside the window, the increase is not extrapolated across the part it
/// never saw and the rate reads low (two scrapes 5 s apart read a 1m rate at an eighth of its
/// value). Until the scrapes reach that far, the signal is missing, saying when it will have a
/// value.
template <class State>
std::optional<std::string> warming_up(const State& st, const promql::Query& query, TimePoint now) {
  for (const promql::MetricUse& u : query.extrapolated()) {
    const auto w = st.watched.find(u.name);
    if (w == st.watched.end() || u.window.count() <= 0) continue;
    const Duration seen = now - w->second.since;
    if (seen >= u.window) continue;
    const auto n = w->second.scrapes;
    if (n < 2) continue;  // the evaluation says it needs two scrapes
    const double step = to_seconds(seen) / static_cast<double>(n - 1);
    const double window = to_seconds(u.window);
    if (window - to_seconds(seen) < 1.1 * step) continue;
    return "warming up: " + u.name + " has been scraped for " +
           format_duration(std::chrono::floor<std::chrono::seconds>(seen)) + " (" + std::to_string(n) +
           " scrapes) of the " + format_duration(u.window) +
           " window its rate is taken over, which would read low; honest after about " +
           format_duration(std::chrono::ceil<std::chrono::seconds>(std::chrono::duration<double>(window - 1.1 * step))) +
           " of scrapes at this interval";
  }
  return std::nullopt;
}

/// Every signal as the query cache says, with `status` and `why` for the parsed ones (a failed
/// scrape makes them all Error); a query outside the subset keeps its own error. `State` is
/// ScrapeSource::TargetState (a template only because that type is private).
template <class State>
void fill_signals(Observation& obs, const TargetSpec& target, State& st, SignalStatus status,
                  const std::string& why) {
  for (const auto& [role, spec] : target.signals) {
    SignalValue& sv = obs.signals[role];
    sv.query = spec.query;
    const auto& cached = st.queries[role];
    sv.status = cached.query ? status : SignalStatus::Error;
    sv.error = cached.query ? why : cached.error;
  }
}

}  // namespace

Observation ScrapeSource::observe(const TargetSpec& target, TimePoint now) {
  Observation obs;
  obs.at = now;
  obs.source = "scrape " + target.scrape_url;
  TargetState& st = state_for(target.name);
  std::lock_guard<std::mutex> lock(st.mu);
  refresh_queries(st, target);

  if (target.scrape_url.empty()) {
    fill_signals(obs, target, st, SignalStatus::Error,
                 "target \"" + target.name + "\" has no scrape_url (sidecar mode scrapes the workload's own /metrics)");
    return obs;
  }
  if (st.uses.empty()) {  // nothing to read: every query failed to parse (or there are none)
    fill_signals(obs, target, st, SignalStatus::Error, "");
    return obs;
  }

  actuators::HttpClient& client = actuators::HttpClient::for_this_thread();
  actuators::HttpRequest req;
  req.url = target.scrape_url;
  req.headers.emplace_back("Accept", kAccept);
  req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(spec_.timeout);
  actuators::RetryPolicy policy;
  policy.attempts = std::max(0, spec_.retries) + 1;
  policy.base = options_.retry_base;
  policy.cap = options_.retry_cap;
  int attempts = 0;
  const actuators::HttpResponse resp = client.send_with_retry(req, policy, &attempts);
  ++scrapes_;
  if (!resp.ok()) {
    ++scrape_errors_;
    std::string why = "scrape of " + target.scrape_url + " failed after " + attempts_text(attempts) + ": ";
    if (!resp.transport_ok()) {
      why += resp.error;
    } else {
      why += "HTTP " + std::to_string(resp.status) + " (expected 200), body \"" +
             trimmed_body(resp.body, options_.max_error_body) + "\"";
    }
    fill_signals(obs, target, st, SignalStatus::Error, why);
    return obs;
  }
  ingest(st, target, now, resp.header("content-type"), resp.body, obs);
  return obs;
}

Observation ScrapeSource::observe_payload(const TargetSpec& target, TimePoint now,
                                          std::string_view content_type, std::string_view body) {
  Observation obs;
  obs.at = now;
  obs.source = target.scrape_url.empty() ? std::string("scrape (payload)") : "scrape " + target.scrape_url;
  TargetState& st = state_for(target.name);
  std::lock_guard<std::mutex> lock(st.mu);
  refresh_queries(st, target);
  if (st.uses.empty()) {  // nothing to read: every query failed to parse (or there are none)
    fill_signals(obs, target, st, SignalStatus::Error, "");
    return obs;
  }
  ++scrapes_;
  ingest(st, target, now, content_type, body, obs);
  return obs;
}

void ScrapeSource::ingest(TargetState& st, const TargetSpec& target, TimePoint now,
                          std::string_view content_type, std::string_view body, Observation& obs) {
  st.parser.set_format(exposition::detect_format(content_type, body));
  st.history.begin_scrape(now);
  std::uint64_t nan = 0, resets = 0, rejected = 0;
  const exposition::ParseStats ps = st.parser.parse(body, [&](const exposition::SampleView& s) {
    const promql::MetricUse* use = nullptr;
    for (const auto& u : st.uses) {
      if (u.name == s.name) {
        use = &u;
        break;
      }
    }
    if (use == nullptr) return;
    if (!std::isfinite(s.value)) {  // never a value: NaN/Inf would poison sums and rates
      ++nan;
      return;
    }
    const TimePoint t = s.timestamp_ms ? TimePoint(Duration(*s.timestamp_ms)) : now;
    switch (st.history.add(s.name, s.labels, t, s.value)) {
      case SeriesHistory::AddResult::CounterReset:
        if (use->window.count() > 0) ++resets;  // a gauge going down is no reset
        break;
      case SeriesHistory::AddResult::Full: ++rejected; break;
      default: break;
    }
  });
  for (const auto& u : st.uses) {
    auto& w = st.watched[u.name];
    if (w.scrapes++ == 0) w.since = now;
  }
  samples_ += ps.samples;
  bad_lines_ += ps.bad_lines;
  nan_samples_ += nan;
  counter_resets_ += resets;
  series_rejected_ += rejected;
  for (const auto& u : st.uses) {
    st.history.trim(u.name, now - u.window, now - std::max(options_.forget_after, u.window));
  }

  const std::string bad_note =
      ps.bad_lines == 0 ? std::string()
                        : " (the scrape had " + std::to_string(ps.bad_lines) +
                              " unreadable line(s); first: " + ps.first_error() + ")";
  for (const auto& [role, spec] : target.signals) {
    SignalValue& sv = obs.signals[role];
    sv.query = spec.query;
    const auto& cached = st.queries[role];
    if (!cached.query) {
      sv.status = SignalStatus::Error;
      sv.error = cached.error;
      continue;
    }
    if (auto why = warming_up(st, *cached.query, now)) {
      sv.status = SignalStatus::Missing;
      sv.error = *why;
      continue;
    }
    const promql::EvalResult r = cached.query->evaluate(st.history, now);
    if (r.ok()) {
      sv.status = SignalStatus::Ok;
      sv.value = *r.value;
      sv.sampled_at = r.sampled_at;
      // Per-series values only when they tell something the total does not (labels to tell
      // series apart): a per-pod signal's pods.
      if (r.by_series.size() > 1 || (r.by_series.size() == 1 && !r.by_series.front().first.empty())) {
        sv.series.reserve(std::min(r.by_series.size(), SignalValue::kMaxSeries));
        for (const auto& [labels, value] : r.by_series) {
          if (sv.series.size() >= SignalValue::kMaxSeries) break;
          SeriesValue x;
          x.labels.insert(labels.begin(), labels.end());
          x.value = value;
          sv.series.push_back(std::move(x));
        }
      }
    } else {
      sv.status = SignalStatus::Missing;
      sv.error = r.reason + bad_note;
    }
  }
}

SourceStats ScrapeSource::source_stats() const {
  const ScrapeStats st = stats();
  SourceStats s;
  s.bad_samples = st.bad_lines + st.nan_samples;
  s.counter_resets = st.counter_resets;
  s.scrape_errors = st.scrape_errors;
  return s;
}

}  // namespace opspilot::agent
