// A bounded single-producer / single-consumer ring of packets: how the thread that reads the raw
// ESP/AH sockets hands each packet to the worker that owns its SPI (docs/architecture.md,
// "Workers"). Fixed slots allocated up front, so nothing allocates per packet; lock-free (one
// acquire load and one release store per push or pop). A packet larger than a slot, or a full
// ring, is refused: the producer counts it as a drop instead of waiting for the consumer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "ipsec/data_plane.hpp"

namespace cygnet::gateway {

// A packet in the ring: a whole IP packet from a raw socket, or the ESP part of a UDP 4500
// datagram with the endpoints it arrived on.
struct RingPacket {
  ByteView bytes;
  std::optional<ipsec::UdpEndpoints> udp;  // set: ESP in UDP
};

class PacketRing {
 public:
  // `slots` is rounded up to a power of two.
  PacketRing(std::size_t slots, std::size_t slot_size);
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;

  // Producer only. False (nothing queued) when the ring is full or the packet larger than a slot.
  bool push(ByteView packet, const std::optional<ipsec::UdpEndpoints>& udp = std::nullopt);
  // Consumer only: the oldest packet, valid until pop(); nullopt when empty.
  std::optional<RingPacket> front();
  void pop();

  std::size_t slot_size() const { return slot_size_; }

 private:
  struct Slot {
    std::size_t length = 0;
    std::optional<ipsec::UdpEndpoints> udp;
  };
  const std::size_t mask_;
  const std::size_t slot_size_;
  std::vector<Slot> slots_;
  Bytes storage_;
  // Each written by one side only, on its own cache line so the two sides do not bounce one.
  alignas(64) std::atomic<std::size_t> head_{0};  // next slot to read (consumer)
  alignas(64) std::atomic<std::size_t> tail_{0};  // next slot to write (producer)
};

}  // namespace cygnet::gateway
