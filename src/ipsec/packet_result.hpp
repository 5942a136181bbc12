// Result of encapsulating or decapsulating one packet.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ipsec/drop_reason.hpp"
#include "ipsec/lifetime.hpp"

namespace cygnet::ipsec {

struct PacketResult {
  bool ok = false;
  DropReason drop = DropReason::Malformed;  // meaningful when !ok
  std::size_t length = 0;                   // bytes written to the output buffer
  // Encapsulation: offset of the ESP/AH header inside the output (after the outer IP header and,
  // when UDP-encapsulated, the UDP header) so a UDP socket can send just that part.
  std::size_t protocol_offset = 0;
  LifetimeEvent lifetime_event = LifetimeEvent::None;  // Rekey/Expired, reported once per SA

  static PacketResult dropped(DropReason r) { return PacketResult{false, r, 0, 0, LifetimeEvent::None}; }
};

// Largest growth ESP or AH can add to a packet: outer IPv6 header (40) + UDP (8) + ESP header (8)
// + IV (16) + padding (up to 255) + trailer (2) + ICV (up to 32). Output buffers sized
// input + kMaxEncapsulationOverhead always suffice.
inline constexpr std::size_t kMaxEncapsulationOverhead = 40 + 8 + 8 + 16 + 255 + 2 + 32;

}  // namespace cygnet::ipsec
