#include "config/warnings.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "crypto/signature.hpp"
#include "crypto/x509.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A connection without weak choices (lines 1-6) plus one child; tests append to either.
const std::string kStrongConnection =
    "[connections.gw]\n"
    "local_addrs = [\"192.0.2.1\"]\n"
    "remote_addrs = [\"192.0.2.2\"]\n"
    "auth = \"psk\"\n"
    "psk = \"0123456789abcdefghijKLMNOPQRSTUV\"\n";
const std::string kStrongChild =
    "[[connections.gw.children]]\n"
    "name = \"net\"\n"
    "local_ts = [\"198.51.100.0/24\"]\n"
    "remote_ts = [\"203.0.113.0/24\"]\n"
    "esp_proposals = [\"aes256gcm16-x25519\"]\n";

std::vector<std::string> findings(const std::string& connection_lines,
                                  const std::string& child_lines = "") {
  const LoadResult result =
      parse_config(kStrongConnection + connection_lines + kStrongChild + child_lines, "t.toml", {});
  EXPECT_TRUE(result.ok()) << result.error_text();
  if (!result.ok()) return {"<did not load>"};
  return weak_choices(*result.config);
}

TEST(WeakChoices, StrongConfigurationHasNone) { EXPECT_THAT(findings(""), IsEmpty()); }

TEST(WeakChoices, ExampleFilesHaveNone) {
  for (const char* name : {"site-a.toml", "site-b.toml"}) {
    const LoadResult result =
        load_config_file(std::string(CYGNET_SOURCE_DIR) + "/examples/" + name);
    ASSERT_TRUE(result.ok()) << result.error_text();
    EXPECT_THAT(weak_choices(*result.config), IsEmpty()) << name;
  }
}

TEST(WeakChoices, Ikev1ExampleHasOnlyTheDeprecationWarning) {
  const LoadResult result =
      load_config_file(std::string(CYGNET_SOURCE_DIR) + "/examples/ikev1-site.toml");
  ASSERT_TRUE(result.ok()) << result.error_text();
  EXPECT_THAT(weak_choices(*result.config),
              ElementsAre("warning: connection 'legacy-peer': uses IKEv1, which RFC 9395 "
                          "deprecates; IKEv2 (ike_version = 2) is simpler, better analysed and "
                          "preferred"));
}

TEST(WeakChoices, ShortPsk) {
  const LoadResult result = parse_config(
      "[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nremote_addrs = [\"192.0.2.2\"]\n"
      "auth = \"psk\"\npsk = \"0123456789abcdefghi\"\n",
      "t.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  EXPECT_THAT(weak_choices(*result.config),
              ElementsAre("warning: connection 'gw': the PSK has only 19 characters; use at least "
                          "20 random characters (32 or more is better) or certificates"));
}

TEST(WeakChoices, Ikev1AndAggressiveModeWithPsk) {
  EXPECT_THAT(findings("ike_version = 1\n"),
              ElementsAre(StartsWith("warning: connection 'gw': uses IKEv1")));
  EXPECT_THAT(findings("ike_version = 1\naggressive = true\n"),
              ElementsAre(StartsWith("warning: connection 'gw': uses IKEv1"),
                          AllOf(StartsWith("warning: connection 'gw': IKEv1 aggressive mode"),
                                HasSubstr("offline dictionary attack"))));
}

TEST(WeakChoices, LegacyAlgorithmsAllowedAndUsed) {
  EXPECT_THAT(findings("allow_legacy = true\n"),
              ElementsAre(StartsWith("warning: connection 'gw': allow_legacy = true")));
  EXPECT_THAT(
      findings("allow_legacy = true\nike_proposals = [\"aes128-sha1-modp2048\"]\n",
               "[[connections.gw.children]]\nname = \"old\"\nesp_proposals = [\"3des-sha256-x25519\"]\n"),
      ElementsAre(StartsWith("warning: connection 'gw': allow_legacy = true"),
                  AllOf(StartsWith("warning: connection 'gw': IKE proposal '"),
                        HasSubstr("uses legacy algorithms"), HasSubstr("sha1")),
                  AllOf(StartsWith("warning: child 'old' of connection 'gw': ESP proposal '"),
                        HasSubstr("3des"))));
}

TEST(WeakChoices, NoPfsIsANote) {
  EXPECT_THAT(findings("", "[[connections.gw.children]]\nname = \"nopfs\"\n"
                           "esp_proposals = [\"aes256gcm16\"]\n"),
              ElementsAre(AllOf(StartsWith("note: child 'nopfs' of connection 'gw': esp_proposals "
                                           "have no key exchange group"),
                                HasSubstr("perfect forward secrecy"))));
}

TEST(WeakChoices, Ikev1NoPfsNoteNamesQuickMode) {
  EXPECT_THAT(findings("ike_version = 1\n", "[[connections.gw.children]]\nname = \"nopfs\"\n"
                                            "esp_proposals = [\"aes256gcm16\"]\n"),
              ElementsAre(StartsWith("warning: connection 'gw': uses IKEv1"),
                          AllOf(StartsWith("note: child 'nopfs' of connection 'gw': esp_proposals "
                                           "have no key exchange group, so Quick Mode derives"),
                                HasSubstr("perfect forward secrecy"))));
}

TEST(WeakChoices, DisabledProtections) {
  EXPECT_THAT(findings("dpd_delay = 0\n"),
              ElementsAre(StartsWith("warning: connection 'gw': dpd_delay = 0 turns dead peer "
                                     "detection off")));
  EXPECT_THAT(findings("", "replay_window = 0\n"),
              ElementsAre("warning: child 'net' of connection 'gw': replay_window = 0 turns "
                          "anti-replay protection off"));
}

TEST(WeakChoices, VeryLongLifetimes) {
  EXPECT_THAT(findings("ike_lifetime = \"24h\"\n"), IsEmpty());
  EXPECT_THAT(findings("ike_lifetime = \"2d\"\n", "lifetime = \"1d1s\"\n"),
              ElementsAre(StartsWith("warning: connection 'gw': ike_lifetime = 2d is very long"),
                          StartsWith("warning: child 'net' of connection 'gw': lifetime = 1d1s is "
                                     "very long")));
}

TEST(WeakChoices, AhIsANote) {
  EXPECT_THAT(findings("", "[[connections.gw.children]]\nname = \"auth-only\"\nprotocol = \"ah\"\n"
                           "ah_proposals = [\"sha256-x25519\"]\n"),
              ElementsAre("note: child 'auth-only' of connection 'gw': AH authenticates the "
                          "traffic but does not encrypt it"));
}

TEST(WeakChoices, AnyRemoteIdentityWithPsk) {
  EXPECT_THAT(findings("remote_id = \"%any\"\n"),
              ElementsAre(StartsWith("warning: connection 'gw': remote_id is %any with a PSK")));
}

TEST(WeakChoices, WeakCertificates) {
  testing::TempDir dir;
  const auto now = std::chrono::system_clock::now();
  const crypto::PrivateKey ca_key = crypto::PrivateKey::generate(crypto::KeyType::Rsa, 1024);
  const crypto::PrivateKey gw_key = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  crypto::CertificateSpec spec;
  spec.common_name = "Small CA";
  spec.not_before = now - std::chrono::hours(1);
  spec.not_after = now + std::chrono::hours(24);
  spec.is_ca = false;  // listed as a CA below, but not one
  const crypto::Certificate ca = crypto::issue_certificate(spec, ca_key.public_key(), ca_key, nullptr);
  spec.common_name = "gw";
  spec.ip_addresses = {"192.0.2.1"};
  const crypto::Certificate gw = crypto::issue_certificate(spec, gw_key.public_key(), ca_key, &ca);
  dir.write("ca.pem", testing::to_pem("CERTIFICATE", ca.der()));
  dir.write("gw.pem", testing::to_pem("CERTIFICATE", gw.der()));
  dir.write("gw.key", gw_key.to_pem());
  const LoadResult result = parse_config(
      "[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nremote_addrs = [\"192.0.2.2\"]\n"
      "auth = \"pubkey\"\ncertificate = \"gw.pem\"\nprivate_key = \"gw.key\"\n"
      "ca_certificates = [\"ca.pem\"]\n",
      "t.toml", dir.path());
  ASSERT_TRUE(result.ok()) << result.error_text();
  EXPECT_THAT(weak_choices(*result.config),
              ElementsAre(AllOf(StartsWith("warning: connection 'gw': CA certificate '"),
                                HasSubstr("Small CA"), HasSubstr("1024-bit RSA key")),
                          AllOf(StartsWith("warning: connection 'gw': '"), HasSubstr("Small CA"),
                                HasSubstr("is not a CA certificate"))));
}

}  // namespace
}  // namespace cygnet::config
