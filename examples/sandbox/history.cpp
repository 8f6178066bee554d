#include "examples/sandbox/history.h"

#include <cstdio>

#include "examples/sandbox/config.h"

namespace opspilot::sandbox {

std::string flags_to_string(std::uint8_t flags) {
  std::string out;
  auto add = [&](std::uint8_t bit, const char* name) {
    if (flags & bit) out += std::string(out.empty() ? "" : "+") + name;
  };
  add(kFlagRegression, "regression");
  add(kFlagCrashLoop, "crash_loop");
  add(kFlagDependencyOutage, "dependency_outage");
  add(kFlagBadPod, "bad_pod");
  return out;
}

std::string csv_header() {
  return "unix_seconds,time,service,load_rps,served_rps,desired,ready,p50_seconds,p99_seconds,"
         "error_ratio,cpu_utilization,revision,regression,crash_loop,dependency_outage,bad_pod";
}

void write_csv_rows(std::ostream& out, const std::string& service, const std::vector<MinuteSample>& rows) {
  char buf[512];
  for (const MinuteSample& s : rows) {
    std::snprintf(buf, sizeof buf, "%lld,%s,%s,%.3f,%.3f,%d,%d,%.6f,%.6f,%.6f,%.4f,%d,%d,%d,%d,%d\n",
                  static_cast<long long>(s.unix_s), format_rfc3339(s.unix_s).c_str(), service.c_str(),
                  s.load_rps, s.served_rps, s.desired, s.ready, s.p50_s, s.p99_s, s.error_ratio, s.cpu,
                  s.revision, (s.flags & kFlagRegression) ? 1 : 0, (s.flags & kFlagCrashLoop) ? 1 : 0,
                  (s.flags & kFlagDependencyOutage) ? 1 : 0, (s.flags & kFlagBadPod) ? 1 : 0);
    out << buf;
  }
}

nlohmann::json history_json(const std::string& service, const History& h, std::int64_t since_unix,
                            std::size_t limit) {
  std::vector<const MinuteSample*> picked;
  for (const MinuteSample& s : h.samples()) {
    if (s.unix_s >= since_unix) picked.push_back(&s);
  }
  if (picked.size() > limit) picked.erase(picked.begin(), picked.end() - static_cast<std::ptrdiff_t>(limit));
  auto column = [&](auto get) {
    nlohmann::json arr = nlohmann::json::array();
    for (const MinuteSample* s : picked) arr.push_back(get(*s));
    return arr;
  };
  nlohmann::json j;
  j["service"] = service;
  j["resolution_seconds"] = 60;
  j["count"] = picked.size();
  j["unix_seconds"] = column([](const MinuteSample& s) { return s.unix_s; });
  j["load_rps"] = column([](const MinuteSample& s) { return s.load_rps; });
  j["served_rps"] = column([](const MinuteSample& s) { return s.served_rps; });
  j["desired"] = column([](const MinuteSample& s) { return s.desired; });
  j["ready"] = column([](const MinuteSample& s) { return s.ready; });
  j["p50_seconds"] = column([](const MinuteSample& s) { return s.p50_s; });
  j["p99_seconds"] = column([](const MinuteSample& s) { return s.p99_s; });
  j["error_ratio"] = column([](const MinuteSample& s) { return s.error_ratio; });
  j["cpu_utilization"] = column([](const MinuteSample& s) { return s.cpu; });
  j["revision"] = column([](const MinuteSample& s) { return s.revision; });
  j["incidents"] = column([](const MinuteSample& s) { return flags_to_string(s.flags); });
  return j;
}

}  // namespace opspilot::sandbox
