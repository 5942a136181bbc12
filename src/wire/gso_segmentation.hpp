// Splitting a packet read from a TUN device with offloads on (IFF_VNET_HDR + TUNSETOFFLOAD) into
// the ordinary IP packets it stands for, the way the kernel's own GSO would on a real NIC:
// - gso_type NONE: one packet; if NEEDS_CSUM, its partial transport checksum is completed.
// - TCPV4 / TCPV6 (TSO): a TCP super-packet of up to 64 KiB becomes MSS-sized (gso_size)
//   segments: IP length and checksum per segment, IPv4 ID incremented per segment, sequence
//   numbers advanced, FIN and PSH only on the last segment and CWR only on the first, and each
//   TCP checksum computed in full.
// - UDP_L4 (USO): a UDP super-datagram becomes gso_size-sized datagrams, each with its own UDP
//   length and checksum.
// Every length and offset in the virtio header is checked against the packet; nothing is read or
// written outside the buffers given. Output goes into caller-owned slots so the data path does not
// allocate.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/bytes.hpp"
#include "wire/virtio_net_header.hpp"

namespace cygnet::wire {

// The largest packet a TUN device hands over with offloads on (IPv4 total length is 16 bits).
inline constexpr std::size_t kMaxSuperPacketLength = 65535;

enum class SegmentationError : std::uint8_t {
  None,
  NotIp,                // not a well-formed IPv4/IPv6 header, or an IPv4 fragment
  UnsupportedGsoType,   // UFO (IPv4 fragmentation) or a GSO type that does not fit the packet
  UnsupportedHeaders,   // IPv6 extension headers before the TCP/UDP header of a GSO packet
  BadTransportHeader,   // TCP/UDP header truncated, or TCP data offset below 5
  BadChecksumLocation,  // csum_start/csum_offset outside the packet or not at the transport header
  ZeroSegmentSize,      // gso_size 0 on a GSO packet
  TooManySegments,      // more segments than output slots
  SlotTooSmall,         // a segment does not fit its output slot
};
std::string_view segmentation_error_name(SegmentationError error);

struct SegmentationResult {
  SegmentationError error = SegmentationError::None;
  std::size_t count = 0;  // packets written to slots[0..count), lengths in lengths[0..count)
};

// `packet` is what followed the virtio header in one TUN read. Writes the resulting IP packets to
// `slots` (one per packet, each at least header + gso_size long for a GSO packet) and their
// lengths to `lengths` (same size as slots). On error count is 0 and the slots' contents are
// unspecified.
SegmentationResult segment_offloaded_packet(const VirtioNetHeader& header, ByteView packet,
                                            std::span<const MutableByteView> slots,
                                            std::span<std::size_t> lengths);

}  // namespace cygnet::wire
