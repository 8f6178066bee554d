// write_prometheus_text() against prometheus-cpp's TextSerializer (the reference), and
// PrerenderedMetrics serving a live registry through the real HTTP server.
#include "agent/server/prerendered_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include <boost/asio/executor_work_guard.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>
#include <thread>

#include "agent/server/http_server.h"
#include "tests/test_support.h"

namespace opspilot::agent {
namespace {

using namespace std::chrono_literals;
namespace pm = prometheus;

// Sample lines as "series" -> value, with le/quantile values normalised (the two writers spell
// numbers differently: TextSerializer with 16 significant digits, ours in the shortest exact form).
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.rfind(' ');
    std::string key = line.substr(0, sp);
    for (const char* label : {"le=\"", "quantile=\""}) {
      if (const auto at = key.find(label); at != std::string::npos) {
        const auto from = at + std::string(label).size();
        const auto end = key.find('"', from);
        char canon[40];
        std::snprintf(canon, sizeof canon, "%.15g",
                      std::strtod(key.substr(from, end - from).c_str(), nullptr));
        key = key.substr(0, from) + canon + key.substr(end);
      }
    }
    out[key] = std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return out;
}

std::shared_ptr<pm::Registry> sample_registry() {
  auto reg = std::make_shared<pm::Registry>();
  auto& c = pm::BuildCounter().Name("opspilot_decisions_total").Help("Decisions.").Register(*reg);
  c.Add({{"target", "shop/web"}, {"kind", "scale"}}).Increment(3);
  c.Add({{"target", "quote\"back\\slash\nnewline"}, {"kind", "restart"}}).Increment(0.1 + 0.2);
  c.Add({}).Increment(1e6);
  auto& g = pm::BuildGauge().Name("opspilot_risk").Help("").Register(*reg);
  g.Add({{"signal", "latency"}}).Set(-2.5e-9);
  g.Add({{"signal", "inf"}}).Set(std::numeric_limits<double>::infinity());
  auto& h = pm::BuildHistogram().Name("opspilot_tick_seconds").Help("Tick duration.").Register(*reg);
  auto& hh = h.Add({{"stage", "observe"}}, pm::Histogram::BucketBoundaries{0.005, 0.1, 1, 1e6});
  hh.Observe(0.05);
  hh.Observe(3);
  auto& s = pm::BuildSummary().Name("opspilot_rtt_seconds").Help("RTT.").Register(*reg);
  auto& ss = s.Add({}, pm::Summary::Quantiles{{0.5, 0.05}, {0.99, 0.001}});
  for (int i = 1; i <= 100; ++i) ss.Observe(i / 100.0);
  return reg;
}

TEST(PrerenderedMetrics, WriterExportsWhatTextSerializerExports) {
  const auto families = sample_registry()->Collect();
  const auto ours = samples(write_prometheus_text(families));
  const auto reference = samples(pm::TextSerializer().Serialize(families));
  ASSERT_EQ(ours.size(), reference.size());
  ASSERT_GE(ours.size(), 15u);
  for (const auto& [key, value] : reference) {
    auto it = ours.find(key);
    ASSERT_NE(it, ours.end()) << "missing series " << key;
    if (std::isinf(value)) {
      EXPECT_EQ(it->second, value) << key;
    } else {
      EXPECT_NEAR(it->second, value, 1e-15 * std::max(1.0, std::fabs(value))) << key;
    }
  }
}

TEST(PrerenderedMetrics, WriterEscapesAndFormatsAsTheExpositionFormatSays) {
  auto reg = std::make_shared<pm::Registry>();
  auto& c = pm::BuildCounter().Name("x_total").Help("line one\nback\\slash").Register(*reg);
  c.Add({{"v", "a\"b\\c\nd"}}).Increment(0.1 + 0.2);
  auto& g = pm::BuildGauge().Name("y").Help("").Register(*reg);
  g.Add({}).Set(std::nan(""));
  auto& h = pm::BuildHistogram().Name("z").Help("").Register(*reg);
  h.Add({}, pm::Histogram::BucketBoundaries{1}).Observe(2);
  const auto text = write_prometheus_text(reg->Collect());
  EXPECT_NE(text.find("# HELP x_total line one\\nback\\\\slash\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE x_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_total{v=\"a\\\"b\\\\c\\nd\"} 0.30000000000000004\n"), std::string::npos) << text;
  EXPECT_NE(text.find("y NaN\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("# HELP y"), std::string::npos) << "no HELP line for empty help, as TextSerializer";
  EXPECT_NE(text.find("z_bucket{le=\"1\"} 0\nz_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
}

TEST(PrerenderedMetrics, ServesTheLatestRenderingAndRefreshesWithinThePeriod) {
  auto reg = std::make_shared<pm::Registry>();
  auto& ticks = pm::BuildCounter().Name("ticks_total").Help("Ticks.").Register(*reg).Add({});
  PrerenderedMetrics pre(reg, 50ms);
  const auto first_at = pre.rendered_at();
  EXPECT_NE(pre.latest()->find("ticks_total 0\n"), std::string::npos) << *pre.latest();

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  HttpServer server(io, "127.0.0.1:0");
  server.route("GET", "/metrics", [&](const Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = *pre.latest();
    return r;
  });
  std::string err;
  ASSERT_TRUE(server.start(&err)) << err;
  std::thread runner([&] { io.run(); });
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics";

  ticks.Increment(41);
  ticks.Increment(1);
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    const auto r = test::http_get(url);
    ASSERT_EQ(r.status, 200) << r.error;
    seen = r.body.find("ticks_total 42\n") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(seen) << "a change should be served within a few 50 ms periods";
  EXPECT_GT(pre.rendered_at(), first_at);
  server.stop(1s);
  guard.reset();
  runner.join();
}

}  // namespace
}  // namespace opspilot::agent
