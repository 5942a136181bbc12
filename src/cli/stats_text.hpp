// `cygnetctl stats`: the daemon's "stats" result (control_protocol.hpp documents the JSON) as
// text: IKE, data-plane and daemon counters, drops by reason, then one line per CHILD SA.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cygnet::cli {

// Never throws. Counters the daemon adds later are shown too, after the known ones.
std::string render_stats(const nlohmann::json& result);

}  // namespace cygnet::cli
