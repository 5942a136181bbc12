// Shunt policies in the SPD (ipsec/shunt.hpp): BYPASS/DISCARD at kShuntPolicyPriority come before
// the tunnels' PROTECT policies (CHILD SA 90, trap 100), so a shunt narrower than a tunnel wins,
// for IPv4 and IPv6, outbound and inbound, and down to protocol and port; the selector relations
// behind the configuration's overlap warning.
#include "ipsec/shunt.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cygnet::ipsec {
namespace {

using wire::IpAddress;
using wire::IpPacketInfo;
using wire::IpPrefix;
namespace ip_protocol = wire::ip_protocol;

constexpr std::uint32_t kChildPriority = 90;  // ike/data_plane_binding.cpp
constexpr std::uint32_t kTrapPriority = 100;

AddressRange prefix(const std::string& text) {
  return AddressRange::from_prefix(*IpPrefix::parse(text));
}

Selector selector(const std::string& local, const std::string& remote, std::uint8_t protocol = 0,
                  PortRange remote_ports = {}) {
  Selector s;
  s.local = prefix(local);
  s.remote = prefix(remote);
  s.protocol = protocol;
  s.remote_ports = remote_ports;
  return s;
}

IpPacketInfo packet(const std::string& source, const std::string& destination,
                    std::uint8_t protocol = ip_protocol::kUdp, std::uint16_t source_port = 40000,
                    std::uint16_t destination_port = 53) {
  IpPacketInfo p;
  p.source = *IpAddress::parse(source);
  p.destination = *IpAddress::parse(destination);
  p.family = p.source.family();
  p.protocol = protocol;
  p.source_port = source_port;
  p.destination_port = destination_port;
  return p;
}

PolicyId add(Spd& spd, const Selector& s, PolicyAction action, std::uint32_t priority,
             const std::string& name) {
  Policy p;
  p.selector = s;
  p.action = action;
  p.priority = priority;
  p.name = name;
  return spd.add(p);
}

PolicyId add_shunt(Spd& spd, const Selector& s, ShuntType type) {
  return add(spd, s, policy_action_of(type), kShuntPolicyPriority, "shunt");
}

std::string action_for_outbound(const Spd& spd, const IpPacketInfo& p) {
  const Policy* policy = spd.lookup_outbound(p);
  return policy == nullptr ? "none" : policy_action_name(policy->action);
}

TEST(ShuntPolicy, NarrowerPassShuntWinsOverAWholeFamilyTunnelAddedBeforeIt) {
  Spd spd;
  // The tunnel first (a trap and its CHILD SA's policy), the shunt afterwards: the priority, not
  // the insertion order, puts the shunt first.
  add(spd, selector("0.0.0.0/0", "0.0.0.0/0"), PolicyAction::Protect, kTrapPriority, "vpn/all trap");
  add(spd, selector("0.0.0.0/0", "0.0.0.0/0"), PolicyAction::Protect, kChildPriority, "vpn/all");
  const PolicyId lan = add_shunt(spd, selector("192.0.2.0/24", "192.0.2.0/24"), ShuntType::Pass);

  const IpPacketInfo local = packet("192.0.2.10", "192.0.2.20");
  ASSERT_NE(spd.lookup_outbound(local), nullptr);
  EXPECT_EQ(spd.lookup_outbound(local)->id, lan);
  EXPECT_EQ(spd.lookup_inbound(packet("192.0.2.20", "192.0.2.10"))->id, lan);
  // Everything else still goes to the tunnel.
  EXPECT_EQ(action_for_outbound(spd, packet("192.0.2.10", "203.0.113.5")), "protect");
  EXPECT_EQ(action_for_outbound(spd, packet("198.51.100.1", "192.0.2.20")), "protect");
}

TEST(ShuntPolicy, DropShuntInsideASiteTunnelWinsAndTheRestIsProtected) {
  Spd spd;
  add(spd, selector("198.51.100.0/24", "203.0.113.0/24"), PolicyAction::Protect, kChildPriority, "site/net");
  add_shunt(spd, selector("198.51.100.0/24", "203.0.113.64/26"), ShuntType::Drop);
  EXPECT_EQ(action_for_outbound(spd, packet("198.51.100.7", "203.0.113.70")), "discard");
  EXPECT_EQ(action_for_outbound(spd, packet("198.51.100.7", "203.0.113.63")), "protect");
  EXPECT_EQ(action_for_outbound(spd, packet("198.51.100.7", "203.0.113.128")), "protect");
  EXPECT_EQ(spd.discard_count(), 1u);
}

TEST(ShuntPolicy, Ipv6ShuntsWinAndStayInTheirFamily) {
  Spd spd;
  add(spd, selector("::/0", "::/0"), PolicyAction::Protect, kChildPriority, "vpn/all6");
  add(spd, selector("0.0.0.0/0", "0.0.0.0/0"), PolicyAction::Protect, kChildPriority, "vpn/all4");
  add_shunt(spd, selector("2001:db8:1::/64", "2001:db8:1::/64"), ShuntType::Pass);
  add_shunt(spd, selector("::/0", "2001:db8:dead::/48"), ShuntType::Drop);
  EXPECT_EQ(action_for_outbound(spd, packet("2001:db8:1::5", "2001:db8:1::6")), "bypass");
  EXPECT_EQ(action_for_outbound(spd, packet("2001:db8:1::5", "2001:db8:dead::1")), "discard");
  EXPECT_EQ(action_for_outbound(spd, packet("2001:db8:1::5", "2001:db8:2::1")), "protect");
  EXPECT_EQ(action_for_outbound(spd, packet("192.0.2.5", "192.0.2.6")), "protect");  // no IPv4 shunt
}

TEST(ShuntPolicy, ProtocolAndPortSelectorsNarrowTheShunt) {
  Spd spd;
  add(spd, selector("198.51.100.0/24", "203.0.113.0/24"), PolicyAction::Protect, kChildPriority, "site/net");
  // SSH to the remote management host goes in the clear; nothing else to it does.
  add_shunt(spd, selector("198.51.100.0/24", "203.0.113.9/32", ip_protocol::kTcp, PortRange{22, 22}),
            ShuntType::Pass);
  EXPECT_EQ(action_for_outbound(spd, packet("198.51.100.7", "203.0.113.9", ip_protocol::kTcp, 50000, 22)),
            "bypass");
  EXPECT_EQ(action_for_outbound(spd, packet("198.51.100.7", "203.0.113.9", ip_protocol::kTcp, 50000, 23)),
            "protect");
  EXPECT_EQ(action_for_outbound(spd, packet("198.51.100.7", "203.0.113.9", ip_protocol::kUdp, 50000, 22)),
            "protect");
  // Inbound the ports swap sides: the answer comes from port 22.
  const Policy* answer =
      spd.lookup_inbound(packet("203.0.113.9", "198.51.100.7", ip_protocol::kTcp, 22, 50000));
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->action, PolicyAction::Bypass);
}

TEST(ShuntPolicy, RemovingTheShuntGivesTheTrafficBackToTheTunnel) {
  Spd spd;
  add(spd, selector("0.0.0.0/0", "0.0.0.0/0"), PolicyAction::Protect, kChildPriority, "vpn/all");
  const PolicyId drop = add_shunt(spd, selector("0.0.0.0/0", "203.0.113.0/24"), ShuntType::Drop);
  EXPECT_EQ(action_for_outbound(spd, packet("192.0.2.1", "203.0.113.1")), "discard");
  EXPECT_TRUE(spd.remove(drop));
  EXPECT_EQ(spd.discard_count(), 0u);
  EXPECT_EQ(action_for_outbound(spd, packet("192.0.2.1", "203.0.113.1")), "protect");
}

TEST(ShuntSelectors, ContainmentIntersectionAndAmbiguousOverlap) {
  const Selector tunnel = selector("198.51.100.0/24", "203.0.113.0/24");
  const Selector narrower = selector("198.51.100.0/24", "203.0.113.64/26");
  const Selector wider = selector("0.0.0.0/0", "0.0.0.0/0");
  const Selector crossing = selector("198.51.100.0/25", "203.0.0.0/16");  // narrower local, wider remote
  const Selector apart = selector("198.51.100.0/24", "192.0.2.0/24");
  EXPECT_TRUE(selector_contains(tunnel, narrower));
  EXPECT_FALSE(selector_contains(narrower, tunnel));
  EXPECT_FALSE(selectors_overlap_ambiguously(tunnel, narrower));
  EXPECT_FALSE(selectors_overlap_ambiguously(tunnel, wider));
  EXPECT_TRUE(selectors_overlap_ambiguously(tunnel, crossing));
  EXPECT_TRUE(selectors_overlap_ambiguously(crossing, tunnel));
  EXPECT_FALSE(selectors_intersect(tunnel, apart));
  EXPECT_FALSE(selectors_overlap_ambiguously(tunnel, apart));
  // Protocols: tcp/22 inside "any"; tcp and udp never meet.
  const Selector ssh = selector("198.51.100.0/24", "203.0.113.0/24", ip_protocol::kTcp, PortRange{22, 22});
  EXPECT_TRUE(selector_contains(tunnel, ssh));
  EXPECT_FALSE(selectors_intersect(ssh, selector("198.51.100.0/24", "203.0.113.0/24", ip_protocol::kUdp)));
  // Families never meet.
  EXPECT_FALSE(selectors_intersect(tunnel, selector("::/0", "::/0")));
}

}  // namespace
}  // namespace cygnet::ipsec
