// `cygnetctl status`: the daemon's "status" result (control_protocol.hpp documents the JSON) as
// text to read at a glance, in the spirit of `swanctl --list-sas`: per connection a header line,
// then its IKE SAs, each with its CHILD SAs indented below.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cygnet::cli {

// Never throws: missing or mistyped fields show as "?".
std::string render_status(const nlohmann::json& result);

}  // namespace cygnet::cli
