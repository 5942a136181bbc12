// Shunts in the daemon's pure planners: the route planner keeps a pass shunt's range out of the
// tunnel table with a throw route (only when that cannot divert a tunnel's traffic) and routes a
// drop shunt's range into the TUN; the cleartext filter exempts pass shunts and drops (and counts)
// drop shunts ahead of every tunnel rule; the status/stats JSON lists them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/cleartext_filter_plan.hpp"
#include "daemon/route_planner.hpp"
#include "daemon/shunt_json.hpp"

namespace cygnet::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

wire::IpAddress addr(std::string_view t) {
  return *wire::IpAddress::parse(t);
}
wire::IpPrefix prefix(std::string_view t) {
  return *wire::IpPrefix::parse(t);
}

ike::ConnectionSettings tunnel(const std::string& local_ts, const std::string& remote_ts) {
  ike::ConnectionSettings c;
  c.name = "vpn";
  c.local_addrs = {addr("192.0.2.1")};
  c.remote_addrs = {addr("192.0.2.2")};
  ike::ChildSettings child;
  child.name = "all";
  child.local_ts = {prefix(local_ts)};
  child.remote_ts = {prefix(remote_ts)};
  c.children.push_back(child);
  return c;
}

ipsec::ShuntSettings shunt(const std::string& name, ipsec::ShuntType type, const std::string& local,
                           const std::string& remote, std::uint8_t protocol = 0) {
  ipsec::Selector s;
  s.local = ipsec::AddressRange::from_prefix(prefix(local));
  s.remote = ipsec::AddressRange::from_prefix(prefix(remote));
  s.protocol = protocol;
  return ipsec::ShuntSettings{name, type, {s}};
}

// "throw P" or "P" (into the TUN) per wanted route, in order.
std::vector<std::string> routes(const RoutePlanner& planner) {
  std::vector<std::string> out;
  for (const RouteSpec& r : planner.desired({}, 7, 199)) {
    out.push_back((r.throw_route ? "throw " : "") + r.destination.to_string());
    EXPECT_EQ(r.table, 199u);
    if (r.throw_route) {
      EXPECT_FALSE(r.source.has_value());
    }
  }
  return out;
}

TEST(ShuntRoutes, PassShuntKeepsTheLanOutOfAWholeFamilyTunnel) {
  RoutePlanner planner;
  planner.set_connection(tunnel("198.51.100.0/24", "0.0.0.0/0"));
  planner.set_shunts({shunt("lan", ipsec::ShuntType::Pass, "198.51.100.0/24", "198.51.100.0/24")});
  EXPECT_THAT(routes(planner), ElementsAre("throw 198.51.100.0/24", "0.0.0.0/0"));
  planner.set_shunts({});
  EXPECT_THAT(routes(planner), ElementsAre("0.0.0.0/0"));
}

TEST(ShuntRoutes, ThrowRouteGivesWayWhenATunnelServesOtherSourcesTowardTheRange) {
  RoutePlanner planner;
  planner.set_connection(tunnel("198.51.100.0/24", "0.0.0.0/0"));
  // Passes only 198.51.100.0/25's traffic to 203.0.113.0/24, but the tunnel carries the whole
  // /24's: a throw would send 198.51.100.200's packets out in the clear. The SPD decides instead.
  planner.set_shunts({shunt("half", ipsec::ShuntType::Pass, "198.51.100.0/25", "203.0.113.0/24")});
  EXPECT_THAT(routes(planner), ElementsAre("0.0.0.0/0"));
  // Negotiated selectors count too.
  RoutePlanner negotiated;
  ipsec::Selector s;
  s.local = ipsec::AddressRange::any(wire::IpFamily::V4);
  s.remote = ipsec::AddressRange::from_prefix(prefix("203.0.113.0/24"));
  negotiated.set_selectors("child:1", {s});
  negotiated.set_shunts({shunt("half", ipsec::ShuntType::Pass, "198.51.100.0/25", "203.0.113.0/24")});
  EXPECT_THAT(routes(negotiated), ElementsAre("203.0.113.0/24"));
}

TEST(ShuntRoutes, DropShuntForEverySourceIsRoutedIntoTheTunOthersAreLeftToTheSpd) {
  RoutePlanner planner;
  planner.set_connection(tunnel("198.51.100.0/24", "203.0.113.0/24"));
  planner.set_shunts({shunt("blocked", ipsec::ShuntType::Drop, "0.0.0.0/0", "192.0.2.128/25"),
                      shunt("from-one", ipsec::ShuntType::Drop, "198.51.100.7/32", "192.0.2.0/25"),
                      shunt("tcp-only", ipsec::ShuntType::Pass, "0.0.0.0/0", "203.0.113.0/24", 6)});
  EXPECT_THAT(routes(planner), ElementsAre("192.0.2.128/25", "203.0.113.0/24"));
}

TEST(ShuntRoutes, IPv6PassShuntThrowsItsRange) {
  RoutePlanner planner;
  planner.set_connection(tunnel("2001:db8:1::/64", "::/0"));
  planner.set_shunts({shunt("lan6", ipsec::ShuntType::Pass, "2001:db8:1::/64", "2001:db8:1::/64")});
  EXPECT_THAT(routes(planner), ElementsAre("throw 2001:db8:1::/64", "::/0"));
}

TEST(ShuntCleartextFilter, PassShuntsAreExemptedAndDropShuntsCountedBeforeTheTunnelRules) {
  CleartextFilterPlanner planner;
  planner.set_connection(tunnel("198.51.100.0/24", "0.0.0.0/0"));
  planner.set_shunts({shunt("lan", ipsec::ShuntType::Pass, "198.51.100.0/24", "198.51.100.0/24"),
                      shunt("blocked", ipsec::ShuntType::Drop, "0.0.0.0/0", "203.0.113.64/26")});
  const CleartextFilterPlan plan = planner.plan();
  ASSERT_EQ(plan.shunt_rules.size(), 2u);
  EXPECT_EQ(plan.shunt_counters.at("shunt_0"), "blocked");
  const std::string script = cleartext_filter_script("cygnet", "cyg0", plan);
  const std::size_t accept = script.find(
      "add rule inet cygnet prerouting iifname != \"cyg0\" ip saddr 198.51.100.0/24 ip daddr 198.51.100.0/24 "
      "accept\n");
  const std::size_t drop = script.find(
      "add rule inet cygnet prerouting iifname != \"cyg0\" ip saddr 203.0.113.64/26 ip daddr 0.0.0.0/0 "
      "counter name "
      "\"shunt_0\" drop\n");
  const std::size_t tunnel_rule =
      script.find("ip saddr 0.0.0.0/0 ip daddr 198.51.100.0/24 counter name \"drop_0\"");
  ASSERT_NE(accept, std::string::npos) << script;
  ASSERT_NE(drop, std::string::npos) << script;
  ASSERT_NE(tunnel_rule, std::string::npos) << script;
  EXPECT_LT(accept, tunnel_rule);
  EXPECT_LT(drop, tunnel_rule);
  EXPECT_THAT(script, HasSubstr("add counter inet cygnet shunt_0\n"));

  const std::string nft_json = R"({"nftables": [{"counter": {"name": "shunt_0", "packets": 5}},
                                                 {"counter": {"name": "drop_0", "packets": 2}}]})";
  EXPECT_EQ(cleartext_shunt_drop_counts(nft_json, plan),
            (std::map<std::string, std::uint64_t>{{"blocked", 5}}));
  EXPECT_EQ(cleartext_drop_counts(nft_json, plan), (std::map<std::string, std::uint64_t>{{"vpn/all", 2}}));
}

TEST(ShuntJson, ListsEachShuntWithItsSelectorsAndCounts) {
  gateway::ShuntState state;
  state.settings = shunt("blocked", ipsec::ShuntType::Drop, "0.0.0.0/0", "203.0.113.64/26");
  state.packets_out = 3;
  state.packets_in = 1;
  const nlohmann::json json = shunts_json({state}, nlohmann::json{{"blocked", 5}});
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["name"], "blocked");
  EXPECT_EQ(json[0]["type"], "drop");
  EXPECT_EQ(json[0]["packets_out"], 3);
  EXPECT_EQ(json[0]["packets_in"], 1);
  EXPECT_EQ(json[0]["cleartext_drops"], 5);
  ASSERT_EQ(json[0]["selectors"].size(), 1u);
  EXPECT_THAT(json[0]["selectors"][0].get<std::string>(), HasSubstr("203.0.113.64/26"));
}

TEST(ShuntMetrics, OneCounterPerShuntAndDirection) {
  EXPECT_EQ(shunt_metrics_text({}), "");
  gateway::ShuntState state;
  state.settings = shunt("lan", ipsec::ShuntType::Pass, "198.51.100.0/24", "198.51.100.0/24");
  state.packets_out = 4;
  const std::string text = shunt_metrics_text({state});
  EXPECT_THAT(text, HasSubstr("# TYPE cygnet_shunt_packets_total counter\n"));
  EXPECT_THAT(text,
              HasSubstr("cygnet_shunt_packets_total{shunt=\"lan\",type=\"pass\",direction=\"out\"} 4\n"));
  EXPECT_THAT(text,
              HasSubstr("cygnet_shunt_packets_total{shunt=\"lan\",type=\"pass\",direction=\"in\"} 0\n"));
}

}  // namespace
}  // namespace cygnet::daemon
