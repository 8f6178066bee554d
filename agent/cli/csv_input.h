#pragma once
// Reading a time series from any CSV with a header, for the offline commands (`opspilot
// forecast`, `opspilot detect`). The delimiter is found from the header (`,`, `;` or tab),
// fields may be quoted (RFC 4180: "a,b" and "" for a quote). Timestamps may be unix seconds
// (integer or fractional), RFC 3339 ("2026-01-05T00:00:00Z", with an offset or fraction) or
// "YYYY-MM-DD HH:MM:SS[.fff]" without a zone, read as UTC.
// Thread-safety: pure functions.
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace opspilot::agent::cli {

struct CsvSeries {
  std::vector<std::string> value_columns;    // the names asked for
  std::vector<std::string> time_text;        // per row, as written (echoed back in output)
  std::vector<double> time;                  // per row, unix seconds
  std::vector<std::size_t> lines;            // per row, its line in the file (1-based)
  std::vector<std::vector<double>> values;   // values[column][row]; NaN where not a number
  std::size_t rows = 0;
  std::size_t bad_values = 0;                // fields that were empty or not a number (kept as NaN)
  std::vector<std::string> notes;            // what was skipped or assumed, in words
};

/// Reads `path`. `value_columns` names one or more columns (they must exist). Rows with a
/// timestamp that cannot be read are an error with their line number: a series whose clock is
/// unreadable cannot be trusted. Errors as values: nullopt and *error = "file:line: why".
std::optional<CsvSeries> read_csv_series(const std::string& path, const std::string& time_column,
                                         const std::vector<std::string>& value_columns,
                                         std::string* error);

/// Parses one timestamp in any of the forms above to unix seconds; nullopt when none fits.
std::optional<double> parse_timestamp(const std::string& text);

/// Splits one CSV record (no embedded newlines) on `delim`, honouring quotes. False when a
/// quoted field is not closed.
bool split_csv_record(const std::string& line, char delim, std::vector<std::string>* fields);

/// "a,b,,c" -> {"a", "b", "c"} (empty parts dropped).
std::vector<std::string> split_list(const std::string& s);

/// Where an offline command writes its CSV: `path`, or standard output for "-".
class CsvOutput {
 public:
  /// False (and *error = why) when `path` cannot be opened for writing.
  bool open(const std::string& path, std::string* error);
  std::ostream& stream();
  /// Flushes; false (and *error) when anything failed to be written.
  bool finish(std::string* error);

 private:
  std::string path_;
  std::ofstream file_;
};

}  // namespace opspilot::agent::cli
