#include "agent/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <sstream>

namespace opspilot::agent {

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

namespace {

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool ok() const { return lo <= hi; }
};

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string tick_label(double v) {
  char b[32];
  if (std::abs(v) >= 1000) std::snprintf(b, sizeof b, "%.0fk", v / 1000);
  else if (std::abs(v) >= 10 || v == 0) std::snprintf(b, sizeof b, "%.0f", v);
  else std::snprintf(b, sizeof b, "%.2g", v);
  return b;
}

std::string time_label(double unix_s, double span) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, span > 2 * 86400 ? "%a %H:%M" : "%H:%M", &tm);
  return b;
}

}  // namespace

std::string render_svg(const Chart& c) {
  const double ml = 60, mr = 60, mt = 44, mb = 40;
  const double pw = c.width - ml - mr, ph = c.height - mt - mb;
  Range xr, yl, yr;
  for (const auto& s : c.series) {
    for (double x : s.x) xr.add(x);
    for (double y : s.y) (s.right_axis ? yr : yl).add(y);
  }
  for (const auto& b : c.bands) {
    for (double x : b.x) xr.add(x);
    for (double y : b.lower) yl.add(y);
    for (double y : b.upper) yl.add(y);
  }
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << c.width << " " << c.height
    << "\" width=\"100%\" role=\"img\" aria-label=\"" << html_escape(c.title) << "\">";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>";
  o << "<text x=\"" << ml << "\" y=\"18\" font-size=\"14\" font-family=\"sans-serif\" font-weight=\"bold\">"
    << html_escape(c.title) << "</text>";
  if (!xr.ok()) {
    o << "<text x=\"" << ml << "\" y=\"" << mt + ph / 2 << "\" font-family=\"sans-serif\">no data</text></svg>";
    return o.str();
  }
  if (xr.hi == xr.lo) xr.hi = xr.lo + 1;
  auto fix = [](Range& r) {
    if (!r.ok()) { r.lo = 0; r.hi = 1; }
    r.lo = std::min(r.lo, 0.0);
    r.hi = r.hi * 1.08 + (r.hi == r.lo ? 1 : 0);
  };
  fix(yl);
  fix(yr);
  auto X = [&](double x) { return ml + (x - xr.lo) / (xr.hi - xr.lo) * pw; };
  auto YL = [&](double y) { return mt + ph - (y - yl.lo) / (yl.hi - yl.lo) * ph; };
  auto YR = [&](double y) { return mt + ph - (y - yr.lo) / (yr.hi - yr.lo) * ph; };

  // Grid and axes.
  o << "<g font-family=\"sans-serif\" font-size=\"11\" fill=\"#555\">";
  for (int i = 0; i <= 4; ++i) {
    const double y = mt + ph * i / 4.0;
    o << "<line x1=\"" << ml << "\" x2=\"" << ml + pw << "\" y1=\"" << num(y) << "\" y2=\"" << num(y)
      << "\" stroke=\"#eee\"/>";
    o << "<text x=\"" << ml - 6 << "\" y=\"" << num(y + 4) << "\" text-anchor=\"end\">"
      << tick_label(yl.hi - (yl.hi - yl.lo) * i / 4.0) << "</text>";
    if (yr.ok() && std::any_of(c.series.begin(), c.series.end(), [](const ChartSeries& s) { return s.right_axis; }))
      o << "<text x=\"" << ml + pw + 6 << "\" y=\"" << num(y + 4) << "\">"
        << tick_label(yr.hi - (yr.hi - yr.lo) * i / 4.0) << "</text>";
  }
  for (int i = 0; i <= 6; ++i) {
    const double xv = xr.lo + (xr.hi - xr.lo) * i / 6.0;
    o << "<text x=\"" << num(X(xv)) << "\" y=\"" << mt + ph + 16 << "\" text-anchor=\"middle\">"
      << time_label(xv, xr.hi - xr.lo) << "</text>";
  }
  o << "<text x=\"12\" y=\"" << mt + ph / 2 << "\" transform=\"rotate(-90 12 " << mt + ph / 2
    << ")\" text-anchor=\"middle\">" << html_escape(c.left_label) << "</text>";
  o << "<text x=\"" << c.width - 10 << "\" y=\"" << mt + ph / 2 << "\" transform=\"rotate(90 "
    << c.width - 10 << " " << mt + ph / 2 << ")\" text-anchor=\"middle\">" << html_escape(c.right_label) << "</text>";
  o << "</g>";

  for (const auto& b : c.bands) {
    // One polygon per run of finite values.
    size_t i = 0;
    while (i < b.x.size()) {
      while (i < b.x.size() && !(std::isfinite(b.lower[i]) && std::isfinite(b.upper[i]))) ++i;
      size_t j = i;
      while (j < b.x.size() && std::isfinite(b.lower[j]) && std::isfinite(b.upper[j])) ++j;
      if (j > i + 1) {
        o << "<polygon fill=\"" << b.color << "\" fill-opacity=\"0.25\" stroke=\"none\" points=\"";
        for (size_t k = i; k < j; ++k) o << num(X(b.x[k])) << "," << num(YL(b.upper[k])) << " ";
        for (size_t k = j; k-- > i;) o << num(X(b.x[k])) << "," << num(YL(b.lower[k])) << " ";
        o << "\"><title>" << html_escape(b.name) << "</title></polygon>";
      }
      i = j;
    }
  }
  for (const auto& m : c.markers) {
    o << "<line x1=\"" << num(X(m.x)) << "\" x2=\"" << num(X(m.x)) << "\" y1=\"" << mt << "\" y2=\""
      << mt + ph << "\" stroke=\"" << m.color << "\" stroke-dasharray=\"3,3\"><title>" << html_escape(m.label)
      << "</title></line>";
  }
  for (const auto& s : c.series) {
    o << "<path fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"" << s.width << "\" d=\"";
    bool pen = false;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) { pen = false; continue; }
      const double px = X(s.x[i]), py = s.right_axis ? YR(s.y[i]) : YL(s.y[i]);
      if (!pen) o << "M" << num(px) << "," << num(py);
      else if (s.step) o << "H" << num(px) << "V" << num(py);
      else o << "L" << num(px) << "," << num(py);
      pen = true;
    }
    o << "\"><title>" << html_escape(s.name) << "</title></path>";
  }
  // Legend.
  double lx = ml;
  o << "<g font-family=\"sans-serif\" font-size=\"11\">";
  for (const auto& b : c.bands) {
    o << "<rect x=\"" << lx << "\" y=\"25\" width=\"12\" height=\"10\" fill=\"" << b.color
      << "\" fill-opacity=\"0.3\"/><text x=\"" << lx + 16 << "\" y=\"34\">" << html_escape(b.name) << "</text>";
    lx += 22 + 6.5 * static_cast<double>(b.name.size());
  }
  for (const auto& s : c.series) {
    o << "<line x1=\"" << lx << "\" x2=\"" << lx + 12 << "\" y1=\"30\" y2=\"30\" stroke=\"" << s.color
      << "\" stroke-width=\"2\"/><text x=\"" << lx + 16 << "\" y=\"34\">" << html_escape(s.name) << "</text>";
    lx += 22 + 6.5 * static_cast<double>(s.name.size());
  }
  o << "</g></svg>";
  return o.str();
}

}  // namespace opspilot::agent
