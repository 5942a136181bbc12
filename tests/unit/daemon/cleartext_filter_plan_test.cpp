#include "daemon/cleartext_filter_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cygnet::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

wire::IpAddress addr(std::string_view t) {
  return *wire::IpAddress::parse(t);
}
wire::IpPrefix prefix(std::string_view t) {
  return *wire::IpPrefix::parse(t);
}

ipsec::Selector selector(std::string_view local, std::string_view remote) {
  ipsec::Selector s;
  s.local = ipsec::AddressRange::from_prefix(prefix(local));
  s.remote = ipsec::AddressRange::from_prefix(prefix(remote));
  return s;
}

ike::ConnectionSettings site_to_site() {
  ike::ConnectionSettings c;
  c.name = "site-b";
  c.local_addrs = {addr("192.0.2.1")};
  c.remote_addrs = {addr("192.0.2.2")};
  ike::ChildSettings net;
  net.name = "net";
  net.local_ts = {prefix("198.51.100.0/24"), prefix("2001:db8:1::/48")};
  net.remote_ts = {prefix("203.0.113.0/24"), prefix("2001:db8:2::/48")};
  c.children.push_back(net);
  ike::ChildSettings host;  // transport mode: selectors only once negotiated
  host.name = "host";
  host.mode = ipsec::Mode::Transport;
  c.children.push_back(host);
  return c;
}

std::vector<std::string> matches(const CleartextFilterPlan& plan) {
  std::vector<std::string> out;
  for (const CleartextDropRule& r : plan.rules)
    out.push_back(plan.counters.at(r.counter) + ": " + cleartext_match(r.selector));
  return out;
}

TEST(CleartextFilterPlanner, ConfiguredChildrenWithBothSelectorsAreFilteredFromLoadTime) {
  CleartextFilterPlanner planner;
  planner.set_connection(site_to_site());
  // One rule per same-family pair; the transport child has no configured selectors.
  EXPECT_THAT(matches(planner.plan()),
              ElementsAre("site-b/net: ip saddr 203.0.113.0/24 ip daddr 198.51.100.0/24",
                          "site-b/net: ip6 saddr 2001:db8:2::/48 ip6 daddr 2001:db8:1::/48"));
  planner.remove_connection("site-b");
  EXPECT_THAT(planner.plan().rules, IsEmpty());
}

TEST(CleartextFilterPlanner, NegotiatedSelectorsAreFilteredAndARekeyKeepsOneRule) {
  CleartextFilterPlanner planner;
  ipsec::Selector transport = selector("192.0.2.1/32", "192.0.2.2/32");
  transport.protocol = 17;
  planner.set_selectors("child:1", "site-b", "host", {transport});
  planner.set_selectors("child:2", "site-b", "host", {transport});  // the rekeyed SA, old not yet gone
  EXPECT_THAT(matches(planner.plan()),
              ElementsAre("site-b/host: ip saddr 192.0.2.2/32 ip daddr 192.0.2.1/32 meta l4proto 17"));
  planner.remove_selectors("child:1");
  EXPECT_EQ(planner.plan().rules.size(), 1u);
  planner.remove_selectors("child:2");
  EXPECT_THAT(planner.plan().rules, IsEmpty());
}

TEST(CleartextFilterPlanner, CounterNamesAreIdentifiersStableForTheDaemonsLifetime) {
  CleartextFilterPlanner planner;
  planner.set_connection(site_to_site());
  planner.set_selectors("child:7", "road warrior \"x\"", "any", {selector("10.0.0.0/8", "10.1.0.0/16")});
  const CleartextFilterPlan before = planner.plan();
  ASSERT_EQ(before.counters.size(), 2u);
  for (const auto& [name, key] : before.counters) {
    EXPECT_THAT(name, ::testing::MatchesRegex("drop_[0-9]+")) << key;
  }
  planner.remove_selectors("child:7");
  planner.remove_connection("site-b");
  planner.set_connection(site_to_site());
  const CleartextFilterPlan after = planner.plan();
  // Counters outlive their rules, so `stats` still shows what was dropped before a reload.
  EXPECT_EQ(after.counters, before.counters);
  EXPECT_EQ(after.rules.front().counter, before.rules.front().counter);
}

TEST(CleartextMatch, ProtocolsAndPortsAreMatchedInboundWay) {
  ipsec::Selector s = selector("198.51.100.0/24", "203.0.113.0/24");
  s.protocol = 6;
  s.local_ports = {80, 80};
  s.remote_ports = {1024, 65535};
  // Inbound: the peer's side is the source.
  EXPECT_EQ(
      cleartext_match(s),
      "ip saddr 203.0.113.0/24 ip daddr 198.51.100.0/24 meta l4proto 6 th sport 1024-65535 th dport 80");
  s.protocol = 1;  // ICMP type/code in the ports: not matched, every type dropped
  s.local_ports = {8, 8};
  EXPECT_EQ(cleartext_match(s), "ip saddr 203.0.113.0/24 ip daddr 198.51.100.0/24 meta l4proto 1");
  ipsec::Selector range;
  range.local = ipsec::AddressRange::any(wire::IpFamily::V6);
  range.remote = {addr("2001:db8::5"), addr("2001:db8::9")};
  EXPECT_EQ(cleartext_match(range), "ip6 saddr 2001:db8::5-2001:db8::9 ip6 daddr ::/0");
}

TEST(CleartextFilterScript, OneTransactionThatKeepsTheTunnelsOwnPacketsAndDropsTheRest) {
  CleartextFilterPlanner planner;
  planner.set_connection(site_to_site());
  const std::string script = cleartext_filter_script("cygnet", "cygnet0", planner.plan());
  EXPECT_EQ(script,
            "add table inet cygnet\n"
            "add chain inet cygnet prerouting { type filter hook prerouting priority raw; policy accept; }\n"
            "add counter inet cygnet drop_0\n"
            "flush chain inet cygnet prerouting\n"
            "add rule inet cygnet prerouting fib daddr type local meta l4proto { esp, ah } accept\n"
            "add rule inet cygnet prerouting fib daddr type local udp dport { 500, 4500 } accept\n"
            "add rule inet cygnet prerouting fib daddr type local ip frag-off & 0x1fff != 0 accept\n"
            "add rule inet cygnet prerouting fib daddr type local frag frag-off != 0 accept\n"
            "add rule inet cygnet prerouting ip6 hoplimit 255 icmpv6 type { nd-router-solicit, "
            "nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept\n"
            "add rule inet cygnet prerouting iifname != \"cygnet0\" ip saddr 203.0.113.0/24 ip daddr "
            "198.51.100.0/24 counter name \"drop_0\" drop\n"
            "add rule inet cygnet prerouting iifname != \"cygnet0\" ip6 saddr 2001:db8:2::/48 ip6 daddr "
            "2001:db8:1::/48 counter name \"drop_0\" drop\n");
  // No selectors: the chain is emptied but stays, so nothing is dropped.
  const std::string empty = cleartext_filter_script("cygnet", "cygnet0", CleartextFilterPlan{});
  EXPECT_THAT(empty, HasSubstr("flush chain inet cygnet prerouting\n"));
  EXPECT_THAT(empty, Not(HasSubstr(" drop\n")));
}

TEST(CleartextDropCounts, ReadsNftJsonPerChild) {
  CleartextFilterPlanner planner;
  planner.set_connection(site_to_site());
  planner.set_selectors("child:3", "other", "lan", {selector("10.0.0.0/8", "10.1.0.0/16")});
  const std::string nft_json =
      R"({"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},)"
      R"( {"counter": {"family": "inet", "name": "drop_0", "table": "cygnet", "handle": 2, "packets": 20, "bytes": 1680}},)"
      R"( {"counter": {"family": "inet", "name": "drop_1", "table": "cygnet", "handle": 3, "packets": 0, "bytes": 0}},)"
      R"( {"counter": {"family": "inet", "name": "someone_else", "table": "cygnet", "packets": 5, "bytes": 1}}]})";
  const auto counts = cleartext_drop_counts(nft_json, planner.plan());
  EXPECT_EQ(counts, (std::map<std::string, std::uint64_t>{{"site-b/net", 20}, {"other/lan", 0}}));
}

TEST(CleartextDropCounts, MalformedOutputGivesNothing) {
  CleartextFilterPlanner planner;
  planner.set_connection(site_to_site());
  const CleartextFilterPlan plan = planner.plan();
  for (const char* bad : {"", "not json", "[]", R"({"nftables": 3})", R"({"nftables": [{"counter": 1}]})",
                          R"({"nftables": [{"counter": {"name": "drop_0", "packets": -1}}]})",
                          R"({"nftables": [{"counter": {"name": 7, "packets": 1}}]})"}) {
    EXPECT_THAT(cleartext_drop_counts(bad, plan), IsEmpty()) << bad;
  }
}

}  // namespace
}  // namespace cygnet::daemon
