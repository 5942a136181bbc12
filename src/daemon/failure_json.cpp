#include "daemon/failure_json.hpp"

#include <algorithm>
#include <string>

namespace cygnet::daemon {

using nlohmann::json;

json failure_json(const ike::FailureReport& r, TimePoint now) {
  json out;
  out["age_seconds"] = std::chrono::duration_cast<Seconds>(now - r.time).count();
  out["class"] = ike::failure_class_name(r.kind);
  out["role"] = ike::failure_role_name(r.role);
  out["ike_version"] = r.ike_version;
  out["exchange"] = r.exchange;
  out["summary"] = r.summary;
  out["peer"] = r.peer;
  out["child"] = r.child;
  out["subject"] = r.subject;
  out["ours"] = r.ours;
  out["theirs"] = r.theirs;
  out["nearest"] = r.nearest;
  out["fix"] = r.fix;
  out["unanswered"] = r.unanswered;
  out["retransmissions"] = r.retransmissions;
  out["received_anything"] = r.received_anything ? json(*r.received_anything) : json(nullptr);
  out["text"] = ike::render_failure(r, now);
  return out;
}

void add_last_failures(json& status_result, const ike::Engine& engine, TimePoint now) {
  auto conns = status_result.find("connections");
  if (conns == status_result.end() || !conns->is_array()) return;
  for (json& conn : *conns) {
    const auto failure = engine.last_failure(conn.value("name", std::string()));
    conn["last_failure"] = failure ? failure_json(*failure, now) : json(nullptr);
  }
}

std::optional<json> why_json(const ike::Engine& engine, std::string_view connection, TimePoint now) {
  const auto names = engine.connection_names();
  if (std::find(names.begin(), names.end(), connection) == names.end()) return std::nullopt;
  std::size_t established = 0;
  std::size_t children = 0;
  std::string start_action;
  for (const ike::ConnectionStatus& c : engine.status(now)) {
    if (c.name != connection) continue;
    start_action = ike::start_action_name(c.start_action);
    for (const ike::IkeSaStatus& sa : c.ike_sas) {
      if (sa.state == ike::IkeSaState::Connecting) continue;
      ++established;
      children += sa.children.size();
    }
  }
  json out;
  out["connection"] = connection;
  out["start_action"] = start_action;
  out["up"] = established > 0;
  out["ike_sas"] = established;
  out["child_sas"] = children;
  const auto failure = engine.last_failure(connection);
  out["last_failure"] = failure ? failure_json(*failure, now) : json(nullptr);
  // A peer that matched no connection at all cannot be attributed; shown next to every `why`.
  const auto unattributed = engine.unattributed_failure();
  out["unattributed_failure"] = unattributed ? failure_json(*unattributed, now) : json(nullptr);
  return out;
}

}  // namespace cygnet::daemon
