#include "wire/icmp_too_big.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::wire {

namespace {

constexpr std::uint8_t kErrorTtl = 64;

bool is_icmpv4_error(std::uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;  // RFC 792 error types
}

bool is_unanswerable_source(const IpAddress& source) {
  ByteView b = source.bytes();
  if (source.is_v4()) {
    const bool unspecified = b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0;
    const bool broadcast = b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255;
    const bool multicast = (b[0] & 0xF0) == 0xE0;
    return unspecified || broadcast || multicast;
  }
  const bool unspecified = std::all_of(b.begin(), b.end(), [](std::uint8_t v) { return v == 0; });
  return unspecified || b[0] == 0xFF;
}

// ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 §8.1) and the message.
std::uint16_t icmpv6_checksum(const IpAddress& source, const IpAddress& destination, ByteView message) {
  std::array<std::uint8_t, 40> pseudo{};
  std::memcpy(pseudo.data(), source.bytes().data(), 16);
  std::memcpy(pseudo.data() + 16, destination.bytes().data(), 16);
  store_be32(pseudo.data() + 32, static_cast<std::uint32_t>(message.size()));
  pseudo[39] = ip_protocol::kIcmpv6;
  // Both parts have even length, so their folded sums add up (RFC 1071 §2 (B)).
  const std::uint32_t a = static_cast<std::uint16_t>(~internet_checksum(pseudo));
  const std::uint32_t b = static_cast<std::uint16_t>(~internet_checksum(message));
  std::uint32_t sum = a + b;
  while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

}  // namespace

bool may_answer_with_icmp_error(ByteView ip_packet) {
  auto info = parse_ip_packet(ip_packet);
  if (!info) return false;
  if (is_unanswerable_source(info->source)) return false;
  if (info->family == IpFamily::V4) {
    const std::uint16_t offset = load_be16(ip_packet.data() + 6) & 0x1FFF;
    if (offset != 0) return false;
    if (info->protocol == ip_protocol::kIcmp && info->header_length < info->total_length &&
        is_icmpv4_error(ip_packet[info->header_length])) {
      return false;
    }
    return true;
  }
  // IPv6: the walk stops after a non-first fragment's header with its protocol unknown (0 ports).
  if (info->is_fragment && info->protocol == ip_protocol::kFragment) return false;
  if (info->protocol == ip_protocol::kIcmpv6 && info->header_length < info->total_length &&
      ip_packet[info->header_length] < 128) {
    return false;  // ICMPv6 error messages have types 0-127 (RFC 4443 §2.1)
  }
  return true;
}

std::size_t build_icmp_too_big(MutableByteView out, const IpAddress& source, ByteView offending_packet,
                               std::uint32_t mtu) {
  auto info = parse_ip_packet(offending_packet);
  if (!info || source.family() != info->family) return 0;
  const bool v4 = info->family == IpFamily::V4;
  const std::size_t ip_header = v4 ? kIpv4MinHeaderLength : kIpv6HeaderLength;
  const std::size_t limit = v4 ? icmp::kV4ErrorMaxLength : icmp::kV6ErrorMaxLength;
  const std::size_t quote = std::min(info->total_length, limit - ip_header - icmp::kHeaderLength);
  const std::size_t total = ip_header + icmp::kHeaderLength + quote;
  if (out.size() < total) return 0;
  std::uint8_t* p = out.data();
  std::uint8_t* message = p + ip_header;
  std::memmove(message + icmp::kHeaderLength, offending_packet.data(), quote);
  if (v4) {
    message[0] = icmp::kV4DestinationUnreachable;
    message[1] = icmp::kV4FragmentationNeeded;
    store_be16(message + 2, 0);
    store_be16(message + 4, 0);  // unused (RFC 1191 §4)
    store_be16(message + 6, static_cast<std::uint16_t>(std::min<std::uint32_t>(mtu, 0xFFFF)));
    store_be16(message + 2, internet_checksum(ByteView(message, icmp::kHeaderLength + quote)));
    Ipv4HeaderFields h;
    h.source = source;
    h.destination = info->source;
    h.protocol = ip_protocol::kIcmp;
    h.total_length = static_cast<std::uint16_t>(total);
    h.ttl = kErrorTtl;
    write_ipv4_header(MutableByteView(p, ip_header), h);
  } else {
    message[0] = icmp::kV6PacketTooBig;
    message[1] = 0;
    store_be16(message + 2, 0);
    store_be32(message + 4, mtu);
    store_be16(message + 2,
               icmpv6_checksum(source, info->source, ByteView(message, icmp::kHeaderLength + quote)));
    Ipv6HeaderFields h;
    h.source = source;
    h.destination = info->source;
    h.next_header = ip_protocol::kIcmpv6;
    h.payload_length = static_cast<std::uint16_t>(icmp::kHeaderLength + quote);
    h.hop_limit = kErrorTtl;
    write_ipv6_header(MutableByteView(p, ip_header), h);
  }
  return total;
}

std::optional<ReceivedTooBig> parse_icmp_too_big(ByteView ip_packet) {
  if (ip_packet.empty()) return std::nullopt;
  ReceivedTooBig r;
  std::size_t message_offset = 0;
  std::size_t end = 0;
  if (ip_packet[0] >> 4 == 4) {
    if (ip_packet.size() < kIpv4MinHeaderLength) return std::nullopt;
    message_offset = std::size_t{ip_packet[0] & 0x0Fu} * 4;
    end = std::min<std::size_t>(load_be16(ip_packet.data() + 2), ip_packet.size());
    if (message_offset < kIpv4MinHeaderLength || ip_packet[9] != ip_protocol::kIcmp) return std::nullopt;
    r.family = IpFamily::V4;
  } else if (ip_packet[0] >> 4 == 6) {
    if (ip_packet.size() < kIpv6HeaderLength || ip_packet[6] != ip_protocol::kIcmpv6) return std::nullopt;
    message_offset = kIpv6HeaderLength;
    end = std::min<std::size_t>(kIpv6HeaderLength + load_be16(ip_packet.data() + 4), ip_packet.size());
    r.family = IpFamily::V6;
  } else {
    return std::nullopt;
  }
  if (end < message_offset + icmp::kHeaderLength) return std::nullopt;
  const std::uint8_t* m = ip_packet.data() + message_offset;
  const ByteView quoted(m + icmp::kHeaderLength, end - message_offset - icmp::kHeaderLength);
  if (r.family == IpFamily::V4) {
    if (m[0] != icmp::kV4DestinationUnreachable || m[1] != icmp::kV4FragmentationNeeded) return std::nullopt;
    r.mtu = load_be16(m + 6);
    if (quoted.size() < kIpv4MinHeaderLength || quoted[0] >> 4 != 4) return std::nullopt;
    const std::size_t quoted_header = std::size_t{quoted[0] & 0x0Fu} * 4;
    if (quoted_header < kIpv4MinHeaderLength || quoted_header > quoted.size()) return std::nullopt;
    r.quoted_protocol = quoted[9];
    r.quoted_total_length = load_be16(quoted.data() + 2);
    r.quoted_source = IpAddress::v4(quoted.subspan(12, 4));
    r.quoted_destination = IpAddress::v4(quoted.subspan(16, 4));
    r.quoted_payload = quoted.subspan(quoted_header);
  } else {
    if (m[0] != icmp::kV6PacketTooBig || m[1] != 0) return std::nullopt;
    r.mtu = load_be32(m + 4);
    if (quoted.size() < kIpv6HeaderLength || quoted[0] >> 4 != 6) return std::nullopt;
    r.quoted_protocol = quoted[6];
    r.quoted_source = IpAddress::v6(quoted.subspan(8, 16));
    r.quoted_destination = IpAddress::v6(quoted.subspan(24, 16));
    r.quoted_payload = quoted.subspan(kIpv6HeaderLength);
  }
  return r;
}

std::uint32_t mtu_plateau_below(std::uint32_t packet_size) {
  static constexpr std::array<std::uint32_t, 11> kPlateaus = {65535, 32000, 17914, 8166, 4352, 2002,
                                                              1492,  1006,  508,   296,  68};
  for (std::uint32_t plateau : kPlateaus) {
    if (plateau < packet_size) return plateau;
  }
  return 68;
}

}  // namespace cygnet::wire
