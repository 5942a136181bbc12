#include "wire/virtio_net_header.hpp"

#include <gtest/gtest.h>

namespace cygnet::wire {
namespace {

TEST(VirtioNetHeader, ParsesLittleEndianFields) {
  // NEEDS_CSUM, TCPV4, hdr_len 52, gso_size 1448, csum_start 20, csum_offset 16.
  const Bytes bytes = from_hex("01 01 3400 a805 1400 1000");
  const auto header = parse_virtio_net_header(bytes);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->flags, kVirtioNeedsChecksum);
  EXPECT_EQ(header->gso_type, virtio_gso::kTcpV4);
  EXPECT_EQ(header->header_length, 52);
  EXPECT_EQ(header->gso_size, 1448);
  EXPECT_EQ(header->checksum_start, 20);
  EXPECT_EQ(header->checksum_offset, 16);
}

TEST(VirtioNetHeader, WriteThenParseRoundTrips) {
  VirtioNetHeader header;
  header.flags = kVirtioNeedsChecksum | kVirtioDataValid;
  header.gso_type = virtio_gso::kTcpV6 | virtio_gso::kEcn;
  header.header_length = 0x1234;
  header.gso_size = 0xfedc;
  header.checksum_start = 40;
  header.checksum_offset = 6;
  Bytes out(kVirtioNetHeaderLength);
  ASSERT_TRUE(write_virtio_net_header(out, header));
  EXPECT_EQ(to_hex(out), "03843412dcfe28000600");
  EXPECT_EQ(parse_virtio_net_header(out), header);
}

TEST(VirtioNetHeader, EveryTruncationIsRefused) {
  const Bytes bytes = from_hex("00 00 0000 0000 0000 0000");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_virtio_net_header(ByteView(bytes.data(), n))) << n;
  }
  EXPECT_TRUE(parse_virtio_net_header(bytes));
  Bytes small(kVirtioNetHeaderLength - 1, 0xAA);
  EXPECT_FALSE(write_virtio_net_header(small, VirtioNetHeader{}));
  EXPECT_EQ(small, Bytes(kVirtioNetHeaderLength - 1, 0xAA));  // nothing written
}

TEST(VirtioNetHeader, UnknownFlagsAndGsoTypesAreRefused) {
  EXPECT_FALSE(parse_virtio_net_header(from_hex("04 00 0000 0000 0000 0000")));  // RSC_INFO
  EXPECT_FALSE(parse_virtio_net_header(from_hex("80 00 0000 0000 0000 0000")));
  for (int type : {2, 6, 7, 0x7f, 0x82}) {
    Bytes bytes = from_hex("00 00 0000 0000 0000 0000");
    bytes[1] = static_cast<std::uint8_t>(type);
    EXPECT_FALSE(parse_virtio_net_header(bytes)) << type;
  }
  for (int type : {0, 1, 3, 4, 5, 0x81, 0x84}) {
    Bytes bytes = from_hex("00 00 0000 0000 0000 0000");
    bytes[1] = static_cast<std::uint8_t>(type);
    EXPECT_TRUE(parse_virtio_net_header(bytes)) << type;
  }
}

}  // namespace
}  // namespace cygnet::wire
