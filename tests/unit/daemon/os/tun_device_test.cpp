// TunDevice against the real kernel, each test in a network namespace of its own: creation (name,
// MTU, link up, non-blocking), removal on close, moves, errors, and packets in both directions —
// the kernel routing a socket's datagram into the TUN, and a packet written into the TUN
// reaching a socket. A packet too long for the caller's buffer is dropped, never cut.
#include "daemon/os/tun_device.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include <cstdlib>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "daemon/os/netlink.hpp"
#include "daemon/os/sockets.hpp"
#include "unit/daemon/os/os_test_support.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::daemon {
namespace {

using test::address;
using test::prefix;
using wire::IpAddress;
using wire::IpFamily;

// Is this the UDP packet our socket sent to `destination`?
auto udp_to(const IpAddress& destination) {
  return test::packet_to(destination, wire::ip_protocol::kUdp);
}

TEST(TunDevice, OpensNonBlockingWithTheMtuAndTheLinkUp) {
  CYGNET_REQUIRE_FRESH_NETNS();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  EXPECT_EQ(tun.name(), "cyg-test0");
  EXPECT_GE(tun.fd(), 0);
  EXPECT_EQ(tun.ifindex(), static_cast<int>(if_nametoindex("cyg-test0")));
  EXPECT_EQ(tun.mtu(), 1400);
  EXPECT_EQ(test::interface_mtu("cyg-test0"), 1400);
  EXPECT_TRUE(test::interface_is_up("cyg-test0"));
  EXPECT_NE(fcntl(tun.fd(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(fcntl(tun.fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(TunDevice, ReadReturnsNulloptWhenNothingIsWaiting) {
  CYGNET_REQUIRE_FRESH_NETNS();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  Bytes buffer(2048);
  // Drain whatever IPv6 housekeeping the kernel queued already; it must not block.
  int packets = 0;
  while (tun.read(buffer) && packets < 1000) ++packets;
  EXPECT_LT(packets, 1000);
  EXPECT_FALSE(tun.read(buffer).has_value());
}

TEST(TunDevice, KernelExpandsANamePattern) {
  CYGNET_REQUIRE_FRESH_NETNS();
  TunDevice tun = TunDevice::open("cygpat%d", 1500);
  EXPECT_EQ(tun.name(), "cygpat0");
  EXPECT_EQ(tun.ifindex(), static_cast<int>(if_nametoindex("cygpat0")));
}

TEST(TunDevice, ClosingRemovesTheDevice) {
  CYGNET_REQUIRE_FRESH_NETNS();
  {
    TunDevice tun = TunDevice::open("cyg-test0", 1400);
    ASSERT_NE(if_nametoindex("cyg-test0"), 0u);
  }
  EXPECT_EQ(if_nametoindex("cyg-test0"), 0u);
}

TEST(TunDevice, MovesTransferTheDescriptor) {
  CYGNET_REQUIRE_FRESH_NETNS();
  TunDevice first = TunDevice::open("cyg-a", 1400);
  const int fd = first.fd();
  TunDevice moved(std::move(first));
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_EQ(moved.name(), "cyg-a");
  // Checks the moved-from state on purpose.
  // NOLINTNEXTLINE(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_EQ(first.fd(), -1);

  TunDevice second = TunDevice::open("cyg-b", 1400);
  second = std::move(moved);  // closes cyg-b, which takes the device with it
  EXPECT_EQ(second.name(), "cyg-a");
  EXPECT_EQ(if_nametoindex("cyg-b"), 0u);
  EXPECT_NE(if_nametoindex("cyg-a"), 0u);
}

TEST(TunDevice, ErrorsNameTheDevice) {
  CYGNET_REQUIRE_FRESH_NETNS();
  try {
    TunDevice::open("a-name-far-too-long-for-linux", 1400);
    ADD_FAILURE() << "a 29-character name was accepted";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("a-name-far-too-long-for-linux"), std::string::npos)
        << error.what();
  }
  // "lo" exists and is not a TUN device.
  try {
    TunDevice::open("lo", 1400);
    ADD_FAILURE() << "attached a TUN to lo";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("TUN device lo: TUNSETIFF"), std::string::npos) << error.what();
    EXPECT_NE(error.code().value(), 0);
  }
  // An MTU the kernel refuses (below IPv4's 68).
  EXPECT_THROW(TunDevice::open("cyg-test0", 20), std::system_error);
}

// Workers want one queue each; a persistent device someone created without multi_queue refuses
// that (EINVAL), and cygnetd must still start on it with one queue instead of failing.
TEST(TunDevice, APersistentSingleQueueDeviceIsOpenedWithOneQueue) {
  CYGNET_REQUIRE_FRESH_NETNS();
  ASSERT_EQ(std::system("ip tuntap add dev cyg-persist mode tun"), 0);
  {
    TunDevice::ForQueues opened = TunDevice::open_for_queues("cyg-persist", 1400, /*offload=*/true,
                                                             /*carrier=*/true, /*queues=*/2);
    EXPECT_TRUE(opened.single_queue_fallback);
    EXPECT_EQ(opened.device.name(), "cyg-persist");
    EXPECT_THROW(opened.device.open_queue(), std::system_error);  // really one queue
  }
  ASSERT_EQ(std::system("ip tuntap del dev cyg-persist mode tun"), 0);
  ASSERT_EQ(std::system("ip tuntap add dev cyg-persist mode tun multi_queue"), 0);
  {
    TunDevice::ForQueues opened = TunDevice::open_for_queues("cyg-persist", 1400, /*offload=*/true,
                                                             /*carrier=*/true, /*queues=*/2);
    EXPECT_FALSE(opened.single_queue_fallback);
    EXPECT_NO_THROW(opened.device.open_queue());
  }
  {  // workers = 1 on a multi-queue device: one queue of it
    TunDevice::ForQueues opened = TunDevice::open_for_queues("cyg-persist", 1400, /*offload=*/true,
                                                             /*carrier=*/true, /*queues=*/1);
    EXPECT_FALSE(opened.single_queue_fallback);
    EXPECT_EQ(opened.device.name(), "cyg-persist");
  }
  ASSERT_EQ(std::system("ip tuntap del dev cyg-persist mode tun multi_queue"), 0);
  // A name that is no TUN device still fails, with the single-queue attempt's error.
  EXPECT_THROW(TunDevice::open_for_queues("lo", 1400, false, true, 2), std::system_error);
}

struct RoutingCase {
  const char* name;
  const char* tun_address;
  std::uint8_t tun_prefix_length;
  const char* routed_prefix;
  const char* remote;
  const char* any;
};
void PrintTo(const RoutingCase& c, std::ostream* out) {
  *out << c.name;
}

class TunRouting : public ::testing::TestWithParam<RoutingCase> {};

// A datagram toward a prefix routed into the TUN comes out of its descriptor as a whole packet.
TEST_P(TunRouting, KernelRoutesASocketsDatagramIntoTheTun) {
  CYGNET_REQUIRE_FRESH_NETNS();
  const RoutingCase& c = GetParam();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  Netlink netlink;
  const IpAddress local = address(c.tun_address);
  netlink.add_address(tun.ifindex(), local, c.tun_prefix_length);
  netlink.add_route({prefix(c.routed_prefix), tun.ifindex(), std::nullopt, 254});

  UdpSocket socket = UdpSocket::bind(address(c.any), 0, 0);
  const IpAddress remote = address(c.remote);
  const Bytes payload = test::bytes_of("cleartext for the tunnel");
  ASSERT_TRUE(socket.send(payload, address(c.any), {remote, 4000})) << test::errno_text();

  auto packet = test::read_tun_until(tun, udp_to(remote));
  ASSERT_TRUE(packet.has_value()) << "the datagram never reached the TUN";
  auto info = wire::parse_ip_packet(*packet);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->source, local);
  EXPECT_EQ(info->destination, remote);
  EXPECT_EQ(info->source_port, socket.port());
  EXPECT_EQ(info->destination_port, 4000);
  EXPECT_EQ(info->total_length, packet->size());
  EXPECT_EQ(test::udp_payload(*packet, *info), payload);
}

// A packet written into the TUN is delivered to the socket bound to its destination.
TEST_P(TunRouting, PacketWrittenIntoTheTunReachesASocket) {
  CYGNET_REQUIRE_FRESH_NETNS();
  const RoutingCase& c = GetParam();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  Netlink netlink;
  const IpAddress local = address(c.tun_address);
  netlink.add_address(tun.ifindex(), local, c.tun_prefix_length);
  // The sender's prefix routes back through the TUN, so reverse-path filtering is satisfied.
  netlink.add_route({prefix(c.routed_prefix), tun.ifindex(), std::nullopt, 254});

  UdpSocket socket = UdpSocket::bind(address(c.any), 0, 0);
  const IpAddress remote = address(c.remote);
  const Bytes payload = test::bytes_of("decapsulated payload");
  const Bytes packet = test::build_udp_packet(remote, 5555, local, socket.port(), payload);
  ASSERT_TRUE(tun.write(packet)) << test::errno_text();

  ASSERT_TRUE(test::wait_readable(socket.fd()));
  Bytes buffer(2048);
  auto datagram = socket.receive(buffer);
  ASSERT_TRUE(datagram.has_value());
  EXPECT_EQ(datagram->local.address, local);
  EXPECT_EQ(datagram->local.port, socket.port());
  EXPECT_EQ(datagram->remote.address, remote);
  EXPECT_EQ(datagram->remote.port, 5555);
  EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(datagram->length)), payload);
}

// A packet longer than the buffer is dropped and counted; the next one still arrives whole, and
// nothing is written past the buffer handed in.
TEST_P(TunRouting, PacketLongerThanTheBufferIsDroppedNotCut) {
  CYGNET_REQUIRE_FRESH_NETNS();
  const RoutingCase& c = GetParam();
  TunDevice tun = TunDevice::open("cyg-test0", 1400);
  Netlink netlink;
  netlink.add_address(tun.ifindex(), address(c.tun_address), c.tun_prefix_length);
  netlink.add_route({prefix(c.routed_prefix), tun.ifindex(), std::nullopt, 254});
  UdpSocket socket = UdpSocket::bind(address(c.any), 0, 0);
  const IpAddress remote = address(c.remote);
  const Bytes large(300, 0xab);
  const Bytes small = test::bytes_of("fits");
  ASSERT_TRUE(socket.send(large, address(c.any), {remote, 4000}));
  ASSERT_TRUE(socket.send(small, address(c.any), {remote, 4000}));

  constexpr std::size_t kBufferSize = 120;  // more than small's packet, less than large's
  constexpr std::uint8_t kSentinel = 0x5a;
  std::optional<Bytes> received;
  for (int attempt = 0; attempt < 50 && !received; ++attempt) {
    if (!test::wait_readable(tun.fd(), 100)) continue;
    Bytes storage(kBufferSize + 64, kSentinel);
    while (auto length = tun.read(MutableByteView(storage).first(kBufferSize))) {
      ASSERT_LE(*length, kBufferSize);
      for (std::size_t i = kBufferSize; i < storage.size(); ++i) ASSERT_EQ(storage[i], kSentinel);
      Bytes packet(storage.begin(), storage.begin() + static_cast<std::ptrdiff_t>(*length));
      if (udp_to(remote)(packet)) {
        received = packet;
        break;
      }
    }
  }
  ASSERT_TRUE(received.has_value());
  auto info = wire::parse_ip_packet(*received);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(test::udp_payload(*received, *info), small);
  EXPECT_GE(tun.truncated_drops(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Families, TunRouting,
    ::testing::Values(RoutingCase{"IPv4", "192.0.2.1", 24, "203.0.113.0/24", "203.0.113.9", "0.0.0.0"},
                      RoutingCase{"IPv6", "2001:db8:1::1", 64, "2001:db8:2::/64", "2001:db8:2::9", "::"}),
    [](const auto& instance) { return std::string(instance.param.name); });

}  // namespace
}  // namespace cygnet::daemon
