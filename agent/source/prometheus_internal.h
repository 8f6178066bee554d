#pragma once
// Helpers shared by the Prometheus response decoder (prometheus_decode.cpp) and the client
// (prometheus_client.cpp). Private to agent/source.
#include <string>
#include <string_view>

namespace opspilot::agent::prometheus_internal {

/// `s` in double quotes for messages, cut to 120 characters with "..." when longer.
std::string quote_text(std::string_view s);

}  // namespace opspilot::agent::prometheus_internal
