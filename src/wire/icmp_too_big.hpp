// ICMP "packet too big" in both directions: the ICMPv4 Destination Unreachable / Fragmentation
// Needed (RFC 792, RFC 1191) and ICMPv6 Packet Too Big (RFC 4443 §3.2) messages a gateway sends
// to an inner sender whose packet no longer fits the tunnel, and the reading of those a router
// sends us about our own outer packets (only the header fields; who may believe them is the
// data plane's decision).
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::wire {

namespace icmp {
inline constexpr std::uint8_t kV4DestinationUnreachable = 3;
inline constexpr std::uint8_t kV4FragmentationNeeded = 4;  // code of type 3
inline constexpr std::uint8_t kV6PacketTooBig = 2;
inline constexpr std::size_t kHeaderLength = 8;
// How much of the offending packet an error may quote: an IPv4 error stays within 576 bytes
// (RFC 1812 §4.3.2.3), an ICMPv6 error within the IPv6 minimum MTU of 1280 (RFC 4443 §2.4 (c)).
inline constexpr std::size_t kV4ErrorMaxLength = 576;
inline constexpr std::size_t kV6ErrorMaxLength = 1280;
}  // namespace icmp

// Whether RFC 1122 §3.2.2 / RFC 4443 §2.4 (e) allow an ICMP error about this packet: not about
// an ICMP error, a non-first fragment, or a packet from an unspecified, multicast or broadcast
// (IPv4 limited broadcast) source.
bool may_answer_with_icmp_error(ByteView ip_packet);

// Writes an ICMP error (IPv4: type 3 code 4 with the next-hop MTU; IPv6: type 2 with the MTU)
// from `source` to the offending packet's source, quoting as much of the offending packet as
// the limits above allow. Returns the length written, or 0 when `out` is too small, the source
// is of the other family or the offending packet has no readable header.
std::size_t build_icmp_too_big(MutableByteView out, const IpAddress& source, ByteView offending_packet,
                               std::uint32_t mtu);

// A "too big" message received on the outer path, as it claims: the MTU and the header of the
// packet it quotes (ours, if genuine).
struct ReceivedTooBig {
  IpFamily family = IpFamily::V4;
  std::uint32_t mtu = 0;                  // 0 from a pre-RFC 1191 IPv4 router (no MTU field)
  IpAddress quoted_source;                // should be our outer address
  IpAddress quoted_destination;           // should be the peer
  std::uint8_t quoted_protocol = 0;       // 50, 51 or 17 (ESP in UDP)
  std::uint16_t quoted_total_length = 0;  // IPv4 only: the packet size that did not fit
  ByteView quoted_payload;                // what follows the quoted IP header (may be cut short)
};

// Parses a complete IP packet carrying an ICMPv4 Fragmentation Needed or ICMPv6 Packet Too Big
// message (what the raw ICMP sockets return). nullopt for any other message or a quote too
// short to hold the quoted IP header.
std::optional<ReceivedTooBig> parse_icmp_too_big(ByteView ip_packet);

// RFC 1191 §7 plateaus: the estimate for a Fragmentation Needed without an MTU (the largest
// plateau below the size that did not fit).
std::uint32_t mtu_plateau_below(std::uint32_t packet_size);

}  // namespace cygnet::wire
