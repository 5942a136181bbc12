// IKE identities: configuration text of every type becomes the ID payload bytes and prints back to
// text that parses to the same identity; matching is exact per type (FQDN/e-mail without case, DNs
// as names, %any for everything); a certificate vouches for an identity only through its
// subjectAltNames or, for a DN, its subject.
#include "ike/identity.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>

#include "crypto/distinguished_name.hpp"

namespace cygnet::ike {
namespace {

using wire::ikev2::IdType;

Identity parsed(std::string_view text) {
  std::optional<Identity> id = Identity::parse(text);
  EXPECT_TRUE(id.has_value()) << text;
  return id.value_or(Identity{});
}

void expect_round_trip(const Identity& id) {
  const std::optional<Identity> again = Identity::parse(id.to_string());
  ASSERT_TRUE(again.has_value()) << id.to_string();
  EXPECT_EQ(*again, id) << id.to_string();
}

TEST(Identity, ParsesIpv4) {
  const Identity id = parsed("192.0.2.1");
  EXPECT_EQ(id.type, IdType::Ipv4Address);
  EXPECT_EQ(to_hex(id.data), "c0000201");
  EXPECT_FALSE(id.any);
  EXPECT_EQ(id.to_string(), "192.0.2.1");
  expect_round_trip(id);
}

TEST(Identity, ParsesIpv6) {
  const Identity id = parsed("2001:db8::1");
  EXPECT_EQ(id.type, IdType::Ipv6Address);
  EXPECT_EQ(to_hex(id.data), "20010db8000000000000000000000001");
  EXPECT_EQ(id.to_string(), "2001:db8::1");
  expect_round_trip(id);
}

TEST(Identity, ParsesFqdn) {
  const Identity id = parsed("gw.example.com");
  EXPECT_EQ(id.type, IdType::Fqdn);
  EXPECT_EQ(std::string(id.data.begin(), id.data.end()), "gw.example.com");
  EXPECT_EQ(id.to_string(), "gw.example.com");
  expect_round_trip(id);
  // strongSwan's "@name" forces an FQDN.
  EXPECT_EQ(parsed("@gw.example.com"), id);
  EXPECT_EQ(parsed("  gw.example.com "), id);
  // FQDNs that would read back as something else print with the "@".
  for (const char* tricky : {"192.0.2.1", "%any", "CN=gw", "user@example.com", "@gw"}) {
    wire::ikev2::IdPayload payload{IdType::Fqdn, Bytes(tricky, tricky + std::strlen(tricky))};
    const Identity odd = Identity::from_payload(payload);
    EXPECT_EQ(odd.to_string(), std::string("@") + tricky);
    expect_round_trip(odd);
  }
}

TEST(Identity, ParsesRfc822) {
  const Identity id = parsed("user@example.com");
  EXPECT_EQ(id.type, IdType::Rfc822Address);
  EXPECT_EQ(std::string(id.data.begin(), id.data.end()), "user@example.com");
  EXPECT_EQ(id.to_string(), "user@example.com");
  expect_round_trip(id);
}

TEST(Identity, ParsesDistinguishedName) {
  const Identity id = parsed("CN=gw.example.com, O=Example");
  EXPECT_EQ(id.type, IdType::DerAsn1Dn);
  EXPECT_EQ(id.data, crypto::dn_from_string("CN=gw.example.com, O=Example"));
  EXPECT_EQ(id.to_string(), "CN=gw.example.com, O=Example");
  expect_round_trip(id);
  // A value ending in an escaped space keeps it through printing and parsing.
  const Identity trailing_space = parsed("CN=gw\\ , O=Example");
  EXPECT_EQ(trailing_space.to_string(), "CN=gw\\ , O=Example");
  EXPECT_NE(trailing_space, id);
  expect_round_trip(trailing_space);
  // An e-mail attribute inside a DN does not make it an RFC 822 identity.
  EXPECT_EQ(parsed("E=ops@example.com, CN=gw").type, IdType::DerAsn1Dn);
}

TEST(Identity, StrongSwanOrderedDnIsTheSameName) {
  const Identity top_down = parsed("C=CH, O=Example, CN=gw.example.com");
  EXPECT_EQ(top_down, parsed("CN=gw.example.com, O=Example, C=CH"));
  EXPECT_EQ(top_down.to_string(), "CN=gw.example.com, O=Example, C=CH");
  expect_round_trip(top_down);
}

TEST(Identity, ParsesAny) {
  const Identity any = parsed("%any");
  EXPECT_TRUE(any.any);
  EXPECT_EQ(any.to_string(), "%any");
  expect_round_trip(any);
}

TEST(Identity, RefusesEmptyTextAndBadDns) {
  EXPECT_FALSE(Identity::parse("").has_value());
  EXPECT_FALSE(Identity::parse("   ").has_value());
  EXPECT_FALSE(Identity::parse("@").has_value());
  EXPECT_FALSE(Identity::parse("CN=gw, NoSuchAttribute=1").has_value());
  EXPECT_FALSE(Identity::parse("CN=").has_value());
}

TEST(Identity, AddressAndPayloadConversions) {
  const Identity v4 = Identity::from_address(*wire::IpAddress::parse("198.51.100.7"));
  EXPECT_EQ(v4, parsed("198.51.100.7"));
  const Identity v6 = Identity::from_address(*wire::IpAddress::parse("2001:db8::7"));
  EXPECT_EQ(v6.type, IdType::Ipv6Address);

  const Identity dn = parsed("CN=gw, O=Example");
  const wire::ikev2::IdPayload payload = dn.to_payload();
  EXPECT_EQ(payload.type, IdType::DerAsn1Dn);
  EXPECT_EQ(payload.data, dn.data);
  EXPECT_EQ(Identity::from_payload(payload), dn);
}

TEST(Identity, PeerTextIsShownSafely) {
  wire::ikev2::IdPayload payload;
  payload.type = IdType::Fqdn;
  payload.data = {'g', 'w', '\n', 0x1b, '\\'};
  EXPECT_EQ(Identity::from_payload(payload).to_string(), "gw\\x0a\\x1b\\x5c");
  payload.type = IdType::Ipv4Address;  // three bytes cannot be an IPv4 address
  payload.data = {192, 0, 2};
  EXPECT_EQ(Identity::from_payload(payload).to_string(), "ID type 1 #c00002");
  payload.type = IdType::DerAsn1Dn;
  payload.data = {0x30, 0x05};
  EXPECT_EQ(Identity::from_payload(payload).to_string(), "ID type 9 #3005");
}

TEST(Identity, MatchesSameTypeAndValue) {
  EXPECT_TRUE(parsed("192.0.2.1").matches(parsed("192.0.2.1")));
  EXPECT_FALSE(parsed("192.0.2.1").matches(parsed("192.0.2.2")));
  EXPECT_TRUE(parsed("gw.example.com").matches(parsed("GW.Example.COM")));
  EXPECT_FALSE(parsed("gw.example.com").matches(parsed("gw.example.org")));
  EXPECT_TRUE(parsed("user@example.com").matches(parsed("User@Example.com")));
  // Same bytes, different types.
  wire::ikev2::IdPayload fqdn_bytes_as_email{IdType::Rfc822Address, parsed("gw.example.com").data};
  EXPECT_FALSE(parsed("gw.example.com").matches(Identity::from_payload(fqdn_bytes_as_email)));
  EXPECT_FALSE(parsed("192.0.2.1").matches(parsed("2001:db8::1")));
}

TEST(Identity, DnMatchingIgnoresSpacingAndCase) {
  const Identity configured = parsed("CN=gw.example.com,O=Example");
  EXPECT_TRUE(configured.matches(parsed("  CN = gw.example.com ,   O = Example ")));
  EXPECT_TRUE(configured.matches(parsed("cn=GW.example.com, o=example")));
  EXPECT_TRUE(configured.matches(parsed("O=Example, CN=gw.example.com")));
  EXPECT_FALSE(configured.matches(parsed("CN=gw.example.com, O=Other")));
  EXPECT_FALSE(configured.matches(parsed("gw.example.com")));
}

TEST(Identity, AnyMatchesEverythingButIsNotMatchedByOthers) {
  const Identity any = parsed("%any");
  for (const char* peer : {"192.0.2.1", "2001:db8::1", "gw.example.com", "user@example.com", "CN=gw, O=X"}) {
    EXPECT_TRUE(any.matches(parsed(peer))) << peer;
  }
  EXPECT_FALSE(parsed("gw.example.com").matches(any));
}

// ---- certificates -------------------------------------------------------------------------------

class CertificateIdentity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new crypto::PrivateKey(crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256));
    crypto::CertificateSpec spec;
    spec.common_name = "gw.example.com";
    spec.organization = "Cygnet Test";
    spec.dns_names = {"gw.example.com", "vpn.example.com"};
    spec.email_names = {"ops@example.com"};
    spec.ip_addresses = {"192.0.2.1", "2001:db8::1"};
    spec.not_before = std::chrono::system_clock::now();
    spec.not_after = spec.not_before + std::chrono::hours(24);
    leaf_ = new crypto::Certificate(crypto::issue_certificate(spec, key_->public_key(), *key_, nullptr));
    crypto::CertificateSpec cn_only = spec;
    cn_only.common_name = "cn-only.example.com";
    cn_only.dns_names.clear();
    cn_only.email_names.clear();
    cn_only.ip_addresses.clear();
    cn_only_ = new crypto::Certificate(crypto::issue_certificate(cn_only, key_->public_key(), *key_, nullptr));
  }
  static void TearDownTestSuite() {
    delete cn_only_;
    delete leaf_;
    delete key_;
  }
  static crypto::PrivateKey* key_;
  static crypto::Certificate* leaf_;
  static crypto::Certificate* cn_only_;
};
crypto::PrivateKey* CertificateIdentity::key_ = nullptr;
crypto::Certificate* CertificateIdentity::leaf_ = nullptr;
crypto::Certificate* CertificateIdentity::cn_only_ = nullptr;

TEST_F(CertificateIdentity, AddressesComeFromSubjectAltName) {
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("192.0.2.1")));
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("2001:db8::1")));
  EXPECT_FALSE(certificate_matches_identity(*leaf_, parsed("192.0.2.2")));
  EXPECT_FALSE(certificate_matches_identity(*leaf_, parsed("2001:db8::2")));
}

TEST_F(CertificateIdentity, FqdnsComeFromSubjectAltNameIgnoringCase) {
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("gw.example.com")));
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("VPN.Example.com")));
  EXPECT_FALSE(certificate_matches_identity(*leaf_, parsed("other.example.com")));
  EXPECT_FALSE(certificate_matches_identity(*leaf_, parsed("example.com")));
}

TEST_F(CertificateIdentity, CommonNameIsNotAnFqdn) {
  EXPECT_FALSE(certificate_matches_identity(*cn_only_, parsed("cn-only.example.com")));
  EXPECT_TRUE(certificate_matches_identity(*cn_only_, parsed("CN=cn-only.example.com, O=Cygnet Test")));
}

TEST_F(CertificateIdentity, EmailComesFromSubjectAltName) {
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("ops@example.com")));
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("OPS@example.com")));
  EXPECT_FALSE(certificate_matches_identity(*leaf_, parsed("root@example.com")));
}

TEST_F(CertificateIdentity, DnMustEqualTheSubject) {
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("CN=gw.example.com, O=Cygnet Test")));
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("O=Cygnet Test, CN=gw.example.com")));
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("cn=GW.example.com,o=cygnet   test")));
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed(leaf_->subject_string())));
  EXPECT_FALSE(certificate_matches_identity(*leaf_, parsed("CN=gw.example.com, O=Other")));
  EXPECT_FALSE(certificate_matches_identity(*leaf_, parsed("CN=gw.example.com")));
}

TEST_F(CertificateIdentity, AnyAndKeyIds) {
  EXPECT_TRUE(certificate_matches_identity(*leaf_, parsed("%any")));
  wire::ikev2::IdPayload key_id{wire::ikev2::IdType::KeyId, {1, 2, 3}};
  EXPECT_FALSE(certificate_matches_identity(*leaf_, Identity::from_payload(key_id)));
}

}  // namespace
}  // namespace cygnet::ike
