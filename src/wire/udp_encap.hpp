// UDP encapsulation of ESP (RFC 3948): ESP-in-UDP, the non-ESP marker and NAT-keepalive.
#pragma once

#include <cstdint>

#include "base/bytes.hpp"

namespace cygnet::wire {

inline constexpr std::uint16_t kIkePort = 500;
inline constexpr std::uint16_t kNatTraversalPort = 4500;
inline constexpr std::size_t kUdpHeaderLength = 8;
inline constexpr std::size_t kNonEspMarkerLength = 4;

// What a datagram received on UDP port 4500 carries (RFC 3948 §2.2, §2.3).
enum class Udp4500Payload : std::uint8_t {
  Esp,           // first 4 bytes are a non-zero SPI
  Ike,           // non-ESP marker (4 zero bytes) followed by an IKE message
  NatKeepalive,  // a single 0xFF byte
  Malformed,     // too short to be any of these
};
Udp4500Payload classify_udp4500_payload(ByteView udp_payload);

// Writes an 8-byte UDP header. The checksum is zero, as RFC 3948 §2.1 allows for ESP-in-UDP over IPv4;
// over IPv6 the caller passes the addresses so the checksum is computed (RFC 8200 requires one).
bool write_udp_header(MutableByteView out, std::uint16_t source_port, std::uint16_t destination_port,
                      std::uint16_t length);

// Computes and stores the UDP checksum for a datagram (header + payload) with an IPv6 pseudo-header.
void set_udp6_checksum(MutableByteView udp_datagram, ByteView source16, ByteView destination16);

// The single-byte NAT-keepalive payload (RFC 3948 §2.3).
inline constexpr std::uint8_t kNatKeepaliveByte = 0xFF;

}  // namespace cygnet::wire
