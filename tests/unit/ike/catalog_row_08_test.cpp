// Bad-input catalog row 8 at the IKE_AUTH layer (RFC 7427 AUTH method 14): forged RSA signatures
// (Bleichenbacher 2006 e = 3 forgery; strongSwan CVE-2018-16151/16152 lenient DigestInfo parsing)
// under the sha256WithRSAEncryption identifier, and RSASSA-PSS identifiers announcing oversized salts
// (strongSwan CVE-2021-41990: a huge saltLength in the RSASSA-PSS parameters crashed the verifier)
// → verification fails with a reason, never a crash. The crypto-layer half is
// tests/unit/crypto/catalog_row_08_test.cpp.
#include <gtest/gtest.h>

#include "crypto/signature.hpp"
#include "ike/v2/authentication.hpp"
#include "support/rsa_forgery.hpp"

namespace cygnet::ike {
namespace {

namespace forgery = cygnet::test::rsa_forgery;

// RFC 7427 Appendix A.1.2: sha256WithRSAEncryption, NULL parameters.
const Bytes kSha256WithRsa{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                           0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};

// RFC 7427 Appendix A.4.3 (RSASSA-PSS, SHA-256, MGF1-SHA-256) with `salt` as the saltLength INTEGER's
// content octets (A.4.3 itself: {0x20}).
Bytes pss_identifier(const Bytes& salt) {
  const Bytes hash{0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
                   0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00};
  const Bytes mgf{0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
                  0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00};
  Bytes params = hash;
  params.insert(params.end(), mgf.begin(), mgf.end());
  params.insert(params.end(), {0xa2, static_cast<std::uint8_t>(2 + salt.size()), 0x02,
                               static_cast<std::uint8_t>(salt.size())});
  params.insert(params.end(), salt.begin(), salt.end());
  Bytes body{0x06,
             0x09,
             0x2a,
             0x86,
             0x48,
             0x86,
             0xf7,
             0x0d,
             0x01,
             0x01,
             0x0a,
             0x30,
             static_cast<std::uint8_t>(params.size())};
  body.insert(body.end(), params.begin(), params.end());
  Bytes out{0x30, static_cast<std::uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes auth_data(const Bytes& identifier, const Bytes& signature) {
  Bytes out{static_cast<std::uint8_t>(identifier.size())};
  out.insert(out.end(), identifier.begin(), identifier.end());
  out.insert(out.end(), signature.begin(), signature.end());
  return out;
}

class Row08AuthForgery : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { key_ = forgery::rsa_key(2048, 3).release(); }
  static void TearDownTestSuite() {
    EVP_PKEY_free(key_);
    key_ = nullptr;
  }
  static EVP_PKEY* key_;
  crypto::PublicKey pub() const { return *crypto::PublicKey::from_pem(forgery::public_pem(key_)); }
  SignatureCheck check(const Bytes& auth) const { return verify_signature_auth(pub(), auth, octets_, false); }
  std::size_t k() const { return forgery::modulus_bytes(key_); }

  const Bytes octets_ = Bytes(100, 0x42);  // stands for InitiatorSignedOctets
  const Bytes digest_info_ = forgery::sha256_digest_info(forgery::sha256(octets_));
};
EVP_PKEY* Row08AuthForgery::key_ = nullptr;

TEST_F(Row08AuthForgery, Pkcs1ForgeriesUnderSha256WithRsaAreRefused) {
  // Control: the genuine block under the same identifier is accepted (RFC 7427 allows PKCS#1 v1.5).
  EXPECT_TRUE(
      check(auth_data(kSha256WithRsa, forgery::raw_private(key_, forgery::type1_block(k(), digest_info_))))
          .ok);
  const SignatureCheck cube = check(auth_data(kSha256WithRsa, forgery::cube_root_forgery(k(), digest_info_)));
  EXPECT_FALSE(cube.ok);
  EXPECT_FALSE(cube.error.empty());
  const SignatureCheck garbage = check(auth_data(
      kSha256WithRsa, forgery::raw_private(key_, forgery::type1_block(k(), digest_info_, Bytes(24, 0x77)))));
  EXPECT_FALSE(garbage.ok);
}

TEST_F(Row08AuthForgery, PssIdentifiersWithOversizedSaltAreRefused) {
  const Bytes good_signature = forgery::pss_sign(key_, octets_, RSA_PSS_SALTLEN_DIGEST);
  ASSERT_EQ(pss_identifier({0x20}).size(), 67u);                             // the RFC 7427 A.4.3 size
  EXPECT_TRUE(check(auth_data(pss_identifier({0x20}), good_signature)).ok);  // control
  struct Case {
    const char* what;
    Bytes salt;
  };
  const std::vector<Case> cases = {
      {"salt 222 (the most a 2048-bit key fits)", {0x00, 0xde}},
      {"salt 65535", {0x00, 0xff, 0xff}},
      {"salt 2^31 - 1", {0x7f, 0xff, 0xff, 0xff}},
      {"salt 2^64 (9 octets)", {0x01, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"negative salt", {0x80}},
      {"empty INTEGER", {}},
      {"salt 0", {0x00}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const SignatureCheck r = check(auth_data(pss_identifier(c.salt), good_signature));
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.error.empty());
  }
  // The genuine identifier with a signature whose salt is oversized (222 bytes) or absent.
  for (int salt : {RSA_PSS_SALTLEN_MAX, 0}) {
    SCOPED_TRACE(salt);
    EXPECT_FALSE(check(auth_data(pss_identifier({0x20}), forgery::pss_sign(key_, octets_, salt))).ok);
  }
}

}  // namespace
}  // namespace cygnet::ike
