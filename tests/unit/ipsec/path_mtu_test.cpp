// Path MTU: the inner MTU each SA leaves (checked against what esp/ah_encapsulate really
// produce), the per-peer table (link MTU, ICMP-learned values, floors, ageing), and the data
// plane's decisions: ICMP Too Big for a DF / IPv6 inner packet (parsed back field by field),
// outer fragmentation when DF is clear, and ICMP from the outer path believed only when it
// quotes one of our outbound SAs.
#include "ipsec/path_mtu.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ipsec/ah.hpp"
#include "ipsec/data_plane.hpp"
#include "ipsec/esp.hpp"
#include "test_packets.hpp"
#include "wire/icmp_too_big.hpp"
#include "wire/ip_fragment.hpp"

namespace cygnet::ipsec {
namespace {

using test::get16;
using test::get32;
using test::inet_checksum;
using test::ip;

const TimePoint kNow = TimePoint{} + Seconds(100);

PacketResult encapsulate(SecurityAssociation& sa, ByteView packet, Bytes& out) {
  out.assign(packet.size() + kMaxEncapsulationOverhead, 0);
  return sa.protocol() == IpsecProtocol::Esp ? esp_encapsulate(sa, packet, out, kNow)
                                             : ah_encapsulate(sa, packet, out, kNow);
}

// An inner packet of exactly `total` bytes for the pair.
Bytes packet_of_size(const test::SaPair& pair, wire::IpFamily family, std::size_t total) {
  const std::size_t headers = (family == wire::IpFamily::V4 ? 20 : 40) + 8;
  return test::inner_packet_for(pair, family, test::L4::Udp, total - headers);
}

struct InnerMtuCase {
  const char* suite;
  bool ah;
  Mode mode;
  wire::IpFamily outer;
  wire::IpFamily inner;
  bool udp;
};

class InnerMtuTest : public ::testing::TestWithParam<InnerMtuCase> {};

// For every suite, mode, family and encapsulation: a packet of exactly inner_mtu bytes fits the
// path, one byte more does not, with sizes measured on real encapsulated output.
TEST_P(InnerMtuTest, LargestFittingPacketIsExact) {
  const InnerMtuCase c = GetParam();
  test::SaOptions options;
  options.mode = c.mode;
  options.outer = c.outer;
  options.udp = c.udp;
  auto pair = test::make_sa_pair(c.ah ? test::ah_suite(c.suite) : test::esp_suite(c.suite), options);
  for (std::size_t path : {576u, 1280u, 1400u, 1500u}) {
    if (c.outer == wire::IpFamily::V6 && path < 1280) continue;
    const std::size_t fit = inner_mtu(*pair.outbound, path, c.inner);
    ASSERT_GT(fit, 400u) << path;
    Bytes out;
    PacketResult r = encapsulate(*pair.outbound, packet_of_size(pair, c.inner, fit), out);
    ASSERT_TRUE(r.ok);
    EXPECT_LE(r.length, path) << c.suite << " path " << path;
    auto info = wire::parse_ip_packet(packet_of_size(pair, c.inner, fit));
    EXPECT_EQ(encapsulated_length(*pair.outbound, *info), r.length);
    r = encapsulate(*pair.outbound, packet_of_size(pair, c.inner, fit + 1), out);
    ASSERT_TRUE(r.ok);
    EXPECT_GT(r.length, path) << c.suite << " path " << path;
  }
}

INSTANTIATE_TEST_SUITE_P(
    SuitesModesFamilies, InnerMtuTest,
    ::testing::Values(
        InnerMtuCase{"aes128gcm16", false, Mode::Tunnel, wire::IpFamily::V4, wire::IpFamily::V4, false},
        InnerMtuCase{"aes256gcm16", false, Mode::Tunnel, wire::IpFamily::V4, wire::IpFamily::V4, true},
        InnerMtuCase{"aes256gcm8", false, Mode::Tunnel, wire::IpFamily::V6, wire::IpFamily::V4, false},
        InnerMtuCase{"chacha20poly1305", false, Mode::Tunnel, wire::IpFamily::V6, wire::IpFamily::V6, true},
        InnerMtuCase{"aes128-sha256", false, Mode::Tunnel, wire::IpFamily::V4, wire::IpFamily::V6, false},
        InnerMtuCase{"aes256-sha512", false, Mode::Tunnel, wire::IpFamily::V6, wire::IpFamily::V6, false},
        InnerMtuCase{"3des-sha256", false, Mode::Tunnel, wire::IpFamily::V4, wire::IpFamily::V4, true},
        InnerMtuCase{"null-sha256", false, Mode::Tunnel, wire::IpFamily::V4, wire::IpFamily::V4, false},
        InnerMtuCase{"aes128gcm16", false, Mode::Transport, wire::IpFamily::V4, wire::IpFamily::V4, false},
        InnerMtuCase{"aes128-sha256", false, Mode::Transport, wire::IpFamily::V6, wire::IpFamily::V6, true},
        InnerMtuCase{"sha256", true, Mode::Tunnel, wire::IpFamily::V4, wire::IpFamily::V4, false},
        InnerMtuCase{"sha1", true, Mode::Tunnel, wire::IpFamily::V6, wire::IpFamily::V6, false},
        InnerMtuCase{"sha512", true, Mode::Transport, wire::IpFamily::V4, wire::IpFamily::V4, false}));

// Worked by hand from RFC 4303/4106/3602/3948 sizes, so a formula error cannot hide in both the
// code and the test above.
TEST(InnerMtu, HandComputedValues) {
  auto gcm = test::make_sa_pair(test::esp_suite("aes128gcm16"));
  // 1280 - 20 outer - 8 ESP - 8 IV - 16 ICV = 1228 (a multiple of 4) - 2 trailer = 1226.
  EXPECT_EQ(inner_mtu(*gcm.outbound, 1280, wire::IpFamily::V4), 1226u);
  test::SaOptions udp;
  udp.udp = true;
  auto gcm_udp = test::make_sa_pair(test::esp_suite("aes128gcm16"), udp);
  EXPECT_EQ(inner_mtu(*gcm_udp.outbound, 1280, wire::IpFamily::V4), 1218u);  // 8 fewer for UDP
  // CBC: 1280 - 20 - 8 - 16 IV - 16 ICV = 1220, whole 16-byte blocks: 1216, - 2 = 1214.
  auto cbc = test::make_sa_pair(test::esp_suite("aes128-sha256"));
  EXPECT_EQ(inner_mtu(*cbc.outbound, 1280, wire::IpFamily::V4), 1214u);
  test::SaOptions v6;
  v6.outer = wire::IpFamily::V6;
  auto gcm6 = test::make_sa_pair(test::esp_suite("aes128gcm16"), v6);
  EXPECT_EQ(inner_mtu(*gcm6.outbound, 1280, wire::IpFamily::V6), 1206u);  // 40-byte outer header
  // AH SHA-256 (16-byte ICV): 1280 - 20 - (12 + 16) = 1232.
  auto ah = test::make_sa_pair(test::ah_suite("sha256"));
  EXPECT_EQ(inner_mtu(*ah.outbound, 1280, wire::IpFamily::V4), 1232u);
  EXPECT_EQ(inner_mtu(*gcm.outbound, 40, wire::IpFamily::V4), 0u);  // nothing fits
}

TEST(PathMtuTable, LinkMtuThenLearnedLowerValuesWithFloorsAndAgeing) {
  PathMtuTable table;
  const auto peer = ip("192.0.2.2");
  const auto peer6 = ip("2001:db8::2");
  EXPECT_FALSE(table.current(peer, kNow));  // unknown: no limit
  table.set_link_mtu(peer, 1500);
  EXPECT_EQ(table.current(peer, kNow), 1500u);
  EXPECT_TRUE(table.learn(peer, 1280, kNow));
  EXPECT_EQ(table.current(peer, kNow), 1280u);
  EXPECT_FALSE(table.learn(peer, 1400, kNow));  // ICMP never raises it
  EXPECT_TRUE(table.learn(peer, 100, kNow));    // forged tiny MTU: held at the IPv4 floor
  EXPECT_EQ(table.current(peer, kNow), kIpv4MinimumPathMtu);
  EXPECT_FALSE(table.learn(peer, 68, kNow + Seconds(1)));  // already at the floor
  // Ten minutes after it was learned, the link MTU is back.
  EXPECT_EQ(table.current(peer, kNow + Seconds(599)), kIpv4MinimumPathMtu);
  EXPECT_EQ(table.current(peer, kNow + Seconds(600)), 1500u);
  // IPv6 floor is 1280, for learned values and links alike.
  table.set_link_mtu(peer6, 1500);
  EXPECT_TRUE(table.learn(peer6, 1000, kNow));
  EXPECT_EQ(table.current(peer6, kNow), 1280u);
  table.set_link_mtu(peer6, 0);
  EXPECT_FALSE(table.current(peer6, kNow));
  // A link smaller than what was learned wins at once.
  table.set_link_mtu(peer, 1000);
  EXPECT_EQ(table.current(peer, kNow + Seconds(700)), 1000u);
}

// ------------------------------------------------------------------ the data plane's decisions

struct Gateway : ::testing::Test {
  DataPlane a;  // 192.0.2.1 (or 2001:db8::1), protects 192.0.2.77 / 2001:db8:a::77
  DataPlane b;
  test::SaPair pair;
  SaHandle out_handle = 0;
  Bytes out = Bytes(70000);
  Bytes back = Bytes(70000);

  void install(test::SaOptions options = {}, std::optional<std::uint16_t> mss_clamp = std::nullopt,
               const char* suite = "aes128gcm16") {
    auto params_out = test::make_params(test::esp_suite(suite), options, Direction::Outbound);
    auto params_in = test::make_params(test::esp_suite(suite), options, Direction::Inbound);
    params_out.mss_clamp = mss_clamp;
    params_in.mss_clamp = mss_clamp;
    params_in.selector.local = AddressRange::any(wire::IpFamily::V4);
    params_in.selector.remote = AddressRange::any(wire::IpFamily::V4);
    Selector any6;
    any6.local = AddressRange::any(wire::IpFamily::V6);
    any6.remote = AddressRange::any(wire::IpFamily::V6);
    params_in.extra_selectors.push_back(any6);
    pair = test::make_sa_pair(test::esp_suite(suite), options);
    auto h = a.sad().add(std::make_unique<SecurityAssociation>(std::move(params_out), kNow));
    ASSERT_TRUE(h);
    out_handle = *h;
    ASSERT_TRUE(b.sad().add(std::make_unique<SecurityAssociation>(std::move(params_in), kNow)));
    for (auto family : {wire::IpFamily::V4, wire::IpFamily::V6}) {
      Policy p;
      p.selector.local = AddressRange::any(family);
      p.selector.remote = AddressRange::any(family);
      p.action = PolicyAction::Protect;
      p.name = "a/net";
      PolicyId id = a.spd().add(p);
      ASSERT_TRUE(a.spd().bind_sa(id, out_handle));
    }
  }
  const SecurityAssociation& outbound() { return *a.sad().find(out_handle); }
};

Bytes tcp_packet(wire::IpFamily family, std::size_t payload, bool dont_fragment = true) {
  const auto src = family == wire::IpFamily::V4 ? test::v4_host_a() : test::v6_host_a();
  const auto dst = family == wire::IpFamily::V4 ? test::v4_host_b() : test::v6_host_b();
  Bytes l4 = test::tcp_segment(src, dst, 443, 50000, 7, test::pattern(payload, 3));
  if (family == wire::IpFamily::V6) return test::ipv6_packet(src, dst, 6, l4);
  test::Ipv4Extras x;
  x.dont_fragment = dont_fragment;
  return test::ipv4_packet(src, dst, 6, l4, x);
}

TEST_F(Gateway, UnknownPathMtuChangesNothing) {
  install();
  Bytes big = tcp_packet(wire::IpFamily::V4, 1400);
  OutboundOutcome o = a.process_outbound(big, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  EXPECT_EQ(o.fragment_to, 0u);
  EXPECT_EQ(out[6] & 0x40, 0x40);  // DF copied from the inner packet (RFC 4301 §8.1)
}

TEST_F(Gateway, Ipv4WithDfTooBigGetsIcmpFragmentationNeeded) {
  install();
  a.path_mtu().set_link_mtu(ip("198.51.100.1"), 1280);
  Bytes big = tcp_packet(wire::IpFamily::V4, 1400);
  OutboundOutcome o = a.process_outbound(big, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::TooBig);
  const ByteView icmp(out.data(), o.result.length);
  auto info = wire::parse_ip_packet(icmp);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->protocol, wire::ip_protocol::kIcmp);
  EXPECT_EQ(info->source, ip("192.0.2.1"));            // the gateway's own (outer) address
  EXPECT_EQ(info->destination, test::v4_host_a());     // back to the sender
  EXPECT_EQ(inet_checksum({icmp.subspan(0, 20)}), 0);  // header checksum verifies
  const ByteView m = icmp.subspan(20);
  EXPECT_EQ(m[0], 3);
  EXPECT_EQ(m[1], 4);
  EXPECT_EQ(get16(m, 4), 0);
  EXPECT_EQ(get16(m, 6), 1226);  // inner MTU of AES-GCM-16 over a 1280 path
  EXPECT_EQ(inet_checksum({m}), 0);
  EXPECT_EQ(icmp.size(), 576u);  // quotes as much as RFC 1812 allows
  EXPECT_TRUE(std::equal(m.begin() + 8, m.end(), big.begin()));
  EXPECT_EQ(a.counters().path_mtu.too_big_sent, 1u);
  EXPECT_EQ(a.counters().drops[DropReason::TooBig], 1u);
  EXPECT_EQ(outbound().drops()[DropReason::TooBig], 1u);
  // A packet that fits passes.
  Bytes fits = tcp_packet(wire::IpFamily::V4, 1226 - 40);
  o = a.process_outbound(fits, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  EXPECT_EQ(o.result.length, 1280u);
}

TEST_F(Gateway, Ipv6InnerTooBigGetsPacketTooBig) {
  test::SaOptions v6;
  v6.outer = wire::IpFamily::V6;
  install(v6);
  a.path_mtu().set_link_mtu(ip("2001:db8:ffff::2"), 1400);
  Bytes big = tcp_packet(wire::IpFamily::V6, 1400);
  OutboundOutcome o = a.process_outbound(big, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::TooBig);
  const ByteView icmp(out.data(), o.result.length);
  auto info = wire::parse_ip_packet(icmp);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->protocol, wire::ip_protocol::kIcmpv6);
  EXPECT_EQ(info->source, ip("2001:db8::1"));
  EXPECT_EQ(info->destination, test::v6_host_a());
  EXPECT_EQ(icmp.size(), 1280u);  // RFC 4443 §2.4 (c): the error fits the minimum MTU
  const ByteView m = icmp.subspan(40);
  EXPECT_EQ(m[0], 2);
  EXPECT_EQ(m[1], 0);
  EXPECT_EQ(get32(m, 4), inner_mtu(outbound(), 1400, wire::IpFamily::V6));
  EXPECT_EQ(inet_checksum({test::pseudo_header(info->source, info->destination, 58, m.size()), m}), 0);
  EXPECT_TRUE(std::equal(m.begin() + 8, m.end(), big.begin()));
}

TEST_F(Gateway, Ipv6InnerOverSmallIpv4PathIsFragmentedNotRefused) {
  install();  // IPv4 outer
  a.path_mtu().set_link_mtu(ip("198.51.100.1"), 1280);
  // Its inner MTU (1226) is below IPv6's 1280: an IPv6 sender may not go lower, so we fragment.
  Bytes p = tcp_packet(wire::IpFamily::V6, 1280 - 60);
  OutboundOutcome o = a.process_outbound(p, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  EXPECT_EQ(o.fragment_to, 1280u);
  // And an IPv4 answer source cannot be used for IPv6: the too-big case uses the inner destination.
  Bytes big = tcp_packet(wire::IpFamily::V6, 1500);
  a.path_mtu().set_link_mtu(ip("198.51.100.1"), 1500);
  o = a.process_outbound(big, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::TooBig);
  EXPECT_EQ(wire::parse_ip_packet(ByteView(out.data(), o.result.length))->source, test::v6_host_b());
}

TEST_F(Gateway, DfClearIsSentAsTwoValidFragmentsThatReassembleAndDecrypt) {
  install();
  a.path_mtu().set_link_mtu(ip("198.51.100.1"), 1280);
  Bytes big = tcp_packet(wire::IpFamily::V4, 1400, /*dont_fragment=*/false);
  OutboundOutcome o = a.process_outbound(big, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  ASSERT_EQ(o.fragment_to, 1280u);
  EXPECT_EQ(a.counters().path_mtu.fragmented_packets, 1u);
  const ByteView whole(out.data(), o.result.length);
  EXPECT_EQ(whole[6] & 0x40, 0);  // outer DF clear, like the inner packet's
  std::vector<Bytes> fragments;
  Bytes scratch(1280);
  EXPECT_EQ(wire::fragment_ip_packet(whole, 1280, 0, scratch,
                                     [&](ByteView f) {
                                       fragments.emplace_back(f.begin(), f.end());
                                       return true;
                                     }),
            2u);
  ASSERT_EQ(fragments.size(), 2u);
  Bytes reassembled(whole.begin(), whole.begin() + 20);
  for (const Bytes& f : fragments) {
    EXPECT_LE(f.size(), 1280u);
    EXPECT_EQ(inet_checksum({ByteView(f).subspan(0, 20)}), 0);
    EXPECT_EQ(get16(f, 2), f.size());
    EXPECT_EQ(get16(f, 4), get16(whole, 4));  // same identification
    const std::size_t offset = (get16(f, 6) & 0x1FFF) * 8u;
    EXPECT_EQ(offset, reassembled.size() - 20);
    reassembled.insert(reassembled.end(), f.begin() + 20, f.end());
  }
  EXPECT_EQ(get16(fragments[0], 6) & 0x2000, 0x2000);  // MF on the first
  EXPECT_EQ(get16(fragments[1], 6) & 0x2000, 0);
  ASSERT_EQ(reassembled.size(), whole.size());
  EXPECT_TRUE(std::equal(reassembled.begin() + 20, reassembled.end(), whole.begin() + 20));
  InboundOutcome i = b.process_inbound(whole, back, kNow);
  ASSERT_EQ(i.kind, InboundOutcome::Kind::Decapsulated);
  EXPECT_EQ(Bytes(back.begin(), back.begin() + static_cast<std::ptrdiff_t>(i.result.length)), big);
}

// An ICMP Fragmentation Needed as a router would send it about `outer` (an ESP packet of ours).
Bytes router_icmp(ByteView outer, std::uint16_t mtu, std::size_t quote = 28) {
  Bytes m = {3, 4, 0, 0, 0, 0, static_cast<std::uint8_t>(mtu >> 8), static_cast<std::uint8_t>(mtu)};
  m.insert(m.end(), outer.begin(),
           outer.begin() + static_cast<std::ptrdiff_t>(std::min(quote, outer.size())));
  test::set16(m, 2, inet_checksum({m}));
  test::Ipv4Extras x;
  x.dont_fragment = false;
  return test::ipv4_packet(ip("203.0.113.254"), ip("192.0.2.1"), 1, m, x);
}

TEST_F(Gateway, IcmpQuotingOurSaLowersThePathMtuForeignSpiIsIgnored) {
  install();
  a.path_mtu().set_link_mtu(ip("198.51.100.1"), 1500);
  Bytes p = tcp_packet(wire::IpFamily::V4, 1400);
  OutboundOutcome o = a.process_outbound(p, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  Bytes ours(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(o.result.length));

  Bytes foreign = ours;
  foreign[20] ^= 0xFF;  // another SPI
  test::fix_ipv4_checksum(foreign);
  EXPECT_FALSE(a.on_icmp_too_big(router_icmp(foreign, 1280), kNow));
  Bytes other_peer = ours;
  other_peer[19] ^= 1;  // our SPI, but not the peer of that SA
  EXPECT_FALSE(a.on_icmp_too_big(router_icmp(other_peer, 1280), kNow));
  EXPECT_FALSE(a.on_icmp_too_big(router_icmp(ours, 1280, 20), kNow));  // quote too short for an SPI
  EXPECT_EQ(a.counters().path_mtu.icmp_ignored, 3u);
  EXPECT_EQ(a.path_mtu().current(ip("198.51.100.1"), kNow), 1500u);

  EXPECT_TRUE(a.on_icmp_too_big(router_icmp(ours, 1280), kNow));
  EXPECT_EQ(a.counters().path_mtu.icmp_accepted, 1u);
  EXPECT_EQ(a.path_mtu().current(ip("198.51.100.1"), kNow), 1280u);
  EXPECT_EQ(a.inner_mtu_of(outbound(), wire::IpFamily::V4, kNow), 1226u);
  // The same packet now gets ICMP toward its sender.
  EXPECT_EQ(a.process_outbound(p, out, kNow).kind, OutboundOutcome::Kind::TooBig);
  // A forged tiny MTU stops at the floor.
  EXPECT_TRUE(a.on_icmp_too_big(router_icmp(ours, 200), kNow));
  EXPECT_EQ(a.path_mtu().current(ip("198.51.100.1"), kNow), 576u);
}

TEST_F(Gateway, IcmpWithoutAnMtuUsesTheRfc1191Plateau) {
  install();
  a.path_mtu().set_link_mtu(ip("198.51.100.1"), 1500);
  OutboundOutcome o = a.process_outbound(tcp_packet(wire::IpFamily::V4, 1400), out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  Bytes ours(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(o.result.length));
  ASSERT_EQ(ours.size(), 1496u);  // 1440 inner + 20 + 8 + 8 + 2 + 2 padding + 16
  // A pre-RFC 1191 router sends MTU 0: the plateau below the quoted total length is taken.
  EXPECT_TRUE(a.on_icmp_too_big(router_icmp(ours, 0), kNow));
  EXPECT_EQ(a.path_mtu().current(ip("198.51.100.1"), kNow), 1492u);
}

TEST_F(Gateway, UdpEncapsulatedIcmpNeedsPortsAndSpi) {
  test::SaOptions udp;
  udp.udp = true;
  install(udp);
  Bytes p = tcp_packet(wire::IpFamily::V4, 1000);
  OutboundOutcome o = a.process_outbound(p, out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  Bytes ours(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(o.result.length));
  EXPECT_FALSE(a.on_icmp_too_big(router_icmp(ours, 1280, 28), kNow));  // 8 bytes: only the UDP header
  Bytes wrong_port = ours;
  wrong_port[21] ^= 1;
  EXPECT_FALSE(a.on_icmp_too_big(router_icmp(wrong_port, 1280, 64), kNow));
  EXPECT_TRUE(a.on_icmp_too_big(router_icmp(ours, 1280, 64), kNow));
}

}  // namespace
}  // namespace cygnet::ipsec
