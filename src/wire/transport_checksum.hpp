// TCP and UDP checksums over the IPv4 / IPv6 pseudo-header (RFC 9293 §3.1, RFC 768, RFC 8200
// §8.1), for code that splits or joins transport segments and must produce or verify them.
#pragma once

#include <cstdint>

#include "base/bytes.hpp"

namespace cygnet::wire {

// One's-complement sum of `data` as big-endian 16-bit words (a trailing odd byte padded with
// zero), folded to 16 bits and not complemented. `initial` is a previous folded sum to add to.
std::uint16_t ones_complement_sum(ByteView data, std::uint16_t initial = 0);

// Folded, uncomplemented sum of the pseudo-header of an IP packet whose header starts at
// `ip_packet` (version taken from its first nibble; the caller has checked the header is there):
// source and destination address, `protocol` and the transport `length`.
std::uint16_t pseudo_header_sum(ByteView ip_packet, std::uint8_t protocol, std::uint32_t length);

// The checksum to store in a TCP/UDP header: the complement of pseudo-header + `segment` (with the
// segment's own checksum field zero). A UDP result of 0 must be sent as 0xFFFF (RFC 768); that is
// the caller's business since it depends on the protocol.
std::uint16_t transport_checksum(ByteView ip_packet, std::uint8_t protocol, ByteView segment);

// Whether `segment` (checksum field as received) sums to 0xFFFF with its pseudo-header.
bool transport_checksum_valid(ByteView ip_packet, std::uint8_t protocol, ByteView segment);

}  // namespace cygnet::wire
