#include "wire/gso_segmentation.hpp"

#include <algorithm>

#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"
#include "wire/transport_checksum.hpp"

namespace cygnet::wire {
namespace {

constexpr std::size_t kTcpMinHeaderLength = 20;
constexpr std::size_t kUdpHeaderLength = 8;
constexpr std::uint16_t kTcpChecksumOffset = 16;
constexpr std::uint16_t kUdpChecksumOffset = 6;
constexpr std::uint8_t kTcpFin = 0x01;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::uint8_t kTcpCwr = 0x80;

// Where the transport header of a GSO packet starts and which protocol it is.
struct IpLayout {
  bool v4 = true;
  std::size_t ip_header_length = 0;
  std::uint8_t protocol = 0;
};

// GSO packets carry TCP or UDP straight after the IP header: IPv4 possibly with options, IPv6
// without extension headers (as the kernel's own TUN GSO path produces them).
std::optional<IpLayout> ip_layout(ByteView packet, SegmentationError& error) {
  error = SegmentationError::NotIp;
  if (packet.empty()) return std::nullopt;
  IpLayout layout;
  const std::uint8_t version = packet[0] >> 4;
  if (version == 4) {
    if (packet.size() < kIpv4MinHeaderLength) return std::nullopt;
    layout.ip_header_length = std::size_t{packet[0] & 0x0Fu} * 4;
    if (layout.ip_header_length < kIpv4MinHeaderLength || layout.ip_header_length > packet.size()) {
      return std::nullopt;
    }
    if ((load_be16(packet.data() + 6) & 0x3FFF) != 0) return std::nullopt;  // MF or an offset
    layout.protocol = packet[9];
  } else if (version == 6) {
    if (packet.size() < kIpv6HeaderLength) return std::nullopt;
    layout.v4 = false;
    layout.ip_header_length = kIpv6HeaderLength;
    layout.protocol = packet[6];
    if (layout.protocol != ip_protocol::kTcp && layout.protocol != ip_protocol::kUdp) {
      error = SegmentationError::UnsupportedHeaders;
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  error = SegmentationError::None;
  return layout;
}

// Rewrites the IP length fields (and the IPv4 ID and header checksum) of one segment in place.
void finish_ip_header(MutableByteView segment, const IpLayout& layout, std::uint16_t ipv4_id) {
  std::uint8_t* p = segment.data();
  if (layout.v4) {
    store_be16(p + 2, static_cast<std::uint16_t>(segment.size()));
    store_be16(p + 4, ipv4_id);
    store_be16(p + 10, 0);
    store_be16(p + 10, internet_checksum(ByteView(p, layout.ip_header_length)));
  } else {
    store_be16(p + 4, static_cast<std::uint16_t>(segment.size() - kIpv6HeaderLength));
  }
}

// Stores the full checksum of the transport segment that starts at `layout.ip_header_length`.
void store_transport_checksum(MutableByteView segment, const IpLayout& layout, std::size_t checksum_field) {
  std::uint8_t* field = segment.data() + layout.ip_header_length + checksum_field;
  store_be16(field, 0);
  std::uint16_t checksum =
      transport_checksum(segment, layout.protocol, segment.subspan(layout.ip_header_length));
  if (layout.protocol == ip_protocol::kUdp && checksum == 0) checksum = 0xFFFF;  // RFC 768
  store_be16(field, checksum);
}

// gso_type NONE: copy, completing a partial checksum (the field holds the pseudo-header sum; the
// device adds everything from checksum_start to the end and stores the complement).
SegmentationResult single_packet(const VirtioNetHeader& header, ByteView packet,
                                 std::span<const MutableByteView> slots, std::span<std::size_t> lengths) {
  const bool needs_checksum = (header.flags & kVirtioNeedsChecksum) != 0;
  const std::size_t start = header.checksum_start;
  const std::size_t field = start + std::size_t{header.checksum_offset};
  if (needs_checksum && (start >= packet.size() || field + 2 > packet.size())) {
    return {SegmentationError::BadChecksumLocation, 0};
  }
  if (slots.empty() || lengths.empty()) return {SegmentationError::TooManySegments, 0};
  if (slots[0].size() < packet.size()) return {SegmentationError::SlotTooSmall, 0};
  std::uint8_t* out = slots[0].data();
  std::copy(packet.begin(), packet.end(), out);
  if (needs_checksum) {
    const std::uint16_t sum = ones_complement_sum(ByteView(out + start, packet.size() - start));
    store_be16(out + field, static_cast<std::uint16_t>(~sum));
  }
  lengths[0] = packet.size();
  return {SegmentationError::None, 1};
}

struct SegmentPlan {
  std::size_t header_length = 0;  // IP + transport header, copied in front of every segment
  std::size_t payload_length = 0;
  std::size_t count = 0;
};

SegmentationResult check_plan(const SegmentPlan& plan, std::size_t gso_size,
                              std::span<const MutableByteView> slots, std::span<std::size_t> lengths) {
  if (plan.count > slots.size() || plan.count > lengths.size()) {
    return {SegmentationError::TooManySegments, 0};
  }
  const std::size_t largest = plan.header_length + std::min(gso_size, plan.payload_length);
  for (std::size_t i = 0; i < plan.count; ++i) {
    if (slots[i].size() < largest) return {SegmentationError::SlotTooSmall, 0};
  }
  return {SegmentationError::None, plan.count};
}

SegmentationResult split(ByteView packet, const IpLayout& layout, const SegmentPlan& plan,
                         std::size_t gso_size, std::span<const MutableByteView> slots,
                         std::span<std::size_t> lengths) {
  const std::size_t transport = layout.ip_header_length;
  const bool tcp = layout.protocol == ip_protocol::kTcp;
  const std::uint16_t first_id = layout.v4 ? load_be16(packet.data() + 4) : 0;
  const std::uint32_t first_sequence = tcp ? load_be32(packet.data() + transport + 4) : 0;
  const std::uint8_t flags = tcp ? packet[transport + 13] : 0;
  for (std::size_t i = 0; i < plan.count; ++i) {
    const std::size_t offset = i * gso_size;
    const std::size_t chunk = std::min(gso_size, plan.payload_length - offset);
    std::uint8_t* out = slots[i].data();
    std::copy_n(packet.data(), plan.header_length, out);
    std::copy_n(packet.data() + plan.header_length + offset, chunk, out + plan.header_length);
    const MutableByteView segment(out, plan.header_length + chunk);
    finish_ip_header(segment, layout, static_cast<std::uint16_t>(first_id + i));
    if (tcp) {
      store_be32(out + transport + 4, first_sequence + static_cast<std::uint32_t>(offset));
      std::uint8_t segment_flags = flags;
      if (i + 1 != plan.count) segment_flags &= static_cast<std::uint8_t>(~(kTcpFin | kTcpPsh));
      if (i != 0) segment_flags &= static_cast<std::uint8_t>(~kTcpCwr);
      out[transport + 13] = segment_flags;
      store_transport_checksum(segment, layout, kTcpChecksumOffset);
    } else {
      store_be16(out + transport + 4, static_cast<std::uint16_t>(kUdpHeaderLength + chunk));
      store_transport_checksum(segment, layout, kUdpChecksumOffset);
    }
    lengths[i] = segment.size();
  }
  return {SegmentationError::None, plan.count};
}

}  // namespace

std::string_view segmentation_error_name(SegmentationError error) {
  switch (error) {
    case SegmentationError::None: return "none";
    case SegmentationError::NotIp: return "not_ip";
    case SegmentationError::UnsupportedGsoType: return "unsupported_gso_type";
    case SegmentationError::UnsupportedHeaders: return "unsupported_headers";
    case SegmentationError::BadTransportHeader: return "bad_transport_header";
    case SegmentationError::BadChecksumLocation: return "bad_checksum_location";
    case SegmentationError::ZeroSegmentSize: return "zero_segment_size";
    case SegmentationError::TooManySegments: return "too_many_segments";
    case SegmentationError::SlotTooSmall: return "slot_too_small";
  }
  return "unknown";
}

SegmentationResult segment_offloaded_packet(const VirtioNetHeader& header, ByteView packet,
                                            std::span<const MutableByteView> slots,
                                            std::span<std::size_t> lengths) {
  if (packet.size() > kMaxSuperPacketLength) return {SegmentationError::NotIp, 0};
  const std::uint8_t gso_type = header.gso_type & static_cast<std::uint8_t>(~virtio_gso::kEcn);
  if (gso_type == virtio_gso::kNone) return single_packet(header, packet, slots, lengths);
  if (gso_type != virtio_gso::kTcpV4 && gso_type != virtio_gso::kTcpV6 && gso_type != virtio_gso::kUdpL4) {
    return {SegmentationError::UnsupportedGsoType, 0};
  }

  SegmentationError error = SegmentationError::None;
  const auto layout = ip_layout(packet, error);
  if (!layout) return {error, 0};
  const bool wants_tcp = gso_type != virtio_gso::kUdpL4;
  if (layout->protocol != (wants_tcp ? ip_protocol::kTcp : ip_protocol::kUdp) ||
      (gso_type == virtio_gso::kTcpV4 && !layout->v4) || (gso_type == virtio_gso::kTcpV6 && layout->v4)) {
    return {SegmentationError::UnsupportedGsoType, 0};
  }
  // The checksum the device is asked to complete must be the transport one, where we put it.
  if ((header.flags & kVirtioNeedsChecksum) != 0 &&
      (header.checksum_start != layout->ip_header_length ||
       header.checksum_offset != (wants_tcp ? kTcpChecksumOffset : kUdpChecksumOffset))) {
    return {SegmentationError::BadChecksumLocation, 0};
  }
  if (header.gso_size == 0) return {SegmentationError::ZeroSegmentSize, 0};

  // The header length is taken from the packet, not from hdr_len, which the kernel only hints.
  SegmentPlan plan;
  const std::size_t transport = layout->ip_header_length;
  if (wants_tcp) {
    if (packet.size() < transport + kTcpMinHeaderLength) {
      return {SegmentationError::BadTransportHeader, 0};
    }
    const std::size_t tcp_header_length = static_cast<std::size_t>(packet[transport + 12] >> 4) * 4;
    if (tcp_header_length < kTcpMinHeaderLength || transport + tcp_header_length > packet.size()) {
      return {SegmentationError::BadTransportHeader, 0};
    }
    plan.header_length = transport + tcp_header_length;
  } else {
    if (packet.size() < transport + kUdpHeaderLength) {
      return {SegmentationError::BadTransportHeader, 0};
    }
    plan.header_length = transport + kUdpHeaderLength;
  }
  plan.payload_length = packet.size() - plan.header_length;
  plan.count = std::max<std::size_t>(1, (plan.payload_length + header.gso_size - 1) / header.gso_size);

  if (const auto checked = check_plan(plan, header.gso_size, slots, lengths);
      checked.error != SegmentationError::None) {
    return checked;
  }
  return split(packet, *layout, plan, header.gso_size, slots, lengths);
}

}  // namespace cygnet::wire
