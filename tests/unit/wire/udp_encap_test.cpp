#include "wire/udp_encap.hpp"

#include <gtest/gtest.h>

#include "wire/byte_reader.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::wire {
namespace {

Udp4500Payload classify(std::string_view hex) { return classify_udp4500_payload(from_hex(hex)); }

TEST(ClassifyUdp4500, NatKeepalive) {
  EXPECT_EQ(classify("ff"), Udp4500Payload::NatKeepalive);
  EXPECT_EQ(classify("fe"), Udp4500Payload::Malformed);
  EXPECT_EQ(classify("00"), Udp4500Payload::Malformed);
  EXPECT_EQ(classify("ffff"), Udp4500Payload::Malformed);
  EXPECT_EQ(classify("ffffff"), Udp4500Payload::Malformed);
}

TEST(ClassifyUdp4500, NonEspMarkerThenIke) {
  EXPECT_EQ(classify("00000000"), Udp4500Payload::Malformed);  // marker with nothing after it
  EXPECT_EQ(classify("00000000 01"), Udp4500Payload::Ike);
  // Marker + IKE header (initiator SPI, responder SPI 0, next payload SA, version 2.0,
  // IKE_SA_INIT).
  EXPECT_EQ(classify("00000000 0102030405060708 0000000000000000 21202208 00000000 0000001c"),
            Udp4500Payload::Ike);
}

TEST(ClassifyUdp4500, Esp) {
  EXPECT_EQ(classify("00001000 00000001"), Udp4500Payload::Esp);
  EXPECT_EQ(classify("00000001 00000000"), Udp4500Payload::Esp);  // SPI non-zero only in last byte
  EXPECT_EQ(classify("ff000000 00000000"), Udp4500Payload::Esp);  // starts 0xFF but longer than 1
  EXPECT_EQ(classify("ffffffff ffffffff aabbccdd"), Udp4500Payload::Esp);
  EXPECT_EQ(classify("00001000 000000"), Udp4500Payload::Malformed);  // 7 bytes: no sequence number
  EXPECT_EQ(classify("00001000"), Udp4500Payload::Malformed);
}

TEST(ClassifyUdp4500, EveryTruncationOfEsp) {
  const Bytes esp = from_hex("00001234 00000007 0102030405060708090a0b0c0d0e0f10");
  for (std::size_t n = 0; n <= esp.size(); ++n) {
    const auto expected = n >= 8 ? Udp4500Payload::Esp : Udp4500Payload::Malformed;
    EXPECT_EQ(classify_udp4500_payload(ByteView(esp.data(), n)), expected) << n;
  }
}

TEST(ClassifyUdp4500, EveryTruncationOfIke) {
  const Bytes ike = from_hex("00000000 0102030405060708 0000000000000000");
  for (std::size_t n = 0; n <= ike.size(); ++n) {
    const auto expected = n > 4 ? Udp4500Payload::Ike : Udp4500Payload::Malformed;
    EXPECT_EQ(classify_udp4500_payload(ByteView(ike.data(), n)), expected) << n;
  }
}

TEST(ClassifyUdp4500, Empty) { EXPECT_EQ(classify_udp4500_payload({}), Udp4500Payload::Malformed); }

TEST(WriteUdpHeader, ExactBytes) {
  Bytes out(8, 0xee);
  ASSERT_TRUE(write_udp_header(out, kNatTraversalPort, 0xabcd, 0x0123));
  EXPECT_EQ(to_hex(out), "1194abcd01230000");
  Bytes bigger(12, 0xee);
  ASSERT_TRUE(write_udp_header(bigger, kIkePort, kIkePort, 12));
  EXPECT_EQ(to_hex(bigger), "01f401f4000c0000eeeeeeee");
}

TEST(WriteUdpHeader, Rejects) {
  Bytes small(7, 0xee);
  EXPECT_FALSE(write_udp_header(small, 1, 2, 8));
  EXPECT_EQ(small, Bytes(7, 0xee));
  Bytes out(8, 0xee);
  EXPECT_FALSE(write_udp_header(out, 1, 2, 7));  // length below the UDP header itself
  EXPECT_EQ(out, Bytes(8, 0xee));
}

// Checksum over pseudo-header + datagram must verify to zero (sum of all ones).
bool udp6_checksum_verifies(ByteView datagram, const IpAddress& src, const IpAddress& dst) {
  Bytes all;
  all.insert(all.end(), src.bytes().begin(), src.bytes().end());
  all.insert(all.end(), dst.bytes().begin(), dst.bytes().end());
  const Bytes tail = {0,
                      0,
                      static_cast<std::uint8_t>(datagram.size() >> 8),
                      static_cast<std::uint8_t>(datagram.size()),
                      0,
                      0,
                      0,
                      17};
  all.insert(all.end(), tail.begin(), tail.end());
  all.insert(all.end(), datagram.begin(), datagram.end());
  return internet_checksum(all) == 0;
}

TEST(SetUdp6Checksum, KnownValue) {
  const IpAddress src = IpAddress::parse("2001:db8::1").value();
  const IpAddress dst = IpAddress::parse("2001:db8::2").value();
  // 4500 -> 4500, ESP SPI 0x1234 seq 1, one odd trailing byte; length 17. Checksum field starts
  // dirty.
  Bytes d = from_hex("1194 1194 0011 5555 00001234 00000001 ab");
  set_udp6_checksum(d, src.bytes(), dst.bytes());
  EXPECT_EQ(load_be16(d.data() + 6), 0xc3f9);
  EXPECT_TRUE(udp6_checksum_verifies(d, src, dst));
  EXPECT_EQ(to_hex(ByteView(d).first(6)), "119411940011");
}

TEST(SetUdp6Checksum, ZeroResultIsSentAsAllOnes) {
  const IpAddress src = IpAddress::parse("2001:db8::a").value();
  const IpAddress dst = IpAddress::parse("2001:db8::b").value();
  Bytes d = from_hex("1194 1194 000a 0000 0000");
  set_udp6_checksum(d, src.bytes(), dst.bytes());
  const std::uint16_t with_zero_payload = load_be16(d.data() + 6);
  ASSERT_NE(with_zero_payload, 0xffff);
  // A payload word equal to that checksum makes the one's-complement sum all ones: checksum 0.
  store_be16(d.data() + 8, with_zero_payload);
  set_udp6_checksum(d, src.bytes(), dst.bytes());
  EXPECT_EQ(load_be16(d.data() + 6), 0xffff);
  EXPECT_TRUE(udp6_checksum_verifies(d, src, dst));
}

TEST(SetUdp6Checksum, VerifiesForManyPayloadSizes) {
  const IpAddress src = IpAddress::parse("2001:db8:1::1").value();
  const IpAddress dst = IpAddress::parse("2001:db8:2::2").value();
  for (std::size_t payload = 0; payload < 40; ++payload) {
    Bytes d(kUdpHeaderLength + payload);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 37 + payload);
    ASSERT_TRUE(write_udp_header(d, kNatTraversalPort, kNatTraversalPort,
                                 static_cast<std::uint16_t>(d.size())));
    set_udp6_checksum(d, src.bytes(), dst.bytes());
    EXPECT_NE(load_be16(d.data() + 6), 0) << payload;
    EXPECT_TRUE(udp6_checksum_verifies(d, src, dst)) << payload;
  }
}

TEST(SetUdp6Checksum, IgnoresBadArguments) {
  const IpAddress src = IpAddress::parse("2001:db8::1").value();
  const IpAddress v4 = IpAddress::parse("192.0.2.1").value();
  Bytes short_d(7, 0xee);
  set_udp6_checksum(short_d, src.bytes(), src.bytes());
  EXPECT_EQ(short_d, Bytes(7, 0xee));
  Bytes d(8, 0xee);
  set_udp6_checksum(d, v4.bytes(), src.bytes());
  EXPECT_EQ(d, Bytes(8, 0xee));
  set_udp6_checksum(d, src.bytes(), {});
  EXPECT_EQ(d, Bytes(8, 0xee));
}

}  // namespace
}  // namespace cygnet::wire
