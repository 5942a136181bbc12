// The shunts as `cygnetctl status` and `cygnetctl stats` (and --json) see them: per shunt its name,
// type, selectors and what it did (packets from the TUN, from the network, and cleartext the
// nftables filter dropped for it); and the same counts for GET /metrics.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gateway/shunt_table.hpp"

namespace cygnet::daemon {

// [{"name", "type", "selectors": [...], "packets_out", "packets_in", "cleartext_drops"}], in
// configuration order; `cleartext_drops` maps shunt name -> packets (absent: 0).
nlohmann::json shunts_json(const std::vector<gateway::ShuntState>& shunts,
                           const nlohmann::json& cleartext_drops);

// cygnet_shunt_packets_total{shunt, type, direction="out"|"in"} in the Prometheus text format
// (nothing without shunts). The nftables cleartext counts stay out: reading them runs nft.
std::string shunt_metrics_text(const std::vector<gateway::ShuntState>& shunts);

}  // namespace cygnet::daemon
