#include "wire/gso_segmentation.hpp"

#include <gtest/gtest.h>

#include <array>

#include "tcp_test_packets.hpp"
#include "wire/transport_checksum.hpp"

namespace cygnet::wire {
namespace {

using test::get16;
using test::get32;

constexpr std::uint8_t kFin = 0x01, kPsh = 0x08, kAck = 0x10, kCwr = 0x80;

// Output slots as the daemon keeps them: preallocated, one per possible segment.
struct Slots {
  explicit Slots(std::size_t count, std::size_t size = 2048) : storage(count, Bytes(size)) {
    for (auto& s : storage) views.emplace_back(s);
    lengths.resize(count);
  }
  Bytes packet(std::size_t i) const {
    return Bytes(storage[i].begin(), storage[i].begin() + static_cast<std::ptrdiff_t>(lengths[i]));
  }
  std::vector<Bytes> storage;
  std::vector<MutableByteView> views;
  std::vector<std::size_t> lengths;
};

// A TSO super-packet as the kernel hands it over: one header, the TCP checksum field holding the
// pseudo-header sum (CHECKSUM_PARTIAL), and the virtio header that describes it.
struct SuperPacket {
  Bytes packet;
  VirtioNetHeader header;
};
SuperPacket tso_packet(test::TcpSpec spec, std::uint16_t mss) {
  SuperPacket s;
  s.packet = test::tcp_packet(spec);
  const std::size_t ip = spec.v6 ? 40 : 20;
  const std::uint16_t pseudo =
      pseudo_header_sum(s.packet, 6, static_cast<std::uint32_t>(s.packet.size() - ip));
  test::put16(s.packet, ip + 16, pseudo);
  s.header.flags = kVirtioNeedsChecksum;
  s.header.gso_type = spec.v6 ? virtio_gso::kTcpV6 : virtio_gso::kTcpV4;
  s.header.header_length = static_cast<std::uint16_t>(ip + 20 + spec.options.size());
  s.header.gso_size = mss;
  s.header.checksum_start = static_cast<std::uint16_t>(ip);
  s.header.checksum_offset = 16;
  return s;
}

void expect_valid_segments(const Slots& slots, const SegmentationResult& result, const test::TcpSpec& spec,
                           std::size_t mss) {
  const std::size_t ip = spec.v6 ? 40 : 20;
  const std::size_t header = ip + 20 + spec.options.size();
  std::size_t offset = 0;
  for (std::size_t i = 0; i < result.count; ++i) {
    const Bytes segment = slots.packet(i);
    const bool last = i + 1 == result.count;
    const std::size_t payload = last ? spec.payload - offset : mss;
    ASSERT_EQ(segment.size(), header + payload) << i;
    if (spec.v6) {
      EXPECT_EQ(get16(segment, 4), segment.size() - 40) << i;
    } else {
      EXPECT_EQ(get16(segment, 2), segment.size()) << i;
      EXPECT_EQ(get16(segment, 4), static_cast<std::uint16_t>(spec.ipv4_id + i)) << i;
      EXPECT_TRUE(test::ipv4_header_checksum_ok(segment)) << i;
    }
    EXPECT_EQ(get32(segment, ip + 4), static_cast<std::uint32_t>(spec.sequence + offset)) << i;
    const std::uint8_t flags = segment[ip + 13];
    EXPECT_EQ((flags & (kFin | kPsh)) != 0, last && (spec.flags & (kFin | kPsh)) != 0) << i;
    EXPECT_EQ((flags & kCwr) != 0, i == 0 && (spec.flags & kCwr) != 0) << i;
    EXPECT_EQ(flags & kAck, spec.flags & kAck) << i;
    EXPECT_EQ(test::reference_transport_checksum(segment, 6), 0) << "checksum of segment " << i;
    for (std::size_t b = 0; b < payload; ++b) {
      ASSERT_EQ(segment[header + b], static_cast<std::uint8_t>(spec.payload_seed + offset + b));
    }
    offset += payload;
  }
  EXPECT_EQ(offset, spec.payload);
}

TEST(GsoSegmentation, TsoIpv4SplitsIntoMssSegments) {
  const test::TcpSpec spec{.ipv4_id = 0xfffe,       // wraps
                           .sequence = 0xfffff000,  // wraps too
                           .flags = kAck | kPsh | kFin | kCwr,
                           .payload = 3 * 1448 + 100};
  const SuperPacket s = tso_packet(spec, 1448);
  Slots slots(8);
  const auto result = segment_offloaded_packet(s.header, s.packet, slots.views, slots.lengths);
  ASSERT_EQ(result.error, SegmentationError::None);
  ASSERT_EQ(result.count, 4u);
  expect_valid_segments(slots, result, spec, 1448);
}

TEST(GsoSegmentation, TsoIpv6With64KiBAndTimestampOption) {
  test::TcpSpec spec{.v6 = true, .flags = kAck | kPsh, .payload_seed = 9};
  spec.options = from_hex("0101080a 00012345 00054321");  // NOP NOP timestamps
  spec.payload = 65535 - 40 - 32;
  const SuperPacket s = tso_packet(spec, 1428);
  Slots slots(64);
  const auto result = segment_offloaded_packet(s.header, s.packet, slots.views, slots.lengths);
  ASSERT_EQ(result.error, SegmentationError::None);
  EXPECT_EQ(result.count, (spec.payload + 1427) / 1428);
  expect_valid_segments(slots, result, spec, 1428);
  for (std::size_t i = 0; i < result.count; ++i) {
    EXPECT_EQ(Bytes(slots.storage[i].begin() + 60, slots.storage[i].begin() + 72), spec.options);
  }
}

TEST(GsoSegmentation, PayloadOfExactlyOneSegmentGivesOne) {
  const test::TcpSpec spec{.flags = kAck | kPsh, .payload = 1448};
  const SuperPacket s = tso_packet(spec, 1448);
  Slots slots(2);
  const auto result = segment_offloaded_packet(s.header, s.packet, slots.views, slots.lengths);
  ASSERT_EQ(result.count, 1u);
  expect_valid_segments(slots, result, spec, 1448);
}

TEST(GsoSegmentation, UdpL4SplitsDatagrams) {
  // A UDP/IPv4 super-datagram of 2 x 1000 + 1 bytes to 203.0.113.1:4500.
  Bytes packet(20 + 8 + 2001);
  const Bytes ip = from_hex("45000000 abcd4000 4011 0000 c6336401 cb007101");
  std::copy(ip.begin(), ip.end(), packet.begin());
  test::put16(packet, 2, static_cast<std::uint32_t>(packet.size()));
  test::put16(packet, 20, 4500);
  test::put16(packet, 22, 4500);
  test::put16(packet, 24, static_cast<std::uint32_t>(packet.size() - 20));
  for (std::size_t i = 28; i < packet.size(); ++i) packet[i] = static_cast<std::uint8_t>(i);
  VirtioNetHeader header{kVirtioNeedsChecksum, virtio_gso::kUdpL4, 28, 1000, 20, 6};
  Slots slots(4);
  const auto result = segment_offloaded_packet(header, packet, slots.views, slots.lengths);
  ASSERT_EQ(result.error, SegmentationError::None);
  ASSERT_EQ(result.count, 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const Bytes d = slots.packet(i);
    const std::size_t payload = i < 2 ? 1000 : 1;
    ASSERT_EQ(d.size(), 28 + payload);
    EXPECT_EQ(get16(d, 2), d.size());
    EXPECT_EQ(get16(d, 4), 0xabcd + i);
    EXPECT_TRUE(test::ipv4_header_checksum_ok(d));
    EXPECT_EQ(get16(d, 24), 8 + payload);
    EXPECT_NE(get16(d, 26), 0);
    EXPECT_EQ(test::reference_transport_checksum(d, 17), 0) << i;
    EXPECT_EQ(d[28], packet[28 + i * 1000]);
  }
}

TEST(GsoSegmentation, NoGsoCompletesAPartialChecksum) {
  const Bytes valid = test::tcp_packet({.flags = kAck | kPsh, .payload = 77});
  Bytes partial = valid;
  test::put16(partial, 36, pseudo_header_sum(partial, 6, static_cast<std::uint32_t>(partial.size() - 20)));
  VirtioNetHeader header{kVirtioNeedsChecksum, virtio_gso::kNone, 0, 0, 20, 16};
  Slots slots(1);
  const auto result = segment_offloaded_packet(header, partial, slots.views, slots.lengths);
  ASSERT_EQ(result.count, 1u);
  EXPECT_EQ(slots.packet(0), valid);

  // Without NEEDS_CSUM the packet is copied untouched.
  header.flags = 0;
  ASSERT_EQ(segment_offloaded_packet(header, partial, slots.views, slots.lengths).count, 1u);
  EXPECT_EQ(slots.packet(0), partial);
}

TEST(GsoSegmentation, BadHeadersAreRefusedWithAReason) {
  const test::TcpSpec spec{.payload = 3000};
  const SuperPacket good = tso_packet(spec, 1000);
  Slots slots(3, 1100);
  auto run = [&](VirtioNetHeader header, const Bytes& packet) {
    const auto result = segment_offloaded_packet(header, packet, slots.views, slots.lengths);
    EXPECT_EQ(result.count, 0u);
    return result.error;
  };
  VirtioNetHeader h = good.header;
  h.gso_size = 0;
  EXPECT_EQ(run(h, good.packet), SegmentationError::ZeroSegmentSize);
  h = good.header;
  h.gso_size = 999;  // 4 segments, 3 slots
  EXPECT_EQ(run(h, good.packet), SegmentationError::TooManySegments);
  h = good.header;
  h.gso_size = 1500;  // 2 segments of 1540 bytes, slots of 1100
  EXPECT_EQ(run(h, good.packet), SegmentationError::SlotTooSmall);
  h = good.header;
  h.checksum_start = 21;
  EXPECT_EQ(run(h, good.packet), SegmentationError::BadChecksumLocation);
  h = good.header;
  h.checksum_offset = 6;
  EXPECT_EQ(run(h, good.packet), SegmentationError::BadChecksumLocation);
  h = good.header;
  h.gso_type = virtio_gso::kTcpV6;  // IPv4 packet
  EXPECT_EQ(run(h, good.packet), SegmentationError::UnsupportedGsoType);
  h.gso_type = virtio_gso::kUdp;  // UFO is never enabled
  EXPECT_EQ(run(h, good.packet), SegmentationError::UnsupportedGsoType);
  h.gso_type = virtio_gso::kUdpL4;  // but it is TCP
  EXPECT_EQ(run(h, good.packet), SegmentationError::UnsupportedGsoType);

  Bytes bad = good.packet;
  bad[20 + 12] = 0x40;  // TCP data offset 4 words
  EXPECT_EQ(run(good.header, bad), SegmentationError::BadTransportHeader);
  bad[20 + 12] = 0xf0;  // 60 bytes of header: fine, still inside
  EXPECT_EQ(
      segment_offloaded_packet(good.header, Bytes(bad.begin(), bad.begin() + 70), slots.views, slots.lengths)
          .error,
      SegmentationError::BadTransportHeader);
  bad = good.packet;
  bad[6] = 0x20;  // MF: a fragment
  EXPECT_EQ(run(good.header, bad), SegmentationError::NotIp);
  bad = good.packet;
  bad[0] = 0x35;
  EXPECT_EQ(run(good.header, bad), SegmentationError::NotIp);

  const SuperPacket v6 = tso_packet({.v6 = true, .payload = 2000}, 1000);
  bad = v6.packet;
  bad[6] = 0;  // hop-by-hop options header first
  EXPECT_EQ(run(v6.header, bad), SegmentationError::UnsupportedHeaders);

  VirtioNetHeader none{
      kVirtioNeedsChecksum, virtio_gso::kNone, 0, 0, 20, static_cast<std::uint16_t>(good.packet.size() - 21)};
  EXPECT_EQ(run(none, good.packet), SegmentationError::BadChecksumLocation);
  none.checksum_start = static_cast<std::uint16_t>(good.packet.size());
  none.checksum_offset = 0;
  EXPECT_EQ(run(none, good.packet), SegmentationError::BadChecksumLocation);
  EXPECT_EQ(segmentation_error_name(SegmentationError::SlotTooSmall), "slot_too_small");
}

TEST(GsoSegmentation, EveryTruncationIsSafe) {
  const SuperPacket s = tso_packet({.options = from_hex("01010101"), .payload = 300}, 100);
  Slots slots(4, 200);
  for (std::size_t n = 0; n <= s.packet.size(); ++n) {
    const Bytes cut(s.packet.begin(), s.packet.begin() + static_cast<std::ptrdiff_t>(n));
    const auto result = segment_offloaded_packet(s.header, cut, slots.views, slots.lengths);
    if (n < 20 + 24) {
      EXPECT_EQ(result.count, 0u) << n;
      EXPECT_NE(result.error, SegmentationError::None) << n;
    } else {
      EXPECT_EQ(result.error, SegmentationError::None) << n;  // headers intact: shorter payload
      for (std::size_t i = 0; i < result.count; ++i) {
        EXPECT_EQ(test::reference_transport_checksum(slots.packet(i), 6), 0) << n;
      }
    }
  }
}

}  // namespace
}  // namespace cygnet::wire
