// The engine's SA tables: lookups, creating and removing IKE SAs, installing and removing CHILD SAs
// (and the actions that tell the data plane).
#include <algorithm>
#include <cmath>

#include "ike/random_source.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

const ConnectionSettings* v2::Ikev2Engine::connection(std::string_view name) const {
  for (const auto& c : connections)
    if (c.name == name) return &c;
  return nullptr;
}

const ChildSettings* v2::Ikev2Engine::child_settings(std::string_view conn, std::string_view child) const {
  const ConnectionSettings* c = connection(conn);
  if (!c) return nullptr;
  for (const auto& ch : c->children)
    if (ch.name == child) return &ch;
  return nullptr;
}

IkeSa* v2::Ikev2Engine::ike_sa(IkeSaId id) {
  auto it = ike_sas.find(id);
  return it == ike_sas.end() ? nullptr : it->second.get();
}

IkeSa* v2::Ikev2Engine::ike_sa_by_spi(std::uint64_t our_spi) {
  auto it = by_spi.find(our_spi);
  return it == by_spi.end() ? nullptr : ike_sa(it->second);
}

IkeSa* v2::Ikev2Engine::half_open_for(std::uint64_t spi_i, const Endpoint& remote) {
  const auto [begin, end] = responders_by_spi_i.equal_range(spi_i);
  for (auto it = begin; it != end; ++it)
    if (IkeSa* sa = ike_sa(it->second); sa && sa->remote.address == remote.address) return sa;
  return nullptr;
}

std::vector<ChildSa*> v2::Ikev2Engine::children_of(IkeSaId id) {
  std::vector<ChildSa*> out;
  for (auto it = children_by_ike.lower_bound({id, 0}); it != children_by_ike.end() && it->first == id; ++it)
    out.push_back(&children.at(it->second));
  return out;
}

std::vector<const ChildSa*> v2::Ikev2Engine::children_of(IkeSaId id) const {
  std::vector<const ChildSa*> out;
  for (auto it = children_by_ike.lower_bound({id, 0}); it != children_by_ike.end() && it->first == id; ++it)
    out.push_back(&children.at(it->second));
  return out;
}

void v2::Ikev2Engine::move_children_to(IkeSaId from, IkeSaId to) {
  for (ChildSa* c : children_of(from)) {
    children_by_ike.erase({from, c->id});
    c->ike_sa = to;
    children_by_ike.emplace(to, c->id);
  }
}

ChildSa* v2::Ikev2Engine::child_by_outbound_spi(IkeSaId ike, std::uint32_t spi) {
  for (ChildSa* c : children_of(ike))
    if (c->outbound_spi == spi) return c;
  return nullptr;
}

ChildSa* v2::Ikev2Engine::child_by_inbound_spi(IkeSaId ike, std::uint32_t spi) {
  for (ChildSa* c : children_of(ike))
    if (c->inbound_spi == spi) return c;
  return nullptr;
}

std::size_t v2::Ikev2Engine::half_open_count() const {
  return half_open.total();
}

void v2::Ikev2Engine::release_half_open(IkeSa& sa) {
  if (!sa.half_open_source) return;
  half_open.remove(*sa.half_open_source);
  sa.half_open_source.reset();
}

bool v2::Ikev2Engine::child_is_up(std::string_view conn, std::string_view child) const {
  for (const auto& [id, c] : children)
    if (c.connection == conn && c.child == child && c.state == ChildSaState::Installed) return true;
  return false;
}

std::uint64_t v2::Ikev2Engine::fresh_ike_spi() {
  for (;;) {
    const std::uint64_t spi = random->next_u64();
    if (spi != 0 && !by_spi.contains(spi)) return spi;
  }
}

IkeSa& v2::Ikev2Engine::create_ike_sa(const ConnectionSettings& conn, bool initiator, TimePoint now) {
  auto sa = std::make_unique<IkeSa>();
  sa->id = next_ike_sa_id++;
  sa->connection = conn.name;
  sa->initiator = initiator;
  sa->created = now;
  sa->last_received = now;
  const std::uint64_t spi = fresh_ike_spi();
  (initiator ? sa->spi_i : sa->spi_r) = spi;
  by_spi[spi] = sa->id;
  IkeSa& ref = *sa;
  ike_sas[sa->id] = std::move(sa);
  return ref;
}

void v2::Ikev2Engine::set_ike_keys(IkeSa& sa, ByteView seed) {
  const IkeAlgorithms& alg = *sa.algorithms;
  sa.keys = derive_ike_sa_keys(alg, seed, sa.nonce_i, sa.nonce_r, sa.spi_i, sa.spi_r);
  const IkeSaKeys& k = *sa.keys;
  SkProtection initiator_side(alg, k.sk_ei.view(), k.sk_ai.view());
  SkProtection responder_side(alg, k.sk_er.view(), k.sk_ar.view());
  if (sa.initiator) {
    sa.sk_out = std::move(initiator_side);
    sa.sk_in = std::move(responder_side);
  } else {
    sa.sk_out = std::move(responder_side);
    sa.sk_in = std::move(initiator_side);
  }
}

namespace {
// Rekey at 90 % of the lifetime minus up to `jitter` × lifetime, so both ends rarely collide.
Duration rekey_after(Seconds lifetime, double jitter, RandomSource& random) {
  const double l = static_cast<double>(lifetime.count());
  const double at = l * 0.9 - l * jitter * random.next_unit();
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(std::max(at, 1.0)));
}
}  // namespace

void v2::Ikev2Engine::schedule_ike_lifetime(IkeSa& sa, const ConnectionSettings& conn, TimePoint now) {
  sa.rekey_at.reset();
  sa.expire_at.reset();
  sa.rekey_requested = false;
  if (conn.ike_lifetime.count() <= 0) return;
  sa.rekey_at = now + rekey_after(conn.ike_lifetime, options.rekey_jitter, *random);
  sa.expire_at = now + conn.ike_lifetime;
  // A reauthentication due within this lifetime renews the keys itself: no rekey before it.
  if (sa.reauth_at && *sa.reauth_at <= *sa.expire_at) sa.rekey_at.reset();
}

std::optional<TimePoint> v2::Ikev2Engine::child_rekey_time(const ChildSettings& c, TimePoint now) {
  if (c.lifetime.count() <= 0) return std::nullopt;
  return now + rekey_after(c.lifetime, options.rekey_jitter, *random);
}

void v2::Ikev2Engine::ike_sa_established(IkeSa& sa, TimePoint now) {
  sa.state = IkeSaState::Established;
  sa.authenticated = true;
  sa.established_at = now;
  sa.half_open_expire.reset();
  release_half_open(sa);
  ++counters.ike_sas_established;
  counters.handshake_latency.observe(now - sa.created);
  if (const ConnectionSettings* conn = connection(sa.connection)) {
    schedule_ike_lifetime(sa, *conn, now);
    schedule_reauthentication(sa, *conn, now);  // task_ike_reauth.cpp
  }
  event(EventType::IkeSaEstablished, sa.connection, sa.id, std::nullopt,
        sa.local.to_string() + " - " + sa.remote.to_string() + " (" +
            (sa.remote_id ? sa.remote_id->to_string() : std::string("?")) +
            (sa.eap_identity.empty() ? std::string() : ", EAP identity " + sa.eap_identity) + "), " +
            (sa.algorithms ? sa.algorithms->to_string() : std::string()) +
            (sa.udp_encapsulated() ? ", NAT detected: UDP encapsulation" : ""));
}

void v2::Ikev2Engine::release_establishment_state(IkeSa& sa) {
  // Assigning fresh objects frees the buffers (clear() would keep their capacity).
  sa.init_request = Bytes();
  sa.init_response = Bytes();
  sa.nonce_i = Bytes();
  sa.nonce_r = Bytes();
  sa.cookie = Bytes();
  sa.ke.reset();
  if (sa.keys) {
    IkeSaKeys& k = *sa.keys;
    for (crypto::SecureBytes* key : {&k.sk_pi, &k.sk_pr}) *key = crypto::SecureBytes();
    // SK_e/SK_a stay only for the opt-in key export (the SK protection has its own copies).
    if (!options.retain_keys_for_export)
      for (crypto::SecureBytes* key : {&k.sk_ai, &k.sk_ar, &k.sk_ei, &k.sk_er}) *key = crypto::SecureBytes();
  }
}

void v2::Ikev2Engine::remove_ike_sa(IkeSaId id, std::optional<EventType> type, const std::string& detail) {
  IkeSa* sa = ike_sa(id);
  if (!sa) return;
  // Negotiations that die with this SA may be retried later (acquire, up).
  auto forget = [this, sa](const std::string& child) { negotiating.erase({sa->connection, child}); };
  if (sa->first_child) forget(*sa->first_child);
  for (const auto& p : sa->queue)
    if (const auto* n = std::get_if<ChildCreateTask>(&p)) forget(n->child);
  if (sa->outstanding) {
    if (const auto* a = std::get_if<IkeAuthTask>(&sa->outstanding->task); a && a->child)
      forget(a->child->child);
    if (const auto* c = std::get_if<ChildCreateTask>(&sa->outstanding->task)) forget(c->sent.child);
    if (const auto* r = std::get_if<ChildRekeyTask>(&sa->outstanding->task)) forget(r->sent.child);
  }
  std::vector<ChildSaId> ids;
  for (ChildSa* c : children_of(id)) ids.push_back(c->id);
  for (ChildSaId cid : ids) remove_child(cid, true, "IKE SA removed");
  if (type) event(*type, sa->connection, id, std::nullopt, detail);
  release_virtual_ips(*sa);
  release_half_open(*sa);
  for (auto [it, end] = responders_by_spi_i.equal_range(sa->spi_i); it != end; ++it)
    if (it->second == id) {
      responders_by_spi_i.erase(it);
      break;
    }
  by_spi.erase(sa->our_spi());
  ike_sas.erase(id);
}

Identity v2::Ikev2Engine::our_identity(const ConnectionSettings& conn, const IkeSa& sa) const {
  if (!conn.local_id.data.empty()) return conn.local_id;
  return Identity::from_address(sa.local.address);
}

std::vector<ikev2::TrafficSelector> v2::Ikev2Engine::local_selectors(const ChildSettings& c,
                                                                     const IkeSa& sa) const {
  if (auto vip = virtual_ip_selectors(sa, true)) return *vip;
  if (c.local_ts.empty()) return {ts_from_address(sa.local.address)};
  return ts_from_prefixes(c.local_ts);
}

std::vector<ikev2::TrafficSelector> v2::Ikev2Engine::remote_selectors(const ChildSettings& c,
                                                                      const IkeSa& sa) const {
  if (auto vip = virtual_ip_selectors(sa, false)) return *vip;
  if (c.remote_ts.empty()) return {ts_from_address(sa.remote.address)};
  return ts_from_prefixes(c.remote_ts);
}

ChildSa& v2::Ikev2Engine::install_child(IkeSa& sa, const NegotiatedChild& n, const ChildSaKeys& keys,
                                        bool route_outbound, TimePoint now) {
  const ChildSettings& settings = *n.settings;
  ChildSa c;
  c.id = next_child_sa_id++;
  c.ike_sa = sa.id;
  c.connection = sa.connection;
  c.child = settings.name;
  c.protocol = settings.protocol;
  c.mode = n.transport ? ipsec::Mode::Transport : ipsec::Mode::Tunnel;
  c.inbound_spi = n.inbound_spi;
  c.outbound_spi = n.outbound_spi;
  c.algorithms = n.algorithms;
  c.local_ts = n.local_ts;
  c.remote_ts = n.remote_ts;
  c.selectors = to_ipsec_selectors(n.local_ts, n.remote_ts);
  c.udp_encapsulated = sa.udp_encapsulated() && settings.protocol == ipsec::IpsecProtocol::Esp;
  c.nonce_i = n.nonce_i;
  c.nonce_r = n.nonce_r;
  c.created_by_us = n.we_initiated;
  c.created = now;
  c.rekey_at = child_rekey_time(settings, now);
  if (settings.lifetime.count() > 0) c.expire_at = now + settings.lifetime;
  // Another IKE SA of the same peer carries this traffic (it reauthenticates, or logs in again):
  // that one keeps the outbound side until it goes, since the peer may not have our SA yet.
  if (route_outbound && child_carried_by_other_sa(sa, n)) route_outbound = false;
  c.activation_pending = !route_outbound;
  c.per_resource = n.per_resource;
  c.resource = n.resource;

  ChildSaParameterInput in;
  in.child = &c;
  in.keys = &keys;
  in.we_initiated_exchange = n.we_initiated;
  in.local_address = sa.local.address;
  in.remote_address = sa.remote.address;
  if (c.udp_encapsulated)
    in.udp_encapsulation = ipsec::UdpEncapsulation{ikev2::kNatTraversalPort, sa.remote.port};
  in.life_bytes = settings.life_bytes;
  in.life_packets = settings.life_packets;
  in.replay_window = settings.replay_window;
  ChildSaParameters params = build_child_sa_parameters(in);

  if (options.retain_keys_for_export) c.retained_for_export = params;
  actions.emplace_back(install_child_action(c, std::move(params), n.replaces, route_outbound));
  if (!n.replaces) ++counters.child_sas_established;
  negotiating.erase({c.connection, c.child});
  children_by_ike.emplace(c.ike_sa, c.id);
  auto [it, inserted] = children.emplace(c.id, std::move(c));
  return it->second;
}

void v2::Ikev2Engine::remove_child(ChildSaId id, bool emit_event, const std::string& detail) {
  auto it = children.find(id);
  if (it == children.end()) return;
  ChildSa& c = it->second;
  actions.emplace_back(RemoveChildSa{c.id, c.connection, c.child});
  // Only an SA that still carried traffic is news; an old rekeyed one leaves quietly.
  if (emit_event && c.state != ChildSaState::Rekeyed)
    event(EventType::ChildSaDeleted, c.connection, c.ike_sa, c.id,
          c.child + " SPIs " + to_hex(u32_bytes(c.inbound_spi)) + "_i " + to_hex(u32_bytes(c.outbound_spi)) +
              "_o: " + detail);
  children_by_ike.erase({c.ike_sa, c.id});
  children.erase(it);
}

void v2::Ikev2Engine::event(EventType type, const std::string& conn, std::optional<IkeSaId> sa,
                            std::optional<ChildSaId> child, std::string detail) {
  failures.note_event(Event{type, conn, sa, child, detail}, 2);
  if (const auto reason = failure_reason_of(type))
    ++counters.failures.by_reason[static_cast<std::size_t>(*reason)];
  actions.emplace_back(Event{type, conn, sa, child, std::move(detail)});
}

void v2::Ikev2Engine::peer_address_changed(const IkeSa& sa, const Endpoint& now_at) {
  event(EventType::PeerAddressChanged, sa.connection, sa.id, std::nullopt,
        sa.remote.to_string() + " -> " + now_at.to_string());
}

// --- small shared helpers ---

ExchangeKind exchange_kind(ikev2::ExchangeType exchange) {
  switch (exchange) {
    case ikev2::ExchangeType::IkeSaInit: return ExchangeKind::IkeSaInit;
    case ikev2::ExchangeType::IkeAuth: return ExchangeKind::IkeAuth;
    case ikev2::ExchangeType::CreateChildSa: return ExchangeKind::CreateChildSa;
    default: return ExchangeKind::Informational;
  }
}

ikev2::NotifyPayload notify(ikev2::NotifyType type, Bytes data) {
  ikev2::NotifyPayload n;
  n.type = type;
  n.data = std::move(data);
  return n;
}

Bytes u16_bytes(std::uint16_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}
Bytes u32_bytes(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}
Bytes u64_bytes(std::uint64_t v) {
  Bytes out(8);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
  return out;
}
std::optional<std::uint32_t> read_u32(ByteView b) {
  if (b.size() != 4) return std::nullopt;
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}
std::optional<std::uint64_t> read_u64(ByteView b) {
  if (b.size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (auto x : b) v = (v << 8) | x;
  return v;
}
bool nonce_length_ok(std::size_t n) {
  return n >= 16 && n <= 256;
}

const ikev2::NotifyPayload* first_error_notify(const std::vector<ikev2::Payload>& payloads) {
  for (const auto& p : payloads)
    if (const auto* n = std::get_if<ikev2::NotifyPayload>(&p); n && ikev2::is_error_notify(n->type)) return n;
  return nullptr;
}

bool address_allowed(const std::vector<wire::IpAddress>& allowed, const wire::IpAddress& a) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), a) != allowed.end();
}

}  // namespace cygnet::ike
