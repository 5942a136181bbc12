// The "cleartext filter" section of `cygnetctl stats`: what the nftables table dropped per child.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cygnet::cli {

// Text for the stats result's "cleartext_filter" member; empty when a daemon does not report it.
std::string render_cleartext_filter(const nlohmann::json& stats_result);

}  // namespace cygnet::cli
