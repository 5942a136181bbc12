// The shunts as `cygnetctl status` and `cygnetctl stats` (and --json) see them: per shunt its name,
// type, selectors and what it did (packets from the TUN, from the network, and cleartext the
// nftables filter dropped for it).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "gateway/shunt_table.hpp"

namespace cygnet::daemon {

// [{"name", "type", "selectors": [...], "packets_out", "packets_in", "cleartext_drops"}], in
// configuration order; `cleartext_drops` maps shunt name -> packets (absent: 0).
nlohmann::json shunts_json(const std::vector<gateway::ShuntState>& shunts, const nlohmann::json& cleartext_drops);

}  // namespace cygnet::daemon
