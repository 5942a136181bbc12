// DataPlane: SPD decisions, acquire, SAD lookup, ESP-in-UDP dispatch, inbound selector check and
// global counters, end to end through two data planes standing for two gateways.
#include "ipsec/data_plane.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "wire/byte_reader.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::ipsec {
namespace {

const TimePoint kNow = TimePoint{} + Seconds(100);

wire::IpAddress addr(const char* text) {
  return *wire::IpAddress::parse(text);
}
AddressRange range(const char* prefix) {
  return AddressRange::from_prefix(*wire::IpPrefix::parse(prefix));
}

Bytes udp_packet(const char* src, const char* dst, std::uint16_t sport, std::uint16_t dport,
                 std::size_t payload) {
  Bytes p(20 + 8 + payload, 0x61);
  wire::Ipv4HeaderFields h;
  h.source = addr(src);
  h.destination = addr(dst);
  h.protocol = wire::ip_protocol::kUdp;
  h.total_length = static_cast<std::uint16_t>(p.size());
  wire::write_ipv4_header(p, h);
  wire::write_udp_header(MutableByteView(p).subspan(20), sport, dport,
                         static_cast<std::uint16_t>(8 + payload));
  return p;
}

SaParameters sa_params(Direction d, std::uint32_t spi, bool udp) {
  SaParameters p;
  p.spi = spi;
  p.direction = d;
  p.mode = Mode::Tunnel;
  p.local_address = addr(d == Direction::Outbound ? "192.0.2.1" : "192.0.2.2");
  p.remote_address = addr(d == Direction::Outbound ? "192.0.2.2" : "192.0.2.1");
  p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm256);
  p.encryption_key = crypto::SecureBytes(Bytes(36, 0x42));
  if (udp) p.udp_encapsulation = UdpEncapsulation{};
  // Selector as seen by each side: gateway A protects 198.51.100.0/24 <-> 203.0.113.0/24.
  if (d == Direction::Outbound) {
    p.selector.local = range("198.51.100.0/24");
    p.selector.remote = range("203.0.113.0/24");
  } else {
    p.selector.local = range("203.0.113.0/24");
    p.selector.remote = range("198.51.100.0/24");
  }
  return p;
}

struct TwoGateways : ::testing::Test {
  DataPlane a;  // 192.0.2.1, protects 198.51.100.0/24
  DataPlane b;  // 192.0.2.2, protects 203.0.113.0/24
  PolicyId a_protect = 0;
  Bytes out = Bytes(2048);
  Bytes back = Bytes(2048);

  void SetUp() override {
    Policy p;
    p.selector.local = range("198.51.100.0/24");
    p.selector.remote = range("203.0.113.0/24");
    p.action = PolicyAction::Protect;
    p.priority = 100;  // after the DISCARD carve-out below, although added first
    p.name = "a/net";
    a_protect = a.spd().add(p);
    Policy bypass;
    bypass.selector.local = range("192.0.2.0/24");
    bypass.selector.remote = range("192.0.2.0/24");
    bypass.selector.protocol = wire::ip_protocol::kUdp;
    bypass.selector.local_ports = {500, 500};
    bypass.action = PolicyAction::Bypass;
    a.spd().add(bypass);
    b.spd().add(bypass);
    Policy discard;
    discard.selector.local = AddressRange::any(wire::IpFamily::V4);
    discard.selector.remote = range("203.0.113.128/25");
    discard.action = PolicyAction::Discard;
    discard.priority = 0;
    a.spd().add(discard);
  }

  void install(bool udp) {
    auto handle =
        a.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Outbound, 0x1001, udp), kNow));
    ASSERT_TRUE(handle);
    ASSERT_TRUE(a.spd().bind_sa(a_protect, *handle));
    ASSERT_TRUE(
        b.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Inbound, 0x1001, udp), kNow)));
  }
};

TEST_F(TwoGateways, ProtectWithoutSaAsksForOne) {
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 50);
  OutboundOutcome o = a.process_outbound(pkt, out, kNow);
  EXPECT_EQ(o.kind, OutboundOutcome::Kind::Acquire);
  EXPECT_EQ(o.policy, a_protect);
  EXPECT_EQ(a.counters().drops.total(), 0u);  // waiting for an SA is not a drop
}

TEST_F(TwoGateways, ProtectedPacketCrossesAndIsCounted) {
  install(false);
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 100);
  OutboundOutcome o = a.process_outbound(pkt, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  EXPECT_EQ(out[9], wire::ip_protocol::kEsp);
  InboundOutcome i = b.process_inbound(ByteView(out.data(), o.result.length), back, kNow);
  ASSERT_EQ(i.kind, InboundOutcome::Kind::Decapsulated);
  EXPECT_EQ(Bytes(back.begin(), back.begin() + static_cast<std::ptrdiff_t>(i.result.length)), pkt);
  EXPECT_EQ(a.counters().outbound.packets, 1u);
  EXPECT_EQ(b.counters().inbound.packets, 1u);
  EXPECT_EQ(b.counters().inbound.bytes, pkt.size());
}

// The outcome names the SA that protected the packet (the policy's bound entry), so the caller
// learns where it goes (endpoints, UDP encapsulation) without looking the SA up again.
TEST_F(TwoGateways, ProtectedOutcomeCarriesTheSaThatProtectedIt) {
  install(false);
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 100);
  OutboundOutcome o = a.process_outbound(pkt, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  ASSERT_TRUE(o.sa.has_value());
  ASSERT_NE(o.sa_entry, nullptr);
  EXPECT_EQ(o.sa_entry, a.sad().find(*o.sa));
  EXPECT_EQ(o.sa_entry->params().direction, Direction::Outbound);
  // Not protected: no SA to name.
  Bytes unmatched = udp_packet("192.0.2.1", "192.0.2.2", 1000, 2000, 10);
  EXPECT_EQ(a.process_outbound(unmatched, out, kNow).sa_entry, nullptr);
}

// bind_outbound_sa keeps the SAD's entry with the policy, so packets skip the SAD lookup; the
// entry must follow the SA's life: removed SA -> acquire (never a dangling SA), rebinding -> the
// new SA. (Run under ASan, a stale pointer here would be a heap-use-after-free.)
TEST_F(TwoGateways, PolicyHoldsItsOutboundSaEntryAndSeesTheSaGo) {
  const auto first =
      a.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Outbound, 0x2001, false), kNow));
  const auto second =
      a.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Outbound, 0x2002, false), kNow));
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(a.bind_outbound_sa(a_protect, first));
  ASSERT_NE(a.spd().find(a_protect)->outbound_sa_entry, nullptr);
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 40);
  OutboundOutcome o = a.process_outbound(pkt, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  EXPECT_EQ(o.sa, first);
  EXPECT_EQ(wire::load_be32(out.data() + 20), 0x2001u);  // the SPI of the bound SA

  // Make-before-break: the successor takes over, the old SA goes.
  ASSERT_TRUE(a.bind_outbound_sa(a_protect, second));
  ASSERT_TRUE(a.sad().remove(*first));
  o = a.process_outbound(pkt, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  EXPECT_EQ(o.sa, second);
  EXPECT_EQ(wire::load_be32(out.data() + 20), 0x2002u);

  // The SA disappears while the policy still holds its entry: no SA, so acquire.
  ASSERT_TRUE(a.sad().remove(*second));
  o = a.process_outbound(pkt, out, kNow);
  EXPECT_EQ(o.kind, OutboundOutcome::Kind::Acquire);
  EXPECT_EQ(o.policy, a_protect);

  // A handle the SAD does not have binds without an entry and also means acquire.
  ASSERT_TRUE(a.bind_outbound_sa(a_protect, SaHandle{999}));
  EXPECT_EQ(a.spd().find(a_protect)->outbound_sa_entry, nullptr);
  EXPECT_EQ(a.process_outbound(pkt, out, kNow).kind, OutboundOutcome::Kind::Acquire);
  // Unbinding clears both.
  ASSERT_TRUE(a.bind_outbound_sa(a_protect, std::nullopt));
  EXPECT_FALSE(a.spd().find(a_protect)->outbound_sa);
}

// Only bind_sa vouches that an entry belongs to the policy's handle: one given to add() is dropped.
TEST_F(TwoGateways, AddedPolicyCannotSmuggleInAnSaEntry) {
  const auto handle =
      a.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Outbound, 0x3001, false), kNow));
  ASSERT_TRUE(handle);
  Policy p = *a.spd().find(a_protect);
  p.outbound_sa = SaHandle{12345};
  p.outbound_sa_entry = a.sad().entry(*handle);
  p.priority = 1;
  const PolicyId id = a.spd().add(p);
  EXPECT_EQ(a.spd().find(id)->outbound_sa_entry, nullptr);
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 40);
  EXPECT_EQ(a.process_outbound(pkt, out, kNow).kind, OutboundOutcome::Kind::Acquire);  // 12345 is no SA
}

TEST_F(TwoGateways, EspInUdp4500IsRecognisedAndDecapsulated) {
  install(true);
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 10);
  OutboundOutcome o = a.process_outbound(pkt, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  EXPECT_EQ(out[9], wire::ip_protocol::kUdp);
  EXPECT_EQ(o.result.protocol_offset, 28u);
  InboundOutcome i = b.process_inbound(ByteView(out.data(), o.result.length), back, kNow);
  ASSERT_EQ(i.kind, InboundOutcome::Kind::Decapsulated);
  EXPECT_EQ(Bytes(back.begin(), back.begin() + static_cast<std::ptrdiff_t>(i.result.length)), pkt);
}

TEST_F(TwoGateways, EspInUdpFromTheSocketNeedsNoHeaderRebuilt) {
  install(true);
  const UdpEndpoints endpoints{addr("192.0.2.2"), 4500, addr("192.0.2.1"), 4500};
  for (std::size_t size : {0u, 1u, 100u, 1372u}) {
    Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, size);
    OutboundOutcome o = a.process_outbound(pkt, out, kNow);
    ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
    // Only what a UDP socket hands over: the ESP bytes after the IP and UDP headers.
    const ByteView esp(out.data() + o.result.protocol_offset, o.result.length - o.result.protocol_offset);
    InboundOutcome i = b.process_esp_in_udp(esp, endpoints, back, kNow);
    ASSERT_EQ(i.kind, InboundOutcome::Kind::Decapsulated) << size;
    EXPECT_EQ(Bytes(back.begin(), back.begin() + static_cast<std::ptrdiff_t>(i.result.length)), pkt);
  }
  EXPECT_EQ(b.counters().inbound.packets, 4u);
  // The same checks as whole packets: a replay, a truncated packet and an unknown SPI are counted.
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 10);
  OutboundOutcome o = a.process_outbound(pkt, out, kNow);
  const ByteView esp(out.data() + o.result.protocol_offset, o.result.length - o.result.protocol_offset);
  EXPECT_EQ(b.process_esp_in_udp(esp, endpoints, back, kNow).kind, InboundOutcome::Kind::Decapsulated);
  EXPECT_EQ(b.process_esp_in_udp(esp, endpoints, back, kNow).drop, DropReason::Replay);
  EXPECT_EQ(b.process_esp_in_udp(esp.first(7), endpoints, back, kNow).drop, DropReason::Malformed);
  Bytes other_spi(esp.begin(), esp.end());
  other_spi[3] ^= 0x01;
  EXPECT_EQ(b.process_esp_in_udp(other_spi, endpoints, back, kNow).drop, DropReason::UnknownSpi);
  EXPECT_EQ(b.process_esp_in_udp(esp.first(20), endpoints, back, kNow).drop, DropReason::Malformed);
}

TEST_F(TwoGateways, IkeOnPort4500IsNotTakenForEsp) {
  install(true);
  // Non-ESP marker (four zero bytes) then an IKE header: cleartext to the data plane, and no
  // policy here allows UDP 4500, so it is discarded rather than treated as ESP with SPI 0.
  Bytes ike = udp_packet("192.0.2.1", "192.0.2.2", 4500, 4500, 32);
  std::fill(ike.begin() + 28, ike.begin() + 32, 0);
  InboundOutcome i = b.process_inbound(ike, back, kNow);
  EXPECT_EQ(i.kind, InboundOutcome::Kind::Dropped);
  EXPECT_EQ(i.drop, DropReason::PolicyDiscard);
  EXPECT_EQ(b.counters().drops[DropReason::UnknownSpi], 0u);
}

TEST_F(TwoGateways, BypassAndDiscardPolicies) {
  Bytes ike = udp_packet("192.0.2.1", "192.0.2.2", 500, 500, 20);
  EXPECT_EQ(a.process_outbound(ike, out, kNow).kind, OutboundOutcome::Kind::Bypass);
  EXPECT_EQ(b.process_inbound(ike, back, kNow).kind, InboundOutcome::Kind::Bypass);
  Bytes to_discard = udp_packet("198.51.100.7", "203.0.113.200", 1, 2, 5);
  OutboundOutcome d = a.process_outbound(to_discard, out, kNow);
  EXPECT_EQ(d.kind, OutboundOutcome::Kind::Dropped);
  EXPECT_EQ(d.drop, DropReason::PolicyDiscard);
  Bytes unmatched = udp_packet("192.0.2.77", "198.51.100.1", 1, 2, 5);  // no policy: discard
  EXPECT_EQ(a.process_outbound(unmatched, out, kNow).drop, DropReason::PolicyDiscard);
  EXPECT_EQ(a.counters().drops[DropReason::PolicyDiscard], 2u);
  EXPECT_EQ(a.counters().bypassed.packets, 1u);
}

TEST_F(TwoGateways, CleartextThatShouldHaveBeenProtectedIsRefused) {
  // On gateway b, a PROTECT policy for the traffic, but the packet arrives in the clear.
  Policy p;
  p.selector.local = range("203.0.113.0/24");
  p.selector.remote = range("198.51.100.0/24");
  p.action = PolicyAction::Protect;
  b.spd().add(p);
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 10);
  InboundOutcome i = b.process_inbound(pkt, back, kNow);
  EXPECT_EQ(i.drop, DropReason::PolicyMismatch);
}

TEST_F(TwoGateways, DecapsulatedPacketOutsideTheSaSelectorsIsDropped) {
  install(false);
  // Gateway a's SA carries anything its caller hands it; b's inbound SA only accepts
  // 198.51.100.0/24 -> 203.0.113.0/24, so a spoofed inner source is refused after decryption.
  SecurityAssociation& sa = *a.sad().find(*a.spd().find(a_protect)->outbound_sa);
  Bytes spoofed = udp_packet("192.0.2.99", "203.0.113.9", 1, 2, 10);
  PacketResult r = esp_encapsulate(sa, spoofed, out, kNow);
  ASSERT_TRUE(r.ok);
  InboundOutcome i = b.process_inbound(ByteView(out.data(), r.length), back, kNow);
  EXPECT_EQ(i.kind, InboundOutcome::Kind::Dropped);
  EXPECT_EQ(i.drop, DropReason::PolicyMismatch);
  EXPECT_EQ(b.sad().find(*i.sa)->drops()[DropReason::PolicyMismatch], 1u);
}

TEST_F(TwoGateways, UnknownSpiIsCounted) {
  install(false);
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 10);
  OutboundOutcome o = a.process_outbound(pkt, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  out[20] ^= 0xff;  // first SPI byte
  InboundOutcome i = b.process_inbound(ByteView(out.data(), o.result.length), back, kNow);
  EXPECT_EQ(i.drop, DropReason::UnknownSpi);
  EXPECT_EQ(b.counters().drops[DropReason::UnknownSpi], 1u);
}

TEST_F(TwoGateways, ExpiredSaTurnsIntoAcquire) {
  SaParameters p = sa_params(Direction::Outbound, 0x2002, false);
  p.lifetime.hard_packets = 2;
  auto handle = a.sad().add(std::make_unique<SecurityAssociation>(std::move(p), kNow));
  a.spd().bind_sa(a_protect, *handle);
  Bytes pkt = udp_packet("198.51.100.7", "203.0.113.9", 1000, 2000, 10);
  EXPECT_EQ(a.process_outbound(pkt, out, kNow).kind, OutboundOutcome::Kind::Protected);
  OutboundOutcome second = a.process_outbound(pkt, out, kNow);
  EXPECT_EQ(second.kind, OutboundOutcome::Kind::Protected);
  EXPECT_EQ(second.result.lifetime_event, LifetimeEvent::Expired);
  EXPECT_EQ(a.process_outbound(pkt, out, kNow).kind, OutboundOutcome::Kind::Acquire);
}

TEST_F(TwoGateways, MalformedPacketsAreCountedNotCrashing) {
  Bytes garbage{0x45, 0, 0, 99, 1, 2};
  EXPECT_EQ(a.process_outbound(garbage, out, kNow).drop, DropReason::Malformed);
  EXPECT_EQ(b.process_inbound(garbage, back, kNow).drop, DropReason::Malformed);
  EXPECT_EQ(a.counters().drops[DropReason::Malformed], 1u);
}

}  // namespace
}  // namespace cygnet::ipsec
