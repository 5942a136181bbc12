// TCP MSS clamping: only SYN and SYN-ACK are rewritten, only downwards, at even and odd option
// offsets, and the checksum after the RFC 1624 update equals a full recomputation. Through the
// data plane: a SYN leaving through an SA with mss_clamp, and one arriving through it.
#include "ipsec/mss_clamp.hpp"

#include <gtest/gtest.h>

#include "ipsec/data_plane.hpp"
#include "test_packets.hpp"

namespace cygnet::ipsec {
namespace {

using test::get16;
using test::inet_checksum;

constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kAck = 0x10;

// A TCP segment with `options` (padded to 4 bytes) and the given flags, in an IP packet.
Bytes tcp_with_options(wire::IpFamily family, std::uint8_t flags, Bytes options) {
  while (options.size() % 4 != 0) options.push_back(0);
  const auto src = family == wire::IpFamily::V4 ? test::v4_host_a() : test::v6_host_a();
  const auto dst = family == wire::IpFamily::V4 ? test::v4_host_b() : test::v6_host_b();
  Bytes s;
  test::put16(s, 40000);
  test::put16(s, 443);
  test::put32(s, 1000);
  test::put32(s, 0);
  s.push_back(static_cast<std::uint8_t>((20 + options.size()) / 4 << 4));
  s.push_back(flags);
  test::put16(s, 64240);
  test::put16(s, 0);
  test::put16(s, 0);
  s.insert(s.end(), options.begin(), options.end());
  test::set16(s, 16, inet_checksum({test::pseudo_header(src, dst, 6, s.size()), s}));
  return family == wire::IpFamily::V4 ? test::ipv4_packet(src, dst, 6, s) : test::ipv6_packet(src, dst, 6, s);
}

std::size_t l4_offset(ByteView p) {
  return (p[0] >> 4) == 4 ? 20 : 40;
}

// The TCP checksum verifies over the pseudo-header and the segment.
bool tcp_checksum_ok(ByteView p) {
  auto info = wire::parse_ip_packet(p);
  const ByteView seg = p.subspan(info->header_length, info->total_length - info->header_length);
  return inet_checksum({test::pseudo_header(info->source, info->destination, 6, seg.size()), seg}) == 0;
}

Bytes mss_option(std::uint16_t mss) {
  return {2, 4, static_cast<std::uint8_t>(mss >> 8), static_cast<std::uint8_t>(mss)};
}

TEST(MssClamp, SynAndSynAckAreLoweredWithAValidChecksum) {
  for (auto family : {wire::IpFamily::V4, wire::IpFamily::V6}) {
    for (std::uint8_t flags : {kSyn, static_cast<std::uint8_t>(kSyn | kAck)}) {
      Bytes p = tcp_with_options(family, flags, mss_option(1460));
      ASSERT_TRUE(tcp_checksum_ok(p));
      EXPECT_TRUE(clamp_tcp_mss(p, 1186));
      EXPECT_EQ(get16(p, l4_offset(p) + 22), 1186);
      EXPECT_TRUE(tcp_checksum_ok(p));
    }
  }
}

TEST(MssClamp, OddOffsetAfterANopIsHandled) {
  // NOP, then MSS at offset 21: its value straddles two checksum words.
  Bytes p = tcp_with_options(wire::IpFamily::V4, kSyn, {1, 2, 4, 0x05, 0xb4, 1, 1, 1});
  EXPECT_TRUE(clamp_tcp_mss(p, 1300));
  EXPECT_EQ(get16(p, 20 + 23), 1300);
  EXPECT_TRUE(tcp_checksum_ok(p));
}

TEST(MssClamp, LeavesEverythingElseAlone) {
  Bytes ack = tcp_with_options(wire::IpFamily::V4, kAck, mss_option(1460));  // not a SYN
  Bytes before = ack;
  EXPECT_FALSE(clamp_tcp_mss(ack, 1000));
  EXPECT_EQ(ack, before);
  Bytes small = tcp_with_options(wire::IpFamily::V4, kSyn, mss_option(900));  // already below
  before = small;
  EXPECT_FALSE(clamp_tcp_mss(small, 1000));
  EXPECT_EQ(small, before);
  Bytes no_mss = tcp_with_options(wire::IpFamily::V4, kSyn, {1, 1, 1, 1});
  EXPECT_FALSE(clamp_tcp_mss(no_mss, 1000));
  Bytes bad = tcp_with_options(wire::IpFamily::V4, kSyn, {8, 0, 2, 4});  // option length 0
  before = bad;
  EXPECT_FALSE(clamp_tcp_mss(bad, 1000));
  EXPECT_EQ(bad, before);
  Bytes udp = test::make_packet(test::v4_host_a(), test::v4_host_b(), test::L4::Udp, 30);
  EXPECT_FALSE(clamp_tcp_mss(udp, 1000));
  EXPECT_EQ(mss_for_mtu(1226, false), 1186);
  EXPECT_EQ(mss_for_mtu(1226, true), 1166);
}

AddressRange any(wire::IpFamily f) {
  return AddressRange::any(f);
}

TEST(MssClamp, DataPlaneClampsSynsThroughTheSaInBothDirections) {
  const TimePoint now = TimePoint{} + Seconds(10);
  for (std::optional<std::uint16_t> clamp :
       {std::optional<std::uint16_t>{0}, std::optional<std::uint16_t>{1000}}) {
    DataPlane a;
    DataPlane b;
    test::SaOptions options;
    auto out_params = test::make_params(test::esp_suite("aes128gcm16"), options, Direction::Outbound);
    auto in_params = test::make_params(test::esp_suite("aes128gcm16"), options, Direction::Inbound);
    out_params.mss_clamp = clamp;
    in_params.mss_clamp = clamp;
    in_params.selector.local = any(wire::IpFamily::V4);
    in_params.selector.remote = any(wire::IpFamily::V4);
    auto handle = a.sad().add(std::make_unique<SecurityAssociation>(std::move(out_params), now));
    ASSERT_TRUE(b.sad().add(std::make_unique<SecurityAssociation>(std::move(in_params), now)));
    Policy p;
    p.selector.local = any(wire::IpFamily::V4);
    p.selector.remote = any(wire::IpFamily::V4);
    p.action = PolicyAction::Protect;
    ASSERT_TRUE(a.spd().bind_sa(a.spd().add(p), *handle));
    a.path_mtu().set_link_mtu(test::v4_receiver(), 1280);
    // Derived: MSS = inner MTU (1226 for AES-GCM-16 over 1280) - 40. Receiver b knows no path
    // MTU and assumes 1500 for its derived value, so the lower of the two survives.
    const std::uint16_t expected = *clamp == 0 ? 1186 : 1000;
    const Bytes syn = tcp_with_options(wire::IpFamily::V4, kSyn, mss_option(1460));
    Bytes out(4096);
    Bytes back(4096);
    OutboundOutcome o = a.process_outbound(syn, out, now);
    ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
    EXPECT_EQ(a.counters().path_mtu.mss_clamped, 1u);
    InboundOutcome i = b.process_inbound(ByteView(out.data(), o.result.length), back, now);
    ASSERT_EQ(i.kind, InboundOutcome::Kind::Decapsulated);
    const ByteView arrived(back.data(), i.result.length);
    EXPECT_EQ(get16(arrived, 20 + 22), expected);
    EXPECT_TRUE(tcp_checksum_ok(arrived));
    EXPECT_EQ(syn[20 + 22], 1460 >> 8);  // the caller's packet is not modified
    // The inbound side clamps a SYN-ACK arriving with a large MSS (b sent its own SYN-ACK
    // unclamped: here a's outbound is reused to carry one toward b).
    const Bytes syn_ack = tcp_with_options(wire::IpFamily::V4, kSyn | kAck, mss_option(1440));
    o = a.process_outbound(syn_ack, out, now);
    i = b.process_inbound(ByteView(out.data(), o.result.length), back, now);
    ASSERT_EQ(i.kind, InboundOutcome::Kind::Decapsulated);
    EXPECT_EQ(get16(ByteView(back.data(), i.result.length), 20 + 22), expected);
    // Not a SYN: untouched, not counted.
    const Bytes data = tcp_with_options(wire::IpFamily::V4, kAck, mss_option(1460));
    o = a.process_outbound(data, out, now);
    EXPECT_EQ(a.counters().path_mtu.mss_clamped, 2u);
    i = b.process_inbound(ByteView(out.data(), o.result.length), back, now);
    EXPECT_EQ(get16(ByteView(back.data(), i.result.length), 20 + 22), 1460);
  }
}

}  // namespace
}  // namespace cygnet::ipsec
