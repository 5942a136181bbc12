// The version-neutral facade: ike::Engine owns the state both version engines share
// (shared_state.hpp) and one engine per IKE version, checks and stores connections, routes each
// call to the engine that owns the connection, CHILD SA or datagram, and merges their status,
// deadlines and keys. The engines never call each other.
//
//   v2/ikev2_engine.hpp  IKEv2 (RFC 7296): SA tables, message I/O, one task per exchange concern
//   v1/ikev1_engine.hpp  IKEv1 (RFC 2409): Main/Aggressive Mode, Quick Mode, Informational
#include "ike/engine.hpp"

#include <algorithm>
#include <stdexcept>

#include "ike/shared_state.hpp"
#include "ike/v1/ikev1_engine.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

struct Engine::Impl {
  Impl(EngineOptions options, std::shared_ptr<RandomSource> random)
      : shared(std::move(options), std::move(random)), ikev2_engine(shared), ikev1_engine(shared) {}

  // A refused connection: an Error event, counted and logged like the engines' own events.
  void error(const std::string& connection, std::string detail) {
    ikev2_engine.event(EventType::Error, connection, std::nullopt, std::nullopt, std::move(detail));
  }

  SharedState shared;  // declared first: both engines hold references into it
  v2::Ikev2Engine ikev2_engine;
  v1::Ikev1Engine ikev1_engine;
};

namespace {
constexpr std::size_t kNonEspMarker = 4;  // RFC 3948 §2.2: zeros where ESP has its SPI
}  // namespace

Engine::Engine(EngineOptions options, std::shared_ptr<RandomSource> random)
    : impl_(std::make_unique<Impl>(std::move(options), random ? std::move(random) : system_random())) {
  if (!impl_->shared.options.wall_origin)
    throw std::invalid_argument("ike::EngineOptions::wall_origin is required");
}

Engine::~Engine() = default;

namespace {

std::optional<std::string> unusable(const ConnectionSettings& s) {
  if (s.name.empty()) return "a connection needs a name";
  if (s.ike_version != 1 && s.ike_version != 2) return "ike_version must be 1 or 2";
  if (s.ike_proposals.empty()) return "no IKE proposals";
  if (!first_group(s.ike_proposals)) return "the first IKE proposal has no key exchange group";
  // Split authentication (IKEv2): each side by its own method; EAP authenticates the client only.
  const AuthMethod local = local_auth_method(s);
  const AuthMethod remote = remote_auth_method(s);
  if ((local == AuthMethod::Psk || remote == AuthMethod::Psk) && s.psk.empty())
    return "PSK authentication without a PSK";
  if (local == AuthMethod::PublicKey && !s.private_key)
    return "public key authentication without a private key";
  if (local == AuthMethod::EapRadius)
    return "eap-radius is the gateway's method for its clients (remote_auth)";
  if (is_eap(local) && is_eap(remote))
    return "EAP authenticates the client only: local_auth and remote_auth cannot both be EAP";
  if (local == AuthMethod::EapMsChapV2 && s.eap_password_hash.empty())
    return "local_auth = eap-mschapv2 without an EAP password";
  if (remote == AuthMethod::EapTls && s.ca_certificates.empty())
    return "remote_auth = eap-tls without CA certificates to check client certificates against";
  if (local == AuthMethod::EapTls && (!s.private_key || !s.certificate))
    return "local_auth = eap-tls without a certificate and private key";
  const AuthMethod plain = s.auth == AuthKind::Psk ? AuthMethod::Psk : AuthMethod::PublicKey;
  if (s.ike_version == 1 && (local != plain || remote != plain))
    return "local_auth/remote_auth differing from 'auth' (split authentication, EAP) need IKEv2";
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
  impl_->shared.failures.set_now(now);
  if (auto why = unusable(settings)) {
    impl_->error(settings.name, "connection refused: " + *why);
    return false;
  }
  if (impl_->ikev2_engine.has_connection(settings.name) ||
      impl_->ikev1_engine.has_connection(settings.name)) {
    impl_->error(settings.name, "connection already exists");
    return false;
  }
  std::optional<ConnectionSettings> v1_copy;
  if (settings.ike_version == 1) {
    v1_copy = settings;
    impl_->ikev1_engine.add_connection(std::move(settings), now);
  } else {
    impl_->ikev2_engine.add_connection(std::move(settings));
  }
  const ConnectionSettings& conn = v1_copy ? *v1_copy : impl_->ikev2_engine.connections.back();
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
      impl_->shared.actions.emplace_back(InstallTrapPolicy{
          conn.name, child.name, to_ipsec_selectors(local, remote), child.protocol, child.mode});
      impl_->shared.traps.insert({conn.name, child.name});
    }
  } else if (conn.start_action == StartAction::Start) {
    up(conn.name, now);
  }
  // A peer named by host names is accepted only at a resolved address: resolve once now, so that a
  // responder-only (or trap) connection knows its peer before it ever initiates.
  if (conn.ike_version == 2 && !conn.remote_hosts.empty() &&
      !impl_->ikev2_engine.resolving.contains(conn.name))
    impl_->ikev2_engine.request_resolution(conn, {});
  return true;
}

bool Engine::remove_connection(std::string_view name, TimePoint now) {
  if (impl_->ikev1_engine.has_connection(name)) {
    const std::string n(name);
    std::vector<std::string> trapped;
    for (const auto& [c, child] : impl_->shared.traps)
      if (c == n) trapped.push_back(child);
    for (const auto& child : trapped) {
      impl_->shared.traps.erase({n, child});
      impl_->shared.actions.emplace_back(RemoveTrapPolicy{n, child});
    }
    return impl_->ikev1_engine.remove_connection(name, now);
  }
  return impl_->ikev2_engine.remove_connection(name, now);
}

void Engine::set_eap_users(EapUsers users) {
  impl_->ikev2_engine.eap_users = std::make_shared<const EapUsers>(std::move(users));
}

void Engine::set_pools(std::vector<PoolSettings> pools) {
  impl_->ikev2_engine.set_pools(std::move(pools));
}

void Engine::restore_leases(const std::vector<Lease>& leases) {
  for (const Lease& lease : leases)
    if (auto it = impl_->ikev2_engine.pools.find(lease.pool); it != impl_->ikev2_engine.pools.end())
      it->second.restore(lease.identity, lease.address);
}

std::vector<Lease> Engine::leases() const {
  std::vector<Lease> out;
  for (const auto& [name, pool] : impl_->ikev2_engine.pools)
    for (Lease& lease : pool.leases()) out.push_back(std::move(lease));
  return out;
}

bool Engine::has_ike_sas() const {
  return !impl_->ikev2_engine.ike_sas.empty() || impl_->ikev1_engine.has_sas();
}

std::vector<std::string> Engine::connection_names() const {
  std::vector<std::string> out = impl_->ikev2_engine.connection_names();
  for (auto& c : impl_->ikev1_engine.connection_names()) out.push_back(std::move(c));
  return out;
}

bool Engine::up(std::string_view name, TimePoint now) {
  impl_->shared.failures.set_now(now);
  if (impl_->ikev1_engine.has_connection(name)) return impl_->ikev1_engine.up(name, now);
  return impl_->ikev2_engine.up(name, now);
}

bool Engine::down(std::string_view name, TimePoint now) {
  if (impl_->ikev1_engine.has_connection(name)) return impl_->ikev1_engine.down(name, now);
  return impl_->ikev2_engine.down(name, now);
}

void Engine::on_datagram(const Endpoint& local, const Endpoint& remote, ByteView udp_payload, TimePoint now) {
  impl_->shared.failures.set_now(now);
  ++impl_->shared.counters.datagrams_received;
  ByteView data = udp_payload;
  if (local.port == wire::ikev2::kNatTraversalPort) {
    // Without the 4-byte zero marker it is ESP (or a keepalive): the data plane's business.
    if (data.size() < kNonEspMarker || data[0] != 0 || data[1] != 0 || data[2] != 0 || data[3] != 0) return;
    data = data.subspan(kNonEspMarker);
  }
  // Major version 1 in the version byte (offset 17, RFC 2408 §3.1): ISAKMP, the IKEv1 engine.
  if (data.size() >= 18 && (data[17] >> 4) == 1) {
    impl_->ikev1_engine.on_datagram(local, remote, data, now);
    return;
  }
  impl_->ikev2_engine.on_message(local, remote, data, now);
}

void Engine::on_acquire(std::string_view connection, std::string_view child, TimePoint now) {
  impl_->shared.failures.set_now(now);
  if (impl_->ikev1_engine.has_connection(connection))
    impl_->ikev1_engine.on_acquire(connection, child, now);
  else
    impl_->ikev2_engine.on_acquire(connection, child, now);
}

void Engine::on_child_sa_soft_limit(ChildSaId id, TimePoint now) {
  if (impl_->ikev1_engine.owns_child(id))
    impl_->ikev1_engine.on_child_sa_soft_limit(id, now);
  else
    impl_->ikev2_engine.on_child_sa_soft_limit(id, now);
}

void Engine::on_child_sa_hard_limit(ChildSaId id, TimePoint now) {
  if (impl_->ikev1_engine.owns_child(id))
    impl_->ikev1_engine.on_child_sa_hard_limit(id, now);
  else
    impl_->ikev2_engine.on_child_sa_hard_limit(id, now);
}

// Host names are an IKEv2 feature (add_connection refuses them for IKEv1).
void Engine::on_remote_resolved(std::string_view connection, std::vector<wire::IpAddress> addresses,
                                TimePoint now) {
  impl_->ikev2_engine.on_remote_resolved(connection, std::move(addresses), now);
}

void Engine::on_remote_resolution_failed(std::string_view connection, std::string_view reason,
                                         TimePoint now) {
  impl_->ikev2_engine.on_remote_resolution_failed(connection, reason, now);
}

// MOBIKE is IKEv2 only (RFC 4555).
void Engine::on_local_addresses(std::vector<wire::IpAddress> addresses, TimePoint now) {
  impl_->shared.failures.set_now(now);
  impl_->ikev2_engine.on_local_addresses(std::move(addresses), now);
}

void Engine::on_radius_answer(std::uint64_t request, RadiusAnswer answer, TimePoint now) {
  impl_->shared.failures.set_now(now);
  impl_->ikev2_engine.on_radius_answer(request, std::move(answer), now);  // IKEv1 has no EAP
}

void Engine::on_revocation_data(std::uint64_t request, const RevocationData& data, TimePoint now) {
  impl_->shared.failures.set_now(now);
  const EngineOptions& o = impl_->shared.options;
  impl_->shared.revocation.deliver(
      request, data,
      *o.wall_origin + std::chrono::duration_cast<crypto::WallClock::duration>(now - o.steady_origin));
  impl_->ikev2_engine.resume_parked(request, now);
  impl_->ikev1_engine.resume_parked(request, now);
}

void Engine::on_timer(TimePoint now) {
  impl_->shared.failures.set_now(now);
  impl_->ikev2_engine.on_timer(now);
  impl_->ikev1_engine.on_timer(now);
  impl_->ikev2_engine.retry_failed_resolutions(now);
}

std::optional<TimePoint> Engine::next_deadline() const {
  const std::optional<TimePoint> next_v2 = impl_->ikev2_engine.next_deadline();
  const std::optional<TimePoint> next_v1 = impl_->ikev1_engine.next_deadline();
  if (next_v2 && next_v1) return std::min(*next_v2, *next_v1);
  return next_v2 ? next_v2 : next_v1;
}

std::vector<Action> Engine::take_actions() {
  std::vector<Action> out;
  out.swap(impl_->shared.actions);
  return out;
}

const EngineCounters& Engine::counters() const {
  impl_->shared.counters.half_open_ike_sas =
      impl_->ikev2_engine.half_open_count() + impl_->ikev1_engine.half_open_count();
  return impl_->shared.counters;
}

std::vector<ConnectionStatus> Engine::status(TimePoint now) const {
  std::vector<ConnectionStatus> out = impl_->ikev2_engine.status(now);
  for (auto& cs : impl_->ikev1_engine.status(now)) out.push_back(std::move(cs));
  return out;
}

std::optional<FailureReport> Engine::last_failure(std::string_view connection) const {
  return impl_->shared.failures.last(connection);
}

std::optional<FailureReport> Engine::unattributed_failure() const {
  return impl_->shared.failures.unattributed();
}

KeyExport Engine::export_keys() const {
  KeyExport out;
  impl_->ikev2_engine.export_keys(out);
  impl_->ikev1_engine.export_keys(out);
  return out;
}

}  // namespace cygnet::ike
