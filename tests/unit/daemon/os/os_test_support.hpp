// Shared by the daemon/os tests: a private network namespace per test, waiting for a descriptor,
// and hand-built IPv4/IPv6 UDP packets. Only loopback and documentation addresses are used.
#pragma once

#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "base/bytes.hpp"
#include "daemon/os/netlink.hpp"
#include "daemon/os/tun_device.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::daemon::test {

// Moves this process into a new, empty network namespace and brings `lo` up in it. Returns why
// that was impossible (not root / no CAP_SYS_ADMIN), or "" on success. gtest_discover_tests runs
// every test in its own process; run as one binary, each test simply gets the next namespace.
inline std::string enter_fresh_network_namespace() {
  if (::unshare(CLONE_NEWNET) != 0) {
    return std::string("creating a network namespace needs root (CAP_SYS_ADMIN/CAP_NET_ADMIN): ") +
           std::generic_category().message(errno);
  }
  Netlink netlink;
  netlink.set_link_up(netlink.ifindex_of("lo"));
  return {};
}

// errno in words, for failure messages (std::strerror is not thread-safe).
inline std::string errno_text() {
  return std::generic_category().message(errno);
}

// Skips the calling test when it cannot have a namespace of its own.
#define CYGNET_REQUIRE_FRESH_NETNS()                                                               \
  do {                                                                                             \
    const std::string netns_unavailable = ::cygnet::daemon::test::enter_fresh_network_namespace(); \
    if (!netns_unavailable.empty()) GTEST_SKIP() << netns_unavailable;                             \
  } while (0)

// True once `fd` is readable, false after `timeout_ms`.
inline bool wait_readable(int fd, int timeout_ms = 2000) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, timeout_ms) == 1 && (entry.revents & POLLIN) != 0;
}

inline wire::IpAddress address(std::string_view text) {
  auto parsed = wire::IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(wire::IpAddress{});
}

inline wire::IpPrefix prefix(std::string_view text) {
  auto parsed = wire::IpPrefix::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(wire::IpPrefix{});
}

// Interface flags and MTU through the classic ioctls, independent of the code under test.
inline std::optional<ifreq> interface_request(const std::string& name, unsigned long request) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  ifreq query{};
  std::strncpy(query.ifr_name, name.c_str(), IFNAMSIZ - 1);
  const int result = ::ioctl(fd, request, &query);
  ::close(fd);
  if (result < 0) return std::nullopt;
  return query;
}
inline int interface_mtu(const std::string& name) {
  auto answer = interface_request(name, SIOCGIFMTU);
  return answer ? answer->ifr_mtu : -1;
}
inline bool interface_is_up(const std::string& name) {
  auto answer = interface_request(name, SIOCGIFFLAGS);
  return answer && (answer->ifr_flags & IFF_UP) != 0;
}

inline void put16(Bytes& out, std::size_t at, std::uint16_t value) {
  out[at] = static_cast<std::uint8_t>(value >> 8);
  out[at + 1] = static_cast<std::uint8_t>(value);
}

// A complete IPv4 or IPv6 UDP packet with correct checksums (IPv6 requires the UDP one).
inline Bytes build_udp_packet(const wire::IpAddress& source, std::uint16_t source_port,
                              const wire::IpAddress& destination, std::uint16_t destination_port,
                              ByteView payload) {
  const bool v4 = source.is_v4();
  const std::size_t header = v4 ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength;
  const std::size_t udp_length = 8 + payload.size();
  Bytes packet(header + udp_length);
  if (v4) {
    wire::Ipv4HeaderFields fields;
    fields.source = source;
    fields.destination = destination;
    fields.protocol = wire::ip_protocol::kUdp;
    fields.total_length = static_cast<std::uint16_t>(packet.size());
    fields.identification = 0x1234;
    EXPECT_TRUE(wire::write_ipv4_header(packet, fields));
  } else {
    wire::Ipv6HeaderFields fields;
    fields.source = source;
    fields.destination = destination;
    fields.next_header = wire::ip_protocol::kUdp;
    fields.payload_length = static_cast<std::uint16_t>(udp_length);
    EXPECT_TRUE(wire::write_ipv6_header(packet, fields));
  }
  put16(packet, header, source_port);
  put16(packet, header + 2, destination_port);
  put16(packet, header + 4, static_cast<std::uint16_t>(udp_length));
  std::copy(payload.begin(), payload.end(), packet.begin() + static_cast<std::ptrdiff_t>(header + 8));
  // Checksum over the pseudo-header (addresses, protocol, UDP length) and the UDP datagram.
  Bytes pseudo;
  pseudo.insert(pseudo.end(), source.bytes().begin(), source.bytes().end());
  pseudo.insert(pseudo.end(), destination.bytes().begin(), destination.bytes().end());
  pseudo.insert(pseudo.end(), {0, wire::ip_protocol::kUdp, static_cast<std::uint8_t>(udp_length >> 8),
                               static_cast<std::uint8_t>(udp_length)});
  pseudo.insert(pseudo.end(), packet.begin() + static_cast<std::ptrdiff_t>(header), packet.end());
  std::uint16_t checksum = wire::internet_checksum(pseudo);
  if (checksum == 0) checksum = 0xffff;
  put16(packet, header + 6, checksum);
  return packet;
}

// The UDP payload of a packet parsed by wire::parse_ip_packet.
inline Bytes udp_payload(ByteView packet, const wire::IpPacketInfo& info) {
  const std::size_t start = info.header_length + 8;
  if (info.protocol != wire::ip_protocol::kUdp || info.total_length < start) return {};
  return Bytes(packet.begin() + static_cast<std::ptrdiff_t>(start),
               packet.begin() + static_cast<std::ptrdiff_t>(info.total_length));
}

inline Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

// Reads packets from a TUN until one satisfies `wanted` (the kernel also sends IPv6 MLD reports
// and router solicitations into a fresh TUN), or gives up after about five seconds.
template <typename Predicate>
std::optional<Bytes> read_tun_until(TunDevice& tun, Predicate wanted) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (!wait_readable(tun.fd(), 100)) continue;
    Bytes buffer(4096);
    while (auto length = tun.read(buffer)) {
      Bytes packet(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*length));
      if (wanted(packet)) return packet;
    }
  }
  return std::nullopt;
}

// Matches the packet of `protocol` a test sent to `destination`.
inline auto packet_to(const wire::IpAddress& destination, std::uint8_t protocol) {
  return [destination, protocol](const Bytes& packet) {
    auto info = wire::parse_ip_packet(packet);
    return info && info->protocol == protocol && info->destination == destination;
  };
}

}  // namespace cygnet::daemon::test
