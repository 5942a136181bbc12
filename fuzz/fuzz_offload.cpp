// libFuzzer target: the TUN offload codecs. The input is what one read from a TUN device with
// IFF_VNET_HDR returns: a virtio-net header and a packet. It is segmented (GSO), the segments and
// the raw packet are fed to the GRO coalescer, and every coalesced entry is segmented again. What
// must hold: nothing reads or writes out of bounds, every segment of a GSO packet carries a valid
// TCP/UDP checksum, and coalescing then re-segmenting neither loses nor invents a packet.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "wire/gso_segmentation.hpp"
#include "wire/ip_packet.hpp"
#include "wire/tcp_coalescing.hpp"
#include "wire/transport_checksum.hpp"

using namespace cygnet;
using namespace cygnet::wire;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

constexpr std::size_t kSlots = 256;
constexpr std::size_t kSlotSize = 65536;

struct Slots {
  Slots() : storage(kSlots * kSlotSize), lengths(kSlots) {
    for (std::size_t i = 0; i < kSlots; ++i) {
      views.emplace_back(storage.data() + i * kSlotSize, kSlotSize);
    }
  }
  ByteView packet(std::size_t i) const { return ByteView(views[i].data(), lengths[i]); }
  std::vector<std::uint8_t> storage;
  std::vector<MutableByteView> views;
  std::vector<std::size_t> lengths;
};

bool transport_segment_valid(ByteView packet) {
  const std::size_t ip = (packet[0] >> 4) == 4 ? std::size_t{packet[0] & 0x0Fu} * 4 : 40;
  const std::uint8_t protocol = (packet[0] >> 4) == 4 ? packet[9] : packet[6];
  return transport_checksum_valid(packet, protocol, packet.subspan(ip));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Slots first;
  static Slots again;
  static TcpCoalescingBatch batch(kSlots + 1);
  const ByteView input(data, size);
  const auto header = parse_virtio_net_header(input);
  if (!header) return 0;
  const ByteView packet = input.subspan(kVirtioNetHeaderLength);

  const SegmentationResult result = segment_offloaded_packet(*header, packet, first.views, first.lengths);
  check(result.error == SegmentationError::None || result.count == 0);
  check(!segmentation_error_name(result.error).empty());
  const bool gso = (header->gso_type & ~virtio_gso::kEcn) != virtio_gso::kNone;
  for (std::size_t i = 0; i < result.count; ++i) {
    check(first.lengths[i] <= kSlotSize);
    if (gso) check(transport_segment_valid(first.packet(i)));
  }

  batch.clear();
  std::size_t added = 0;
  for (std::size_t i = 0; i < result.count; ++i) {
    check(batch.add(first.packet(i)));
    ++added;
  }
  check(batch.add(packet));
  added += packet.size() <= 65535 ? 1 : 0;
  check(batch.rejected() + added == result.count + 1);

  std::size_t out = 0;
  for (std::size_t e = 0; e < batch.finish(); ++e) {
    const ByteView entry = batch.entry(e);
    const auto entry_header = parse_virtio_net_header(entry);
    check(entry_header.has_value());
    const auto split = segment_offloaded_packet(*entry_header, entry.subspan(kVirtioNetHeaderLength),
                                                again.views, again.lengths);
    check(split.error == SegmentationError::None);
    out += split.count;
  }
  check(out == added);
  return 0;
}
