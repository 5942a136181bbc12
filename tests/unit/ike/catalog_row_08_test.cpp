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

using forgery::auth_data;
using forgery::kSha256WithRsa;
using forgery::pss_identifier;

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
