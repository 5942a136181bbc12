// ESP (RFC 4303) encapsulation and decapsulation, tunnel and transport mode, IPv4 and IPv6.
#pragma once

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/security_association.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::ipsec {

// Protects one IP packet with an outbound ESP SA. out receives the complete outer IP packet
// (tunnel: new outer header; transport: the original header, rewritten); with UDP encapsulation a
// UDP header sits before ESP. Counts into the SA; never allocates.
PacketResult esp_encapsulate(SecurityAssociation& sa, ByteView ip_packet, MutableByteView out, TimePoint now);
// The same for a packet the caller already parsed (`inner` = wire::parse_ip_packet(ip_packet)):
// the data plane parses each outbound packet once, for the SPD and for ESP.
PacketResult esp_encapsulate(SecurityAssociation& sa, ByteView ip_packet, const wire::IpPacketInfo& inner,
                             MutableByteView out, TimePoint now);

// The size esp_encapsulate would give this inner packet (outer header, UDP, ESP header, IV,
// padding, trailer and ICV included), for path MTU decisions.
std::size_t esp_encapsulated_length(const SecurityAssociation& sa, const wire::IpPacketInfo& inner);

// Checks and removes ESP from a received IP packet whose ESP header starts at esp_offset (after the
// outer IP header, or after the UDP header for ESP-in-UDP). out receives the inner packet (tunnel)
// or the reassembled original packet (transport). Replay is checked before decryption; the window
// moves only after the ICV verified. Does not check selectors (the data plane does).
PacketResult esp_decapsulate(SecurityAssociation& sa, ByteView ip_packet, std::size_t esp_offset,
                             MutableByteView out, TimePoint now);

// The same for tunnel mode from the ESP bytes alone (header to ICV), as a UDP socket delivers ESP
// in UDP (RFC 3948): no outer IP/UDP header needed. A transport-mode SA is refused (Malformed):
// its result needs the outer header, so the caller goes through esp_decapsulate instead.
PacketResult esp_decapsulate_tunnel_payload(SecurityAssociation& sa, ByteView esp, MutableByteView out,
                                            TimePoint now);

}  // namespace cygnet::ipsec
