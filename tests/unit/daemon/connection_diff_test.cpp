#include "daemon/connection_diff.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/ike/engine_harness.hpp"

namespace cygnet::daemon {
namespace {

using ike::test::psk_connection;
using ::testing::ElementsAre;

TEST(ConnectionDiff, IdenticalSettingsHaveIdenticalFingerprints) {
  EXPECT_EQ(connection_fingerprint(psk_connection("a", "192.0.2.1", "192.0.2.2")),
            connection_fingerprint(psk_connection("a", "192.0.2.1", "192.0.2.2")));
}

TEST(ConnectionDiff, EverySettingChangesTheFingerprint) {
  const ike::ConnectionSettings base = psk_connection("a", "192.0.2.1", "192.0.2.2");
  const std::string before = connection_fingerprint(base);
  std::vector<ike::ConnectionSettings> variants(9, base);
  variants[0].remote_addrs = {ike::test::addr("192.0.2.3")};
  variants[1] = psk_connection("a", "192.0.2.1", "192.0.2.2", "another secret");
  variants[2].children[0].remote_ts = {ike::test::prefix("203.0.113.128/25")};
  variants[3].children[0].lifetime = Seconds(60);
  variants[4].dpd_delay = Seconds(5);
  variants[5].start_action = ike::StartAction::Trap;
  variants[6].children[0].proposals = {ike::test::proposal("aes128-sha256", ike::ProtocolId::Esp)};
  variants[7].encapsulation = ike::Encapsulation::ForceUdp;
  variants[8].revocation = ike::RevocationPolicy::Strict;  // a reload applies a changed policy
  for (std::size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(connection_fingerprint(variants[i]), before) << "variant " << i;
  }
}

TEST(ConnectionDiff, SortsConnectionsIntoAddedRemovedChangedUnchanged) {
  std::vector<ike::ConnectionSettings> before{psk_connection("keep", "192.0.2.1", "192.0.2.2"),
                                              psk_connection("drop", "192.0.2.1", "192.0.2.3"),
                                              psk_connection("edit", "192.0.2.1", "192.0.2.4")};
  std::vector<ike::ConnectionSettings> after{psk_connection("keep", "192.0.2.1", "192.0.2.2"),
                                             psk_connection("edit", "192.0.2.1", "192.0.2.5"),
                                             psk_connection("new", "192.0.2.1", "192.0.2.6")};
  const ConnectionDiff d = diff_connections(before, after);
  EXPECT_THAT(d.added, ElementsAre("new"));
  EXPECT_THAT(d.removed, ElementsAre("drop"));
  EXPECT_THAT(d.changed, ElementsAre("edit"));
  EXPECT_THAT(d.unchanged, ElementsAre("keep"));
}

TEST(ConnectionDiff, FingerprintDoesNotContainThePsk) {
  const ike::ConnectionSettings c = psk_connection("a", "192.0.2.1", "192.0.2.2", "visible-secret");
  const std::string print = connection_fingerprint(c);
  EXPECT_EQ(print.size(), 64u);  // a SHA-256, hex
  EXPECT_EQ(print.find("visible-secret"), std::string::npos);
}

}  // namespace
}  // namespace cygnet::daemon
