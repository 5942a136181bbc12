// TCP MSS clamping (RFC 879 §7, RFC 6691): lowers the Maximum Segment Size option of a SYN or
// SYN-ACK passing through the tunnel, so both ends send segments that fit the tunnel without
// relying on path MTU discovery. The TCP checksum is updated incrementally (RFC 1624 eqn. 3).
#pragma once

#include <cstdint>

#include "base/bytes.hpp"

namespace cygnet::ipsec {

// MSS from an MTU: the IP and TCP headers without options (IPv4 40 bytes, IPv6 60).
std::uint16_t mss_for_mtu(std::size_t mtu, bool ipv6);

// If `ip_packet` is an unfragmented TCP segment with SYN set whose MSS option exceeds
// `max_mss`, rewrites the option to `max_mss` and fixes the checksum. Returns whether it did.
// Anything else (no SYN, no MSS option, already small enough, malformed) is left untouched.
bool clamp_tcp_mss(MutableByteView ip_packet, std::uint16_t max_mss);

}  // namespace cygnet::ipsec
