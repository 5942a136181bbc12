// Security Policy Database: ordering, first match, actions, removal and SA binding.
#include "ipsec/spd.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cygnet::ipsec {
namespace {

using wire::IpAddress;
using wire::IpFamily;
using wire::IpPacketInfo;
using wire::IpPrefix;
namespace ip_protocol = wire::ip_protocol;

AddressRange prefix(const std::string& text) {
  auto p = IpPrefix::parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return AddressRange::from_prefix(p.value_or(IpPrefix{}));
}

IpPacketInfo packet(const std::string& source, const std::string& destination,
                    std::uint8_t protocol = ip_protocol::kUdp, std::uint16_t source_port = 1000,
                    std::uint16_t destination_port = 2000) {
  IpPacketInfo p;
  p.source = IpAddress::parse(source).value_or(IpAddress{});
  p.destination = IpAddress::parse(destination).value_or(IpAddress{});
  p.family = p.source.family();
  p.protocol = protocol;
  p.source_port = source_port;
  p.destination_port = destination_port;
  return p;
}

Policy make_policy(const std::string& local, const std::string& remote, PolicyAction action,
                   std::uint32_t priority, const std::string& name) {
  Policy p;
  p.selector.local = prefix(local);
  p.selector.remote = prefix(remote);
  p.action = action;
  p.priority = priority;
  p.name = name;
  return p;
}

std::vector<std::string> names(const Spd& spd) {
  std::vector<std::string> out;
  for (const Policy& p : spd.policies()) out.push_back(p.name);
  return out;
}

TEST(Spd, ActionNames) {
  EXPECT_STREQ(policy_action_name(PolicyAction::Protect), "protect");
  EXPECT_STREQ(policy_action_name(PolicyAction::Bypass), "bypass");
  EXPECT_STREQ(policy_action_name(PolicyAction::Discard), "discard");
}

TEST(Spd, EmptyMatchesNothing) {
  Spd spd;
  EXPECT_EQ(spd.lookup_outbound(packet("192.0.2.1", "198.51.100.1")), nullptr);
  EXPECT_EQ(spd.lookup_inbound(packet("198.51.100.1", "192.0.2.1")), nullptr);
  EXPECT_TRUE(spd.policies().empty());
}

TEST(Spd, AssignsDistinctIds) {
  Spd spd;
  const PolicyId a = spd.add(make_policy("192.0.2.0/24", "198.51.100.0/24", PolicyAction::Protect, 10, "a"));
  const PolicyId b = spd.add(make_policy("192.0.2.0/24", "203.0.113.0/24", PolicyAction::Protect, 10, "b"));
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
  ASSERT_NE(spd.find(a), nullptr);
  EXPECT_EQ(spd.find(a)->id, a);
  EXPECT_EQ(spd.find(a)->name, "a");
  EXPECT_EQ(spd.find(b)->name, "b");
  EXPECT_EQ(spd.find(9999), nullptr);
  const Spd& const_spd = spd;
  ASSERT_NE(const_spd.find(b), nullptr);
  EXPECT_EQ(const_spd.find(b)->name, "b");
}

TEST(Spd, OrderedByPriorityStableForEqual) {
  Spd spd;
  spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Discard, 100, "p100-first"));
  spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, 10, "p10-first"));
  spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Protect, 100, "p100-second"));
  spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Protect, 50, "p50"));
  spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Protect, 10, "p10-second"));
  spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Protect, 0, "p0"));
  spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Protect, 100, "p100-third"));
  EXPECT_EQ(names(spd), (std::vector<std::string>{"p0", "p10-first", "p10-second", "p50",
                                                  "p100-first", "p100-second", "p100-third"}));
  // Everything matches every selector here, so the first in order decides.
  const Policy* hit = spd.lookup_outbound(packet("192.0.2.1", "198.51.100.1"));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->name, "p0");
}

TEST(Spd, FirstMatchDecidesProtectBypassDiscard) {
  Spd spd;
  // IKE to the gateway bypasses; the site pair is protected; everything else to 198.51.100/24 is
  // discarded; the rest of the world is bypassed.
  Policy ike = make_policy("192.0.2.1/32", "198.51.100.1/32", PolicyAction::Bypass, 1, "ike");
  ike.selector.protocol = ip_protocol::kUdp;
  ike.selector.remote_ports = PortRange{500, 500};
  spd.add(ike);
  spd.add(make_policy("192.0.2.0/24", "198.51.100.0/24", PolicyAction::Protect, 10, "site"));
  spd.add(make_policy("0.0.0.0/0", "198.51.100.0/24", PolicyAction::Discard, 20, "fence"));
  spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, 1000, "default"));

  auto out = [&](const IpPacketInfo& p) -> std::string {
    const Policy* hit = spd.lookup_outbound(p);
    return hit ? hit->name : "none";
  };
  EXPECT_EQ(out(packet("192.0.2.1", "198.51.100.1", ip_protocol::kUdp, 500, 500)), "ike");
  EXPECT_EQ(out(packet("192.0.2.1", "198.51.100.1", ip_protocol::kUdp, 500, 4500)), "site");
  EXPECT_EQ(out(packet("192.0.2.7", "198.51.100.20", ip_protocol::kTcp)), "site");
  EXPECT_EQ(out(packet("203.0.113.7", "198.51.100.20")), "fence");
  EXPECT_EQ(out(packet("203.0.113.7", "192.0.2.20")), "default");

  const Policy* site = spd.lookup_outbound(packet("192.0.2.7", "198.51.100.20"));
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->action, PolicyAction::Protect);
  EXPECT_EQ(spd.lookup_outbound(packet("203.0.113.7", "198.51.100.20"))->action, PolicyAction::Discard);
  EXPECT_EQ(spd.lookup_outbound(packet("203.0.113.7", "192.0.2.20"))->action, PolicyAction::Bypass);
}

TEST(Spd, InboundLookupSwapsDirection) {
  Spd spd;
  spd.add(make_policy("192.0.2.0/24", "198.51.100.0/24", PolicyAction::Protect, 10, "site"));
  spd.add(make_policy("192.0.2.0/24", "0.0.0.0/0", PolicyAction::Bypass, 20, "internet"));
  const Policy* hit = spd.lookup_inbound(packet("198.51.100.9", "192.0.2.5"));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->name, "site");  // cleartext arriving for a PROTECT policy: the caller drops it
  hit = spd.lookup_inbound(packet("203.0.113.9", "192.0.2.5"));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->name, "internet");
  // Seen as outbound, this packet's source is not ours.
  EXPECT_EQ(spd.lookup_outbound(packet("198.51.100.9", "192.0.2.5")), nullptr);
  EXPECT_EQ(spd.lookup_inbound(packet("192.0.2.5", "203.0.113.9")), nullptr);
}

TEST(Spd, MixedFamilies) {
  Spd spd;
  spd.add(make_policy("192.0.2.0/24", "198.51.100.0/24", PolicyAction::Protect, 10, "v4"));
  spd.add(make_policy("2001:db8:1::/48", "2001:db8:2::/48", PolicyAction::Protect, 10, "v6"));
  spd.add(make_policy("::/0", "::/0", PolicyAction::Discard, 100, "v6-rest"));
  EXPECT_EQ(spd.lookup_outbound(packet("2001:db8:1::5", "2001:db8:2::5"))->name, "v6");
  EXPECT_EQ(spd.lookup_outbound(packet("2001:db8:1::5", "2001:db8:3::5"))->name, "v6-rest");
  EXPECT_EQ(spd.lookup_outbound(packet("192.0.2.5", "198.51.100.5"))->name, "v4");
  EXPECT_EQ(spd.lookup_outbound(packet("192.0.2.5", "203.0.113.5")), nullptr);
}

TEST(Spd, RemoveKeepsOrder) {
  Spd spd;
  const PolicyId a = spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, 1, "a"));
  const PolicyId b = spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Discard, 2, "b"));
  const PolicyId c = spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Protect, 3, "c"));
  EXPECT_TRUE(spd.remove(a));
  EXPECT_FALSE(spd.remove(a));  // already gone
  EXPECT_FALSE(spd.remove(12345));
  EXPECT_EQ(spd.find(a), nullptr);
  EXPECT_EQ(names(spd), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(spd.lookup_outbound(packet("192.0.2.1", "198.51.100.1"))->name, "b");
  EXPECT_TRUE(spd.remove(b));
  EXPECT_EQ(spd.lookup_outbound(packet("192.0.2.1", "198.51.100.1"))->name, "c");
  // Ids are not reused after removal.
  const PolicyId d = spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, 0, "d"));
  EXPECT_NE(d, a);
  EXPECT_NE(d, b);
  EXPECT_NE(d, c);
  EXPECT_EQ(names(spd), (std::vector<std::string>{"d", "c"}));
  EXPECT_TRUE(spd.remove(c));
  EXPECT_TRUE(spd.remove(d));
  EXPECT_TRUE(spd.policies().empty());
}

TEST(Spd, BindSa) {
  Spd spd;
  const PolicyId protect =
      spd.add(make_policy("192.0.2.0/24", "198.51.100.0/24", PolicyAction::Protect, 10, "site"));
  const PolicyId bypass = spd.add(make_policy("0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, 20, "rest"));

  // A fresh PROTECT policy has no SA: the acquire case.
  const Policy* hit = spd.lookup_outbound(packet("192.0.2.1", "198.51.100.1"));
  ASSERT_NE(hit, nullptr);
  EXPECT_FALSE(hit->outbound_sa.has_value());

  EXPECT_TRUE(spd.bind_sa(protect, SaHandle{7}));
  hit = spd.lookup_outbound(packet("192.0.2.1", "198.51.100.1"));
  ASSERT_TRUE(hit->outbound_sa.has_value());
  EXPECT_EQ(*hit->outbound_sa, 7u);

  // Rekey: the new SA replaces the old one in one step.
  EXPECT_TRUE(spd.bind_sa(protect, SaHandle{8}));
  EXPECT_EQ(*spd.find(protect)->outbound_sa, 8u);

  // Unbinding (SA deleted) brings back the acquire case.
  EXPECT_TRUE(spd.bind_sa(protect, std::nullopt));
  EXPECT_FALSE(spd.find(protect)->outbound_sa.has_value());

  // Only PROTECT policies carry SAs, and only existing ones.
  EXPECT_FALSE(spd.bind_sa(bypass, SaHandle{9}));
  EXPECT_FALSE(spd.find(bypass)->outbound_sa.has_value());
  EXPECT_FALSE(spd.bind_sa(4242, SaHandle{9}));

  // Binding survives reordering caused by later insertions.
  EXPECT_TRUE(spd.bind_sa(protect, SaHandle{10}));
  spd.add(make_policy("203.0.113.0/24", "0.0.0.0/0", PolicyAction::Discard, 0, "first"));
  EXPECT_EQ(*spd.find(protect)->outbound_sa, 10u);
  EXPECT_EQ(*spd.lookup_outbound(packet("192.0.2.1", "198.51.100.1"))->outbound_sa, 10u);
}

TEST(Spd, PolicyFieldsArePreserved) {
  Spd spd;
  Policy p = make_policy("192.0.2.0/24", "198.51.100.0/24", PolicyAction::Protect, 5, "transport-ah");
  p.protocol = IpsecProtocol::Ah;
  p.mode = Mode::Transport;
  p.id = 999;  // ignored: the SPD assigns ids
  const PolicyId id = spd.add(p);
  const Policy* stored = spd.find(id);
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->id, id);
  EXPECT_EQ(stored->protocol, IpsecProtocol::Ah);
  EXPECT_EQ(stored->mode, Mode::Transport);
  EXPECT_EQ(stored->priority, 5u);
  EXPECT_EQ(stored->selector, p.selector);
  EXPECT_EQ(stored->name, "transport-ah");
}

}  // namespace
}  // namespace cygnet::ipsec
