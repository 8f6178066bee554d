// sandbox.yaml → SandboxSpec. Reads everything, collects every error with its 1-based position,
// and never clamps: an out-of-range value is an error that quotes it.
#include "examples/sandbox/config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <set>
#include <sstream>

namespace opspilot::sandbox {

const char* to_string(IncidentType t) {
  switch (t) {
    case IncidentType::Deploy: return "deploy";
    case IncidentType::LatencyRegression: return "latency_regression";
    case IncidentType::CrashLoop: return "crash_loop";
    case IncidentType::DependencyOutage: return "dependency_outage";
    case IncidentType::BadPod: return "bad_pod";
  }
  return "unknown";
}

bool incident_type_from_string(const std::string& name, IncidentType* out) {
  for (auto t : {IncidentType::Deploy, IncidentType::LatencyRegression, IncidentType::CrashLoop,
                 IncidentType::DependencyOutage, IncidentType::BadPod}) {
    if (name == to_string(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

IncidentSpec defaults_for(IncidentType t) {
  IncidentSpec s;
  s.type = t;
  switch (t) {
    case IncidentType::Deploy: break;
    case IncidentType::LatencyRegression:
      s.latency_factor = 3;
      s.error_rate = 0.02;
      break;
    case IncidentType::CrashLoop: break;
    case IncidentType::DependencyOutage:
      s.duration_s = 30 * 60;
      s.error_rate = 0.3;
      s.latency_factor = 1.5;
      break;
    case IncidentType::BadPod: s.error_rate = 0.05; break;
  }
  return s;
}

std::string ConfigResult::message() const {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

namespace {

using Check = std::function<bool(double)>;

class Reader {
 public:
  Reader(std::string file, std::vector<std::string>* errors) : file_(std::move(file)), errors_(errors) {}

  void error(const YAML::Node& at, const std::string& where, const std::string& what) {
    // yaml-cpp marks are 0-based; people count from 1.
    const auto mark = at.Mark();
    std::ostringstream os;
    os << file_ << ":" << (mark.line >= 0 ? mark.line + 1 : 0) << ":" << (mark.column >= 0 ? mark.column + 1 : 0)
       << ": in " << where << ": " << what;
    errors_->push_back(os.str());
  }

  SpecPos pos(const YAML::Node& n) const {
    const auto mark = n.Mark();
    return SpecPos{file_, mark.line + 1, mark.column + 1};
  }

  bool expect_map(const YAML::Node& n, const std::string& where) {
    if (n.IsMap()) return true;
    error(n, where, "expected a mapping of keys to values, found " + describe(n));
    return false;
  }

  void check_keys(const YAML::Node& map, const std::string& where, std::initializer_list<const char*> allowed) {
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      bool known = false;
      std::string list;
      for (const char* a : allowed) {
        if (key == a) known = true;
        list += std::string(list.empty() ? "" : ", ") + a;
      }
      if (!known) error(kv.first, where, "unknown key '" + key + "', expected one of: " + list);
    }
  }

  void number(const YAML::Node& map, const char* key, const std::string& where, double* out,
              const Check& ok, const char* expect) {
    const YAML::Node n = map[key];
    if (!n) return;
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v)) {
      error(n, where, std::string(key) + " is " + describe(n) + ", expected a number " + expect);
      return;
    }
    if (!ok(v)) {
      error(n, where, std::string(key) + " is " + n.Scalar() + ", expected a number " + expect);
      return;
    }
    *out = v;
  }

  void integer(const YAML::Node& map, const char* key, const std::string& where, int* out,
               const std::function<bool(long long)>& ok, const char* expect) {
    const YAML::Node n = map[key];
    if (!n) return;
    long long v = 0;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v)) {
      error(n, where, std::string(key) + " is " + describe(n) + ", expected a whole number " + expect);
      return;
    }
    if (!ok(v)) {
      error(n, where, std::string(key) + " is " + n.Scalar() + ", expected a whole number " + expect);
      return;
    }
    *out = static_cast<int>(v);
  }

  void duration(const YAML::Node& map, const char* key, const std::string& where, double* out,
                const Check& ok, const char* expect) {
    const YAML::Node n = map[key];
    if (!n) return;
    std::optional<double> v;
    if (n.IsScalar()) v = parse_duration(n.Scalar());
    if (!v) {
      error(n, where, std::string(key) + " is " + describe(n) +
                          ", expected a duration such as 90s, 2m, 1h30m or 1d14h " + expect);
      return;
    }
    if (!ok(*v)) {
      error(n, where, std::string(key) + " is " + n.Scalar() + ", expected a duration " + expect);
      return;
    }
    *out = *v;
  }

  static std::string describe(const YAML::Node& n) {
    if (n.IsScalar()) return "'" + n.Scalar() + "'";
    if (n.IsMap()) return "a mapping";
    if (n.IsSequence()) return "a list";
    return "empty";
  }

 private:
  std::string file_;
  std::vector<std::string>* errors_;
};

bool positive(double v) { return v > 0; }
bool non_negative(double v) { return v >= 0; }

void read_bursts(Reader& r, const YAML::Node& n, const std::string& where, BurstSpec* b) {
  if (!r.expect_map(n, where)) return;
  r.check_keys(n, where, {"per_day", "size", "size_sigma", "ramp", "decay"});
  r.number(n, "per_day", where, &b->per_day, non_negative, ">= 0 (bursts per simulated day)");
  r.number(n, "size", where, &b->size, positive, "> 0 (peak as a multiple of base load)");
  r.number(n, "size_sigma", where, &b->size_sigma, non_negative, ">= 0");
  r.duration(n, "ramp", where, &b->ramp_s, non_negative, ">= 0");
  r.duration(n, "decay", where, &b->decay_s, positive, "> 0");
}

void read_load(Reader& r, const YAML::Node& n, const std::string& where, LoadSpec* l) {
  if (!r.expect_map(n, where)) return;
  r.check_keys(n, where, {"base", "daily_amplitude", "peak_hour", "weekend_factor", "trend_per_day",
                          "noise", "noise_interval", "bursts"});
  r.number(n, "base", where, &l->base, positive, "> 0 (req/s)");
  r.number(n, "daily_amplitude", where, &l->daily_amplitude, [](double v) { return v >= 0 && v < 1; },
           "in [0, 1)");
  r.number(n, "peak_hour", where, &l->peak_hour, [](double v) { return v >= 0 && v < 24; }, "in [0, 24)");
  r.number(n, "weekend_factor", where, &l->weekend_factor, positive, "> 0");
  r.number(n, "trend_per_day", where, &l->trend_per_day, [](double v) { return v > -0.1 && v < 1; },
           "in (-0.1, 1)");
  r.number(n, "noise", where, &l->noise_sigma, [](double v) { return v >= 0 && v <= 2; }, "in [0, 2] (lognormal sigma)");
  r.duration(n, "noise_interval", where, &l->noise_interval_s, [](double v) { return v >= 1; }, ">= 1s");
  if (n["bursts"]) read_bursts(r, n["bursts"], where + " > bursts", &l->bursts);
}

void read_incident(Reader& r, const YAML::Node& n, const std::string& where, IncidentSpec* out) {
  if (!r.expect_map(n, where)) return;
  r.check_keys(n, where, {"type", "at", "day", "time", "duration", "latency_factor", "error_rate",
                          "slow_factor", "crash_uptime"});
  const YAML::Node type = n["type"];
  IncidentType t = IncidentType::Deploy;
  if (!type || !type.IsScalar() || !incident_type_from_string(type.Scalar(), &t)) {
    r.error(type ? type : n, where,
            "type is " + (type ? Reader::describe(type) : std::string("missing")) +
                ", expected one of: deploy, latency_regression, crash_loop, dependency_outage, bad_pod");
  }
  *out = defaults_for(t);
  out->pos = r.pos(n);
  const bool has_at = static_cast<bool>(n["at"]);
  const bool has_day = n["day"] || n["time"];
  if (has_at == has_day) {
    r.error(n, where, "give either `at: <offset from start>` or `day: N` with `time: \"HH:MM\"`");
  }
  if (has_at) {
    double at = 0;
    r.duration(n, "at", where, &at, non_negative, ">= 0 (offset from the start)");
    out->at_s = at;
  }
  r.integer(n, "day", where, &out->day, [](long long v) { return v >= 0 && v < 3650; },
            ">= 0 (0 = the start's date)");
  if (const YAML::Node tn = n["time"]) {
    const auto tod = tn.IsScalar() ? parse_time_of_day(tn.Scalar()) : std::nullopt;
    if (!tod) {
      r.error(tn, where, "time is " + Reader::describe(tn) + ", expected \"HH:MM\" (UTC)");
    } else {
      out->time_of_day_s = *tod;
    }
  }
  r.duration(n, "duration", where, &out->duration_s, non_negative, ">= 0 (0 = until fixed)");
  r.number(n, "latency_factor", where, &out->latency_factor, [](double v) { return v >= 1 && v <= 1000; },
           "in [1, 1000]");
  r.number(n, "error_rate", where, &out->error_rate, [](double v) { return v >= 0 && v <= 1; }, "in [0, 1]");
  r.number(n, "slow_factor", where, &out->slow_factor, [](double v) { return v >= 1 && v <= 1000; }, "in [1, 1000]");
  r.duration(n, "crash_uptime", where, &out->crash_uptime_s, [](double v) { return v >= 1; }, ">= 1s");
  if (out->type == IncidentType::DependencyOutage && out->duration_s <= 0) {
    r.error(n["duration"] ? n["duration"] : n, where,
            "duration is 0, expected > 0 for a dependency_outage (nothing else ends it)");
  }
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

void read_service(Reader& r, const YAML::Node& n, std::size_t index, ServiceSpec* s) {
  std::string where = "services[" + std::to_string(index + 1) + "]";
  if (!r.expect_map(n, where)) return;
  s->pos = r.pos(n);
  const YAML::Node name = n["name"];
  if (!name || !name.IsScalar() || !valid_name(name.Scalar())) {
    r.error(name ? name : n, where,
            "name is " + (name ? Reader::describe(name) : std::string("missing")) +
                ", expected 1-63 characters of a-z, 0-9, '-' or '_'");
  } else {
    s->name = name.Scalar();
    where = "service '" + s->name + "'";
  }
  r.check_keys(n, where, {"name", "load", "capacity", "latency", "errors", "replicas", "incidents"});
  if (const YAML::Node load = n["load"]) read_load(r, load, where + " > load", &s->load);
  if (const YAML::Node cap = n["capacity"]; cap && r.expect_map(cap, where + " > capacity")) {
    r.check_keys(cap, where + " > capacity", {"per_replica", "workers"});
    r.number(cap, "per_replica", where + " > capacity", &s->per_replica, positive, "> 0 (req/s per ready replica)");
    r.integer(cap, "workers", where + " > capacity", &s->workers, [](long long v) { return v >= 1 && v <= 1000; },
              "in [1, 1000]");
  }
  if (const YAML::Node lat = n["latency"]; lat && r.expect_map(lat, where + " > latency")) {
    const std::string w = where + " > latency";
    r.check_keys(lat, w, {"p50", "p99", "cap"});
    r.duration(lat, "p50", w, &s->latency.p50_s, positive, "> 0");
    r.duration(lat, "p99", w, &s->latency.p99_s, positive, "> 0");
    r.duration(lat, "cap", w, &s->latency.cap_s, positive, "> 0");
    if (s->latency.p99_s < s->latency.p50_s) {
      r.error(lat, w, "p99 " + format_duration(s->latency.p99_s) + " is below p50 " +
                          format_duration(s->latency.p50_s) + ", expected p99 >= p50");
    }
    if (s->latency.cap_s < s->latency.p99_s) {
      r.error(lat, w, "cap " + format_duration(s->latency.cap_s) + " is below p99 " +
                          format_duration(s->latency.p99_s) + ", expected cap >= p99");
    }
  }
  if (const YAML::Node err = n["errors"]; err && r.expect_map(err, where + " > errors")) {
    r.check_keys(err, where + " > errors", {"base_rate"});
    r.number(err, "base_rate", where + " > errors", &s->base_error_rate, [](double v) { return v >= 0 && v < 1; },
             "in [0, 1)");
  }
  if (const YAML::Node rep = n["replicas"]; rep && r.expect_map(rep, where + " > replicas")) {
    const std::string w = where + " > replicas";
    r.check_keys(rep, w, {"initial", "max", "readiness_delay"});
    r.integer(rep, "max", w, &s->max_replicas, [](long long v) { return v >= 1 && v <= 10000; }, "in [1, 10000]");
    const int max = s->max_replicas;
    r.integer(rep, "initial", w, &s->initial_replicas, [max](long long v) { return v >= 0 && v <= max; },
              "in [0, max]");
    r.duration(rep, "readiness_delay", w, &s->readiness_delay_s, non_negative, ">= 0");
  }
  if (const YAML::Node inc = n["incidents"]) {
    if (!inc.IsSequence()) {
      r.error(inc, where, "incidents is " + Reader::describe(inc) + ", expected a list");
    } else {
      for (std::size_t i = 0; i < inc.size(); ++i) {
        IncidentSpec spec;
        read_incident(r, inc[i], where + " > incidents[" + std::to_string(i + 1) + "]", &spec);
        s->incidents.push_back(spec);
      }
    }
  }
}

}  // namespace

ConfigResult parse_config(const std::string& yaml_text, const std::string& file_name) {
  ConfigResult result;
  Reader r(file_name, &result.errors);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    result.errors.push_back(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                            std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
    return result;
  }
  SandboxSpec spec;
  spec.file = file_name;
  const std::string where = "the top level";
  if (!r.expect_map(root, where)) return result;
  r.check_keys(root, where, {"seed", "start", "tick", "history", "action_timeout", "services"});
  if (const YAML::Node seed = root["seed"]) {
    unsigned long long v = 0;
    if (!seed.IsScalar() || !YAML::convert<unsigned long long>::decode(seed, v)) {
      r.error(seed, where, "seed is " + Reader::describe(seed) + ", expected a whole number >= 0");
    } else {
      spec.seed = v;
    }
  }
  if (const YAML::Node start = root["start"]) {
    const auto t = start.IsScalar() ? parse_rfc3339(start.Scalar()) : std::nullopt;
    if (!t) {
      r.error(start, where, "start is " + Reader::describe(start) + ", expected a UTC time like 2026-01-05T00:00:00Z");
    } else {
      spec.start_unix = *t;
    }
  }
  r.duration(root, "tick", where, &spec.tick_s,
             [](double v) { return v >= 0.1 && v <= 60 && std::fabs(60.0 / v - std::round(60.0 / v)) < 1e-9; },
             "in [100ms, 60s] that divides a minute evenly");
  r.duration(root, "history", where, &spec.history_s, [](double v) { return v >= 60; }, ">= 1m");
  r.duration(root, "action_timeout", where, &spec.action_timeout_s, [](double v) { return v >= 1; }, ">= 1s");
  const YAML::Node services = root["services"];
  if (!services || !services.IsSequence() || services.size() == 0) {
    r.error(services ? services : root, where, "services is " +
                (services ? Reader::describe(services) : std::string("missing")) + ", expected a non-empty list");
  } else {
    std::set<std::string> names;
    for (std::size_t i = 0; i < services.size(); ++i) {
      ServiceSpec s;
      read_service(r, services[i], i, &s);
      if (!s.name.empty() && !names.insert(s.name).second) {
        r.error(services[i]["name"], "services[" + std::to_string(i + 1) + "]",
                "name '" + s.name + "' is used twice, expected unique service names");
      }
      spec.services.push_back(std::move(s));
    }
  }
  if (result.errors.empty()) result.spec = std::move(spec);
  return result;
}

ConfigResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigResult r;
    r.errors.push_back(path + ": cannot open the sandbox config file for reading");
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace opspilot::sandbox
