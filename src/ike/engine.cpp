// The engine's public API: configuration, operator commands, inputs forwarded to the exchange
// code, status and counters.
#include "ike/engine.hpp"

#include <algorithm>
#include <stdexcept>

#include "ike/engine_impl.hpp"

namespace cygnet::ike {

Engine::Engine(EngineOptions options, std::shared_ptr<RandomSource> random)
    : impl_(std::make_unique<Impl>(std::move(options), random ? std::move(random) : system_random())) {
  if (!impl_->options.wall_origin) throw std::invalid_argument("ike::EngineOptions::wall_origin is required");
  impl_->v1 = std::make_unique<v1::Ikev1Engine>(
      v1::SharedState{impl_->options, *impl_->random, impl_->actions, impl_->counters, impl_->next_ike_sa_id,
                      impl_->next_child_sa_id, impl_->failures});
}

Engine::~Engine() = default;

namespace {

std::optional<std::string> unusable(const ConnectionSettings& s) {
  if (s.name.empty()) return "a connection needs a name";
  if (s.ike_version != 1 && s.ike_version != 2) return "ike_version must be 1 or 2";
  if (s.ike_proposals.empty()) return "no IKE proposals";
  if (!first_group(s.ike_proposals)) return "the first IKE proposal has no key exchange group";
  if (s.auth == AuthKind::Psk && s.psk.empty()) return "PSK authentication without a PSK";
  if (s.auth == AuthKind::PublicKey && !s.private_key)
    return "public key authentication without a private key";
  for (const auto& c : s.children) {
    if (c.name.empty()) return "a child needs a name";
    if (c.proposals.empty()) return "child " + c.name + " has no proposals";
  }
  if (s.ike_version == 1 && !s.remote_hosts.empty()) return "host names in remote_addrs need IKEv2";
  if (!s.remote_hosts.empty() && !s.remote_addrs.empty())
    return "remote_addrs mixes host names and addresses";
  if (s.ike_version == 1) return v1::unusable_connection(s);
  return std::nullopt;
}

}  // namespace

bool Engine::add_connection(ConnectionSettings settings, TimePoint now) {
  impl_->failures.set_now(now);
  if (auto why = unusable(settings)) {
    impl_->event(EventType::Error, settings.name, std::nullopt, std::nullopt, "connection refused: " + *why);
    return false;
  }
  if (impl_->connection(settings.name) || impl_->v1->has_connection(settings.name)) {
    impl_->event(EventType::Error, settings.name, std::nullopt, std::nullopt, "connection already exists");
    return false;
  }
  std::optional<ConnectionSettings> v1_copy;
  if (settings.ike_version == 1) {
    v1_copy = settings;
    impl_->v1->add_connection(std::move(settings), now);
  } else {
    impl_->connections.push_back(std::move(settings));
  }
  const ConnectionSettings& conn = v1_copy ? *v1_copy : impl_->connections.back();
  if (conn.start_action == StartAction::Trap) {
    for (const auto& child : conn.children) {
      // Before an IKE SA exists, "our address" is the configured one (or any).
      std::vector<TrafficSelector> local =
          child.local_ts.empty()
              ? std::vector<TrafficSelector>{conn.local_addrs.empty()
                                                 ? ts_from_prefix(wire::IpPrefix{wire::IpAddress(), 0})
                                                 : ts_from_address(conn.local_addrs.front())}
              : ts_from_prefixes(child.local_ts);
      std::vector<TrafficSelector> remote =
          child.remote_ts.empty()
              ? std::vector<TrafficSelector>{conn.remote_addrs.empty()
                                                 ? ts_from_prefix(wire::IpPrefix{wire::IpAddress(), 0})
                                                 : ts_from_address(conn.remote_addrs.front())}
              : ts_from_prefixes(child.remote_ts);
      impl_->actions.emplace_back(InstallTrapPolicy{conn.name, child.name, to_ipsec_selectors(local, remote),
                                                    child.protocol, child.mode});
      impl_->traps.insert({conn.name, child.name});
    }
  } else if (conn.start_action == StartAction::Start) {
    up(conn.name, now);
  }
  // A peer named by host names is accepted only at a resolved address: resolve once now, so that a
  // responder-only (or trap) connection knows its peer before it ever initiates.
  if (conn.ike_version == 2 && !conn.remote_hosts.empty() && !impl_->resolving.contains(conn.name))
    impl_->request_resolution(conn, {});
  return true;
}

bool Engine::remove_connection(std::string_view name, TimePoint now) {
  if (impl_->v1->has_connection(name)) {
    const std::string n(name);
    std::vector<std::string> trapped;
    for (const auto& [c, child] : impl_->traps)
      if (c == n) trapped.push_back(child);
    for (const auto& child : trapped) {
      impl_->traps.erase({n, child});
      impl_->actions.emplace_back(RemoveTrapPolicy{n, child});
    }
    return impl_->v1->remove_connection(name, now);
  }
  const ConnectionSettings* conn = impl_->connection(name);
  if (!conn) return false;
  const std::string n(name);
  impl_->forget_resolution(n);
  impl_->bring_down(n, now);
  for (const auto& child : conn->children)
    if (impl_->traps.erase({n, child.name})) impl_->actions.emplace_back(RemoveTrapPolicy{n, child.name});
  std::erase_if(impl_->connections, [&n](const ConnectionSettings& c) { return c.name == n; });
  return true;
}

bool Engine::has_ike_sas() const { return !impl_->ike_sas.empty() || impl_->v1->has_sas(); }

std::vector<std::string> Engine::connection_names() const {
  std::vector<std::string> out;
  for (const auto& c : impl_->connections) out.push_back(c.name);
  for (auto& c : impl_->v1->connection_names()) out.push_back(std::move(c));
  return out;
}

bool Engine::up(std::string_view name, TimePoint now) {
  impl_->failures.set_now(now);
  if (impl_->v1->has_connection(name)) return impl_->v1->up(name, now);
  const ConnectionSettings* conn = impl_->connection(name);
  if (!conn) return false;
  std::vector<std::string> wanted;
  for (const auto& c : conn->children)
    if (!impl_->child_is_up(conn->name, c.name) && !impl_->negotiating.contains({conn->name, c.name}))
      wanted.push_back(c.name);
  for (auto& [id, sa] : impl_->ike_sas) {
    if (sa->connection != conn->name || sa->replaced_by || sa->state == IkeSaState::Deleting) continue;
    if (!sa->initiator && !sa->authenticated) continue;
    for (const auto& c : wanted) {
      impl_->negotiating.insert({conn->name, c});
      impl_->queue_request(*sa, PendingNewChild{c}, now);
    }
    return true;
  }
  impl_->initiate(*conn, wanted, now);
  return true;
}

bool Engine::down(std::string_view name, TimePoint now) {
  if (impl_->v1->has_connection(name)) return impl_->v1->down(name, now);
  if (!impl_->connection(name)) return false;
  impl_->bring_down(std::string(name), now);
  return true;
}

void Engine::on_datagram(const Endpoint& local, const Endpoint& remote, ByteView udp_payload, TimePoint now) {
  impl_->failures.set_now(now);
  impl_->on_datagram(local, remote, udp_payload, now);
}

void Engine::on_acquire(std::string_view connection, std::string_view child, TimePoint now) {
  impl_->failures.set_now(now);
  if (impl_->v1->has_connection(connection)) {
    impl_->v1->on_acquire(connection, child, now);
    return;
  }
  const ConnectionSettings* conn = impl_->connection(connection);
  if (!conn || !impl_->child_settings(connection, child)) return;
  const std::string c(child);
  // Never two negotiations for the same child.
  if (impl_->child_is_up(conn->name, c) || impl_->negotiating.contains({conn->name, c})) return;
  for (auto& [id, sa] : impl_->ike_sas) {
    if (sa->connection != conn->name || sa->replaced_by || sa->state == IkeSaState::Deleting) continue;
    if (!sa->initiator && !sa->authenticated) continue;
    impl_->negotiating.insert({conn->name, c});
    impl_->queue_request(*sa, PendingNewChild{c}, now);
    return;
  }
  impl_->initiate(*conn, {c}, now);
}

void Engine::on_child_sa_soft_limit(ChildSaId id, TimePoint now) {
  if (impl_->v1->owns_child(id)) {
    impl_->v1->on_child_sa_soft_limit(id, now);
    return;
  }
  auto it = impl_->children.find(id);
  if (it == impl_->children.end() || it->second.state != ChildSaState::Installed ||
      it->second.rekey_requested)
    return;
  IkeSa* sa = impl_->ike_sa(it->second.ike_sa);
  if (!sa) return;
  it->second.rekey_requested = true;
  impl_->queue_request(*sa, PendingRekeyChild{id}, now);
}

void Engine::on_child_sa_hard_limit(ChildSaId id, TimePoint now) {
  if (impl_->v1->owns_child(id)) {
    impl_->v1->on_child_sa_hard_limit(id, now);
    return;
  }
  auto it = impl_->children.find(id);
  if (it == impl_->children.end()) return;
  const ChildSa& c = it->second;
  if (c.state == ChildSaState::Rekeyed) {  // already replaced: just drop it
    impl_->remove_child(id, false, "");
    return;
  }
  const ChildRef ref{c.id, c.inbound_spi, c.protocol};
  IkeSa* sa = impl_->ike_sa(c.ike_sa);
  const bool tell_peer = c.state == ChildSaState::Installed;
  impl_->remove_child(id, true, "byte/packet limit reached");
  if (sa && tell_peer) impl_->queue_request(*sa, PendingDeleteChildren{{ref}}, now);
}

std::vector<Action> Engine::take_actions() {
  std::vector<Action> out;
  out.swap(impl_->actions);
  return out;
}

const EngineCounters& Engine::counters() const {
  impl_->counters.half_open_ike_sas = impl_->half_open_count() + impl_->v1->half_open_count();
  return impl_->counters;
}

std::vector<ConnectionStatus> Engine::status(TimePoint now) const {
  std::vector<ConnectionStatus> out;
  for (const auto& conn : impl_->connections) {
    ConnectionStatus cs;
    cs.name = conn.name;
    cs.start_action = conn.start_action;
    for (const auto& [id, sa_ptr] : impl_->ike_sas) {
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
      s.age = std::chrono::duration_cast<Seconds>(now - sa.created);
      if (sa.rekey_at && !sa.rekey_requested)
        s.rekey_in = std::chrono::duration_cast<Seconds>(std::max(Duration{0}, *sa.rekey_at - now));
      for (const auto& [cid, c] : impl_->children) {
        if (c.ike_sa != sa.id) continue;
        s.children.push_back(child_sa_status(c, now));
      }
      cs.ike_sas.push_back(std::move(s));
    }
    out.push_back(std::move(cs));
  }
  for (auto& cs : impl_->v1->status(now)) out.push_back(std::move(cs));
  return out;
}

}  // namespace cygnet::ike
