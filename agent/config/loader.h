#pragma once
// Loads opspilot.yaml into a Config and checks it, collecting every problem in one pass (unknown
// keys with a "did you mean", wrong types, bad enums and durations, out-of-range numbers,
// duplicate targets, missing keys), each with file:line:col and a breadcrumb. Nothing is clamped:
// a value outside its range is an error, and the field keeps its default.
//
// Stages, as in Falco's rule loader: read the file -> parse YAML (syntax errors become
// diagnostics with a position) -> walk the schema section by section, filling Config and
// reporting -> cross-field checks over the whole Config (min <= max, scrape vs prometheus.url).
//
// Positions: TargetSpec::pos is the target's map (its first key); SignalSpec::pos is the query's
// first character as written — the opening quote of a quoted scalar, the `|`/`>` indicator of a
// block scalar — so a plain one-line query's offsets map straight onto the file.
//
// Paths and secrets: relative paths in the file (`policies`, `*_file` secrets) start at the
// config file's directory (load_config_string: the current directory); policy paths are stored
// absolute and must exist. Secrets (`approvals.slack.*`, `api.tokens[]`) are read at load time
// from their file or environment variable; no diagnostic ever quotes a secret, and the source
// line of a secret written into the file is masked (config/loader_access.h).
//
// Thread-safety: the functions share no state; call them from any thread (reading `*_env`
// secrets calls getenv, which must not race with a setenv elsewhere).
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.h"
#include "agent/config/diagnostics.h"

namespace opspilot::agent {

struct LoadResult {
  /// Filled as far as the file allows; fields with errors keep their defaults. Use only if ok().
  Config config;
  /// Errors and warnings, in file order (problems without a position first).
  std::vector<Diagnostic> diagnostics;

  bool ok() const { return error_count() == 0; }
  std::size_t error_count() const;
  std::size_t warning_count() const;
  /// format_diagnostics(diagnostics): the human-readable report ("" when there is nothing to say).
  std::string report() const;
};

/// Reads and checks `path`. A missing or unreadable file is one FileUnreadable error. Relative
/// paths inside it start at `path`'s directory.
LoadResult load_config_file(const std::string& path);

/// Checks `text` as if it were a file named `virtual_name` (used in positions and Config::file).
LoadResult load_config_string(std::string_view text, const std::string& virtual_name = "<config>");

/// The signal roles a target's `metrics` may define; "load" is required.
inline constexpr std::array<std::string_view, 11> kSignalRoles{
    "load",    "replicas",          "ready_replicas", "saturation", "latency",    "errors",
    "incident", "dependency_errors", "restarts",       "revision",   "pod_latency"};
/// Forecast models (`targets[].forecast.model`).
inline constexpr std::array<std::string_view, 2> kForecastModels{"auto", "linear-trend"};

/// Target kinds (`targets[].kind`) and actuator types (`actuator.type`) the loader accepts.
inline constexpr std::array<std::string_view, 3> kTargetKinds{"Deployment", "StatefulSet",
                                                              "AutoScalingGroup"};
inline constexpr std::array<std::string_view, 4> kActuatorTypes{"dry-run", "webhook", "kubernetes", "aws-asg"};

/// True for a DNS-1123 label: 1-63 of [a-z0-9-], starting and ending with [a-z0-9].
bool is_dns_label(std::string_view s);
/// True for "http://HOST..." or "https://HOST..." with a non-empty host.
bool is_http_url(std::string_view s);
/// True for "HOST:PORT" or "[IPV6]:PORT" with a non-empty host and a port 0..65535.
bool is_listen_address(std::string_view s);

}  // namespace opspilot::agent
