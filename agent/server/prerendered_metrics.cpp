#include "agent/server/prerendered_metrics.h"

#include <charconv>
#include <cmath>

namespace opspilot::agent {
namespace {

namespace pm = prometheus;

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back exactly
    out.append(buf, r.ptr);
  }
}

// Label values escape \ " and newline; HELP text escapes \ and newline.
void append_escaped(std::string& out, const std::string& s, bool label_value) {
  if (s.find_first_of(label_value ? "\\\n\"" : "\\\n") == std::string::npos) {
    out += s;  // the common case: nothing to escape
    return;
  }
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && label_value) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_sample(std::string& out, const std::string& name, const char* suffix, const pm::ClientMetric& m,
                   const char* extra_label, double extra_value, double value) {
  out += name;
  out += suffix;
  if (!m.label.empty() || extra_label) {
    out += '{';
    bool first = true;
    for (const auto& l : m.label) {
      if (!first) out += ',';
      first = false;
      out += l.name;
      out += "=\"";
      append_escaped(out, l.value, true);
      out += '"';
    }
    if (extra_label) {
      if (!first) out += ',';
      out += extra_label;
      out += "=\"";
      append_number(out, extra_value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_number(out, value);
  if (m.timestamp_ms != 0) {
    out += ' ';
    out += std::to_string(m.timestamp_ms);
  }
  out += '\n';
}

const char* type_name(pm::MetricType t) {
  switch (t) {
    case pm::MetricType::Counter:
      return "counter";
    case pm::MetricType::Gauge:
      return "gauge";
    case pm::MetricType::Summary:
      return "summary";
    case pm::MetricType::Histogram:
      return "histogram";
    case pm::MetricType::Untyped:
      break;
  }
  return "untyped";
}

}  // namespace

std::string write_prometheus_text(const std::vector<prometheus::MetricFamily>& families) {
  std::size_t series = 0;
  for (const auto& f : families) series += f.metric.size();
  std::string out;
  out.reserve(series * 96 + families.size() * 128);
  for (const auto& f : families) {
    if (!f.help.empty()) {
      out += "# HELP " + f.name + ' ';
      append_escaped(out, f.help, false);
      out += '\n';
    }
    out += "# TYPE " + f.name + ' ' + type_name(f.type) + '\n';
    for (const auto& m : f.metric) {
      switch (f.type) {
        case pm::MetricType::Counter:
          append_sample(out, f.name, "", m, nullptr, 0, m.counter.value);
          break;
        case pm::MetricType::Gauge:
          append_sample(out, f.name, "", m, nullptr, 0, m.gauge.value);
          break;
        case pm::MetricType::Untyped:
          append_sample(out, f.name, "", m, nullptr, 0, m.untyped.value);
          break;
        case pm::MetricType::Summary:
          append_sample(out, f.name, "_count", m, nullptr, 0, static_cast<double>(m.summary.sample_count));
          append_sample(out, f.name, "_sum", m, nullptr, 0, m.summary.sample_sum);
          for (const auto& q : m.summary.quantile)
            append_sample(out, f.name, "", m, "quantile", q.quantile, q.value);
          break;
        case pm::MetricType::Histogram:
          append_sample(out, f.name, "_count", m, nullptr, 0, static_cast<double>(m.histogram.sample_count));
          append_sample(out, f.name, "_sum", m, nullptr, 0, m.histogram.sample_sum);
          for (const auto& b : m.histogram.bucket) {
            append_sample(out, f.name, "_bucket", m, "le", b.upper_bound,
                          static_cast<double>(b.cumulative_count));
          }
          break;
      }
    }
  }
  return out;
}

PrerenderedMetrics::PrerenderedMetrics(std::shared_ptr<const prometheus::Collectable> source,
                                       std::chrono::milliseconds period)
    : source_(std::move(source)), period_(period) {
  refresh();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period_, [this] { return stop_; })) {
      lock.unlock();
      refresh();
      lock.lock();
    }
  });
}

PrerenderedMetrics::~PrerenderedMetrics() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void PrerenderedMetrics::refresh() {
  const auto started = std::chrono::steady_clock::now();
  auto text = std::make_shared<const std::string>(write_prometheus_text(source_->Collect()));
  std::lock_guard lock(mu_);
  // refresh() from the owner and from the thread may overlap; keep the newer collection.
  if (text_ && rendered_at_ > started) return;
  text_ = std::move(text);
  rendered_at_ = started;
}

std::shared_ptr<const std::string> PrerenderedMetrics::latest() const {
  std::lock_guard lock(mu_);
  return text_;
}

std::chrono::steady_clock::time_point PrerenderedMetrics::rendered_at() const {
  std::lock_guard lock(mu_);
  return rendered_at_;
}

}  // namespace opspilot::agent
