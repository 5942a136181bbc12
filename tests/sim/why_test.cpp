// `cygnetctl why`: each failure class produced in the simulator, its report checked field by
// field and its rendering word for word — proposals (each role; IKE and ESP), traffic selectors,
// identities, certificates, PSK vs. method mismatch, and timeouts with and without an answer.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "ike/failure_report.hpp"
#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;
using ike::FailureClass;
using ike::FailureRole;

std::string rendered(const ike::FailureReport& r, TimePoint now) {
  std::string out;
  for (const std::string& line : ike::render_failure(r, now)) out += line + "\n";
  return out;
}

ike::FailureReport last_failure(const Node& node) {
  auto r = node.engine().last_failure(kConnection);
  if (!r) throw std::runtime_error(node.name() + " recorded no failure");
  return *r;
}

Gateways psk_pair(Simulation& sim, ConnectionOptions a, ConnectionOptions b) {
  a.start_action = ike::StartAction::Start;
  return add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
}

TEST(Why, IkeProposalMismatchResponderNamesTheTransformTypeAndTheFix) {
  Simulation sim(201);
  ConnectionOptions a;
  a.ike_proposal = "aes256gcm16-prfsha256-ecp384";
  ConnectionOptions b;
  b.ike_proposal = "aes256gcm16-prfsha256-x25519";
  Gateways g = psk_pair(sim, a, b);
  sim.run_for(3s);
  const ike::FailureReport r = last_failure(*g.b);
  EXPECT_EQ(r.kind, FailureClass::Proposal);
  EXPECT_EQ(r.role, FailureRole::Responder);
  EXPECT_EQ(r.exchange, "IKE_SA_INIT");
  EXPECT_EQ(r.theirs, std::vector<std::string>{"aes256gcm16-prfsha256-ecp384"});
  EXPECT_EQ(r.ours, std::vector<std::string>{"aes256gcm16-prfsha256-x25519"});
  EXPECT_EQ(rendered(r, sim.now()), "WHY-B1");
}

TEST(Why, IkeProposalMismatchInitiatorReportsTheNotifyAndItsOffer) {
  Simulation sim(202);
  ConnectionOptions a;
  a.ike_proposal = "aes256gcm16-prfsha256-ecp384";
  ConnectionOptions b;
  b.ike_proposal = "aes256gcm16-prfsha256-x25519";
  Gateways g = psk_pair(sim, a, b);
  sim.run_for(3s);
  const ike::FailureReport r = last_failure(*g.a);
  EXPECT_EQ(r.kind, FailureClass::Proposal);
  EXPECT_EQ(r.role, FailureRole::Initiator);
  EXPECT_TRUE(r.theirs.empty());
  EXPECT_EQ(rendered(r, sim.now()), "WHY-A1");
}

TEST(Why, EspProposalMismatchInBothRoles) {
  Simulation sim(203);
  ConnectionOptions a;
  a.esp_proposal = "aes128-sha256";
  ConnectionOptions b;
  b.esp_proposal = "aes256gcm16";
  Gateways g = psk_pair(sim, a, b);
  sim.run_for(3s);
  const ike::FailureReport rb = last_failure(*g.b);
  EXPECT_EQ(rb.kind, FailureClass::Proposal);
  EXPECT_EQ(rb.child, kChild);
  EXPECT_EQ(rendered(rb, sim.now()), "WHY-B2");
  const ike::FailureReport ra = last_failure(*g.a);
  EXPECT_EQ(ra.kind, FailureClass::Proposal);
  EXPECT_EQ(rendered(ra, sim.now()), "WHY-A2");
}

TEST(Why, TrafficSelectorMismatchShowsBothSidesAndTheNarrowingThatWouldWork) {
  Simulation sim(204);
  ConnectionOptions a;
  a.start_action = ike::StartAction::Start;
  ike::ConnectionSettings b = psk_connection(site_b(), site_a(), ConnectionOptions{});
  b.children.front().remote_ts = {*wire::IpPrefix::parse("192.0.2.128/26")};
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), b);
  sim.run_for(3s);
  const ike::FailureReport rb = last_failure(*g.b);
  EXPECT_EQ(rb.kind, FailureClass::TrafficSelectors);
  EXPECT_EQ(rendered(rb, sim.now()), "WHY-B3");
  const ike::FailureReport ra = last_failure(*g.a);
  EXPECT_EQ(ra.kind, FailureClass::TrafficSelectors);
  EXPECT_EQ(rendered(ra, sim.now()), "WHY-A3");
}

TEST(Why, IdentityMismatchShowsExpectedAndReceived) {
  Simulation sim(205);
  ConnectionOptions a;
  a.start_action = ike::StartAction::Start;
  ike::ConnectionSettings b = psk_connection(site_b(), site_a(), ConnectionOptions{});
  b.remote_id = *ike::Identity::parse("gw-a.example.com");
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), b);
  sim.run_for(3s);
  const ike::FailureReport rb = last_failure(*g.b);
  EXPECT_EQ(rb.kind, FailureClass::Identity);
  EXPECT_EQ(rendered(rb, sim.now()), "WHY-B4");
  const ike::FailureReport ra = last_failure(*g.a);
  EXPECT_EQ(ra.kind, FailureClass::Authentication);
  EXPECT_EQ(rendered(ra, sim.now()), "WHY-A4");
}

TEST(Why, PskMismatchIsTold) {
  Simulation sim(206);
  ConnectionOptions a;
  a.psk = "the initiator's secret";
  ConnectionOptions b;
  b.psk = "a different secret";
  Gateways g = psk_pair(sim, a, b);
  sim.run_for(3s);
  const ike::FailureReport rb = last_failure(*g.b);
  EXPECT_EQ(rb.kind, FailureClass::Authentication);
  EXPECT_EQ(rendered(rb, sim.now()), "WHY-B5");
  const ike::FailureReport ra = last_failure(*g.a);
  EXPECT_EQ(rendered(ra, sim.now()), "WHY-A5");
}

TEST(Why, AuthMethodMismatchIsToldApartFromAPskMismatch) {
  Simulation sim(207);
  static const CertificateAuthority ca = make_ca(crypto::KeyType::EcdsaP256, "Cygnet Sim CA");
  static const Credentials a_creds = make_leaf(ca, crypto::KeyType::EcdsaP256, "gw-a.example.com");
  ConnectionOptions a;
  a.start_action = ike::StartAction::Start;
  ike::ConnectionSettings b = psk_connection(site_b(), site_a(), ConnectionOptions{});
  b.remote_id = *ike::Identity::parse("gw-a.example.com");
  Gateways g = add_gateways(sim, cert_connection(site_a(), site_b(), a_creds, "192.0.2.2", ca, a), b);
  sim.run_for(3s);
  const ike::FailureReport rb = last_failure(*g.b);
  EXPECT_EQ(rb.kind, FailureClass::Authentication);
  EXPECT_EQ(rendered(rb, sim.now()), "WHY-B6");
}

TEST(Why, UntrustedAndExpiredCertificatesNameTheFailingCheck) {
  for (const bool expired : {false, true}) {
    SCOPED_TRACE(expired ? "expired" : "untrusted");
    Simulation sim(expired ? 208 : 209);
    static const CertificateAuthority ca = make_ca(crypto::KeyType::EcdsaP256, "Cygnet Sim CA");
    static const CertificateAuthority rogue = make_ca(crypto::KeyType::EcdsaP256, "Someone Else's CA");
    static const Credentials good_b = make_leaf(ca, crypto::KeyType::EcdsaP256, "gw-b.example.com");
    const Credentials bad_a = expired ? make_leaf(ca, crypto::KeyType::EcdsaP256, "gw-a.example.com", true)
                                      : make_leaf(rogue, crypto::KeyType::EcdsaP256, "gw-a.example.com");
    ConnectionOptions a;
    a.start_action = ike::StartAction::Start;
    Gateways g = add_gateways(sim, cert_connection(site_a(), site_b(), bad_a, good_b.fqdn, ca, a),
                              cert_connection(site_b(), site_a(), good_b, "gw-a.example.com", ca, ConnectionOptions{}));
    sim.run_for(3s);
    const ike::FailureReport rb = last_failure(*g.b);
    EXPECT_EQ(rb.kind, FailureClass::Certificate);
    EXPECT_EQ(rendered(rb, sim.now()), expired ? "WHY-B7e" : "WHY-B7u");
  }
}

TEST(Why, TimeoutWithNothingReceived) {
  Simulation sim(210);
  sim.network().set_path(site_a().gateway, site_b().gateway, LinkConditions{.loss = 1.0});
  ConnectionOptions a;
  Gateways g = psk_pair(sim, a, ConnectionOptions{});
  sim.run_for(retransmission_budget(default_engine_options()) + 5s);
  const ike::FailureReport r = last_failure(*g.a);
  EXPECT_EQ(r.kind, FailureClass::Timeout);
  EXPECT_EQ(r.received_anything, false);
  EXPECT_EQ(r.retransmissions, default_engine_options().retransmit_tries);
  EXPECT_EQ(rendered(r, sim.now()), "WHY-A8");
  EXPECT_FALSE(g.b->engine().last_failure(kConnection).has_value());
}

TEST(Why, TimeoutAfterIkeSaInitWasAnswered) {
  Simulation sim(211);
  Gateways g = psk_pair(sim, ConnectionOptions{}, ConnectionOptions{});
  sim.run_for(7ms);  // the IKE_SA_INIT response is on its way; IKE_AUTH will not arrive
  sim.network().set_path(site_a().gateway, site_b().gateway, LinkConditions{.loss = 1.0});
  sim.run_for(retransmission_budget(default_engine_options()) + 5s);
  const ike::FailureReport r = last_failure(*g.a);
  EXPECT_EQ(r.kind, FailureClass::Timeout);
  EXPECT_EQ(r.received_anything, true);
  EXPECT_EQ(r.exchange, "IKE_AUTH");
  EXPECT_EQ(rendered(r, sim.now()), "WHY-A9");
}

TEST(Why, ReportOutlivesTheConnectionComingUp) {
  Simulation sim(212);
  Gateways g = psk_pair(sim, ConnectionOptions{}, ConnectionOptions{});
  sim.run_for(3s);
  ASSERT_TRUE(child_up_on_both(g)) << event_log(g);
  EXPECT_FALSE(g.a->engine().last_failure(kConnection).has_value());
  EXPECT_FALSE(g.a->engine().last_failure("unknown").has_value());
}

}  // namespace
}  // namespace cygnet::sim
