// What the facade (engine.cpp) calls for ike_version = 2 connections: configuration, operator
// commands, the data plane's acquires and limits, status. The exchanges themselves are the tasks
// (v2/tasks.hpp); this file only queues them.
#include "ike/v2/ikev2_engine.hpp"

#include <algorithm>

namespace cygnet::ike {

v2::Ikev2Engine::Ikev2Engine(SharedState& state)
    : shared(state),
      options(state.options),
      random(state.random_source),
      actions(state.actions),
      counters(state.counters),
      failures(state.failures),
      next_ike_sa_id(state.next_ike_sa_id),
      next_child_sa_id(state.next_child_sa_id),
      traps(state.traps) {}

void v2::Ikev2Engine::add_connection(ConnectionSettings settings) {
  connections.push_back(std::move(settings));
}

bool v2::Ikev2Engine::remove_connection(std::string_view name, TimePoint now) {
  const ConnectionSettings* conn = connection(name);
  if (!conn) return false;
  const std::string n(name);
  forget_resolution(n);
  bring_down(n, now);
  for (const auto& child : conn->children)
    if (traps.erase({n, child.name})) actions.emplace_back(RemoveTrapPolicy{n, child.name});
  std::erase_if(connections, [&n](const ConnectionSettings& c) { return c.name == n; });
  return true;
}

std::vector<std::string> v2::Ikev2Engine::connection_names() const {
  std::vector<std::string> out;
  for (const auto& c : connections) out.push_back(c.name);
  return out;
}

bool v2::Ikev2Engine::up(std::string_view name, TimePoint now) {
  const ConnectionSettings* conn = connection(name);
  if (!conn) return false;
  std::vector<std::string> wanted;
  for (const auto& c : conn->children)
    if (!child_is_up(conn->name, c.name) && !negotiating.contains({conn->name, c.name}))
      wanted.push_back(c.name);
  for (auto& [id, sa] : ike_sas) {
    if (sa->connection != conn->name || sa->replaced_by || sa->state == IkeSaState::Deleting) continue;
    if (!sa->initiator && !sa->authenticated) continue;
    for (const auto& c : wanted) {
      negotiating.insert({conn->name, c});
      queue_request(*sa, ChildCreateTask{c}, now);
    }
    return true;
  }
  initiate(*conn, wanted, now);
  return true;
}

bool v2::Ikev2Engine::down(std::string_view name, TimePoint now) {
  if (!connection(name)) return false;
  bring_down(std::string(name), now);
  return true;
}

void v2::Ikev2Engine::on_acquire(std::string_view connection_name, std::string_view child, TimePoint now) {
  const ConnectionSettings* conn = connection(connection_name);
  if (!conn || !child_settings(connection_name, child)) return;
  const std::string c(child);
  // Never two negotiations for the same child.
  if (child_is_up(conn->name, c) || negotiating.contains({conn->name, c})) return;
  for (auto& [id, sa] : ike_sas) {
    if (sa->connection != conn->name || sa->replaced_by || sa->state == IkeSaState::Deleting) continue;
    if (!sa->initiator && !sa->authenticated) continue;
    negotiating.insert({conn->name, c});
    queue_request(*sa, ChildCreateTask{c}, now);
    return;
  }
  initiate(*conn, {c}, now);
}

void v2::Ikev2Engine::on_child_sa_soft_limit(ChildSaId id, TimePoint now) {
  auto it = children.find(id);
  if (it == children.end() || it->second.state != ChildSaState::Installed || it->second.rekey_requested)
    return;
  IkeSa* sa = ike_sa(it->second.ike_sa);
  if (!sa) return;
  it->second.rekey_requested = true;
  queue_request(*sa, ChildRekeyTask{id}, now);
}

void v2::Ikev2Engine::on_child_sa_hard_limit(ChildSaId id, TimePoint now) {
  auto it = children.find(id);
  if (it == children.end()) return;
  const ChildSa& c = it->second;
  if (c.state == ChildSaState::Rekeyed) {  // already replaced: just drop it
    remove_child(id, false, "");
    return;
  }
  const ChildRef ref{c.id, c.inbound_spi, c.protocol};
  IkeSa* sa = ike_sa(c.ike_sa);
  const bool tell_peer = c.state == ChildSaState::Installed;
  remove_child(id, true, "byte/packet limit reached");
  if (sa && tell_peer) queue_request(*sa, DeleteChildrenTask{{ref}}, now);
}

std::vector<ConnectionStatus> v2::Ikev2Engine::status(TimePoint now) const {
  std::vector<ConnectionStatus> out;
  for (const auto& conn : connections) {
    ConnectionStatus cs;
    cs.name = conn.name;
    cs.start_action = conn.start_action;
    for (const auto& [id, sa_ptr] : ike_sas) {
      const IkeSa& sa = *sa_ptr;
      if (sa.connection != conn.name) continue;
      IkeSaStatus s;
      s.id = sa.id;
      s.connection = sa.connection;
      s.state = sa.state;
      s.initiator = sa.initiator;
      s.initiator_spi = sa.spi_i;
      s.responder_spi = sa.spi_r;
      s.local = sa.local;
      s.remote = sa.remote;
      s.local_id = sa.local_id.to_string();
      s.remote_id = sa.remote_id ? sa.remote_id->to_string() : std::string();
      s.algorithms = sa.algorithms ? sa.algorithms->to_string() : std::string();
      s.nat_detected = sa.udp_encapsulated();
      s.nat_local = sa.nat_local;
      s.nat_remote = sa.nat_remote;
      s.mobike = sa.mobike;
      s.peer_additional_addresses = sa.peer_additional_addresses;
      s.local_virtual_ips = sa.virtual_ips;
      for (const auto& lease : sa.leases) s.remote_virtual_ips.push_back(lease.address);
      s.eap_identity = sa.eap_identity;
      s.age = std::chrono::duration_cast<Seconds>(now - sa.created);
      if (sa.rekey_at && !sa.rekey_requested)
        s.rekey_in = std::chrono::duration_cast<Seconds>(std::max(Duration{0}, *sa.rekey_at - now));
      if (sa.reauth_at && !sa.replaced_by)
        s.reauth_in = std::chrono::duration_cast<Seconds>(std::max(Duration{0}, *sa.reauth_at - now));
      for (const ChildSa* c : children_of(sa.id)) s.children.push_back(child_sa_status(*c, now));
      cs.ike_sas.push_back(std::move(s));
    }
    out.push_back(std::move(cs));
  }
  return out;
}

}  // namespace cygnet::ike
