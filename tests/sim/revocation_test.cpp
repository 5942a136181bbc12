// Revocation over a lossy, duplicating link, IKEv2 and IKEv1: B checks A's certificate (it names a
// CRL distribution point), so B parks A's IKE_AUTH request / MM5 and emits FetchRevocation; the
// test plays the CRL server and answers after two seconds of simulated time. Meanwhile A's
// retransmissions (and the link's duplicates) reach B and are dropped; after the answer B
// answers once and the negotiation ends as the CRL says: one IKE SA and its CHILD SA on both
// sides for a good certificate, AUTHENTICATION_FAILED naming the revocation for a revoked one.
#include "crypto/revocation.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "sim/scenario.hpp"
#include "sim/virtual_clock.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCrlUri = "http://203.0.113.80/ca.crl";

struct RevocationCase {
  int ike_version;
  bool revoked;
  std::uint64_t seed;
};

class ParkedOverALossyLink : public ::testing::TestWithParam<RevocationCase> {};

TEST_P(ParkedOverALossyLink, OneAnswerAfterTheFetchAsTheCrlSays) {
  const RevocationCase p = GetParam();
  SCOPED_TRACE("seed " + std::to_string(p.seed));
  Simulation sim(p.seed);
  sim.network().set_default_link(LinkConditions{0.2, 0.2, 10ms, 5ms});
  ike::EngineOptions options = default_engine_options();
  options.retransmit_tries = 8;

  const CertificateAuthority ca = make_ca(crypto::KeyType::EcdsaP256, "Sim Revocation CA");
  // A's certificate names the CRL; B's names nothing (A checks B without fetching under ifuri).
  Credentials a_cred;
  auto a_key = std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256));
  crypto::CertificateSpec spec;
  spec.common_name = "a.example";
  spec.dns_names = {"a.example"};
  spec.not_before = wall_origin() - std::chrono::hours(24 * 30);
  spec.not_after = wall_origin() + std::chrono::hours(24 * 30);
  spec.crl_uris = {kCrlUri};
  a_cred.certificate = crypto::issue_certificate(spec, a_key->public_key(), *ca.key, &*ca.certificate);
  a_cred.key = a_key;
  a_cred.fqdn = "a.example";
  const Credentials b_cred = make_leaf(ca, crypto::KeyType::EcdsaP256, "b.example");

  ConnectionOptions o;
  o.ike_version = p.ike_version;
  if (p.ike_version == 1) o.ike_proposal = "aes256-sha256-modp2048";
  ConnectionOptions r = o;
  o.start_action = ike::StartAction::Start;
  Gateways g = add_gateways(sim, cert_connection(site_a(), site_b(), a_cred, "b.example", ca, o),
                            cert_connection(site_b(), site_a(), b_cred, "a.example", ca, r), options);

  ASSERT_TRUE(sim.run_for([&] { return !g.b->fetches().empty(); }, 30s)) << event_log(g);
  const ike::FetchRevocation fetch = g.b->fetches().front();
  EXPECT_EQ(fetch.crl_uris, std::vector<std::string>{kCrlUri});
  EXPECT_NE(fetch.certificate.find("CN=a.example"), std::string::npos) << fetch.certificate;

  sim.run_for(2s);  // the CRL server takes its time; A retransmits meanwhile
  EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaEstablished), 0u);
  EXPECT_EQ(g.b->count_events(ike::EventType::AuthenticationFailed), 0u);

  crypto::CrlSpec crl;
  crl.this_update = wall_origin() - 1h;
  crl.next_update = wall_origin() + 24h;
  if (p.revoked) crl.revoked.push_back({*a_cred.certificate, wall_origin() - 2h});
  ike::RevocationData data;
  data.documents.push_back(
      {kCrlUri, ike::RevocationData::Kind::Crl, crypto::issue_crl(crl, *ca.certificate, *ca.key).der()});
  g.b->engine().on_revocation_data(fetch.request, data, sim.now());
  g.b->drain(sim.now());

  if (!p.revoked) {
    ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 2 * retransmission_budget(options)))
        << event_log(g);
    sim.run_for(5s);  // late retransmissions and duplicates arrive
    for (const Node* node : {g.a, g.b}) {
      SCOPED_TRACE(node->name());
      EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 1u) << event_log(g);
      EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 1u);
      EXPECT_EQ(node->child_sas(kConnection, kChild, sim.now()), 1u);
      EXPECT_EQ(node->count_events(ike::EventType::AuthenticationFailed), 0u) << event_log(g);
      EXPECT_TRUE(node->binding_errors().empty()) << event_log(*node);
    }
  } else {
    ASSERT_TRUE(sim.run_for([&] { return g.b->count_events(ike::EventType::AuthenticationFailed) > 0; }, 5s))
        << event_log(g);
    sim.run_for(30s);
    const auto failures = g.b->events_of(ike::EventType::AuthenticationFailed);
    ASSERT_EQ(failures.size(), 1u) << event_log(g);
    EXPECT_NE(failures[0].event.detail.find("revoked at"), std::string::npos) << failures[0].event.detail;
    EXPECT_NE(failures[0].event.detail.find(kCrlUri), std::string::npos) << failures[0].event.detail;
    for (const Node* node : {g.a, g.b}) {
      SCOPED_TRACE(node->name());
      EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 0u) << event_log(g);
      EXPECT_EQ(node->data_plane().sad().size(), 0u);
    }
  }
  EXPECT_EQ(g.b->fetches().size(), 1u);
  EXPECT_EQ(g.b->engine().counters().revocation_parked, 1u);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, ParkedOverALossyLink,
                         ::testing::Values(RevocationCase{2, false, 41}, RevocationCase{2, true, 42},
                                           RevocationCase{2, false, 43}, RevocationCase{1, false, 44},
                                           RevocationCase{1, true, 45}, RevocationCase{1, false, 46}),
                         [](const ::testing::TestParamInfo<RevocationCase>& case_info) {
                           return "IKEv" + std::to_string(case_info.param.ike_version) +
                                  (case_info.param.revoked ? "_revoked" : "_good") + "_seed" +
                                  std::to_string(case_info.param.seed);
                         });

}  // namespace
}  // namespace cygnet::sim
