// The initiator honours the responder's certificate requests (RFC 7296 §3.7 and §2.15 for IKEv2: the
// CERTREQ of the IKE_SA_INIT response; RFC 2408 §3.10 for IKEv1: the CERT_REQUEST of Main Mode 4,
// naming CAs by DN): our leaf always goes, our intermediates only when the peer asked for nothing or
// for a CA our chain leads to — as strongSwan does. Read from A's IKE_AUTH request / MM5 as it went
// out (held_negotiation.hpp).
#include <gtest/gtest.h>

#include "crypto/x509.hpp"
#include "ike/peer_certificate.hpp"
#include "unit/ike/held_negotiation.hpp"

namespace cygnet::ike::test {
namespace {

using std::chrono::hours;

struct Issued {
  std::shared_ptr<crypto::PrivateKey> key;
  crypto::Certificate certificate;
};

Issued issue(const std::string& cn, bool is_ca, const Issued* issuer) {
  const auto now = std::chrono::system_clock::now();
  crypto::CertificateSpec s;
  s.common_name = cn;
  if (!is_ca) s.dns_names = {cn};
  s.is_ca = is_ca;
  s.not_before = now - hours(1);
  s.not_after = now + hours(24);
  auto key = std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256));
  crypto::Certificate cert =
      issuer ? crypto::issue_certificate(s, key->public_key(), *issuer->key, &issuer->certificate)
             : crypto::issue_certificate(s, key->public_key(), *key, nullptr);
  return {key, cert};
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
    const std::string_view local = initiator ? "192.0.2.1" : "192.0.2.2";
    const std::string_view remote = initiator ? "192.0.2.2" : "192.0.2.1";
    ConnectionSettings c = GetParam() == 1
                               ? psk_connection("site", local, remote, "unused", "aes256-sha256-modp2048")
                               : psk_connection("site", local, remote);
    c.ike_version = GetParam();
    c.auth = AuthKind::PublicKey;
    c.psk = {};
    c.private_key = own.key;
    c.certificate = own.certificate;
    c.certificate_chain = std::move(chain);
    c.ca_certificates = std::move(trusted);
    c.local_id = *Identity::parse(initiator ? "a.example" : "b.example");
    c.remote_id = *Identity::parse(initiator ? "b.example" : "%any");
    return c;
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
