// The data plane as one object: SPD + SAD + global counters, packets in, packets out.
// This is what the daemon drives: every packet read from the TUN device goes to
// process_outbound(), every ESP/AH (or ESP-in-UDP) packet from the network to process_inbound().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ipsec/ah.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/path_mtu.hpp"
#include "ipsec/sad.hpp"
#include "ipsec/spd.hpp"

namespace cygnet::ipsec {

struct OutboundOutcome {
  enum class Kind : std::uint8_t {
    Protected,  // out holds the ESP/AH packet (result.length bytes; result.protocol_offset)
    Bypass,     // send ip_packet unchanged
    Dropped,    // counted under `drop`
    Acquire,    // PROTECT policy without a usable SA: negotiate, then retry (the packet may be queued)
    // The packet does not fit the path MTU and may not be fragmented: out holds the ICMP
    // Fragmentation Needed / Packet Too Big (result.length bytes) to send back to its source,
    // the packet itself is dropped (counted as too_big).
    TooBig,
  };
  Kind kind = Kind::Dropped;
  DropReason drop = DropReason::PolicyDiscard;
  PacketResult result;  // Protected, TooBig
  // Protected: non-zero when the packet is larger than the path MTU and the inner packet allowed
  // fragmentation: send it as IP fragments of at most this many bytes (wire/ip_fragment.hpp).
  std::size_t fragment_to = 0;
  std::optional<SaHandle> sa;  // Protected, TooBig (and Dropped when an SA was involved)
  std::optional<PolicyId> policy;
  // Protected: the SA that protected it, found through the policy's bound entry, so the caller
  // reads where the packet goes (endpoints, UDP encapsulation) without a second SAD lookup.
  // Valid until the SAD changes (the caller uses it at once).
  const SecurityAssociation* sa_entry = nullptr;
};

struct InboundOutcome {
  enum class Kind : std::uint8_t {
    Decapsulated,  // out holds the cleartext packet (result.length bytes)
    Bypass,        // cleartext packet a BYPASS policy allows: deliver ip_packet as is
    Dropped,
  };
  Kind kind = Kind::Dropped;
  DropReason drop = DropReason::Malformed;
  PacketResult result;
  std::optional<SaHandle> sa;
  // The BYPASS or DISCARD policy that decided (cleartext, or a decapsulated packet a DISCARD
  // policy refuses: a shunt ordered before the tunnels, ipsec/shunt.hpp).
  std::optional<PolicyId> policy;
};

// Where an ESP-in-UDP packet arrived (as a UDP socket reports it): our address and port, the peer's.
struct UdpEndpoints {
  wire::IpAddress local_address;
  std::uint16_t local_port = 0;
  wire::IpAddress remote_address;
  std::uint16_t remote_port = 0;
};

// What path MTU handling did, for stats and metrics.
struct PathMtuCounters {
  std::uint64_t too_big_sent = 0;        // ICMP / ICMPv6 Too Big built for inner senders
  std::uint64_t fragmented_packets = 0;  // outer packets handed out for fragmentation
  std::uint64_t mss_clamped = 0;         // SYN / SYN-ACK MSS options lowered
  std::uint64_t icmp_accepted = 0;       // received Too Big messages that lowered a path MTU
  std::uint64_t icmp_ignored = 0;        // received ones not about our SAs, at a floor, or not lower
};

struct GlobalCounters {
  TrafficCounters outbound;  // packets protected
  TrafficCounters inbound;   // packets decapsulated and accepted
  TrafficCounters bypassed;
  DropCounters drops;
  PathMtuCounters path_mtu;
};

class DataPlane {
 public:
  Sad& sad() { return sad_; }
  const Sad& sad() const { return sad_; }
  Spd& spd() { return spd_; }
  const Spd& spd() const { return spd_; }
  const GlobalCounters& counters() const { return counters_; }

  // A copy of the SPD, SAD and path MTU table for one data-plane worker thread
  // (data_plane_replica.cpp): the SAs themselves are shared, everything a packet writes besides
  // them (counters, scratch buffers) is the replica's own, so the worker needs no lock. The
  // control thread makes a new one after every change and hands it over (gateway/worker_path.hpp).
  std::unique_ptr<DataPlane> replica() const;

  // Spd::bind_sa with the SAD's entry of `sa` (when the SAD has it), so that packets reach the SA
  // without a SAD lookup. False if the policy is absent or not PROTECT.
  bool bind_outbound_sa(PolicyId policy, std::optional<SaHandle> sa);

  // A cleartext packet leaving this host. No matching policy means DISCARD (RFC 4301 §4.4.1:
  // the SPD must be complete; an unmatched packet is dropped).
  OutboundOutcome process_outbound(ByteView ip_packet, MutableByteView out, TimePoint now);
  // A cleartext packet for one given outbound SA, no SPD lookup: a route-based interface's
  // traffic (whatever was routed into it goes to its CHILD SA). No SA, or one no longer usable:
  // Acquire (with no policy). Otherwise exactly as process_outbound after its lookup.
  OutboundOutcome process_outbound_on_sa(std::optional<SaHandle> sa, ByteView ip_packet, MutableByteView out,
                                         TimePoint now);

  // A packet from the network: protocol 50 (ESP), 51 (AH), UDP to port 4500 carrying ESP
  // (RFC 3948), or cleartext checked against the SPD. Decapsulated packets must match the
  // selectors of the SA they arrived on (RFC 4301 §5.2).
  InboundOutcome process_inbound(ByteView ip_packet, MutableByteView out, TimePoint now);
  // ESP in UDP as a UDP socket delivers it (RFC 3948): the ESP bytes (header to ICV) and the
  // endpoints, no IP/UDP header to rebuild. Same checks and outcome as process_inbound.
  InboundOutcome process_esp_in_udp(ByteView esp, const UdpEndpoints& endpoints, MutableByteView out,
                                    TimePoint now);

  // Path MTU per peer: the daemon sets each peer's link MTU; ICMP lowers it (below).
  PathMtuTable& path_mtu() { return path_mtu_; }
  const PathMtuTable& path_mtu() const { return path_mtu_; }
  // A received IP packet carrying ICMP Fragmentation Needed or ICMPv6 Packet Too Big. Believed only
  // when it quotes an outer packet of one of our outbound SAs: source and destination the SA's
  // endpoints and its SPI (ESP, AH, or ESP in UDP with the ports of the SA), RFC 4301 §6.1.2.
  // Returns whether the peer's path MTU went down (counted as accepted, else as ignored).
  bool on_icmp_too_big(ByteView ip_packet, TimePoint now);
  // The inner MTU of an SA now: the largest inner packet of `family` that fits its peer's path
  // MTU (nullopt while that path MTU is unknown).
  std::optional<std::size_t> inner_mtu_of(const SecurityAssociation& sa, wire::IpFamily family,
                                          TimePoint now) const;

 private:
  // process_outbound after the policy decided PROTECT with `sa` (nullptr: none yet).
  OutboundOutcome protect(SecurityAssociation* sa, std::optional<SaHandle> handle,
                          std::optional<PolicyId> policy, ByteView ip_packet, const wire::IpPacketInfo& info,
                          MutableByteView out, TimePoint now);
  // Applies the SA's MSS clamp to a TCP SYN in place; counts a rewrite.
  void clamp_mss(const SecurityAssociation& sa, MutableByteView ip_packet, wire::IpFamily family,
                 TimePoint now);
  // Outbound, larger than the path MTU: the ICMP answer, or the fragmentation mark.
  std::optional<OutboundOutcome> handle_too_big(SecurityAssociation& sa, const wire::IpPacketInfo& info,
                                                ByteView ip_packet, MutableByteView out, TimePoint now);

  // Inbound after the SA's own processing: selectors (RFC 4301 §5.2), MSS clamp, counters.
  InboundOutcome finish_inbound(SecurityAssociation& sa, InboundOutcome o, MutableByteView out,
                                TimePoint now);
  // ESP in UDP for a transport-mode SA: the IP/UDP header put back in rebuilt_ (length, 0: too big).
  std::size_t rebuild_udp_packet(ByteView esp, const UdpEndpoints& endpoints);

  OutboundOutcome drop_outbound(DropReason reason, std::optional<PolicyId> policy);
  InboundOutcome drop_inbound(DropReason reason, std::optional<SaHandle> sa);
  Sad sad_;
  Spd spd_;
  PathMtuTable path_mtu_;
  GlobalCounters counters_;
  Bytes clamp_buffer_;  // a SYN copied here to be clamped (the caller's packet is read-only)
  Bytes rebuilt_;       // ESP in UDP for a transport-mode SA, with its IP/UDP header back
};

}  // namespace cygnet::ipsec
