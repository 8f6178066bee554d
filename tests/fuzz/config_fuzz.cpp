// libFuzzer target: the configuration loader on arbitrary bytes; every problem must become a
// diagnostic with a sane position, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = opspilot::agent::load_config_string(text, "fuzz.yaml");
  for (const auto& d : r.diagnostics)
    if (d.line < 0 || d.column < 0) std::abort();
  (void)r.report();
  return 0;
}
