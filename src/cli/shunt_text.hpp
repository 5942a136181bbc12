// The shunts section of `cygnetctl status` and `cygnetctl stats` (the "shunts" array of both
// results, daemon/shunt_json.hpp): one line per shunt, in configuration order.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cygnet::cli {

// "shunts\n  lan: pass 192.0.2.0/24 === 192.0.2.0/24\n", or "" without shunts. Never throws.
std::string render_shunts_status(const nlohmann::json& result);
// "shunts\n  blocked (drop): 3 from the TUN, 0 from the network, 5 cleartext dropped\n", or "".
std::string render_shunts_stats(const nlohmann::json& result);

}  // namespace cygnet::cli
