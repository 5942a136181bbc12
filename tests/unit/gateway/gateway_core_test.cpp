// The gateway core driven directly, two cores back to back (two_cores.hpp): IKE datagrams reach
// the engine, a TUN packet without an SA waits for it, ESP in UDP reaches the data plane, ICMP
// Too Big lowers the path MTU, and data plane lifetime events reach the engine.
#include "gateway/gateway_core.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "two_cores.hpp"
#include "wire/icmp_too_big.hpp"

namespace cygnet::gateway {
namespace {

using test::inner_udp_packet;
using test::ip;
using test::TwoCores;
using Kind = ipsec::OutboundOutcome::Kind;

std::size_t count(const std::vector<ike::Event>& events, ike::EventType type) {
  return static_cast<std::size_t>(
      std::count_if(events.begin(), events.end(), [&](const ike::Event& e) { return e.type == type; }));
}

// One cleartext packet from A's side through A's core; returns the verdict and keeps what it sent.
OutboundVerdict send_from_a(TwoCores& t, ByteView packet, OutputBatch& out) {
  out.clear();
  const OutboundVerdict v = t.a->on_tun_packet(packet, t.now, out);
  t.collect(out, t.to_b, t.tun_a);
  return v;
}

TEST(GatewayCore, IkeDatagramsReachTheEngineAndInstallTheSas) {
  TwoCores t;
  t.up_a();
  EXPECT_EQ(count(t.events, ike::EventType::IkeSaEstablished), 2u);
  EXPECT_EQ(t.a->data_plane().sad().size(), 2u);
  EXPECT_EQ(t.b->data_plane().sad().size(), 2u);
  EXPECT_GE(t.b->counters().ike_datagrams_in, 2u);  // IKE_SA_INIT and IKE_AUTH requests
  EXPECT_EQ(t.a->counters().ike_datagrams_out, t.b->counters().ike_datagrams_in);
  EXPECT_TRUE(t.binding_errors.empty());
}

TEST(GatewayCore, ProtectedPacketIsSentRawToThePeerAndDecapsulatedThere) {
  TwoCores t;
  t.up_a();
  const Bytes packet = inner_udp_packet("198.51.100.10", "203.0.113.10", 100);
  OutputBatch out;
  EXPECT_EQ(send_from_a(t, packet, out).kind, Kind::Protected);
  ASSERT_EQ(out.packets().size(), 1u);
  const OutputPacket& sent = out.packets()[0];
  EXPECT_EQ(sent.destination, Destination::Raw);
  EXPECT_EQ(sent.remote.address, ip("192.0.2.2"));  // says where it goes: no second SA lookup
  EXPECT_EQ(out.bytes(sent)[9], wire::ip_protocol::kEsp);
  t.pump();
  ASSERT_EQ(t.tun_b.size(), 1u);
  EXPECT_EQ(t.tun_b[0], packet);
  EXPECT_EQ(t.b->counters().decapsulated_in, 1u);
}

TEST(GatewayCore, TunPacketWithoutSaIsHeldThenSentOnceTheSaIsInstalled) {
  TwoCores t({.start_action = ike::StartAction::Trap});
  const Bytes first = inner_udp_packet("198.51.100.10", "203.0.113.10", 64, false, 1);
  const Bytes second = inner_udp_packet("198.51.100.10", "203.0.113.10", 64, false, 2);
  OutputBatch out;
  EXPECT_EQ(send_from_a(t, first, out).kind, Kind::Acquire);
  EXPECT_EQ(send_from_a(t, second, out).kind, Kind::Acquire);
  EXPECT_EQ(t.a->acquire_queue().size(), 2u);
  EXPECT_EQ(t.a->counters().queued_while_negotiating, 2u);
  EXPECT_EQ(t.a->counters().acquires, 2u);
  EXPECT_TRUE(t.tun_b.empty());
  t.pump();
  // Released in order once the CHILD SA is in, protected, and decapsulated by B.
  EXPECT_EQ(t.a->acquire_queue().size(), 0u);
  ASSERT_EQ(t.tun_b.size(), 2u);
  EXPECT_EQ(t.tun_b[0], first);
  EXPECT_EQ(t.tun_b[1], second);
  EXPECT_EQ(t.a->counters().protected_out, 2u);
}

TEST(GatewayCore, HeldPacketsAreDroppedWhenNegotiationFails) {
  TwoCores t({.start_action = ike::StartAction::Trap});
  // B does not know the connection: A's negotiation fails after its retransmissions.
  OutputBatch out;
  t.b->remove_connection("site", t.now, out);
  EXPECT_EQ(send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.10", 64), out).kind, Kind::Acquire);
  EXPECT_EQ(t.a->acquire_queue().size(), 1u);
  for (int i = 0; i < 20 && t.a->acquire_queue().size() != 0; ++i) {
    t.to_b.clear();  // nobody answers
    const auto deadline = t.a->next_deadline();
    ASSERT_TRUE(deadline.has_value());
    t.now = std::max(t.now, *deadline);
    out.clear();
    t.a->on_timer(t.now, out);
    t.collect(out, t.to_b, t.tun_a);
  }
  EXPECT_EQ(t.a->acquire_queue().size(), 0u);
  EXPECT_TRUE(t.tun_b.empty());
}

TEST(GatewayCore, EspInUdpGoesToTheUdpEndpointsAndReachesTheDataPlane) {
  TwoCores t({.encapsulation = ike::Encapsulation::ForceUdp});
  t.up_a();
  const Bytes packet = inner_udp_packet("198.51.100.10", "203.0.113.10", 200);
  OutputBatch out;
  EXPECT_EQ(send_from_a(t, packet, out).kind, Kind::Protected);
  ASSERT_EQ(out.packets().size(), 1u);
  const OutputPacket& sent = out.packets()[0];
  EXPECT_EQ(sent.destination, Destination::Udp);
  EXPECT_EQ(sent.local, (ike::Endpoint{ip("192.0.2.1"), wire::kNatTraversalPort}));
  EXPECT_EQ(sent.remote, (ike::Endpoint{ip("192.0.2.2"), wire::kNatTraversalPort}));
  // Only the ESP part: it starts with the (non-zero) SPI, not an IP header.
  const ByteView esp = out.bytes(sent);
  EXPECT_NE(esp[0] | esp[1] | esp[2] | esp[3], 0);
  t.pump();
  ASSERT_EQ(t.tun_b.size(), 1u);
  EXPECT_EQ(t.tun_b[0], packet);
}

TEST(GatewayCore, NatKeepaliveOnPort4500IsNotTakenForIkeOrEsp) {
  TwoCores t;
  OutputBatch out;
  const std::uint8_t keepalive[] = {0xff};
  EXPECT_EQ(t.b->on_udp_datagram({ip("192.0.2.2"), 4500}, {ip("192.0.2.1"), 4500}, keepalive, t.now, out),
            InboundVerdict::Keepalive);
  EXPECT_TRUE(out.packets().empty());
  EXPECT_EQ(t.b->counters().ike_datagrams_in, 0u);
}

TEST(GatewayCore, IcmpTooBigQuotingOurSaLowersPathMtuAndInnerSendersGetTooBig) {
  TwoCores t;
  t.up_a();
  OutputBatch out;
  ASSERT_EQ(send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.10", 1000), out).kind,
            Kind::Protected);
  const Bytes esp(out.bytes(out.packets()[0]).begin(), out.bytes(out.packets()[0]).end());
  // A router on the outer path answers: Fragmentation Needed, MTU 1280, quoting our ESP packet.
  Bytes icmp(1500);
  const std::size_t length = wire::build_icmp_too_big(icmp, ip("192.0.2.254"), esp, 1280);
  ASSERT_GT(length, 0u);
  out.clear();
  EXPECT_TRUE(t.a->on_icmp_too_big(ByteView(icmp.data(), length), t.now, out));
  EXPECT_EQ(t.a->data_plane().path_mtu().current(ip("192.0.2.2"), t.now), 1280u);
  EXPECT_EQ(t.a->counters().icmp_too_big_received, 1u);
  ASSERT_EQ(out.notices.size(), 1u);
  EXPECT_NE(out.notices[0].text.find("1280"), std::string::npos);
  // An inner packet with DF that no longer fits: dropped, ICMP Too Big back to its sender.
  const Bytes big = inner_udp_packet("198.51.100.10", "203.0.113.10", 1300, true);
  const OutboundVerdict v = send_from_a(t, big, out);
  EXPECT_EQ(v.kind, Kind::TooBig);
  ASSERT_EQ(out.packets().size(), 1u);
  EXPECT_EQ(out.packets()[0].purpose, Purpose::TooBig);
  EXPECT_EQ(out.packets()[0].destination, Destination::Raw);
  const auto answer = wire::parse_ip_packet(out.bytes(out.packets()[0]));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->protocol, wire::ip_protocol::kIcmp);
  EXPECT_EQ(answer->destination, ip("198.51.100.10"));
  EXPECT_EQ(t.a->counters().outbound_drops[ipsec::DropReason::TooBig], 1u);
  // Without DF the outer packet is fragmented instead: several Raw fragments toward the peer.
  const Bytes no_df = inner_udp_packet("198.51.100.10", "203.0.113.10", 1300, false);
  EXPECT_EQ(send_from_a(t, no_df, out).kind, Kind::Protected);
  ASSERT_GE(out.packets().size(), 2u);
  for (const OutputPacket& p : out.packets()) {
    EXPECT_EQ(p.purpose, Purpose::Fragment);
    EXPECT_LE(p.length, 1280u);
  }
}

TEST(GatewayCore, LoopedBackTooBigForAnInnerSenderIsNotCounted) {
  TwoCores t;
  OutputBatch out;
  // Our own Too Big to a local sender quotes the inner packet (here TCP): not about the outer path.
  Bytes inner = inner_udp_packet("198.51.100.10", "203.0.113.10", 1300, true);
  inner[9] = wire::ip_protocol::kTcp;
  Bytes icmp(1500);
  const std::size_t length = wire::build_icmp_too_big(icmp, ip("192.0.2.1"), inner, 1200);
  ASSERT_GT(length, 0u);
  EXPECT_FALSE(t.a->on_icmp_too_big(ByteView(icmp.data(), length), t.now, out));
  EXPECT_EQ(t.a->counters().icmp_too_big_received, 0u);
}

TEST(GatewayCore, PacketLifetimeSoftLimitMakesTheEngineRekey) {
  TwoCores t({.life_packets = 10});  // soft limit (rekey) at 9 packets
  t.up_a();
  const std::uint64_t datagrams_before = t.a->counters().ike_datagrams_out;
  OutputBatch out;
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.10", 64), out).kind,
              Kind::Protected);
  }
  EXPECT_EQ(t.a->counters().soft_limits, 1u);
  // The engine started a CREATE_CHILD_SA at once: its request is in the same batch.
  EXPECT_GT(t.a->counters().ike_datagrams_out, datagrams_before);
  t.pump();
  EXPECT_EQ(count(t.events, ike::EventType::ChildSaRekeyed), 2u);
  // The new SA carries traffic; the old outbound one is gone after the rekey.
  EXPECT_EQ(send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.10", 64), out).kind, Kind::Protected);
  EXPECT_TRUE(t.binding_errors.empty());
}

TEST(GatewayCore, RemovedChildSaReportsItsFinalTraffic) {
  TwoCores t;
  t.up_a();
  OutputBatch out;
  for (int i = 0; i < 3; ++i) send_from_a(t, inner_udp_packet("198.51.100.10", "203.0.113.10", 64), out);
  out.clear();
  t.a->down("site", t.now, out);
  EXPECT_TRUE(out.selectors_changed ||
              t.a->data_plane().sad().size() == 2u);  // removed now or once B answers
  t.collect(out, t.to_b, t.tun_a);
  t.pump();
  EXPECT_EQ(t.a->data_plane().sad().size(), 0u);
  // A's removal carries the counters its outbound SA had: 3 packets.
  const auto removed = std::find_if(t.applied.begin(), t.applied.end(), [](const AppliedAction& a) {
    return std::holds_alternative<ike::RemoveChildSa>(a.action) && a.retired &&
           a.retired->outbound.packets == 3;
  });
  EXPECT_NE(removed, t.applied.end());
}

}  // namespace
}  // namespace cygnet::gateway
