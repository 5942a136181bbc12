// The lines `cygnetctl monitor` receives (control/control_protocol.hpp documents the fields): an
// engine event, or a notice from the daemon itself (reloaded, daemon-stopping).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ike/engine.hpp"

namespace cygnet::daemon {

using WallTime = std::chrono::system_clock::time_point;

std::string iso8601_utc(WallTime when);  // "2026-12-07T01:02:03Z"

// `status` (the engine's tables after the event) supplies "peer" and "spi" where the SA still exists.
nlohmann::json monitor_event_json(const ike::Event& event, WallTime when,
                                  const std::vector<ike::ConnectionStatus>& status);
nlohmann::json monitor_notice_json(std::string_view type, std::string_view detail, WallTime when);

}  // namespace cygnet::daemon
