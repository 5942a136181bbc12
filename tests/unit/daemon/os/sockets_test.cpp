// UdpSocket and RawIpSocket against the real kernel, each test in a network namespace of its own:
// UDP round trips over IPv4 and IPv6 reporting the local address (pktinfo) and the remote, a
// chosen source address, the firewall mark and what it does to routing, oversized datagrams
// dropped without overflowing the buffer; raw ESP/AH round trips that come back as complete IP
// packets (the IPv6 header rebuilt byte for byte), malformed sends and the kernel's refusal to
// fragment header-included packets.
#include "daemon/os/sockets.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "daemon/os/netlink.hpp"
#include "daemon/os/tun_device.hpp"
#include "unit/daemon/os/os_test_support.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::daemon {
namespace {

using test::address;
using test::prefix;
using wire::IpAddress;
using wire::IpFamily;

int int_option(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  EXPECT_EQ(getsockopt(fd, level, name, &value, &length), 0) << test::errno_text();
  return value;
}

// Waits for and receives one datagram; its payload goes to `payload`.
std::optional<ReceivedDatagram> receive_one(UdpSocket& socket, Bytes& payload) {
  if (!test::wait_readable(socket.fd())) return std::nullopt;
  Bytes buffer(2048);
  auto datagram = socket.receive(buffer);
  if (datagram)
    payload.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(datagram->length));
  return datagram;
}

// Gives lo the IPv6 documentation addresses some tests send between (2001:db8::1 and ::2).
void add_documentation_addresses_to_lo() {
  Netlink netlink;
  const int lo = netlink.ifindex_of("lo");
  netlink.add_address(lo, address("2001:db8::1"), 128);
  netlink.add_address(lo, address("2001:db8::2"), 128);
}

// ---- UDP ----

struct UdpCase {
  const char* name;
  const char* any;
  const char* sender_source;  // chosen through pktinfo
  const char* receiver_address;
};
void PrintTo(const UdpCase& c, std::ostream* out) {
  *out << c.name;
}

class UdpRoundTrip : public ::testing::TestWithParam<UdpCase> {};

TEST_P(UdpRoundTrip, ReportsLocalAndRemoteEndpoints) {
  CYGNET_REQUIRE_FRESH_NETNS();
  const UdpCase& c = GetParam();
  add_documentation_addresses_to_lo();
  UdpSocket sender = UdpSocket::bind(address(c.any), 0, kDefaultFwmark);
  UdpSocket receiver = UdpSocket::bind(address(c.any), 0, kDefaultFwmark);
  ASSERT_NE(sender.port(), 0);
  ASSERT_NE(receiver.port(), sender.port());

  const Bytes message = test::bytes_of("IKE_SA_INIT request");
  ASSERT_TRUE(sender.send(message, address(c.sender_source), {address(c.receiver_address), receiver.port()}))
      << test::errno_text();
  Bytes payload;
  auto datagram = receive_one(receiver, payload);
  ASSERT_TRUE(datagram.has_value());
  EXPECT_EQ(payload, message);
  EXPECT_EQ(datagram->length, message.size());
  EXPECT_EQ(datagram->local.address, address(c.receiver_address));
  EXPECT_EQ(datagram->local.port, receiver.port());
  EXPECT_EQ(datagram->remote.address, address(c.sender_source));
  EXPECT_EQ(datagram->remote.port, sender.port());

  // And back, letting the kernel choose the source.
  const Bytes answer = test::bytes_of("IKE_SA_INIT response");
  ASSERT_TRUE(receiver.send(answer, address(c.any), datagram->remote));
  auto reply = receive_one(sender, payload);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(payload, answer);
  EXPECT_EQ(reply->local.address, address(c.sender_source));
  EXPECT_EQ(reply->remote.port, receiver.port());

  EXPECT_FALSE(receiver.receive(payload).has_value()) << "nothing else is waiting";
}

INSTANTIATE_TEST_SUITE_P(
    Families, UdpRoundTrip,
    ::testing::Values(UdpCase{"IPv4Loopback", "0.0.0.0", "127.0.0.1", "127.0.0.1"},
                      // 127.0.0.0/8 is all local: distinct addresses show pktinfo at work.
                      UdpCase{"IPv4DistinctAddresses", "0.0.0.0", "127.0.0.3", "127.0.0.2"},
                      UdpCase{"IPv6Loopback", "::", "::1", "::1"},
                      UdpCase{"IPv6DistinctAddresses", "::", "2001:db8::1", "2001:db8::2"}),
    [](const auto& instance) { return std::string(instance.param.name); });

TEST(UdpSocket, SetsTheOptionsTheHeaderPromises) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket marked = UdpSocket::bind(address("::"), 0, kDefaultFwmark);
  EXPECT_EQ(marked.family(), IpFamily::V6);
  EXPECT_EQ(static_cast<std::uint32_t>(int_option(marked.fd(), SOL_SOCKET, SO_MARK)), kDefaultFwmark);
  EXPECT_EQ(int_option(marked.fd(), SOL_SOCKET, SO_REUSEADDR), 1);
  EXPECT_EQ(int_option(marked.fd(), IPPROTO_IPV6, IPV6_V6ONLY), 1);
  EXPECT_EQ(int_option(marked.fd(), IPPROTO_IPV6, IPV6_RECVPKTINFO), 1);
  EXPECT_NE(fcntl(marked.fd(), F_GETFL) & O_NONBLOCK, 0);

  UdpSocket unmarked = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  EXPECT_EQ(unmarked.family(), IpFamily::V4);
  EXPECT_EQ(int_option(unmarked.fd(), SOL_SOCKET, SO_MARK), 0);
  EXPECT_EQ(int_option(unmarked.fd(), IPPROTO_IP, IP_PKTINFO), 1);
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  ASSERT_EQ(getsockname(unmarked.fd(), reinterpret_cast<sockaddr*>(&bound), &length), 0);
  EXPECT_EQ(ntohs(bound.sin_port), unmarked.port());
}

TEST(UdpSocket, BindFailureNamesTheAddress) {
  CYGNET_REQUIRE_FRESH_NETNS();
  try {
    UdpSocket::bind(address("192.0.2.55"), 500, 0);  // not an address of this namespace
    ADD_FAILURE() << "bound a foreign address";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EADDRNOTAVAIL);
    EXPECT_NE(std::string(error.what()).find("UDP socket 192.0.2.55:500: bind"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(UdpSocket::bind(address("2001:db8::55"), 500, 0), std::system_error);
}

TEST(UdpSocket, OversizedDatagramIsDroppedWithoutOverflow) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket sender = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  UdpSocket receiver = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  const Bytes large(100, 0xab);
  const Bytes small = test::bytes_of("fits");
  ASSERT_TRUE(sender.send(large, address("0.0.0.0"), {address("127.0.0.1"), receiver.port()}));
  ASSERT_TRUE(sender.send(small, address("0.0.0.0"), {address("127.0.0.1"), receiver.port()}));
  ASSERT_TRUE(test::wait_readable(receiver.fd()));

  constexpr std::uint8_t kSentinel = 0x5a;
  Bytes storage(64, kSentinel);
  auto datagram = receiver.receive(MutableByteView(storage).first(16));
  ASSERT_TRUE(datagram.has_value());
  EXPECT_EQ(datagram->length, small.size());
  EXPECT_EQ(Bytes(storage.begin(), storage.begin() + 4), small);
  for (std::size_t i = 16; i < storage.size(); ++i) ASSERT_EQ(storage[i], kSentinel) << i;
  EXPECT_EQ(receiver.truncated_drops(), 1u);
  EXPECT_FALSE(receiver.receive(storage).has_value());
}

TEST(UdpSocket, SendRefusesAnotherFamilyOrAForeignSource) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket socket = UdpSocket::bind(address("0.0.0.0"), 0, 0);
  const Bytes payload = test::bytes_of("x");
  errno = 0;
  EXPECT_FALSE(socket.send(payload, address("0.0.0.0"), {address("::1"), 500}));
  EXPECT_EQ(errno, EAFNOSUPPORT);
  errno = 0;
  EXPECT_FALSE(socket.send(payload, address("::1"), {address("127.0.0.1"), 500}));
  EXPECT_EQ(errno, EAFNOSUPPORT);
  // 192.0.2.7 is not ours: the kernel will not send from it.
  errno = 0;
  EXPECT_FALSE(socket.send(payload, address("192.0.2.7"), {address("127.0.0.1"), 500}));
  EXPECT_NE(errno, 0);
}

TEST(UdpSocket, MovesTransferTheDescriptor) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket first = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  const int fd = first.fd();
  const std::uint16_t port = first.port();
  UdpSocket moved(std::move(first));
  // Checks the moved-from state on purpose.
  // NOLINTNEXTLINE(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_EQ(first.fd(), -1);
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_EQ(moved.port(), port);
  UdpSocket other = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  const int other_fd = other.fd();
  other = std::move(moved);
  EXPECT_EQ(other.fd(), fd);
  EXPECT_EQ(fcntl(other_fd, F_GETFD), -1) << "the replaced descriptor was not closed";

  UdpSocket sender = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  ASSERT_TRUE(sender.send(test::bytes_of("ping"), address("0.0.0.0"), {address("127.0.0.1"), port}));
  Bytes payload;
  ASSERT_TRUE(receive_one(other, payload).has_value());
  EXPECT_EQ(payload, test::bytes_of("ping"));
}

// ---- raw ESP / AH ----

struct RawCase {
  const char* name;
  IpFamily family;
  std::uint8_t protocol;
  const char* source;
  const char* destination;
};
void PrintTo(const RawCase& c, std::ostream* out) {
  *out << c.name;
}

// A hand-built IP packet carrying something ESP/AH-shaped: SPI, sequence number, opaque bytes.
Bytes build_raw_packet(const RawCase& c, std::size_t body_size, std::uint8_t traffic_class) {
  Bytes body(body_size);
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<std::uint8_t>(i * 7 + 1);
  if (body.size() >= 8) {
    body[0] = 0x00;
    body[1] = 0x00;
    body[2] = 0x10;
    body[3] = 0x01;  // SPI 0x1001
    body[4] = 0x00;
    body[5] = 0x00;
    body[6] = 0x00;
    body[7] = 0x01;  // sequence 1
  }
  const bool v4 = c.family == IpFamily::V4;
  const std::size_t header = v4 ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength;
  Bytes packet(header + body.size());
  if (v4) {
    wire::Ipv4HeaderFields fields;
    fields.source = address(c.source);
    fields.destination = address(c.destination);
    fields.protocol = c.protocol;
    fields.total_length = static_cast<std::uint16_t>(packet.size());
    fields.identification = 0x4242;  // non-zero, so the kernel keeps it
    fields.dscp_ecn = traffic_class;
    EXPECT_TRUE(wire::write_ipv4_header(packet, fields));
  } else {
    wire::Ipv6HeaderFields fields;
    fields.source = address(c.source);
    fields.destination = address(c.destination);
    fields.next_header = c.protocol;
    fields.payload_length = static_cast<std::uint16_t>(body.size());
    fields.hop_limit = 64;
    fields.traffic_class = traffic_class;
    EXPECT_TRUE(wire::write_ipv6_header(packet, fields));
  }
  std::copy(body.begin(), body.end(), packet.begin() + static_cast<std::ptrdiff_t>(header));
  return packet;
}

class RawRoundTrip : public ::testing::TestWithParam<RawCase> {
 protected:
  void SetUp() override {
    CYGNET_REQUIRE_FRESH_NETNS();
    add_documentation_addresses_to_lo();
  }
};

// Sent with its header through the IPPROTO_RAW socket, received on the protocol's socket as a
// complete packet identical to what was sent (for IPv6: the header we rebuilt). DSCP EF + ECT(1)
// shows the traffic class survives.
TEST_P(RawRoundTrip, ReceivesTheCompletePacketBack) {
  const RawCase& c = GetParam();
  RawIpSocket raw = RawIpSocket::open(c.family, c.protocol, kDefaultFwmark);
  EXPECT_EQ(raw.family(), c.family);
  EXPECT_EQ(static_cast<std::uint32_t>(int_option(raw.receive_fd(), SOL_SOCKET, SO_MARK)), kDefaultFwmark);
  const Bytes sent = build_raw_packet(c, 48, 0xb9);
  ASSERT_TRUE(raw.send(sent)) << test::errno_text();

  ASSERT_TRUE(test::wait_readable(raw.receive_fd()));
  Bytes buffer(2048);
  auto length = raw.receive(buffer);
  ASSERT_TRUE(length.has_value());
  const Bytes received(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*length));
  auto info = wire::parse_ip_packet(received);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->source, address(c.source));
  EXPECT_EQ(info->destination, address(c.destination));
  EXPECT_EQ(info->protocol, c.protocol);
  EXPECT_EQ(info->total_length, received.size());
  EXPECT_EQ(to_hex(received), to_hex(sent));
  EXPECT_FALSE(raw.receive(buffer).has_value());
}

// A packet that does not fit is dropped and counted; bytes past the buffer stay untouched; the
// next packet that fits arrives whole.
TEST_P(RawRoundTrip, OversizedPacketIsDroppedWithoutOverflow) {
  const RawCase& c = GetParam();
  RawIpSocket raw = RawIpSocket::open(c.family, c.protocol, 0);
  const Bytes large = build_raw_packet(c, 200, 0);
  const Bytes small = build_raw_packet(c, 16, 0);
  ASSERT_TRUE(raw.send(large));
  ASSERT_TRUE(raw.send(small));
  ASSERT_TRUE(test::wait_readable(raw.receive_fd()));

  constexpr std::uint8_t kSentinel = 0x5a;
  constexpr std::size_t kBufferSize = 100;
  Bytes storage(kBufferSize + 64, kSentinel);
  std::optional<std::size_t> length;
  for (int attempt = 0; attempt < 20 && !length; ++attempt) {
    test::wait_readable(raw.receive_fd(), 100);
    length = raw.receive(MutableByteView(storage).first(kBufferSize));
  }
  ASSERT_TRUE(length.has_value());
  EXPECT_EQ(Bytes(storage.begin(), storage.begin() + static_cast<std::ptrdiff_t>(*length)), small);
  for (std::size_t i = kBufferSize; i < storage.size(); ++i) ASSERT_EQ(storage[i], kSentinel) << i;
  EXPECT_EQ(raw.truncated_drops(), 1u);

  // Smaller than even an IPv6 header: still consumed and dropped, never written past.
  ASSERT_TRUE(raw.send(small));
  ASSERT_TRUE(test::wait_readable(raw.receive_fd()));
  Bytes tiny(64, kSentinel);
  EXPECT_FALSE(raw.receive(MutableByteView(tiny).first(12)).has_value());
  for (std::size_t i = 12; i < tiny.size(); ++i) ASSERT_EQ(tiny[i], kSentinel) << i;
  EXPECT_EQ(raw.truncated_drops(), 2u);
}

TEST_P(RawRoundTrip, SendRejectsPacketsOfTheWrongShape) {
  const RawCase& c = GetParam();
  RawIpSocket raw = RawIpSocket::open(c.family, c.protocol, 0);
  Bytes packet = build_raw_packet(c, 16, 0);
  errno = 0;
  EXPECT_FALSE(raw.send(ByteView(packet).first(c.family == IpFamily::V4 ? 19 : 39)));
  EXPECT_EQ(errno, EINVAL);
  packet[0] = static_cast<std::uint8_t>((c.family == IpFamily::V4 ? 6 : 4) << 4 | (packet[0] & 0x0f));
  errno = 0;
  EXPECT_FALSE(raw.send(packet));
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_FALSE(raw.send(ByteView()));
  EXPECT_EQ(errno, EINVAL);
}

// Header-included packets are never fragmented by the kernel: one larger than the route's MTU
// fails with EMSGSIZE in both families, so the daemon must respect the path MTU itself.
TEST_P(RawRoundTrip, PacketAboveTheMtuIsRefusedNotFragmented) {
  const RawCase& c = GetParam();
  Netlink netlink;
  netlink.set_link_mtu(netlink.ifindex_of("lo"), 1500);
  RawIpSocket raw = RawIpSocket::open(c.family, c.protocol, 0);
  errno = 0;
  EXPECT_FALSE(raw.send(build_raw_packet(c, 1600, 0)));
  EXPECT_EQ(errno, EMSGSIZE) << test::errno_text();
  EXPECT_TRUE(raw.send(build_raw_packet(c, 1400, 0))) << test::errno_text();
}

INSTANTIATE_TEST_SUITE_P(FamiliesAndProtocols, RawRoundTrip,
                         ::testing::Values(RawCase{"IPv4Esp", IpFamily::V4, 50, "127.0.0.2", "127.0.0.1"},
                                           RawCase{"IPv4Ah", IpFamily::V4, 51, "127.0.0.2", "127.0.0.1"},
                                           RawCase{"IPv6Esp", IpFamily::V6, 50, "2001:db8::1", "2001:db8::2"},
                                           RawCase{"IPv6Ah", IpFamily::V6, 51, "2001:db8::1", "2001:db8::2"}),
                         [](const auto& instance) { return std::string(instance.param.name); });

TEST(RawIpSocket, MovesTransferBothDescriptors) {
  CYGNET_REQUIRE_FRESH_NETNS();
  RawIpSocket first = RawIpSocket::open(IpFamily::V4, 50, 0);
  const int fd = first.receive_fd();
  RawIpSocket moved(std::move(first));
  // Checks the moved-from state on purpose.
  // NOLINTNEXTLINE(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_EQ(first.receive_fd(), -1);
  EXPECT_EQ(moved.receive_fd(), fd);
  RawIpSocket other = RawIpSocket::open(IpFamily::V6, 50, 0);
  const int other_fd = other.receive_fd();
  other = std::move(moved);
  EXPECT_EQ(other.receive_fd(), fd);
  EXPECT_EQ(other.family(), IpFamily::V4);
  EXPECT_EQ(fcntl(other_fd, F_GETFD), -1) << "the replaced descriptor was not closed";
}

// ---- the firewall mark at work ----

// Two TUN devices stand in for the tunnel and the wire: table 199 routes the remote prefix into
// the tunnel TUN and "not fwmark 0xc7 lookup 199" applies it to unmarked traffic, while the main
// table routes the same prefix to the wire TUN. The daemon's marked sockets must leave by the
// wire; an unmarked application's traffic by the tunnel.
struct MarkCase {
  const char* name;
  const char* wire_address;
  const char* tunnel_address;
  std::uint8_t prefix_length;
  const char* remote_prefix;
  const char* remote;
  const char* any;
};
void PrintTo(const MarkCase& c, std::ostream* out) {
  *out << c.name;
}

class MarkedSockets : public ::testing::TestWithParam<MarkCase> {};

TEST_P(MarkedSockets, BypassTheTunnelTable) {
  CYGNET_REQUIRE_FRESH_NETNS();
  const MarkCase& c = GetParam();
  TunDevice wire_tun = TunDevice::open("cyg-wire", 1500);
  TunDevice tunnel_tun = TunDevice::open("cyg-tunnel", 1400);
  Netlink netlink;
  const IpAddress wire_address = address(c.wire_address);
  const IpAddress tunnel_address = address(c.tunnel_address);
  const IpAddress remote = address(c.remote);
  netlink.add_address(wire_tun.ifindex(), wire_address, c.prefix_length);
  netlink.add_address(tunnel_tun.ifindex(), tunnel_address, c.prefix_length);
  netlink.add_route({prefix(c.remote_prefix), wire_tun.ifindex(), std::nullopt, 254});
  netlink.add_route({prefix(c.remote_prefix), tunnel_tun.ifindex(), tunnel_address, 199});
  RuleSpec rule;
  rule.family = remote.family();
  rule.priority = 100;
  rule.table = 199;
  rule.fwmark = kDefaultFwmark;
  rule.invert = true;
  netlink.add_rule(rule);

  UdpSocket marked = UdpSocket::bind(address(c.any), 0, kDefaultFwmark);
  UdpSocket unmarked = UdpSocket::bind(address(c.any), 0, 0);
  ASSERT_TRUE(marked.send(test::bytes_of("IKE"), address(c.any), {remote, 500}));
  ASSERT_TRUE(unmarked.send(test::bytes_of("app"), address(c.any), {remote, 500}));
  auto on_wire = test::read_tun_until(wire_tun, test::packet_to(remote, wire::ip_protocol::kUdp));
  auto in_tunnel = test::read_tun_until(tunnel_tun, test::packet_to(remote, wire::ip_protocol::kUdp));
  ASSERT_TRUE(on_wire && in_tunnel);
  auto wire_info = wire::parse_ip_packet(*on_wire);
  auto tunnel_info = wire::parse_ip_packet(*in_tunnel);
  ASSERT_TRUE(wire_info && tunnel_info);
  EXPECT_EQ(wire_info->source, wire_address);
  EXPECT_EQ(wire_info->source_port, marked.port());
  EXPECT_EQ(test::udp_payload(*on_wire, *wire_info), test::bytes_of("IKE"));
  EXPECT_EQ(tunnel_info->source, tunnel_address);
  EXPECT_EQ(tunnel_info->source_port, unmarked.port());

  // ESP through the marked raw socket leaves by the wire too, exactly as built.
  RawIpSocket raw = RawIpSocket::open(remote.family(), 50, kDefaultFwmark);
  const RawCase esp{"", remote.family(), 50, c.wire_address, c.remote};
  const Bytes packet = build_raw_packet(esp, 64, 0);
  ASSERT_TRUE(raw.send(packet)) << test::errno_text();
  auto esp_on_wire = test::read_tun_until(wire_tun, test::packet_to(remote, 50));
  ASSERT_TRUE(esp_on_wire.has_value());
  EXPECT_EQ(to_hex(*esp_on_wire), to_hex(packet));
}

INSTANTIATE_TEST_SUITE_P(Families, MarkedSockets,
                         ::testing::Values(MarkCase{"IPv4", "192.0.2.1", "198.51.100.1", 24, "203.0.113.0/24",
                                                    "203.0.113.9", "0.0.0.0"},
                                           MarkCase{"IPv6", "2001:db8:1::1", "2001:db8:3::1", 64,
                                                    "2001:db8:2::/64", "2001:db8:2::9", "::"}),
                         [](const auto& instance) { return std::string(instance.param.name); });

}  // namespace
}  // namespace cygnet::daemon
