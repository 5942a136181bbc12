// Bad-input catalog row 8: "Forged RSA signatures relying on lenient PKCS#1 v1.5 / ASN.1 parsing;
// oversized RSASSA-PSS salt" (strongSwan CVE-2018-16151/16152, CVE-2021-41990; Bleichenbacher's
// 2006 e = 3 forgery) → verification fails. Cygnet verifies only through OpenSSL EVP with strict
// padding; these tests hold it to that for every RSA scheme PublicKey::verify offers.
#include <gtest/gtest.h>

#include "crypto/signature.hpp"
#include "support/rsa_forgery.hpp"

namespace cygnet::crypto {
namespace {

namespace forgery = cygnet::test::rsa_forgery;

Bytes ascii(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

class Row08RsaForgery : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { key_ = forgery::rsa_key(2048, 3).release(); }
  static void TearDownTestSuite() {
    EVP_PKEY_free(key_);
    key_ = nullptr;
  }
  static EVP_PKEY* key_;

  PublicKey public_key() const {
    auto k = PublicKey::from_pem(forgery::public_pem(key_));
    EXPECT_TRUE(k);
    return *k;
  }
  std::size_t k() const { return forgery::modulus_bytes(key_); }
  bool verifies_pkcs1(ByteView signature) const {
    return public_key().verify(SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha256, data_, signature);
  }
  Bytes sign_block(ByteView block) const { return forgery::raw_private(key_, block); }

  const Bytes data_ = ascii("InitiatorSignedOctets: RealMessage1 | NonceRData | MACedIDForI");
  const Bytes digest_info_ = forgery::sha256_digest_info(forgery::sha256(data_));
};
EVP_PKEY* Row08RsaForgery::key_ = nullptr;

// The control: the correctly encoded block, signed by the raw private operation, verifies — so
// every refusal below is the encoding's doing, not the test machinery's.
TEST_F(Row08RsaForgery, CorrectBlockMadeTheSameWayVerifies) {
  EXPECT_TRUE(verifies_pkcs1(sign_block(forgery::type1_block(k(), digest_info_))));
}

// Bleichenbacher 2006 (and its 2014-2016 revivals, e.g. CVE-2016-1494): made without the private
// key. The recovered block really starts 00 01 FF 00 DigestInfo(H), as the forgery intends.
TEST_F(Row08RsaForgery, Bleichenbacher2006CubeRootForgeryIsRefused) {
  const Bytes forged = forgery::cube_root_forgery(k(), digest_info_);
  const Bytes recovered = forgery::raw_public(key_, forged);
  ASSERT_EQ(recovered.size(), k());
  Bytes expected_prefix{0x00, 0x01, 0xff, 0x00};
  expected_prefix.insert(expected_prefix.end(), digest_info_.begin(), digest_info_.end());
  ASSERT_TRUE(std::equal(expected_prefix.begin(), expected_prefix.end(), recovered.begin()))
      << "the forgery does not have the shape a lenient verifier accepts";
  EXPECT_FALSE(verifies_pkcs1(forged));
  // The IKEv1 form (RFC 2409 §5.1: the hash itself in a type-1 block, no DigestInfo) likewise.
  const Bytes h = forgery::sha256(data_);
  EXPECT_FALSE(public_key().verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, h,
                                   forgery::cube_root_forgery(k(), h)));
}

// Valid RSA operations on blocks a lenient parser accepts: garbage after the DigestInfo, short
// padding, a pad byte other than FF.
TEST_F(Row08RsaForgery, GarbageAfterTheDigestInfoOrBadPaddingIsRefused) {
  const Bytes garbage(40, 0x5a);
  EXPECT_FALSE(verifies_pkcs1(sign_block(forgery::type1_block(k(), digest_info_, garbage))));
  EXPECT_FALSE(verifies_pkcs1(sign_block(forgery::type1_block(k(), digest_info_, {}, 1))));  // one FF
  EXPECT_FALSE(verifies_pkcs1(sign_block(forgery::type1_block(k(), digest_info_, {}, 7))));  // < 8 FF
  EXPECT_FALSE(verifies_pkcs1(sign_block(forgery::type1_block(k(), digest_info_, {}, -1, 0xfe))));
  Bytes type2 = forgery::type1_block(k(), digest_info_);
  type2[1] = 0x02;  // block type 2 (encryption padding)
  EXPECT_FALSE(verifies_pkcs1(sign_block(type2)));
  // The IKEv1 raw form with trailing garbage after the hash.
  const Bytes h = forgery::sha256(data_);
  EXPECT_TRUE(public_key().verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, h,
                                  sign_block(forgery::type1_block(k(), h))));  // control
  EXPECT_FALSE(public_key().verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, h,
                                   sign_block(forgery::type1_block(k(), h, garbage))));
}

// strongSwan CVE-2018-16151: the AlgorithmIdentifier's parameters were skipped unparsed, so a
// forger could hide garbage (the cube root's slack) there. CVE-2018-16152: long-form / oversized
// ASN.1 lengths. And a DigestInfo that names another hash than the one asked for.
TEST_F(Row08RsaForgery, DigestInfoWithExtraParametersOrWrongOidIsRefused) {
  const Bytes h = forgery::sha256(data_);
  auto digest_info = [&h](Bytes algorithm_identifier, Bytes octet_header = {0x04, 0x20}) {
    Bytes inner = algorithm_identifier;
    inner.insert(inner.end(), octet_header.begin(), octet_header.end());
    inner.insert(inner.end(), h.begin(), h.end());
    Bytes out{0x30, static_cast<std::uint8_t>(inner.size())};
    out.insert(out.end(), inner.begin(), inner.end());
    return out;
  };
  const Bytes sha256_oid{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
  auto with_parameters = [&](Bytes parameters) {
    Bytes id = sha256_oid;
    id.insert(id.end(), parameters.begin(), parameters.end());
    Bytes out{0x30, static_cast<std::uint8_t>(id.size())};
    out.insert(out.end(), id.begin(), id.end());
    return out;
  };
  const Bytes null_params{0x05, 0x00};
  ASSERT_EQ(digest_info(with_parameters(null_params)), digest_info_);  // the genuine encoding
  struct Case {
    const char* what;
    Bytes digest_info;
  };
  const std::vector<Case> cases = {
      {"garbage OCTET STRING as parameters",
       digest_info(with_parameters({0x04, 0x08, 1, 2, 3, 4, 5, 6, 7, 8}))},
      {"NULL followed by garbage", digest_info(with_parameters({0x05, 0x00, 0xde, 0xad, 0xbe, 0xef}))},
      {"NULL with content", digest_info(with_parameters({0x05, 0x04, 0xde, 0xad, 0xbe, 0xef}))},
      {"long-form digest length", digest_info(with_parameters(null_params), {0x04, 0x81, 0x20})},
      {"SHA-512 OID with a SHA-256 digest", digest_info(Bytes{0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                              0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00})},
      {"SHA-1 OID with a SHA-256 digest",
       digest_info(Bytes{0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00})},
      {"MD5 OID", digest_info(Bytes{0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05,
                                    0x05, 0x00})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_FALSE(verifies_pkcs1(sign_block(forgery::type1_block(k(), c.digest_info))));
  }
  // Long-form lengths on the outer SEQUENCE (30 81 31 ...), same content.
  Bytes long_form{0x30, 0x81, 0x31};
  long_form.insert(long_form.end(), digest_info_.begin() + 2, digest_info_.end());
  EXPECT_FALSE(verifies_pkcs1(sign_block(forgery::type1_block(k(), long_form))));
}

// RSASSA-PSS (RFC 8017 §8.1, RFC 8247 §3.2): Cygnet verifies with salt = hash length only. A
// signature with an oversized salt (as long as the modulus allows) or none is refused; the same
// machinery with the pinned salt verifies.
TEST_F(Row08RsaForgery, PssWithOversizedOrZeroSaltIsRefused) {
  const PublicKey pub = public_key();
  EXPECT_TRUE(pub.verify(SignatureScheme::RsaPss, HashAlgorithm::Sha256, data_,
                         forgery::pss_sign(key_, data_, RSA_PSS_SALTLEN_DIGEST)));
  for (int salt : {RSA_PSS_SALTLEN_MAX, 0, 20, 33, 64, 190}) {
    SCOPED_TRACE(salt);
    EXPECT_FALSE(pub.verify(SignatureScheme::RsaPss, HashAlgorithm::Sha256, data_,
                            forgery::pss_sign(key_, data_, salt)));
  }
}

}  // namespace
}  // namespace cygnet::crypto
