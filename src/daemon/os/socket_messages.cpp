#include "daemon/os/socket_messages.hpp"

#include <netinet/udp.h>

#include <algorithm>

#include "wire/ip_packet.hpp"

namespace cygnet::daemon {

namespace {

constexpr std::uint8_t kRebuiltHopLimit = 64;
constexpr std::size_t kMaxIpv6Payload = 0xffff;  // no jumbograms

}  // namespace

bool is_any_address(const wire::IpAddress& address) {
  const ByteView bytes = address.bytes();
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

socklen_t fill_socket_address(sockaddr_storage& storage, const wire::IpAddress& address, std::uint16_t port) {
  storage = sockaddr_storage{};
  if (address.is_v4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, address.bytes().data(), 4);
    std::memcpy(&storage, &in, sizeof in);
    return sizeof in;
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  std::memcpy(&in6.sin6_addr, address.bytes().data(), 16);
  std::memcpy(&storage, &in6, sizeof in6);
  return sizeof in6;
}

UdpEndpoint endpoint_of(const sockaddr_storage& storage) {
  UdpEndpoint out;
  if (storage.ss_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, &storage, sizeof in);
    out.address = wire::IpAddress::v4(ByteView(reinterpret_cast<const std::uint8_t*>(&in.sin_addr), 4));
    out.port = ntohs(in.sin_port);
  } else if (storage.ss_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &storage, sizeof in6);
    out.address = wire::IpAddress::v6(ByteView(in6.sin6_addr.s6_addr, 16));
    out.port = ntohs(in6.sin6_port);
  }
  return out;
}

ReceivedControl read_control_messages(msghdr& message) {
  ReceivedControl facts;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    const std::size_t length = c->cmsg_len - CMSG_LEN(0);
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && length >= sizeof(in_pktinfo)) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      // ipi_addr is the header's destination; ipi_spec_dst the local address routing chose.
      facts.destination =
          wire::IpAddress::v4(ByteView(reinterpret_cast<const std::uint8_t*>(&info.ipi_addr), 4));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               length >= sizeof(in6_pktinfo)) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      facts.destination = wire::IpAddress::v6(ByteView(info.ipi6_addr.s6_addr, 16));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS && length >= sizeof(int)) {
      int traffic_class = 0;
      std::memcpy(&traffic_class, CMSG_DATA(c), sizeof traffic_class);
      facts.traffic_class = static_cast<std::uint8_t>(traffic_class);
    } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      // An int on Linux; a u16 on some paths of older kernels: read what is there.
      if (length >= sizeof(int)) {
        int size = 0;
        std::memcpy(&size, CMSG_DATA(c), sizeof size);
        facts.gro_size = size > 0 ? static_cast<std::size_t>(size) : 0;
      } else if (length >= sizeof(std::uint16_t)) {
        std::uint16_t size = 0;
        std::memcpy(&size, CMSG_DATA(c), sizeof size);
        facts.gro_size = size;
      }
    }
  }
  return facts;
}

std::size_t add_source_address(msghdr& message, std::size_t offset, const wire::IpAddress& source) {
  if (is_any_address(source)) return offset;
  if (source.is_v4()) {
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, source.bytes().data(), 4);
    return add_control_message(message, offset, IPPROTO_IP, IP_PKTINFO, info);
  }
  in6_pktinfo info{};
  std::memcpy(&info.ipi6_addr, source.bytes().data(), 16);
  return add_control_message(message, offset, IPPROTO_IPV6, IPV6_PKTINFO, info);
}

bool rebuild_ipv6_header(MutableByteView header, const sockaddr_storage& sender,
                         const ReceivedControl& control, std::uint8_t protocol, std::size_t payload_length) {
  const UdpEndpoint from = endpoint_of(sender);
  if (!control.destination || from.address.is_v4() || payload_length > kMaxIpv6Payload) return false;
  wire::Ipv6HeaderFields fields;
  fields.source = from.address;
  fields.destination = *control.destination;
  fields.next_header = protocol;
  fields.payload_length = static_cast<std::uint16_t>(payload_length);
  fields.hop_limit = kRebuiltHopLimit;
  fields.traffic_class = control.traffic_class;
  return wire::write_ipv6_header(header.first(wire::kIpv6HeaderLength), fields);
}

}  // namespace cygnet::daemon
