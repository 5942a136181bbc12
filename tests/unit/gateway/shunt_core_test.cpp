// Shunts in the gateway core (gateway/shunt_table.hpp), two cores back to back over the
// 198.51.100.0/24 <-> 203.0.113.0/24 tunnel: a pass shunt narrower than the tunnel sends its
// packets in the clear (never encrypted), a drop shunt drops them, each counted per shunt; a
// decapsulated packet a drop shunt covers never reaches the TUN; trap policies never fire for
// shunted traffic; a reload keeps a shunt's counts.
#include <gtest/gtest.h>

#include "gateway/gateway_core.hpp"
#include "two_cores.hpp"

namespace cygnet::gateway {
namespace {

using test::inner_udp_packet;
using test::TwoCores;
using Kind = ipsec::OutboundOutcome::Kind;

ipsec::ShuntSettings shunt(const std::string& name, ipsec::ShuntType type, const std::string& local,
                           const std::string& remote) {
  ipsec::Selector s;
  s.local = ipsec::AddressRange::from_prefix(*wire::IpPrefix::parse(local));
  s.remote = ipsec::AddressRange::from_prefix(*wire::IpPrefix::parse(remote));
  return ipsec::ShuntSettings{name, type, {s}};
}

OutboundVerdict send_from_a(TwoCores& t, ByteView packet, OutputBatch& out) {
  out.clear();
  const OutboundVerdict v = t.a->on_tun_packet(packet, t.now, out);
  t.collect(out, t.to_b, t.tun_a);
  return v;
}

const ShuntState& state_of(const GatewayCore& core, const std::string& name) {
  for (const ShuntState& s : core.shunts()) {
    if (s.settings.name == name) return s;
  }
  throw std::runtime_error("no shunt " + name);
}

TEST(ShuntCore, NarrowerPassShuntLeavesInTheClearAndDropShuntDrops) {
  TwoCores t;
  t.a->set_shunts({shunt("mgmt", ipsec::ShuntType::Pass, "198.51.100.0/24", "203.0.113.128/25"),
                   shunt("blocked", ipsec::ShuntType::Drop, "198.51.100.0/24", "203.0.113.64/26")});
  t.up_a();
  OutputBatch out;
  const Bytes passed = inner_udp_packet("198.51.100.10", "203.0.113.200", 80);
  EXPECT_EQ(send_from_a(t, passed, out).kind, Kind::Bypass);
  ASSERT_EQ(out.packets().size(), 1u);
  EXPECT_EQ(out.packets()[0].purpose, Purpose::Bypass);
  EXPECT_EQ(out.packets()[0].destination, Destination::Raw);
  const ByteView sent = out.bytes(out.packets()[0]);
  EXPECT_EQ(Bytes(sent.begin(), sent.end()), passed);  // unchanged: not ESP

  const Bytes dropped = inner_udp_packet("198.51.100.10", "203.0.113.70", 80);
  const OutboundVerdict drop = send_from_a(t, dropped, out);
  EXPECT_EQ(drop.kind, Kind::Dropped);
  EXPECT_EQ(drop.drop, ipsec::DropReason::PolicyDiscard);
  EXPECT_TRUE(out.packets().empty());

  const Bytes tunnelled = inner_udp_packet("198.51.100.10", "203.0.113.10", 80);
  EXPECT_EQ(send_from_a(t, tunnelled, out).kind, Kind::Protected);

  EXPECT_EQ(state_of(*t.a, "mgmt").packets_out, 1u);
  EXPECT_EQ(state_of(*t.a, "blocked").packets_out, 1u);
  EXPECT_EQ(t.a->counters().protected_out, 1u);
  t.pump();
  ASSERT_EQ(t.tun_b.size(), 1u);  // only the tunnelled packet went through ESP
  EXPECT_EQ(t.tun_b[0], tunnelled);
}

TEST(ShuntCore, DecapsulatedPacketInADropShuntNeverReachesTheTun) {
  TwoCores t;
  t.b->set_shunts({shunt("quarantine", ipsec::ShuntType::Drop, "203.0.113.0/24", "198.51.100.66/32")});
  t.up_a();
  OutputBatch out;
  EXPECT_EQ(send_from_a(t, inner_udp_packet("198.51.100.66", "203.0.113.10", 40), out).kind, Kind::Protected);
  EXPECT_EQ(send_from_a(t, inner_udp_packet("198.51.100.67", "203.0.113.10", 40), out).kind, Kind::Protected);
  t.pump();
  ASSERT_EQ(t.tun_b.size(), 1u);  // .67 only
  EXPECT_EQ(t.b->counters().inbound_drops[ipsec::DropReason::PolicyDiscard], 1u);
  EXPECT_EQ(state_of(*t.b, "quarantine").packets_in, 1u);
  EXPECT_EQ(state_of(*t.b, "quarantine").packets_out, 0u);
}

TEST(ShuntCore, TrapNeverFiresForShuntedTraffic) {
  TwoCores t({.start_action = ike::StartAction::Trap});
  t.a->set_shunts({shunt("local", ipsec::ShuntType::Pass, "198.51.100.0/24", "203.0.113.0/28"),
                   shunt("never", ipsec::ShuntType::Drop, "198.51.100.0/24", "203.0.113.16/28")});
  OutputBatch out;
  EXPECT_EQ(send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.5", 40), out).kind, Kind::Bypass);
  EXPECT_EQ(send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.20", 40), out).kind, Kind::Dropped);
  EXPECT_EQ(t.a->counters().acquires, 0u);
  // Only the passed packet went out (raw, in the clear): no IKE_SA_INIT.
  ASSERT_EQ(t.to_b.size(), 1u);
  EXPECT_FALSE(t.to_b[0].udp);
  EXPECT_EQ(send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.40", 40), out).kind, Kind::Acquire);
  EXPECT_EQ(t.a->counters().acquires, 1u);
}

TEST(ShuntCore, ReplacingShuntsKeepsTheCountsOfAShuntThatStays) {
  TwoCores t;
  t.a->set_shunts({shunt("blocked", ipsec::ShuntType::Drop, "198.51.100.0/24", "203.0.113.64/26")});
  OutputBatch out;
  send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.70", 40), out);
  // Reloaded with a wider range and a second shunt: the SPD holds the new policies only.
  t.a->set_shunts({shunt("blocked", ipsec::ShuntType::Drop, "198.51.100.0/24", "203.0.113.0/25"),
                   shunt("other", ipsec::ShuntType::Pass, "198.51.100.0/24", "203.0.113.128/25")});
  send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.5", 40), out);
  EXPECT_EQ(state_of(*t.a, "blocked").packets_out, 2u);
  EXPECT_EQ(state_of(*t.a, "other").packets_out, 0u);
  EXPECT_EQ(t.a->data_plane().spd().discard_count(), 1u);
  t.a->set_shunts({});
  EXPECT_TRUE(t.a->shunts().empty());
  EXPECT_EQ(t.a->data_plane().spd().discard_count(), 0u);
  for (const ipsec::Policy& p : t.a->data_plane().spd().policies())
    EXPECT_EQ(p.action, ipsec::PolicyAction::Protect);
}

}  // namespace
}  // namespace cygnet::gateway
