// `last_failure` in `status --json` and the answer to the `why` command (fields documented in
// control/control_protocol.hpp): the engine's FailureReport as JSON, with its words.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "ike/engine.hpp"
#include "ike/failure_report.hpp"

namespace cygnet::daemon {

nlohmann::json failure_json(const ike::FailureReport& report, TimePoint now);

// Adds "last_failure" (object or null) to each connection of a status result.
void add_last_failures(nlohmann::json& status_result, const ike::Engine& engine, TimePoint now);

// The `why` result for one connection; nullopt when the engine does not know the name.
std::optional<nlohmann::json> why_json(const ike::Engine& engine, std::string_view connection, TimePoint now);

}  // namespace cygnet::daemon
