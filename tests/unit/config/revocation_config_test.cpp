// `revocation` and `[authorities.NAME]` (docs/configuration.md "Revocation", "Authorities"): parsed
// into every pubkey connection, and each mistake refused with its file:line:col.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/x509.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::ElementsAre;
using testing::TempDir;

class RevocationConfig : public ::testing::Test {
 protected:
  RevocationConfig() {
    const auto now = std::chrono::system_clock::now();
    const crypto::PrivateKey ca_key = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
    crypto::CertificateSpec ca_spec;
    ca_spec.common_name = "Config CA";
    ca_spec.is_ca = true;
    ca_spec.not_before = now - std::chrono::hours(1);
    ca_spec.not_after = now + std::chrono::hours(24);
    ca = crypto::issue_certificate(ca_spec, ca_key.public_key(), ca_key, nullptr);
    crypto::CertificateSpec gw_spec = ca_spec;
    gw_spec.common_name = "gw.example.com";
    gw_spec.dns_names = {"gw.example.com"};
    gw_spec.is_ca = false;
    const crypto::PrivateKey gw_key = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
    const crypto::Certificate gw = crypto::issue_certificate(gw_spec, gw_key.public_key(), ca_key, &*ca);
    dir.write("ca.pem", testing::to_pem("CERTIFICATE", ca->der()));
    dir.write("gw.pem", testing::to_pem("CERTIFICATE", gw.der()));
    dir.write("gw.key", gw_key.to_pem());
  }

  // A pubkey connection (lines 1-7) with `extra` as line 8, then `tail`.
  std::string text(const std::string& extra, const std::string& tail = "") const {
    return "[connections.gw]\n"                // 1
           "local_addrs = [\"192.0.2.1\"]\n"   // 2
           "remote_addrs = [\"192.0.2.2\"]\n"  // 3
           "auth = \"pubkey\"\n"               // 4
           "certificate = \"gw.pem\"\n"        // 5
           "private_key = \"gw.key\"\n"        // 6
           "ca_certificates = [\"ca.pem\"]\n"  // 7
           + extra + "\n" + tail;              // 8
  }

  TempDir dir;
  std::optional<crypto::Certificate> ca;
};

TEST_F(RevocationConfig, DefaultIsIfUriWithoutAuthorities) {
  const LoadResult r = parse_config(text(""), "t.toml", dir.path());
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config->connections[0].revocation, ike::RevocationPolicy::IfUri);
  EXPECT_TRUE(r.config->connections[0].authorities.empty());
}

TEST_F(RevocationConfig, PolicyAndAuthorityReachTheConnection) {
  const LoadResult r =
      parse_config(text("revocation = \"strict\"",
                        "[authorities.example-ca]\n"
                        "cacert = \"ca.pem\"\n"
                        "crl_uris = [\"http://198.51.100.10/ca.crl\", \"file:///var/lib/ca.crl\"]\n"
                        "ocsp_uris = [\"http://198.51.100.10:8080\"]\n"),
                   "t.toml", dir.path());
  ASSERT_TRUE(r.ok()) << r.error_text();
  const ike::ConnectionSettings& c = r.config->connections[0];
  EXPECT_EQ(c.revocation, ike::RevocationPolicy::Strict);
  ASSERT_EQ(c.authorities.size(), 1u);
  EXPECT_EQ(c.authorities[0].name, "example-ca");
  EXPECT_EQ(c.authorities[0].cacert.der(), ca->der());
  EXPECT_THAT(c.authorities[0].crl_uris,
              ElementsAre("http://198.51.100.10/ca.crl", "file:///var/lib/ca.crl"));
  EXPECT_THAT(c.authorities[0].ocsp_uris, ElementsAre("http://198.51.100.10:8080"));
}

TEST_F(RevocationConfig, RelaxedIsAccepted) {
  const LoadResult r = parse_config(text("revocation = \"relaxed\""), "t.toml", dir.path());
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config->connections[0].revocation, ike::RevocationPolicy::Relaxed);
}

TEST_F(RevocationConfig, MistakesAreLocated) {
  EXPECT_THAT(
      testing::errors_of(text("revocation = \"hard\""), dir.path()),
      ElementsAre("t.toml:8:14: 'revocation' must be \"strict\", \"ifuri\" or \"relaxed\", not \"hard\""));
  EXPECT_THAT(
      testing::errors_of(text("", "[authorities.x]\ncacert = \"ca.pem\"\ncrl_uris = [\"ldap://h/x\"]\n"),
                         dir.path()),
      ElementsAre("t.toml:11:13: 'crl_uris': 'ldap://h/x' must be an http:// URI or a file:/// path"));
  EXPECT_THAT(
      testing::errors_of(text("", "[authorities.x]\ncacert = \"ca.pem\"\nocsp_uris = [\"file:///x\"]\n"),
                         dir.path()),
      ElementsAre("t.toml:11:14: 'ocsp_uris': 'file:///x' must be an http:// URI"));
  EXPECT_THAT(
      testing::errors_of(text("", "[authorities.x]\ncrl_uris = [\"http://h/x\"]\n"), dir.path()),
      ElementsAre(
          "t.toml:9:1: [authorities.x] needs 'cacert' (the CA whose certificates these sources cover)"));
  EXPECT_THAT(
      testing::errors_of(text("", "[authorities.x]\ncacert = \"ca.pem\"\ncrl_uri = [\"http://h/x\"]\n"),
                         dir.path()),
      ElementsAre("t.toml:11:1: unknown key 'crl_uri' in [authorities.x] (did you mean 'crl_uris'?)"));
}

TEST_F(RevocationConfig, RevocationBelongsToPubkey) {
  EXPECT_THAT(
      testing::errors_of("[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nremote_addrs = [\"192.0.2.2\"]\n"
                         "auth = \"psk\"\npsk = \"a long random secret\"\nrevocation = \"strict\"\n"),
      ElementsAre("t.toml:6:14: 'revocation' is only used with 'auth' = \"pubkey\""));
}

}  // namespace
}  // namespace cygnet::config
