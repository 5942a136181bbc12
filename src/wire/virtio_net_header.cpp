#include "wire/virtio_net_header.hpp"

namespace cygnet::wire {
namespace {

std::uint16_t load_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
void store_le16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}

bool known_gso_type(std::uint8_t gso_type) {
  switch (gso_type & ~virtio_gso::kEcn) {
    case virtio_gso::kNone:
    case virtio_gso::kTcpV4:
    case virtio_gso::kUdp:
    case virtio_gso::kTcpV6:
    case virtio_gso::kUdpL4: return true;
    default: return false;
  }
}

}  // namespace

std::optional<VirtioNetHeader> parse_virtio_net_header(ByteView bytes) {
  if (bytes.size() < kVirtioNetHeaderLength) return std::nullopt;
  const std::uint8_t* p = bytes.data();
  VirtioNetHeader header;
  header.flags = p[0];
  header.gso_type = p[1];
  if ((header.flags & ~(kVirtioNeedsChecksum | kVirtioDataValid)) != 0) return std::nullopt;
  if (!known_gso_type(header.gso_type)) return std::nullopt;
  header.header_length = load_le16(p + 2);
  header.gso_size = load_le16(p + 4);
  header.checksum_start = load_le16(p + 6);
  header.checksum_offset = load_le16(p + 8);
  return header;
}

bool write_virtio_net_header(MutableByteView out, const VirtioNetHeader& header) {
  if (out.size() < kVirtioNetHeaderLength) return false;
  std::uint8_t* p = out.data();
  p[0] = header.flags;
  p[1] = header.gso_type;
  store_le16(p + 2, header.header_length);
  store_le16(p + 4, header.gso_size);
  store_le16(p + 6, header.checksum_start);
  store_le16(p + 8, header.checksum_offset);
  return true;
}

}  // namespace cygnet::wire
