// What the built-in clients of Windows, macOS/iOS and Android demand of a gateway certificate,
// checked by `cygnetctl check` and at cygnetd's start (config/client_certificate_warnings.hpp).
#include "config/client_certificate_warnings.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "config/warnings.hpp"
#include "crypto/signature.hpp"
#include "crypto/x509.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A CA and a gateway certificate issued by it, written to a temporary directory.
class GatewayCertificate : public ::testing::Test {
 protected:
  void issue(std::vector<std::string> dns, std::vector<std::string> ips, std::string eku) {
    const auto now = std::chrono::system_clock::now();
    crypto::CertificateSpec spec;
    spec.common_name = "Test CA";
    spec.not_before = now - std::chrono::hours(1);
    spec.not_after = now + std::chrono::hours(24);
    spec.is_ca = true;
    const crypto::Certificate ca = crypto::issue_certificate(spec, ca_key_.public_key(), ca_key_, nullptr);
    spec.is_ca = false;
    spec.common_name = "vpn.example.com";
    spec.dns_names = std::move(dns);
    spec.ip_addresses = std::move(ips);
    spec.extended_key_usage = std::move(eku);
    const crypto::Certificate gw = crypto::issue_certificate(spec, gw_key_.public_key(), ca_key_, &ca);
    dir_.write("ca.pem", testing::to_pem("CERTIFICATE", ca.der()));
    dir_.write("gw.pem", testing::to_pem("CERTIFICATE", gw.der()));
    dir_.write("gw.key", gw_key_.to_pem());
  }

  // A gateway connection: certificate for us, EAP-MSCHAPv2 users, a pool; `extra` adds keys.
  std::vector<std::string> warnings(const std::string& local_id_line, const std::string& extra = "") {
    const LoadResult result = parse_config(
        "[eap_users.alice]\npassword = \"alice-password-0123\"\n"
        "[pools.rw4]\naddrs = \"198.51.100.128/25\"\n"
        "[connections.rw]\nremote_addrs = [\"%any\"]\n" +
            local_id_line + "remote_id = \"%any\"\nlocal_auth = \"pubkey\"\ncertificate = \"gw.pem\"\n" +
            "private_key = \"gw.key\"\nremote_auth = \"eap-mschapv2\"\npools = [\"rw4\"]\n" + extra,
        "t.toml", dir_.path());
    EXPECT_TRUE(result.ok()) << result.error_text();
    if (!result.ok()) return {"<did not load>"};
    return client_certificate_warnings(*result.config);
  }

  testing::TempDir dir_;
  const crypto::PrivateKey ca_key_ = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  const crypto::PrivateKey gw_key_ = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
};

TEST_F(GatewayCertificate, WhatTheClientsNeedDrawsNothing) {
  issue({"vpn.example.com"}, {}, "serverAuth,1.3.6.1.5.5.8.2.2");
  EXPECT_THAT(warnings("local_id = \"vpn.example.com\"\n"), IsEmpty());
}

TEST_F(GatewayCertificate, NoExtendedKeyUsage) {
  issue({"vpn.example.com"}, {}, "");
  EXPECT_THAT(
      warnings("local_id = \"vpn.example.com\"\n"),
      ElementsAre(AllOf(StartsWith("warning: connection 'rw': certificate 'CN=vpn.example.com"),
                        HasSubstr("has no extendedKeyUsage"), HasSubstr("serverAuth (1.3.6.1.5.5.7.3.1)"),
                        HasSubstr("Windows and macOS/iOS clients"), HasSubstr("13801"))));
}

TEST_F(GatewayCertificate, ExtendedKeyUsageWithoutServerAuth) {
  issue({"vpn.example.com"}, {}, "clientAuth,1.3.6.1.5.5.7.3.17");
  EXPECT_THAT(warnings("local_id = \"vpn.example.com\"\n"),
              ElementsAre(AllOf(StartsWith("warning: connection 'rw': the extendedKeyUsage of certificate"),
                                HasSubstr("(clientAuth, ipsecIKE) lacks serverAuth"))));
}

TEST_F(GatewayCertificate, DistinguishedNameIdentity) {
  issue({"vpn.example.com"}, {}, "serverAuth");
  // local_id left out: the certificate's subject, a DN.
  EXPECT_THAT(warnings(""), ElementsAre(AllOf(StartsWith("warning: connection 'rw': local_id is the "
                                                         "certificate's subject (a DN)"),
                                              HasSubstr("macOS/iOS and Android"),
                                              HasSubstr("the certificate has DNS:vpn.example.com"))));
}

TEST_F(GatewayCertificate, DistinguishedNameIdentityWithoutAnyDnsName) {
  issue({}, {"192.0.2.1"}, "serverAuth");
  EXPECT_THAT(warnings(""), ElementsAre(HasSubstr("issue a certificate with the gateway's DNS name as "
                                                  "subjectAltName")));
}

TEST_F(GatewayCertificate, AddressIdentityNeedsADnsTypeNameForWindows) {
  issue({}, {"192.0.2.1"}, "serverAuth");
  EXPECT_THAT(warnings("local_id = \"192.0.2.1\"\n"),
              ElementsAre(AllOf(StartsWith("warning: connection 'rw': local_id is the address 192.0.2.1"),
                                HasSubstr("DNS-type subjectAltName (DNS:192.0.2.1)"), HasSubstr("13801"))));
  issue({"192.0.2.1"}, {"192.0.2.1"}, "serverAuth");
  EXPECT_THAT(warnings("local_id = \"192.0.2.1\"\n"), IsEmpty());
}

TEST_F(GatewayCertificate, SiteToSiteConnectionsAreNotJudged) {
  issue({}, {"192.0.2.1"}, "");
  const LoadResult result = parse_config(
      "[connections.site]\nlocal_addrs = [\"192.0.2.1\"]\nremote_addrs = [\"192.0.2.2\"]\n"
      "local_id = \"192.0.2.1\"\nremote_id = \"192.0.2.2\"\nauth = \"pubkey\"\ncertificate = \"gw.pem\"\n"
      "private_key = \"gw.key\"\nca_certificates = [\"ca.pem\"]\n",
      "t.toml", dir_.path());
  ASSERT_TRUE(result.ok()) << result.error_text();
  EXPECT_THAT(client_certificate_warnings(*result.config), IsEmpty());
}

TEST_F(GatewayCertificate, ReportedWithTheOtherWeakChoices) {
  issue({"vpn.example.com"}, {}, "");
  const LoadResult result = parse_config(
      "[eap_users.alice]\npassword = \"alice-password-0123\"\n[connections.rw]\nremote_addrs = [\"%any\"]\n"
      "local_id = \"vpn.example.com\"\nremote_id = \"%any\"\nlocal_auth = \"pubkey\"\ncertificate = "
      "\"gw.pem\"\n"
      "private_key = \"gw.key\"\nremote_auth = \"eap-mschapv2\"\n",
      "t.toml", dir_.path());
  ASSERT_TRUE(result.ok()) << result.error_text();
  EXPECT_THAT(weak_choices(*result.config), ElementsAre(HasSubstr("has no extendedKeyUsage")));
}

// The road-warrior examples meet every client's requirements (and draw no other finding).
TEST(RoadWarriorExamples, HaveNoFindings) {
  for (const char* name : {"rw-windows.toml", "rw-apple.toml", "rw-android.toml", "rw-strongswan.toml"}) {
    const LoadResult result = load_config_file(std::string(CYGNET_SOURCE_DIR) + "/examples/" + name);
    ASSERT_TRUE(result.ok()) << name << ": " << result.error_text();
    EXPECT_THAT(weak_choices(*result.config), IsEmpty()) << name;
  }
}

}  // namespace
}  // namespace cygnet::config
