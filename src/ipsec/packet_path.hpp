// Outer-header helpers shared by ESP and AH (internal to the ipsec layer).
#pragma once

#include <cstdint>

#include "ipsec/security_association.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::ipsec {

// Tunnel-mode outer header size for the SA's address family.
inline std::size_t outer_ip_header_length(const SecurityAssociation& sa) {
  return sa.params().local_address.is_v4() ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength;
}

// Whether a packet of `total` bytes fits the length field of its IP header.
inline bool fits_ip_length(wire::IpFamily family, std::size_t total) {
  return family == wire::IpFamily::V4 ? total <= 0xFFFF : total - wire::kIpv6HeaderLength <= 0xFFFF;
}

// The inner packet's DS field (DSCP + ECN), copied to the outer header (RFC 4301 §5.1.2.1, and
// the ECN "normal mode" of RFC 6040 §4.1).
inline std::uint8_t inner_ds_field(ByteView inner_packet, wire::IpFamily family) {
  if (family == wire::IpFamily::V4) return inner_packet[1];
  return static_cast<std::uint8_t>(((inner_packet[0] & 0x0f) << 4) | (inner_packet[1] >> 4));
}

// Writes the tunnel-mode outer header (from the SA's endpoints) for a packet of `total` bytes.
inline void write_outer_header(const SecurityAssociation& sa, std::uint8_t ds_field, MutableByteView out,
                               std::size_t total, std::uint8_t protocol, std::uint16_t identification) {
  const SaParameters& p = sa.params();
  if (p.local_address.is_v4()) {
    wire::Ipv4HeaderFields h;
    h.source = p.local_address;
    h.destination = p.remote_address;
    h.protocol = protocol;
    h.total_length = static_cast<std::uint16_t>(total);
    h.dscp_ecn = ds_field;
    h.identification = identification;
    wire::write_ipv4_header(out, h);
  } else {
    wire::Ipv6HeaderFields h;
    h.source = p.local_address;
    h.destination = p.remote_address;
    h.next_header = protocol;
    h.payload_length = static_cast<std::uint16_t>(total - wire::kIpv6HeaderLength);
    h.traffic_class = ds_field;
    wire::write_ipv6_header(out, h);
  }
}

}  // namespace cygnet::ipsec
