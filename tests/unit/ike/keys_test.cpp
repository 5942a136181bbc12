// IKEv2 key derivation against published known answers.
//
// Source: NIST CAVP "IKEv2 KDF" component test vectors (SP 800-135 CAVS, ikev2 sample response
// file: SKEYSEED, DKM, DKM(Child SA), DKM(Child SA D-H), SKEYSEED(Rekey)). The HMAC-SHA1 case
// with all five values is the one libreswan's CAVP tool (programs/cavp) and its ike_alg_test_prf.c
// reproduce; the HMAC-SHA256 case (SKEYSEED, DKM, SKEYSEED(Rekey)) is the NIST sample that NSS's
// gtests/common/testvectors/ike-sha256-vectors.h carries. DKM is 132 octets (1056 bits) in both.
// Each value was also re-checked with Python's hmac module while writing this test.
#include "ike/v2/keys.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace cygnet::ike {
namespace {

using crypto::HashAlgorithm;

Bytes hex(std::string_view s) {
  return from_hex(s);
}
std::string hex_of(const crypto::SecureBytes& b) {
  return to_hex(b.view());
}

struct CavsCase {
  HashAlgorithm prf;
  std::string_view ni, nr, gir, gir_new, spi_i, spi_r;
  std::string_view skeyseed, dkm, dkm_child, dkm_child_dh, skeyseed_rekey;
};

// NIST CAVS IKEv2 KDF, [SHA-1], Ni/Nr length 64 bits, g^ir length 256 bits, DKM length 1056 bits.
constexpr CavsCase kSha1{
    HashAlgorithm::Sha1,
    "32b50d5f4a3763f3",
    "9206a04b26564cb1",
    "4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52",
    "863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330",
    "34c9e7c188868785",
    "3ff77d760d2b2199",
    "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7",
    "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062768b76606f9fa5e9"
    "92204fc5a670bde3f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd1119"
    "8af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435a7a56cc4",
    "8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad85ef4c5811a8e7b5d1cdabd9560b2d5e092d1f24e"
    "2d4b85eccdf0ad0dc9abd94b51ee71814ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e521a8fe20754a2d883ba0c2cf"
    "285f524aea6545b33106bc03e614296d319d41d4b50b3f510b1c0a22f3e664994d234cb4",
    "bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa61d37301628190e38c66232eab4b3ab14c400a519"
    "7dd3730ed4820a8a10394d51e1c0400052f63ebd36b0e7ef53aaed31eba4a5080d7d4b5666023a8bbb5ffb7857240f9a"
    "05884d1b7d2f933708450b7b3288f1fc863ab49fa901227cffc06e27899c7054d56fd74c",
    "63e81194946ebd05df7df5ebf5d8750056bf1f1d",
};

// NIST CAVS IKEv2 KDF, [SHA-256], the same lengths.
constexpr CavsCase kSha256{
    HashAlgorithm::Sha256,
    "3f302be1abcb28e1",
    "8c332ee006064c9b",
    "0f4d257d7a58fc4545c7d7a88119eee5d5c9690c5b4c989171d3abbfd99d1d29",
    "25f3b12d6f282739256e39bf54eda53b60ffcf379bb7bcc90c27b4c4c578616c",
    "40dac39e1e1a8640",
    "8619a1cf9a6e4c07",
    "5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe",
    "0b137d669b0947d7d026d593f0305ad401ff0c471357d695778a9c7f4b4869ece98aca531188d16041b3bb936d2dbb3b"
    "4993a6e768a809160de45d0283f273a6cdf6854379e31be72b8d3d1fa990cf9c5b015ca9f918a7df6253c958114a09d4"
    "e1c19bdcd4db14b29d98db1a74ad405c588662c14a04d0d36aa4ab55e90f8986d12d4aad",
    "",
    "",
    "2d63f6debc92048b4fef3889c4c99ca67d6496e0fac14a2bca9a2d6566ff2398",
};

std::uint64_t spi(std::string_view h) {
  std::uint64_t v = 0;
  for (std::uint8_t b : hex(h)) v = (v << 8) | b;
  return v;
}

class CavsIkev2Kdf : public ::testing::TestWithParam<CavsCase> {};

TEST_P(CavsIkev2Kdf, Skeyseed) {
  const CavsCase& c = GetParam();
  EXPECT_EQ(hex_of(skeyseed(c.prf, hex(c.ni), hex(c.nr), hex(c.gir))), c.skeyseed);
}

TEST_P(CavsIkev2Kdf, DkmIsPrfPlusOverNoncesAndSpis) {
  const CavsCase& c = GetParam();
  Bytes seed = hex(c.ni);
  for (std::string_view part : {c.nr, c.spi_i, c.spi_r}) {
    Bytes b = hex(part);
    seed.insert(seed.end(), b.begin(), b.end());
  }
  EXPECT_EQ(hex_of(prf_plus(c.prf, hex(c.skeyseed), seed, 132)), c.dkm);
  // prf+ output is a prefix-stable stream: shorter requests are prefixes (also mid-block).
  EXPECT_EQ(hex_of(prf_plus(c.prf, hex(c.skeyseed), seed, 15)), c.dkm.substr(0, 30));
  EXPECT_EQ(prf_plus(c.prf, hex(c.skeyseed), seed, 0).size(), 0u);
}

TEST_P(CavsIkev2Kdf, RekeySkeyseedUsesOldSkD) {
  const CavsCase& c = GetParam();
  const std::size_t prf_len = crypto::hash_length(c.prf);
  const Bytes dkm = hex(c.dkm);
  const ByteView sk_d(dkm.data(), prf_len);  // SK_d is the first PRF-length slice of DKM
  EXPECT_EQ(hex_of(rekey_skeyseed(c.prf, sk_d, hex(c.gir_new), hex(c.ni), hex(c.nr))), c.skeyseed_rekey);
}

INSTANTIATE_TEST_SUITE_P(Nist, CavsIkev2Kdf, ::testing::Values(kSha1, kSha256), [](const auto& test_info) {
  return test_info.param.prf == HashAlgorithm::Sha1 ? "Sha1" : "Sha256";
});

TEST(DeriveIkeSaKeys, SlicesDkmInRfcOrder) {
  // AES-128-CBC + HMAC-SHA1-96 + PRF-HMAC-SHA1 consumes exactly the 132 CAVS DKM octets:
  // SK_d 20 | SK_ai 20 | SK_ar 20 | SK_ei 16 | SK_er 16 | SK_pi 20 | SK_pr 20.
  IkeAlgorithms alg;
  alg.encryption = wire::ikev2::EncryptionId::AesCbc;
  alg.key_bits = 128;
  alg.integrity = crypto::IntegrityAlgorithm::HmacSha1_96;
  alg.prf = HashAlgorithm::Sha1;
  const IkeSaKeys k = derive_ike_sa_keys(alg, hex(kSha1.skeyseed), hex(kSha1.ni), hex(kSha1.nr),
                                         spi(kSha1.spi_i), spi(kSha1.spi_r));
  const std::string dkm(kSha1.dkm);
  EXPECT_EQ(hex_of(k.sk_d), dkm.substr(0, 40));
  EXPECT_EQ(hex_of(k.sk_ai), dkm.substr(40, 40));
  EXPECT_EQ(hex_of(k.sk_ar), dkm.substr(80, 40));
  EXPECT_EQ(hex_of(k.sk_ei), dkm.substr(120, 32));
  EXPECT_EQ(hex_of(k.sk_er), dkm.substr(152, 32));
  EXPECT_EQ(hex_of(k.sk_pi), dkm.substr(184, 40));
  EXPECT_EQ(hex_of(k.sk_pr), dkm.substr(224, 40));
}

TEST(DeriveIkeSaKeys, AeadHasNoIntegrityKeysAndSaltedEncryptionKeys) {
  IkeAlgorithms alg;  // AES-GCM-16 256, PRF-HMAC-SHA256
  const IkeSaKeys k = derive_ike_sa_keys(alg, hex(kSha256.skeyseed), hex(kSha256.ni), hex(kSha256.nr),
                                         spi(kSha256.spi_i), spi(kSha256.spi_r));
  const std::string dkm(kSha256.dkm);
  EXPECT_EQ(hex_of(k.sk_d), dkm.substr(0, 64));
  EXPECT_TRUE(k.sk_ai.empty());
  EXPECT_TRUE(k.sk_ar.empty());
  ASSERT_EQ(k.sk_ei.size(), 36u);  // 32-octet key + 4-octet salt (RFC 5282 §7.1)
  EXPECT_EQ(hex_of(k.sk_ei), dkm.substr(64, 72));
  EXPECT_EQ(hex_of(k.sk_er), dkm.substr(136, 72));
  ASSERT_EQ(k.sk_pi.size(), 32u);
  EXPECT_EQ(hex_of(k.sk_pi).substr(0, 56), dkm.substr(208, 56));  // the part inside the 132 octets
  EXPECT_EQ(k.sk_pr.size(), 32u);
  EXPECT_NE(hex_of(k.sk_pi), hex_of(k.sk_pr));
}

ChildAlgorithms esp_gcm256() {
  ChildAlgorithms a;
  a.encryption = ipsec::EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm256, 16);
  return a;
}

ChildAlgorithms esp_cbc128_sha256() {
  ChildAlgorithms a;
  a.encryption = ipsec::EncryptionTransform::cbc_with(crypto::CbcAlgorithm::AesCbc128);
  a.integrity = crypto::IntegrityAlgorithm::HmacSha256_128;
  return a;
}

TEST(DeriveChildSaKeys, WithoutPfsIsDkmChildSa) {
  const Bytes dkm = hex(kSha1.dkm);
  const ByteView sk_d(dkm.data(), 20);
  const std::string expected(kSha1.dkm_child);

  const ChildSaKeys gcm = derive_child_sa_keys(HashAlgorithm::Sha1, sk_d, esp_gcm256(), std::nullopt,
                                               hex(kSha1.ni), hex(kSha1.nr));
  EXPECT_EQ(hex_of(gcm.encryption_i), expected.substr(0, 72));
  EXPECT_EQ(hex_of(gcm.encryption_r), expected.substr(72, 72));
  EXPECT_TRUE(gcm.integrity_i.empty());
  EXPECT_TRUE(gcm.integrity_r.empty());

  // RFC 7296 §2.17: encryption key then integrity key, initiator→responder first.
  const ChildSaKeys cbc = derive_child_sa_keys(HashAlgorithm::Sha1, sk_d, esp_cbc128_sha256(), std::nullopt,
                                               hex(kSha1.ni), hex(kSha1.nr));
  EXPECT_EQ(hex_of(cbc.encryption_i), expected.substr(0, 32));
  EXPECT_EQ(hex_of(cbc.integrity_i), expected.substr(32, 64));
  EXPECT_EQ(hex_of(cbc.encryption_r), expected.substr(96, 32));
  EXPECT_EQ(hex_of(cbc.integrity_r), expected.substr(128, 64));
}

TEST(DeriveChildSaKeys, WithPfsIsDkmChildSaDh) {
  const Bytes dkm = hex(kSha1.dkm);
  const ByteView sk_d(dkm.data(), 20);
  const Bytes gir_new = hex(kSha1.gir_new);
  const std::string expected(kSha1.dkm_child_dh);
  const ChildSaKeys k = derive_child_sa_keys(HashAlgorithm::Sha1, sk_d, esp_cbc128_sha256(),
                                             ByteView(gir_new), hex(kSha1.ni), hex(kSha1.nr));
  EXPECT_EQ(hex_of(k.encryption_i), expected.substr(0, 32));
  EXPECT_EQ(hex_of(k.integrity_i), expected.substr(32, 64));
  EXPECT_EQ(hex_of(k.encryption_r), expected.substr(96, 32));
  EXPECT_EQ(hex_of(k.integrity_r), expected.substr(128, 64));
}

TEST(DeriveChildSaKeys, AhHasOnlyIntegrityKeys) {
  ChildAlgorithms ah;
  ah.protocol = ipsec::IpsecProtocol::Ah;
  ah.integrity = crypto::IntegrityAlgorithm::HmacSha512_256;
  const Bytes dkm = hex(kSha1.dkm);
  const ChildSaKeys k = derive_child_sa_keys(HashAlgorithm::Sha1, ByteView(dkm.data(), 20), ah, std::nullopt,
                                             hex(kSha1.ni), hex(kSha1.nr));
  EXPECT_TRUE(k.encryption_i.empty());
  const std::string expected(kSha1.dkm_child);
  EXPECT_EQ(hex_of(k.integrity_i), expected.substr(0, 128));
  EXPECT_EQ(hex_of(k.integrity_r), expected.substr(128, 128));
}

TEST(PrfPlus, RefusesMoreThan255Blocks) {
  const Bytes key(20, 1), seed(8, 2);
  EXPECT_EQ(prf_plus(HashAlgorithm::Sha1, key, seed, 255 * 20).size(), 255u * 20);
  EXPECT_THROW(prf_plus(HashAlgorithm::Sha1, key, seed, 255 * 20 + 1), std::length_error);
}

TEST(Prf, ConcatenatesItsDataParts) {
  // prf(K, a | b) computed from parts equals the one-piece input; and it is the full hash length.
  const Bytes key = hex(kSha256.skeyseed);
  const Bytes a = hex(kSha256.gir_new), b = hex(kSha256.ni);
  Bytes ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  const auto split = prf(HashAlgorithm::Sha384, key, {a, b});
  const auto whole = prf(HashAlgorithm::Sha384, key, {ab});
  EXPECT_EQ(split.size(), 48u);
  EXPECT_EQ(hex_of(split), hex_of(whole));
  // And the SKEYSEED vector through the generic entry point: key Ni | Nr, data g^ir.
  Bytes nonces = hex(kSha1.ni);
  const Bytes nr = hex(kSha1.nr);
  nonces.insert(nonces.end(), nr.begin(), nr.end());
  EXPECT_EQ(hex_of(prf(HashAlgorithm::Sha1, nonces, {hex(kSha1.gir)})), kSha1.skeyseed);
}

}  // namespace
}  // namespace cygnet::ike
