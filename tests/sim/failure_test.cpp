// Scenarios 7–9: negotiations that must fail, say why, and leave nothing installed — proposals
// without a common algorithm, a wrong PSK, an expired or untrusted certificate.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

void expect_nothing_installed(const Gateways& g) {
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->data_plane().sad().size(), 0u) << event_log(g);
    EXPECT_EQ(node->count_events(ike::EventType::ChildSaEstablished), 0u) << event_log(g);
    EXPECT_TRUE(node->binding_errors().empty()) << event_log(g);
  }
}

std::string details(const Node& node, ike::EventType type) {
  std::string all;
  for (const RecordedEvent& e : node.events_of(type)) all += e.event.detail + " | ";
  return all;
}

TEST(ProposalMismatch, IkeSaInitNamesBothSidesAlgorithms) {
  SCOPED_TRACE("seed 71");
  Simulation sim(71);
  ConnectionOptions a;
  a.ike_proposal = "aes128-sha256-modp2048";
  a.start_action = ike::StartAction::Start;
  ConnectionOptions b;
  b.ike_proposal = "aes256gcm16-prfsha256-x25519";
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  sim.run_for(20s);
  ASSERT_GE(g.b->count_events(ike::EventType::NoProposalChosen), 1u) << event_log(g);
  const std::string detail = details(*g.b, ike::EventType::NoProposalChosen);
  for (const char* word : {"aes128", "modp2048", "aes256gcm16", "x25519"}) {
    EXPECT_TRUE(contains_nocase(detail, word)) << "'" << word << "' missing from: " << detail;
  }
  // The initiator hears NO_PROPOSAL_CHOSEN and says so too.
  EXPECT_GE(g.a->count_events(ike::EventType::NoProposalChosen), 1u) << event_log(g);
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaEstablished), 0u);
  EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaEstablished), 0u);
  EXPECT_EQ(g.b->engine().counters().no_proposal_chosen, 1u);
  expect_nothing_installed(g);
}

TEST(ProposalMismatch, ChildSaNamesBothSidesAlgorithms) {
  SCOPED_TRACE("seed 72");
  Simulation sim(72);
  ConnectionOptions a;
  a.esp_proposal = "aes128-sha256";
  a.start_action = ike::StartAction::Start;
  ConnectionOptions b;
  b.esp_proposal = "aes256gcm16";
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  sim.run_for(20s);
  ASSERT_GE(g.b->count_events(ike::EventType::NoProposalChosen), 1u) << event_log(g);
  const std::string detail = details(*g.b, ike::EventType::NoProposalChosen);
  for (const char* word : {"aes128", "sha256", "aes256gcm16"}) {
    EXPECT_TRUE(contains_nocase(detail, word)) << "'" << word << "' missing from: " << detail;
  }
  EXPECT_GE(g.a->count_events(ike::EventType::NoProposalChosen), 1u) << event_log(g);
  expect_nothing_installed(g);
}

TEST(WrongPsk, ResponderReportsAuthenticationFailedAndNothingIsInstalled) {
  SCOPED_TRACE("seed 81");
  Simulation sim(81);
  ConnectionOptions a;
  a.psk = "the initiator's secret";
  a.start_action = ike::StartAction::Start;
  ConnectionOptions b;
  b.psk = "a different secret";
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  sim.run_for(20s);
  EXPECT_GE(g.b->count_events(ike::EventType::AuthenticationFailed), 1u) << event_log(g);
  EXPECT_EQ(g.b->engine().counters().authentication_failures, 1u);
  // RFC 7296 §2.21.2: the initiator receives AUTHENTICATION_FAILED in the IKE_AUTH response.
  EXPECT_GE(g.a->count_events(ike::EventType::AuthenticationFailed), 1u) << event_log(g);
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaEstablished), 0u);
  EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaEstablished), 0u);
  EXPECT_EQ(g.a->ike_sas(kConnection, sim.now()).size(), 0u);
  EXPECT_EQ(g.b->ike_sas(kConnection, sim.now()).size(), 0u);
  expect_nothing_installed(g);
}

// --- certificates ------------------------------------------------------------------------------

enum class Problem { Expired, Untrusted };
enum class Holder { Initiator, Responder };  // whose certificate is bad

struct CertCase {
  Problem problem;
  Holder holder;
};

class BadCertificate : public ::testing::TestWithParam<CertCase> {};

TEST_P(BadCertificate, AuthenticationFailedSaysWhy) {
  const CertCase p = GetParam();
  const std::uint64_t seed = 90 + 2 * static_cast<std::uint64_t>(p.problem) + static_cast<std::uint64_t>(p.holder);
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  static const CertificateAuthority ca = make_ca(crypto::KeyType::EcdsaP256, "Cygnet Sim CA");
  static const CertificateAuthority rogue = make_ca(crypto::KeyType::EcdsaP256, "Someone Else's CA");
  static const Credentials good_a = make_leaf(ca, crypto::KeyType::EcdsaP256, "gw-a.example.com");
  static const Credentials good_b = make_leaf(ca, crypto::KeyType::EcdsaP256, "gw-b.example.com");
  auto bad = [&](std::string_view fqdn) {
    return p.problem == Problem::Expired ? make_leaf(ca, crypto::KeyType::EcdsaP256, fqdn, true)
                                         : make_leaf(rogue, crypto::KeyType::EcdsaP256, fqdn);
  };
  const Credentials a_creds = p.holder == Holder::Initiator ? bad(good_a.fqdn) : good_a;
  const Credentials b_creds = p.holder == Holder::Responder ? bad(good_b.fqdn) : good_b;
  ConnectionOptions a;
  a.start_action = ike::StartAction::Start;
  ConnectionOptions b;
  Gateways g = add_gateways(sim, cert_connection(site_a(), site_b(), a_creds, good_b.fqdn, ca, a),
                            cert_connection(site_b(), site_a(), b_creds, good_a.fqdn, ca, b));
  sim.run_for(20s);
  // The side that checks the bad certificate reports it, with the validator's reason.
  const Node& checker = p.holder == Holder::Initiator ? *g.b : *g.a;
  ASSERT_GE(checker.count_events(ike::EventType::AuthenticationFailed), 1u) << event_log(g);
  const std::string detail = details(checker, ike::EventType::AuthenticationFailed);
  if (p.problem == Problem::Expired) {
    EXPECT_TRUE(contains_nocase(detail, "expired")) << detail;
  } else {
    EXPECT_TRUE(contains_nocase(detail, "issuer") || contains_nocase(detail, "trust")) << detail;
  }
  // The initiator never considers an IKE SA with a rejected (or rejecting) peer established.
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaEstablished), 0u) << event_log(g);
  EXPECT_EQ(g.a->count_events(ike::EventType::ChildSaEstablished), 0u);
  if (p.holder == Holder::Initiator) {
    EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaEstablished), 0u);
  }
  // When the initiator rejects the responder (after the responder already installed its CHILD
  // SA), it tells the responder (RFC 7296 §2.21.2), which removes everything again.
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->data_plane().sad().size(), 0u) << event_log(g);
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 0u) << event_log(g);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, BadCertificate,
                         ::testing::Values(CertCase{Problem::Expired, Holder::Initiator},
                                           CertCase{Problem::Untrusted, Holder::Initiator},
                                           CertCase{Problem::Expired, Holder::Responder},
                                           CertCase{Problem::Untrusted, Holder::Responder}),
                         [](const ::testing::TestParamInfo<CertCase>& case_info) {
                           return std::string(case_info.param.problem == Problem::Expired ? "expired" : "untrusted") +
                                  (case_info.param.holder == Holder::Initiator ? "_initiator" : "_responder");
                         });

}  // namespace
}  // namespace cygnet::sim
