#include "wire/ip_packet.hpp"

#include <gtest/gtest.h>

#include "wire/byte_reader.hpp"

namespace cygnet::wire {
namespace {

IpAddress addr(std::string_view text) { return IpAddress::parse(text).value(); }

// 192.0.2.1:8080 -> 198.51.100.2:53, UDP, 4-byte payload; total length 32, checksum left zero.
Bytes ipv4_udp() {
  return from_hex(
      "4500 0020 1234 0000 4011 0000 c0000201 c6336402"  // IPv4 header
      "1f90 0035 000c 0000"                              // UDP header
      "deadbeef");
}

// 2001:db8::1 -> 2001:db8::2 with the given next header and payload (payload length from size).
Bytes ipv6_packet(std::uint8_t next_header, const Bytes& payload) {
  Bytes p = from_hex(
      "6000 0000 0000 0000 20010db8000000000000000000000001 20010db8000000000000000000000002");
  store_be16(p.data() + 4, static_cast<std::uint16_t>(payload.size()));
  p[6] = next_header;
  p[7] = 64;
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

// Hop-by-hop (PadN) -> fragment (offset 0, M=1) -> UDP 4500 -> 4500 + 4 bytes.
Bytes ipv6_hbh_fragment_udp() {
  return ipv6_packet(ip_protocol::kHopByHop, from_hex("2c00 0104 00000000"   // hop-by-hop, 8 bytes
                                                      "1100 0001 a1b2c3d4"   // fragment header
                                                      "1194 1194 000c 0000"  // UDP
                                                      "01020304"));
}

TEST(ParseIpPacket, Ipv4UdpFields) {
  const Bytes p = ipv4_udp();
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->family, IpFamily::V4);
  EXPECT_EQ(info->source, addr("192.0.2.1"));
  EXPECT_EQ(info->destination, addr("198.51.100.2"));
  EXPECT_EQ(info->total_length, 32u);
  EXPECT_EQ(info->header_length, 20u);
  EXPECT_EQ(info->next_header_offset, 9u);
  EXPECT_EQ(info->protocol, ip_protocol::kUdp);
  EXPECT_FALSE(info->is_fragment);
  EXPECT_EQ(info->source_port, 8080);
  EXPECT_EQ(info->destination_port, 53);
}

TEST(ParseIpPacket, Ipv4TrailingPaddingIsIgnored) {
  Bytes p = ipv4_udp();
  p.insert(p.end(), {0, 0, 0, 0, 0, 0});
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->total_length, 32u);
  EXPECT_EQ(info->source_port, 8080);
}

TEST(ParseIpPacket, Ipv4EveryTruncationIsRejected) {
  const Bytes p = ipv4_udp();
  for (std::size_t n = 0; n < p.size(); ++n) {
    EXPECT_FALSE(parse_ip_packet(ByteView(p.data(), n)).has_value()) << n;
  }
  EXPECT_TRUE(parse_ip_packet(p).has_value());
}

TEST(ParseIpPacket, Ipv4TotalLengthBounds) {
  Bytes p = ipv4_udp();
  store_be16(p.data() + 2, 33);  // beyond the buffer
  EXPECT_FALSE(parse_ip_packet(p).has_value());
  store_be16(p.data() + 2, 0xffff);
  EXPECT_FALSE(parse_ip_packet(p).has_value());
  store_be16(p.data() + 2, 19);  // below the header
  EXPECT_FALSE(parse_ip_packet(p).has_value());
  store_be16(p.data() + 2, 0);
  EXPECT_FALSE(parse_ip_packet(p).has_value());
  store_be16(p.data() + 2, 20);  // header only: UDP header lies past total_length, no ports
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->total_length, 20u);
  EXPECT_EQ(info->protocol, ip_protocol::kUdp);
  EXPECT_EQ(info->source_port, 0);
  EXPECT_EQ(info->destination_port, 0);
  store_be16(p.data() + 2, 23);  // 3 bytes of UDP: not enough for ports
  info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->source_port, 0);
  store_be16(p.data() + 2, 24);
  info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->source_port, 8080);
  EXPECT_EQ(info->destination_port, 53);
}

TEST(ParseIpPacket, Ipv4BadIhl) {
  for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
    Bytes p = ipv4_udp();
    p[0] = static_cast<std::uint8_t>(0x40 | ihl);
    EXPECT_FALSE(parse_ip_packet(p).has_value()) << int{ihl};
  }
  Bytes p = ipv4_udp();
  p[0] = 0x49;  // 36-byte header, but total length is 32
  EXPECT_FALSE(parse_ip_packet(p).has_value());
  p[0] = 0x4f;  // 60-byte header, longer than the buffer
  EXPECT_FALSE(parse_ip_packet(p).has_value());
}

TEST(ParseIpPacket, Ipv4WithOptions) {
  // IHL 6: one word of NOP options; UDP follows at 24.
  const Bytes p = from_hex(
      "4600 0024 0001 0000 4011 0000 c0000201 c6336402 01010100"
      "1f90 0035 000c 0000 deadbeef");
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->header_length, 24u);
  EXPECT_EQ(info->total_length, 36u);
  EXPECT_EQ(info->next_header_offset, 9u);
  EXPECT_EQ(info->source_port, 8080);
  EXPECT_EQ(info->destination_port, 53);
}

TEST(ParseIpPacket, BadVersion) {
  for (int version : {0, 1, 2, 3, 5, 7, 8, 15}) {
    Bytes p = ipv4_udp();
    p[0] = static_cast<std::uint8_t>((version << 4) | 5);
    EXPECT_FALSE(parse_ip_packet(p).has_value()) << version;
  }
  // Version 6 in a buffer shorter than an IPv6 header.
  Bytes p = ipv4_udp();
  p[0] = 0x65;
  EXPECT_FALSE(parse_ip_packet(p).has_value());
  EXPECT_FALSE(parse_ip_packet({}).has_value());
}

TEST(ParseIpPacket, Ipv4Fragments) {
  Bytes p = ipv4_udp();
  store_be16(p.data() + 6, 0x4000);  // DF only: not a fragment
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_FALSE(info->is_fragment);

  store_be16(p.data() + 6, 0x2000);  // MF, offset 0: first fragment keeps ports
  info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->is_fragment);
  EXPECT_EQ(info->source_port, 8080);
  EXPECT_EQ(info->destination_port, 53);

  store_be16(p.data() + 6, 0x00b9);  // last fragment at offset 185*8: no ports
  info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->is_fragment);
  EXPECT_EQ(info->protocol, ip_protocol::kUdp);
  EXPECT_EQ(info->source_port, 0);
  EXPECT_EQ(info->destination_port, 0);

  store_be16(p.data() + 6, 0x2001);  // middle fragment
  info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->is_fragment);
  EXPECT_EQ(info->source_port, 0);
}

TEST(ParseIpPacket, Ipv4PortsPerProtocol) {
  Bytes p = ipv4_udp();
  p[9] = ip_protocol::kTcp;
  EXPECT_EQ(parse_ip_packet(p).value().source_port, 8080);
  p[9] = 132;  // SCTP
  EXPECT_EQ(parse_ip_packet(p).value().destination_port, 53);
  p[9] = ip_protocol::kEsp;
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->protocol, ip_protocol::kEsp);
  EXPECT_EQ(info->source_port, 0);
  EXPECT_EQ(info->destination_port, 0);
  p[9] = ip_protocol::kIcmpv6;  // not ICMP inside IPv4
  EXPECT_EQ(parse_ip_packet(p).value().source_port, 0);
}

TEST(ParseIpPacket, Ipv4IcmpTypeAndCode) {
  Bytes p = from_hex("4500 001a 0000 0000 4001 0000 c0000201 c6336402 0300 0000 0000");
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->protocol, ip_protocol::kIcmp);
  EXPECT_EQ(info->source_port, 3);  // destination unreachable
  EXPECT_EQ(info->destination_port, 0);
  p[21] = 4;  // code: fragmentation needed
  EXPECT_EQ(parse_ip_packet(p).value().destination_port, 4);
  store_be16(p.data() + 2, 21);  // only the type byte present
  info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->source_port, 0);
  EXPECT_EQ(info->destination_port, 0);
}

TEST(ParseIpPacket, Ipv6UdpFields) {
  const Bytes p = ipv6_packet(ip_protocol::kUdp, from_hex("1194 01f4 000c 0000 cafebabe"));
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->family, IpFamily::V6);
  EXPECT_EQ(info->source, addr("2001:db8::1"));
  EXPECT_EQ(info->destination, addr("2001:db8::2"));
  EXPECT_EQ(info->total_length, 52u);
  EXPECT_EQ(info->header_length, 40u);
  EXPECT_EQ(info->next_header_offset, 6u);
  EXPECT_EQ(info->protocol, ip_protocol::kUdp);
  EXPECT_FALSE(info->is_fragment);
  EXPECT_EQ(info->source_port, 4500);
  EXPECT_EQ(info->destination_port, 500);
}

TEST(ParseIpPacket, Ipv6HopByHopAndFragment) {
  const Bytes p = ipv6_hbh_fragment_udp();
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->total_length, 68u);
  EXPECT_EQ(info->header_length, 56u);
  EXPECT_EQ(info->next_header_offset, 48u);
  EXPECT_EQ(p[info->next_header_offset], ip_protocol::kUdp);
  EXPECT_EQ(info->protocol, ip_protocol::kUdp);
  EXPECT_TRUE(info->is_fragment);
  EXPECT_EQ(info->source_port, 4500);
  EXPECT_EQ(info->destination_port, 4500);
}

TEST(ParseIpPacket, Ipv6EveryTruncationIsRejected) {
  const Bytes p = ipv6_hbh_fragment_udp();
  for (std::size_t n = 0; n < p.size(); ++n) {
    EXPECT_FALSE(parse_ip_packet(ByteView(p.data(), n)).has_value()) << n;
  }
}

TEST(ParseIpPacket, Ipv6EveryShorterPayloadLengthIsRejectedOrStopsBeforePorts) {
  // Shrinking the payload length (with the whole buffer still there) must never let the parser
  // look past total_length: the chain fails or the ports come out zero.
  Bytes p = ipv6_hbh_fragment_udp();
  for (std::uint16_t len = 0; len < 28; ++len) {
    store_be16(p.data() + 4, len);
    auto info = parse_ip_packet(p);
    if (len < 16) {
      EXPECT_FALSE(info.has_value()) << len;
    } else {
      ASSERT_TRUE(info.has_value()) << len;
      EXPECT_EQ(info->header_length, 56u);
      EXPECT_EQ(info->source_port, len >= 20 ? 4500 : 0) << len;
    }
  }
}

TEST(ParseIpPacket, Ipv6FullChain) {
  // hop-by-hop (8) -> destination options (16) -> routing (24) -> fragment (8) ->
  // destination options (8) -> TCP.
  const Bytes p =
      ipv6_packet(ip_protocol::kHopByHop,
                  from_hex("3c00 0104 00000000"                                   // HBH -> 60
                           "2b01 010c 000000000000000000000000"                   // DO -> 43
                           "2c02 0001 00000000 20010db8000000000000000000000003"  // RH -> 44
                           "3c00 0000 00000007"                                   // frag -> 60
                           "0600 0104 00000000"                                   // DO -> TCP
                           "0016 c350 00000000 00000000 5000 0000 0000 0000"));
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->header_length, 40u + 8 + 16 + 24 + 8 + 8);
  EXPECT_EQ(info->next_header_offset, 40u + 8 + 16 + 24 + 8);
  EXPECT_EQ(info->protocol, ip_protocol::kTcp);
  EXPECT_TRUE(info->is_fragment);  // fragment header with offset 0, M=0 (atomic fragment)
  EXPECT_EQ(info->source_port, 22);
  EXPECT_EQ(info->destination_port, 50000);
}

TEST(ParseIpPacket, Ipv6StopsAtEspAndAh) {
  auto info = parse_ip_packet(ipv6_packet(ip_protocol::kDestinationOptions,
                                          from_hex("3200 0104 00000000 00001000 00000001")));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->protocol, ip_protocol::kEsp);
  EXPECT_EQ(info->header_length, 48u);
  EXPECT_EQ(info->next_header_offset, 40u);
  EXPECT_EQ(info->source_port, 0);

  info = parse_ip_packet(ipv6_packet(
      ip_protocol::kAh, from_hex("3b04 0000 00001000 00000001 0000000000000000 00000000")));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->protocol, ip_protocol::kAh);
  EXPECT_EQ(info->header_length, 40u);
  EXPECT_EQ(info->next_header_offset, 6u);
}

TEST(ParseIpPacket, Ipv6NoNextHeader) {
  auto info = parse_ip_packet(ipv6_packet(ip_protocol::kNoNextHeader, {}));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->protocol, ip_protocol::kNoNextHeader);
  EXPECT_EQ(info->total_length, 40u);
  EXPECT_EQ(info->header_length, 40u);
}

TEST(ParseIpPacket, Ipv6ExtensionChainRunsOffTheEnd) {
  // Hop-by-hop claims 24 bytes, only 16 are there.
  EXPECT_FALSE(parse_ip_packet(ipv6_packet(ip_protocol::kHopByHop,
                                           from_hex("1102 0104 00000000 0000000000000000")))
                   .has_value());
  // Payload length 0 but the next header says hop-by-hop follows.
  EXPECT_FALSE(parse_ip_packet(ipv6_packet(ip_protocol::kHopByHop, {})).has_value());
  // Routing header with maximal length field (2048 bytes).
  Bytes rh = from_hex("11ff 0000 00000000");
  EXPECT_FALSE(parse_ip_packet(ipv6_packet(ip_protocol::kRouting, rh)).has_value());
  // Fragment header cut to 6 bytes.
  EXPECT_FALSE(
      parse_ip_packet(ipv6_packet(ip_protocol::kFragment, from_hex("1100 0000 0000"))).has_value());
  // Last header in the chain names another extension header that is not there.
  EXPECT_FALSE(
      parse_ip_packet(ipv6_packet(ip_protocol::kDestinationOptions, from_hex("2b00 0104 00000000")))
          .has_value());
  // Extension header within the buffer but past the payload length.
  Bytes p = ipv6_packet(ip_protocol::kDestinationOptions, from_hex("1100 0104 00000000"));
  store_be16(p.data() + 4, 4);
  EXPECT_FALSE(parse_ip_packet(p).has_value());
}

TEST(ParseIpPacket, Ipv6PayloadLengthBeyondBuffer) {
  Bytes p = ipv6_packet(ip_protocol::kUdp, from_hex("1194 01f4 0008 0000"));
  store_be16(p.data() + 4, 9);
  EXPECT_FALSE(parse_ip_packet(p).has_value());
  store_be16(p.data() + 4, 0xffff);
  EXPECT_FALSE(parse_ip_packet(p).has_value());
  // Shorter than the buffer is fine.
  store_be16(p.data() + 4, 4);
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->total_length, 44u);
  EXPECT_EQ(info->source_port, 4500);
  EXPECT_EQ(info->destination_port, 500);
}

TEST(ParseIpPacket, Ipv6HopByHopOnlyFirst) {
  EXPECT_FALSE(parse_ip_packet(ipv6_packet(ip_protocol::kDestinationOptions,
                                           from_hex("0000 0104 00000000 3b00 0104 00000000")))
                   .has_value());
}

TEST(ParseIpPacket, Ipv6LaterFragmentHasNoPorts) {
  // Fragment offset 100 (x8 bytes): what follows is a slice of the payload, not a UDP header.
  const Bytes p =
      ipv6_packet(ip_protocol::kFragment, from_hex("1100 0320 a1b2c3d4 1194 1194 000c 0000"));
  auto info = parse_ip_packet(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->is_fragment);
  EXPECT_EQ(info->protocol, ip_protocol::kUdp);
  EXPECT_EQ(info->header_length, 48u);
  EXPECT_EQ(info->next_header_offset, 40u);
  EXPECT_EQ(info->source_port, 0);
  EXPECT_EQ(info->destination_port, 0);

  // A later fragment whose first payload bytes look like an extension header is not walked.
  const Bytes q = ipv6_packet(ip_protocol::kFragment, from_hex("3c00 0320 a1b2c3d4 ffff"));
  info = parse_ip_packet(q);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->protocol, ip_protocol::kDestinationOptions);
  EXPECT_EQ(info->header_length, 48u);
}

TEST(ParseIpPacket, Ipv6IcmpTypeAndCode) {
  auto info = parse_ip_packet(ipv6_packet(ip_protocol::kIcmpv6, from_hex("8000 0000 0001 0001")));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->protocol, ip_protocol::kIcmpv6);
  EXPECT_EQ(info->source_port, 128);  // echo request
  EXPECT_EQ(info->destination_port, 0);
  info = parse_ip_packet(ipv6_packet(ip_protocol::kIcmpv6, from_hex("0104")));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->source_port, 1);
  EXPECT_EQ(info->destination_port, 4);
  info = parse_ip_packet(ipv6_packet(ip_protocol::kIcmp, from_hex("0104")));  // ICMPv4 number
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->source_port, 0);
}

TEST(InternetChecksum, KnownValues) {
  // RFC 1071 §3 example: sum ddf2, stored checksum its complement.
  EXPECT_EQ(internet_checksum(from_hex("0001 f203 f4f5 f6f7")), 0x220d);
  // IPv4 header with the checksum field zeroed (Wikipedia "IPv4 header checksum" example).
  Bytes header = from_hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
  EXPECT_EQ(internet_checksum(header), 0xb861);
  store_be16(header.data() + 10, 0xb861);
  EXPECT_EQ(internet_checksum(header), 0);  // a valid header sums to all ones
}

TEST(InternetChecksum, EdgeCases) {
  EXPECT_EQ(internet_checksum({}), 0xffff);
  EXPECT_EQ(internet_checksum(from_hex("01")), 0xfeff);  // odd byte padded on the right
  EXPECT_EQ(internet_checksum(from_hex("0001 f203 f4f5 f6")),
            0x2304);  // ~(0x0001+0xf203+0xf4f5+0xf600)
  EXPECT_EQ(internet_checksum(Bytes(65536, 0xff)), 0x0000);
  EXPECT_EQ(internet_checksum(Bytes(4, 0x00)), 0xffff);
  // Carries wrap around: 0xffff + 0x0001 = 0x0001 after folding.
  EXPECT_EQ(internet_checksum(from_hex("ffff 0001")), 0xfffe);
}

TEST(WriteIpv4Header, ExactBytes) {
  Ipv4HeaderFields f;
  f.source = addr("192.0.2.1");
  f.destination = addr("198.51.100.2");
  f.protocol = ip_protocol::kEsp;
  f.total_length = 0x54;
  f.identification = 0xabcd;
  f.dont_fragment = true;
  Bytes out(20, 0xee);
  ASSERT_TRUE(write_ipv4_header(out, f));
  EXPECT_EQ(to_hex(out), "45000054abcd40004032a273c0000201c6336402");
  EXPECT_EQ(internet_checksum(out), 0);

  f.dont_fragment = false;
  f.ttl = 1;
  f.dscp_ecn = 0xb8;
  ASSERT_TRUE(write_ipv4_header(out, f));
  EXPECT_EQ(to_hex(ByteView(out).first(10)), "45b80054abcd00000132");
  EXPECT_EQ(internet_checksum(out), 0);
}

TEST(WriteIpv4Header, ParsesBack) {
  Ipv4HeaderFields f;
  f.source = addr("203.0.113.5");
  f.destination = addr("192.0.2.99");
  f.protocol = ip_protocol::kUdp;
  f.total_length = 28;
  Bytes out(28, 0);
  ASSERT_TRUE(write_ipv4_header(out, f));
  store_be16(out.data() + 20, 4500);
  store_be16(out.data() + 22, 4500);
  auto info = parse_ip_packet(out);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->source, f.source);
  EXPECT_EQ(info->destination, f.destination);
  EXPECT_EQ(info->protocol, ip_protocol::kUdp);
  EXPECT_EQ(info->total_length, 28u);
  EXPECT_EQ(info->source_port, 4500);
}

TEST(WriteIpv4Header, Rejects) {
  Ipv4HeaderFields f;
  f.source = addr("192.0.2.1");
  f.destination = addr("192.0.2.2");
  Bytes small(19, 0xee);
  EXPECT_FALSE(write_ipv4_header(small, f));
  EXPECT_EQ(small, Bytes(19, 0xee));
  Bytes out(20, 0);
  f.destination = addr("2001:db8::2");
  EXPECT_FALSE(write_ipv4_header(out, f));
}

TEST(WriteIpv6Header, ExactBytes) {
  Ipv6HeaderFields f;
  f.source = addr("2001:db8::1");
  f.destination = addr("2001:db8::2");
  f.next_header = ip_protocol::kEsp;
  f.payload_length = 0x0123;
  f.hop_limit = 255;
  f.traffic_class = 0xab;
  f.flow_label = 0xf12345;  // only the low 20 bits are used
  Bytes out(40, 0xee);
  ASSERT_TRUE(write_ipv6_header(out, f));
  EXPECT_EQ(to_hex(out),
            "6ab12345"
            "012332ff"
            "20010db8000000000000000000000001"
            "20010db8000000000000000000000002");
}

TEST(WriteIpv6Header, ParsesBack) {
  Ipv6HeaderFields f;
  f.source = addr("2001:db8:1::a");
  f.destination = addr("2001:db8:2::b");
  f.next_header = ip_protocol::kNoNextHeader;
  Bytes out(40, 0);
  ASSERT_TRUE(write_ipv6_header(out, f));
  auto info = parse_ip_packet(out);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->source, f.source);
  EXPECT_EQ(info->destination, f.destination);
  EXPECT_EQ(info->protocol, ip_protocol::kNoNextHeader);
  EXPECT_EQ(out[7], 64);  // default hop limit
}

TEST(WriteIpv6Header, Rejects) {
  Ipv6HeaderFields f;
  f.source = addr("2001:db8::1");
  f.destination = addr("2001:db8::2");
  Bytes small(39, 0xee);
  EXPECT_FALSE(write_ipv6_header(small, f));
  EXPECT_EQ(small, Bytes(39, 0xee));
  Bytes out(40, 0);
  f.source = addr("192.0.2.1");
  EXPECT_FALSE(write_ipv6_header(out, f));
}

TEST(UpdateIpLength, Ipv4RewritesLengthAndChecksum) {
  Ipv4HeaderFields f;
  f.source = addr("192.0.2.1");
  f.destination = addr("198.51.100.2");
  f.protocol = ip_protocol::kUdp;
  f.total_length = 28;
  Bytes p(60, 0);
  ASSERT_TRUE(write_ipv4_header(p, f));
  p[9] = ip_protocol::kEsp;  // transport mode replaced the protocol
  update_ip_length(p, IpFamily::V4, 60);
  EXPECT_EQ(load_be16(p.data() + 2), 60);
  EXPECT_EQ(internet_checksum(ByteView(p).first(20)), 0);
  EXPECT_EQ(parse_ip_packet(p).value().protocol, ip_protocol::kEsp);
  // Same header written directly has the same bytes.
  f.total_length = 60;
  f.protocol = ip_protocol::kEsp;
  Bytes expected(20, 0);
  ASSERT_TRUE(write_ipv4_header(expected, f));
  EXPECT_EQ(to_hex(ByteView(p).first(20)), to_hex(expected));
}

TEST(UpdateIpLength, Ipv4ChecksumCoversOptions) {
  Bytes p = from_hex(
      "4600 0024 0001 0000 4011 0000 c0000201 c6336402 94040000"
      "1f90 0035 000c 0000 deadbeef");
  update_ip_length(p, IpFamily::V4, 32);
  EXPECT_EQ(load_be16(p.data() + 2), 32);
  EXPECT_EQ(internet_checksum(ByteView(p).first(24)), 0);
  EXPECT_NE(internet_checksum(ByteView(p).first(20)), 0);
}

TEST(UpdateIpLength, Ipv4IgnoresImpossibleValues) {
  const Bytes original = ipv4_udp();
  Bytes p = original;
  update_ip_length(p, IpFamily::V4, 19);
  EXPECT_EQ(p, original);
  update_ip_length(p, IpFamily::V4, 0x10000);
  EXPECT_EQ(p, original);
  Bytes short_buf(10, 0x45);
  update_ip_length(short_buf, IpFamily::V4, 20);
  EXPECT_EQ(short_buf, Bytes(10, 0x45));
  Bytes bad_ihl = original;
  bad_ihl[0] = 0x4f;  // 60-byte header in a 32-byte buffer
  update_ip_length(bad_ihl, IpFamily::V4, 32);
  EXPECT_EQ(load_be16(bad_ihl.data() + 2), 32);  // untouched (was already 32)
  EXPECT_EQ(load_be16(bad_ihl.data() + 10), 0);  // checksum not computed
}

TEST(UpdateIpLength, Ipv6PayloadLength) {
  Bytes p = ipv6_packet(ip_protocol::kUdp, Bytes(8, 0));
  update_ip_length(p, IpFamily::V6, 40 + 300);
  EXPECT_EQ(load_be16(p.data() + 4), 300);
  update_ip_length(p, IpFamily::V6, 40);
  EXPECT_EQ(load_be16(p.data() + 4), 0);
  update_ip_length(p, IpFamily::V6, 39);  // below the header: ignored
  EXPECT_EQ(load_be16(p.data() + 4), 0);
  update_ip_length(p, IpFamily::V6, 40 + 0x10000);  // does not fit 16 bits: ignored
  EXPECT_EQ(load_be16(p.data() + 4), 0);
  Bytes short_buf(39, 0x60);
  update_ip_length(short_buf, IpFamily::V6, 100);
  EXPECT_EQ(short_buf, Bytes(39, 0x60));
}

}  // namespace
}  // namespace cygnet::wire
