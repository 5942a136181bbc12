// The `[shunts.NAME]` tables: pass (BYPASS) and drop (DISCARD) policies ordered before every
// tunnel (ipsec/shunt.hpp). Keys: type = "pass" | "drop", local_ts, remote_ts (selector_text.hpp
// syntax). A missing side means any address of the other side's families; at least one side is
// required, since a shunt for all traffic would switch every tunnel off.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "ipsec/shunt.hpp"

namespace cygnet::config {

// Every shunt of the `[shunts]` table in file order; problems appended to `errors` (file:line:col).
std::vector<ipsec::ShuntSettings> shunt_settings(const toml::table& shunts, const std::string& source_name,
                                                 std::vector<ConfigError>& errors);

}  // namespace cygnet::config

namespace cygnet::config {

// "warning: shunt 'a': ..." for each shunt selector that overlaps a child's configured selectors
// partially (neither contains the other): which traffic the shunt takes is then hard to see.
std::vector<std::string> shunt_overlap_warnings(const Config& config);

}  // namespace cygnet::config
