// The msghdr plumbing the single (os/sockets.cpp) and the batched (socket_batch_io.cpp) socket
// calls share: socket addresses to and from IpAddress, the control messages of a received
// message (pktinfo, IPv6 traffic class, UDP GRO size), the control messages of one to send
// (source pktinfo, UDP GSO segment size), and the IPv6 header a raw socket strips and we rebuild.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "base/bytes.hpp"
#include "daemon/os/sockets.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::daemon {

bool is_any_address(const wire::IpAddress& address);

// Writes `address`:`port` as sockaddr_in or sockaddr_in6 into `storage`; returns its length.
socklen_t fill_socket_address(sockaddr_storage& storage, const wire::IpAddress& address, std::uint16_t port);
// The address and port in a sockaddr the kernel filled in (msg_name, getsockname); an empty
// endpoint for a family other than IPv4/IPv6.
UdpEndpoint endpoint_of(const sockaddr_storage& storage);

// What the control messages of one received message said.
struct ReceivedControl {
  std::optional<wire::IpAddress> destination;  // IP_PKTINFO / IPV6_PKTINFO: the header's destination
  std::uint8_t traffic_class = 0;              // IPV6_TCLASS
  std::size_t gro_size = 0;                    // UDP_GRO: the size of the datagrams of an aggregate
};
ReceivedControl read_control_messages(msghdr& message);

// Appends a control message at `offset` bytes into message.msg_control (which must have room);
// returns the offset after it.
template <typename T>
std::size_t add_control_message(msghdr& message, std::size_t offset, int level, int type, const T& value) {
  auto* header = reinterpret_cast<cmsghdr*>(static_cast<std::uint8_t*>(message.msg_control) + offset);
  header->cmsg_level = level;
  header->cmsg_type = type;
  header->cmsg_len = CMSG_LEN(sizeof value);
  std::memcpy(CMSG_DATA(header), &value, sizeof value);
  return offset + CMSG_SPACE(sizeof value);
}
// The source address as IP_PKTINFO / IPV6_PKTINFO (interface 0: routing picks the device); the
// any-address adds nothing (the kernel chooses). Returns the offset after it.
std::size_t add_source_address(msghdr& message, std::size_t offset, const wire::IpAddress& source);

// IPv6 raw sockets deliver the payload only: writes the 40-byte header in front of it into
// `header` from the sender (msg_name), the destination (IPV6_PKTINFO) and the traffic class
// (IPV6_TCLASS, so ECN survives), hop limit 64, flow label 0. False when the message cannot be
// rebuilt (no destination, an IPv4 sender, a payload over 65,535 bytes).
bool rebuild_ipv6_header(MutableByteView header, const sockaddr_storage& sender,
                         const ReceivedControl& control, std::uint8_t protocol, std::size_t payload_length);

}  // namespace cygnet::daemon
