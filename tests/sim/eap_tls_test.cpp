// EAP-TLS road warrior on a Cygnet gateway (issue 14), Cygnet on both ends over a lossy,
// duplicating link: A authenticates with its certificate through EAP-TLS inside IKE_AUTH, B proves
// itself with its IKE certificate. A's certificate names a CRL distribution point, so B parks the
// last EAP round until the test, playing the CRL server, answers: a good certificate gets its
// IKE and CHILD SAs with the certificate subject as EAP identity; a revoked one is refused with
// AUTHENTICATION_FAILED and a log line naming the revocation, and nothing is installed.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "crypto/revocation.hpp"
#include "sim/scenario.hpp"
#include "sim/virtual_clock.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCrlUri = "http://203.0.113.80/clients.crl";

struct EapTlsCase {
  bool revoked;
  std::uint64_t seed;
};

class EapTlsRoadWarrior : public ::testing::TestWithParam<EapTlsCase> {};

TEST_P(EapTlsRoadWarrior, ClientCertificateCheckedWithRevocationLikeAnIkeCertificate) {
  const EapTlsCase p = GetParam();
  SCOPED_TRACE("seed " + std::to_string(p.seed));
  Simulation sim(p.seed);
  sim.network().set_default_link(LinkConditions{0.1, 0.1, 10ms, 5ms});
  ike::EngineOptions options = default_engine_options();
  options.retransmit_tries = 8;

  const CertificateAuthority ca = make_ca(crypto::KeyType::EcdsaP256, "Sim EAP-TLS CA");
  Credentials client;
  auto client_key =
      std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256));
  crypto::CertificateSpec spec;
  spec.common_name = "carol.example";
  spec.dns_names = {"carol.example"};
  spec.not_before = wall_origin() - std::chrono::hours(24 * 30);
  spec.not_after = wall_origin() + std::chrono::hours(24 * 30);
  spec.crl_uris = {kCrlUri};
  client.certificate = crypto::issue_certificate(spec, client_key->public_key(), *ca.key, &*ca.certificate);
  client.key = client_key;
  client.fqdn = "carol.example";
  const Credentials gateway = make_leaf(ca, crypto::KeyType::EcdsaP256, "gw.example");

  ConnectionOptions o;
  ConnectionOptions r = o;
  o.start_action = ike::StartAction::Start;
  ike::ConnectionSettings a = cert_connection(site_a(), site_b(), client, "gw.example", ca, o);
  a.local_auth = ike::AuthMethod::EapTls;
  a.remote_auth = ike::AuthMethod::PublicKey;
  a.eap_identity = "carol.example";
  ike::ConnectionSettings b = cert_connection(site_b(), site_a(), gateway, "carol.example", ca, r);
  b.local_auth = ike::AuthMethod::PublicKey;
  b.remote_auth = ike::AuthMethod::EapTls;
  Gateways g = add_gateways(sim, a, b, options);

  ASSERT_TRUE(sim.run_for([&] { return !g.b->fetches().empty(); }, 60s)) << event_log(g);
  const ike::FetchRevocation fetch = g.b->fetches().front();
  EXPECT_EQ(fetch.crl_uris, std::vector<std::string>{kCrlUri});
  EXPECT_NE(fetch.certificate.find("CN=carol.example"), std::string::npos) << fetch.certificate;
  sim.run_for(2s);  // the CRL server takes its time; A retransmits its last EAP round meanwhile
  EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaEstablished), 0u);

  crypto::CrlSpec crl;
  crl.this_update = wall_origin() - 1h;
  crl.next_update = wall_origin() + 24h;
  if (p.revoked) crl.revoked.push_back({*client.certificate, wall_origin() - 2h});
  ike::RevocationData data;
  data.documents.push_back(
      {kCrlUri, ike::RevocationData::Kind::Crl, crypto::issue_crl(crl, *ca.certificate, *ca.key).der()});
  g.b->engine().on_revocation_data(fetch.request, data, sim.now());
  g.b->drain(sim.now());

  if (!p.revoked) {
    ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 2 * retransmission_budget(options)))
        << event_log(g);
    sim.run_for(5s);
    for (const Node* node : {g.a, g.b}) {
      SCOPED_TRACE(node->name());
      EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 1u) << event_log(g);
      EXPECT_EQ(node->child_sas(kConnection, kChild, sim.now()), 1u);
      EXPECT_EQ(node->count_events(ike::EventType::AuthenticationFailed), 0u) << event_log(g);
      EXPECT_TRUE(node->binding_errors().empty()) << event_log(*node);
    }
    // `cygnetctl status` on the gateway: the client's certificate subject as its EAP identity.
    const auto sas = g.b->ike_sas(kConnection, sim.now());
    ASSERT_EQ(sas.size(), 1u);
    EXPECT_NE(sas.front().eap_identity.find("CN=carol.example"), std::string::npos)
        << sas.front().eap_identity;
  } else {
    ASSERT_TRUE(sim.run_for([&] { return g.b->count_events(ike::EventType::AuthenticationFailed) > 0; }, 5s))
        << event_log(g);
    sim.run_for(30s);
    const auto failures = g.b->events_of(ike::EventType::AuthenticationFailed);
    ASSERT_EQ(failures.size(), 1u) << event_log(g);
    EXPECT_NE(failures[0].event.detail.find("revoked at"), std::string::npos) << failures[0].event.detail;
    EXPECT_NE(failures[0].event.detail.find(kCrlUri), std::string::npos) << failures[0].event.detail;
    // A hears AUTHENTICATION_FAILED unless the link loses that one response (the gateway has
    // dropped the SA with it); either way A never gets an SA.
    for (const Node* node : {g.a, g.b}) {
      SCOPED_TRACE(node->name());
      EXPECT_EQ(node->count_events(ike::EventType::IkeSaEstablished), 0u) << event_log(g);
      EXPECT_EQ(node->data_plane().sad().size(), 0u);
    }
  }
  EXPECT_EQ(g.b->fetches().size(), 1u);
  EXPECT_EQ(g.b->engine().counters().revocation_parked, 1u);
}

INSTANTIATE_TEST_SUITE_P(GoodAndRevoked, EapTlsRoadWarrior,
                         ::testing::Values(EapTlsCase{false, 51}, EapTlsCase{true, 52}, EapTlsCase{false, 53},
                                           EapTlsCase{true, 54}),
                         [](const ::testing::TestParamInfo<EapTlsCase>& case_info) {
                           return std::string(case_info.param.revoked ? "revoked" : "good") + "_seed" +
                                  std::to_string(case_info.param.seed);
                         });

}  // namespace
}  // namespace cygnet::sim
