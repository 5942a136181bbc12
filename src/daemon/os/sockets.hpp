// The daemon's network sockets: UDP for IKE (500) and NAT traversal (4500, IKE and ESP-in-UDP),
// and raw IP sockets for ESP (protocol 50) and AH (51). Every socket carries the daemon's firewall
// mark, so its packets skip the routing table that sends tunnelled traffic into the TUN device.
// All sockets are non-blocking; errors at set-up throw std::system_error naming what failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::daemon {

// The default firewall mark of the daemon's own packets (any value works; strongSwan uses
// routing table 220, so we mark with 0xc7 = 199 and route from table 199).
inline constexpr std::uint32_t kDefaultFwmark = 0xc7;

struct UdpEndpoint {
  wire::IpAddress address;
  std::uint16_t port = 0;
};

struct ReceivedDatagram {
  std::size_t length = 0;
  UdpEndpoint local;  // the address it was sent to (IP_PKTINFO / IPV6_PKTINFO) and our port
  UdpEndpoint remote;
};

class UdpSocket {
 public:
  // Binds `address` (the any-address of a family for every local address) and `port`, sets
  // SO_REUSEADDR, SO_MARK = fwmark (when non-zero), IP(V6)_PKTINFO reception, IPV6_V6ONLY for
  // IPv6, and O_NONBLOCK.
  static UdpSocket bind(const wire::IpAddress& address, std::uint16_t port, std::uint32_t fwmark);

  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int fd() const { return fd_; }
  wire::IpFamily family() const { return family_; }
  std::uint16_t port() const { return port_; }

  // One datagram, or nullopt when none is waiting (EAGAIN). Throws std::system_error otherwise.
  // A datagram longer than `buffer` is dropped, counted in truncated_drops(), and the next
  // waiting one is read instead: a peer cannot make us process a cut-off message.
  std::optional<ReceivedDatagram> receive(MutableByteView buffer);
  // Sends from `source` (IP_PKTINFO / IPV6_PKTINFO; the any-address lets the kernel choose) to
  // `destination`. False (errno kept) on failure; never throws.
  // A source or destination of the other family fails with EAFNOSUPPORT.
  bool send(ByteView payload, const wire::IpAddress& source, const UdpEndpoint& destination);

  // Datagrams receive() dropped because they did not fit the caller's buffer.
  std::uint64_t truncated_drops() const { return truncated_drops_; }

 private:
  UdpSocket(int fd, wire::IpFamily family, std::uint16_t port) : fd_(fd), family_(family), port_(port) {}
  int fd_ = -1;
  wire::IpFamily family_ = wire::IpFamily::V4;
  std::uint16_t port_ = 0;  // the bound port (the kernel's choice when bind() was given 0)
  std::uint64_t truncated_drops_ = 0;
};

// A raw socket receiving one IP protocol (50 = ESP or 51 = AH) of one family, and sending
// complete IP packets whose header we built (IP_HDRINCL for IPv4; IPPROTO_RAW semantics for
// IPv6), so tunnel-mode outer headers and AH's ICV over them reach the wire unchanged.
class RawIpSocket {
 public:
  static RawIpSocket open(wire::IpFamily family, std::uint8_t protocol, std::uint32_t fwmark);
  // Only the sending half (IPPROTO_RAW, which receives nothing): what a data-plane worker sends
  // with, since a receiving raw socket per worker would get a copy of every ESP/AH packet.
  // receive_fd() is -1.
  static RawIpSocket open_sender(wire::IpFamily family, std::uint32_t fwmark);

  RawIpSocket(RawIpSocket&& other) noexcept;
  RawIpSocket& operator=(RawIpSocket&& other) noexcept;
  RawIpSocket(const RawIpSocket&) = delete;
  RawIpSocket& operator=(const RawIpSocket&) = delete;
  ~RawIpSocket();

  int receive_fd() const { return receive_fd_; }
  int send_fd() const { return send_fd_; }  // header included (for batched sends)
  wire::IpFamily family() const { return family_; }
  std::uint8_t protocol() const { return protocol_; }

  // One received packet as a complete IP packet starting at buffer[0]: IPv4 raw sockets deliver
  // the header; for IPv6 the kernel strips it, so a 40-byte header is rebuilt from the source
  // address and the destination (IPV6_PKTINFO) in front of the payload. nullopt on EAGAIN.
  // The rebuilt header has hop limit 64, the received traffic class (IPV6_RECVTCLASS, so ECN
  // survives) and flow label 0; extension headers before the ESP/AH header are not restored.
  // A packet longer than `buffer` (header included) is dropped, counted in truncated_drops(),
  // and the next waiting one is read instead.
  std::optional<std::size_t> receive(MutableByteView buffer);
  // Sends a complete IP packet (header included) to its destination address. False on failure:
  // EINVAL for a packet too short for its header or of the wrong IP version; EMSGSIZE from the
  // kernel when it exceeds the route's MTU (header-included packets are never fragmented).
  bool send(ByteView ip_packet);

  // Packets receive() dropped because they did not fit the caller's buffer.
  std::uint64_t truncated_drops() const { return truncated_drops_; }

  // For a socket opened for ICMP (1) or ICMPv6 (58): let the kernel pass only Destination
  // Unreachable (IPv4: ICMP_FILTER) or Packet Too Big (IPv6: ICMP6_FILTER), so the daemon never
  // wakes for echo traffic or neighbour discovery. Throws std::system_error on failure.
  void accept_only_too_big();

 private:
  RawIpSocket(int receive_fd, int send_fd, wire::IpFamily family, std::uint8_t protocol)
      : receive_fd_(receive_fd), send_fd_(send_fd), family_(family), protocol_(protocol) {}
  int receive_fd_ = -1;  // socket(family, SOCK_RAW, protocol)
  int send_fd_ = -1;     // socket(family, SOCK_RAW, IPPROTO_RAW): header included
  wire::IpFamily family_ = wire::IpFamily::V4;
  std::uint8_t protocol_ = 0;
  std::uint64_t truncated_drops_ = 0;
};

// The MTU of the route toward `peer` as the kernel sees it for a socket with `fwmark` (the main
// table, as our ESP packets take): IP_MTU / IPV6_MTU of a connected UDP socket, which includes a
// path MTU the kernel itself learned. nullopt when there is no route or the query fails.
std::optional<std::uint32_t> route_mtu_toward(const wire::IpAddress& peer, std::uint32_t fwmark);

}  // namespace cygnet::daemon
