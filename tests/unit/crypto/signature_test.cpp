// Signatures for IKE authentication (RFC 7427): round trips per key type and hash, refusal of
// tampered data and of schemes that do not fit the key, PEM loading, interoperability of the
// RSA-PSS parameters with OpenSSL set up by hand, and the RFC 8032 Ed25519 known answer.
#include "crypto/signature.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

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
