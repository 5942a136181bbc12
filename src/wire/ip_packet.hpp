// IPv4 and IPv6 packet headers: parse the fields IPsec needs, build outer headers, checksums.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::wire {

namespace ip_protocol {
inline constexpr std::uint8_t kHopByHop = 0;
inline constexpr std::uint8_t kIcmp = 1;
inline constexpr std::uint8_t kIpv4 = 4;  // IP-in-IP: inner packet of a tunnel
inline constexpr std::uint8_t kTcp = 6;
inline constexpr std::uint8_t kUdp = 17;
inline constexpr std::uint8_t kIpv6 = 41;
inline constexpr std::uint8_t kRouting = 43;
inline constexpr std::uint8_t kFragment = 44;
inline constexpr std::uint8_t kEsp = 50;
inline constexpr std::uint8_t kAh = 51;
inline constexpr std::uint8_t kIcmpv6 = 58;
inline constexpr std::uint8_t kNoNextHeader = 59;  // ESP dummy packet (RFC 4303 §2.6)
inline constexpr std::uint8_t kDestinationOptions = 60;
}  // namespace ip_protocol

inline constexpr std::size_t kIpv4MinHeaderLength = 20;
inline constexpr std::size_t kIpv6HeaderLength = 40;

// What the SPD and the ESP/AH code need to know about an IP packet.
struct IpPacketInfo {
  IpFamily family = IpFamily::V4;
  IpAddress source;
  IpAddress destination;
  std::size_t total_length = 0;  // from the header; checked to be <= the buffer
  // Bytes before the upper-layer payload: IPv4 header with options, or the IPv6 header plus every
  // hop-by-hop, routing, fragment and destination-options header (transport-mode ESP/AH goes
  // after all of them). For a non-first IPv6 fragment the walk stops after the fragment header.
  std::size_t header_length = 0;
  // Offset of the "next header"/"protocol" byte that names what follows header_length
  // (9 for IPv4; 6 or inside the last extension header for IPv6), so transport mode can rewrite it.
  std::size_t next_header_offset = 0;
  std::uint8_t protocol = 0;  // upper-layer protocol at header_length
  bool is_fragment = false;   // IPv4 MF/offset or IPv6 fragment header present
  // Ports for TCP/UDP/SCTP, ICMP type/code packed as in RFC 4301 §4.4.1.1 (type in source_port,
  // code in destination_port); zero when absent or in a non-first fragment.
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
};

// Parses an IPv4 or IPv6 packet. Returns nullopt on a malformed header: wrong version, IHL < 5,
// total length beyond the buffer or below the header, an extension header chain past the end.
std::optional<IpPacketInfo> parse_ip_packet(ByteView packet);

// RFC 1071 Internet checksum over data (returns the value to store, already complemented).
std::uint16_t internet_checksum(ByteView data);

struct Ipv4HeaderFields {
  IpAddress source;
  IpAddress destination;
  std::uint8_t protocol = 0;
  std::uint16_t total_length = 0;
  std::uint8_t ttl = 64;
  std::uint8_t dscp_ecn = 0;
  std::uint16_t identification = 0;
  bool dont_fragment = false;
};
// Writes a 20-byte IPv4 header with its checksum; false if out is shorter or an address is not IPv4.
bool write_ipv4_header(MutableByteView out, const Ipv4HeaderFields& fields);

struct Ipv6HeaderFields {
  IpAddress source;
  IpAddress destination;
  std::uint8_t next_header = 0;
  std::uint16_t payload_length = 0;
  std::uint8_t hop_limit = 64;
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;
};
// Writes a 40-byte IPv6 header; false if out is shorter or an address is not IPv6.
bool write_ipv6_header(MutableByteView out, const Ipv6HeaderFields& fields);

// After transport-mode ESP/AH changes a packet's length or protocol: rewrites the IPv4 total
// length + checksum, or the IPv6 payload length.
void update_ip_length(MutableByteView packet, IpFamily family, std::size_t new_total_length);

}  // namespace cygnet::wire
