// keyUsage / extendedKeyUsage for IKE (RFC 4945 §5.1.3.2, §5.1.3.12, as strongSwan applies them):
// each case on a certificate issued here, with the refusal naming the certificate and the fix.
#include "crypto/certificate_checks.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cygnet::crypto {
namespace {

using namespace std::chrono_literals;

struct Pki {
  PrivateKey ca_key = PrivateKey::generate(KeyType::EcdsaP256);
  Certificate ca;
  Pki() : ca(issue_certificate(spec("Usage CA", true), ca_key.public_key(), ca_key, nullptr)) {}

  static CertificateSpec spec(const std::string& cn, bool is_ca) {
    CertificateSpec s;
    s.common_name = cn;
    s.dns_names = {cn};
    s.not_before = WallClock{} + 24h * 365 * 50;
    s.not_after = s.not_before + 24h * 365 * 20;
    s.is_ca = is_ca;
    return s;
  }
  Certificate leaf(const std::string& key_usage, const std::string& extended_key_usage) {
    CertificateSpec s = spec("gw.example.com", false);
    s.key_usage = key_usage;
    s.extended_key_usage = extended_key_usage;
    PrivateKey key = PrivateKey::generate(KeyType::EcdsaP256);
    return issue_certificate(s, key.public_key(), ca_key, &ca);
  }
};

TEST(IkeKeyUsage, NoExtensionsPass) {
  Pki pki;
  EXPECT_EQ(check_ike_key_usage(pki.leaf("none", "")), std::nullopt);
}

TEST(IkeKeyUsage, KeyUsageNeedsDigitalSignature) {
  Pki pki;
  EXPECT_EQ(check_ike_key_usage(pki.leaf("critical,digitalSignature", "")), std::nullopt);
  EXPECT_EQ(check_ike_key_usage(pki.leaf("digitalSignature,keyEncipherment", "")), std::nullopt);
  const auto why = check_ike_key_usage(pki.leaf("critical,keyEncipherment", ""));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("lacks digitalSignature"), std::string::npos) << *why;
  EXPECT_NE(why->find("CN=gw.example.com"), std::string::npos) << *why;
  // nonRepudiation alone is not enough either (strongSwan and the issue require digitalSignature).
  EXPECT_TRUE(check_ike_key_usage(pki.leaf("nonRepudiation", "")).has_value());
}

TEST(IkeKeyUsage, EachAcceptedExtendedKeyUsage) {
  Pki pki;
  for (const char* eku : {"serverAuth", "clientAuth", "1.3.6.1.5.5.7.3.17", "anyExtendedKeyUsage",
                          "codeSigning,serverAuth", "emailProtection,1.3.6.1.5.5.7.3.17"}) {
    const auto why = check_ike_key_usage(pki.leaf("", eku));
    EXPECT_EQ(why, std::nullopt) << eku << ": " << why.value_or("");
  }
}

TEST(IkeKeyUsage, OtherExtendedKeyUsagesAreRefusedSayingWhatWouldPass) {
  Pki pki;
  for (const char* eku : {"codeSigning", "emailProtection,timeStamping", "OCSPSigning"}) {
    const auto why = check_ike_key_usage(pki.leaf("", eku));
    ASSERT_TRUE(why.has_value()) << eku;
    EXPECT_NE(why->find("extendedKeyUsage of certificate CN=gw.example.com"), std::string::npos) << *why;
    EXPECT_NE(why->find("serverAuth, clientAuth, ipsecIKE"), std::string::npos) << *why;
  }
  const auto why = check_ike_key_usage(pki.leaf("", "codeSigning"));
  EXPECT_NE(why->find("codeSigning"), std::string::npos) << *why;
}

}  // namespace
}  // namespace cygnet::crypto
