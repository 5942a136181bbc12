// Scenario 1: an IKE SA and its CHILD SA come up for every key exchange group, with PSK and with
// certificates (ECDSA P-256 and RSA-2048), and the tunnel then carries traffic both ways.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <tuple>

#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

const char* const kGroups[] = {"modp2048", "modp3072", "modp4096", "ecp256",
                               "ecp384",   "ecp521",   "x25519",   "x448"};

std::uint64_t seed_for(std::string_view group, std::uint64_t salt) {
  std::uint64_t h = 1469598103934665603ULL + salt;
  for (char c : group) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h % 1000000;
}

// What every successful establishment must look like on both gateways.
void expect_tunnel_carries_traffic(Simulation& sim, const Gateways& g, std::string_view group) {
  const TimePoint now = sim.now();
  for (Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    auto sas = node->ike_sas(kConnection, now);
    ASSERT_EQ(sas.size(), 1u);
    EXPECT_EQ(sas[0].state, ike::IkeSaState::Established);
    EXPECT_NE(sas[0].algorithms.find(group), std::string::npos) << sas[0].algorithms;
    ASSERT_EQ(sas[0].children.size(), 1u);
    EXPECT_EQ(sas[0].children[0].child, kChild);
    EXPECT_EQ(node->data_plane().sad().size(), 2u);  // one inbound, one outbound SA
    EXPECT_TRUE(node->binding_errors().empty()) << event_log(*node);
  }
  EXPECT_TRUE(g.a->ike_sas(kConnection, now)[0].initiator);
  EXPECT_FALSE(g.b->ike_sas(kConnection, now)[0].initiator);
  // The SPIs agree crosswise.
  const auto a_child = g.a->ike_sas(kConnection, now)[0].children[0];
  const auto b_child = g.b->ike_sas(kConnection, now)[0].children[0];
  EXPECT_EQ(a_child.inbound_spi, b_child.outbound_spi);
  EXPECT_EQ(a_child.outbound_spi, b_child.inbound_spi);

  FlowPair flows = add_traffic(sim, g, 50ms, sim.now());
  sim.run_for(1999ms);  // 40 packets at 50 ms intervals
  sim.traffic().stop_all();
  sim.run_for(1s);
  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.sent, 40u);
    EXPECT_EQ(c.delivered, c.sent) << "flow " << f;
    EXPECT_EQ(c.no_sa(), 0u);
  }
  EXPECT_EQ(g.a->counters().inbound_drops.total(), 0u);
  EXPECT_EQ(g.b->counters().inbound_drops.total(), 0u);
}

class PskEstablishment : public ::testing::TestWithParam<const char*> {};

TEST_P(PskEstablishment, EstablishesAndCarriesTraffic) {
  const std::string group = GetParam();
  const std::uint64_t seed = seed_for(group, 1);
  SCOPED_TRACE("seed " + std::to_string(seed) + " group " + group);
  Simulation sim(seed);
  ConnectionOptions initiator;
  initiator.ike_proposal = "aes256gcm16-prfsha256-" + group;
  initiator.start_action = ike::StartAction::Start;
  ConnectionOptions responder = initiator;
  responder.start_action = ike::StartAction::None;
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), initiator),
                            psk_connection(site_b(), site_a(), responder));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  // IKE_SA_INIT + IKE_AUTH over a 5 ms link: two round trips, no retransmission needed.
  EXPECT_EQ(g.a->engine().counters().retransmissions, 0u);
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaEstablished), 1u);
  expect_tunnel_carries_traffic(sim, g, group);
}

INSTANTIATE_TEST_SUITE_P(EveryGroup, PskEstablishment, ::testing::ValuesIn(kGroups));

// One PKI per key type for the whole binary: RSA key generation is the slow part.
struct Pki {
  CertificateAuthority ca;
  Credentials a;
  Credentials b;
};
const Pki& pki(crypto::KeyType type) {
  static const Pki ecdsa = [] {
    Pki p{make_ca(crypto::KeyType::EcdsaP256, "Cygnet Sim ECDSA CA"), {}, {}};
    p.a = make_leaf(p.ca, crypto::KeyType::EcdsaP256, "gw-a.example.com");
    p.b = make_leaf(p.ca, crypto::KeyType::EcdsaP256, "gw-b.example.com");
    return p;
  }();
  static const Pki rsa = [] {
    Pki p{make_ca(crypto::KeyType::Rsa, "Cygnet Sim RSA CA"), {}, {}};
    p.a = make_leaf(p.ca, crypto::KeyType::Rsa, "gw-a.example.com");
    p.b = make_leaf(p.ca, crypto::KeyType::Rsa, "gw-b.example.com");
    return p;
  }();
  return type == crypto::KeyType::Rsa ? rsa : ecdsa;
}

class CertificateEstablishment : public ::testing::TestWithParam<std::tuple<const char*, crypto::KeyType>> {};

TEST_P(CertificateEstablishment, EstablishesAndCarriesTraffic) {
  const std::string group = std::get<0>(GetParam());
  const crypto::KeyType type = std::get<1>(GetParam());
  const std::uint64_t seed = seed_for(group, 2 + static_cast<std::uint64_t>(type));
  SCOPED_TRACE("seed " + std::to_string(seed) + " group " + group + " key " + crypto::key_type_name(type));
  const Pki& p = pki(type);
  Simulation sim(seed);
  ConnectionOptions initiator;
  initiator.ike_proposal = "aes256gcm16-prfsha384-" + group;
  initiator.start_action = ike::StartAction::Start;
  ConnectionOptions responder = initiator;
  responder.start_action = ike::StartAction::None;
  Gateways g = add_gateways(sim, cert_connection(site_a(), site_b(), p.a, p.b.fqdn, p.ca, initiator),
                            cert_connection(site_b(), site_a(), p.b, p.a.fqdn, p.ca, responder));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  // Each side knows the other by its certificate's identity.
  EXPECT_EQ(g.a->ike_sas(kConnection, sim.now()).at(0).remote_id, p.b.fqdn);
  EXPECT_EQ(g.b->ike_sas(kConnection, sim.now()).at(0).remote_id, p.a.fqdn);
  expect_tunnel_carries_traffic(sim, g, group);
}

INSTANTIATE_TEST_SUITE_P(EveryGroupAndKey, CertificateEstablishment,
                         ::testing::Combine(::testing::ValuesIn(kGroups),
                                            ::testing::Values(crypto::KeyType::EcdsaP256, crypto::KeyType::Rsa)));

// RFC 7296 §1.2: the initiator guesses modp2048 in KE; the responder only accepts x25519 and
// answers INVALID_KE_PAYLOAD; the initiator retries with x25519 from its second proposal.
// Parameter: whether the proposals keep the number 1 that parse_proposal gives each (the engine
// numbers what it sends, so it must not depend on the caller's numbering) or are numbered 1, 2.
class InvalidKeRetry : public ::testing::TestWithParam<bool> {};

TEST_P(InvalidKeRetry, InitiatorRetriesWithTheGroupTheResponderWants) {
  const bool renumbered = GetParam();
  const std::uint64_t seed = 17;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions initiator;
  initiator.start_action = ike::StartAction::Start;
  ike::ConnectionSettings a = psk_connection(site_a(), site_b(), initiator);
  a.ike_proposals = {proposal("aes128-sha256-modp2048", wire::ikev2::ProtocolId::Ike),
                     proposal("aes256gcm16-prfsha256-x25519", wire::ikev2::ProtocolId::Ike)};
  if (renumbered) a.ike_proposals[1].number = 2;
  ConnectionOptions responder;
  responder.ike_proposal = "aes256gcm16-prfsha256-x25519";
  Gateways g = add_gateways(sim, a, psk_connection(site_b(), site_a(), responder));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  EXPECT_EQ(g.a->count_events(ike::EventType::InvalidKeRetry), 1u) << event_log(g);
  expect_tunnel_carries_traffic(sim, g, "x25519");
}

INSTANTIATE_TEST_SUITE_P(Numbering, InvalidKeRetry, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& case_info) {
                           return std::string(case_info.param ? "numbered" : "as_parsed");
                         });

// RFC 7296 §2.23: an initiator may use port 4500 from the start; every IKE message to 4500 then
// carries the non-ESP marker (RFC 3948 §2.2) so the responder does not take it for ESP.
TEST(Port4500, InitiatorTalkingToPort4500FromTheStart) {
  const std::uint64_t seed = 18;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions initiator;
  initiator.start_action = ike::StartAction::Start;
  ike::ConnectionSettings a = psk_connection(site_a(), site_b(), initiator);
  a.remote_port = 4500;
  ConnectionOptions responder;
  Gateways g = add_gateways(sim, a, psk_connection(site_b(), site_a(), responder));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  EXPECT_EQ(g.a->ike_sas(kConnection, sim.now()).at(0).remote.port, 4500);
  expect_tunnel_carries_traffic(sim, g, "x25519");
}

// The same over IPv6 gateways and subnets (2001:db8::/32).
TEST(Ipv6Establishment, EstablishesAndCarriesTraffic) {
  const std::uint64_t seed = 66;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  const Site a{*wire::IpAddress::parse("2001:db8:a::1"), *wire::IpPrefix::parse("2001:db8:1::/48"),
               *wire::IpAddress::parse("2001:db8:1::10")};
  const Site b{*wire::IpAddress::parse("2001:db8:b::1"), *wire::IpPrefix::parse("2001:db8:2::/48"),
               *wire::IpAddress::parse("2001:db8:2::10")};
  ConnectionOptions initiator;
  initiator.start_action = ike::StartAction::Start;
  ConnectionOptions responder;
  NodeConfig bc{"B", b.gateway, {psk_connection(b, a, responder)}, default_engine_options(), sim.derive_seed(2)};
  NodeConfig ac{"A", a.gateway, {psk_connection(a, b, initiator)}, default_engine_options(), sim.derive_seed(1)};
  Gateways g;
  g.b = &sim.add_node(bc);
  g.a = &sim.add_node(ac);
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  Flow ab{g.a, g.b, a.host, b.host, 40000, 9, 50ms, 16};
  Flow ba{g.b, g.a, b.host, a.host, 40001, 9, 50ms, 16};
  std::size_t fab = sim.traffic().add_flow(ab, sim.now());
  std::size_t fba = sim.traffic().add_flow(ba, sim.now());
  sim.run_for(1999ms);  // 40 packets at 50 ms intervals
  sim.traffic().stop_all();
  sim.run_for(1s);
  for (std::size_t f : {fab, fba}) {
    EXPECT_EQ(sim.traffic().counters(f).sent, 40u);
    EXPECT_EQ(sim.traffic().counters(f).delivered, 40u) << event_log(g);
  }
}

}  // namespace
}  // namespace cygnet::sim
