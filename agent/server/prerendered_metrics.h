#pragma once
// The /metrics body, rendered ahead of the scrape.
//
// Why: with 10,000 series prometheus-cpp needs ~6 ms of CPU for Registry::Collect() (it copies
// every label string, twice) and ~9 ms more for TextSerializer; on a busy 2-core machine that is
// 30-100 ms of wall time, so rendering per scrape cannot meet the "/metrics p99 < 10 ms".
// PrerenderedMetrics renders on its own thread every `period` with write_prometheus_text()
// (~3 ms of CPU instead of TextSerializer's ~9 ms), and a scrape only copies the latest text. The
// exported values are then at most `period` old (1 s is far inside any scrape interval).
// bench/http_server_bench.cpp measures both ways.
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace opspilot::agent {

/// The Prometheus text format (0.0.4) of `families`: the series prometheus::TextSerializer writes,
/// in its order, with numbers in their shortest exact form and HELP text escaped as the format
/// requires (TextSerializer 1.0.1 writes a newline in HELP raw, which breaks the exposition).
std::string write_prometheus_text(const std::vector<prometheus::MetricFamily>& families);

/// Keeps the exposition of `source` (e.g. a prometheus::Registry) rendered, refreshed every
/// `period` on a thread of its own; the first rendering happens in the constructor.
/// Thread-safety: latest() and rendered_at() may be called from any thread at any time.
class PrerenderedMetrics {
 public:
  PrerenderedMetrics(std::shared_ptr<const prometheus::Collectable> source, std::chrono::milliseconds period);
  ~PrerenderedMetrics();  // stops and joins the rendering thread
  PrerenderedMetrics(const PrerenderedMetrics&) = delete;
  PrerenderedMetrics& operator=(const PrerenderedMetrics&) = delete;

  /// The latest text; never null. Cheap: no rendering happens here.
  std::shared_ptr<const std::string> latest() const;
  /// When the collection behind latest() began (steady clock).
  std::chrono::steady_clock::time_point rendered_at() const;
  /// Renders now, on the caller's thread (e.g. right after registering many series).
  void refresh();

 private:
  std::shared_ptr<const prometheus::Collectable> source_;
  std::chrono::milliseconds period_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::shared_ptr<const std::string> text_;
  std::chrono::steady_clock::time_point rendered_at_;
  std::thread thread_;  // last: started once everything above is ready
};

}  // namespace opspilot::agent
