// Why the data plane dropped a packet. Every drop is counted under exactly one of these.
#pragma once

#include <array>
#include <cstdint>

namespace cygnet::ipsec {

enum class DropReason : std::uint8_t {
  UnknownSpi,         // no inbound SA for (SPI, destination, protocol)
  Replay,             // sequence number already seen inside the window
  TooOld,             // sequence number left of the window
  IcvFailure,         // integrity check failed (forged, corrupted or wrong key)
  BadPadding,         // pad length beyond the payload or padding bytes not 1, 2, 3, ...
  Malformed,          // truncated, bad lengths, block misalignment, bad inner packet
  PolicyMismatch,     // decapsulated packet outside the SA's selectors, or no policy allowed it
  SequenceExhausted,  // sender would need to wrap the sequence number
  Expired,            // SA past its hard lifetime
  PolicyDiscard,      // outbound packet matched a DISCARD policy
  NoSa,               // PROTECT policy without an SA yet (the acquire case)
  DummyPacket,        // ESP next header 59: traffic-flow-confidentiality filler, dropped silently
  BufferTooSmall,     // caller's output buffer cannot hold the result
  TooBig,             // inner packet no longer fits the path MTU; the sender got ICMP Too Big
  NoWorkerSlot,       // more concurrent data-plane threads than worker slots (kMaxWorkerSlots)
  kCount,
};

const char* drop_reason_name(DropReason reason);  // snake_case name used in stats output

inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::kCount);

// Packet/byte counters for one direction plus drops by reason; plain integers (one writer, or a
// sum over the per-worker shards of a shared SA).
struct TrafficCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // inner (cleartext) bytes
};

struct DropCounters {
  std::array<std::uint64_t, kDropReasonCount> by_reason{};
  void count(DropReason r) { ++by_reason[static_cast<std::size_t>(r)]; }
  std::uint64_t operator[](DropReason r) const { return by_reason[static_cast<std::size_t>(r)]; }
  std::uint64_t total() const {
    std::uint64_t t = 0;
    for (auto v : by_reason) t += v;
    return t;
  }
};

}  // namespace cygnet::ipsec
