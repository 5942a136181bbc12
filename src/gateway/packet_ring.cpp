#include "gateway/packet_ring.hpp"

#include <algorithm>
#include <bit>

namespace cygnet::gateway {

PacketRing::PacketRing(std::size_t slots, std::size_t slot_size)
    : mask_(std::bit_ceil(std::max<std::size_t>(slots, 2)) - 1),
      slot_size_(slot_size),
      slots_(mask_ + 1),
      storage_((mask_ + 1) * slot_size) {}

bool PacketRing::push(ByteView packet, const std::optional<ipsec::UdpEndpoints>& udp) {
  if (packet.size() > slot_size_) return false;
  const std::size_t tail = tail_.load(std::memory_order_relaxed);
  if (tail - head_.load(std::memory_order_acquire) > mask_) return false;  // full
  const std::size_t index = tail & mask_;
  std::copy(packet.begin(), packet.end(), storage_.begin() + static_cast<std::ptrdiff_t>(index * slot_size_));
  slots_[index].length = packet.size();
  slots_[index].udp = udp;
  tail_.store(tail + 1, std::memory_order_release);  // publishes the slot's bytes
  return true;
}

std::optional<RingPacket> PacketRing::front() {
  const std::size_t head = head_.load(std::memory_order_relaxed);
  if (head == tail_.load(std::memory_order_acquire)) return std::nullopt;
  const std::size_t index = head & mask_;
  return RingPacket{ByteView(storage_.data() + index * slot_size_, slots_[index].length), slots_[index].udp};
}

void PacketRing::pop() {
  head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);  // frees the slot
}

}  // namespace cygnet::gateway
