// `cygnetctl leases`: the gateway's address pools (size, online and offline leases, never-used
// addresses) and every lease under its pool, from cygnetd's `leases` JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cygnet::cli {

std::string render_leases(const nlohmann::json& result);

}  // namespace cygnet::cli
