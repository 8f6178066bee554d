#include "agent/cli/csv_input.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>

#include "agent/config/duration.h"

namespace opspilot::agent::cli {
namespace {

/// How many bad values a note quotes, with their lines; the rest are counted.
constexpr std::size_t kBadValuesQuoted = 5;

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

std::optional<double> parse_number(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  double v = 0;
  const char* first = t.data();
  if (*first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

char pick_delimiter(const std::string& header) {
  std::size_t commas = 0, semis = 0, tabs = 0;
  for (char c : header) {
    commas += c == ',';
    semis += c == ';';
    tabs += c == '\t';
  }
  if (semis > commas && semis >= tabs) return ';';
  if (tabs > commas && tabs > semis) return '\t';
  return ',';
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}

}  // namespace

bool split_csv_record(const std::string& line, char delim, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delim) {
      fields->push_back(std::move(cur));
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  fields->push_back(std::move(cur));
  return !quoted;
}

std::optional<double> parse_timestamp(const std::string& raw) {
  const std::string text = trim(raw);
  if (text.empty()) return std::nullopt;
  if (auto n = parse_number(text)) return std::isfinite(*n) ? n : std::nullopt;
  std::string t = text;
  // "YYYY-MM-DD HH:MM:SS" (a space instead of 'T', no zone): read as UTC.
  if (t.size() >= 19 && t[10] == ' ') t[10] = 'T';
  if (t.size() >= 10 && t.find('T') == std::string::npos && t.size() == 10) t += "T00:00:00";
  const bool has_zone = t.back() == 'Z' || (t.size() > 19 && (t.find('+', 19) != std::string::npos ||
                                                              t.find('-', 19) != std::string::npos));
  if (!has_zone) t += 'Z';
  const auto tp = parse_rfc3339(t);
  if (!tp) return std::nullopt;
  return to_unix_seconds(*tp);
}

std::optional<CsvSeries> read_csv_series(const std::string& path, const std::string& time_column,
                                         const std::vector<std::string>& value_columns,
                                         std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": cannot open for reading";
    return std::nullopt;
  }
  std::string line;
  if (!std::getline(in, line) || trim(line).empty()) {
    *error = path + ":1: the file is empty; expected a header line naming the columns";
    return std::nullopt;
  }
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // BOM
  const char delim = pick_delimiter(line);
  std::vector<std::string> header;
  if (!split_csv_record(line, delim, &header)) {
    *error = path + ":1: unterminated quote in the header";
    return std::nullopt;
  }
  for (auto& h : header) h = trim(h);
  auto column = [&](const std::string& name) -> int {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  };
  const int tcol = column(time_column);
  if (tcol < 0) {
    *error = path + ":1: no column \"" + time_column + "\" (columns: " + join(header) +
             "); say which with --time-column";
    return std::nullopt;
  }
  std::vector<int> vcols;
  for (const auto& name : value_columns) {
    const int c = column(name);
    if (c < 0) {
      *error = path + ":1: no column \"" + name + "\" (columns: " + join(header) +
               "); say which with --value-column";
      return std::nullopt;
    }
    vcols.push_back(c);
  }

  CsvSeries s;
  s.value_columns = value_columns;
  s.values.resize(vcols.size());
  std::vector<std::string> fields;
  std::size_t lineno = 1, blank = 0;
  std::string bad_quoted;  // the first kBadValuesQuoted bad values, where they are
  while (std::getline(in, line)) {
    ++lineno;
    if (trim(line).empty()) {
      ++blank;
      continue;
    }
    if (!split_csv_record(line, delim, &fields)) {
      *error = path + ":" + std::to_string(lineno) + ": unterminated quote";
      return std::nullopt;
    }
    if (fields.size() != header.size()) {
      *error = path + ":" + std::to_string(lineno) + ": " + std::to_string(fields.size()) +
               " fields; the header has " + std::to_string(header.size());
      return std::nullopt;
    }
    const auto t = parse_timestamp(fields[static_cast<std::size_t>(tcol)]);
    if (!t) {
      *error = path + ":" + std::to_string(lineno) + ": timestamp \"" +
               fields[static_cast<std::size_t>(tcol)] +
               "\" is not unix seconds, RFC 3339 or \"YYYY-MM-DD HH:MM:SS\"";
      return std::nullopt;
    }
    s.time_text.push_back(trim(fields[static_cast<std::size_t>(tcol)]));
    s.time.push_back(*t);
    s.lines.push_back(lineno);
    for (std::size_t c = 0; c < vcols.size(); ++c) {
      const std::string& text = fields[static_cast<std::size_t>(vcols[c])];
      const auto v = parse_number(text);
      if (!v || !std::isfinite(*v)) {
        if (++s.bad_values <= kBadValuesQuoted)
          bad_quoted += std::string(s.bad_values > 1 ? ", " : "") + "line " + std::to_string(lineno) + " " +
                        value_columns[c] + " \"" + trim(text) + "\"";
      }
      s.values[c].push_back(v && std::isfinite(*v) ? *v : std::nan(""));
    }
    ++s.rows;
  }
  if (s.rows == 0) {
    *error = path + ": no data rows after the header";
    return std::nullopt;
  }
  if (blank) s.notes.push_back(std::to_string(blank) + " blank line(s) skipped");
  if (s.bad_values)
    s.notes.push_back(std::to_string(s.bad_values) + " value(s) empty or not a finite number, treated as missing: " +
                      bad_quoted + (s.bad_values > kBadValuesQuoted ? ", ..." : ""));
  return s;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(std::move(part));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

bool CsvOutput::open(const std::string& path, std::string* error) {
  path_ = path;
  if (path == "-") return true;
  file_.open(path);
  if (!file_) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

std::ostream& CsvOutput::stream() { return path_ == "-" ? std::cout : file_; }

bool CsvOutput::finish(std::string* error) {
  std::ostream& out = stream();
  out.flush();
  if (!out) {
    *error = "writing " + path_ + " failed";
    return false;
  }
  return true;
}

}  // namespace opspilot::agent::cli
