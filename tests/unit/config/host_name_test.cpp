// Host names in remote_addrs: the RFC 1123 shape check and what the configuration makes of them.
#include "config/host_name.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(HostName, AcceptsRfc1123Names) {
  for (const char* name : {"peer.example", "PEER.Example", "gw-1.site-b.example.org", "localhost",
                           "3com.example", "a.b.c.d.e", "x1"})
    EXPECT_TRUE(is_host_name(name)) << name;
  EXPECT_TRUE(is_host_name(std::string(63, 'a') + ".example"));
}

TEST(HostName, RefusesJunk) {
  for (const char* name :
       {"", ".", "peer.example.", ".peer", "a..b", "-peer.example", "peer-.example", "under_score.example",
        "peer example", "peer.example:500", "192.0.2.300", "10.1", "p\xc3\xa9r.example", "%any"})
    EXPECT_FALSE(is_host_name(name)) << name;
  EXPECT_FALSE(is_host_name(std::string(64, 'a') + ".example"));  // label too long
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  EXPECT_FALSE(is_host_name(long_name + "example"));  // over 253 characters
}

const std::string kConnection =
    "[connections.gw]\n"                   // 1
    "local_addrs = [\"192.0.2.1\"]\n"      // 2
    "auth = \"psk\"\n"                     // 3
    "psk = \"a long random secret\"\n"     // 4
    "[[connections.gw.children]]\n"        // 5
    "name = \"net\"\n"                     // 6
    "local_ts = [\"198.51.100.0/24\"]\n"   // 7
    "remote_ts = [\"203.0.113.0/24\"]\n";  // 8

TEST(RemoteAddrsHostNames, NamesAreKeptLowercaseApartFromAddresses) {
  const LoadResult result = parse_config(
      "[connections.gw]\nremote_addrs = [\"Peer.Example\", \"backup.example\"]\nstart_action = \"start\"\n" +
          kConnection.substr(kConnection.find('\n') + 1),
      "t.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  const auto& c = result.config->connections.at(0);
  EXPECT_THAT(c.remote_hosts, ElementsAre("peer.example", "backup.example"));
  EXPECT_TRUE(c.remote_addrs.empty());
  EXPECT_TRUE(c.remote_id.any);  // no address to default to
}

TEST(RemoteAddrsHostNames, JunkIsAnErrorAtItsPosition) {
  EXPECT_THAT(
      testing::errors_of("[connections.gw]\nremote_addrs = [\"peer_1.example\"]\n" +
                         kConnection.substr(kConnection.find('\n') + 1)),
      ElementsAre(AllOf(StartsWith("t.toml:2:17:"), HasSubstr("neither an IP address nor a host name"))));
}

TEST(RemoteAddrsHostNames, MixingNamesAndAddressesIsAnError) {
  EXPECT_THAT(testing::errors_of("[connections.gw]\nremote_addrs = [\"peer.example\", \"192.0.2.2\"]\n" +
                                 kConnection.substr(kConnection.find('\n') + 1)),
              ElementsAre(AllOf(StartsWith("t.toml:2:"), HasSubstr("mixes host names and addresses"))));
}

TEST(RemoteAddrsHostNames, NamesNeedIkev2AndRemoteTs) {
  EXPECT_THAT(testing::errors_of("[connections.gw]\nike_version = 1\nremote_addrs = [\"peer.example\"]\n" +
                                 kConnection.substr(kConnection.find('\n') + 1)),
              ElementsAre(HasSubstr("host names need ike_version = 2")));
  std::string without_remote_ts = kConnection.substr(kConnection.find('\n') + 1);
  without_remote_ts.erase(without_remote_ts.find("remote_ts"));
  EXPECT_THAT(testing::errors_of("[connections.gw]\nremote_addrs = [\"peer.example\"]\n" + without_remote_ts),
              ElementsAre(HasSubstr("needs 'remote_ts'")));
}

}  // namespace
}  // namespace cygnet::config
