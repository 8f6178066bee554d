// libFuzzer target: the PromQL-subset parser on arbitrary text; a refusal must carry a column
// inside the query (or just past its end).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/source/promql_subset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  opspilot::agent::promql::QueryError err;
  const auto q = opspilot::agent::promql::Query::parse(text, &err);
  if (!q && (err.column < 1 || static_cast<std::size_t>(err.column) > size + 1)) std::abort();
  return 0;
}
