// The virtio-net header (struct virtio_net_hdr, virtio spec 1.2 §5.1.6) that a TUN device opened
// with IFF_VNET_HDR puts in front of every packet it reads and expects in front of every packet
// written to it. It carries the segmentation (GSO) and checksum-offload instructions that let one
// read or write move a TCP or UDP "super-packet" of up to 64 KiB instead of one MTU-sized packet.
//
// TUN uses the legacy (pre-1.0) layout: 10 bytes, multi-byte fields in the host's byte order,
// which on every little-endian host is little-endian (TUNSETVNETLE is the default there). The
// codec reads and writes little-endian explicitly so it does not depend on the host.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"

namespace cygnet::wire {

inline constexpr std::size_t kVirtioNetHeaderLength = 10;

// `flags` bits.
inline constexpr std::uint8_t kVirtioNeedsChecksum = 0x01;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr std::uint8_t kVirtioDataValid = 0x02;      // VIRTIO_NET_HDR_F_DATA_VALID

// `gso_type` values (the low 7 bits) and the ECN bit.
namespace virtio_gso {
inline constexpr std::uint8_t kNone = 0;    // VIRTIO_NET_HDR_GSO_NONE
inline constexpr std::uint8_t kTcpV4 = 1;   // VIRTIO_NET_HDR_GSO_TCPV4
inline constexpr std::uint8_t kUdp = 3;     // VIRTIO_NET_HDR_GSO_UDP: IPv4 fragmentation (UFO)
inline constexpr std::uint8_t kTcpV6 = 4;   // VIRTIO_NET_HDR_GSO_TCPV6
inline constexpr std::uint8_t kUdpL4 = 5;   // VIRTIO_NET_HDR_GSO_UDP_L4: UDP segmentation (USO)
inline constexpr std::uint8_t kEcn = 0x80;  // VIRTIO_NET_HDR_GSO_ECN: the sender uses ECN (CWR)
}  // namespace virtio_gso

struct VirtioNetHeader {
  std::uint8_t flags = 0;
  std::uint8_t gso_type = virtio_gso::kNone;
  std::uint16_t header_length = 0;    // hdr_len: bytes of IP + transport header (a hint only)
  std::uint16_t gso_size = 0;         // payload bytes per segment
  std::uint16_t checksum_start = 0;   // csum_start: where the checksummed bytes begin
  std::uint16_t checksum_offset = 0;  // csum_offset: where, after checksum_start, to store it
  friend bool operator==(const VirtioNetHeader&, const VirtioNetHeader&) = default;
};

// Reads the first 10 bytes of `bytes`. Returns nullopt when fewer than 10 bytes are there, when a
// flag bit other than NEEDS_CSUM / DATA_VALID is set, or when gso_type is not one of the values
// above. Whether the fields fit the packet that follows is checked by the segmentation code,
// which knows the packet.
std::optional<VirtioNetHeader> parse_virtio_net_header(ByteView bytes);

// Writes the 10-byte header; false (nothing written) if `out` is shorter.
bool write_virtio_net_header(MutableByteView out, const VirtioNetHeader& header);

}  // namespace cygnet::wire
