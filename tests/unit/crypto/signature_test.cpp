// Signatures for IKE authentication (RFC 7427): round trips per key type and hash, refusal of
// tampered data and of schemes that do not fit the key, PEM loading, interoperability of the
// RSA-PSS parameters with OpenSSL set up by hand, and the RFC 8032 Ed25519 known answer. The
// IKEv1 forms: raw PKCS#1 v1.5 over HASH_I (RFC 2409 §5.1), checked by an RSA public operation
// and an `openssl pkeyutl` known answer; ECDSA as r || s (RFC 4754 §7), checked against the DER
// scheme and the RFC 4754 §8 test vectors.
#include "crypto/signature.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "crypto/error.hpp"

namespace cygnet::crypto {
namespace {

ByteView text(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

const std::string_view kMessage = "IKE_AUTH octets: RealMessage1 | NonceRData | MACedIDForI";

// ---- helpers that drive OpenSSL directly, as an independent second implementation ----------

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using RawKey = std::unique_ptr<EVP_PKEY, PkeyFree>;

RawKey raw_private(const PrivateKey& key) {
  const std::string pem = key.to_pem();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  return RawKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string pem_of(EVP_PKEY* key, bool traditional) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  const int ok = traditional ? PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0,
                                                                    nullptr, nullptr)
                             : PEM_write_bio_PUBKEY(bio.get(), key);
  EXPECT_EQ(ok, 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

// An RSA signature made by OpenSSL with explicit parameters (salt_length < 0: PKCS#1 v1.5).
Bytes openssl_rsa_sign(EVP_PKEY* key, const EVP_MD* md, int salt_length, ByteView data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key), 1);
  if (salt_length >= 0) {
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md), 1);
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_length), 1);
  } else {
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), 1);
  }
  std::size_t length = 0;
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &length, data.data(), data.size()), 1);
  Bytes sig(length);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &length, data.data(), data.size()), 1);
  sig.resize(length);
  return sig;
}

// One 2048-bit RSA key for the whole suite: generating it is the slow part.
class RsaSignature : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = std::make_unique<PrivateKey>(PrivateKey::generate(KeyType::Rsa, 2048));
  }
  static void TearDownTestSuite() { key_.reset(); }
  static std::unique_ptr<PrivateKey> key_;
};
std::unique_ptr<PrivateKey> RsaSignature::key_;

TEST_F(RsaSignature, PssRoundTripsForEachSha2Hash) {
  const PublicKey pub = key_->public_key();
  EXPECT_EQ(pub.type(), KeyType::Rsa);
  EXPECT_EQ(pub.bits(), 2048u);
  for (HashAlgorithm hash : {HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512}) {
    SCOPED_TRACE(hash_name(hash));
    Bytes sig = key_->sign(SignatureScheme::RsaPss, hash, text(kMessage));
    EXPECT_EQ(sig.size(), 256u);
    EXPECT_TRUE(pub.verify(SignatureScheme::RsaPss, hash, text(kMessage), sig));
    // PSS is randomized (a fresh salt): a second signature differs and verifies too.
    Bytes again = key_->sign(SignatureScheme::RsaPss, hash, text(kMessage));
    EXPECT_NE(sig, again);
    EXPECT_TRUE(pub.verify(SignatureScheme::RsaPss, hash, text(kMessage), again));
    // The hash is part of what is verified.
    HashAlgorithm other = hash == HashAlgorithm::Sha256 ? HashAlgorithm::Sha512 : HashAlgorithm::Sha256;
    EXPECT_FALSE(pub.verify(SignatureScheme::RsaPss, other, text(kMessage), sig));
    EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1v15, hash, text(kMessage), sig));
  }
}

TEST_F(RsaSignature, PssUsesSaltOfHashLengthAndMgf1WithTheSameHash) {
  // RFC 8247 §3.2: salt length = hash length. Signatures made by OpenSSL with exactly those
  // parameters verify; with another salt length they do not.
  RawKey raw = raw_private(*key_);
  ASSERT_TRUE(raw);
  const PublicKey pub = key_->public_key();
  const Bytes with_digest_salt = openssl_rsa_sign(raw.get(), EVP_sha384(), 48, text(kMessage));
  EXPECT_TRUE(pub.verify(SignatureScheme::RsaPss, HashAlgorithm::Sha384, text(kMessage), with_digest_salt));
  const Bytes no_salt = openssl_rsa_sign(raw.get(), EVP_sha384(), 0, text(kMessage));
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPss, HashAlgorithm::Sha384, text(kMessage), no_salt));

  // And ours verifies under OpenSSL told to expect salt = 32 with SHA-256 / MGF1-SHA-256.
  const Bytes ours = key_->sign(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(kMessage));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, raw.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx.get(), ours.data(), ours.size(), text(kMessage).data(), kMessage.size()), 1);
}

TEST_F(RsaSignature, Pkcs1v15IsVerifiedButNeverMade) {
  RawKey raw = raw_private(*key_);
  ASSERT_TRUE(raw);
  const PublicKey pub = key_->public_key();
  const Bytes sig = openssl_rsa_sign(raw.get(), EVP_sha256(), -1, text(kMessage));
  EXPECT_TRUE(pub.verify(SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha256, text(kMessage), sig));
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(kMessage), sig));
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha384, text(kMessage), sig));
  // The header makes it verify-only: signing with it is refused.
  EXPECT_THROW(key_->sign(SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha256, text(kMessage)), CryptoError);
}

TEST_F(RsaSignature, TamperedDataOrSignatureFails) {
  const PublicKey pub = key_->public_key();
  Bytes sig = key_->sign(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(kMessage));
  std::string altered(kMessage);
  altered[3] ^= 0x20;
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(altered), sig));
  Bytes bad = sig;
  bad[100] ^= 0x01;
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(kMessage), bad));
  bad = sig;
  bad.pop_back();
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(kMessage), bad));
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(kMessage), Bytes{}));
}

TEST_F(RsaSignature, WrongSchemeForTheKey) {
  const PublicKey pub = key_->public_key();
  Bytes sig = key_->sign(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(kMessage));
  EXPECT_FALSE(pub.verify(SignatureScheme::Ecdsa, HashAlgorithm::Sha256, text(kMessage), sig));
  EXPECT_FALSE(pub.verify(SignatureScheme::Ed25519, HashAlgorithm::Sha256, text(kMessage), sig));
  EXPECT_THROW(key_->sign(SignatureScheme::Ecdsa, HashAlgorithm::Sha256, text(kMessage)), CryptoError);
  EXPECT_THROW(key_->sign(SignatureScheme::Ed25519, HashAlgorithm::Sha256, text(kMessage)), CryptoError);
}

TEST_F(RsaSignature, PemRoundTripKeepsTheKey) {
  const std::string pem = key_->to_pem();
  EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);  // PKCS#8
  std::optional<PrivateKey> reloaded = PrivateKey::from_pem(pem);
  ASSERT_TRUE(reloaded.has_value());
  EXPECT_EQ(reloaded->type(), KeyType::Rsa);
  EXPECT_EQ(reloaded->public_key().der_spki(), key_->public_key().der_spki());
  Bytes sig = reloaded->sign(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(kMessage));
  EXPECT_TRUE(key_->public_key().verify(SignatureScheme::RsaPss, HashAlgorithm::Sha256, text(kMessage), sig));

  // The traditional "RSA PRIVATE KEY" form loads as the same key.
  RawKey raw = raw_private(*key_);
  const std::string traditional = pem_of(raw.get(), true);
  EXPECT_NE(traditional.find("-----BEGIN RSA PRIVATE KEY-----"), std::string::npos);
  std::optional<PrivateKey> from_traditional = PrivateKey::from_pem(traditional);
  ASSERT_TRUE(from_traditional.has_value());
  EXPECT_EQ(from_traditional->public_key().der_spki(), key_->public_key().der_spki());
}

// ---- ECDSA ---------------------------------------------------------------------------------

struct EcCase {
  KeyType type;
  HashAlgorithm hash;
  std::size_t bits;
};

TEST(EcdsaSignature, RoundTripsOnEachCurve) {
  for (const EcCase& c : {EcCase{KeyType::EcdsaP256, HashAlgorithm::Sha256, 256},
                          EcCase{KeyType::EcdsaP384, HashAlgorithm::Sha384, 384},
                          EcCase{KeyType::EcdsaP521, HashAlgorithm::Sha512, 521}}) {
    SCOPED_TRACE(key_type_name(c.type));
    PrivateKey key = PrivateKey::generate(c.type);
    EXPECT_EQ(key.type(), c.type);
    const PublicKey pub = key.public_key();
    EXPECT_EQ(pub.type(), c.type);
    EXPECT_EQ(pub.bits(), c.bits);
    Bytes sig = key.sign(SignatureScheme::Ecdsa, c.hash, text(kMessage));
    ASSERT_GE(sig.size(), 8u);
    EXPECT_EQ(sig[0], 0x30);  // DER SEQUENCE { r INTEGER, s INTEGER } (RFC 7427 carries it so)
    EXPECT_TRUE(pub.verify(SignatureScheme::Ecdsa, c.hash, text(kMessage), sig));

    std::string altered(kMessage);
    altered.back() ^= 0x01;
    EXPECT_FALSE(pub.verify(SignatureScheme::Ecdsa, c.hash, text(altered), sig));
    Bytes bad = sig;
    bad[bad.size() - 2] ^= 0x01;
    EXPECT_FALSE(pub.verify(SignatureScheme::Ecdsa, c.hash, text(kMessage), bad));
    EXPECT_FALSE(pub.verify(SignatureScheme::Ecdsa, HashAlgorithm::Sha1, text(kMessage), sig));
    EXPECT_FALSE(pub.verify(SignatureScheme::RsaPss, c.hash, text(kMessage), sig));
    EXPECT_FALSE(pub.verify(SignatureScheme::Ed25519, c.hash, text(kMessage), sig));
    EXPECT_THROW(key.sign(SignatureScheme::RsaPss, c.hash, text(kMessage)), CryptoError);

    // PEM round trip, and a key from another curve does not verify.
    std::optional<PrivateKey> reloaded = PrivateKey::from_pem(key.to_pem());
    ASSERT_TRUE(reloaded.has_value());
    EXPECT_EQ(reloaded->type(), c.type);
    EXPECT_TRUE(pub.verify(SignatureScheme::Ecdsa, c.hash, text(kMessage),
                           reloaded->sign(SignatureScheme::Ecdsa, c.hash, text(kMessage))));
    PrivateKey other = PrivateKey::generate(c.type);
    EXPECT_FALSE(other.public_key().verify(SignatureScheme::Ecdsa, c.hash, text(kMessage), sig));
  }
}

TEST(EcdsaSignature, TraditionalEcPemLoads) {
  PrivateKey key = PrivateKey::generate(KeyType::EcdsaP256);
  RawKey raw = raw_private(key);
  ASSERT_TRUE(raw);
  const std::string traditional = pem_of(raw.get(), true);
  EXPECT_NE(traditional.find("-----BEGIN EC PRIVATE KEY-----"), std::string::npos);
  std::optional<PrivateKey> loaded = PrivateKey::from_pem(traditional);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->type(), KeyType::EcdsaP256);
  EXPECT_EQ(loaded->public_key().der_spki(), key.public_key().der_spki());
}

TEST(EcdsaSignature, UnsupportedCurveIsNotLoaded) {
  RawKey p224(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-224"));
  ASSERT_TRUE(p224);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), p224.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  EXPECT_FALSE(PrivateKey::from_pem(std::string_view(data, static_cast<std::size_t>(length))).has_value());
  EXPECT_FALSE(PublicKey::from_pem(pem_of(p224.get(), false)).has_value());
}

// ---- Ed25519 -------------------------------------------------------------------------------

TEST(Ed25519Signature, RoundTripIgnoresTheHash) {
  PrivateKey key = PrivateKey::generate(KeyType::Ed25519);
  const PublicKey pub = key.public_key();
  EXPECT_EQ(pub.type(), KeyType::Ed25519);
  Bytes sig = key.sign(SignatureScheme::Ed25519, HashAlgorithm::Sha256, text(kMessage));
  EXPECT_EQ(sig.size(), 64u);
  // RFC 8420: Ed25519 is used with the "Identity" hash; whatever hash is named does not matter.
  EXPECT_TRUE(pub.verify(SignatureScheme::Ed25519, HashAlgorithm::Sha512, text(kMessage), sig));
  EXPECT_EQ(sig, key.sign(SignatureScheme::Ed25519, HashAlgorithm::Sha384, text(kMessage)));  // deterministic
  std::string altered(kMessage);
  altered[0] ^= 0x01;
  EXPECT_FALSE(pub.verify(SignatureScheme::Ed25519, HashAlgorithm::Sha256, text(altered), sig));
  sig[10] ^= 0x80;
  EXPECT_FALSE(pub.verify(SignatureScheme::Ed25519, HashAlgorithm::Sha256, text(kMessage), sig));
  EXPECT_FALSE(pub.verify(SignatureScheme::Ecdsa, HashAlgorithm::Sha256, text(kMessage), sig));
  EXPECT_THROW(key.sign(SignatureScheme::Ecdsa, HashAlgorithm::Sha256, text(kMessage)), CryptoError);

  std::optional<PrivateKey> reloaded = PrivateKey::from_pem(key.to_pem());
  ASSERT_TRUE(reloaded.has_value());
  EXPECT_EQ(reloaded->type(), KeyType::Ed25519);
  EXPECT_EQ(reloaded->public_key().der_spki(), pub.der_spki());
}

std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// RFC 8032 §7.1, TEST 1: the secret key (seed), its public key, and the signature of the empty
// message. The seed is wrapped as PKCS#8 per RFC 8410 §7 (OneAsymmetricKey with id-Ed25519 and
// the CurvePrivateKey OCTET STRING).
TEST(Ed25519Signature, Rfc8032Test1KnownAnswer) {
  const Bytes pkcs8 = from_hex(
      "302e020100300506032b657004220420"
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const std::string pem = "-----BEGIN PRIVATE KEY-----\n" + base64(pkcs8) + "\n-----END PRIVATE KEY-----\n";
  std::optional<PrivateKey> key = PrivateKey::from_pem(pem);
  ASSERT_TRUE(key.has_value());
  ASSERT_EQ(key->type(), KeyType::Ed25519);

  // SubjectPublicKeyInfo (RFC 8410 §4): 12-byte header, then the 32-byte public key.
  const Bytes spki = key->public_key().der_spki();
  EXPECT_EQ(to_hex(spki),
            "302a300506032b6570032100"
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

  const Bytes sig = key->sign(SignatureScheme::Ed25519, HashAlgorithm::Sha256, ByteView{});
  EXPECT_EQ(to_hex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

  std::optional<PublicKey> pub = PublicKey::from_der_spki(spki);
  ASSERT_TRUE(pub.has_value());
  EXPECT_TRUE(pub->verify(SignatureScheme::Ed25519, HashAlgorithm::Sha256, ByteView{}, sig));
  EXPECT_FALSE(pub->verify(SignatureScheme::Ed25519, HashAlgorithm::Sha256, text("x"), sig));
}

// ---- IKEv1 forms: RSA PKCS#1 v1.5 without DigestInfo, ECDSA as r || s ----------------------

// An independent OpenSSL handle on the public key, from its SubjectPublicKeyInfo.
RawKey raw_public(const PublicKey& key) {
  const Bytes der = key.der_spki();
  const unsigned char* p = der.data();
  return RawKey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
}

// The RSA public operation on a signature, undoing the padding given (RSA_NO_PADDING: the whole
// encoded block). Empty when OpenSSL refuses.
Bytes rsa_public_recover(EVP_PKEY* key, int padding, ByteView signature) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(key, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_verify_recover_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), padding) != 1)
    return {};
  std::size_t length = 0;
  if (EVP_PKEY_verify_recover(ctx.get(), nullptr, &length, signature.data(), signature.size()) != 1)
    return {};
  Bytes out(length);
  if (EVP_PKEY_verify_recover(ctx.get(), out.data(), &length, signature.data(), signature.size()) != 1)
    return {};
  out.resize(length);
  return out;
}

struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using RawEcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

// The test's own r || s <-> DER conversions, written apart from the library's.
Bytes test_rs_to_der(ByteView rs) {
  const std::size_t half = rs.size() / 2;
  RawEcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(rs.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(rs.data() + half, static_cast<int>(half), nullptr);
  EXPECT_EQ(ECDSA_SIG_set0(sig.get(), r, s), 1);
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  EXPECT_GT(length, 0);
  Bytes out(der, der + length);
  OPENSSL_free(der);
  return out;
}

Bytes test_der_to_rs(ByteView der, std::size_t half) {
  const unsigned char* p = der.data();
  RawEcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  EXPECT_TRUE(sig);
  if (!sig) return {};
  Bytes out(2 * half);
  EXPECT_EQ(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), static_cast<int>(half)),
            static_cast<int>(half));
  EXPECT_EQ(BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + half, static_cast<int>(half)),
            static_cast<int>(half));
  return out;
}

// SHA-256("abc") (FIPS 180-2), standing in for an IKEv1 HASH_I.
const Bytes kHashI = from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

TEST_F(RsaSignature, Pkcs1RawRoundTripsAndSignsTheInputAsIs) {
  const PublicKey pub = key_->public_key();
  const Bytes sig = key_->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI);
  EXPECT_EQ(sig.size(), 256u);
  EXPECT_TRUE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI, sig));

  // The RSA public operation with PKCS#1 unpadding gives back exactly the 32 input bytes...
  RawKey raw = raw_public(pub);
  ASSERT_TRUE(raw);
  EXPECT_EQ(to_hex(rsa_public_recover(raw.get(), RSA_PKCS1_PADDING, sig)), to_hex(kHashI));
  // ...and the whole block is 00 01 FF..FF 00 || HASH_I: type 1 padding, no DigestInfo.
  Bytes expected_block = {0x00, 0x01};
  expected_block.insert(expected_block.end(), 256 - 3 - kHashI.size(), 0xff);
  expected_block.push_back(0x00);
  expected_block.insert(expected_block.end(), kHashI.begin(), kHashI.end());
  EXPECT_EQ(to_hex(rsa_public_recover(raw.get(), RSA_NO_PADDING, sig)), to_hex(expected_block));

  // It is not the hash-and-wrap PKCS#1 v1.5 of RFC 7427.
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha256, kHashI, sig));
}

TEST_F(RsaSignature, Pkcs1RawIgnoresTheHashAndTakesEachIkev1HashSize) {
  const PublicKey pub = key_->public_key();
  const Bytes sig = key_->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI);
  // Deterministic, and the hash named does not enter into it.
  EXPECT_EQ(sig, key_->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha512, kHashI));
  EXPECT_TRUE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha1, kHashI, sig));

  // HASH_I is as long as the negotiated PRF's output: SHA-1 (20) up to SHA-512 (64).
  RawKey raw = raw_public(pub);
  for (std::size_t size : {20u, 32u, 48u, 64u}) {
    SCOPED_TRACE(size);
    Bytes hash(size);
    for (std::size_t i = 0; i < size; ++i) hash[i] = static_cast<std::uint8_t>(0xa0 + i);
    const Bytes s = key_->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha1, hash);
    EXPECT_TRUE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha1, hash, s));
    EXPECT_EQ(rsa_public_recover(raw.get(), RSA_PKCS1_PADDING, s), hash);
  }
  // Type 1 padding needs 11 bytes of the 256: 245 is the most that can be signed.
  EXPECT_NO_THROW(key_->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, Bytes(245, 0x5a)));
  EXPECT_THROW(key_->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, Bytes(246, 0x5a)),
               CryptoError);
  EXPECT_THROW(key_->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, Bytes{}), CryptoError);
}

TEST_F(RsaSignature, Pkcs1RawRefusesTamperingAndWrongLengths) {
  const PublicKey pub = key_->public_key();
  const Bytes sig = key_->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI);
  Bytes bad = sig;
  bad[77] ^= 0x04;
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI, bad));
  Bytes altered = kHashI;
  altered[31] ^= 0x01;
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, altered, sig));
  // A prefix or an extension of the input is not the input.
  EXPECT_FALSE(
      pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, ByteView(kHashI).first(20), sig));
  Bytes longer = kHashI;
  longer.push_back(0x00);
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, longer, sig));
  // Exactly the modulus size: no stripped leading byte, no extra one.
  bad = sig;
  bad.erase(bad.begin());
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI, bad));
  bad = sig;
  bad.insert(bad.begin(), 0x00);
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI, bad));
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI, Bytes{}));
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, Bytes{}, sig));
  EXPECT_NO_THROW(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI, Bytes(256, 0xff)));
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI, Bytes(256, 0xff)));
}

TEST_F(RsaSignature, IkeV1SchemesRefuseTheWrongKeyType) {
  const PublicKey pub = key_->public_key();
  // RSA key, ECDSA r || s scheme.
  EXPECT_THROW(key_->sign(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha256, kHashI), CryptoError);
  EXPECT_FALSE(
      pub.verify(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha256, kHashI, Bytes(64, 0x11)));
  // ECDSA and Ed25519 keys, raw RSA scheme.
  for (KeyType type : {KeyType::EcdsaP256, KeyType::Ed25519}) {
    SCOPED_TRACE(key_type_name(type));
    PrivateKey other = PrivateKey::generate(type);
    EXPECT_THROW(other.sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI), CryptoError);
    const Bytes rsa_sig = key_->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI);
    EXPECT_FALSE(
        other.public_key().verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI, rsa_sig));
  }
  PrivateKey ed = PrivateKey::generate(KeyType::Ed25519);
  EXPECT_THROW(ed.sign(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha256, kHashI), CryptoError);
  EXPECT_FALSE(ed.public_key().verify(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha256, kHashI,
                                      ed.sign(SignatureScheme::Ed25519, HashAlgorithm::Sha256, kHashI)));
}

// Known answers, made with the OpenSSL 3.0 command line on this fixed test-only key:
//   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem
//   printf abc | openssl dgst -sha256 -binary > hash.bin
//   openssl pkeyutl -sign -inkey key.pem -pkeyopt rsa_padding_mode:pkcs1 -in hash.bin -out sig.bin
// (pkeyutl without -digest signs its input as is.) PKCS#1 v1.5 is deterministic, so ours must
// be the same bytes. The second input, SHA-256("Cygnet HASH_I 338"), was picked because its
// signature begins with a zero byte.
constexpr std::string_view kKatRsaKey = R"(-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDOPc1Q1KnROHWO
5eM3pBJmB4D17XS+sV9qbG5Dn+EYeNYS+Zw8X2mG8VpTMQJH54gJANHx6wf/SfGQ
GLtdDJjcG9P+RHRBHUiOYKTHV/X9Fj/F9isEasNYC+P54wB5KZjEa5qc3Bwfplk4
FjfXebZKjN9iQtYfATsHy5VGW7bZwnKfEvjFoNYNl8PbH4gNpG8XNTvWdAd5NWXY
wku70EI7WJ8+UkLb6XF+Eqk6h2l1vYG4QaItLc4jRJEoy67R4LG3OdGnD7qLi2rb
9Gf1mYKnMDV/euDoOBbv92NYsRWfiLL8I7OhTkT0GHHISLCj17euEyUtE0GsyFPw
Q+WAmf+1AgMBAAECggEAE+rB/jFbaPoT2EX5KHFu2W2WFanl4ViNx2BLUbqJ6WwZ
+GEkpmvsa/y45VnRR5Jjf8MVg1BYSF4itvC8f2LtDCyfz2la9MLYM++/WgTzm4pf
hEWep+GLleAoFwTGEe1jdGyT1Nwo1yGgchsrL2LwqMhr9jhQJ1ReGAWgF9hZkzPY
ik+WclNrOgegBETisteShelpxlAoswEUtxoI4Mq4yv9pKkm5X5NItsk93OqWZbwU
Mv7rZgtvwIKw5LuSLWQCQqUVJVIb5kV9+jVdvrY6yW2cPAIxCVdjy3UCXP0pvhZd
EbB5I75rlbpITGSN5WqCGHtd+Gv895pmRQ/lAWWlTQKBgQD42vFCdUJU8A51DSmv
bh96GKR5Y+xsZ4ZaqWOFSu9XhdVwsMjl/fnSXSI4lcZlTNPawIpUJMDyzcROEAEf
Q4//BhsGAhey/Dgcg92JObBcXpsaOHA7pe/+nruFSql6jEi1CEYK7J6zt8buk84i
wDstHmRp3KQLKrMaNeExwe+SjwKBgQDUKacfM3Qpm0wlwNvhIN0KISbWR0CTyB3N
vGzPyqaGkb9c61d2dXiHYebT0UURk2UaupfcNi3tQUI85Bu0XaXbUQAQG5g879H7
O+xR424f8mkcqw3W09bfnUkPmsUecUn5/IpXb37vRd6jF3uieoy+3KNEM4PoLOxq
+dfMaB6bewKBgFHh2JiBdL317wvctOagWYMXMKcwlc5lkfOq4LAvI+msg7p8sN3c
X6M0OdpcjdcvHFZSHDHrlgFOa1U0NupOlMbY/3NOpPWjv+LCENbiQIFkL6zE/Ujj
JMCnAhStqG5GUnYers1RZjbENZSy1ZTho5cI9QlQLDnwZtYs/Fge8/FJAoGAWjXj
w5aDO/W2aQ8Z7x2kHtx9wPrG8I9UbNhDhA7sw6dRMNc4dzv3pcjw9vuyXIjJopXY
YGABIzJuUanERerTzO8iEbdKAg8Ov754+1Cy0I6oNvJcjg3A/Y/JMwNh8VHGXK8O
u6LC3EZfJgWkIi/tjHIQUb19xsjjNZFKOrXC3eUCgYEA97Jhdf/D/eaIIjGrWhGp
Rb4Ga4TPNc8771hdNoNgIDIYDq2dVwn0qirrEfPWdvqSvQlD1QK/TOZ8aCZTBPLZ
BtFE69Fm4Cq4NVfh0R7uW3Fbih+dhNoT1pzckgJeDw8xd3tzVF/QA9H8awv2gWCz
v9Dnbaq6Kt9G6SLXb6swDDA=
-----END PRIVATE KEY-----
)";

TEST(RsaPkcs1Raw, OpensslPkeyutlKnownAnswer) {
  std::optional<PrivateKey> key = PrivateKey::from_pem(kKatRsaKey);
  ASSERT_TRUE(key.has_value());
  ASSERT_EQ(key->type(), KeyType::Rsa);
  const std::string expected =
      "4f108e1fd39d3e3361fc3959f532f0bd5a668ff14acf725dfada29f14167190464c46cbe65d6560188724378d58e271b"
      "5d1448a568d0ae3a599ee034ffbd448575a2569bc5dc38b29ab088c70bd54790a3356f6c3de7980e32c95e75f0639ee1"
      "582c61d444c2ccb9bf2deafd59f616fa0f598f24372636278735f4e62eeae8ba8ef326602bd4eaea926f1a595bded2ea"
      "74c16b90da37c71eb0c3744290a962c7c44f525abf0eff1220287b747c4f5505c203ce58a87ea288696ba986f08e452e"
      "537b01659e3d5de602e9c077123817636703595f8c5f7f67004b589f60db1f28878b89310f7c80f11c39a2ecfc330ea1"
      "88d475fc5dbfcce3e692d16f49b269c2";
  EXPECT_EQ(to_hex(key->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI)), expected);
  EXPECT_TRUE(key->public_key().verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, kHashI,
                                       from_hex(expected)));

  const Bytes hash = from_hex("3d2073dd5baaba76bf158fd5630d7236c725c9844d9ad72196f6e19fb1473bd3");
  const std::string leading_zero =
      "00a7a176fe893a09da9b6ed829cdf8f3bac380590952ad1a9251c4da475e6d742ef47f303ca8456bbc12f9357b603c88"
      "e56e3ca063d9b9cafa7485462346debd2e571fd7ba5298503bba3727febf94387235e180a181641029e71786ddeca266"
      "8d37a4ef4152196be9b78f2dd5062b11224067381c66943efc368428cdb2a9b253a7597f34bd7aa64270e9a66791e434"
      "81fd161288e3342ab247945a90078441c16fce859b696e6624b9fb5495606c6c9aac3117110d9c13c6843b60c8148f57"
      "6f2d4a707be22f8650f43e27a36324ea90ff02efa546a28ba6da6768e108fa064191db0d078057a9fffd18b2c83e68f5"
      "b244a6c2ccddb8ed5a07023f5b63c4a8";
  const Bytes sig = key->sign(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, hash);
  EXPECT_EQ(to_hex(sig), leading_zero);  // all 256 bytes, the zero kept
  const PublicKey pub = key->public_key();
  EXPECT_TRUE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, hash, sig));
  // OpenSSL alone takes the 255 bytes left once the zero is dropped; the wire form is the
  // modulus size, so verify refuses them.
  const ByteView stripped = ByteView(sig).subspan(1);
  RawKey raw = raw_public(pub);
  EXPECT_EQ(rsa_public_recover(raw.get(), RSA_PKCS1_PADDING, stripped), hash);
  EXPECT_FALSE(pub.verify(SignatureScheme::RsaPkcs1Raw, HashAlgorithm::Sha256, hash, stripped));
}

struct RsCase {
  KeyType type;
  HashAlgorithm hash;
  std::size_t field_bytes;  // RFC 4754 §7
};
constexpr RsCase kRsCases[] = {{KeyType::EcdsaP256, HashAlgorithm::Sha256, 32},
                               {KeyType::EcdsaP384, HashAlgorithm::Sha384, 48},
                               {KeyType::EcdsaP521, HashAlgorithm::Sha512, 66}};

TEST(EcdsaConcatenated, RoundTripsAsFixedSizeRsAndMatchesTheDerScheme) {
  for (const RsCase& c : kRsCases) {
    SCOPED_TRACE(key_type_name(c.type));
    PrivateKey key = PrivateKey::generate(c.type);
    const PublicKey pub = key.public_key();
    const Bytes sig = key.sign(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage));
    ASSERT_EQ(sig.size(), 2 * c.field_bytes);
    EXPECT_TRUE(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage), sig));
    // The same signature in DER verifies under the RFC 7427 scheme, and a DER signature made by
    // that scheme verifies here once converted: only the encoding differs.
    EXPECT_TRUE(pub.verify(SignatureScheme::Ecdsa, c.hash, text(kMessage), test_rs_to_der(sig)));
    const Bytes der = key.sign(SignatureScheme::Ecdsa, c.hash, text(kMessage));
    EXPECT_TRUE(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage),
                           test_der_to_rs(der, c.field_bytes)));
    // A DER signature is not an r || s one, nor the other way round.
    EXPECT_FALSE(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage), der));
    EXPECT_FALSE(pub.verify(SignatureScheme::Ecdsa, c.hash, text(kMessage), sig));
    // The hash is part of what is verified.
    EXPECT_FALSE(pub.verify(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha1, text(kMessage), sig));
  }
}

TEST(EcdsaConcatenated, RefusesTamperingAndWrongLengths) {
  for (const RsCase& c : kRsCases) {
    SCOPED_TRACE(key_type_name(c.type));
    PrivateKey key = PrivateKey::generate(c.type);
    const PublicKey pub = key.public_key();
    const Bytes sig = key.sign(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage));
    std::string altered(kMessage);
    altered[5] ^= 0x01;
    EXPECT_FALSE(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(altered), sig));
    for (std::size_t at : {std::size_t{3}, c.field_bytes + 3}) {  // a bit of r, then of s
      Bytes bad = sig;
      bad[at] ^= 0x10;
      EXPECT_FALSE(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage), bad));
    }
    // Fixed size only: one byte short or long (even a leading zero), half, or nothing.
    Bytes shorter = sig;
    shorter.pop_back();
    Bytes longer = sig;
    longer.insert(longer.begin(), 0x00);
    for (const Bytes& wrong : {shorter, longer, Bytes(sig.begin(), sig.begin() + sig.size() / 2), Bytes{}}) {
      SCOPED_TRACE(wrong.size());
      EXPECT_NO_THROW(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage), wrong));
      EXPECT_FALSE(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage), wrong));
    }
    // The same r and s, each padded one byte wider: the values are right, the size is not.
    Bytes wider = {0x00};
    wider.insert(wider.end(), sig.begin(), sig.begin() + c.field_bytes);
    wider.push_back(0x00);
    wider.insert(wider.end(), sig.begin() + c.field_bytes, sig.end());
    EXPECT_TRUE(pub.verify(SignatureScheme::Ecdsa, c.hash, text(kMessage), test_rs_to_der(wider)));
    EXPECT_FALSE(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage), wider));
    // Out-of-range r and s (zero; all ones, above the group order) are refused, not thrown.
    for (std::uint8_t fill : {std::uint8_t{0x00}, std::uint8_t{0xff}}) {
      const Bytes extreme(2 * c.field_bytes, fill);
      EXPECT_NO_THROW(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage), extreme));
      EXPECT_FALSE(pub.verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage), extreme));
    }
    // Another key on the same curve does not verify it.
    PrivateKey other = PrivateKey::generate(c.type);
    EXPECT_FALSE(other.public_key().verify(SignatureScheme::EcdsaConcatenated, c.hash, text(kMessage), sig));
  }
  // A P-256 r || s (64 bytes) is the wrong length for P-384 and P-521 keys.
  PrivateKey p256 = PrivateKey::generate(KeyType::EcdsaP256);
  const Bytes sig = p256.sign(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha256, text(kMessage));
  EXPECT_FALSE(PrivateKey::generate(KeyType::EcdsaP384)
                   .public_key()
                   .verify(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha256, text(kMessage), sig));
}

TEST(EcdsaConcatenated, ShortIntegersAreLeftPadded) {
  // About one P-256 signature in 128 has an r or s below 2^248; their DER INTEGER is shorter,
  // the r || s form is not. Sign until one turns up (bounded: missing 4000 times is ~1e-14).
  PrivateKey key = PrivateKey::generate(KeyType::EcdsaP256);
  const PublicKey pub = key.public_key();
  bool seen = false;
  for (int i = 0; i < 4000 && !seen; ++i) {
    const Bytes sig = key.sign(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha256, text(kMessage));
    ASSERT_EQ(sig.size(), 64u);
    if (sig[0] != 0x00 && sig[32] != 0x00) continue;
    seen = true;
    EXPECT_TRUE(pub.verify(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha256, text(kMessage), sig));
    EXPECT_TRUE(
        pub.verify(SignatureScheme::Ecdsa, HashAlgorithm::Sha256, text(kMessage), test_rs_to_der(sig)));
  }
  EXPECT_TRUE(seen);
}

// RFC 4754 §8.1-8.3: public key (gwx, gwy) and the signature r, s of "abc" under SHA-256/384/512.
struct Rfc4754Vector {
  KeyType type;
  HashAlgorithm hash;
  std::string_view spki_prefix;  // SubjectPublicKeyInfo DER up to the uncompressed point 04 || x || y
  std::string_view gwx, gwy, r, s;
};

TEST(EcdsaConcatenated, Rfc4754TestVectorsVerify) {
  const Rfc4754Vector vectors[] = {
      {KeyType::EcdsaP256, HashAlgorithm::Sha256, "3059301306072a8648ce3d020106082a8648ce3d030107034200",
       "2442A5CC0ECD015FA3CA31DC8E2BBC70BF42D60CBCA20085E0822CB04235E970",
       "6FC98BD7E50211A4A27102FA3549DF79EBCB4BF246B80945CDDFE7D509BBFD7D",
       "CB28E0999B9C7715FD0A80D8E47A77079716CBBF917DD72E97566EA1C066957C",
       "86FA3BB4E26CAD5BF90B7F81899256CE7594BB1EA0C89212748BFF3B3D5B0315"},
      {KeyType::EcdsaP384, HashAlgorithm::Sha384, "3076301006072a8648ce3d020106052b81040022036200",
       "96281BF8DD5E0525CA049C048D345D3082968D10FEDF5C5ACA0C64E6465A97EA5CE10C9DFEC21797415710721F437922",
       "447688BA94708EB6E2E4D59F6AB6D7EDFF9301D249FE49C33096655F5D502FAD3D383B91C5E7EDAA2B714CC99D5743CA",
       "FB017B914E29149432D8BAC29A514640B46F53DDAB2C69948084E2930F1C8F7E08E07C9C63F2D21A07DCB56A6AF56EB3",
       "B263A1305E057F984D38726A1B46874109F417BCA112674C528262A40A629AF1CBB9F516CE0FA7D2FF630863A00E8B9F"},
      {KeyType::EcdsaP521, HashAlgorithm::Sha512, "30819b301006072a8648ce3d020106052b8104002303818600",
       "0151518F1AF0F563517EDD5485190DF95A4BF57B5CBA4CF2A9A3F6474725A35F7A"
       "FE0A6DDEB8BEDBCD6A197E592D40188901CECD650699C9B5E456AEA5ADD19052A8",
       "006F3B142EA1BFFF7E2837AD44C9E4FF6D2D34C73184BBAD90026DD5E6E85317D9"
       "DF45CAD7803C6C20035B2F3FF63AFF4E1BA64D1C077577DA3F4286C58F0AEAE643",
       "0154FD3836AF92D0DCA57DD5341D3053988534FDE8318FC6AAAAB68E2E6F4339B1"
       "9F2F281A7E0B22C269D93CF8794A9278880ED7DBB8D9362CAEACEE544320552251",
       "017705A7030290D1CEB605A9A1BB03FF9CDD521E87A696EC926C8C10C8362DF497"
       "5367101F67D1CF9BCCBF2F3D239534FA509E70AAC851AE01AAC68D62F866472660"},
  };
  for (const Rfc4754Vector& v : vectors) {
    SCOPED_TRACE(key_type_name(v.type));
    const std::string spki = std::string(v.spki_prefix) + "04" + std::string(v.gwx) + std::string(v.gwy);
    std::optional<PublicKey> pub = PublicKey::from_der_spki(from_hex(spki));
    ASSERT_TRUE(pub.has_value());
    ASSERT_EQ(pub->type(), v.type);
    const Bytes rs = from_hex(std::string(v.r) + std::string(v.s));
    EXPECT_TRUE(pub->verify(SignatureScheme::EcdsaConcatenated, v.hash, text("abc"), rs));
    EXPECT_FALSE(pub->verify(SignatureScheme::EcdsaConcatenated, v.hash, text("abd"), rs));
    Bytes swapped = from_hex(std::string(v.s) + std::string(v.r));  // s || r is not r || s
    EXPECT_FALSE(pub->verify(SignatureScheme::EcdsaConcatenated, v.hash, text("abc"), swapped));
  }
}

// ---- Loading public keys and malformed input -----------------------------------------------

TEST(PublicKeyLoading, PemAndDerSpki) {
  PrivateKey key = PrivateKey::generate(KeyType::EcdsaP384);
  const PublicKey pub = key.public_key();
  const Bytes der = pub.der_spki();
  RawKey raw = raw_private(key);
  std::optional<PublicKey> from_pem = PublicKey::from_pem(pem_of(raw.get(), false));
  ASSERT_TRUE(from_pem.has_value());
  EXPECT_EQ(from_pem->type(), KeyType::EcdsaP384);
  EXPECT_EQ(from_pem->der_spki(), der);

  std::optional<PublicKey> from_der = PublicKey::from_der_spki(der);
  ASSERT_TRUE(from_der.has_value());
  EXPECT_EQ(from_der->der_spki(), der);

  Bytes trailing = der;
  trailing.push_back(0x00);
  EXPECT_FALSE(PublicKey::from_der_spki(trailing).has_value());
  EXPECT_FALSE(PublicKey::from_der_spki(ByteView(der).first(der.size() - 1)).has_value());
  EXPECT_FALSE(PublicKey::from_der_spki(Bytes{}).has_value());
  EXPECT_FALSE(PublicKey::from_pem("not a key").has_value());
  // A private key PEM is not a public key.
  EXPECT_FALSE(PublicKey::from_pem(key.to_pem()).has_value());
}

TEST(PublicKeyLoading, CopiesShareTheKey) {
  PrivateKey key = PrivateKey::generate(KeyType::Ed25519);
  const PublicKey a = key.public_key();
  PublicKey b = a;  // NOLINT(performance-unnecessary-copy-initialization): the copy is under test
  EXPECT_EQ(a.impl(), b.impl());
  PublicKey c = key.public_key();
  c = b;
  EXPECT_EQ(c.impl(), a.impl());
  Bytes sig = key.sign(SignatureScheme::Ed25519, HashAlgorithm::Sha256, text(kMessage));
  EXPECT_TRUE(c.verify(SignatureScheme::Ed25519, HashAlgorithm::Sha256, text(kMessage), sig));
}

TEST(PrivateKeyLoading, MalformedAndEncryptedPemAreRefused) {
  EXPECT_FALSE(PrivateKey::from_pem("").has_value());
  EXPECT_FALSE(
      PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").has_value());
  PrivateKey key = PrivateKey::generate(KeyType::EcdsaP256);
  std::string pem = key.to_pem();
  pem[pem.size() / 2] = pem[pem.size() / 2] == 'A' ? 'B' : 'A';  // corrupt the base64 body
  EXPECT_FALSE(PrivateKey::from_pem(pem).has_value());

  // Encrypted PKCS#8 must be refused without asking for a passphrase on the terminal.
  RawKey raw = raw_private(key);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  char passphrase[] = "correct horse";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), raw.get(), EVP_aes_128_cbc(), passphrase,
                                          static_cast<int>(sizeof passphrase - 1), nullptr, nullptr),
            1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  const std::string encrypted(data, static_cast<std::size_t>(length));
  EXPECT_NE(encrypted.find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  EXPECT_FALSE(PrivateKey::from_pem(encrypted).has_value());
}

TEST(KeyTypeNames, AreStable) {
  EXPECT_STREQ(key_type_name(KeyType::Rsa), "RSA");
  EXPECT_STREQ(key_type_name(KeyType::EcdsaP256), "ECDSA-P256");
  EXPECT_STREQ(key_type_name(KeyType::EcdsaP384), "ECDSA-P384");
  EXPECT_STREQ(key_type_name(KeyType::EcdsaP521), "ECDSA-P521");
  EXPECT_STREQ(key_type_name(KeyType::Ed25519), "Ed25519");
}

}  // namespace
}  // namespace cygnet::crypto

namespace cygnet::crypto {
namespace {

// IKEv1 ECDSA as strongSwan signs it (SIGN_ECDSA_WITH_NULL): the HASH is the digest, r || s.
TEST(EcdsaConcatenatedPrehashed, SignsTheDataAsTheDigest) {
  for (KeyType type : {KeyType::EcdsaP256, KeyType::EcdsaP384}) {
    const PrivateKey key = PrivateKey::generate(type);
    const Bytes hash(32, 0x5a);  // a SHA2-256 HASH_I
    const Bytes sig = key.sign(SignatureScheme::EcdsaConcatenatedPrehashed, HashAlgorithm::Sha256, hash);
    EXPECT_EQ(sig.size(), type == KeyType::EcdsaP256 ? 64u : 96u);
    EXPECT_TRUE(key.public_key().verify(SignatureScheme::EcdsaConcatenatedPrehashed, HashAlgorithm::Sha512, hash, sig));
    // Not the same as hashing first: the hashed scheme must not accept it.
    EXPECT_FALSE(key.public_key().verify(SignatureScheme::EcdsaConcatenated, HashAlgorithm::Sha256, hash, sig));
    Bytes other = hash;
    other[0] ^= 1;
    EXPECT_FALSE(key.public_key().verify(SignatureScheme::EcdsaConcatenatedPrehashed, HashAlgorithm::Sha256, other, sig));
    Bytes bad = sig;
    bad.back() ^= 1;
    EXPECT_FALSE(key.public_key().verify(SignatureScheme::EcdsaConcatenatedPrehashed, HashAlgorithm::Sha256, hash, bad));
  }
  const PrivateKey rsa = PrivateKey::generate(KeyType::Rsa);
  EXPECT_THROW(rsa.sign(SignatureScheme::EcdsaConcatenatedPrehashed, HashAlgorithm::Sha256, Bytes(32, 1)), CryptoError);
}

}  // namespace
}  // namespace cygnet::crypto
