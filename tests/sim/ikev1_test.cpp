// IKEv1 scenarios (RFC 2409) through the public Engine API with ike_version = 1: Main Mode with a
// PSK and with certificates, Aggressive Mode (and its refusal), Quick Mode with PFS, refusals that
// say why, establishment over a lossy link and giving up on a dead one, two simulated days of
// rekeys under traffic (plus dense rekeys on a reordering link, a phase-1 rekey, crossing Quick
// Modes and lifetimes the peers disagree on), dead peer detection (RFC 3706), INITIAL-CONTACT after
// a restart, and Delete. Every test is instantiated as "ikev1/..." so that `ctest -R ikev1`
// selects them.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <string>
#include <variant>

#include "sim/ike_capture.hpp"
#include "sim/scenario.hpp"
#include "wire/isakmp_constants.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;
using wire::isakmp::ExchangeType;

constexpr std::uint8_t kIsakmpVersion = wire::isakmp::kVersion;
constexpr std::uint8_t kMainMode = static_cast<std::uint8_t>(ExchangeType::IdentityProtection);
constexpr std::uint8_t kAggressiveMode = static_cast<std::uint8_t>(ExchangeType::Aggressive);
constexpr std::uint8_t kInformational = static_cast<std::uint8_t>(ExchangeType::Informational);
constexpr std::uint8_t kQuickMode = static_cast<std::uint8_t>(ExchangeType::QuickMode);

// An IKEv1 connection: phase 1 needs a CBC cipher; ESP may be AEAD.
ConnectionOptions v1(ike::StartAction start = ike::StartAction::None) {
  ConnectionOptions o;
  o.ike_version = 1;
  o.ike_proposal = "aes256-sha256-modp2048";
  o.esp_proposal = "aes256gcm16";
  o.start_action = start;
  return o;
}

std::string details(const Node& node, ike::EventType type) {
  std::string all;
  for (const RecordedEvent& e : node.events_of(type)) all += e.event.detail + " | ";
  return all;
}

// One established ISAKMP SA of the given mode with one CHILD SA, and its two SAs in the SAD.
void expect_v1_tunnel(const Node& node, TimePoint now, std::string_view mode, bool initiator) {
  SCOPED_TRACE(node.name());
  const auto sas = node.ike_sas(kConnection, now);
  ASSERT_EQ(sas.size(), 1u) << event_log(node);
  EXPECT_EQ(sas[0].version, 1);
  EXPECT_EQ(sas[0].mode, mode);
  EXPECT_EQ(sas[0].state, ike::IkeSaState::Established);
  EXPECT_EQ(sas[0].initiator, initiator);
  EXPECT_NE(sas[0].initiator_spi, 0u);
  EXPECT_NE(sas[0].responder_spi, 0u);
  ASSERT_EQ(sas[0].children.size(), 1u) << event_log(node);
  EXPECT_EQ(sas[0].children[0].child, kChild);
  EXPECT_EQ(sas[0].children[0].protocol, ipsec::IpsecProtocol::Esp);
  EXPECT_EQ(sas[0].children[0].mode, ipsec::Mode::Tunnel);
  EXPECT_EQ(node.data_plane().sad().size(), 2u) << event_log(node);
  EXPECT_TRUE(node.binding_errors().empty()) << event_log(node);
}

// Both ends agree on the ISAKMP cookies and on the CHILD SA's SPIs, crosswise.
void expect_sas_match(const Gateways& g, TimePoint now) {
  const auto a = g.a->ike_sas(kConnection, now);
  const auto b = g.b->ike_sas(kConnection, now);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].initiator_spi, b[0].initiator_spi);
  EXPECT_EQ(a[0].responder_spi, b[0].responder_spi);
  ASSERT_EQ(a[0].children.size(), 1u);
  ASSERT_EQ(b[0].children.size(), 1u);
  EXPECT_EQ(a[0].children[0].inbound_spi, b[0].children[0].outbound_spi);
  EXPECT_EQ(a[0].children[0].outbound_spi, b[0].children[0].inbound_spi);
}

// 40 packets each way between the subnets, all delivered through the data planes. Call last: it
// stops the traffic generator.
void expect_traffic_both_ways(Simulation& sim, const Gateways& g) {
  FlowPair flows = add_traffic(sim, g, 50ms, sim.now());
  sim.run_for(1999ms);  // 40 packets at 50 ms intervals
  sim.traffic().stop_all();
  sim.run_for(1s);
  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.sent, 40u);
    EXPECT_EQ(c.delivered, c.sent) << event_log(g);
    EXPECT_EQ(c.no_sa(), 0u);
  }
  EXPECT_EQ(g.a->counters().inbound_drops.total(), 0u);
  EXPECT_EQ(g.b->counters().inbound_drops.total(), 0u);
}

void expect_nothing_installed(const Gateways& g) {
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->data_plane().sad().size(), 0u) << event_log(g);
    EXPECT_EQ(node->count_events(ike::EventType::ChildSaEstablished), 0u) << event_log(g);
    EXPECT_EQ(node->engine().counters().child_sas_established, 0u);
    EXPECT_TRUE(node->binding_errors().empty()) << event_log(g);
  }
}

// Events that must never appear in a healthy run.
void expect_no_trouble(const Node& node) {
  SCOPED_TRACE(node.name());
  for (ike::EventType bad :
       {ike::EventType::PeerDead, ike::EventType::RetransmitGaveUp, ike::EventType::Error,
        ike::EventType::MalformedMessage, ike::EventType::AuthenticationFailed,
        ike::EventType::NoProposalChosen, ike::EventType::TsUnacceptable}) {
    EXPECT_EQ(node.count_events(bad), 0u) << ike::event_type_name(bad) << "\n" << event_log(node);
  }
  EXPECT_TRUE(node.binding_errors().empty()) << event_log(node);
}

// Every packet sent was delivered exactly once and none found no SA (the "no traffic gap" check
// of the IKEv2 rekey scenarios).
void expect_lossless_traffic(const Simulation& sim, const Gateways& g, const FlowPair& flows,
                             std::uint64_t expected_min_sent) {
  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_GE(c.sent, expected_min_sent);
    EXPECT_EQ(c.acquires, 0u);
    EXPECT_EQ(c.outbound_drops[ipsec::DropReason::NoSa], 0u);
    EXPECT_EQ(c.outbound_drops.total(), 0u)
        << "e.g. expired: " << c.outbound_drops[ipsec::DropReason::Expired];
    EXPECT_EQ(c.delivered, c.sent);
    EXPECT_EQ(c.duplicates, 0u);
  }
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->counters().inbound_drops[ipsec::DropReason::UnknownSpi], 0u);
    EXPECT_EQ(node->counters().inbound_drops.total(), 0u)
        << "replay " << node->counters().inbound_drops[ipsec::DropReason::Replay] << ", too old "
        << node->counters().inbound_drops[ipsec::DropReason::TooOld] << ", expired "
        << node->counters().inbound_drops[ipsec::DropReason::Expired];
  }
}

void expect_single_sa_pair(const Simulation& sim, const Gateways& g) {
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 1u) << event_log(*node);
    EXPECT_EQ(node->established_ike_sas(kConnection, sim.now()), 1u);
    EXPECT_EQ(node->child_sas(kConnection, kChild, sim.now()), 1u);
    EXPECT_EQ(node->data_plane().sad().size(), 2u);
  }
}

// Runs until both ends report the CHILD SA, then lets Quick Mode's third message land: the
// responder installs its SAs at QM2 but routes outbound traffic onto them only at QM3.
bool establish(Simulation& sim, const Gateways& g, Duration limit = 10s) {
  if (!sim.run_for([&] { return child_up_on_both(g); }, limit)) return false;
  sim.run_for(200ms);
  return true;
}

std::string seed_name(const ::testing::TestParamInfo<std::uint64_t>& case_info) {
  return "seed" + std::to_string(case_info.param);
}

// --- Main Mode with a PSK ----------------------------------------------------------------------

class Ikev1MainModePsk : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1MainModePsk, EstablishesAndCarriesTraffic) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  IkeCapture capture(sim.network());
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), v1(ike::StartAction::Start)),
                            psk_connection(site_b(), site_a(), v1()));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  const TimePoint now = sim.now();

  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    // Three Main Mode round trips and one and a half Quick Mode ones over a 5 ms link: no retransmission.
    EXPECT_EQ(node->engine().counters().retransmissions, 0u) << event_log(g);
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 1u) << event_log(g);
    EXPECT_EQ(node->count_events(ike::EventType::ChildSaEstablished), 1u) << event_log(g);
    EXPECT_EQ(node->engine().counters().ike_sas_established, 1u);
    EXPECT_EQ(node->engine().counters().child_sas_established, 1u);
    EXPECT_TRUE(contains_nocase(details(*node, ike::EventType::IkeSaEstablished), "main mode"))
        << details(*node, ike::EventType::IkeSaEstablished);
    expect_no_trouble(*node);
  }
  expect_v1_tunnel(*g.a, now, "main", true);
  expect_v1_tunnel(*g.b, now, "main", false);
  expect_sas_match(g, now);
  const auto a_sa = g.a->ike_sas(kConnection, now).at(0);
  const auto b_sa = g.b->ike_sas(kConnection, now).at(0);
  EXPECT_EQ(a_sa.remote_id, "192.0.2.2");
  EXPECT_EQ(b_sa.remote_id, "192.0.2.1");
  EXPECT_EQ(a_sa.remote, (ike::Endpoint{site_b().gateway, 500}));
  EXPECT_FALSE(a_sa.nat_detected);
  for (const auto& sa : {a_sa, b_sa}) {
    EXPECT_TRUE(contains_nocase(sa.algorithms, "aes256")) << sa.algorithms;
    EXPECT_TRUE(contains_nocase(sa.algorithms, "modp2048")) << sa.algorithms;
    EXPECT_TRUE(contains_nocase(sa.children.at(0).algorithms, "aes256gcm16")) << sa.children.at(0).algorithms;
    EXPECT_FALSE(sa.children.at(0).udp_encapsulated);
  }

  // What crossed the wire was ISAKMP: Main Mode (6 messages) and Quick Mode (3), nothing IKEv2.
  EXPECT_EQ(capture.count_other_versions(kIsakmpVersion), 0u);
  EXPECT_GE(capture.count_v1_from(site_a().gateway, kMainMode), 3u);
  EXPECT_GE(capture.count_v1_from(site_b().gateway, kMainMode), 3u);
  EXPECT_EQ(capture.count_v1_from(site_a().gateway, kAggressiveMode), 0u);
  EXPECT_GE(capture.count_v1_from(site_a().gateway, kQuickMode), 2u);
  EXPECT_GE(capture.count_v1_from(site_b().gateway, kQuickMode), 1u);

  expect_traffic_both_ways(sim, g);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1MainModePsk, ::testing::Values(201u, 202u), seed_name);

// Phase 1 proposals without a common algorithm: the responder says what was offered.
class Ikev1Phase1Mismatch : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1Phase1Mismatch, ResponderNamesTheOffer) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.ike_proposal = "aes128-sha256-modp2048";
  ConnectionOptions b = v1();
  b.ike_proposal = "aes256-sha384-ecp384";
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  sim.run_for(retransmission_budget(default_engine_options()) + 5s);
  ASSERT_GE(g.b->count_events(ike::EventType::NoProposalChosen), 1u) << event_log(g);
  const std::string detail = details(*g.b, ike::EventType::NoProposalChosen);
  for (const char* word : {"aes128", "modp2048", "aes256", "ecp384"}) {
    EXPECT_TRUE(contains_nocase(detail, word)) << "'" << word << "' missing from: " << detail;
  }
  EXPECT_GE(g.b->engine().counters().no_proposal_chosen, 1u);
  // The initiator learns it too (NO-PROPOSAL-CHOSEN notification) instead of just timing out.
  EXPECT_GE(g.a->count_events(ike::EventType::NoProposalChosen), 1u) << event_log(g);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 0u);
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 0u) << event_log(g);
  }
  expect_nothing_installed(g);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1Phase1Mismatch, ::testing::Values(203u), seed_name);

// add_connection: an IKEv1 connection needs at least one phase-1 proposal with a CBC cipher.
class Ikev1Settings : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1Settings, Phase1NeedsACbcCipher) {
  auto errors = [](ike::Engine& engine) {
    std::string all;
    for (const ike::Action& action : engine.take_actions()) {
      if (const auto* e = std::get_if<ike::Event>(&action); e && e->type == ike::EventType::Error) {
        all += e->detail + " | ";
      }
    }
    return all;
  };
  ike::Engine engine(default_engine_options(), ike::seeded_random(GetParam()));
  ConnectionOptions aead = v1();
  aead.ike_proposal = "aes256gcm16-prfsha256-x25519";
  EXPECT_FALSE(engine.add_connection(psk_connection(site_a(), site_b(), aead), kEpoch));
  const std::string refused = errors(engine);
  EXPECT_TRUE(contains_nocase(refused, "CBC")) << refused;
  EXPECT_TRUE(engine.connection_names().empty());

  // An AEAD proposal next to a CBC one is skipped, not fatal.
  ike::ConnectionSettings mixed = psk_connection(site_a(), site_b(), v1());
  mixed.ike_proposals.insert(mixed.ike_proposals.begin(),
                             proposal("aes256gcm16-prfsha256-x25519", wire::ikev2::ProtocolId::Ike));
  mixed.ike_proposals[1].number = 2;
  EXPECT_TRUE(engine.add_connection(mixed, kEpoch));
  EXPECT_EQ(errors(engine), "");
  EXPECT_EQ(engine.connection_names().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1Settings, ::testing::Values(204u), seed_name);

// --- Main Mode with certificates ----------------------------------------------------------------

// One PKI per key type for the whole binary: RSA key generation is the slow part.
struct Pki {
  CertificateAuthority ca;
  Credentials a;
  Credentials b;
};
const Pki& pki(crypto::KeyType type) {
  static const Pki ecdsa = [] {
    Pki p{make_ca(crypto::KeyType::EcdsaP256, "Cygnet Sim IKEv1 ECDSA CA"), {}, {}};
    p.a = make_leaf(p.ca, crypto::KeyType::EcdsaP256, "gw-a.example.com");
    p.b = make_leaf(p.ca, crypto::KeyType::EcdsaP256, "gw-b.example.com");
    return p;
  }();
  static const Pki rsa = [] {
    Pki p{make_ca(crypto::KeyType::Rsa, "Cygnet Sim IKEv1 RSA CA"), {}, {}};
    p.a = make_leaf(p.ca, crypto::KeyType::Rsa, "gw-a.example.com");
    p.b = make_leaf(p.ca, crypto::KeyType::Rsa, "gw-b.example.com");
    return p;
  }();
  return type == crypto::KeyType::Rsa ? rsa : ecdsa;
}

class Ikev1MainModeCertificates : public ::testing::TestWithParam<crypto::KeyType> {};

TEST_P(Ikev1MainModeCertificates, EstablishesAndCarriesTraffic) {
  const crypto::KeyType type = GetParam();
  const std::uint64_t seed = 210 + static_cast<std::uint64_t>(type);
  SCOPED_TRACE("seed " + std::to_string(seed) + " key " + crypto::key_type_name(type));
  const Pki& p = pki(type);
  Simulation sim(seed);
  IkeCapture capture(sim.network());
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.ike_proposal = type == crypto::KeyType::Rsa ? "aes256-sha256-modp2048" : "aes128-sha256-ecp256";
  a.esp_proposal = "aes128-sha256";
  ConnectionOptions b = a;
  b.start_action = ike::StartAction::None;
  Gateways g = add_gateways(sim, cert_connection(site_a(), site_b(), p.a, p.b.fqdn, p.ca, a),
                            cert_connection(site_b(), site_a(), p.b, p.a.fqdn, p.ca, b));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  const TimePoint now = sim.now();
  expect_v1_tunnel(*g.a, now, "main", true);
  expect_v1_tunnel(*g.b, now, "main", false);
  expect_sas_match(g, now);
  // Each side knows the other by its certificate's identity.
  EXPECT_EQ(g.a->ike_sas(kConnection, now).at(0).remote_id, p.b.fqdn);
  EXPECT_EQ(g.b->ike_sas(kConnection, now).at(0).remote_id, p.a.fqdn);
  EXPECT_TRUE(contains_nocase(g.a->ike_sas(kConnection, now).at(0).children.at(0).algorithms, "aes128"));
  EXPECT_EQ(capture.count_other_versions(kIsakmpVersion), 0u);
  EXPECT_GE(capture.count_v1_from(site_a().gateway, kMainMode), 3u);
  expect_no_trouble(*g.a);
  expect_no_trouble(*g.b);
  expect_traffic_both_ways(sim, g);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1MainModeCertificates,
                         ::testing::Values(crypto::KeyType::EcdsaP256, crypto::KeyType::Rsa),
                         [](const ::testing::TestParamInfo<crypto::KeyType>& case_info) {
                           return std::string(case_info.param == crypto::KeyType::Rsa ? "rsa" : "ecdsa");
                         });

// --- Aggressive Mode ----------------------------------------------------------------------------

class Ikev1AggressiveMode : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1AggressiveMode, EstablishesWhenBothSidesAllowIt) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  IkeCapture capture(sim.network());
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.aggressive = true;
  ConnectionOptions b = v1();
  b.aggressive = true;
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  const TimePoint now = sim.now();
  expect_v1_tunnel(*g.a, now, "aggressive", true);
  expect_v1_tunnel(*g.b, now, "aggressive", false);
  expect_sas_match(g, now);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 1u) << event_log(g);
    EXPECT_TRUE(contains_nocase(details(*node, ike::EventType::IkeSaEstablished), "aggressive"))
        << details(*node, ike::EventType::IkeSaEstablished);
    EXPECT_EQ(node->engine().counters().retransmissions, 0u);
    expect_no_trouble(*node);
  }
  // Three Aggressive Mode messages (AM1, AM3 from A; AM2 from B), no Main Mode.
  EXPECT_GE(capture.count_v1_from(site_a().gateway, kAggressiveMode), 2u);
  EXPECT_GE(capture.count_v1_from(site_b().gateway, kAggressiveMode), 1u);
  EXPECT_EQ(capture.count_v1_from(site_a().gateway, kMainMode), 0u);
  EXPECT_EQ(capture.count_v1_from(site_b().gateway, kMainMode), 0u);
  expect_traffic_both_ways(sim, g);
}

TEST_P(Ikev1AggressiveMode, RefusedByAResponderWithoutAggressive) {
  const std::uint64_t seed = GetParam() + 1;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  IkeCapture capture(sim.network());
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.aggressive = true;
  ConnectionOptions b = v1();  // aggressive = false: a PSK Aggressive Mode request is refused
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  sim.run_for(retransmission_budget(default_engine_options()) + 5s);
  ASSERT_GE(capture.count_v1_from(site_a().gateway, kAggressiveMode), 1u) << "A never sent Aggressive Mode";
  ASSERT_GE(g.b->count_events(ike::EventType::Error), 1u) << event_log(g);
  const std::string detail = details(*g.b, ike::EventType::Error);
  EXPECT_TRUE(contains_nocase(detail, "aggressive mode")) << detail;
  EXPECT_GE(g.b->engine().counters().datagrams_received, 1u);
  // B never sent an Aggressive Mode answer (that would expose its PSK-derived hash), kept no state.
  EXPECT_EQ(capture.count_v1_from(site_b().gateway, kAggressiveMode), 0u);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 0u) << event_log(g);
    EXPECT_EQ(node->engine().counters().ike_sas_established, 0u);
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 0u) << event_log(g);
  }
  // The initiator ends its attempt with a reason (a refusal notification or giving up).
  EXPECT_GE(g.a->count_events(ike::EventType::RetransmitGaveUp) + g.a->count_events(ike::EventType::Error) +
                g.a->count_events(ike::EventType::NoProposalChosen) +
                g.a->count_events(ike::EventType::AuthenticationFailed),
            1u)
      << event_log(g);
  expect_nothing_installed(g);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1AggressiveMode, ::testing::Values(221u), seed_name);

// --- Quick Mode ---------------------------------------------------------------------------------

class Ikev1QuickMode : public ::testing::TestWithParam<std::uint64_t> {};

// PFS: the ESP proposal carries a group, so every Quick Mode (the first and each rekey) runs its own
// Diffie-Hellman exchange; the CHILD SA says so in its algorithms.
TEST_P(Ikev1QuickMode, PfsEstablishesAndRekeys) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.ike_proposal = "aes128-sha256-ecp256";
  a.esp_proposal = "aes128-sha256-ecp256";
  a.child_lifetime = 10min;  // rekeyed at 8–9 min
  ConnectionOptions b = a;
  b.start_action = ike::StartAction::None;
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  expect_v1_tunnel(*g.a, sim.now(), "main", true);
  expect_v1_tunnel(*g.b, sim.now(), "main", false);
  expect_sas_match(g, sim.now());
  for (const Node* node : {g.a, g.b}) {
    const std::string algorithms = node->ike_sas(kConnection, sim.now()).at(0).children.at(0).algorithms;
    EXPECT_TRUE(contains_nocase(algorithms, "ecp256")) << node->name() << ": " << algorithms;
    EXPECT_TRUE(contains_nocase(algorithms, "aes128")) << node->name() << ": " << algorithms;
  }
  const auto first_a = g.a->ike_sas(kConnection, sim.now()).at(0).children.at(0);

  FlowPair flows = add_traffic(sim, g, 100ms, sim.now());
  sim.run_for(12min);
  sim.traffic().stop_all();
  sim.run_for(10s);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_GE(node->count_events(ike::EventType::ChildSaRekeyed), 1u) << event_log(*node);
    EXPECT_LE(node->count_events(ike::EventType::ChildSaRekeyed), 2u) << event_log(*node);
    const auto sas = node->ike_sas(kConnection, sim.now());
    ASSERT_EQ(sas.size(), 1u);
    ASSERT_EQ(sas[0].children.size(), 1u);
    EXPECT_TRUE(contains_nocase(sas[0].children[0].algorithms, "ecp256")) << sas[0].children[0].algorithms;
    expect_no_trouble(*node);
  }
  // A new pair of SPIs, agreed crosswise, and no packet lost to the rekey.
  const auto now_a = g.a->ike_sas(kConnection, sim.now()).at(0).children.at(0);
  EXPECT_NE(now_a.inbound_spi, first_a.inbound_spi);
  EXPECT_NE(now_a.outbound_spi, first_a.outbound_spi);
  expect_sas_match(g, sim.now());
  expect_single_sa_pair(sim, g);
  expect_lossless_traffic(sim, g, flows, static_cast<std::uint64_t>(12min / 100ms));
}

// Phase 1 succeeds; Quick Mode finds no common ESP transform and the responder says what was offered.
TEST_P(Ikev1QuickMode, ProposalMismatchNamesTheOffer) {
  const std::uint64_t seed = GetParam() + 1;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.esp_proposal = "aes128-sha256";
  ConnectionOptions b = v1();
  b.esp_proposal = "aes256gcm16";
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  sim.run_for(20s);
  ASSERT_GE(g.b->count_events(ike::EventType::NoProposalChosen), 1u) << event_log(g);
  const std::string detail = details(*g.b, ike::EventType::NoProposalChosen);
  for (const char* word : {"aes128", "sha256", "aes256gcm16"}) {
    EXPECT_TRUE(contains_nocase(detail, word)) << "'" << word << "' missing from: " << detail;
  }
  EXPECT_GE(g.b->engine().counters().no_proposal_chosen, 1u);
  EXPECT_GE(g.a->count_events(ike::EventType::NoProposalChosen), 1u) << event_log(g);
  // Phase 1 itself was fine.
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaEstablished), 1u) << event_log(g);
  EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaEstablished), 1u) << event_log(g);
  expect_nothing_installed(g);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1QuickMode, ::testing::Values(225u), seed_name);

// --- wrong PSK ----------------------------------------------------------------------------------

// Main Mode: the responder finds out (it cannot decrypt/verify the initiator's HASH_I in message
// 5). Aggressive Mode: the initiator finds out (HASH_R in message 2 does not verify).
class Ikev1WrongPsk : public ::testing::TestWithParam<bool> {};

TEST_P(Ikev1WrongPsk, AuthenticationFailedAndNothingInstalled) {
  const bool aggressive = GetParam();
  const std::uint64_t seed = aggressive ? 232 : 231;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.psk = "the initiator's secret";
  a.aggressive = aggressive;
  ConnectionOptions b = v1();
  b.psk = "a different secret";
  b.aggressive = aggressive;
  const ike::EngineOptions options = default_engine_options();
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  // Long enough for every retransmission and half-open timeout to run out.
  sim.run_for(retransmission_budget(options) + options.half_open_timeout + 5s);
  const Node& checker = aggressive ? *g.a : *g.b;
  EXPECT_GE(checker.count_events(ike::EventType::AuthenticationFailed), 1u) << event_log(g);
  EXPECT_GE(checker.engine().counters().authentication_failures, 1u);
  if (!aggressive) {
    // The initiator ends with a reason too.
    EXPECT_GE(g.a->count_events(ike::EventType::AuthenticationFailed) +
                  g.a->count_events(ike::EventType::RetransmitGaveUp),
              1u)
        << event_log(g);
  }
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 0u) << event_log(g);
    EXPECT_EQ(node->engine().counters().ike_sas_established, 0u);
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 0u) << event_log(g);
  }
  expect_nothing_installed(g);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1WrongPsk, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& case_info) {
                           return std::string(case_info.param ? "aggressive" : "main");
                         });

// --- loss ---------------------------------------------------------------------------------------

struct LossyCase {
  std::uint64_t seed;
  LinkConditions link;
};
void PrintTo(const LossyCase& c, std::ostream* os) {
  *os << "seed " << c.seed << " loss " << c.link.loss;
}

class Ikev1Loss : public ::testing::TestWithParam<LossyCase> {};

TEST_P(Ikev1Loss, EstablishesThroughRetransmissions) {
  const LossyCase p = GetParam();
  SCOPED_TRACE("seed " + std::to_string(p.seed));
  Simulation sim(p.seed);
  sim.network().set_default_link(p.link);
  ike::EngineOptions options = default_engine_options();
  options.retransmit_tries = 8;
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), v1(ike::StartAction::Start)),
                            psk_connection(site_b(), site_a(), v1()), options);
  const TimePoint start = sim.now();
  // Main Mode's three round trips and Quick Mode's one and a half, each within one schedule.
  const Duration budget = 5 * retransmission_budget(options);
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, budget)) << event_log(g);
  SCOPED_TRACE("established after " +
               std::to_string(std::chrono::duration<double>(sim.now() - start).count()) + " s");
  sim.run_for(10s);  // late retransmissions and duplicates arrive
  // Every lost IKE message was sent again (no ESP crossed the link yet).
  if (sim.network().counters().lost > 0) {
    EXPECT_GT(g.a->engine().counters().retransmissions + g.b->engine().counters().retransmissions, 0u);
  }
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->count_events(ike::EventType::RetransmitGaveUp), 0u) << event_log(g);
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 1u) << event_log(g);
    EXPECT_EQ(node->count_events(ike::EventType::ChildSaEstablished), 1u) << event_log(g);
  }
  expect_v1_tunnel(*g.a, sim.now(), "main", true);
  expect_v1_tunnel(*g.b, sim.now(), "main", false);
  expect_sas_match(g, sim.now());
  sim.network().set_default_link(LinkConditions{});
  expect_traffic_both_ways(sim, g);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1Loss,
                         ::testing::Values(LossyCase{233, {0.25, 0.0, 10ms, 0ms}},
                                           LossyCase{234, {0.25, 0.0, 10ms, 0ms}},
                                           LossyCase{235, {0.3, 0.0, 10ms, 0ms}},
                                           LossyCase{236, {0.3, 0.0, 10ms, 0ms}},
                                           LossyCase{237, {0.1, 0.3, 10ms, 1500ms}}),
                         [](const ::testing::TestParamInfo<LossyCase>& case_info) {
                           return "seed" + std::to_string(case_info.param.seed);
                         });

class Ikev1TotalLoss : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1TotalLoss, GivesUpAfterTheRetransmissionSchedule) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  sim.network().set_default_link(LinkConditions{1.0, 0.0, 5ms, 0ms});
  const ike::EngineOptions options = default_engine_options();
  const TimePoint start = sim.now();
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), v1(ike::StartAction::Start)),
                            psk_connection(site_b(), site_a(), v1()), options);
  const Duration budget = retransmission_budget(options);
  sim.run_for(budget + 5s);
  ASSERT_EQ(g.a->count_events(ike::EventType::RetransmitGaveUp), 1u) << event_log(g);
  const auto gave_up = g.a->first_event(ike::EventType::RetransmitGaveUp);
  EXPECT_GE(gave_up->at - start, budget - 100ms) << event_log(g);
  EXPECT_LE(gave_up->at - start, budget + 100ms) << event_log(g);
  EXPECT_EQ(g.a->engine().counters().retransmissions, options.retransmit_tries);
  EXPECT_EQ(g.a->engine().counters().datagrams_sent, options.retransmit_tries + 1);
  EXPECT_EQ(g.b->counters().ike_datagrams_in, 0u);
  EXPECT_EQ(g.a->ike_sas(kConnection, sim.now()).size(), 0u) << event_log(g);
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaEstablished), 0u);
  expect_nothing_installed(g);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1TotalLoss, ::testing::Values(238u), seed_name);

// --- rekeys over two simulated days -------------------------------------------------------------

class Ikev1Rekeys : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1Rekeys, TwoDaysWithoutATrafficGap) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.child_lifetime = 20min;
  a.ike_lifetime = 2h;
  ConnectionOptions b = a;
  b.start_action = ike::StartAction::None;
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);

  // One packet a second each way keeps two days affordable in a Debug build; the dense scenario
  // below (Ikev1DenseRekeys) samples every 100 ms around many more rekeys.
  const Duration interval = 1s;
  const Duration run = 48h;
  FlowPair flows = add_traffic(sim, g, interval, sim.now());
  // Sample once a simulated minute: old SAs must be removed, so the counts stay bounded.
  std::size_t max_sad = 0;
  std::size_t max_isakmp = 0;
  const TimePoint end = sim.now() + run;
  while (sim.now() < end) {
    sim.run_for(1min);
    for (const Node* node : {g.a, g.b}) {
      max_sad = std::max(max_sad, node->data_plane().sad().size());
      max_isakmp = std::max(max_isakmp, node->ike_sas(kConnection, sim.now()).size());
    }
  }
  sim.traffic().stop_all();
  sim.run_for(10s);  // in-flight packets land, old SAs' grace periods end

  expect_lossless_traffic(sim, g, flows, static_cast<std::uint64_t>(run / interval));
  expect_no_trouble(*g.a);
  expect_no_trouble(*g.b);
  expect_single_sa_pair(sim, g);
  // At most the new and the old pair (a rekey collision may briefly add one more).
  EXPECT_LE(max_sad, 6u);
  EXPECT_LE(max_isakmp, 3u);
  // Rekeys fall at 80–90 % of the lifetime (rekey_jitter 0.1): two days hold 48 h / 18 min = 160 to
  // 48 h / 16 min = 180 Quick Mode rekeys and 48 h / 108 min = 26.7 to 48 h / 96 min = 30 phase-1 rekeys.
  // Every phase-1 rekey is a new Main Mode, reported IkeSaEstablished on both sides (whether the
  // responder also says IkeSaRekeyed is Ikev1Phase1Rekey's business); the initiator says IkeSaRekeyed.
  EXPECT_GE(g.a->count_events(ike::EventType::IkeSaRekeyed), 26u);
  EXPECT_LE(g.a->count_events(ike::EventType::IkeSaRekeyed), 31u);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_GE(node->count_events(ike::EventType::ChildSaRekeyed), 159u) << event_log(*node);
    EXPECT_LE(node->count_events(ike::EventType::ChildSaRekeyed), 181u);
    EXPECT_GE(node->count_events(ike::EventType::IkeSaEstablished), 1u + 26u);
    EXPECT_LE(node->count_events(ike::EventType::IkeSaEstablished), 1u + 31u);
    EXPECT_EQ(node->counters().hard_limits, 0u) << "a CHILD SA reached its hard lifetime";
    const auto sas = node->ike_sas(kConnection, sim.now());
    ASSERT_EQ(sas.size(), 1u);
    EXPECT_EQ(sas[0].version, 1);
    EXPECT_LE(sas[0].age, Seconds{2 * 3600});
    ASSERT_EQ(sas[0].children.size(), 1u);
    EXPECT_LE(sas[0].children[0].age, Seconds{20 * 60});
  }
  EXPECT_EQ(g.a->count_events(ike::EventType::ChildSaRekeyed),
            g.b->count_events(ike::EventType::ChildSaRekeyed));
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaEstablished),
            g.b->count_events(ike::EventType::IkeSaEstablished));
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1Rekeys, ::testing::Values(241u), seed_name);

// Short lifetimes (CHILD 2 min, ISAKMP 10 min) and a packet every 100 ms each way: many Quick Mode
// and phase-1 rekeys, phase-1 rekeys adopting CHILD SAs mid-flight, and no packet may find no SA or
// an unknown SPI. On the jittery link (20 ms + up to 30 ms) packets overtake each other: ESP on a
// new SA may arrive before the Quick Mode message that completes it.
struct DenseCase {
  std::uint64_t seed;
  bool jittery_link;
};
void PrintTo(const DenseCase& c, std::ostream* os) {
  *os << "seed " << c.seed << (c.jittery_link ? " jittery" : " clean");
}

class Ikev1DenseRekeys : public ::testing::TestWithParam<DenseCase> {};

TEST_P(Ikev1DenseRekeys, NoPacketFindsNoSa) {
  const DenseCase p = GetParam();
  SCOPED_TRACE("seed " + std::to_string(p.seed) + (p.jittery_link ? " jittery link" : " clean link"));
  Simulation sim(p.seed);
  if (p.jittery_link) sim.network().set_default_link(LinkConditions{0.0, 0.0, 20ms, 30ms});
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.child_lifetime = 2min;
  a.ike_lifetime = 10min;
  ConnectionOptions b = a;
  b.start_action = ike::StartAction::None;
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  // Denser on the jittery link: packets sent on the old SA just before the switch are the ones
  // that arrive late.
  const Duration interval = p.jittery_link ? 20ms : 100ms;
  const Duration run = 30min;
  FlowPair flows = add_traffic(sim, g, interval, sim.now());
  sim.run_for(run);
  sim.traffic().stop_all();
  sim.run_for(10s);

  expect_lossless_traffic(sim, g, flows, static_cast<std::uint64_t>(run / interval));
  expect_no_trouble(*g.a);
  expect_no_trouble(*g.b);
  expect_single_sa_pair(sim, g);
  // 30 min / 108 s = 16.7 to 30 min / 96 s = 18.75 Quick Mode rekeys; 30 min / 9 min = 3.3 to
  // 30 min / 8 min = 3.75 phase-1 rekeys.
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_GE(node->count_events(ike::EventType::ChildSaRekeyed), 15u) << event_log(*node);
    EXPECT_LE(node->count_events(ike::EventType::ChildSaRekeyed), 20u) << event_log(*node);
    EXPECT_GE(node->count_events(ike::EventType::IkeSaEstablished), 1u + 3u) << event_log(*node);
    EXPECT_LE(node->count_events(ike::EventType::IkeSaEstablished), 1u + 4u) << event_log(*node);
    EXPECT_EQ(node->counters().hard_limits, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1DenseRekeys,
                         ::testing::Values(DenseCase{243, false}, DenseCase{244, true}, DenseCase{247, true}),
                         [](const ::testing::TestParamInfo<DenseCase>& case_info) {
                           return "seed" + std::to_string(case_info.param.seed) +
                                  (case_info.param.jittery_link ? "_jittery" : "_clean");
                         });

// A phase-1 rekey (a new Main Mode) moves the CHILD SA to the new ISAKMP SA without touching it:
// same SPIs, no packet lost, the old ISAKMP SA gone on both sides, and both sides report the
// rekey as such (IkeSaRekeyed), like IKEv2 does.
class Ikev1Phase1Rekey : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1Phase1Rekey, ChildSaKeptAndBothSidesReportIt) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.ike_lifetime = 10min;  // rekeyed at 8–9 min
  a.child_lifetime = 1h;
  ConnectionOptions b = a;
  b.start_action = ike::StartAction::None;
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  const auto a_before = g.a->ike_sas(kConnection, sim.now()).at(0);
  FlowPair flows = add_traffic(sim, g, 100ms, sim.now());
  sim.run_for(12min);
  sim.traffic().stop_all();
  sim.run_for(10s);

  const auto a_after = g.a->ike_sas(kConnection, sim.now());
  ASSERT_EQ(a_after.size(), 1u) << event_log(g);
  EXPECT_NE(a_after[0].initiator_spi, a_before.initiator_spi) << "no new ISAKMP SA";
  ASSERT_EQ(a_after[0].children.size(), 1u);
  EXPECT_EQ(a_after[0].children[0].inbound_spi, a_before.children.at(0).inbound_spi) << "CHILD SA not kept";
  EXPECT_EQ(a_after[0].children[0].outbound_spi, a_before.children.at(0).outbound_spi);
  expect_sas_match(g, sim.now());
  expect_single_sa_pair(sim, g);
  expect_lossless_traffic(sim, g, flows, static_cast<std::uint64_t>(12min / 100ms));
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 2u) << event_log(*node);
    EXPECT_EQ(node->count_events(ike::EventType::ChildSaRekeyed), 0u) << event_log(*node);
    EXPECT_EQ(node->count_events(ike::EventType::ChildSaDeleted), 0u) << event_log(*node);
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaRekeyed), 1u) << event_log(*node);
    expect_no_trouble(*node);
  }
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1Phase1Rekey, ::testing::Values(248u), seed_name);

// Both ends rekey the CHILD SA at the same instant (a soft limit reported to both engines at once;
// a Quick Mode responder otherwise rekeys later than the initiator by design), so their Quick
// Modes cross on the wire. However the engine resolves it, the run must end with one CHILD SA pair,
// traffic flowing and nothing lost — not with duplicates that are rekeyed forever after.
class Ikev1SimultaneousRekey : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1SimultaneousRekey, LeavesOneSaPairAndTrafficFlows) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  IkeCapture capture(sim.network());
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.child_lifetime = 1h;  // no timed rekey during the run
  ConnectionOptions b = a;
  b.start_action = ike::StartAction::None;
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  FlowPair flows = add_traffic(sim, g, 100ms, sim.now());
  for (int round = 0; round < 3; ++round) {
    sim.run_for(3min);
    for (Node* node : {g.a, g.b}) {
      const auto sas = node->ike_sas(kConnection, sim.now());
      ASSERT_FALSE(sas.empty()) << event_log(g);
      ASSERT_FALSE(sas.back().children.empty()) << event_log(g);
      node->engine().on_child_sa_soft_limit(sas.back().children.front().id, sim.now());
    }
    for (Node* node : {g.a, g.b}) node->drain(sim.now());
  }
  sim.run_for(3min);
  sim.traffic().stop_all();
  sim.run_for(10s);

  // Both ends really started each rekey: per Quick Mode the initiator sends two messages, the
  // responder one, so crossing Quick Modes make three each per round.
  EXPECT_GE(capture.count_v1_from(site_a().gateway, kQuickMode), 2u + 3u * 3u) << event_log(g);
  EXPECT_GE(capture.count_v1_from(site_b().gateway, kQuickMode), 1u + 3u * 3u) << event_log(g);
  expect_single_sa_pair(sim, g);
  expect_lossless_traffic(sim, g, flows, static_cast<std::uint64_t>(12min / 100ms));
  expect_no_trouble(*g.a);
  expect_no_trouble(*g.b);
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1SimultaneousRekey, ::testing::Values(281u), seed_name);

// The peers disagree on lifetimes: the responder B is configured shorter than the initiator A.
// Whatever the negotiation (the initiator proposes; the responder may cut it short, RFC 2407
// §4.6.3.7 RESPONDER-LIFETIME), B's SAs must not expire under the traffic before they are renewed.
enum class Lifetime { Phase1, Child };
void PrintTo(Lifetime l, std::ostream* os) {
  *os << (l == Lifetime::Phase1 ? "phase 1" : "child");
}

class Ikev1MismatchedLifetimes : public ::testing::TestWithParam<Lifetime> {};

TEST_P(Ikev1MismatchedLifetimes, ShorterResponderLifetimeCausesNoGap) {
  const Lifetime what = GetParam();
  const std::uint64_t seed = what == Lifetime::Phase1 ? 291 : 292;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions a = v1(ike::StartAction::Start);
  ConnectionOptions b = v1();
  if (what == Lifetime::Phase1) {
    a.ike_lifetime = 2h;
    b.ike_lifetime = 1h;
    a.child_lifetime = b.child_lifetime = 30min;
  } else {
    a.child_lifetime = 20min;
    b.child_lifetime = 10min;
  }
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  const Duration interval = what == Lifetime::Phase1 ? 1s : 200ms;
  const Duration run = what == Lifetime::Phase1 ? 3h : 1h;
  FlowPair flows = add_traffic(sim, g, interval, sim.now());
  sim.run_for(run);
  sim.traffic().stop_all();
  sim.run_for(10s);

  expect_lossless_traffic(sim, g, flows, static_cast<std::uint64_t>(run / interval));
  expect_no_trouble(*g.a);
  expect_no_trouble(*g.b);
  expect_single_sa_pair(sim, g);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->counters().hard_limits, 0u) << "a CHILD SA reached its hard lifetime";
    EXPECT_EQ(node->count_events(ike::EventType::ChildSaDeleted), 0u) << event_log(*node);
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaDeleted), 0u) << event_log(*node);
    if (what == Lifetime::Phase1) {
      // Renewed at least every hour (B's lifetime): three hours need three new Main Modes.
      EXPECT_GE(node->count_events(ike::EventType::IkeSaEstablished), 1u + 3u) << event_log(*node);
    } else {
      // Renewed before B's 10 minutes run out: at least six rekeys in the hour.
      EXPECT_GE(node->count_events(ike::EventType::ChildSaRekeyed), 6u) << event_log(*node);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1MismatchedLifetimes,
                         ::testing::Values(Lifetime::Phase1, Lifetime::Child),
                         [](const ::testing::TestParamInfo<Lifetime>& case_info) {
                           return std::string(case_info.param == Lifetime::Phase1 ? "phase1" : "child");
                         });

// --- dead peer detection (RFC 3706) -------------------------------------------------------------

class Ikev1DeadPeer : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1DeadPeer, DetectedWithinDpdDelayAndRetransmissions) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  IkeCapture capture(sim.network());
  ConnectionOptions a = v1(ike::StartAction::Start);
  a.dpd_delay = 30s;
  ConnectionOptions b = a;
  b.start_action = ike::StartAction::None;
  const ike::EngineOptions options = default_engine_options();
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b),
                            options);
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  add_traffic(sim, g, 100ms, sim.now());
  sim.run_for(65s);  // R-U-THERE / R-U-THERE-ACK exchanges succeed first
  EXPECT_EQ(g.a->count_events(ike::EventType::PeerDead), 0u) << event_log(g);
  EXPECT_EQ(g.b->count_events(ike::EventType::PeerDead), 0u);
  EXPECT_GE(capture.count_v1_from(site_a().gateway, kInformational), 1u) << "no DPD exchange before the cut";
  EXPECT_GE(capture.count_v1_from(site_b().gateway, kInformational), 1u) << "no DPD exchange before the cut";
  EXPECT_EQ(g.a->data_plane().sad().size(), 2u);

  const TimePoint cut = sim.now();
  sim.network().set_path(site_a().gateway, site_b().gateway, LinkConditions{1.0, 0.0, 5ms, 0ms});
  // The last message may have arrived just before the cut; the check starts at most dpd_delay
  // later and gives up after one retransmission schedule (plus link delay slack).
  const Duration bound = a.dpd_delay + retransmission_budget(options) + 1s;
  ASSERT_TRUE(sim.run_until(
      [&] {
        return g.a->count_events(ike::EventType::PeerDead) > 0 &&
               g.b->count_events(ike::EventType::PeerDead) > 0;
      },
      cut + bound))
      << "no PeerDead within " << std::chrono::duration<double>(bound).count() << " s\n"
      << event_log(g);
  sim.run_for(options.old_sa_grace + 1s);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    auto dead = node->first_event(ike::EventType::PeerDead);
    ASSERT_TRUE(dead.has_value());
    EXPECT_GE(dead->at, cut);
    EXPECT_LE(dead->at - cut, bound);
    EXPECT_EQ(node->data_plane().sad().size(), 0u) << "CHILD SAs still installed\n" << event_log(*node);
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 0u);
    EXPECT_TRUE(node->binding_errors().empty()) << event_log(*node);
  }
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1DeadPeer, ::testing::Values(251u, 252u), seed_name);

// --- restart: INITIAL-CONTACT -------------------------------------------------------------------

class Ikev1Restart : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Ikev1Restart, InitialContactClearsStaleSas) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  // B initiates (and will again after its restart); A only responds.
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), v1()),
                            psk_connection(site_b(), site_a(), v1(ike::StartAction::Start)));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  FlowPair flows = add_traffic(sim, g, 100ms, sim.now());
  sim.run_for(20s);
  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.no_sa(), 0u);
    EXPECT_GE(c.delivered + 1, c.sent) << "flow " << f;  // the last one may still be on the wire
  }

  g.b->restart(sim.derive_seed(99), sim.now());
  EXPECT_EQ(g.b->data_plane().sad().size(), 0u);
  ASSERT_TRUE(sim.run_for(
      [&] {
        return g.a->count_events(ike::EventType::ChildSaEstablished) >= 2 &&
               g.b->count_events(ike::EventType::ChildSaEstablished) >= 2;
      },
      10s))
      << event_log(g);
  sim.run_for(5s);  // grace periods of anything removed

  EXPECT_GE(g.a->count_events(ike::EventType::InitialContact), 1u) << event_log(g);
  EXPECT_EQ(g.a->ike_sas(kConnection, sim.now()).size(), 1u) << event_log(g);
  EXPECT_EQ(g.a->child_sas(kConnection, kChild, sim.now()), 1u);
  EXPECT_EQ(g.a->data_plane().sad().size(), 2u) << "stale CHILD SAs left in A's data plane\n" << event_log(g);
  EXPECT_EQ(g.b->ike_sas(kConnection, sim.now()).size(), 1u);
  EXPECT_EQ(g.b->data_plane().sad().size(), 2u);
  EXPECT_EQ(g.a->ike_sas(kConnection, sim.now()).at(0).version, 1);
  EXPECT_TRUE(g.a->binding_errors().empty()) << event_log(g);
  EXPECT_TRUE(g.b->binding_errors().empty()) << event_log(g);
  expect_sas_match(g, sim.now());

  sim.traffic().reset_counters();
  const NodeCounters a_before = g.a->counters();
  const NodeCounters b_before = g.b->counters();
  sim.run_for(10s);
  sim.traffic().stop_all();
  sim.run_for(1s);
  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.sent, 100u);
    EXPECT_EQ(c.delivered, c.sent);
    EXPECT_EQ(c.no_sa(), 0u);
  }
  EXPECT_EQ(g.a->counters().inbound_drops.total(), a_before.inbound_drops.total());
  EXPECT_EQ(g.b->counters().inbound_drops.total(), b_before.inbound_drops.total());
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1Restart, ::testing::Values(261u, 262u), seed_name);

// --- Delete ---------------------------------------------------------------------------------------

// `down` on one side sends Delete payloads: the peer removes the CHILD SAs too (ChildSaDeleted) and
// both data planes end up empty. Parameter: whether the initiator (A) or the responder (B) goes down.
class Ikev1Delete : public ::testing::TestWithParam<bool> {};

TEST_P(Ikev1Delete, DownRemovesChildSasOnBothSides) {
  const bool initiator_down = GetParam();
  const std::uint64_t seed = initiator_down ? 271 : 272;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  IkeCapture capture(sim.network());
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), v1(ike::StartAction::Start)),
                            psk_connection(site_b(), site_a(), v1()));
  ASSERT_TRUE(establish(sim, g)) << event_log(g);
  FlowPair flows = add_traffic(sim, g, 100ms, sim.now());
  sim.run_for(5s);
  sim.traffic().stop_all();
  sim.run_for(1s);
  EXPECT_EQ(sim.traffic().counters(flows.a_to_b).delivered, sim.traffic().counters(flows.a_to_b).sent);
  EXPECT_EQ(sim.traffic().counters(flows.b_to_a).delivered, sim.traffic().counters(flows.b_to_a).sent);

  Node& downer = initiator_down ? *g.a : *g.b;
  Node& peer = initiator_down ? *g.b : *g.a;
  const std::size_t informational_before = capture.count_v1_from(downer.address(), kInformational);
  ASSERT_TRUE(downer.engine().down(kConnection, sim.now()));
  downer.drain(sim.now());
  sim.run_for(default_engine_options().old_sa_grace + 3s);

  // The Delete went out in an Informational exchange.
  EXPECT_GT(capture.count_v1_from(downer.address(), kInformational), informational_before);
  EXPECT_GE(peer.count_events(ike::EventType::ChildSaDeleted), 1u) << event_log(g);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->data_plane().sad().size(), 0u) << event_log(g);
    EXPECT_EQ(node->child_sas(kConnection, kChild, sim.now()), 0u) << event_log(g);
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 0u) << event_log(g);
    EXPECT_TRUE(node->binding_errors().empty()) << event_log(g);
    EXPECT_EQ(node->count_events(ike::EventType::RetransmitGaveUp), 0u) << event_log(g);
  }
}

INSTANTIATE_TEST_SUITE_P(ikev1, Ikev1Delete, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& case_info) {
                           return std::string(case_info.param ? "initiator" : "responder");
                         });

}  // namespace
}  // namespace cygnet::sim
