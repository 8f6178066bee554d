// libFuzzer target: the exposition parser on arbitrary bytes, in both formats.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/source/exposition.h"

using namespace opspilot::agent::exposition;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  double sink = 0;
  auto on_sample = [&](const SampleView& s) {
    sink += s.value;
    for (const auto& l : s.labels) sink += static_cast<double>(l.name.size() + l.value.size());
  };
  Parser(Format::Prometheus).parse(text, on_sample);
  Parser(Format::OpenMetrics).parse(text, on_sample);
  return sink == 0.5 ? 1 : 0;  // keep the work observable
}
