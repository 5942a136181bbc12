#include "wire/transport_checksum.hpp"

#include <gtest/gtest.h>

#include "tcp_test_packets.hpp"

namespace cygnet::wire {
namespace {

TEST(OnesComplementSum, Rfc1071Example) {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 after the end-around carry.
  EXPECT_EQ(ones_complement_sum(from_hex("0001f203f4f5f6f7")), 0xddf2);
  // Any alignment and odd lengths agree with the byte-at-a-time reference.
  Bytes data(1501);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  for (std::size_t n : {0, 1, 2, 3, 4, 5, 7, 8, 9, 1499, 1500, 1501}) {
    const Bytes prefix(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(ones_complement_sum(prefix), test::reference_sum(prefix)) << n;
  }
  EXPECT_EQ(ones_complement_sum(from_hex("0001"), 0xfffe), 0xffff);
}

TEST(TransportChecksum, ScapyTcpOverIpv4) {
  // scapy: IP(src=198.51.100.1, dst=203.0.113.1, id=0x1234, DF)/TCP(40000 -> 5201, seq 1000,
  // ack 2000, PA, window 502)/"hello world!"; scapy's TCP checksum is f95a.
  const Bytes packet = from_hex(
      "45000034123440004006c259c6336401cb0071019c401451000003e8000007d0501801f6f95a000068656c6c6f"
      "20776f726c6421");
  EXPECT_TRUE(transport_checksum_valid(packet, 6, ByteView(packet).subspan(20)));
  Bytes zeroed = packet;
  zeroed[20 + 16] = 0;
  zeroed[20 + 17] = 0;
  EXPECT_EQ(transport_checksum(zeroed, 6, ByteView(zeroed).subspan(20)), 0xf95a);
  Bytes corrupt = packet;
  corrupt.back() ^= 0x01;
  EXPECT_FALSE(transport_checksum_valid(corrupt, 6, ByteView(corrupt).subspan(20)));
}

TEST(TransportChecksum, ScapyUdpOverIpv6) {
  // scapy: IPv6(2001:db8::1 -> 2001:db8::2)/UDP(4500 -> 4500)/"abc"; checksum bcd8.
  const Bytes packet = from_hex(
      "60000000000b114020010db800000000000000000000000120010db8000000000000000000000002119411940"
      "00bbcd8616263");
  EXPECT_TRUE(transport_checksum_valid(packet, 17, ByteView(packet).subspan(40)));
  Bytes zeroed = packet;
  zeroed[40 + 6] = 0;
  zeroed[40 + 7] = 0;
  EXPECT_EQ(transport_checksum(zeroed, 17, ByteView(zeroed).subspan(40)), 0xbcd8);
}

TEST(TransportChecksum, PseudoHeaderSumCompletesToTheFullChecksum) {
  // What NEEDS_CSUM means: the field holds the pseudo-header sum, the device sums the rest.
  const Bytes packet = test::tcp_packet({.payload = 999});
  Bytes partial = packet;
  const auto length = static_cast<std::uint32_t>(packet.size() - 20);
  const std::uint16_t pseudo = pseudo_header_sum(partial, 6, length);
  partial[36] = static_cast<std::uint8_t>(pseudo >> 8);
  partial[37] = static_cast<std::uint8_t>(pseudo);
  const auto completed = static_cast<std::uint16_t>(~ones_complement_sum(ByteView(partial).subspan(20)));
  EXPECT_EQ(completed, test::get16(packet, 36));
}

}  // namespace
}  // namespace cygnet::wire
