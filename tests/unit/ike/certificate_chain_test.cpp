// Peer certificates end to end through both engines (IKEv2 and IKEv1): intermediates we send from
// our certificate chain, CERTREQ honoured, and bad-input catalog row 9 — expired, not yet valid,
// untrusted issuer, CA:FALSE intermediate, identity not in the certificate, overlong chain, and
// keyUsage/extendedKeyUsage that do not allow IKE — each refused with AUTHENTICATION_FAILED, the
// reason in words, and nothing installed.
#include <gtest/gtest.h>

#include "crypto/x509.hpp"
#include "ike/failure_report.hpp"
#include "ike/peer_certificate.hpp"
#include "ike/v2/peer_authentication.hpp"
#include "unit/ike/engine_harness.hpp"
#include "unit/ike/test_certificates.hpp"

namespace cygnet::ike::test {
namespace {

using std::chrono::hours;

using Issued = IssuedCertificate;

class CertificateChains : public ::testing::TestWithParam<int> {
 protected:
  Issued root = issue(certificate_spec("Chain Root CA", true), nullptr);
  Issued intermediate = issue(certificate_spec("Chain Intermediate CA", true), &root);
  Issued b_leaf = issue(certificate_spec("b.example", false), &root);

  // A (initiator) presents `a_leaf` + `a_chain`; B trusts `root` only.
  void run(BackToBack& net, const Issued& a_leaf, std::vector<crypto::Certificate> a_chain,
           std::string_view a_id = "a.example") {
    auto a = certificate_connection(GetParam(), "192.0.2.1", "192.0.2.2", a_id, "b.example", a_leaf,
                                    std::move(a_chain), {root.certificate});
    auto b = certificate_connection(GetParam(), "192.0.2.2", "192.0.2.1", "b.example", "%any", b_leaf, {},
                                    {root.certificate});
    ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
    a.start_action = StartAction::Start;
    ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
    net.run();
  }

  // B refused A with AUTHENTICATION_FAILED naming `words`; nothing installed on either side.
  void expect_refused(BackToBack& net, std::string_view words) {
    const Event* e = net.b.find(EventType::AuthenticationFailed);
    ASSERT_NE(e, nullptr) << "B accepted A";
    EXPECT_NE(e->detail.find(words), std::string::npos) << e->detail;
    EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 0u);
    EXPECT_EQ(net.b.count_actions<InstallChildSa>(), 0u);
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
    EXPECT_GE(net.b.engine->counters().authentication_failures, 1u);
    // `why` shows the certificate failure with its reason and a fix.
    const auto failure = net.b.engine->last_failure("site");
    ASSERT_TRUE(failure.has_value());
    EXPECT_NE(failure->summary.find(words), std::string::npos) << failure->summary;
    if (failure->kind == FailureClass::Certificate)
      EXPECT_FALSE(failure->fix.empty());
    else
      EXPECT_EQ(failure->kind, FailureClass::Identity);
  }
};

TEST_P(CertificateChains, IntermediateSentFromOurChainLetsThePeerReachItsRoot) {
  BackToBack net;
  Issued a_leaf = issue(certificate_spec("a.example", false), &intermediate);
  run(net, a_leaf, {intermediate.certificate});
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 1u);
}

TEST_P(CertificateChains, Row9_WithoutTheIntermediateThereIsNoPathToTheRoot) {
  BackToBack net;
  Issued a_leaf = issue(certificate_spec("a.example", false), &intermediate);
  run(net, a_leaf, {});
  expect_refused(net, "no path to a configured CA");
  EXPECT_NE(net.b.find(EventType::AuthenticationFailed)->detail.find("CN=Chain Root CA"), std::string::npos);
}

TEST_P(CertificateChains, Row9_Expired) {
  BackToBack net;
  crypto::CertificateSpec s = certificate_spec("a.example", false);
  s.not_before = std::chrono::system_clock::now() - hours(48);
  s.not_after = std::chrono::system_clock::now() - hours(1);
  run(net, issue(s, &root), {});
  expect_refused(net, "certificate has expired: CN=a.example");
}

TEST_P(CertificateChains, Row9_NotYetValid) {
  BackToBack net;
  crypto::CertificateSpec s = certificate_spec("a.example", false);
  s.not_before = std::chrono::system_clock::now() + hours(2);
  run(net, issue(s, &root), {});
  expect_refused(net, "certificate is not yet valid: CN=a.example");
}

TEST_P(CertificateChains, Row9_UntrustedIssuer) {
  BackToBack net;
  Issued stranger_root = issue(certificate_spec("Stranger Root", true), nullptr);
  // Even when the peer sends the stranger's self-signed root along.
  run(net, issue(certificate_spec("a.example", false), &stranger_root), {stranger_root.certificate});
  expect_refused(net, "untrusted certificate: no path to a configured CA");
}

TEST_P(CertificateChains, Row9_IntermediateWithoutCaBasicConstraint) {
  BackToBack net;
  Issued not_a_ca = issue(certificate_spec("Not A CA", false), &root);
  run(net, issue(certificate_spec("a.example", false), &not_a_ca), {not_a_ca.certificate});
  expect_refused(net, "CN=Not A CA");
  EXPECT_NE(net.b.find(EventType::AuthenticationFailed)->detail.find("is not a CA"), std::string::npos);
}

TEST_P(CertificateChains, Row9_IdentityNotInTheCertificate) {
  BackToBack net;
  run(net, issue(certificate_spec("a.example", false), &root), {}, "mallory.example");
  expect_refused(net, "does not entitle the peer to ID mallory.example");
}

TEST_P(CertificateChains, Row9_OverlongChainIsRefusedBeforeItIsChecked) {
  BackToBack net;
  std::vector<Issued> levels;
  for (std::size_t i = 0; i <= crypto::kMaxIntermediates; ++i)
    levels.push_back(
        issue(certificate_spec("Level " + std::to_string(i), true), i == 0 ? &root : &levels.back()));
  std::vector<crypto::Certificate> chain;
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) chain.push_back(it->certificate);
  run(net, issue(certificate_spec("a.example", false), &levels.back()), chain);
  expect_refused(net, "chain too long: peer sent 9 intermediate certificates (at most 8)");
}

TEST_P(CertificateChains, Row9_KeyUsageWithoutDigitalSignature) {
  BackToBack net;
  crypto::CertificateSpec s = certificate_spec("a.example", false);
  s.key_usage = "critical,keyEncipherment";
  run(net, issue(s, &root), {});
  expect_refused(net, "keyUsage of certificate CN=a.example");
}

TEST_P(CertificateChains, Row9_ExtendedKeyUsageForSomethingElse) {
  BackToBack net;
  crypto::CertificateSpec s = certificate_spec("a.example", false);
  s.extended_key_usage = "codeSigning";
  run(net, issue(s, &root), {});
  expect_refused(net, "extendedKeyUsage of certificate CN=a.example");
}

TEST_P(CertificateChains, ExtendedKeyUsageIpsecIkeIsAccepted) {
  BackToBack net;
  crypto::CertificateSpec s = certificate_spec("a.example", false);
  s.extended_key_usage = "1.3.6.1.5.5.7.3.17";
  run(net, issue(s, &root), {});
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
}

INSTANTIATE_TEST_SUITE_P(IkeVersions, CertificateChains, ::testing::Values(1, 2),
                         [](const auto& param_info) { return "IKEv" + std::to_string(param_info.param); });

// CERTREQ (RFC 7296 §3.7): the leaf always goes; the intermediates when the peer asked for nothing,
// for one of them, or for the configured CA that issued the last one — not for an unrelated CA.
TEST(CertificateRequests, IntermediatesGoWhenThePeerAsksForACaOurChainLeadsTo) {
  Issued root = issue(certificate_spec("Req Root", true), nullptr);
  Issued intermediate = issue(certificate_spec("Req Intermediate", true), &root);
  Issued leaf = issue(certificate_spec("a.example", false), &intermediate);
  Issued unrelated = issue(certificate_spec("Unrelated Root", true), nullptr);
  ConnectionSettings c = certificate_connection(2, "192.0.2.1", "192.0.2.2", "a.example", "b.example", leaf,
                                                {intermediate.certificate}, {root.certificate});
  const auto sent = [&](std::vector<Bytes> requested) { return certificates_to_send(c, requested).size(); };
  EXPECT_EQ(sent({}), 2u);
  EXPECT_EQ(sent({root.certificate.spki_sha1()}), 2u);
  EXPECT_EQ(sent({intermediate.certificate.spki_sha1()}), 2u);
  EXPECT_EQ(sent({unrelated.certificate.spki_sha1()}), 1u);
  EXPECT_EQ(certificates_to_send(c, {}).front().der(), leaf.certificate.der());

  // Through the payload builder: CERTREQ data is concatenated 20-byte hashes.
  wire::ikev2::CertReqPayload req;
  for (const auto* ca : {&unrelated, &root}) {
    const Bytes h = ca->certificate.spki_sha1();
    req.data.insert(req.data.end(), h.begin(), h.end());
  }
  const auto payloads = our_certificate_payloads(c, {wire::ikev2::Payload(req)});
  ASSERT_EQ(payloads.size(), 2u);
  EXPECT_EQ(std::get<wire::ikev2::CertPayload>(payloads[1]).data, intermediate.certificate.der());
  // PSK connections send none.
  c.auth = AuthKind::Psk;
  EXPECT_TRUE(our_certificate_payloads(c).empty());
}

}  // namespace
}  // namespace cygnet::ike::test
