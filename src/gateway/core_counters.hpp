// What the gateway core counts beyond the data plane's own counters (ipsec::GlobalCounters) and
// the engine's (ike::EngineCounters).
#pragma once

#include <cstdint>

#include "ipsec/drop_reason.hpp"

namespace cygnet::gateway {

struct CoreCounters {
  std::uint64_t ike_datagrams_in = 0;   // handed to the engine
  std::uint64_t ike_datagrams_out = 0;  // the engine's SendDatagram actions
  std::uint64_t protected_out = 0;
  std::uint64_t bypassed_out = 0;
  std::uint64_t esp_in_udp_in = 0;  // UDP 4500 datagrams carrying ESP, given to the data plane as they are
  std::uint64_t decapsulated_in = 0;
  std::uint64_t bypassed_in = 0;
  ipsec::DropCounters outbound_drops;  // TooBig answers included
  ipsec::DropCounters inbound_drops;
  std::uint64_t acquires = 0;                  // outbound packets that hit a PROTECT policy without an SA
  std::uint64_t queued_while_negotiating = 0;  // of those, held in the acquire queue
  std::uint64_t nat_keepalives = 0;            // queued for sending
  std::uint64_t icmp_too_big_received = 0;     // about the outer path (before checking they quote our SAs)
  std::uint64_t soft_limits = 0;               // lifetime Rekey events reported to the engine
  std::uint64_t hard_limits = 0;               // lifetime Expired events reported to the engine
};

}  // namespace cygnet::gateway
