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
  EXPECT_EQ(rendered(r, sim.now()),
            "proposal failure as responder in IKEv2 IKE_SA_INIT with 192.0.2.1[500], 2 s ago\n"
            "  none of the peer's IKE proposals is acceptable: no common key exchange group\n"
            "  ours:       IKE proposals aes256gcm16-prfsha256-x25519\n"
            "  theirs:     IKE proposals aes256gcm16-prfsha256-ecp384\n"
            "  nearest:    peer's aes256gcm16-prfsha256-ecp384 and our aes256gcm16-prfsha256-x25519 differ "
            "in the key exchange group\n"
            "  fix:        peer offers key exchange groups ecp384 only; we offer x25519 — add ecp384 to "
            "ike_proposals to agree\n");
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
  EXPECT_EQ(rendered(r, sim.now()),
            "proposal failure as initiator in IKEv2 IKE_SA_INIT with 192.0.2.2[500], 2 s ago\n"
            "  the responder accepted none of our IKE proposals (NO_PROPOSAL_CHOSEN)\n"
            "  ours:       IKE proposals aes256gcm16-prfsha256-ecp384\n"
            "  theirs:     not shown by the peer\n"
            "  fix:        the responder accepts none of our ike_proposals; add one of its proposals (its "
            "`cygnetctl why` or log names them)\n");
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
  EXPECT_EQ(rendered(rb, sim.now()),
            "proposal failure as responder in IKEv2 IKE_AUTH with 192.0.2.1[500], 2 s ago\n"
            "  none of the peer's ESP proposals is acceptable: no common encryption algorithm\n"
            "  child:      net\n"
            "  ours:       ESP proposals aes256gcm16-noesn\n"
            "  theirs:     ESP proposals aes128-sha256-noesn\n"
            "  nearest:    peer's aes128-sha256-noesn and our aes256gcm16-noesn differ in the encryption "
            "algorithm\n"
            "  fix:        peer offers encryption algorithms aes128 only; we offer aes256gcm16 — add aes128 "
            "to esp_proposals to agree\n");
  const ike::FailureReport ra = last_failure(*g.a);
  EXPECT_EQ(ra.kind, FailureClass::Proposal);
  EXPECT_EQ(rendered(ra, sim.now()),
            "proposal failure as initiator in IKEv2 IKE_AUTH with 192.0.2.2[500], 2 s ago\n"
            "  the responder accepted none of our ESP proposals (NO_PROPOSAL_CHOSEN)\n"
            "  child:      net\n"
            "  ours:       ESP proposals aes128-sha256-noesn\n"
            "  theirs:     not shown by the peer\n"
            "  fix:        the responder accepts none of our esp_proposals; add one of its proposals (its "
            "`cygnetctl why` or log names them)\n");
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
  EXPECT_EQ(rendered(rb, sim.now()),
            "traffic-selectors failure as responder in IKEv2 IKE_AUTH with 192.0.2.1[500], 2 s ago\n"
            "  no child of site accepts the peer's traffic selectors\n"
            "  child:      net\n"
            "  ours:       traffic selectors local_ts [203.0.113.0/24], remote_ts [192.0.2.128/26]\n"
            "  theirs:     traffic selectors TSi [198.51.100.0/24], TSr [203.0.113.0/24]\n"
            "  nearest:    TSi 198.51.100.0/24 within our remote_ts: (none); TSr 203.0.113.0/24 within our "
            "local_ts: 203.0.113.0/24\n"
            "  fix:        add 198.51.100.0/24 to remote_ts of child net to agree (or narrow the peer's side "
            "to ours)\n");
  const ike::FailureReport ra = last_failure(*g.a);
  EXPECT_EQ(ra.kind, FailureClass::TrafficSelectors);
  EXPECT_EQ(rendered(ra, sim.now()),
            "traffic-selectors failure as initiator in IKEv2 IKE_AUTH with 192.0.2.2[500], 2 s ago\n"
            "  the responder refused our traffic selectors (TS_UNACCEPTABLE)\n"
            "  child:      net\n"
            "  ours:       traffic selectors TSi [198.51.100.0/24], TSr [203.0.113.0/24]\n"
            "  theirs:     not shown by the peer\n"
            "  fix:        the responder's local_ts/remote_ts cover none of ours; narrow local_ts/remote_ts "
            "of child net to its ranges (its `cygnetctl why` names them)\n");
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
  EXPECT_EQ(rendered(rb, sim.now()),
            "identity failure as responder in IKEv2 IKE_AUTH with 192.0.2.1[500], 2 s ago\n"
            "  peer ID 192.0.2.1 does not match remote_id gw-a.example.com of connection site\n"
            "  ours:       identities remote_id gw-a.example.com\n"
            "  theirs:     identities ID 192.0.2.1\n"
            "  fix:        set remote_id of site to \"192.0.2.1\" (or the peer's local_id to "
            "\"gw-a.example.com\") to agree\n");
  const ike::FailureReport ra = last_failure(*g.a);
  EXPECT_EQ(ra.kind, FailureClass::Authentication);
  EXPECT_EQ(rendered(ra, sim.now()),
            "authentication failure as initiator in IKEv2 IKE_AUTH with 192.0.2.2[500], 2 s ago\n"
            "  the responder rejected our authentication (AUTHENTICATION_FAILED)\n"
            "  ours:       authentication auth psk, ID 192.0.2.1\n"
            "  theirs:     not shown by the peer\n"
            "  fix:        the responder does not accept our PSK or ID: compare psk, auth and remote_id on "
            "its side\n");
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
  EXPECT_EQ(rendered(rb, sim.now()),
            "authentication failure as responder in IKEv2 IKE_AUTH with 192.0.2.1[500], 2 s ago\n"
            "  PSK mismatch (AUTH payload does not verify)\n"
            "  ours:       authentication auth psk\n"
            "  theirs:     authentication ID 192.0.2.1\n"
            "  fix:        the pre-shared keys differ (same method, same identities): set the same psk on "
            "both sides\n");
  const ike::FailureReport ra = last_failure(*g.a);
  EXPECT_EQ(rendered(ra, sim.now()),
            "authentication failure as initiator in IKEv2 IKE_AUTH with 192.0.2.2[500], 2 s ago\n"
            "  the responder rejected our authentication (AUTHENTICATION_FAILED)\n"
            "  ours:       authentication auth psk, ID 192.0.2.1\n"
            "  theirs:     not shown by the peer\n"
            "  fix:        the responder does not accept our PSK or ID: compare psk, auth and remote_id on "
            "its side\n");
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
  EXPECT_EQ(rendered(rb, sim.now()),
            "authentication failure as responder in IKEv2 IKE_AUTH with 192.0.2.1[500], 2 s ago\n"
            "  peer used AUTH method 14, we expect a PSK\n"
            "  ours:       authentication auth psk\n"
            "  theirs:     authentication ID gw-a.example.com, authenticates with a digital signature (AUTH "
            "method 14, RFC 7427)\n"
            "  fix:        the peer authenticates with a digital signature (AUTH method 14, RFC 7427) but "
            "site has auth = psk: use the same auth method on both sides\n");
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
    Gateways g = add_gateways(
        sim, cert_connection(site_a(), site_b(), bad_a, good_b.fqdn, ca, a),
        cert_connection(site_b(), site_a(), good_b, "gw-a.example.com", ca, ConnectionOptions{}));
    sim.run_for(3s);
    const ike::FailureReport rb = last_failure(*g.b);
    EXPECT_EQ(rb.kind, FailureClass::Certificate);
    const std::string expected_expired =
        "certificate failure as responder in IKEv2 IKE_AUTH with 192.0.2.1[500], 2 s ago\n"
        "  certificate has expired: CN=gw-a.example.com,O=Cygnet Test (valid until 2025-01-01 00:00:00 UTC)\n"
        "  ours:       certificates cacert CN=Cygnet Sim CA,O=Cygnet Test\n"
        "  theirs:     certificates ID gw-a.example.com\n"
        "  fix:        the peer's certificate is outside its validity period: renew it (or check both "
        "clocks)\n";
    const std::string expected_untrusted =
        "certificate failure as responder in IKEv2 IKE_AUTH with 192.0.2.1[500], 2 s ago\n"
        "  untrusted certificate: no path to a configured CA (unable to get local issuer certificate at "
        "CN=gw-a.example.com,O=Cygnet Test): peer sent CN=gw-a.example.com,O=Cygnet Test (issuer "
        "CN=Someone Else's CA,O=Cygnet Test); configured root CAs: CN=Cygnet Sim CA,O=Cygnet Test\n"
        "  ours:       certificates cacert CN=Cygnet Sim CA,O=Cygnet Test\n"
        "  theirs:     certificates ID gw-a.example.com\n"
        "  fix:        the peer's certificate does not chain to our cacerts: add its root CA to "
        "ca_certificates (an intermediate CA alone is not a trust anchor), have the peer send its "
        "intermediates, or give the peer a certificate from ours\n";
    EXPECT_EQ(rendered(rb, sim.now()), expired ? expected_expired : expected_untrusted);
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
  EXPECT_EQ(rendered(r, sim.now()),
            "timeout failure as initiator in IKEv2 IKE_SA_INIT with 192.0.2.2[500], 5 s ago\n"
            "  no answer from the peer at all\n"
            "  unanswered: IKE_SA_INIT request 0 after 5 retransmissions\n"
            "  received:   nothing at all from the peer\n");
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
  EXPECT_EQ(rendered(r, sim.now()),
            "timeout failure as initiator in IKEv2 IKE_AUTH with 192.0.2.2[500], 4 s ago\n"
            "  no answer from the peer to IKE_AUTH (it answered before)\n"
            "  unanswered: IKE_AUTH request 1 after 5 retransmissions\n"
            "  received:   the peer answered earlier messages\n");
}

TEST(Why, NoReportWhenNothingFailed) {
  Simulation sim(212);
  Gateways g = psk_pair(sim, ConnectionOptions{}, ConnectionOptions{});
  sim.run_for(3s);
  ASSERT_TRUE(child_up_on_both(g)) << event_log(g);
  EXPECT_FALSE(g.a->engine().last_failure(kConnection).has_value());
  EXPECT_FALSE(g.b->engine().last_failure(kConnection).has_value());
  EXPECT_FALSE(g.a->engine().last_failure("unknown").has_value());
}

TEST(Why, TheLastFailureIsKeptAfterTheConnectionComesUp) {
  Simulation sim(213);
  sim.network().set_path(site_a().gateway, site_b().gateway, LinkConditions{.loss = 1.0});
  Gateways g = psk_pair(sim, ConnectionOptions{}, ConnectionOptions{});
  sim.run_for(retransmission_budget(default_engine_options()) + 1s);
  ASSERT_TRUE(g.a->engine().last_failure(kConnection).has_value());
  sim.network().set_path(site_a().gateway, site_b().gateway, LinkConditions{});
  g.a->engine().up(kConnection, sim.now());
  g.a->drain(sim.now());
  sim.run_for(3s);
  ASSERT_TRUE(child_up_on_both(g)) << event_log(g);
  const auto kept = g.a->engine().last_failure(kConnection);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->kind, FailureClass::Timeout);
}

// IKEv1: proposal, authentication and timeout failures land in the same reports.
TEST(Why, Ikev1PhaseOneProposalMismatch) {
  Simulation sim(221);
  ConnectionOptions a;
  a.ike_version = 1;
  a.ike_proposal = "aes256-sha256-modp3072";
  ConnectionOptions b = a;
  b.ike_proposal = "aes128-sha256-ecp256";
  Gateways g = psk_pair(sim, a, b);
  sim.run_for(3s);
  const ike::FailureReport rb = last_failure(*g.b);
  EXPECT_EQ(rb.kind, FailureClass::Proposal);
  EXPECT_EQ(rb.ike_version, 1);
  EXPECT_EQ(rendered(rb, sim.now()),
            "proposal failure as responder in IKEv1 Main Mode with 192.0.2.1[500], 2 s ago\n"
            "  none of the peer's phase 1 proposals is acceptable: peer offered "
            "[aes256-sha256-prfsha256-modp3072]; we accept [aes128-sha256-prfsha256-ecp256]: no common "
            "encryption algorithm, no common key exchange group\n"
            "  ours:       IKE proposals aes128-sha256-prfsha256-ecp256\n"
            "  theirs:     not shown by the peer\n");
  const ike::FailureReport ra = last_failure(*g.a);
  EXPECT_EQ(ra.kind, FailureClass::Proposal);
  EXPECT_EQ(rendered(ra, sim.now()),
            "proposal failure as initiator in IKEv1 Main Mode with 192.0.2.2[500], 2 s ago\n"
            "  peer refused phase 1: NO-PROPOSAL-CHOSEN\n");
}

TEST(Why, Ikev1PskMismatch) {
  Simulation sim(222);
  ConnectionOptions a;
  a.ike_version = 1;
  a.ike_proposal = "aes256-sha256-modp3072";
  a.psk = "the initiator's secret";
  ConnectionOptions b = a;
  b.psk = "a different secret";
  Gateways g = psk_pair(sim, a, b);
  sim.run_for(3s);
  const ike::FailureReport rb = last_failure(*g.b);
  EXPECT_EQ(rb.kind, FailureClass::Authentication);
  EXPECT_EQ(rendered(rb, sim.now()),
            "authentication failure as responder in IKEv1 Main Mode with 192.0.2.1[500], 2 s ago\n"
            "  MM5 from 192.0.2.1[500] does not decrypt (pre-shared key mismatch?)\n");
}

TEST(Why, Ikev1TimeoutWithNothingReceived) {
  Simulation sim(223);
  sim.network().set_path(site_a().gateway, site_b().gateway, LinkConditions{.loss = 1.0});
  ConnectionOptions a;
  a.ike_version = 1;
  a.ike_proposal = "aes256-sha256-modp3072";
  Gateways g = psk_pair(sim, a, a);
  sim.run_for(retransmission_budget(default_engine_options()) + 5s);
  const ike::FailureReport r = last_failure(*g.a);
  EXPECT_EQ(r.kind, FailureClass::Timeout);
  EXPECT_EQ(r.received_anything, false);
  EXPECT_EQ(rendered(r, sim.now()),
            "timeout failure as initiator in IKEv1 Main Mode with 192.0.2.2[500], 5 s ago\n"
            "  no answer from the peer at all\n"
            "  unanswered: Main Mode message after 5 retransmissions\n"
            "  received:   nothing at all from the peer\n");
}

}  // namespace
}  // namespace cygnet::sim
