// Traffic selectors (RFC 7296 §2.9): prefixes become TS ranges; intersection and the responder's
// narrowing of identical, smaller, larger, disjoint, port/protocol-restricted and mixed-family
// proposals (with a trigger /32 first); the initiator's check of the answer; and the data plane
// selectors of a CHILD SA, ICMP type/code included.
#include "ike/traffic_selectors.hpp"

#include <gtest/gtest.h>

namespace cygnet::ike {
namespace {

using wire::ikev2::TsType;

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kIcmp = 1;

wire::IpAddress ip(std::string_view text) { return *wire::IpAddress::parse(text); }

TrafficSelector ts(std::string_view prefix, std::uint8_t protocol = 0, std::uint16_t start_port = 0,
                   std::uint16_t end_port = 65535) {
  return ts_from_prefix(*wire::IpPrefix::parse(prefix), protocol, start_port, end_port);
}

TrafficSelector range(std::string_view first, std::string_view last) {
  TrafficSelector t = ts_from_address(ip(first));
  t.end = ip(last);
  return t;
}

std::vector<std::string> strings(const std::vector<TrafficSelector>& list) {
  std::vector<std::string> out;
  for (const TrafficSelector& t : list) out.push_back(ts_to_string(t));
  return out;
}

using Strings = std::vector<std::string>;

TEST(TrafficSelectors, FromPrefixesAndAddresses) {
  const TrafficSelector v4 = ts("198.51.100.77/24");
  EXPECT_EQ(v4.type, TsType::Ipv4AddrRange);
  EXPECT_EQ(v4.start, ip("198.51.100.0"));
  EXPECT_EQ(v4.end, ip("198.51.100.255"));
  EXPECT_EQ(v4.ip_protocol, 0);
  EXPECT_EQ(v4.start_port, 0);
  EXPECT_EQ(v4.end_port, 65535);

  const TrafficSelector v6 = ts("2001:db8:1::/48");
  EXPECT_EQ(v6.type, TsType::Ipv6AddrRange);
  EXPECT_EQ(v6.start, ip("2001:db8:1::"));
  EXPECT_EQ(v6.end, ip("2001:db8:1:ffff:ffff:ffff:ffff:ffff"));

  const TrafficSelector host = ts_from_address(ip("192.0.2.1"));
  EXPECT_EQ(host.start, host.end);
  EXPECT_EQ(host.type, TsType::Ipv4AddrRange);

  const std::vector<TrafficSelector> list =
      ts_from_prefixes({*wire::IpPrefix::parse("192.0.2.0/24"), *wire::IpPrefix::parse("2001:db8::/32")});
  EXPECT_EQ(strings(list), (Strings{"192.0.2.0/24", "2001:db8::/32"}));
}

TEST(TrafficSelectors, ToString) {
  EXPECT_EQ(ts_to_string(ts("198.51.100.0/24")), "198.51.100.0/24");
  EXPECT_EQ(ts_to_string(ts("192.0.2.1/32", kUdp, 500, 500)), "192.0.2.1[udp/500]");
  EXPECT_EQ(ts_to_string(ts("192.0.2.0/24", kTcp, 1024, 65535)), "192.0.2.0/24[tcp/1024-65535]");
  EXPECT_EQ(ts_to_string(ts("192.0.2.0/24", kTcp)), "192.0.2.0/24[tcp]");
  EXPECT_EQ(ts_to_string(ts("192.0.2.0/24", 50)), "192.0.2.0/24[50]");
  EXPECT_EQ(ts_to_string(range("192.0.2.10", "192.0.2.20")), "192.0.2.10-192.0.2.20");
  EXPECT_EQ(ts_to_string(ts("192.0.2.0/24", kUdp, 65535, 0)), "192.0.2.0/24[udp/opaque]");
}

TEST(TrafficSelectors, Intersect) {
  const TrafficSelector net = ts("192.0.2.0/24");
  EXPECT_EQ(ts_intersect(net, net), net);
  EXPECT_EQ(ts_intersect(net, ts("192.0.2.128/25")), ts("192.0.2.128/25"));
  EXPECT_EQ(ts_intersect(ts("192.0.2.128/25"), net), ts("192.0.2.128/25"));
  EXPECT_EQ(ts_intersect(range("192.0.2.10", "192.0.2.200"), ts("192.0.2.128/25")),
            range("192.0.2.128", "192.0.2.200"));
  EXPECT_FALSE(ts_intersect(net, ts("198.51.100.0/24")).has_value());
  EXPECT_FALSE(ts_intersect(ts("0.0.0.0/0"), ts("::/0")).has_value());
  // Protocol: "any" takes the other's; two different ones have nothing in common.
  EXPECT_EQ(ts_intersect(net, ts("192.0.2.0/24", kUdp))->ip_protocol, kUdp);
  EXPECT_FALSE(ts_intersect(ts("192.0.2.0/24", kTcp), ts("192.0.2.0/24", kUdp)).has_value());
  // Ports.
  const std::optional<TrafficSelector> ike = ts_intersect(ts("192.0.2.0/24", kUdp), ts("192.0.2.0/24", 0, 500, 500));
  ASSERT_TRUE(ike.has_value());
  EXPECT_EQ(ts_to_string(*ike), "192.0.2.0/24[udp/500]");
  EXPECT_FALSE(ts_intersect(ts("192.0.2.0/24", kTcp, 1000, 2000), ts("192.0.2.0/24", kTcp, 3000, 4000)).has_value());
  // OPAQUE meets "any port" as OPAQUE, a real port range not at all.
  EXPECT_EQ(ts_to_string(*ts_intersect(ts("192.0.2.0/24", kUdp, 65535, 0), net)), "192.0.2.0/24[udp/opaque]");
  EXPECT_FALSE(ts_intersect(ts("192.0.2.0/24", kUdp, 65535, 0), ts("192.0.2.0/24", kUdp, 53, 53)).has_value());
}

TEST(Narrowing, IdenticalProposalIsKept) {
  const std::vector<TrafficSelector> tsi = {ts("192.0.2.0/24")};
  const std::vector<TrafficSelector> tsr = {ts("198.51.100.0/24")};
  const std::optional<NarrowedSelectors> n = narrow(tsi, tsr, tsi, tsr);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->initiator, tsi);
  EXPECT_EQ(n->responder, tsr);
}

TEST(Narrowing, SmallerProposalIsKeptAsProposed) {
  const std::optional<NarrowedSelectors> n =
      narrow({ts("192.0.2.64/26")}, {ts("198.51.100.7/32")}, {ts("192.0.2.0/24")}, {ts("198.51.100.0/24")});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(strings(n->initiator), (Strings{"192.0.2.64/26"}));
  EXPECT_EQ(strings(n->responder), (Strings{"198.51.100.7"}));
}

TEST(Narrowing, LargerProposalIsNarrowedToOurs) {
  const std::optional<NarrowedSelectors> n =
      narrow({ts("0.0.0.0/0")}, {ts("0.0.0.0/0")}, {ts("192.0.2.0/24")}, {ts("198.51.100.0/24"), ts("203.0.113.0/25")});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(strings(n->initiator), (Strings{"192.0.2.0/24"}));
  EXPECT_EQ(strings(n->responder), (Strings{"198.51.100.0/24", "203.0.113.0/25"}));
}

TEST(Narrowing, DisjointIsRefused) {
  EXPECT_FALSE(narrow({ts("192.0.2.0/24")}, {ts("198.51.100.0/24")}, {ts("203.0.113.0/24")}, {ts("198.51.100.0/24")})
                   .has_value());
  EXPECT_FALSE(narrow({ts("192.0.2.0/24")}, {ts("198.51.100.0/24")}, {ts("192.0.2.0/24")}, {ts("203.0.113.0/24")})
                   .has_value());
  EXPECT_FALSE(narrow({}, {ts("198.51.100.0/24")}, {ts("192.0.2.0/24")}, {ts("198.51.100.0/24")}).has_value());
  // Nothing in common on the protocol.
  EXPECT_FALSE(narrow({ts("192.0.2.0/24", kTcp)}, {ts("198.51.100.0/24", kTcp)}, {ts("192.0.2.0/24", kUdp)},
                      {ts("198.51.100.0/24", kUdp)})
                   .has_value());
}

TEST(Narrowing, PortsAndProtocolNarrow) {
  // We allow only IKE-style UDP 500 towards our side; the peer proposed everything.
  const std::optional<NarrowedSelectors> n = narrow({ts("192.0.2.0/24")}, {ts("198.51.100.0/24")},
                                                    {ts("192.0.2.0/24", kUdp)}, {ts("198.51.100.0/24", kUdp, 500, 500)});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(strings(n->initiator), (Strings{"192.0.2.0/24[udp]"}));
  EXPECT_EQ(strings(n->responder), (Strings{"198.51.100.0/24[udp/500]"}));
  // The peer asked for TCP 1000-2000, we allow TCP 1500-65535.
  const std::optional<NarrowedSelectors> tcp =
      narrow({ts("192.0.2.0/24", kTcp, 1000, 2000)}, {ts("198.51.100.0/24")}, {ts("192.0.2.0/24", kTcp, 1500, 65535)},
             {ts("198.51.100.0/24")});
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(strings(tcp->initiator), (Strings{"192.0.2.0/24[tcp/1500-2000]"}));
}

TEST(Narrowing, MixedFamiliesPairUpByFamily) {
  const std::optional<NarrowedSelectors> n =
      narrow({ts("192.0.2.0/24"), ts("2001:db8:1::/48")}, {ts("198.51.100.0/24"), ts("2001:db8:2::/48")},
             {ts("2001:db8:1::/64")}, {ts("2001:db8:2::/48"), ts("203.0.113.0/24")});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(strings(n->initiator), (Strings{"2001:db8:1::/64"}));
  EXPECT_EQ(strings(n->responder), (Strings{"2001:db8:2::/48"}));
}

TEST(Narrowing, TriggerHostFirstKeepsTheWholeConfiguredRange) {
  // RFC 7296 §2.9: TSi/TSr start with the addresses of the packet that triggered the request.
  const std::optional<NarrowedSelectors> n =
      narrow({ts("192.0.2.10/32", kTcp, 40000, 40000), ts("192.0.2.0/24")},
             {ts("198.51.100.7/32", kTcp, 443, 443), ts("198.51.100.0/24")}, {ts("192.0.2.0/24")},
             {ts("198.51.100.0/25")});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(strings(n->initiator), (Strings{"192.0.2.0/24"}));
  EXPECT_EQ(strings(n->responder), (Strings{"198.51.100.0/25"}));
  // When only the trigger fits, it is what is answered.
  const std::optional<NarrowedSelectors> only =
      narrow({ts("192.0.2.10/32"), ts("203.0.113.0/24")}, {ts("198.51.100.7/32")}, {ts("192.0.2.0/24")},
             {ts("198.51.100.0/24")});
  ASSERT_TRUE(only.has_value());
  EXPECT_EQ(strings(only->initiator), (Strings{"192.0.2.10"}));
  EXPECT_EQ(strings(only->responder), (Strings{"198.51.100.7"}));
}

TEST(Narrowing, DuplicatesCollapse) {
  const std::optional<NarrowedSelectors> n = narrow({ts("192.0.2.0/24"), ts("192.0.2.0/24")}, {ts("198.51.100.0/24")},
                                                    {ts("192.0.2.0/24"), ts("192.0.2.0/25")}, {ts("198.51.100.0/24")});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(strings(n->initiator), (Strings{"192.0.2.0/24"}));
}

TEST(SelectorsWithin, ReturnedMustLieInsideProposed) {
  const std::vector<TrafficSelector> proposed = {ts("192.0.2.0/24"), ts("2001:db8::/32", kUdp)};
  EXPECT_TRUE(selectors_within({ts("192.0.2.0/24")}, proposed));
  EXPECT_TRUE(selectors_within({ts("192.0.2.0/25"), ts("2001:db8:5::/48", kUdp, 500, 500)}, proposed));
  EXPECT_TRUE(selectors_within({ts("192.0.2.0/24", kTcp, 22, 22)}, proposed));
  EXPECT_FALSE(selectors_within({ts("192.0.0.0/16")}, proposed));
  EXPECT_FALSE(selectors_within({ts("192.0.2.0/25"), ts("198.51.100.0/24")}, proposed));
  EXPECT_FALSE(selectors_within({ts("2001:db8::/32")}, proposed));  // any protocol is wider than UDP
  EXPECT_FALSE(selectors_within({}, proposed));
}

TEST(IpsecSelectors, CrossProductOfSameFamilyPairs) {
  const std::vector<ipsec::Selector> s =
      to_ipsec_selectors({ts("192.0.2.0/24"), ts("2001:db8:1::/48")},
                         {ts("198.51.100.0/24"), ts("203.0.113.0/24"), ts("2001:db8:2::/48")});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].to_string(), "192.0.2.0/24 <=> 198.51.100.0/24 proto any");
  EXPECT_EQ(s[1].to_string(), "192.0.2.0/24 <=> 203.0.113.0/24 proto any");
  EXPECT_EQ(s[2].to_string(), "2001:db8:1::/48 <=> 2001:db8:2::/48 proto any");
}

TEST(IpsecSelectors, ProtocolAndPortsCarryOver) {
  const std::vector<ipsec::Selector> s =
      to_ipsec_selectors({ts("192.0.2.0/24", 0)}, {ts("198.51.100.0/24", kUdp, 500, 500), ts("198.51.100.0/24", kTcp)});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].protocol, kUdp);
  EXPECT_TRUE(s[0].local_ports.is_any());
  EXPECT_EQ(s[0].remote_ports, (ipsec::PortRange{500, 500}));
  EXPECT_EQ(s[1].protocol, kTcp);
  // Conflicting protocols make no selector.
  EXPECT_TRUE(to_ipsec_selectors({ts("192.0.2.0/24", kTcp)}, {ts("198.51.100.0/24", kUdp)}).empty());
  EXPECT_TRUE(to_ipsec_selectors({ts("192.0.2.0/24")}, {ts("2001:db8::/32")}).empty());
}

TEST(IpsecSelectors, IcmpTypeAndCodeGoWhereTheDataPlaneLooks) {
  // ICMP echo request: type 8 in the high byte, any code (0x0800-0x08ff), RFC 4301 §4.4.1.1.
  const std::vector<ipsec::Selector> s =
      to_ipsec_selectors({ts("192.0.2.0/24", kIcmp, 0x0800, 0x08ff)}, {ts("198.51.100.0/24", kIcmp)});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].protocol, kIcmp);
  EXPECT_EQ(s[0].local_ports, (ipsec::PortRange{8, 8}));
  EXPECT_TRUE(s[0].remote_ports.is_any());

  wire::IpPacketInfo echo;
  echo.source = ip("192.0.2.5");
  echo.destination = ip("198.51.100.9");
  echo.protocol = kIcmp;
  echo.source_port = 8;  // type
  echo.destination_port = 0;  // code
  EXPECT_TRUE(s[0].matches_outbound(echo));
  wire::IpPacketInfo reply = echo;
  reply.source_port = 0;
  EXPECT_FALSE(s[0].matches_outbound(reply));

  // Destination unreachable, port unreachable only (type 3 code 3), on the remote TS.
  const std::vector<ipsec::Selector> unreachable =
      to_ipsec_selectors({ts("192.0.2.0/24", kIcmp)}, {ts("198.51.100.0/24", kIcmp, 0x0303, 0x0303)});
  ASSERT_EQ(unreachable.size(), 1u);
  EXPECT_EQ(unreachable[0].local_ports, (ipsec::PortRange{3, 3}));
  EXPECT_EQ(unreachable[0].remote_ports, (ipsec::PortRange{3, 3}));

  // Both sides restricted to different types: nothing in common.
  EXPECT_TRUE(to_ipsec_selectors({ts("192.0.2.0/24", kIcmp, 0x0800, 0x08ff)},
                                 {ts("198.51.100.0/24", kIcmp, 0x0000, 0x00ff)})
                  .empty());
  // Any ICMP: no port restriction at all.
  const std::vector<ipsec::Selector> any = to_ipsec_selectors({ts("192.0.2.0/24", kIcmp)}, {ts("198.51.100.0/24")});
  ASSERT_EQ(any.size(), 1u);
  EXPECT_TRUE(any[0].local_ports.is_any());
  EXPECT_TRUE(any[0].remote_ports.is_any());
}

}  // namespace
}  // namespace cygnet::ike
