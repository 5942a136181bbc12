// Bad-input catalog row 8 through a whole certificate negotiation, IKEv2 and IKEv1 Main Mode: a peer
// whose certificate holds an RSA key with e = 3 (what Bleichenbacher's 2006 forgery needs) sends a
// forged AUTH (IKEv2: RSA PKCS#1 v1.5 method 1; RFC 7427 method 14 with sha256WithRSAEncryption or
// RSASSA-PSS with an oversized salt) or a forged SIG (IKEv1 MM5) in a real exchange. The message is
// the initiator's own, decrypted with the SA's keys (support/ike_forge), its AUTH/SIG replaced and
// re-protected, so only the signature is wrong. Expected: AUTHENTICATION_FAILED with the reason
// logged, nothing installed, no SA left on the responder, which then still negotiates with the
// genuine signature. The AUTH-layer and crypto-layer halves are catalog_row_08_test.cpp here and in
// tests/unit/crypto.
#include <gtest/gtest.h>

#include "crypto/x509.hpp"
#include "support/rsa_forgery.hpp"
#include "unit/ike/held_negotiation.hpp"
#include "unit/ike/test_certificates.hpp"

namespace cygnet::ike::test {
namespace {

namespace forgery = cygnet::test::rsa_forgery;
namespace ikev2 = wire::ikev2;
namespace isakmp = wire::isakmp;

// Root CA, A's leaf (RSA, e = 3) and B's leaf (RSA, e = 65537: IKEv1 needs both ends on RSA
// signatures), made once: RSA key generation is slow.
struct Pki {
  std::shared_ptr<crypto::PrivateKey> root_key;
  crypto::Certificate root;
  forgery::Pkey a_evp;
  std::shared_ptr<crypto::PrivateKey> a_key;
  crypto::Certificate a_cert;
  std::shared_ptr<crypto::PrivateKey> b_key;
  crypto::Certificate b_cert;

  static const Pki& get() {
    static const Pki pki = make();
    return pki;
  }

  static Pki make() {
    auto root_key =
        std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256));
    crypto::Certificate root = crypto::issue_certificate(certificate_spec("Row8 Root CA", true),
                                                         root_key->public_key(), *root_key, nullptr);
    forgery::Pkey a_evp = forgery::rsa_key(2048, 3);
    auto a_key = std::make_shared<crypto::PrivateKey>(
        *crypto::PrivateKey::from_pem(forgery::private_pem(a_evp.get())));
    crypto::Certificate a_cert = crypto::issue_certificate(certificate_spec("a.example", false),
                                                           a_key->public_key(), *root_key, &root);
    auto b_key = std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(crypto::KeyType::Rsa));
    crypto::Certificate b_cert = crypto::issue_certificate(certificate_spec("b.example", false),
                                                           b_key->public_key(), *root_key, &root);
    return Pki{root_key, root, std::move(a_evp), a_key, a_cert, b_key, b_cert};
  }
};

ConnectionSettings pubkey_connection(int version, bool initiator) {
  const Pki& pki = Pki::get();
  const IssuedCertificate a{pki.a_key, pki.a_cert};
  const IssuedCertificate b{pki.b_key, pki.b_cert};
  return initiator ? certificate_connection(version, "192.0.2.1", "192.0.2.2", "a.example", "b.example", a,
                                            {}, {pki.root})
                   : certificate_connection(version, "192.0.2.2", "192.0.2.1", "b.example", "%any", b, {},
                                            {pki.root});
}

// A negotiation with A's IKE_AUTH / MM5 held (held_negotiation.hpp), and what must hold after B
// refused a forgery.
struct ForgedNegotiation : HeldNegotiation {
  explicit ForgedNegotiation(int version)
      : HeldNegotiation(pubkey_connection(version, true), pubkey_connection(version, false)) {}

  // B refused A: the reason logged, nothing installed anywhere, no SA left on B.
  void expect_refused(std::string_view reason) {
    const Event* e = net.b.find(EventType::AuthenticationFailed);
    ASSERT_NE(e, nullptr) << "B accepted the forged signature";
    EXPECT_NE(e->detail.find(reason), std::string::npos) << e->detail;
    EXPECT_NE(e->detail.find("a.example"), std::string::npos) << e->detail;
    EXPECT_EQ(net.b.engine->counters().authentication_failures, 1u);
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
    EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 0u);
    EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 0u);
    EXPECT_EQ(net.b.count_actions<InstallChildSa>(), 0u);
    EXPECT_EQ(net.b.ike_sa_count(), 0u);
    EXPECT_EQ(net.b.established_children(), 0u);
  }

  // B's state is otherwise as before: A starts over and, signing genuinely, gets through.
  void expect_genuine_retry_succeeds() {
    (void)net.a.engine->down("site", net.now);  // whatever A still holds of the failed attempt
    net.run();
    ASSERT_TRUE(net.a.engine->up("site", net.now));
    net.run();
    EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
    EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 1u);
    EXPECT_EQ(net.b.engine->counters().authentication_failures, 1u);
  }
};

// --- IKEv2 ------------------------------------------------------------------------------------

// A's IKE_AUTH request with its AUTH payload replaced.
Bytes with_auth(HeldIkeAuth& a, ikev2::AuthMethod method, Bytes data) {
  std::vector<ikev2::Payload> payloads = a.payloads;
  for (auto& p : payloads)
    if (auto* auth = std::get_if<ikev2::AuthPayload>(&p)) *auth = ikev2::AuthPayload{method, std::move(data)};
  return a.with_payloads(payloads);
}

struct Ikev2Forgery {
  const char* what;
  ikev2::AuthMethod method;
  std::function<Bytes(EVP_PKEY*, ByteView octets)> auth_data;
  const char* reason;  // in B's AUTHENTICATION_FAILED event
};

class Row08Ikev2Negotiation : public ::testing::TestWithParam<Ikev2Forgery> {};

TEST_P(Row08Ikev2Negotiation, ForgedAuthIsRefusedAndTheGenuineOneStillWorks) {
  const Ikev2Forgery& f = GetParam();
  ForgedNegotiation n(2);
  ASSERT_TRUE(n.held);
  HeldIkeAuth a(n);
  ASSERT_TRUE(a.forger && !a.octets.empty());
  // The octets are right: A's genuine AUTH verifies over them with A's public key.
  const auto* genuine = ikev2::find_payload<ikev2::AuthPayload>(a.payloads);
  ASSERT_NE(genuine, nullptr);
  ASSERT_TRUE(verify_signature_auth(Pki::get().a_cert.public_key(), genuine->data, a.octets, false).ok);

  n.deliver_to_b(with_auth(a, f.method, f.auth_data(Pki::get().a_evp.get(), a.octets)));
  n.expect_refused(f.reason);
  // A was told: AUTHENTICATION_FAILED in B's answer, and A installed nothing either.
  bool told = false;
  for (const auto& d : n.net.wire_log)
    if (d.local.address == n.net.b.ip)
      if (auto opened = a.forger->open(d.payload))
        told = told || ikev2::find_notify(*opened, ikev2::NotifyType::AuthenticationFailed) != nullptr;
  EXPECT_TRUE(told);
  n.expect_genuine_retry_succeeds();
}

TEST(Row08Ikev2NegotiationControl, TheUntouchedMessageIsAccepted) {
  ForgedNegotiation n(2);
  ASSERT_TRUE(n.held);
  n.deliver_to_b(n.held->payload);
  EXPECT_EQ(n.net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(n.net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(n.net.b.count(EventType::ChildSaEstablished), 1u);
  EXPECT_EQ(n.net.b.engine->counters().authentication_failures, 0u);
}

Bytes pkcs1_cube_root(EVP_PKEY* key, const Bytes& digest_info) {
  return forgery::cube_root_forgery(forgery::modulus_bytes(key), digest_info);
}

INSTANTIATE_TEST_SUITE_P(
    Forgeries, Row08Ikev2Negotiation,
    ::testing::Values(
        // Method 1 (RSA PKCS#1 v1.5 over SHA-1): refused before any RSA is done — RFC 7427 only.
        Ikev2Forgery{"method1_cube_root", ikev2::AuthMethod::RsaSignature,
                     [](EVP_PKEY* key, ByteView octets) {
                       return pkcs1_cube_root(key, forgery::sha1_digest_info(forgery::sha1(octets)));
                     },
                     "AUTH method 1"},
        // Method 14, sha256WithRSAEncryption: Bleichenbacher's e = 3 cube root, no private key.
        Ikev2Forgery{"pkcs1_cube_root", ikev2::AuthMethod::DigitalSignature,
                     [](EVP_PKEY* key, ByteView octets) {
                       return forgery::auth_data(
                           forgery::kSha256WithRsa,
                           pkcs1_cube_root(key, forgery::sha256_digest_info(forgery::sha256(octets))));
                     },
                     "does not verify"},
        // ... and a block with garbage after the DigestInfo (CVE-2018-16152), signed for real.
        Ikev2Forgery{"pkcs1_trailing_garbage", ikev2::AuthMethod::DigitalSignature,
                     [](EVP_PKEY* key, ByteView octets) {
                       const Bytes block = forgery::type1_block(
                           forgery::modulus_bytes(key), forgery::sha256_digest_info(forgery::sha256(octets)),
                           Bytes(24, 0x77));
                       return forgery::auth_data(forgery::kSha256WithRsa, forgery::raw_private(key, block));
                     },
                     "does not verify"},
        // RSASSA-PSS identifier announcing a 65535-byte salt (CVE-2021-41990), genuine signature.
        Ikev2Forgery{"pss_identifier_salt_65535", ikev2::AuthMethod::DigitalSignature,
                     [](EVP_PKEY* key, ByteView octets) {
                       return forgery::auth_data(forgery::pss_identifier({0x00, 0xff, 0xff}),
                                                 forgery::pss_sign(key, octets, RSA_PSS_SALTLEN_DIGEST));
                     },
                     "a.example"},
        // The genuine PSS identifier (salt 32) over a signature made with the largest salt.
        Ikev2Forgery{"pss_signature_salt_max", ikev2::AuthMethod::DigitalSignature,
                     [](EVP_PKEY* key, ByteView octets) {
                       return forgery::auth_data(forgery::pss_identifier({0x20}),
                                                 forgery::pss_sign(key, octets, RSA_PSS_SALTLEN_MAX));
                     },
                     "does not verify"}),
    [](const auto& param_info) { return std::string(param_info.param.what); });

// --- IKEv1 Main Mode --------------------------------------------------------------------------

// What A's SIG signs, recovered from the genuine SIG: IKEv1 RSA signatures are PKCS#1 v1.5 type 1
// over the bare HASH_I (00 01 FF.. 00 HASH_I), no DigestInfo.
Bytes signed_hash_i(const HeldMainMode5& mm5) {
  const auto* sig = isakmp::find_payload<isakmp::SignaturePayload>(mm5.payloads);
  EXPECT_NE(sig, nullptr);
  if (!sig) return {};
  const Bytes block = forgery::raw_public(Pki::get().a_evp.get(), sig->data);
  constexpr std::size_t kHashSize = 32;
  EXPECT_EQ(block[0], 0x00);
  EXPECT_EQ(block[1], 0x01);
  EXPECT_EQ(block[block.size() - kHashSize - 1], 0x00);
  return Bytes(block.end() - kHashSize, block.end());
}

// A's MM5 with its SIG replaced.
Bytes with_signature(const HeldNegotiation& n, HeldMainMode5& mm5, const Bytes& signature) {
  std::vector<isakmp::Payload> payloads = mm5.payloads;
  for (auto& p : payloads)
    if (auto* sig = std::get_if<isakmp::SignaturePayload>(&p)) sig->data = signature;
  return mm5.with_payloads(n, payloads);
}

struct Ikev1Forgery {
  const char* what;
  std::function<Bytes(EVP_PKEY*, const Bytes& hash_i)> signature;
};

class Row08Ikev1Negotiation : public ::testing::TestWithParam<Ikev1Forgery> {};

TEST_P(Row08Ikev1Negotiation, ForgedMainModeSigIsRefusedAndTheGenuineOneStillWorks) {
  ForgedNegotiation n(1);
  ASSERT_TRUE(n.held);
  HeldMainMode5 mm5(n);
  ASSERT_TRUE(mm5.forger);
  const Bytes hash_i = signed_hash_i(mm5);
  ASSERT_EQ(hash_i.size(), 32u);
  n.deliver_to_b(with_signature(n, mm5, GetParam().signature(Pki::get().a_evp.get(), hash_i)));
  n.expect_refused("does not verify");
  n.expect_genuine_retry_succeeds();
}

TEST(Row08Ikev1NegotiationControl, TheResealedGenuineSignatureIsAccepted) {
  ForgedNegotiation n(1);
  ASSERT_TRUE(n.held);
  HeldMainMode5 mm5(n);
  ASSERT_TRUE(mm5.forger);
  ASSERT_EQ(signed_hash_i(mm5).size(), 32u);
  // The same SIG, re-encoded and re-encrypted by the test: proves the path the forgeries take.
  const auto* sig = isakmp::find_payload<isakmp::SignaturePayload>(mm5.payloads);
  ASSERT_NE(sig, nullptr);
  n.deliver_to_b(with_signature(n, mm5, sig->data));
  EXPECT_EQ(n.net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(n.net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(n.net.b.engine->counters().authentication_failures, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Forgeries, Row08Ikev1Negotiation,
    ::testing::Values(
        // Bleichenbacher's e = 3 cube root of 00 01 FF 00 HASH_I garbage: no private key used.
        Ikev1Forgery{"cube_root",
                     [](EVP_PKEY* key, const Bytes& hash_i) {
                       return forgery::cube_root_forgery(forgery::modulus_bytes(key), hash_i);
                     }},
        // A real RSA operation on a block with garbage after HASH_I (lenient length parsing).
        Ikev1Forgery{"trailing_garbage",
                     [](EVP_PKEY* key, const Bytes& hash_i) {
                       return forgery::raw_private(
                           key, forgery::type1_block(forgery::modulus_bytes(key), hash_i, Bytes(24, 0x77)));
                     }},
        // ... and one with only 2 bytes of FF padding (PKCS#1 wants at least 8).
        Ikev1Forgery{"short_padding",
                     [](EVP_PKEY* key, const Bytes& hash_i) {
                       return forgery::raw_private(
                           key, forgery::type1_block(forgery::modulus_bytes(key), hash_i, {}, 2));
                     }}),
    [](const auto& param_info) { return std::string(param_info.param.what); });

}  // namespace
}  // namespace cygnet::ike::test
