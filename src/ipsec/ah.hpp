// AH (RFC 4302): integrity for the whole packet, tunnel and transport mode, IPv4 and IPv6, with
// mutable fields zeroed for the ICV (IPv4 TOS/flags/fragment offset/TTL/checksum; IPv6 traffic
// class/flow label/hop limit and options whose "change en route" bit is set).
#pragma once

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/security_association.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::ipsec {

PacketResult ah_encapsulate(SecurityAssociation& sa, ByteView ip_packet, MutableByteView out, TimePoint now);
// The same for a packet the caller already parsed (`inner` = wire::parse_ip_packet(ip_packet)).
PacketResult ah_encapsulate(SecurityAssociation& sa, ByteView ip_packet, const wire::IpPacketInfo& inner,
                            MutableByteView out, TimePoint now);

// The size ah_encapsulate would give this inner packet, for path MTU decisions.
std::size_t ah_encapsulated_length(const SecurityAssociation& sa, const wire::IpPacketInfo& inner);

// ip_packet: the received packet; its AH header starts at ah_offset (after the IP header and any
// extension headers that precede AH).
PacketResult ah_decapsulate(SecurityAssociation& sa, ByteView ip_packet, std::size_t ah_offset,
                            MutableByteView out, TimePoint now);

}  // namespace cygnet::ipsec
