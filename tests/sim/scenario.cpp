#include "sim/scenario.hpp"

#include <cstdio>
#include <stdexcept>

#include "ike/algorithms.hpp"
#include "ike/identity.hpp"
#include "sim/virtual_clock.hpp"

namespace cygnet::sim {

namespace {

wire::IpAddress address(std::string_view text) {
  return *wire::IpAddress::parse(text);
}
wire::IpPrefix prefix(std::string_view text) {
  return *wire::IpPrefix::parse(text);
}

crypto::WallClock year_start(int year) {
  // Days from 1970-01-01 to January 1st of `year` (years 2024..2030 are all we need).
  int days = 0;
  for (int y = 1970; y < year; ++y) days += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365;
  return crypto::WallClock{} + std::chrono::hours(24 * days);
}

ike::ChildSettings child_settings(const Site& self, const Site& peer, const ConnectionOptions& options) {
  ike::ChildSettings child;
  child.name = std::string(kChild);
  child.local_ts = {self.subnet};
  child.remote_ts = {peer.subnet};
  child.proposals = {proposal(options.esp_proposal, wire::ikev2::ProtocolId::Esp)};
  child.lifetime = options.child_lifetime;
  return child;
}

ike::ConnectionSettings base_connection(const Site& self, const Site& peer,
                                        const ConnectionOptions& options) {
  ike::ConnectionSettings c;
  c.name = std::string(kConnection);
  c.local_addrs = {self.gateway};
  if (!options.responder_only) c.remote_addrs = {peer.gateway};
  c.ike_proposals = {proposal(options.ike_proposal, wire::ikev2::ProtocolId::Ike)};
  c.start_action = options.start_action;
  c.dpd_delay = options.dpd_delay;
  c.ike_lifetime = options.ike_lifetime;
  c.ike_version = options.ike_version;
  c.aggressive = options.aggressive;
  c.children.push_back(child_settings(self, peer, options));
  return c;
}

}  // namespace

Site site_a() {
  return Site{address("192.0.2.1"), prefix("198.51.100.0/24"), address("198.51.100.10")};
}
Site site_b() {
  return Site{address("192.0.2.2"), prefix("203.0.113.0/24"), address("203.0.113.10")};
}

wire::ikev2::Proposal proposal(std::string_view text, wire::ikev2::ProtocolId protocol) {
  ike::ProposalParse parsed = ike::parse_proposal(text, protocol, false);
  if (!parsed.proposal) throw std::invalid_argument("proposal '" + std::string(text) + "': " + parsed.error);
  return *parsed.proposal;
}

ike::ConnectionSettings psk_connection(const Site& self, const Site& peer, const ConnectionOptions& options) {
  ike::ConnectionSettings c = base_connection(self, peer, options);
  c.local_id = ike::Identity::from_address(self.gateway);
  c.remote_id =
      options.responder_only ? *ike::Identity::parse("%any") : ike::Identity::from_address(peer.gateway);
  c.auth = ike::AuthKind::Psk;
  const auto* psk = reinterpret_cast<const std::uint8_t*>(options.psk.data());
  c.psk = crypto::SecureBytes(ByteView(psk, options.psk.size()));
  return c;
}

CertificateAuthority make_ca(crypto::KeyType type, std::string_view name) {
  CertificateAuthority ca;
  ca.key = std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(type));
  crypto::CertificateSpec spec;
  spec.common_name = std::string(name);
  spec.not_before = year_start(2025);
  spec.not_after = year_start(2028);
  spec.is_ca = true;
  ca.certificate = crypto::issue_certificate(spec, ca.key->public_key(), *ca.key, nullptr);
  return ca;
}

Credentials make_leaf(const CertificateAuthority& ca, crypto::KeyType type, std::string_view fqdn,
                      bool expired) {
  Credentials leaf;
  auto key = std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(type));
  crypto::CertificateSpec spec;
  spec.common_name = std::string(fqdn);
  spec.dns_names = {std::string(fqdn)};
  spec.not_before = expired ? year_start(2024) : year_start(2025);
  spec.not_after = expired ? year_start(2025) : year_start(2027);
  leaf.certificate = crypto::issue_certificate(spec, key->public_key(), *ca.key, &*ca.certificate);
  leaf.key = std::move(key);
  leaf.fqdn = std::string(fqdn);
  return leaf;
}

ike::ConnectionSettings cert_connection(const Site& self, const Site& peer, const Credentials& own,
                                        std::string_view peer_fqdn, const CertificateAuthority& trusted,
                                        const ConnectionOptions& options) {
  ike::ConnectionSettings c = base_connection(self, peer, options);
  c.local_id = *ike::Identity::parse(own.fqdn);
  c.remote_id = *ike::Identity::parse(peer_fqdn);
  c.auth = ike::AuthKind::PublicKey;
  c.private_key = own.key;
  c.certificate = own.certificate;
  c.ca_certificates = {*trusted.certificate};
  return c;
}

ike::EngineOptions default_engine_options() {
  ike::EngineOptions o;
  o.wall_origin = wall_origin();  // the engine reads no clock: simulated time has a fixed wall origin
  o.retransmit_timeout = std::chrono::milliseconds(1000);
  o.retransmit_tries = 5;
  return o;
}

Gateways add_gateways(Simulation& sim, ike::ConnectionSettings a_connection,
                      ike::ConnectionSettings b_connection, const ike::EngineOptions& options) {
  // B first, so that A's start action finds its peer listening.
  NodeConfig b;
  b.name = "B";
  b.address = site_b().gateway;
  b.connections.push_back(std::move(b_connection));
  b.options = options;
  b.seed = sim.derive_seed(2);
  NodeConfig a;
  a.name = "A";
  a.address = site_a().gateway;
  a.connections.push_back(std::move(a_connection));
  a.options = options;
  a.seed = sim.derive_seed(1);
  Gateways g;
  g.b = &sim.add_node(std::move(b));
  g.a = &sim.add_node(std::move(a));
  return g;
}

bool child_up_on_both(const Gateways& g) {
  return g.a->count_events(ike::EventType::ChildSaEstablished) > 0 &&
         g.b->count_events(ike::EventType::ChildSaEstablished) > 0;
}

FlowPair add_traffic(Simulation& sim, const Gateways& g, Duration interval, TimePoint start) {
  Flow ab;
  ab.from = g.a;
  ab.to = g.b;
  ab.source = site_a().host;
  ab.destination = site_b().host;
  ab.interval = interval;
  Flow ba;
  ba.from = g.b;
  ba.to = g.a;
  ba.source = site_b().host;
  ba.destination = site_a().host;
  ba.interval = interval;
  ba.source_port = 40001;
  FlowPair p;
  p.a_to_b = sim.traffic().add_flow(ab, start);
  p.b_to_a = sim.traffic().add_flow(ba, start);
  return p;
}

std::string event_log(const Node& node) {
  std::string out;
  for (const RecordedEvent& e : node.events()) {
    char when[32];
    std::snprintf(when, sizeof when, "%10.3f", seconds_since_epoch(e.at));
    out += "  [" + std::string(when) + "] " + node.name() + " " + ike::event_type_name(e.event.type) + " " +
           e.event.connection + ": " + e.event.detail + "\n";
  }
  for (const std::string& error : node.binding_errors())
    out += "  " + node.name() + " binding error: " + error + "\n";
  return out;
}

std::string event_log(const Gateways& g) {
  return "events:\n" + event_log(*g.a) + event_log(*g.b);
}

bool contains_nocase(std::string_view text, std::string_view word) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  if (word.empty()) return true;
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
    std::size_t j = 0;
    while (j < word.size() && lower(text[i + j]) == lower(word[j])) ++j;
    if (j == word.size()) return true;
  }
  return false;
}

Duration retransmission_budget(const ike::EngineOptions& options) {
  // The first send waits retransmit_timeout, each retransmission base× longer; after the last
  // retransmission the engine waits one more interval before giving up.
  double total = 0;
  double interval = std::chrono::duration<double>(options.retransmit_timeout).count();
  for (unsigned i = 0; i <= options.retransmit_tries; ++i) {
    total += interval;
    interval *= options.retransmit_base;
  }
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(total));
}

}  // namespace cygnet::sim
