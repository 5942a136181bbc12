#include "wire/ip_packet.hpp"

#include <algorithm>

#include "wire/byte_reader.hpp"

namespace cygnet::wire {

namespace {

constexpr std::uint16_t kIpv4DontFragment = 0x4000;
constexpr std::uint16_t kIpv4MoreFragments = 0x2000;
constexpr std::uint16_t kIpv4FragmentOffsetMask = 0x1FFF;
constexpr std::size_t kIpv6FragmentHeaderLength = 8;
constexpr std::uint8_t kSctp = 132;

// Fills the port selectors from the upper-layer header at `offset`, if `end` leaves room for it.
// `icmp_protocol` is ICMP for IPv4 and ICMPv6 for IPv6.
void fill_ports(ByteView packet, std::size_t offset, std::size_t end, std::uint8_t icmp_protocol,
                IpPacketInfo& info) {
  if (offset > end) return;
  const std::size_t available = end - offset;
  const std::uint8_t* p = packet.data() + offset;
  switch (info.protocol) {
    case ip_protocol::kTcp:
    case ip_protocol::kUdp:
    case kSctp:
      if (available >= 4) {
        info.source_port = load_be16(p);
        info.destination_port = load_be16(p + 2);
      }
      return;
    default:
      if (info.protocol == icmp_protocol && available >= 2) {
        info.source_port = p[0];       // type
        info.destination_port = p[1];  // code
      }
      return;
  }
}

std::optional<IpPacketInfo> parse_ipv4(ByteView packet) {
  if (packet.size() < kIpv4MinHeaderLength) return std::nullopt;
  const std::uint8_t* p = packet.data();
  const std::size_t header_length = std::size_t{p[0] & 0x0Fu} * 4;
  if (header_length < kIpv4MinHeaderLength || header_length > packet.size()) return std::nullopt;
  const std::size_t total_length = load_be16(p + 2);
  if (total_length < header_length || total_length > packet.size()) return std::nullopt;

  IpPacketInfo info;
  info.family = IpFamily::V4;
  info.source = IpAddress::v4(packet.subspan(12, 4));
  info.destination = IpAddress::v4(packet.subspan(16, 4));
  info.total_length = total_length;
  info.header_length = header_length;
  info.next_header_offset = 9;
  info.protocol = p[9];
  const std::uint16_t fragment = load_be16(p + 6);
  const std::uint16_t fragment_offset = fragment & kIpv4FragmentOffsetMask;
  info.is_fragment = (fragment & kIpv4MoreFragments) != 0 || fragment_offset != 0;
  // Only the first fragment carries the upper-layer header (RFC 4301 §7).
  if (fragment_offset == 0)
    fill_ports(packet, header_length, total_length, ip_protocol::kIcmp, info);
  return info;
}

bool is_ipv6_extension_before_payload(std::uint8_t next_header) {
  return next_header == ip_protocol::kHopByHop || next_header == ip_protocol::kRouting ||
         next_header == ip_protocol::kFragment || next_header == ip_protocol::kDestinationOptions;
}

std::optional<IpPacketInfo> parse_ipv6(ByteView packet) {
  if (packet.size() < kIpv6HeaderLength) return std::nullopt;
  const std::uint8_t* p = packet.data();
  const std::size_t total_length = kIpv6HeaderLength + load_be16(p + 4);
  if (total_length > packet.size()) return std::nullopt;

  IpPacketInfo info;
  info.family = IpFamily::V6;
  info.source = IpAddress::v6(packet.subspan(8, 16));
  info.destination = IpAddress::v6(packet.subspan(24, 16));
  info.total_length = total_length;

  std::size_t offset = kIpv6HeaderLength;
  std::size_t next_header_offset = 6;
  std::uint8_t next_header = p[6];
  bool first_fragment_or_whole = true;
  // Each extension header is at least 8 bytes and must lie within total_length, so this ends.
  while (is_ipv6_extension_before_payload(next_header)) {
    // Hop-by-hop options may only follow the IPv6 header directly (RFC 8200 §4.1).
    if (next_header == ip_protocol::kHopByHop && offset != kIpv6HeaderLength) return std::nullopt;
    if (total_length - offset < 2) return std::nullopt;
    const std::uint8_t* ext = p + offset;
    const bool is_fragment_header = next_header == ip_protocol::kFragment;
    const std::size_t length =
        is_fragment_header ? kIpv6FragmentHeaderLength : (std::size_t{ext[1]} + 1) * 8;
    if (total_length - offset < length) return std::nullopt;
    next_header_offset = offset;
    next_header = ext[0];
    offset += length;
    if (is_fragment_header) {
      info.is_fragment = true;
      const std::uint16_t fragment_offset = load_be16(ext + 2) >> 3;
      if (fragment_offset != 0) {
        // A later fragment: what follows is a slice of the fragmented payload, not a header.
        first_fragment_or_whole = false;
        break;
      }
    }
  }
  info.header_length = offset;
  info.next_header_offset = next_header_offset;
  info.protocol = next_header;
  if (first_fragment_or_whole) fill_ports(packet, offset, total_length, ip_protocol::kIcmpv6, info);
  return info;
}

}  // namespace

std::optional<IpPacketInfo> parse_ip_packet(ByteView packet) {
  if (packet.empty()) return std::nullopt;
  switch (packet[0] >> 4) {
    case 4:
      return parse_ipv4(packet);
    case 6:
      return parse_ipv6(packet);
    default:
      return std::nullopt;
  }
}

namespace {

// One's-complement sum of big-endian 16-bit words (odd trailing byte padded with zero), folded.
std::uint16_t ones_complement_sum(ByteView data) {
  std::uint64_t sum = 0;
  const std::size_t even = data.size() & ~std::size_t{1};
  const std::uint8_t* p = data.data();
  for (std::size_t i = 0; i < even; i += 2) sum += load_be16(p + i);
  if (even != data.size()) sum += std::uint64_t{p[even]} << 8;
  while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

}  // namespace

std::uint16_t internet_checksum(ByteView data) {
  return static_cast<std::uint16_t>(~ones_complement_sum(data));
}

bool write_ipv4_header(MutableByteView out, const Ipv4HeaderFields& fields) {
  if (out.size() < kIpv4MinHeaderLength) return false;
  if (!fields.source.is_v4() || !fields.destination.is_v4()) return false;
  std::uint8_t* p = out.data();
  p[0] = 0x45;  // version 4, IHL 5
  p[1] = fields.dscp_ecn;
  store_be16(p + 2, fields.total_length);
  store_be16(p + 4, fields.identification);
  store_be16(p + 6, fields.dont_fragment ? kIpv4DontFragment : 0);
  p[8] = fields.ttl;
  p[9] = fields.protocol;
  store_be16(p + 10, 0);
  std::copy_n(fields.source.bytes().begin(), 4, p + 12);
  std::copy_n(fields.destination.bytes().begin(), 4, p + 16);
  store_be16(p + 10, internet_checksum(ByteView(p, kIpv4MinHeaderLength)));
  return true;
}

bool write_ipv6_header(MutableByteView out, const Ipv6HeaderFields& fields) {
  if (out.size() < kIpv6HeaderLength) return false;
  if (fields.source.is_v4() || fields.destination.is_v4()) return false;
  std::uint8_t* p = out.data();
  const std::uint32_t flow = fields.flow_label & 0xFFFFFu;
  store_be32(p, (std::uint32_t{6} << 28) | (std::uint32_t{fields.traffic_class} << 20) | flow);
  store_be16(p + 4, fields.payload_length);
  p[6] = fields.next_header;
  p[7] = fields.hop_limit;
  std::copy_n(fields.source.bytes().begin(), 16, p + 8);
  std::copy_n(fields.destination.bytes().begin(), 16, p + 24);
  return true;
}

void update_ip_length(MutableByteView packet, IpFamily family, std::size_t new_total_length) {
  if (family == IpFamily::V4) {
    if (packet.size() < kIpv4MinHeaderLength) return;
    const std::size_t header_length = std::size_t{packet[0] & 0x0Fu} * 4;
    if (header_length < kIpv4MinHeaderLength || header_length > packet.size()) return;
    if (new_total_length < header_length || new_total_length > 0xFFFF) return;
    std::uint8_t* p = packet.data();
    store_be16(p + 2, static_cast<std::uint16_t>(new_total_length));
    store_be16(p + 10, 0);
    store_be16(p + 10, internet_checksum(ByteView(p, header_length)));
  } else {
    if (packet.size() < kIpv6HeaderLength) return;
    if (new_total_length < kIpv6HeaderLength || new_total_length - kIpv6HeaderLength > 0xFFFF)
      return;
    store_be16(packet.data() + 4, static_cast<std::uint16_t>(new_total_length - kIpv6HeaderLength));
  }
}

}  // namespace cygnet::wire
