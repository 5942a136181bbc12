// AH (RFC 4302): integrity for the whole packet, tunnel and transport mode, IPv4 and IPv6, with
// mutable fields zeroed for the ICV (IPv4 TOS/flags/fragment offset/TTL/checksum; IPv6 traffic
// class/flow label/hop limit and options whose "change en route" bit is set).
#pragma once

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/security_association.hpp"

namespace cygnet::ipsec {

PacketResult ah_encapsulate(SecurityAssociation& sa, ByteView ip_packet, MutableByteView out,
                            TimePoint now);

// ip_packet: the received packet; its AH header starts at ah_offset (after the IP header and any
// extension headers that precede AH).
PacketResult ah_decapsulate(SecurityAssociation& sa, ByteView ip_packet, std::size_t ah_offset,
                            MutableByteView out, TimePoint now);

}  // namespace cygnet::ipsec
