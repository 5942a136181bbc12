// Outer-header helpers shared by ESP and AH (internal to the ipsec layer).
#pragma once

#include <cstdint>
#include <optional>

#include "ipsec/packet_result.hpp"
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

// Whether the outer IPv4 header gets DF: copied from an IPv4 inner packet (RFC 4301 §8.1, the
// "copy" choice, as Linux XFRM does), so a router too small for it answers with ICMP and path MTU
// discovery works end to end; clear for IPv6 inner packets (routers may still fragment the outer
// packet, the safe choice when ICMP from the outer path is filtered).
inline bool inner_dont_fragment(ByteView inner_packet, wire::IpFamily family) {
  return family == wire::IpFamily::V4 && (inner_packet[6] & 0x40) != 0;
}

// Writes the tunnel-mode outer header (from the SA's endpoints) for a packet of `total` bytes:
// IPv4 from the SA's prepared template (incremental checksum, RFC 1624).
inline void write_outer_header(const SecurityAssociation& sa, std::uint8_t ds_field, MutableByteView out,
                               std::size_t total, std::uint8_t protocol, std::uint16_t identification,
                               bool dont_fragment) {
  const SaParameters& p = sa.params();
  // Never 0: a raw socket sending our header (the daemon's IPPROTO_RAW path) replaces a zero ID
  // with its own, which would break AH's ICV (it covers the ID) once every 65536 packets.
  const std::uint16_t id = identification == 0 ? std::uint16_t{0x8000} : identification;
  if (const wire::Ipv4HeaderTemplate* prepared = sa.outer_ipv4_template();
      prepared != nullptr && prepared->protocol() == protocol && out.size() >= wire::kIpv4MinHeaderLength) {
    prepared->write(out.data(), static_cast<std::uint16_t>(total), id, ds_field, dont_fragment);
    return;
  }
  if (p.local_address.is_v4()) {
    wire::Ipv4HeaderFields h;
    h.source = p.local_address;
    h.destination = p.remote_address;
    h.protocol = protocol;
    h.total_length = static_cast<std::uint16_t>(total);
    h.dscp_ecn = ds_field;
    h.identification = id;
    h.dont_fragment = dont_fragment;
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

// --- steps every ESP/AH encapsulation and decapsulation shares ---

// Counts a drop on the SA and returns it as the packet's result.
inline PacketResult drop(SecurityAssociation& sa, DropReason reason,
                         LifetimeEvent event = LifetimeEvent::None) {
  sa.count_drop(reason);
  PacketResult r = PacketResult::dropped(reason);
  r.lifetime_event = event;
  return r;
}

// First step of every packet: time-based lifetime check. Returns the drop if the SA is past its
// hard lifetime; otherwise stores any time event (Rekey) to report with the packet.
inline std::optional<PacketResult> refuse_if_expired(SecurityAssociation& sa, TimePoint now,
                                                     LifetimeEvent& time_event) {
  time_event = sa.lifetime().on_time(now);
  if (sa.lifetime().expired()) return drop(sa, DropReason::Expired, time_event);
  return std::nullopt;
}

// Next outbound sequence number, or the drop when the space is used up: the SA can send no more,
// as good as expired, which is reported once per SA like lifetimes (RFC 4303 §3.3.3).
inline std::optional<std::uint64_t> take_sequence(SecurityAssociation& sa, PacketResult& refused) {
  const bool already_exhausted = sa.sequence_exhausted();
  auto seq = sa.next_sequence();
  if (!seq) {
    refused = drop(sa, DropReason::SequenceExhausted,
                   already_exhausted ? LifetimeEvent::None : LifetimeEvent::Expired);
  }
  return seq;
}

// Makes sure the calling thread has its own cipher contexts for the SA (created on its first
// packet); the drop if it cannot (every worker slot taken, or OpenSSL failed).
inline std::optional<PacketResult> refuse_without_worker(SecurityAssociation& sa) {
  if (sa.prepare_worker()) return std::nullopt;
  return drop(sa, DropReason::NoWorkerSlot);
}

// The drop a replay verdict calls for, or nullopt when the packet may proceed to the ICV check.
inline std::optional<DropReason> replay_drop(ReplayWindow::Verdict verdict) {
  switch (verdict) {
    case ReplayWindow::Verdict::Ok: return std::nullopt;
    case ReplayWindow::Verdict::Replayed: return DropReason::Replay;
    case ReplayWindow::Verdict::TooOld: return DropReason::TooOld;
    case ReplayWindow::Verdict::Zero: return DropReason::Malformed;  // never valid (RFC 4303 §3.3.3)
  }
  return DropReason::Malformed;
}

// Last step of a processed packet: count it and report the lifetime event it caused, if any.
inline PacketResult packet_done(SecurityAssociation& sa, std::size_t length, std::size_t protocol_offset,
                                std::size_t payload_bytes, LifetimeEvent time_event, TimePoint now) {
  PacketResult result{true, DropReason::Malformed, length, protocol_offset, time_event};
  // Per packet, or held for the batch open on this thread (packet_batch.hpp).
  LifetimeEvent use_event = sa.account_packet(payload_bytes, now);
  if (use_event != LifetimeEvent::None) result.lifetime_event = use_event;
  return result;
}

}  // namespace cygnet::ipsec
