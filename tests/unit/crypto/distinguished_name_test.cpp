// Distinguished names: text in RFC 4514, strongSwan top-down and OpenSSL slash spellings becomes
// the same DER; the DER is the one a certificate subject carries; printing is RFC 4514 and reads
// back; comparison ignores spacing, case and string types but not order or values; bad text and
// bad DER are refused without crashing.
#include "crypto/distinguished_name.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <random>

#include "crypto/x509.hpp"

namespace cygnet::crypto {
namespace {

Bytes der_of(std::string_view text) {
  std::optional<Bytes> der = dn_from_string(text);
  EXPECT_TRUE(der.has_value()) << text;
  return der.value_or(Bytes{});
}

TEST(DistinguishedName, BuildsTheDerNameByHand) {
  // Name ::= SEQUENCE OF RDN; RDN ::= SET OF AttributeTypeAndValue (RFC 5280 §4.1.2.4). countryName
  // is a PrintableString (X.520 upper bound 2), the others UTF8String.
  const Bytes expected = from_hex(
      "302c"
      "310b 3009 0603 550406 1302 4348"                  // C=CH
      "3110 300e 0603 55040a 0c07 4578616d706c65"        // O=Example
      "310b 3009 0603 550403 0c02 6777");                // CN=gw
  EXPECT_EQ(to_hex(der_of("C=CH, O=Example, CN=gw")), to_hex(expected));
}

TEST(DistinguishedName, RfcTopDownAndSlashSpellingsAgree) {
  const Bytes rfc4514 = der_of("CN=gw.example.com, O=Example, C=CH");
  EXPECT_EQ(der_of("C=CH, O=Example, CN=gw.example.com"), rfc4514);
  EXPECT_EQ(der_of("/C=CH/O=Example/CN=gw.example.com"), rfc4514);
  EXPECT_EQ(der_of("CN=gw.example.com,O=Example,C=CH"), rfc4514);
  EXPECT_EQ(der_of("CN=gw.example.com;O=Example;C=CH"), rfc4514);
  // Domain components sit at the top of the tree too.
  EXPECT_EQ(der_of("DC=com, DC=example, CN=gw"), der_of("CN=gw, DC=example, DC=com"));
  EXPECT_EQ(der_of("O=Example, OU=Gateways, CN=gw"), der_of("CN=gw, OU=Gateways, O=Example"));
}

TEST(DistinguishedName, MatchesTheSubjectOfAnIssuedCertificate) {
  PrivateKey key = PrivateKey::generate(KeyType::EcdsaP256);
  CertificateSpec spec;
  spec.common_name = "gw.example.com";
  spec.organization = "Cygnet Test";
  spec.not_before = std::chrono::system_clock::now();
  spec.not_after = spec.not_before + std::chrono::hours(24);
  const Certificate cert = issue_certificate(spec, key.public_key(), key, nullptr);
  // Byte for byte: the same attribute order and string types as OpenSSL writes for the subject.
  EXPECT_EQ(der_of(cert.subject_string()), cert.subject_der());
  EXPECT_EQ(der_of("CN=gw.example.com, O=Cygnet Test"), cert.subject_der());
  EXPECT_EQ(der_of("O=Cygnet Test, CN=gw.example.com"), cert.subject_der());
  EXPECT_EQ(dn_to_string(cert.subject_der()), "CN=gw.example.com, O=Cygnet Test");
}

TEST(DistinguishedName, PrintsRfc4514AndReadsItBack) {
  const Bytes der = der_of("C=CH, O=Example, CN=gw");
  EXPECT_EQ(dn_to_string(der), "CN=gw, O=Example, C=CH");
  EXPECT_EQ(der_of(*dn_to_string(der)), der);
}

TEST(DistinguishedName, EscapesAndQuotes) {
  const Bytes escaped = der_of("CN=Example\\, Inc., O=X");
  EXPECT_EQ(der_of("CN=\"Example, Inc.\", O=X"), escaped);
  EXPECT_EQ(der_of("CN=Example\\2C Inc., O=X"), escaped);
  EXPECT_EQ(dn_to_string(escaped), "CN=Example\\, Inc., O=X");
  EXPECT_EQ(der_of(*dn_to_string(escaped)), escaped);
  // A hex-escaped UTF-8 sequence is one character, printed readably.
  const Bytes utf8 = der_of("CN=caf\\C3\\A9, O=X");
  EXPECT_EQ(dn_to_string(utf8), "CN=caf\xc3\xa9, O=X");
  EXPECT_EQ(der_of("CN=caf\xc3\xa9, O=X"), utf8);
  // An escaped trailing space is part of the value; an unescaped one is layout.
  EXPECT_NE(der_of("CN=gw\\ , O=X"), der_of("CN=gw , O=X"));
  EXPECT_EQ(der_of("CN=gw , O=X"), der_of("CN=gw, O=X"));
}

TEST(DistinguishedName, MultiValuedRdn) {
  const Bytes a = der_of("CN=gw+UID=42, O=X");
  const Bytes b = der_of("UID=42 + CN=gw, O=X");
  EXPECT_TRUE(dn_equal(a, b));
  const std::string text = dn_to_string(a).value_or("");
  EXPECT_NE(text.find(" + "), std::string::npos) << text;
  EXPECT_FALSE(dn_equal(a, der_of("CN=gw, UID=42, O=X")));  // two RDNs are another name
}

TEST(DistinguishedName, AttributeNamesInAnyCaseAliasesAndOids) {
  EXPECT_EQ(der_of("cn=gw, o=Example"), der_of("CN=gw, O=Example"));
  EXPECT_EQ(der_of("commonName=gw, organizationName=Example"), der_of("CN=gw, O=Example"));
  EXPECT_EQ(der_of("2.5.4.3=gw, 2.5.4.10=Example"), der_of("CN=gw, O=Example"));
  EXPECT_EQ(der_of("E=ops@example.com, CN=gw"), der_of("emailAddress=ops@example.com, CN=gw"));
}

TEST(DistinguishedName, EqualityIgnoresSpacingCaseAndStringType) {
  EXPECT_TRUE(dn_equal(der_of("CN=gw,O=Example"), der_of("  CN = gw ,   O =  Example  ")));
  // Different DER (case, inner whitespace), same name under X.509 canonical comparison.
  const Bytes upper = der_of("CN=GW  Gateway, O=EXAMPLE");
  const Bytes lower = der_of("CN=gw gateway, O=example");
  EXPECT_NE(upper, lower);
  EXPECT_TRUE(dn_equal(upper, lower));
  // CN=gw as PrintableString and as UTF8String.
  EXPECT_TRUE(dn_equal(from_hex("300d310b3009060355040313026777"), from_hex("300d310b300906035504030c026777")));
}

TEST(DistinguishedName, EqualityRespectsValuesAndOrder) {
  EXPECT_FALSE(dn_equal(der_of("CN=gw, O=Example"), der_of("CN=gw2, O=Example")));
  EXPECT_FALSE(dn_equal(der_of("CN=gw, O=Example"), der_of("CN=gw, OU=Example")));
  EXPECT_FALSE(dn_equal(der_of("CN=gw, O=Example"), der_of("CN=gw")));
  // The slash form is always top-down, so this is the same RDNs in the reverse DER order.
  EXPECT_FALSE(dn_equal(der_of("/C=CH/O=Example/CN=gw"), der_of("/CN=gw/O=Example/C=CH")));
}

TEST(DistinguishedName, RefusesBadText) {
  for (const char* bad : {"", "   ", "CN", "CN=", "=gw", "XYZZY=gw", "C=Switzerland", "CN=gw,", "CN=gw, ",
                          "CN=#0403aabb", "CN=\"unterminated", "CN=gw\\", "CN=\"a\"b, O=X", "/", "/CN=gw/"}) {
    EXPECT_FALSE(dn_from_string(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(DistinguishedName, RefusesBadDer) {
  const Bytes good = der_of("CN=gw, O=Example");
  EXPECT_FALSE(dn_to_string(Bytes{}).has_value());
  EXPECT_FALSE(dn_to_string(from_hex("3005")).has_value());            // length past the end
  EXPECT_FALSE(dn_to_string(from_hex("0403010203")).has_value());      // not a SEQUENCE
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(dn_to_string(trailing).has_value());
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_FALSE(dn_to_string(truncated).has_value());
  EXPECT_FALSE(dn_equal(truncated, truncated));
  EXPECT_FALSE(dn_equal(good, Bytes{}));
  EXPECT_TRUE(dn_equal(good, good));
  EXPECT_EQ(dn_to_string(from_hex("3000")), "");  // the empty name
}

TEST(DistinguishedName, RandomTextNeverCrashesAndWhatParsesPrintsBack) {
  // Names assembled from the characters the parser treats specially. Whatever parses must print
  // and parse back to the same DER (for comma text the order rule is symmetric, see the header).
  static constexpr std::string_view types[] = {"CN", "O", "OU", "DC", "L", "cn", "UID", "C", "X", ""};
  static constexpr std::string_view value_pieces[] = {"a", "Zz 9", "\\,", "\\2C", "\\\\", "\"", "#", " ", "\\ ",
                                                      "=", "\xc3\xa9", "\\C3\\A9", "\\0A", "/", "\\+", "<", "\\"};
  static constexpr std::string_view separators[] = {",", ", ", ";", "+", " + ", " ,"};
  std::mt19937 rng(4514);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const std::size_t rdns = 1 + rng() % 4;
    for (std::size_t r = 0; r < rdns; ++r) {
      if (r > 0) text += separators[rng() % std::size(separators)];
      text += types[rng() % std::size(types)];
      text += "=";
      const std::size_t count = rng() % 4;
      for (std::size_t n = 0; n < count; ++n) text += value_pieces[rng() % std::size(value_pieces)];
    }
    const std::optional<Bytes> der = dn_from_string(text);
    if (!der) continue;
    ++parsed;
    const std::optional<std::string> printed = dn_to_string(*der);
    ASSERT_TRUE(printed.has_value()) << text;
    EXPECT_TRUE(dn_equal(*der, *der)) << text;
    EXPECT_EQ(dn_from_string(*printed), der) << '"' << text << "\" -> \"" << *printed << '"';
  }
  EXPECT_GT(parsed, 1000);  // the generator does reach the interesting paths
}

}  // namespace
}  // namespace cygnet::crypto
