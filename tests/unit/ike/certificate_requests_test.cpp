// The initiator honours the responder's certificate requests (RFC 7296 §3.7 and §2.15 for IKEv2: the
// CERTREQ of the IKE_SA_INIT response; RFC 2408 §3.10 for IKEv1: the CERT_REQUEST of Main Mode 4,
// naming CAs by DN): our leaf always goes, our intermediates only when the peer asked for nothing or
// for a CA our chain leads to — as strongSwan does. Read from A's IKE_AUTH request / MM5 as it went
// out (held_negotiation.hpp).
#include <gtest/gtest.h>

#include "crypto/x509.hpp"
#include "ike/peer_certificate.hpp"
#include "unit/ike/held_negotiation.hpp"
#include "unit/ike/test_certificates.hpp"

namespace cygnet::ike::test {
namespace {

using Issued = IssuedCertificate;

Issued issue(const std::string& cn, bool is_ca, const Issued* issuer) {
  return test::issue(certificate_spec(cn, is_ca), issuer);
}

class CertificateRequestsHonoured : public ::testing::TestWithParam<int> {
 protected:
  Issued root = issue("Request Root CA", true, nullptr);
  Issued unrelated = issue("Unrelated Root CA", true, nullptr);
  Issued intermediate = issue("Request Intermediate CA", true, &root);
  Issued a_leaf = issue("a.example", false, &intermediate);
  Issued b_leaf = issue("b.example", false, &root);

  ConnectionSettings connection(bool initiator, const Issued& own, std::vector<crypto::Certificate> chain,
                                std::vector<crypto::Certificate> trusted) const {
    return initiator ? certificate_connection(GetParam(), "192.0.2.1", "192.0.2.2", "a.example", "b.example",
                                              own, std::move(chain), std::move(trusted))
                     : certificate_connection(GetParam(), "192.0.2.2", "192.0.2.1", "b.example", "%any", own,
                                              std::move(chain), std::move(trusted));
  }

  // The DER certificates in A's IKE_AUTH request (IKEv2) or MM5 (IKEv1) when B trusts `b_trusts`
  // (and so requests exactly those CAs).
  std::vector<Bytes> certificates_a_sends(std::vector<crypto::Certificate> b_trusts) {
    HeldNegotiation n(connection(true, a_leaf, {intermediate.certificate}, {root.certificate}),
                      connection(false, b_leaf, {}, std::move(b_trusts)));
    std::vector<Bytes> out;
    if (!n.held) return out;
    if (GetParam() == 2) {
      HeldIkeAuth auth(n);
      for (const auto& p : auth.payloads)
        if (const auto* c = std::get_if<wire::ikev2::CertPayload>(&p)) out.push_back(c->data);
    } else {
      HeldMainMode5 mm5(n);
      for (const auto& p : mm5.payloads)
        if (const auto* c = std::get_if<wire::isakmp::CertPayload>(&p)) out.push_back(c->data);
    }
    return out;
  }
};

TEST_P(CertificateRequestsHonoured, AskedForTheRootOurChainLeadsToTheIntermediateGoes) {
  const auto sent = certificates_a_sends({root.certificate});
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], a_leaf.certificate.der());
  EXPECT_EQ(sent[1], intermediate.certificate.der());
}

TEST_P(CertificateRequestsHonoured, AskedOnlyForAnUnrelatedCaOnlyTheLeafGoes) {
  const auto sent = certificates_a_sends({unrelated.certificate});
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], a_leaf.certificate.der());
}

TEST_P(CertificateRequestsHonoured, AskedForNothingTheWholeChainGoes) {
  const auto sent = certificates_a_sends({});
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1], intermediate.certificate.der());
}

TEST_P(CertificateRequestsHonoured, AskedForTheIntermediateItselfItGoes) {
  const auto sent = certificates_a_sends({unrelated.certificate, intermediate.certificate});
  ASSERT_EQ(sent.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(IkeVersions, CertificateRequestsHonoured, ::testing::Values(1, 2),
                         [](const auto& param_info) { return "IKEv" + std::to_string(param_info.param); });

// IKEv1 CERT_REQUEST names a CA by DN; an empty one asks for any CA (RFC 2408 §3.10).
TEST(CertificateRequestsByName, AnEmptyNameAsksForAnyCa) {
  const Issued root = issue("Name Root", true, nullptr);
  const Issued intermediate = issue("Name Intermediate", true, &root);
  const Issued leaf = issue("a.example", false, &intermediate);
  const Issued unrelated = issue("Name Unrelated", true, nullptr);
  ConnectionSettings c;
  c.auth = AuthKind::PublicKey;
  c.certificate = leaf.certificate;
  c.certificate_chain = {intermediate.certificate};
  c.ca_certificates = {root.certificate};
  EXPECT_EQ(certificates_to_send_by_name(c, {}).size(), 2u);
  EXPECT_EQ(certificates_to_send_by_name(c, {unrelated.certificate.subject_der()}).size(), 1u);
  EXPECT_EQ(certificates_to_send_by_name(c, {unrelated.certificate.subject_der(), Bytes{}}).size(), 2u);
  EXPECT_EQ(certificates_to_send_by_name(c, {root.certificate.subject_der()}).size(), 2u);
  EXPECT_EQ(certificates_to_send_by_name(c, {intermediate.certificate.subject_der()}).size(), 2u);
  c.auth = AuthKind::Psk;
  EXPECT_TRUE(certificates_to_send_by_name(c, {}).empty());
}

}  // namespace
}  // namespace cygnet::ike::test
