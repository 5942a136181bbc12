// Semantic validation of a parsed configuration document: every key known (a typo is an error,
// never silently ignored), every value of the right type and range, proposals/identities/
// addresses parsed, secrets and certificates loaded, and the cross-key rules checked. Produces
// the typed Config and every problem found, each at the place in the file it concerns.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "config/config.hpp"

namespace cygnet::config {

// The returned Config is meaningful only when no error was appended.
Config build_config(const toml::table& root, const std::string& source_name,
                    const std::filesystem::path& base_dir, std::vector<ConfigError>& errors);

// Connection and child names appear in cygnetctl commands, events and logs.
bool is_valid_name(std::string_view name);

}  // namespace cygnet::config
