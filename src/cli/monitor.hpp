// `cygnetctl monitor [--json]`: subscribes to cygnetd's events (the "monitor" control command) and
// prints each as it happens, as a text line or the daemon's JSON line, until the daemon says
// "daemon-stopping" (exit 0) or the connection breaks (exit 2).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "cli/commands.hpp"

namespace cygnet::cli {

// "2026-12-07T01:02:03Z ike-sa-established site-b #1: 192.0.2.1[500] - 192.0.2.2[500] ..."
std::string monitor_line_text(const nlohmann::json& event);

int run_monitor(const Options& options, std::ostream& out, std::ostream& err);

}  // namespace cygnet::cli
