#pragma once
// A small, dependency-free SVG line chart for self-contained HTML reports: time on x, one or two
// y axes, lines, step lines, shaded bands and event markers.
#include <string>
#include <vector>

namespace opspilot::agent {

struct ChartSeries {
  std::string name;
  std::string color;
  std::vector<double> x;   // unix seconds
  std::vector<double> y;   // NaN = gap
  bool step = false;       // draw as a step line (replica counts)
  bool right_axis = false;
  double width = 1.5;
};

struct ChartBand {
  std::string name;
  std::string color;
  std::vector<double> x, lower, upper;
};

struct ChartMarker {
  double x = 0;
  std::string color;
  std::string label;  // shown as a tooltip
};

struct Chart {
  std::string title;
  std::string left_label, right_label;
  std::vector<ChartSeries> series;
  std::vector<ChartBand> bands;
  std::vector<ChartMarker> markers;
  int width = 960, height = 320;
};

std::string render_svg(const Chart& chart);

/// Text made safe for HTML and SVG: & < > " escaped.
std::string html_escape(const std::string& s);

}  // namespace opspilot::agent
