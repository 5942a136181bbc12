// Split authentication (local_auth / remote_auth) and the EAP keys: [eap_users.NAME] on the
// gateway, eap_identity and eap_password(_file) on the client. Passwords become MSCHAPv2 NT hashes
// at load (RFC 2759 §9.2: "clientPass" hashes to 44EBBA8D...).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::errors_of;
using ::testing::HasSubstr;
using testing::TempDir;

constexpr const char* kClientPassHash = "44ebba8d5312b8d611474411f56989ae";

// A gateway proving itself with a PSK and its users with EAP (lines 1-6).
const std::string kGateway =
    "[connections.rw]\n"                // 1
    "local_addrs = [\"192.0.2.1\"]\n"   // 2
    "local_auth = \"psk\"\n"            // 3
    "remote_auth = \"eap-mschapv2\"\n"  // 4
    "psk = \"a long random secret\"\n"  // 5
    "[eap_users.User]\n";               // 6

Config loads(const std::string& text, const std::filesystem::path& base_dir = {}) {
  const LoadResult result = parse_config(text, "t.toml", base_dir);
  EXPECT_TRUE(result.ok()) << result.error_text();
  return result.config.value_or(Config{});
}

TEST(EapConfig, UsersByPasswordFileOrNtHashAllBecomeTheNtHash) {
  TempDir dir;
  dir.write("carol.secret", "clientPass\n");
  const Config config = loads(kGateway +
                                  "password = \"clientPass\"\n"
                                  "[eap_users.carol]\n"
                                  "password_file = \"carol.secret\"\n"
                                  "[eap_users.dave]\n"
                                  "nt_hash = \"44EBBA8D5312B8D611474411F56989AE\"\n",
                              dir.path());
  ASSERT_EQ(config.eap_users.size(), 3u);
  for (const char* name : {"User", "carol", "dave"})
    EXPECT_EQ(to_hex(config.eap_users.at(name).view()), kClientPassHash) << name;
  const ike::ConnectionSettings& rw = config.connections.at(0);
  EXPECT_EQ(rw.local_auth, ike::AuthMethod::Psk);
  EXPECT_EQ(rw.remote_auth, ike::AuthMethod::EapMsChapV2);
  EXPECT_EQ(rw.auth, ike::AuthKind::Psk);
}

TEST(EapConfig, ClientTakesItsIdentityAndPassword) {
  TempDir dir;
  dir.write("eap.secret", "clientPass\r\n");
  const Config config = loads(
      "[connections.home]\n"
      "remote_addrs = [\"192.0.2.1\"]\n"
      "local_id = \"laptop@example.com\"\n"
      "local_auth = \"eap-mschapv2\"\n"
      "remote_auth = \"psk\"\n"
      "psk = \"a long random secret\"\n"
      "eap_identity = \"User\"\n"
      "eap_password_file = \"eap.secret\"\n",
      dir.path());
  const ike::ConnectionSettings& home = config.connections.at(0);
  EXPECT_EQ(home.local_auth, ike::AuthMethod::EapMsChapV2);
  EXPECT_EQ(home.eap_identity, "User");
  EXPECT_EQ(to_hex(home.eap_password_hash.view()), kClientPassHash);
}

TEST(EapConfig, EapIdentityDefaultsToLocalId) {
  const Config config = loads(
      "[connections.home]\n"
      "remote_addrs = [\"192.0.2.1\"]\n"
      "local_id = \"laptop@example.com\"\n"
      "local_auth = \"eap-mschapv2\"\n"
      "remote_auth = \"psk\"\n"
      "psk = \"a long random secret\"\n"
      "eap_password = \"clientPass\"\n");
  EXPECT_EQ(config.connections.at(0).eap_identity, "laptop@example.com");
}

TEST(EapConfig, EapRadiusIsAGatewayMethodOnly) {
  EXPECT_THAT(errors_of("[connections.rw]\nlocal_addrs = [\"192.0.2.1\"]\nauth = \"psk\"\npsk = \"s\"\n"
                        "local_auth = \"eap-radius\"\n"),
              ElementsAre(HasSubstr("t.toml:5:14: 'local_auth' = \"eap-radius\" is not a client method")));
}

TEST(EapConfig, GatewayWithoutUsersIsRefused) {
  EXPECT_THAT(errors_of("[connections.rw]\nlocal_addrs = [\"192.0.2.1\"]\nlocal_auth = \"psk\"\n"
                        "remote_auth = \"eap-mschapv2\"\npsk = \"s\"\n"),
              ElementsAre("t.toml:4:15: 'remote_auth' = \"eap-mschapv2\" needs at least one [eap_users.NAME] "
                          "table to check passwords against"));
}

TEST(EapConfig, EapRadiusGatewayNeedsRadiusServers) {
  const std::string gateway =
      "[connections.rw]\nlocal_addrs = [\"192.0.2.1\"]\nlocal_auth = \"psk\"\n"
      "remote_auth = \"eap-radius\"\npsk = \"s\"\n";
  EXPECT_THAT(
      errors_of(gateway),
      ElementsAre("t.toml:4:15: 'remote_auth' = \"eap-radius\" needs a [radius] table naming the RADIUS "
                  "servers"));
  const Config config = loads(gateway +
                              "[radius]\nsecret = \"radius-secret\"\n"
                              "servers = [{ address = \"192.0.2.9\" }]\n");
  EXPECT_EQ(config.connections.at(0).remote_auth, ike::AuthMethod::EapRadius);
  ASSERT_TRUE(config.radius.has_value());
  EXPECT_EQ(config.radius->servers.at(0).address, "192.0.2.9");
}

TEST(EapConfig, MistakesInUsersAreLocated) {
  // A refused user is not a user: the connection's "needs at least one" error comes too.
  EXPECT_THAT(errors_of(kGateway + "password = \"a\"\nnt_hash = \"00\"\n"),
              Contains("t.toml:8:11: give one of 'password', 'password_file' or 'nt_hash'"));
  EXPECT_THAT(errors_of(kGateway + "nt_hash = \"0011\"\n"),
              Contains("t.toml:7:11: 'nt_hash' must be 32 hex digits (the 16-byte MD4 NT hash)"));
  EXPECT_THAT(errors_of(kGateway),
              Contains("t.toml:6:1: EAP user 'User' needs 'password' or 'password_file'"));
  EXPECT_THAT(errors_of(kGateway + "password = \"\"\n"), Contains("t.toml:7:12: 'password' is empty"));
  EXPECT_THAT(errors_of(kGateway + "passwd = \"x\"\npassword = \"x\"\n"),
              ElementsAre(HasSubstr("unknown key 'passwd' in EAP user 'User' (did you mean 'password'?)")));
  EXPECT_THAT(errors_of(kGateway + "password = \"" + std::string(257, 'x') + "\"\n"),
              Contains(HasSubstr("t.toml:7:12: 'password' must be UTF-8 text of at most 256 characters")));
}

TEST(EapConfig, EapKeysOutsideAnEapClientAreRefused) {
  EXPECT_THAT(errors_of("[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nauth = \"psk\"\npsk = \"s\"\n"
                        "eap_password = \"x\"\n"),
              ElementsAre("t.toml:5:16: 'eap_password' is only used with 'local_auth' = \"eap-mschapv2\""));
  EXPECT_THAT(errors_of("[connections.gw]\nremote_addrs = [\"192.0.2.1\"]\nlocal_id = \"a@b\"\n"
                        "local_auth = \"eap-mschapv2\"\nremote_auth = \"eap-mschapv2\"\n"
                        "eap_password = \"x\"\n[eap_users.a]\npassword = \"x\"\n"),
              ElementsAre(HasSubstr("cannot both be EAP methods")));
  EXPECT_THAT(errors_of("[connections.gw]\nremote_addrs = [\"192.0.2.1\"]\nlocal_id = \"a@b\"\n"
                        "local_auth = \"eap-mschapv2\"\nremote_auth = \"psk\"\npsk = \"s\"\n"),
              ElementsAre("t.toml:1:1: connection 'gw' needs 'eap_password' or 'eap_password_file'"));
}

TEST(EapConfig, AuthMayBeLeftOutOnlyWhenBothSidesAreGiven) {
  EXPECT_THAT(
      errors_of("[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nlocal_auth = \"psk\"\npsk = \"s\"\n"),
      ElementsAre(
          HasSubstr("needs 'auth' = \"psk\" or \"pubkey\" (or both 'local_auth' and 'remote_auth')")));
}

// EAP-TLS: the connection's own certificate and key are the TLS credentials and its CAs check the
// other side's TLS certificate, on the gateway and on the client.
TEST(EapConfig, EapTlsNeedsTheConnectionsCertificateKeyAndCas) {
  EXPECT_THAT(errors_of("[connections.rw]\nlocal_addrs = [\"192.0.2.1\"]\nauth = \"psk\"\npsk = \"s\"\n"
                        "remote_auth = \"eap-tls\"\n"),
              Contains(HasSubstr("needs 'certificate', 'private_key', 'ca_certificates'")));
  EXPECT_THAT(errors_of("[connections.home]\nremote_addrs = [\"192.0.2.1\"]\nlocal_id = \"a@example.com\"\n"
                        "local_auth = \"eap-tls\"\nremote_auth = \"pubkey\"\neap_password = \"x\"\n"),
              Contains(HasSubstr("'eap_password' is only used with 'local_auth' = \"eap-mschapv2\"")));
  EXPECT_THAT(errors_of("[connections.rw]\nlocal_addrs = [\"192.0.2.1\"]\nlocal_auth = \"eap-tls\"\n"
                        "remote_auth = \"eap-tls\"\n"),
              Contains(HasSubstr("cannot both be EAP methods")));
}

}  // namespace
}  // namespace cygnet::config
