// X.509 for IKE: certificates issued here (ECDSA, RSA, Ed25519) validate against their CA at a
// time the caller passes; expiry, not-yet-valid, unknown issuers, non-CA issuers and missing
// intermediates are refused with OpenSSL's words; accessors read subject, SANs, validity and keys.
#include "crypto/x509.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "crypto/digest.hpp"
#include "crypto/error.hpp"

namespace cygnet::crypto {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

WallClock date(int y, unsigned m, unsigned d) {
  return sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

// Every certificate here is valid 2024-01-01 .. 2034-01-01 unless a test says otherwise.
const WallClock kNotBefore = date(2024, 1, 1);
const WallClock kNotAfter = date(2034, 1, 1);
const WallClock kDuringValidity = date(2026, 6, 15) + 12h;

CertificateSpec ca_spec(const std::string& name) {
  CertificateSpec spec;
  spec.common_name = name;
  spec.not_before = kNotBefore;
  spec.not_after = kNotAfter;
  spec.is_ca = true;
  return spec;
}

CertificateSpec leaf_spec(const std::string& name) {
  CertificateSpec spec;
  spec.common_name = name;
  spec.dns_names = {name, "vpn.example.com"};
  spec.email_names = {"ops@example.com"};
  spec.ip_addresses = {"192.0.2.1", "2001:db8::1"};
  spec.not_before = kNotBefore;
  spec.not_after = kNotAfter;
  return spec;
}

struct Issued {
  PrivateKey key;
  Certificate cert;
};

Issued make_ca(KeyType type, const std::string& name) {
  PrivateKey key = PrivateKey::generate(type);
  Certificate cert = issue_certificate(ca_spec(name), key.public_key(), key, nullptr);
  return {std::move(key), std::move(cert)};
}

Issued make_signed(KeyType type, const CertificateSpec& spec, const Issued& issuer) {
  PrivateKey key = PrivateKey::generate(type);
  Certificate cert = issue_certificate(spec, key.public_key(), issuer.key, &issuer.cert);
  return {std::move(key), std::move(cert)};
}

std::string pem_of(const Certificate& cert) {
  const Bytes der = cert.der();
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  b64.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                                      der.data(), static_cast<int>(der.size()))));
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END CERTIFICATE-----\n";
}

// ---- Validation ----------------------------------------------------------------------------

class EcdsaChain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = std::make_unique<Issued>(make_ca(KeyType::EcdsaP256, "Cygnet Test Root CA"));
    leaf_ = std::make_unique<Issued>(make_signed(KeyType::EcdsaP256, leaf_spec("gw.example.com"), *ca_));
  }
  static void TearDownTestSuite() {
    leaf_.reset();
    ca_.reset();
  }
  static std::unique_ptr<Issued> ca_;
  static std::unique_ptr<Issued> leaf_;
};
std::unique_ptr<Issued> EcdsaChain::ca_;
std::unique_ptr<Issued> EcdsaChain::leaf_;

TEST_F(EcdsaChain, ValidInsideTheValidityPeriod) {
  CertificateValidator validator({ca_->cert});
  ValidationResult result = validator.validate(leaf_->cert, {}, kDuringValidity);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_TRUE(result.error.empty());
  ASSERT_EQ(validator.trusted().size(), 1u);
  // The edges: notBefore itself is inside the period; OpenSSL counts the notAfter second itself
  // as expired (X509_cmp_time "earlier than, or equal to"), one second short of RFC 5280's
  // "through", so the last valid instant checked is one second before it.
  EXPECT_TRUE(validator.validate(leaf_->cert, {}, kNotBefore).ok);
  EXPECT_TRUE(validator.validate(leaf_->cert, {}, kNotAfter - 1s).ok);
}

TEST_F(EcdsaChain, ExpiredAfterNotAfter) {
  CertificateValidator validator({ca_->cert});
  ValidationResult result = validator.validate(leaf_->cert, {}, kNotAfter + 1s);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("expired"), std::string::npos) << result.error;
}

TEST_F(EcdsaChain, NotYetValidBeforeNotBefore) {
  CertificateValidator validator({ca_->cert});
  ValidationResult result = validator.validate(leaf_->cert, {}, kNotBefore - 1s);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("not yet valid"), std::string::npos) << result.error;
}

TEST_F(EcdsaChain, ExpiredCaFailsTheChain) {
  // Only the CA has run out: the leaf alone would still be in its period.
  PrivateKey ca_key = PrivateKey::generate(KeyType::EcdsaP256);
  CertificateSpec short_ca = ca_spec("Short-lived CA");
  short_ca.not_after = date(2025, 1, 1);
  Certificate ca_cert = issue_certificate(short_ca, ca_key.public_key(), ca_key, nullptr);
  Issued ca{std::move(ca_key), std::move(ca_cert)};
  Issued leaf = make_signed(KeyType::EcdsaP256, leaf_spec("gw.example.com"), ca);
  ValidationResult result = CertificateValidator({ca.cert}).validate(leaf.cert, {}, kDuringValidity);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("expired"), std::string::npos) << result.error;
}

TEST_F(EcdsaChain, LeafOfAnotherCaIsUntrusted) {
  Issued other_ca = make_ca(KeyType::EcdsaP256, "Cygnet Test Root CA");  // same name, other key
  Issued stranger = make_signed(KeyType::EcdsaP256, leaf_spec("gw.example.com"), other_ca);
  CertificateValidator validator({ca_->cert});
  ValidationResult result = validator.validate(stranger.cert, {}, kDuringValidity);
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.error.empty());
  // With no trusted CA at all, nothing validates.
  EXPECT_FALSE(CertificateValidator({}).validate(leaf_->cert, {}, kDuringValidity).ok);
  // Trusting the other CA instead flips both answers.
  CertificateValidator other({other_ca.cert});
  EXPECT_TRUE(other.validate(stranger.cert, {}, kDuringValidity).ok);
  EXPECT_FALSE(other.validate(leaf_->cert, {}, kDuringValidity).ok);
}

TEST_F(EcdsaChain, IssuerWithoutCaBasicConstraintIsRefused) {
  // A leaf (CA:FALSE) that signs another certificate is not a CA (RFC 5280 §4.2.1.9).
  Issued below_leaf = make_signed(KeyType::EcdsaP256, leaf_spec("evil.example.com"), *leaf_);
  ValidationResult result =
      CertificateValidator({ca_->cert}).validate(below_leaf.cert, {leaf_->cert}, kDuringValidity);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("CA"), std::string::npos) << result.error;
}

TEST_F(EcdsaChain, ChainThroughAnIntermediate) {
  Issued intermediate = make_signed(KeyType::EcdsaP384, ca_spec("Cygnet Test Intermediate CA"), *ca_);
  EXPECT_TRUE(intermediate.cert.is_ca());
  Issued leaf = make_signed(KeyType::EcdsaP256, leaf_spec("gw2.example.com"), intermediate);
  CertificateValidator validator({ca_->cert});
  ValidationResult with = validator.validate(leaf.cert, {intermediate.cert}, kDuringValidity);
  EXPECT_TRUE(with.ok) << with.error;
  ValidationResult without = validator.validate(leaf.cert, {}, kDuringValidity);
  EXPECT_FALSE(without.ok);
  EXPECT_NE(without.error.find("issuer"), std::string::npos) << without.error;
  // An intermediate passed along does not make an unrelated certificate valid.
  Issued other_ca = make_ca(KeyType::EcdsaP256, "Other CA");
  EXPECT_FALSE(
      CertificateValidator({other_ca.cert}).validate(leaf.cert, {intermediate.cert}, kDuringValidity).ok);
  // A configured intermediate is not a trust anchor on its own: the path must end at a root.
  ValidationResult only_intermediate =
      CertificateValidator({intermediate.cert}).validate(leaf.cert, {}, kDuringValidity);
  EXPECT_FALSE(only_intermediate.ok);
  EXPECT_EQ(only_intermediate.check, "issuer");
  // ... but it is a link: configured next to its root, the peer need not send it.
  ValidationResult configured_link =
      CertificateValidator({intermediate.cert, ca_->cert}).validate(leaf.cert, {}, kDuringValidity);
  EXPECT_TRUE(configured_link.ok) << configured_link.error;
  ASSERT_EQ(configured_link.chain.size(), 3u);
  EXPECT_EQ(configured_link.chain.back().der(), ca_->cert.der());
}

TEST_F(EcdsaChain, IntermediatesFromThePeerAreNeverAnchors) {
  // A peer that sends a self-signed "CA" as its intermediate gains nothing: only configured roots
  // end a path.
  Issued rogue_root = make_ca(KeyType::EcdsaP256, "Rogue Root");
  Issued leaf = make_signed(KeyType::EcdsaP256, leaf_spec("rogue.example.com"), rogue_root);
  ValidationResult result =
      CertificateValidator({ca_->cert}).validate(leaf.cert, {rogue_root.cert}, kDuringValidity);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.check, "issuer");
  // The words name what the peer sent and what we trust.
  EXPECT_NE(result.error.find("no path to a configured CA"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("CN=rogue.example.com"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("CN=Rogue Root"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("CN=Cygnet Test Root CA"), std::string::npos) << result.error;
}

TEST_F(EcdsaChain, ChainLengthIsCapped) {
  // Root -> 9 intermediates -> leaf: one more than kMaxIntermediates.
  std::vector<Issued> cas;
  for (std::size_t i = 0; i <= kMaxIntermediates; ++i)
    cas.push_back(
        make_signed(KeyType::EcdsaP256, ca_spec("Level " + std::to_string(i)), i == 0 ? *ca_ : cas.back()));
  Issued leaf = make_signed(KeyType::EcdsaP256, leaf_spec("deep.example.com"), cas.back());
  std::vector<Certificate> sent;
  for (auto it = cas.rbegin(); it != cas.rend(); ++it) sent.push_back(it->cert);
  ValidationResult too_long = CertificateValidator({ca_->cert}).validate(leaf.cert, sent, kDuringValidity);
  EXPECT_FALSE(too_long.ok);
  EXPECT_EQ(too_long.check, "chain length");
  EXPECT_NE(too_long.error.find("too long"), std::string::npos) << too_long.error;
  // Exactly kMaxIntermediates passes.
  Issued shallow_leaf =
      make_signed(KeyType::EcdsaP256, leaf_spec("ok.example.com"), cas[kMaxIntermediates - 1]);
  std::vector<Certificate> eight;
  for (std::size_t i = kMaxIntermediates; i-- > 0;) eight.push_back(cas[i].cert);
  ValidationResult ok = CertificateValidator({ca_->cert}).validate(shallow_leaf.cert, eight, kDuringValidity);
  EXPECT_TRUE(ok.ok) << ok.error;
}

TEST_F(EcdsaChain, ErrorsNameTheFailingCertificateAndTheCheck) {
  CertificateSpec short_spec = leaf_spec("short.example.com");
  short_spec.not_after = date(2026, 1, 1);
  Issued short_leaf = make_signed(KeyType::EcdsaP256, short_spec, *ca_);
  ValidationResult expired = CertificateValidator({ca_->cert}).validate(short_leaf.cert, {}, kDuringValidity);
  EXPECT_EQ(expired.check, "validity");
  EXPECT_EQ(expired.certificate, short_leaf.cert.subject_string());
  EXPECT_NE(expired.error.find("certificate has expired: CN=short.example.com"), std::string::npos)
      << expired.error;
  EXPECT_NE(expired.error.find("valid until 2026-01-01 00:00:00 UTC"), std::string::npos) << expired.error;
  ValidationResult early = CertificateValidator({ca_->cert}).validate(leaf_->cert, {}, kNotBefore - 1s);
  EXPECT_NE(early.error.find("valid from 2024-01-01 00:00:00 UTC"), std::string::npos) << early.error;
  Issued below_leaf = make_signed(KeyType::EcdsaP256, leaf_spec("evil.example.com"), *leaf_);
  ValidationResult not_ca =
      CertificateValidator({ca_->cert}).validate(below_leaf.cert, {leaf_->cert}, kDuringValidity);
  EXPECT_EQ(not_ca.check, "basicConstraints");
  EXPECT_EQ(not_ca.certificate, leaf_->cert.subject_string());
  EXPECT_NE(not_ca.error.find("not a CA"), std::string::npos) << not_ca.error;
}

TEST_F(EcdsaChain, IssuerRelations) {
  EXPECT_TRUE(ca_->cert.is_self_signed());
  EXPECT_FALSE(leaf_->cert.is_self_signed());
  EXPECT_TRUE(leaf_->cert.issued_by(ca_->cert));
  EXPECT_FALSE(ca_->cert.issued_by(leaf_->cert));
  Issued other_ca = make_ca(KeyType::EcdsaP256, "Cygnet Test Root CA");  // same name, other key
  EXPECT_FALSE(leaf_->cert.issued_by(other_ca.cert));
  EXPECT_EQ(leaf_->cert.issuer_string(), ca_->cert.subject_string());
  EXPECT_FALSE(leaf_->cert.serial_hex().empty());
}

TEST(CertificateUris, DistributionPointsAndOcspRespondersRoundTrip) {
  Issued ca = make_ca(KeyType::EcdsaP256, "URI CA");
  CertificateSpec spec = leaf_spec("uri.example.com");
  spec.crl_uris = {"http://192.0.2.10/ca.crl", "http://198.51.100.10/ca.crl"};
  spec.ocsp_uris = {"http://192.0.2.11:8080"};
  Issued leaf = make_signed(KeyType::EcdsaP256, spec, ca);
  EXPECT_EQ(leaf.cert.crl_uris(), spec.crl_uris);
  EXPECT_EQ(leaf.cert.ocsp_uris(), spec.ocsp_uris);
  EXPECT_TRUE(ca.cert.crl_uris().empty());
  EXPECT_TRUE(ca.cert.ocsp_uris().empty());
}

TEST(RsaChain, CaAndLeafValidate) {
  Issued ca = make_ca(KeyType::Rsa, "Cygnet RSA CA");
  Issued leaf = make_signed(KeyType::Rsa, leaf_spec("rsa.example.com"), ca);
  ValidationResult result = CertificateValidator({ca.cert}).validate(leaf.cert, {}, kDuringValidity);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(leaf.cert.public_key().type(), KeyType::Rsa);
  EXPECT_EQ(leaf.cert.public_key().bits(), 2048u);
  EXPECT_FALSE(CertificateValidator({ca.cert}).validate(leaf.cert, {}, date(2040, 1, 1)).ok);
  // The key in the certificate verifies the leaf key's signatures.
  const Bytes data = {1, 2, 3};
  EXPECT_TRUE(
      leaf.cert.public_key().verify(SignatureScheme::RsaPss, HashAlgorithm::Sha256, data,
                                    leaf.key.sign(SignatureScheme::RsaPss, HashAlgorithm::Sha256, data)));
}

TEST(Ed25519Chain, CaAndLeafValidate) {
  Issued ca = make_ca(KeyType::Ed25519, "Cygnet Ed25519 CA");
  Issued leaf = make_signed(KeyType::EcdsaP256, leaf_spec("ed.example.com"), ca);
  ValidationResult result = CertificateValidator({ca.cert}).validate(leaf.cert, {}, kDuringValidity);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(ca.cert.public_key().type(), KeyType::Ed25519);
}

TEST(IssueCertificate, RefusesBadInput) {
  Issued ca = make_ca(KeyType::EcdsaP256, "CA");
  PrivateKey wrong_key = PrivateKey::generate(KeyType::EcdsaP256);
  PrivateKey subject = PrivateKey::generate(KeyType::EcdsaP256);
  // The issuer key must belong to the issuer certificate.
  EXPECT_THROW(issue_certificate(leaf_spec("x.example.com"), subject.public_key(), wrong_key, &ca.cert),
               CryptoError);
  CertificateSpec bad_ip = leaf_spec("x.example.com");
  bad_ip.ip_addresses = {"192.0.2.300"};
  EXPECT_THROW(issue_certificate(bad_ip, subject.public_key(), ca.key, &ca.cert), CryptoError);
}

// ---- Accessors -----------------------------------------------------------------------------

TEST_F(EcdsaChain, SubjectAndSubjectAltNames) {
  const Certificate& leaf = leaf_->cert;
  EXPECT_EQ(leaf.subject_string(), "CN=gw.example.com,O=Cygnet Test");
  EXPECT_EQ(ca_->cert.subject_string(), "CN=Cygnet Test Root CA,O=Cygnet Test");
  EXPECT_EQ(leaf.dns_names(), (std::vector<std::string>{"gw.example.com", "vpn.example.com"}));
  EXPECT_EQ(leaf.email_names(), (std::vector<std::string>{"ops@example.com"}));
  ASSERT_EQ(leaf.ip_addresses().size(), 2u);
  EXPECT_EQ(to_hex(leaf.ip_addresses()[0]), "c0000201");
  EXPECT_EQ(to_hex(leaf.ip_addresses()[1]), "20010db8000000000000000000000001");
  // A certificate without subjectAltName has none.
  EXPECT_TRUE(ca_->cert.dns_names().empty());
  EXPECT_TRUE(ca_->cert.email_names().empty());
  EXPECT_TRUE(ca_->cert.ip_addresses().empty());

  // subject_der is the DER Name: a SEQUENCE that differs between subjects and that OpenSSL
  // parses back to the same printable form.
  const Bytes subject = leaf.subject_der();
  ASSERT_FALSE(subject.empty());
  EXPECT_EQ(subject[0], 0x30);
  EXPECT_NE(subject, ca_->cert.subject_der());
  const unsigned char* p = subject.data();
  std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)> name(
      d2i_X509_NAME(nullptr, &p, static_cast<long>(subject.size())), &X509_NAME_free);
  ASSERT_TRUE(name);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  ASSERT_GE(X509_NAME_print_ex(bio.get(), name.get(), 0, XN_FLAG_RFC2253), 0);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  EXPECT_EQ(std::string(data, static_cast<std::size_t>(length)), "CN=gw.example.com,O=Cygnet Test");
}

TEST_F(EcdsaChain, UnicodeSubjectIsReadable) {
  CertificateSpec spec = leaf_spec("gw.example.com");
  spec.organization = "Cygne \xc3\xa9l\xc3\xa9gant";  // UTF-8 "é"
  Issued leaf = make_signed(KeyType::EcdsaP256, spec, *ca_);
  EXPECT_EQ(leaf.cert.subject_string(), "CN=gw.example.com,O=Cygne \xc3\xa9l\xc3\xa9gant");
}

TEST_F(EcdsaChain, ValidityAndCaFlag) {
  EXPECT_EQ(leaf_->cert.not_before(), kNotBefore);
  EXPECT_EQ(leaf_->cert.not_after(), kNotAfter);
  EXPECT_TRUE(ca_->cert.is_ca());
  EXPECT_FALSE(leaf_->cert.is_ca());
}

TEST_F(EcdsaChain, PublicKeyAndSpkiSha1) {
  const PublicKey pub = leaf_->cert.public_key();
  EXPECT_EQ(pub.type(), KeyType::EcdsaP256);
  EXPECT_EQ(pub.der_spki(), leaf_->key.public_key().der_spki());
  const Bytes sha1 = ca_->cert.spki_sha1();
  EXPECT_EQ(sha1.size(), 20u);
  EXPECT_EQ(sha1, digest(HashAlgorithm::Sha1, {ca_->cert.public_key().der_spki()}));
  EXPECT_EQ(sha1, digest(HashAlgorithm::Sha1, {ca_->key.public_key().der_spki()}));
  EXPECT_NE(sha1, leaf_->cert.spki_sha1());
}

TEST_F(EcdsaChain, DerAndPemRoundTrip) {
  const Bytes der = leaf_->cert.der();
  std::optional<Certificate> from_der = Certificate::from_der(der);
  ASSERT_TRUE(from_der.has_value());
  EXPECT_EQ(from_der->der(), der);
  EXPECT_EQ(from_der->subject_string(), leaf_->cert.subject_string());
  EXPECT_TRUE(CertificateValidator({ca_->cert}).validate(*from_der, {}, kDuringValidity).ok);

  std::optional<Certificate> from_pem = Certificate::from_pem(pem_of(leaf_->cert));
  ASSERT_TRUE(from_pem.has_value());
  EXPECT_EQ(from_pem->der(), der);

  // A bundle: the certificates in order; text around the blocks is ignored.
  const std::string bundle = "leaf:\n" + pem_of(leaf_->cert) + "root:\n" + pem_of(ca_->cert);
  std::vector<Certificate> all = Certificate::all_from_pem(bundle);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].der(), der);
  EXPECT_EQ(all[1].der(), ca_->cert.der());
  EXPECT_EQ(Certificate::from_pem(bundle)->der(), der);  // the first one
}

TEST_F(EcdsaChain, MalformedInputIsRefused) {
  const Bytes der = leaf_->cert.der();
  Bytes trailing = der;
  trailing.push_back(0x00);
  EXPECT_FALSE(Certificate::from_der(trailing).has_value());
  EXPECT_FALSE(Certificate::from_der(ByteView(der).first(der.size() - 1)).has_value());
  EXPECT_FALSE(Certificate::from_der(Bytes{}).has_value());
  EXPECT_FALSE(Certificate::from_der(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}).has_value());
  EXPECT_FALSE(Certificate::from_pem("").has_value());
  EXPECT_FALSE(
      Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").has_value());
  EXPECT_TRUE(Certificate::all_from_pem("no certificates here").empty());

  // A flipped bit in the signature: parses, but no longer validates.
  Bytes tampered = der;
  tampered[tampered.size() - 5] ^= 0x01;
  std::optional<Certificate> bad = Certificate::from_der(tampered);
  ASSERT_TRUE(bad.has_value());
  ValidationResult result = CertificateValidator({ca_->cert}).validate(*bad, {}, kDuringValidity);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("signature"), std::string::npos) << result.error;
}

TEST_F(EcdsaChain, CopiesShareTheCertificate) {
  Certificate copy = leaf_->cert;
  EXPECT_EQ(copy.impl(), leaf_->cert.impl());
  Certificate moved = std::move(copy);
  EXPECT_EQ(moved.der(), leaf_->cert.der());
}

TEST(CertificateTime, NoWellDefinedExpirationSaturates) {
  // RFC 5280 §4.1.2.5: notAfter 99991231235959Z. Made here with OpenSSL directly and re-signed.
  Issued ca = make_ca(KeyType::EcdsaP256, "Forever CA");
  const Bytes der = ca.cert.der();
  const unsigned char* p = der.data();
  std::unique_ptr<X509, decltype(&X509_free)> x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())),
                                                   &X509_free);
  ASSERT_TRUE(x509);
  ASSERT_EQ(ASN1_TIME_set_string(X509_getm_notAfter(x509.get()), "99991231235959Z"), 1);
  const std::string key_pem = ca.key.to_pem();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  ASSERT_TRUE(key);
  ASSERT_GT(X509_sign(x509.get(), key.get(), EVP_sha256()), 0);
  const int length = i2d_X509(x509.get(), nullptr);
  Bytes resigned(static_cast<std::size_t>(length));
  unsigned char* out = resigned.data();
  i2d_X509(x509.get(), &out);

  std::optional<Certificate> forever = Certificate::from_der(resigned);
  ASSERT_TRUE(forever.has_value());
  EXPECT_EQ(forever->not_after(), WallClock::max());
  EXPECT_EQ(forever->not_before(), kNotBefore);
  EXPECT_TRUE(CertificateValidator({*forever}).validate(*forever, {}, date(2200, 1, 1)).ok);
}

}  // namespace
}  // namespace cygnet::crypto
