#include "daemon/packet_io.hpp"

#include <algorithm>

#include "wire/gso_segmentation.hpp"
#include "wire/virtio_net_header.hpp"

namespace cygnet::daemon {
namespace {

// Bounds for splitting: a super-packet gives at most this many segments (gso_size >= 64), each
// with at most 60 bytes of IPv4 and 60 bytes of TCP header in front of its payload.
constexpr std::size_t kMaxSegments = 1024;
constexpr std::size_t kMaxHeaders = 120;
constexpr std::size_t kArenaSize = kMaxSegments * kMaxHeaders + 2 * wire::kMaxSuperPacketLength;

}  // namespace

TunPacketIo::TunPacketIo(TunDevice& tun)
    : tun_(tun),
      offload_(tun.offloads().virtio_header),
      read_buffer_(wire::kVirtioNetHeaderLength + wire::kMaxSuperPacketLength),
      segment_arena_(offload_ ? kArenaSize : 0),
      slots_(offload_ ? kMaxSegments : 0),
      lengths_(offload_ ? kMaxSegments : 0),
      packets_(offload_ ? kMaxSegments : 1),
      write_batch_(offload_ ? kWriteBatch : 0) {}

std::optional<std::span<const ByteView>> TunPacketIo::read() {
  const std::optional<std::size_t> n = tun_.read(read_buffer_);
  if (!n) return std::nullopt;
  if (!offload_) {
    packets_[0] = ByteView(read_buffer_.data(), *n);
    return std::span<const ByteView>(packets_.data(), 1);
  }

  const ByteView input(read_buffer_.data(), *n);
  const auto header = wire::parse_virtio_net_header(input);
  if (!header) {
    ++counters_.offload_errors;
    return std::span<const ByteView>();
  }
  const ByteView packet = input.subspan(wire::kVirtioNetHeaderLength);
  const bool gso = (header->gso_type & ~wire::virtio_gso::kEcn) != wire::virtio_gso::kNone;
  if (!gso && (header->flags & wire::kVirtioNeedsChecksum) == 0) {
    packets_[0] = packet;  // nothing to do: no copy
    return std::span<const ByteView>(packets_.data(), 1);
  }

  // Carve the arena into slots of header + gso_size (one slot of the whole packet without GSO).
  const std::size_t segment = gso ? kMaxHeaders + std::max<std::size_t>(header->gso_size, 1) : packet.size();
  const std::size_t count =
      std::min({kMaxSegments, segment_arena_.size() / std::max<std::size_t>(segment, 1),
                gso ? packet.size() / std::max<std::size_t>(header->gso_size, 1) + 1 : 1});
  for (std::size_t i = 0; i < count; ++i) {
    slots_[i] = MutableByteView(segment_arena_.data() + i * segment, segment);
  }
  const wire::SegmentationResult result =
      wire::segment_offloaded_packet(*header, packet, std::span<const MutableByteView>(slots_.data(), count),
                                     std::span<std::size_t>(lengths_.data(), count));
  if (result.error != wire::SegmentationError::None) {
    ++counters_.offload_errors;
    return std::span<const ByteView>();
  }
  for (std::size_t i = 0; i < result.count; ++i) packets_[i] = ByteView(slots_[i].data(), lengths_[i]);
  if (gso) {
    ++counters_.super_packets_read;
    counters_.segments_from_super_packets += result.count;
  }
  return std::span<const ByteView>(packets_.data(), result.count);
}

TunWriteResult TunPacketIo::queue_write(ByteView ip_packet) {
  TunWriteResult result;
  if (!offload_) {
    (tun_.write(ip_packet) ? result.packets_written : result.packets_failed) += 1;
    return result;
  }
  if (!write_batch_.add(ip_packet)) {
    result = flush();
    write_batch_.add(ip_packet);  // an empty batch always has room
  }
  ++queued_;
  return result;
}

TunWriteResult TunPacketIo::flush() {
  TunWriteResult result;
  if (!offload_ || queued_ == 0) return result;
  const std::size_t entries = write_batch_.finish();
  for (std::size_t i = 0; i < entries; ++i) {
    const ByteView entry = write_batch_.entry(i);
    const auto header = wire::parse_virtio_net_header(entry);
    std::size_t packets = 1;
    if (header && header->gso_type != wire::virtio_gso::kNone && header->gso_size != 0) {
      const std::size_t payload = entry.size() - wire::kVirtioNetHeaderLength - header->header_length;
      packets = (payload + header->gso_size - 1) / header->gso_size;
      ++counters_.coalesced_writes;
      counters_.segments_coalesced += packets;
    }
    (tun_.write(entry) ? result.packets_written : result.packets_failed) += packets;
  }
  result.packets_failed += write_batch_.rejected();
  write_batch_.clear();
  queued_ = 0;
  return result;
}

}  // namespace cygnet::daemon
