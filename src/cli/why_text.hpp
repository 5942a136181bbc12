// `cygnetctl why NAME`: the daemon's "why" result (control_protocol.hpp) in words — whether the
// connection is up, and its last failure with both sides' offers and the change that would agree.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cygnet::cli {

// Never throws: missing or mistyped fields show as "?".
std::string render_why(const nlohmann::json& result);

// The one-line form for `cygnetctl status` under a connection that is down:
// "last failure 3 s ago: proposal (responder, IKE_SA_INIT): none of the peer's ...".
std::string last_failure_line(const nlohmann::json& failure);

}  // namespace cygnet::cli
