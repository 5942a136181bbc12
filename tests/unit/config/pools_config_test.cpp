// [pools.NAME], a connection's `pools` and `vips`, and [daemon] state_dir: typed values and
// file:line:col errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;

// A gateway connection for road warriors (lines 1-7); the tests append from line 8 on.
const std::string kGateway =
    "[connections.rw]\n"                // 1
    "local_addrs = [\"192.0.2.1\"]\n"   // 2
    "auth = \"psk\"\n"                  // 3
    "psk = \"a long random secret\"\n"  // 4
    "pools = [\"v4\", \"v6\"]\n"        // 5
    "[[connections.rw.children]]\n"     // 6
    "name = \"net\"\n";                 // 7

Config loads(const std::string& text) {
  LoadResult r = parse_config(text, "t.toml", {});
  EXPECT_TRUE(r.ok()) << r.error_text();
  return r.config.value_or(Config{});
}

TEST(PoolsConfig, PrefixRangeDnsAndDomains) {
  const Config c = loads(kGateway +
                         "[pools.v4]\n"
                         "addrs = \"198.51.100.128/25\"\n"
                         "dns = [\"198.51.100.53\", \"2001:db8::53\"]\n"
                         "dns_domains = [\"corp.example\"]\n"
                         "[pools.v6]\n"
                         "addrs = \"2001:db8:ffff::10-2001:db8:ffff::20\"\n"
                         "[daemon]\n"
                         "state_dir = \"/tmp/cygnet-state\"\n");
  ASSERT_EQ(c.pools.size(), 2u);
  EXPECT_EQ(c.pools[0].name, "v4");
  EXPECT_EQ(c.pools[0].first.to_string(), "198.51.100.129");
  EXPECT_EQ(c.pools[0].last.to_string(), "198.51.100.254");
  EXPECT_EQ(c.pools[0].dns.size(), 2u);
  EXPECT_EQ(c.pools[0].dns_domains, std::vector<std::string>{"corp.example"});
  EXPECT_EQ(c.pools[1].first.to_string(), "2001:db8:ffff::10");
  EXPECT_EQ(c.pools[1].last.to_string(), "2001:db8:ffff::20");
  ASSERT_EQ(c.connections.size(), 1u);
  EXPECT_EQ(c.connections[0].pools, (std::vector<std::string>{"v4", "v6"}));
  EXPECT_EQ(c.daemon.state_dir, "/tmp/cygnet-state");
}

TEST(PoolsConfig, DefaultStateDir) {
  EXPECT_EQ(
      loads(kGateway + "[pools.v4]\naddrs = \"198.51.100.0/24\"\n[pools.v6]\naddrs = \"2001:db8::/64\"\n")
          .daemon.state_dir,
      "/var/lib/cygnet");
}

TEST(PoolsConfig, ErrorsArePlaced) {
  EXPECT_THAT(errors_of(kGateway + "[pools.v4]\n"                             // 8
                                   "addrs = \"198.51.100.9-198.51.100.1\"\n"  // 9
                                   "dns = [\"resolver\"]\n"                   // 10
                                   "dns_domains = [\"a..b\"]\n"               // 11
                                   "adrs = 1\n"),                             // 12
              ElementsAre("t.toml:5:16: 'pools': no pool 'v6' is defined ([pools.v6])",
                          "t.toml:9:9: 'addrs': the range ends before it starts",
                          "t.toml:10:8: 'dns': 'resolver' is not an IP address",
                          "t.toml:11:16: 'dns_domains': 'a..b' is not a domain name",
                          "t.toml:12:1: unknown key 'adrs' in pool 'v4' (did you mean 'addrs'?)"));
}

TEST(PoolsConfig, PoolWithoutAddrs) {
  EXPECT_THAT(
      errors_of(kGateway + "[pools.v4]\ndns = []\n[pools.v6]\naddrs = \"2001:db8::/64\"\n"),
      ElementsAre(
          "t.toml:8:1: pool 'v4' needs 'addrs' (a prefix such as \"10.3.0.0/24\" or a range \"a-b\")"));
}

TEST(PoolsConfig, VipsOnePerFamily) {
  const std::string client =
      "[connections.home]\n"
      "remote_addrs = [\"192.0.2.1\"]\n"
      "local_id = \"alice@example.com\"\n"
      "auth = \"psk\"\n"
      "psk = \"a long random secret\"\n";
  const Config c = loads(client + "vips = [\"0.0.0.0\", \"::\"]\n");
  ASSERT_EQ(c.connections.size(), 1u);
  ASSERT_EQ(c.connections[0].vips.size(), 2u);
  EXPECT_TRUE(c.connections[0].vips[0].is_v4());
  EXPECT_THAT(errors_of(client + "vips = [\"0.0.0.0\", \"192.0.2.9\", \"any\"]\n"),
              ElementsAre("t.toml:6:20: 'vips': one address per family ('192.0.2.9' is the second IPv4 one)",
                          "t.toml:6:33: 'vips': 'any' is not an IP address (\"0.0.0.0\" or \"::\" for any)"));
}

TEST(PoolsConfig, AClientsLocalSideIsItsVirtualIpsNotItsOuterAddresses) {
  // An IPv4-only host asking for an IPv6 virtual address may route ::/0 through the tunnel.
  const std::string client =
      "[connections.home]\n"
      "local_addrs = [\"192.0.2.9\"]\n"
      "remote_addrs = [\"192.0.2.1\"]\n"
      "local_id = \"alice@example.com\"\n"
      "auth = \"psk\"\n"
      "psk = \"a long random secret\"\n";
  const std::string everything =
      "[[connections.home.children]]\nname = \"all\"\nremote_ts = [\"0.0.0.0/0\", \"::/0\"]\n";
  const Config c = loads(client + "vips = [\"0.0.0.0\", \"::\"]\n" + everything);
  ASSERT_EQ(c.connections.size(), 1u);
  EXPECT_EQ(c.connections[0].children.at(0).remote_ts.size(), 2u);
  // Without an IPv6 virtual address (and no IPv6 outer address) ::/0 could never match.
  EXPECT_EQ(errors_of(client + "vips = [\"0.0.0.0\"]\n" + everything).size(), 1u);
}

TEST(PoolsConfig, StateDirMustBeAbsolute) {
  EXPECT_THAT(errors_of("[daemon]\nstate_dir = \"var/lib\"\n"),
              ElementsAre("t.toml:2:13: 'state_dir' must be an absolute path, not \"var/lib\""));
}

}  // namespace
}  // namespace cygnet::config
