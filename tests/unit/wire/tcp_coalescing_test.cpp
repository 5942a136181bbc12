#include "wire/tcp_coalescing.hpp"

#include <gtest/gtest.h>

#include "tcp_test_packets.hpp"
#include "wire/gso_segmentation.hpp"
#include "wire/transport_checksum.hpp"

namespace cygnet::wire {
namespace {

using test::get16;
using test::TcpSpec;

constexpr std::uint8_t kPsh = 0x08, kAck = 0x10;

// The segments a sender with this MSS would produce for `total` bytes starting at spec.sequence.
std::vector<Bytes> segments(TcpSpec spec, std::size_t count, std::size_t mss, std::size_t last_payload = 0) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < count; ++i) {
    TcpSpec s = spec;
    s.payload = (i + 1 == count && last_payload != 0) ? last_payload : mss;
    s.sequence = spec.sequence + static_cast<std::uint32_t>(i * mss);
    s.ipv4_id = static_cast<std::uint16_t>(spec.ipv4_id + i);
    s.payload_seed = static_cast<std::uint8_t>(spec.payload_seed + i * mss);
    if (i + 1 != count) s.flags = static_cast<std::uint8_t>(s.flags & ~kPsh);
    out.push_back(test::tcp_packet(s));
  }
  return out;
}

// Splits a finished entry again with the segmentation code, as the kernel does on forwarding.
std::vector<Bytes> resegment(ByteView entry) {
  const auto header = parse_virtio_net_header(entry);
  EXPECT_TRUE(header);
  std::vector<Bytes> storage(64, Bytes(2048));
  std::vector<MutableByteView> slots(storage.begin(), storage.end());
  std::vector<std::size_t> lengths(64);
  const auto result =
      segment_offloaded_packet(*header, entry.subspan(kVirtioNetHeaderLength), slots, lengths);
  EXPECT_EQ(result.error, SegmentationError::None);
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < result.count; ++i) {
    out.emplace_back(storage[i].begin(), storage[i].begin() + static_cast<std::ptrdiff_t>(lengths[i]));
  }
  return out;
}

void expect_round_trip(bool v6) {
  TcpSpec spec{.v6 = v6, .flags = kAck | kPsh};
  spec.options = from_hex("0101080a 00000001 00000002");
  const auto input = segments(spec, 5, 1400, 321);
  TcpCoalescingBatch batch(4);
  for (const auto& s : input) ASSERT_TRUE(batch.add(s));
  ASSERT_EQ(batch.finish(), 1u);
  EXPECT_EQ(batch.coalesced(), 4u);

  const ByteView entry = batch.entry(0);
  const auto header = parse_virtio_net_header(entry);
  ASSERT_TRUE(header);
  const std::size_t ip = v6 ? 40 : 20;
  EXPECT_EQ(header->flags, kVirtioNeedsChecksum);
  EXPECT_EQ(header->gso_type, v6 ? virtio_gso::kTcpV6 : virtio_gso::kTcpV4);
  EXPECT_EQ(header->gso_size, 1400);
  EXPECT_EQ(header->header_length, ip + 32);
  EXPECT_EQ(header->checksum_start, ip);
  EXPECT_EQ(header->checksum_offset, 16);

  // Completing the partial checksum gives the super-packet's real checksum.
  Bytes packet(entry.begin() + kVirtioNetHeaderLength, entry.end());
  ASSERT_EQ(packet.size(), ip + 32 + 4 * 1400 + 321);
  const auto completed = static_cast<std::uint16_t>(~ones_complement_sum(ByteView(packet).subspan(ip)));
  Bytes zeroed = packet;
  test::put16(zeroed, ip + 16, 0);
  EXPECT_EQ(completed, test::reference_transport_checksum(zeroed, 6));
  if (!v6) {
    EXPECT_TRUE(test::ipv4_header_checksum_ok(packet));
  }
  EXPECT_EQ(packet[ip + 13], kAck | kPsh);

  // Segmenting it again gives back exactly the segments that went in.
  EXPECT_EQ(resegment(entry), input);
}

TEST(TcpCoalescing, Ipv4SegmentsRoundTrip) {
  expect_round_trip(false);
}
TEST(TcpCoalescing, Ipv6SegmentsRoundTrip) {
  expect_round_trip(true);
}

TEST(TcpCoalescing, SingleSegmentGetsAnEmptyVirtioHeaderAndStaysAsItIs) {
  const Bytes packet = test::tcp_packet({.payload = 100});
  TcpCoalescingBatch batch(2);
  ASSERT_TRUE(batch.add(packet));
  ASSERT_EQ(batch.finish(), 1u);
  const ByteView entry = batch.entry(0);
  EXPECT_EQ(parse_virtio_net_header(entry), VirtioNetHeader{});
  EXPECT_EQ(Bytes(entry.begin() + kVirtioNetHeaderLength, entry.end()), packet);
}

TEST(TcpCoalescing, PshOrAShortSegmentEndsTheSuperPacket) {
  auto input = segments({.flags = kAck | kPsh}, 2, 1000);  // second has PSH
  const auto more = segments({.ipv4_id = 0x1002, .sequence = 3000, .flags = kAck}, 1, 1000);
  TcpCoalescingBatch batch(4);
  for (const auto& s : input) ASSERT_TRUE(batch.add(s));
  ASSERT_TRUE(batch.add(more[0]));
  EXPECT_EQ(batch.finish(), 2u);

  TcpCoalescingBatch short_first(4);
  const auto small = segments({.flags = kAck}, 2, 1000, 10);  // 1000 then 10
  const auto after = segments({.ipv4_id = 0x1002, .sequence = 2010, .flags = kAck}, 1, 10);
  for (const auto& s : small) ASSERT_TRUE(short_first.add(s));
  ASSERT_TRUE(short_first.add(after[0]));
  EXPECT_EQ(short_first.finish(), 2u);
  EXPECT_EQ(short_first.coalesced(), 1u);
}

TEST(TcpCoalescing, APacketThatCannotJoinKeepsLaterSegmentsBehindIt) {
  const auto data = segments({}, 3, 1000);
  const Bytes pure_ack = test::tcp_packet({.ipv4_id = 0x1001, .sequence = 2000});  // no payload
  Bytes third = data[2];
  test::put16(third, 4, 0x1002);
  TcpCoalescingBatch batch(4);
  ASSERT_TRUE(batch.add(data[0]));
  ASSERT_TRUE(batch.add(pure_ack));
  ASSERT_TRUE(batch.add(data[1]));  // contiguous with data[0], but the ACK came in between
  EXPECT_EQ(batch.finish(), 3u);
  EXPECT_EQ(batch.coalesced(), 0u);
}

TEST(TcpCoalescing, InterleavedFlowsEachCoalesce) {
  const auto a = segments({.ipv4_id = 1, .sequence = 100}, 3, 1000);
  auto b = segments({.ipv4_id = 7, .sequence = 90000, .payload_seed = 3}, 3, 1000);
  for (auto& p : b) {  // another source port: another flow
    test::put16(p, 20, 40001);
    test::put16(p, 36, 0);
    test::put16(p, 36, test::reference_transport_checksum(p, 6));
  }
  TcpCoalescingBatch batch(4);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(batch.add(a[i]));
    ASSERT_TRUE(batch.add(b[i]));
  }
  ASSERT_EQ(batch.finish(), 2u);
  EXPECT_EQ(resegment(batch.entry(0)), a);
  EXPECT_EQ(resegment(batch.entry(1)), b);
}

TEST(TcpCoalescing, WhatMayNotBeJoinedStaysApart) {
  const auto base = segments({}, 2, 1000);
  auto changed = [&](auto edit) {
    Bytes second = base[1];
    edit(second);
    test::put16(second, 36, 0);
    test::put16(second, 36, test::reference_transport_checksum(second, 6));
    if (second[0] == 0x45) {
      test::put16(second, 10, 0);
      test::put16(
          second, 10,
          static_cast<std::uint16_t>(~test::reference_sum(Bytes(second.begin(), second.begin() + 20))));
    }
    TcpCoalescingBatch batch(4);
    EXPECT_TRUE(batch.add(base[0]));
    EXPECT_TRUE(batch.add(second));
    return batch.finish();
  };
  EXPECT_EQ(changed([](Bytes&) {}), 1u);                                      // control
  EXPECT_EQ(changed([](Bytes& p) { test::put32(p, 24, 1001 + 1000); }), 2u);  // sequence gap
  EXPECT_EQ(changed([](Bytes& p) { test::put32(p, 28, 5001); }), 2u);         // other ACK
  EXPECT_EQ(changed([](Bytes& p) { test::put16(p, 34, 503); }), 2u);          // other window
  EXPECT_EQ(changed([](Bytes& p) { test::put16(p, 4, 0x1005); }), 2u);        // IPv4 ID jump
  EXPECT_EQ(changed([](Bytes& p) { p[1] = 0x03; }), 2u);                      // ECN CE
  EXPECT_EQ(changed([](Bytes& p) { p[8] = 63; }), 2u);                        // TTL
  EXPECT_EQ(changed([](Bytes& p) { p[33] = 0x11; }), 2u);                     // FIN
  EXPECT_EQ(changed([](Bytes& p) { p[33] = 0x18 | 0x20; }), 2u);              // URG
  EXPECT_EQ(changed([](Bytes& p) { p[19] = 2; }), 2u);                        // destination

  // A segment whose checksum fails is passed on alone, unchanged.
  Bytes corrupt = base[1];
  corrupt.back() ^= 0xFF;
  TcpCoalescingBatch batch(4);
  ASSERT_TRUE(batch.add(base[0]));
  ASSERT_TRUE(batch.add(corrupt));
  ASSERT_EQ(batch.finish(), 2u);
  EXPECT_EQ(Bytes(batch.entry(1).begin() + kVirtioNetHeaderLength, batch.entry(1).end()), corrupt);

  // Different TCP options.
  const auto with_ts = segments({.options = from_hex("0101080a 00000001 00000002")}, 2, 1000);
  auto other_ts = segments({.options = from_hex("0101080a 00000009 00000002")}, 2, 1000);
  TcpCoalescingBatch options(4);
  ASSERT_TRUE(options.add(with_ts[0]));
  ASSERT_TRUE(options.add(other_ts[1]));
  EXPECT_EQ(options.finish(), 2u);
}

TEST(TcpCoalescing, NonTcpPassesThroughAndAFullBatchSaysSo) {
  const Bytes udp = from_hex(
      "60000000000b114020010db800000000000000000000000120010db8000000000000000000000002119411940"
      "00bbcd8616263");
  const Bytes tcp = test::tcp_packet({.payload = 10});
  TcpCoalescingBatch batch(2);
  ASSERT_TRUE(batch.add(udp));
  ASSERT_TRUE(batch.add(tcp));
  EXPECT_FALSE(batch.add(udp));  // full: nothing stored
  ASSERT_EQ(batch.finish(), 2u);
  EXPECT_EQ(Bytes(batch.entry(0).begin() + kVirtioNetHeaderLength, batch.entry(0).end()), udp);
  batch.clear();
  EXPECT_EQ(batch.size(), 0u);
  EXPECT_TRUE(batch.add(udp));
  EXPECT_TRUE(batch.add(Bytes(70000, 0x45)));  // beyond any TUN packet: counted, dropped
  EXPECT_EQ(batch.rejected(), 1u);
  EXPECT_EQ(batch.size(), 1u);
}

TEST(TcpCoalescing, StopsAt64KiB) {
  const auto input = segments({}, 60, 1448);  // 86,880 bytes of payload
  TcpCoalescingBatch batch(4);
  for (const auto& s : input) ASSERT_TRUE(batch.add(s));
  ASSERT_EQ(batch.finish(), 2u);
  EXPECT_LE(batch.entry(0).size(), kVirtioNetHeaderLength + 65535);
  auto first = resegment(batch.entry(0));
  auto second = resegment(batch.entry(1));
  first.insert(first.end(), second.begin(), second.end());
  EXPECT_EQ(first, input);
}

}  // namespace
}  // namespace cygnet::wire
