#include "sim/road_warrior_fleet.hpp"

#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>

#include "crypto/mschapv2.hpp"
#include "ike/identity.hpp"

namespace cygnet::sim {

namespace {

wire::IpPrefix prefix(std::string_view text) {
  return *wire::IpPrefix::parse(text);
}

crypto::SecureBytes nt_hash(const std::string& password) {
  return *crypto::mschapv2::nt_password_hash(
      ByteView(reinterpret_cast<const std::uint8_t*>(password.data()), password.size()));
}

std::string hex_spi(std::uint64_t spi) {
  char text[20];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(spi));
  return text;
}

bool is_up(ike::IkeSaState s) {
  return s == ike::IkeSaState::Established || s == ike::IkeSaState::Rekeying;
}

// The identity a gateway IKE SA leases under (the EAP identity when the client used EAP).
std::string leasing_identity(const ike::IkeSaStatus& sa) {
  return sa.eap_identity.empty() ? sa.remote_id : sa.eap_identity;
}

}  // namespace

RoadWarriorFleet::RoadWarriorFleet(const FleetOptions& options)
    : sim(options.seed),
      options_(options),
      ca_(make_ca(crypto::KeyType::EcdsaP256, "Cygnet Fleet CA")),
      gateway_credentials_(make_leaf(ca_, crypto::KeyType::EcdsaP256, "gw.example.net")) {
  NodeConfig g;
  g.name = "GW";
  g.address = gateway_address();
  g.connections = {gateway_connection(true), gateway_connection(false)};
  g.options = default_engine_options();
  g.seed = sim.derive_seed(999);
  gateway_ = &sim.add_node(std::move(g));
  gateway_->engine().set_pools(pools());
  ike::EapUsers users;
  for (int i = 0; i < options_.clients; ++i)
    if (!by_certificate(i)) users.emplace(eap_user(i), nt_hash(eap_password(i)));
  gateway_->engine().set_eap_users(std::move(users));

  client_credentials_.resize(static_cast<std::size_t>(options_.clients));
  flows_.resize(static_cast<std::size_t>(options_.clients));
  for (int i = 0; i < options_.clients; ++i) {
    if (by_certificate(i))
      client_credentials_[static_cast<std::size_t>(i)] =
          make_leaf(ca_, crypto::KeyType::EcdsaP256, "client" + std::to_string(i) + ".example.com");
    NodeConfig c;
    c.name = "C" + std::to_string(i);
    c.address = home_address(i);
    c.connections = {client_connection(i)};
    c.options = default_engine_options();
    c.seed = sim.derive_seed(1000 + static_cast<std::uint64_t>(i));  // each its own SPIs, nonces and keys
    clients_.push_back(&sim.add_node(std::move(c)));
  }
}

std::string RoadWarriorFleet::lease_identity(int i) const {
  return by_certificate(i) ? client_credentials_.at(static_cast<std::size_t>(i))->fqdn : eap_user(i);
}

wire::IpAddress RoadWarriorFleet::home_address(int i) {
  return *wire::IpAddress::parse("2001:db8:c::" + std::to_string(i + 2));
}

wire::IpAddress RoadWarriorFleet::away_address(int i) {
  return *wire::IpAddress::parse("2001:db8:d::" + std::to_string(i + 2));
}

std::vector<ike::PoolSettings> RoadWarriorFleet::pools() const {
  ike::PoolSettings v4;
  v4.name = "v4";
  if (auto error = ike::parse_pool_range(options_.v4_pool, v4)) throw std::invalid_argument(*error);
  ike::PoolSettings v6;
  v6.name = "v6";
  if (auto error = ike::parse_pool_range(options_.v6_pool, v6)) throw std::invalid_argument(*error);
  return {v4, v6};
}

ike::ConnectionSettings RoadWarriorFleet::gateway_connection(bool eap) const {
  ike::ConnectionSettings c;
  c.name = std::string(eap ? kEapConnection : kCertConnection);
  c.local_addrs = {gateway_address()};
  c.local_id = *ike::Identity::parse(gateway_credentials_.fqdn);
  c.remote_id = *ike::Identity::parse("%any");
  c.auth = ike::AuthKind::PublicKey;
  c.local_auth = ike::AuthMethod::PublicKey;
  c.remote_auth = eap ? ike::AuthMethod::EapMsChapV2 : ike::AuthMethod::PublicKey;
  c.private_key = gateway_credentials_.key;
  c.certificate = gateway_credentials_.certificate;
  c.ca_certificates = {*ca_.certificate};
  c.ike_proposals = {proposal("aes256gcm16-prfsha256-x25519", wire::ikev2::ProtocolId::Ike)};
  c.dpd_delay = Seconds{30};  // clients that vanish without a Delete are found out
  c.pools = {"v4", "v6"};
  ike::ChildSettings child;
  child.name = std::string(kChild);
  child.local_ts = {prefix("203.0.113.0/24"), prefix("2001:db8:1::/48")};
  child.remote_ts = {prefix("0.0.0.0/0"), prefix("::/0")};
  child.proposals = {proposal("aes256gcm16", wire::ikev2::ProtocolId::Esp)};
  c.children = {child};
  return c;
}

ike::ConnectionSettings RoadWarriorFleet::client_connection(int i) const {
  ike::ConnectionSettings c;
  c.name = std::string(kClientConnection);
  c.local_addrs = {home_address(i), away_address(i)};
  c.remote_addrs = {gateway_address()};
  c.remote_id = *ike::Identity::parse(gateway_credentials_.fqdn);
  c.auth = ike::AuthKind::PublicKey;
  c.remote_auth = ike::AuthMethod::PublicKey;
  c.ca_certificates = {*ca_.certificate};
  if (by_certificate(i)) {
    const Credentials& own = *client_credentials_.at(static_cast<std::size_t>(i));
    c.local_id = *ike::Identity::parse(own.fqdn);
    c.local_auth = ike::AuthMethod::PublicKey;
    c.private_key = own.key;
    c.certificate = own.certificate;
  } else {
    c.local_id = *ike::Identity::parse("laptop" + std::to_string(i) + ".example");
    c.local_auth = ike::AuthMethod::EapMsChapV2;
    c.eap_identity = eap_user(i);
    c.eap_password_hash = nt_hash(eap_password(i));
  }
  c.ike_proposals = {proposal("aes256gcm16-prfsha256-x25519", wire::ikev2::ProtocolId::Ike)};
  c.dpd_delay = Seconds{0};
  c.ike_lifetime = options_.ike_lifetime;
  c.vips = {*wire::IpAddress::parse("::")};
  ike::ChildSettings child;
  child.name = std::string(kChild);
  child.remote_ts = {prefix("2001:db8:1::/48")};
  if (dual_stack(i)) {
    c.vips.push_back(*wire::IpAddress::parse("0.0.0.0"));
    child.remote_ts.push_back(prefix("203.0.113.0/24"));
  }
  child.proposals = {proposal("aes256gcm16", wire::ikev2::ProtocolId::Esp)};
  child.lifetime = options_.child_lifetime;
  c.children = {child};
  return c;
}

void RoadWarriorFleet::up(int i) {
  client(i).engine().up(kClientConnection, sim.now());
  client(i).drain(sim.now());
}

void RoadWarriorFleet::down(int i) {
  client(i).engine().down(kClientConnection, sim.now());
  client(i).drain(sim.now());
}

void RoadWarriorFleet::roam(int i) {
  client(i).move_to(away_address(i), sim.now());
}

std::optional<ike::IkeSaStatus> RoadWarriorFleet::tunnel(int i) const {
  const std::size_t wanted = dual_stack(i) ? 2 : 1;
  for (const auto& sa : client(i).ike_sas(kClientConnection, sim.now()))
    if (is_up(sa.state) && sa.local_virtual_ips.size() == wanted && !sa.children.empty()) return sa;
  return std::nullopt;
}

int RoadWarriorFleet::tunnels_up() const {
  int n = 0;
  for (int i = 0; i < size(); ++i) n += tunnel(i) ? 1 : 0;
  return n;
}

void RoadWarriorFleet::start_traffic(int i, Duration interval, TimePoint start) {
  const auto sa = tunnel(i);
  if (!sa) throw std::logic_error("client " + std::to_string(i) + " has no tunnel to send through");
  std::optional<wire::IpAddress> vip;
  for (const auto& a : sa->local_virtual_ips)
    if (a.is_v4() == dual_stack(i)) vip = a;
  const wire::IpAddress host = dual_stack(i) ? protected_host_v4() : protected_host_v6();
  Flow up_flow;
  up_flow.from = &client(i);
  up_flow.to = &gateway();
  up_flow.source = *vip;
  up_flow.destination = host;
  up_flow.interval = interval;
  Flow down_flow;
  down_flow.from = &gateway();
  down_flow.to = &client(i);
  down_flow.source = host;
  down_flow.destination = *vip;
  down_flow.interval = interval;
  down_flow.source_port = 40001;
  Flows f;
  f.up = sim.traffic().add_flow(up_flow, start);
  f.down = sim.traffic().add_flow(down_flow, start);
  flows_[static_cast<std::size_t>(i)] = f;
}

std::uint64_t RoadWarriorFleet::delivered_up(int i) const {
  const auto& f = flows_.at(static_cast<std::size_t>(i));
  return f ? sim.traffic().counters(f->up).delivered : 0;
}

std::uint64_t RoadWarriorFleet::delivered_down(int i) const {
  const auto& f = flows_.at(static_cast<std::size_t>(i));
  return f ? sim.traffic().counters(f->down).delivered : 0;
}

std::uint64_t RoadWarriorFleet::delivered(int i) const {
  return delivered_up(i) + delivered_down(i);
}

std::vector<std::string> RoadWarriorFleet::lease_violations() const {
  std::vector<std::string> out;
  // pool → address → lease
  std::map<std::string, std::map<wire::IpAddress, ike::Lease>> by_address;
  std::map<std::pair<std::string, std::string>, wire::IpAddress> by_identity;
  for (const ike::Lease& l : gateway().engine().leases()) {
    if (!by_address[l.pool].emplace(l.address, l).second)
      out.push_back("pool " + l.pool + ": " + l.address.to_string() + " leased twice");
    if (!by_identity.emplace(std::make_pair(l.pool, l.identity), l.address).second)
      out.push_back("pool " + l.pool + ": " + l.identity + " holds two leases");
  }
  auto online_lease = [&](const wire::IpAddress& a) -> const ike::Lease* {
    for (const auto& [pool, leases] : by_address)
      if (auto it = leases.find(a); it != leases.end() && it->second.online) return &it->second;
    return nullptr;
  };
  // Every address a gateway IKE SA holds is leased online to its identity, and every online
  // lease is held by some IKE SA (an IKE rekey hands it from one SA to the next).
  std::set<wire::IpAddress> held;
  for (std::string_view conn : {kEapConnection, kCertConnection})
    for (const auto& sa : gateway().ike_sas(conn, sim.now()))
      for (const auto& a : sa.remote_virtual_ips) {
        held.insert(a);
        const ike::Lease* l = online_lease(a);
        if (!l)
          out.push_back("IKE SA " + hex_spi(sa.initiator_spi) + " holds " + a.to_string() +
                        " without an online lease");
        else if (l->identity != leasing_identity(sa))
          out.push_back(a.to_string() + " is leased to " + l->identity + " but held by IKE SA of " +
                        leasing_identity(sa));
      }
  for (const auto& [pool, leases] : by_address)
    for (const auto& [address, l] : leases)
      if (l.online && !held.contains(address))
        out.push_back("lease " + address.to_string() + " of " + l.identity +
                      " online without an IKE SA (leaked)");
  // Every client's virtual IPs are its own leases.
  for (int i = 0; i < size(); ++i) {
    const auto sa = tunnel(i);
    if (!sa) continue;
    for (const auto& a : sa->local_virtual_ips) {
      auto it = by_identity.find({a.is_v4() ? "v4" : "v6", lease_identity(i)});
      if (it == by_identity.end() || it->second != a)
        out.push_back("client " + std::to_string(i) + " uses " + a.to_string() + ", not its lease");
    }
  }
  return out;
}

std::vector<std::string> RoadWarriorFleet::sa_violations() const {
  std::vector<std::string> out;
  // Every client IKE SA by initiator SPI (the clients initiate every IKE SA, rekeys included).
  std::map<std::uint64_t, std::pair<int, ike::IkeSaStatus>> client_sas;
  for (int i = 0; i < size(); ++i)
    for (auto& sa : client(i).ike_sas(kClientConnection, sim.now()))
      client_sas.emplace(sa.initiator_spi, std::make_pair(i, std::move(sa)));

  std::set<ipsec::SaHandle> installed;     // the SAD handles of every gateway CHILD SA
  std::vector<ipsec::Selector> selectors;  // and their selectors
  for (std::string_view conn : {kEapConnection, kCertConnection}) {
    for (const auto& sa : gateway().ike_sas(conn, sim.now())) {
      const std::string name = "gateway IKE SA " + hex_spi(sa.initiator_spi) + " (" + sa.remote.to_string() +
                               ", " + ike::ike_sa_state_name(sa.state) + ")";
      auto twin = client_sas.find(sa.initiator_spi);
      if (twin == client_sas.end()) {
        out.push_back(name + " is orphaned: no client has it");
      } else if (is_up(sa.state) && is_up(twin->second.second.state)) {
        const auto& theirs = twin->second.second;
        if (theirs.responder_spi != sa.responder_spi)
          out.push_back(name + ": the client knows another responder SPI");
        for (const auto& child : sa.children) {
          bool matched = false;
          for (const auto& c : theirs.children)
            matched = matched || (c.inbound_spi == child.outbound_spi && c.outbound_spi == child.inbound_spi);
          if (!matched)
            out.push_back(name + ": CHILD SA " + std::to_string(child.inbound_spi) + " is orphaned (client " +
                          std::to_string(twin->second.first) + " has no twin)");
        }
      }
      for (const auto& child : sa.children) {
        const auto handles = gateway().core().binding().handles_of(child.id);
        if (!handles) {
          out.push_back(name + ": CHILD SA " + std::to_string(child.id) + " is not in the data plane");
          continue;
        }
        installed.insert(handles->inbound);
        installed.insert(handles->outbound);
        selectors.insert(selectors.end(), child.selectors.begin(), child.selectors.end());
      }
    }
  }
  const ipsec::DataPlane& dp = gateway().data_plane();
  for (ipsec::SaHandle h : installed)
    if (!dp.sad().find(h))
      out.push_back("SA handle " + std::to_string(h) + " of a CHILD SA missing from the SAD");
  dp.sad().for_each([&](ipsec::SaHandle h, const ipsec::SecurityAssociation&) {
    if (!installed.contains(h)) out.push_back("SAD entry " + std::to_string(h) + " belongs to no CHILD SA");
  });
  std::size_t protect = 0;
  for (const ipsec::Policy& p : dp.spd().policies()) {
    if (p.action != ipsec::PolicyAction::Protect) continue;
    ++protect;
    if (p.outbound_sa && !installed.contains(*p.outbound_sa))
      out.push_back("policy " + p.name + " " + p.selector.to_string() + " points at SA " +
                    std::to_string(*p.outbound_sa) + " of no CHILD SA");
    bool used = false;
    for (const auto& s : selectors) used = used || s == p.selector;
    if (!used) out.push_back("policy " + p.name + " " + p.selector.to_string() + " belongs to no CHILD SA");
  }
  return out;
}

std::vector<std::string> RoadWarriorFleet::counter_violations() const {
  std::vector<std::string> out;
  const Node& gw = gateway();
  const ike::EngineCounters& c = gw.engine().counters();
  auto agree = [&](const char* what, std::uint64_t counted, ike::EventType type) {
    const std::uint64_t events = gw.count_events(type);
    if (counted != events)
      out.push_back(std::string("gateway counter ") + what + " = " + std::to_string(counted) + " but " +
                    std::to_string(events) + " " + ike::event_type_name(type) + " events");
  };
  agree("ike_sas_established", c.ike_sas_established, ike::EventType::IkeSaEstablished);
  agree("ike_sas_rekeyed", c.ike_sas_rekeyed, ike::EventType::IkeSaRekeyed);
  agree("child_sas_rekeyed", c.child_sas_rekeyed, ike::EventType::ChildSaRekeyed);
  agree("authentication_failures", c.authentication_failures, ike::EventType::AuthenticationFailed);

  // The data plane: every packet the gateway decapsulated is one the clients' flows sent up (the
  // replay window drops the network's duplicates), every packet it protected one its flows sent down.
  std::uint64_t up_delivered = 0, up_protected = 0, down_delivered = 0, down_protected = 0, duplicates = 0;
  for (const auto& f : flows_) {
    if (!f) continue;
    const FlowCounters& up = sim.traffic().counters(f->up);
    const FlowCounters& down = sim.traffic().counters(f->down);
    up_delivered += up.delivered;
    up_protected += up.protected_out;
    down_delivered += down.delivered;
    down_protected += down.protected_out;
    duplicates += up.duplicates + down.duplicates;
  }
  std::uint64_t clients_decapsulated = 0, clients_protected = 0;
  for (const Node* n : clients_) {
    clients_decapsulated += n->counters().decapsulated_in;
    clients_protected += n->counters().protected_out;
  }
  const NodeCounters g = gw.counters();
  auto equal = [&](const char* what, std::uint64_t a, std::uint64_t b) {
    if (a != b) out.push_back(std::string(what) + ": " + std::to_string(a) + " != " + std::to_string(b));
  };
  equal("gateway decapsulated_in vs packets delivered up", g.decapsulated_in, up_delivered);
  equal("gateway protected_out vs packets protected down", g.protected_out, down_protected);
  equal("clients' decapsulated_in vs packets delivered down", clients_decapsulated, down_delivered);
  equal("clients' protected_out vs packets protected up", clients_protected, up_protected);
  equal("duplicates delivered", duplicates, 0);
  return out;
}

std::vector<std::string> RoadWarriorFleet::violations() const {
  std::vector<std::string> out = lease_violations();
  for (auto& v : sa_violations()) out.push_back(std::move(v));
  for (auto& v : counter_violations()) out.push_back(std::move(v));
  return out;
}

std::string describe(const std::vector<std::string>& violations, std::size_t at_most) {
  std::string out = std::to_string(violations.size()) + " violation(s):\n";
  for (std::size_t i = 0; i < violations.size() && i < at_most; ++i) out += "  " + violations[i] + "\n";
  if (violations.size() > at_most) out += "  ...\n";
  return out;
}

}  // namespace cygnet::sim
