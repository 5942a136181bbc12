// DataPlaneBinding: the engine's data plane actions applied to a real ipsec::DataPlane.
#include "ike/data_plane_binding.hpp"

#include <gtest/gtest.h>

#include "unit/ipsec/test_packets.hpp"

namespace cygnet::ike {
namespace {

wire::IpAddress ip(std::string_view t) { return *wire::IpAddress::parse(t); }

ipsec::Selector net_selector() {
  ipsec::Selector s;
  s.local = ipsec::AddressRange::from_prefix(*wire::IpPrefix::parse("198.51.100.0/24"));
  s.remote = ipsec::AddressRange::from_prefix(*wire::IpPrefix::parse("203.0.113.0/24"));
  return s;
}

ipsec::SaParameters sa(std::uint32_t spi, ipsec::Direction d, std::uint8_t key_byte) {
  ipsec::SaParameters p;
  p.spi = spi;
  p.direction = d;
  p.local_address = ip("192.0.2.1");
  p.remote_address = ip("192.0.2.2");
  p.encryption = ipsec::EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm128);
  p.encryption_key = crypto::SecureBytes(Bytes(20, key_byte));
  p.selector = net_selector();
  p.name = "site/net";
  return p;
}

InstallChildSa install(ChildSaId id, std::uint32_t in_spi, std::uint32_t out_spi, bool route = true) {
  InstallChildSa i;
  i.id = id;
  i.connection = "site";
  i.child = "net";
  i.inbound = sa(in_spi, ipsec::Direction::Inbound, 1);
  i.outbound = sa(out_spi, ipsec::Direction::Outbound, 2);
  i.selectors = {net_selector()};
  i.route_outbound = route;
  return i;
}

ipsec::OutboundOutcome::Kind send(ipsec::DataPlane& dp) {
  const Bytes packet = cygnet::test::make_packet(ip("198.51.100.7"), ip("203.0.113.9"), cygnet::test::L4::Udp, 32);
  Bytes out(packet.size() + 128);
  return dp.process_outbound(packet, out, TimePoint{}).kind;
}

const ipsec::Policy& only_policy(const ipsec::DataPlane& dp) {
  EXPECT_EQ(dp.spd().policies().size(), 1u);
  return dp.spd().policies().front();
}

TEST(DataPlaneBinding, InstallAddsBothSasAndAProtectPolicy) {
  ipsec::DataPlane dp;
  DataPlaneBinding b(dp);
  ASSERT_FALSE(b.apply(install(1, 0x1001, 0x2001)));
  EXPECT_EQ(dp.sad().size(), 2u);
  const auto handles = b.handles_of(1);
  ASSERT_TRUE(handles);
  EXPECT_EQ(only_policy(dp).outbound_sa, handles->outbound);
  // Bound with the SAD's entry: packets reach the SA without a SAD lookup.
  ASSERT_NE(only_policy(dp).outbound_sa_entry, nullptr);
  EXPECT_EQ(only_policy(dp).outbound_sa_entry->sa.get(), dp.sad().find(handles->outbound));
  EXPECT_EQ(only_policy(dp).name, "site/net");
  EXPECT_EQ(b.child_of(handles->inbound), ChildSaId{1});
  EXPECT_EQ(send(dp), ipsec::OutboundOutcome::Kind::Protected);
}

TEST(DataPlaneBinding, InboundSpiClashIsReported) {
  ipsec::DataPlane dp;
  DataPlaneBinding b(dp);
  ASSERT_FALSE(b.apply(install(1, 0x1001, 0x2001)));
  EXPECT_TRUE(b.apply(install(2, 0x1001, 0x2002)));
}

TEST(DataPlaneBinding, RekeyRebindsOnlyOnActivateAndSurvivesRemovalOfTheOld) {
  ipsec::DataPlane dp;
  DataPlaneBinding b(dp);
  ASSERT_FALSE(b.apply(install(1, 0x1001, 0x2001)));
  ASSERT_FALSE(b.apply(install(2, 0x1002, 0x2002, false)));  // rekey responder
  EXPECT_EQ(only_policy(dp).outbound_sa, b.handles_of(1)->outbound);
  ASSERT_FALSE(b.apply(ActivateChildSa{2}));
  EXPECT_EQ(only_policy(dp).outbound_sa, b.handles_of(2)->outbound);
  ASSERT_FALSE(b.apply(RemoveChildSa{1, "site", "net"}));
  EXPECT_EQ(dp.sad().size(), 2u);
  EXPECT_EQ(only_policy(dp).outbound_sa, b.handles_of(2)->outbound);
  ASSERT_NE(only_policy(dp).outbound_sa_entry, nullptr);
  EXPECT_EQ(only_policy(dp).outbound_sa_entry->sa.get(), dp.sad().find(b.handles_of(2)->outbound));
  EXPECT_EQ(send(dp), ipsec::OutboundOutcome::Kind::Protected);
}

TEST(DataPlaneBinding, RemovingTheLastChildRemovesItsPolicies) {
  ipsec::DataPlane dp;
  DataPlaneBinding b(dp);
  ASSERT_FALSE(b.apply(install(1, 0x1001, 0x2001)));
  ASSERT_FALSE(b.apply(RemoveChildSa{1, "site", "net"}));
  EXPECT_EQ(dp.sad().size(), 0u);
  EXPECT_TRUE(dp.spd().policies().empty());
  EXPECT_FALSE(b.handles_of(1));
}

TEST(DataPlaneBinding, TrapPolicyStaysAndAcquiresAgainAfterTheSaGoes) {
  ipsec::DataPlane dp;
  DataPlaneBinding b(dp);
  ASSERT_FALSE(b.apply(InstallTrapPolicy{"site", "net", {net_selector()}}));
  EXPECT_EQ(send(dp), ipsec::OutboundOutcome::Kind::Acquire);
  const auto target = b.acquire_target(dp.spd().policies().front().id);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->first, "site");
  EXPECT_EQ(target->second, "net");
  ASSERT_FALSE(b.apply(install(1, 0x1001, 0x2001)));
  EXPECT_EQ(dp.spd().policies().size(), 1u);  // the trap's policy is reused
  EXPECT_EQ(send(dp), ipsec::OutboundOutcome::Kind::Protected);
  ASSERT_FALSE(b.apply(RemoveChildSa{1, "site", "net"}));
  EXPECT_EQ(send(dp), ipsec::OutboundOutcome::Kind::Acquire);
  ASSERT_FALSE(b.apply(RemoveTrapPolicy{"site", "net"}));
  EXPECT_TRUE(dp.spd().policies().empty());
}

// A responder connection for %any holds one CHILD SA per peer under the same connection/child,
// each with its own (narrowed) selectors: each peer's traffic must leave on its own SA, and
// removing one peer's SA must not touch the other's policy.
TEST(DataPlaneBinding, PeersOfOneConnectionKeepTheirOwnPolicies) {
  ipsec::DataPlane dp;
  DataPlaneBinding b(dp);
  auto peer_selector = [](std::string_view remote) {
    ipsec::Selector s = net_selector();
    s.remote = ipsec::AddressRange::from_prefix(*wire::IpPrefix::parse(remote));
    return s;
  };
  InstallChildSa first = install(1, 0x1001, 0x2001);
  first.selectors = {peer_selector("203.0.113.0/25")};
  InstallChildSa second = install(2, 0x1002, 0x2002);
  second.selectors = {peer_selector("203.0.113.128/25")};
  ASSERT_FALSE(b.apply(first));
  ASSERT_FALSE(b.apply(second));
  ASSERT_EQ(dp.spd().policies().size(), 2u);
  auto bound_to = [&dp](const ipsec::Selector& s) -> std::optional<ipsec::SaHandle> {
    for (const auto& p : dp.spd().policies())
      if (p.selector == s) return p.outbound_sa;
    return std::nullopt;
  };
  EXPECT_EQ(bound_to(first.selectors[0]), b.handles_of(1)->outbound);
  EXPECT_EQ(bound_to(second.selectors[0]), b.handles_of(2)->outbound);

  ASSERT_FALSE(b.apply(RemoveChildSa{1, "site", "net"}));
  ASSERT_EQ(dp.spd().policies().size(), 1u);
  EXPECT_EQ(dp.spd().policies().front().selector, second.selectors[0]);
  EXPECT_EQ(dp.spd().policies().front().outbound_sa, b.handles_of(2)->outbound);
}

// A CHILD SA narrowed to part of a trap's range: its policy comes first, the trap catches the rest.
TEST(DataPlaneBinding, NarrowedChildPolicyPrecedesTheWiderTrap) {
  ipsec::DataPlane dp;
  DataPlaneBinding b(dp);
  InstallTrapPolicy trap;
  trap.connection = "site";
  trap.child = "net";
  trap.selectors = {net_selector()};
  ASSERT_FALSE(b.apply(trap));
  InstallChildSa narrowed = install(1, 0x1001, 0x2001);
  ipsec::Selector small = net_selector();
  small.remote = ipsec::AddressRange::from_prefix(*wire::IpPrefix::parse("203.0.113.0/28"));
  narrowed.selectors = {small};
  ASSERT_FALSE(b.apply(narrowed));
  EXPECT_EQ(send(dp), ipsec::OutboundOutcome::Kind::Protected);  // 203.0.113.9 is inside the /28
  const Bytes outside = cygnet::test::make_packet(ip("198.51.100.7"), ip("203.0.113.99"), cygnet::test::L4::Udp, 32);
  Bytes out(outside.size() + 128);
  EXPECT_EQ(dp.process_outbound(outside, out, TimePoint{}).kind, ipsec::OutboundOutcome::Kind::Acquire);
}

}  // namespace
}  // namespace cygnet::ike
