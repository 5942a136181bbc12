// TunDevice with offloads (IFF_VNET_HDR + TUNSETOFFLOAD) against the real kernel, in a network
// namespace of its own: what the kernel granted, every read starting with a virtio-net header,
// a write with one reaching a socket, and the plain device when offloads are not asked for.
#include <gtest/gtest.h>

#include "daemon/os/netlink.hpp"
#include "daemon/os/sockets.hpp"
#include "daemon/os/tun_device.hpp"
#include "unit/daemon/os/os_test_support.hpp"
#include "wire/ip_packet.hpp"
#include "wire/virtio_net_header.hpp"

namespace cygnet::daemon {
namespace {

using test::address;
using test::prefix;

TEST(TunOffload, KernelGrantsChecksumAndTso) {
  CYGNET_REQUIRE_FRESH_NETNS();
  TunDevice tun = TunDevice::open("cyg-test0", 1400, true);
  // Every kernel this project supports (Debian 12's 6.1 and later) has TSO on TUN.
  EXPECT_TRUE(tun.offloads().virtio_header);
  EXPECT_TRUE(tun.offloads().checksum);
  EXPECT_TRUE(tun.offloads().tcp_segmentation);
  EXPECT_NE(tun.offloads().describe().find("TSO"), std::string::npos);

  TunDevice plain = TunDevice::open("cyg-test1", 1400);
  EXPECT_FALSE(plain.offloads().virtio_header);
  EXPECT_EQ(plain.offloads().describe(), "none");
}

TEST(TunOffload, ReadsStartWithAVirtioHeaderAndWritesTakeOne) {
  CYGNET_REQUIRE_FRESH_NETNS();
  TunDevice tun = TunDevice::open("cyg-test0", 1400, true);
  ASSERT_TRUE(tun.offloads().virtio_header);
  Netlink netlink;
  const wire::IpAddress local = address("198.51.100.1");
  netlink.add_address(tun.ifindex(), local, 24);
  netlink.add_route({prefix("203.0.113.0/24"), tun.ifindex(), std::nullopt, 254});
  UdpSocket socket = UdpSocket::bind(address("0.0.0.0"), 0, 0);
  const wire::IpAddress remote = address("203.0.113.9");

  // Read: virtio header, then the datagram's IP packet.
  const Bytes payload = test::bytes_of("through an offloading TUN");
  ASSERT_TRUE(socket.send(payload, address("0.0.0.0"), {remote, 4000})) << test::errno_text();
  const auto with_header = test::read_tun_until(tun, [&](const Bytes& read) {
    if (read.size() <= wire::kVirtioNetHeaderLength) return false;
    const auto info = wire::parse_ip_packet(ByteView(read).subspan(wire::kVirtioNetHeaderLength));
    return info && info->destination == remote && info->protocol == wire::ip_protocol::kUdp;
  });
  ASSERT_TRUE(with_header.has_value()) << "the datagram never reached the TUN";
  const auto header = wire::parse_virtio_net_header(*with_header);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->gso_type, wire::virtio_gso::kNone);  // one small datagram
  const auto info = wire::parse_ip_packet(ByteView(*with_header).subspan(wire::kVirtioNetHeaderLength));
  EXPECT_EQ(info->total_length, with_header->size() - wire::kVirtioNetHeaderLength);

  // Write: an all-zero virtio header in front of a complete packet.
  const Bytes reply = test::bytes_of("back through the TUN");
  Bytes packet(wire::kVirtioNetHeaderLength, 0);
  const Bytes ip = test::build_udp_packet(remote, 5555, local, socket.port(), reply);
  packet.insert(packet.end(), ip.begin(), ip.end());
  ASSERT_TRUE(tun.write(packet)) << test::errno_text();
  ASSERT_TRUE(test::wait_readable(socket.fd()));
  Bytes buffer(2048);
  const auto datagram = socket.receive(buffer);
  ASSERT_TRUE(datagram.has_value());
  EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(datagram->length)), reply);
}

}  // namespace
}  // namespace cygnet::daemon
