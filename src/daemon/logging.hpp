// Log lines for people, one logger per subsystem so an operator can turn one up ("ike=debug")
// without drowning in the others. Never key material: the engine's events carry none, and
// nothing here formats a key.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace cygnet::daemon {

enum class Subsystem { Daemon, Ike, Net, DataPlane, Control };
inline constexpr Subsystem kAllSubsystems[] = {Subsystem::Daemon, Subsystem::Ike, Subsystem::Net,
                                               Subsystem::DataPlane, Subsystem::Control};
const char* subsystem_name(Subsystem s);  // "daemon", "ike", "net", "dataplane", "control"

// The logger of a subsystem (writes to stderr, created on first use).
spdlog::logger& log(Subsystem s);

// Applies "LEVEL" or "LEVEL,SUBSYSTEM=LEVEL,..." (levels trace|debug|info|warn|error|off), e.g.
// "info,ike=debug". Returns an error text and changes nothing when the spec is invalid.
std::optional<std::string> apply_log_levels(std::string_view spec);

}  // namespace cygnet::daemon
