#include "daemon/route_planner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cygnet::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

wire::IpAddress addr(std::string_view t) {
  return *wire::IpAddress::parse(t);
}
wire::IpPrefix prefix(std::string_view t) {
  return *wire::IpPrefix::parse(t);
}

std::vector<std::string> texts(const std::vector<wire::IpPrefix>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) out.push_back(p.to_string());
  return out;
}

TEST(RangeToPrefixes, APrefixGivesItself) {
  EXPECT_THAT(texts(range_to_prefixes(ipsec::AddressRange::from_prefix(prefix("203.0.113.0/24")))),
              ElementsAre("203.0.113.0/24"));
  EXPECT_THAT(texts(range_to_prefixes(ipsec::AddressRange::any(wire::IpFamily::V4))),
              ElementsAre("0.0.0.0/0"));
  EXPECT_THAT(texts(range_to_prefixes(ipsec::AddressRange::any(wire::IpFamily::V6))), ElementsAre("::/0"));
  EXPECT_THAT(texts(range_to_prefixes({addr("2001:db8::5"), addr("2001:db8::5")})),
              ElementsAre("2001:db8::5/128"));
}

TEST(RangeToPrefixes, ArbitraryRangesAreCoveredExactly) {
  // 192.0.2.10 - 192.0.2.20 = .10/31 .12/30 .16/30 .20/32
  EXPECT_THAT(texts(range_to_prefixes({addr("192.0.2.10"), addr("192.0.2.20")})),
              ElementsAre("192.0.2.10/31", "192.0.2.12/30", "192.0.2.16/30", "192.0.2.20/32"));
  EXPECT_THAT(texts(range_to_prefixes({addr("2001:db8::1"), addr("2001:db8::2")})),
              ElementsAre("2001:db8::1/128", "2001:db8::2/128"));
  EXPECT_THAT(texts(range_to_prefixes({addr("255.255.255.254"), addr("255.255.255.255")})),
              ElementsAre("255.255.255.254/31"));
  EXPECT_TRUE(range_to_prefixes({addr("192.0.2.20"), addr("192.0.2.10")}).empty());  // reversed
}

ike::ConnectionSettings tunnel(std::string name) {
  ike::ConnectionSettings c;
  c.name = std::move(name);
  c.local_addrs = {addr("192.0.2.1")};
  c.remote_addrs = {addr("192.0.2.2")};
  ike::ChildSettings child;
  child.name = "net";
  child.local_ts = {prefix("198.51.100.0/24")};
  child.remote_ts = {prefix("203.0.113.0/24"), prefix("2001:db8:2::/48")};
  c.children = {child};
  return c;
}

TEST(RoutePlanner, ConfiguredRemoteSelectorsAreRoutedWithASourceInsideTheLocalOne) {
  RoutePlanner planner;
  planner.set_connection(tunnel("site-b"));
  const std::vector<InterfaceAddress> host{{2, addr("192.0.2.1"), 24}, {3, addr("198.51.100.1"), 24}};
  const std::vector<RouteSpec> routes = planner.desired(host, 9, 199);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].destination.to_string(), "203.0.113.0/24");
  EXPECT_EQ(routes[0].ifindex, 9);
  EXPECT_EQ(routes[0].table, 199u);
  ASSERT_TRUE(routes[0].source);
  EXPECT_EQ(routes[0].source->to_string(), "198.51.100.1");
  EXPECT_EQ(routes[1].destination.to_string(), "2001:db8:2::/48");
  EXPECT_FALSE(routes[1].source);  // no IPv6 address in the (IPv4) local selector
  planner.remove_connection("site-b");
  EXPECT_TRUE(planner.desired(host, 9, 199).empty());
}

TEST(RoutePlanner, TransportModeRoutesThePeer) {
  ike::ConnectionSettings c = tunnel("host");
  c.children[0].mode = ipsec::Mode::Transport;
  c.children[0].local_ts.clear();
  c.children[0].remote_ts.clear();
  RoutePlanner planner;
  planner.set_connection(c);
  const std::vector<RouteSpec> routes = planner.desired({{2, addr("192.0.2.1"), 24}}, 9, 199);
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].destination.to_string(), "192.0.2.2/32");
  ASSERT_TRUE(routes[0].source);
  EXPECT_EQ(routes[0].source->to_string(), "192.0.2.1");
}

TEST(RoutePlanner, NegotiatedSelectorsAddRoutesUntilRemovedAndDuplicatesCollapse) {
  ike::ConnectionSettings responder = tunnel("any");
  responder.remote_addrs.clear();
  responder.children[0].remote_ts.clear();  // %any responder: nothing to route until a peer comes
  RoutePlanner planner;
  planner.set_connection(responder);
  EXPECT_TRUE(planner.desired({}, 9, 199).empty());
  ipsec::Selector s;
  s.local = ipsec::AddressRange::from_prefix(prefix("198.51.100.0/24"));
  s.remote = {addr("203.0.113.8"), addr("203.0.113.11")};
  planner.set_selectors("child:4", {s});
  planner.set_selectors("child:5", {s});  // the rekeyed SA carries the same selectors
  std::vector<std::string> dests;
  for (const RouteSpec& r : planner.desired({}, 9, 199)) dests.push_back(r.destination.to_string());
  EXPECT_THAT(dests, UnorderedElementsAre("203.0.113.8/30"));
  planner.remove_selectors("child:4");
  EXPECT_EQ(planner.desired({}, 9, 199).size(), 1u);
  planner.remove_selectors("child:5");
  EXPECT_TRUE(planner.desired({}, 9, 199).empty());
}

TEST(RoutePlanner, ALocalSelectorOfEverythingNeverGivesLoopbackOrLinkLocalAsSource) {
  // A remote-access gateway with local_ts 0.0.0.0/0, ::/0 routes a client's virtual address.
  RoutePlanner planner;
  ipsec::Selector v4;
  v4.local = ipsec::AddressRange::any(wire::IpFamily::V4);
  v4.remote = {addr("198.51.100.129"), addr("198.51.100.129")};
  ipsec::Selector v6;
  v6.local = ipsec::AddressRange::any(wire::IpFamily::V6);
  v6.remote = {addr("2001:db8:ffff::1"), addr("2001:db8:ffff::1")};
  planner.set_selectors("child:1", {v4, v6});
  const std::vector<InterfaceAddress> host{{1, addr("127.0.0.1"), 8},
                                           {1, addr("::1"), 128},
                                           {2, addr("fe80::1"), 64},
                                           {2, addr("192.0.2.2"), 24},
                                           {3, addr("2001:db8:2::1"), 64}};
  const std::vector<RouteSpec> routes = planner.desired(host, 9, 199);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].source->to_string(), "192.0.2.2");
  EXPECT_EQ(routes[1].source->to_string(), "2001:db8:2::1");
  EXPECT_FALSE(planner.desired({{1, addr("::1"), 128}}, 9, 199)[1].source);
}

// Cygnet as a remote-access client: `vips`, everything (0.0.0.0/0, ::/0) through the tunnel.
ike::ConnectionSettings road_warrior() {
  ike::ConnectionSettings c = tunnel("office");
  c.vips = {addr("0.0.0.0"), addr("::")};
  c.children[0].local_ts.clear();
  c.children[0].remote_ts = {prefix("0.0.0.0/0"), prefix("::/0")};
  return c;
}

TEST(RoutePlanner, AClientConnectionRoutesOnlyWhileItHoldsVirtualIpsWithThemAsSource) {
  RoutePlanner planner;
  planner.set_connection(road_warrior());
  // The outer address is on link 2, the virtual addresses on the TUN device (9) once assigned.
  std::vector<InterfaceAddress> host{{2, addr("192.0.2.1"), 24}, {2, addr("2001:db8::1"), 64}};
  EXPECT_TRUE(planner.desired(host, 9, 199).empty());  // no address to send from yet

  planner.set_virtual_ips("office", {addr("198.51.100.129"), addr("2001:db8:ffff::1")});
  host.push_back({9, addr("198.51.100.129"), 32});
  host.push_back({9, addr("2001:db8:ffff::1"), 128});
  const std::vector<RouteSpec> routes = planner.desired(host, 9, 199);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].destination.to_string(), "0.0.0.0/0");
  ASSERT_TRUE(routes[0].source);
  EXPECT_EQ(routes[0].source->to_string(), "198.51.100.129");  // not the outer 192.0.2.1
  EXPECT_EQ(routes[1].destination.to_string(), "::/0");
  ASSERT_TRUE(routes[1].source);
  EXPECT_EQ(routes[1].source->to_string(), "2001:db8:ffff::1");

  // The negotiated CHILD SA (local selector narrowed to the virtual address) adds nothing new.
  ipsec::Selector s;
  s.local = {addr("198.51.100.129"), addr("198.51.100.129")};
  s.remote = ipsec::AddressRange::any(wire::IpFamily::V4);
  planner.set_selectors("child:3", {s});
  EXPECT_EQ(planner.desired(host, 9, 199), routes);

  planner.set_virtual_ips("office", {});  // released: only the CHILD SA's own route stays
  planner.remove_selectors("child:3");
  EXPECT_TRUE(planner.desired(host, 9, 199).empty());
}

TEST(RoutePlanner, AClientConnectionWithoutAddressesOfOneFamilyGetsNoSourceThere) {
  RoutePlanner planner;
  planner.set_connection(road_warrior());
  planner.set_virtual_ips("office", {addr("198.51.100.129")});  // the gateway had no IPv6 pool
  const std::vector<RouteSpec> routes =
      planner.desired({{9, addr("198.51.100.129"), 32}, {2, addr("2001:db8::1"), 64}}, 9, 199);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].source->to_string(), "198.51.100.129");
  EXPECT_FALSE(routes[1].source);  // never the outer IPv6 address
  planner.remove_connection("office");
  EXPECT_TRUE(planner.desired({}, 9, 199).empty());
}

}  // namespace
}  // namespace cygnet::daemon
