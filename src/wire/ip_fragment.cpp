#include "wire/ip_fragment.hpp"

#include <algorithm>
#include <cstring>

#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::wire {

namespace {

constexpr std::uint16_t kMoreFragments = 0x2000;
constexpr std::size_t kFragmentHeaderLength = 8;

std::size_t fragment_ipv4(ByteView packet, std::size_t mtu, MutableByteView scratch,
                          const std::function<bool(ByteView)>& emit) {
  if (packet.size() < kIpv4MinHeaderLength || (packet[0] & 0x0F) != 5) return 0;  // no options
  const std::size_t total = load_be16(packet.data() + 2);
  if (total > packet.size() || total < kIpv4MinHeaderLength) return 0;
  if ((load_be16(packet.data() + 6) & ~std::uint16_t{0x8000}) != 0) return 0;  // DF, MF or an offset
  const std::size_t step = (mtu - kIpv4MinHeaderLength) & ~std::size_t{7};     // offsets count 8 bytes
  if (mtu <= kIpv4MinHeaderLength || step == 0 || scratch.size() < mtu) return 0;
  std::size_t count = 0;
  for (std::size_t offset = 0; kIpv4MinHeaderLength + offset < total; offset += step) {
    const std::size_t data = std::min(step, total - kIpv4MinHeaderLength - offset);
    const bool last = kIpv4MinHeaderLength + offset + data == total;
    std::uint8_t* f = scratch.data();
    std::memcpy(f, packet.data(), kIpv4MinHeaderLength);
    std::memcpy(f + kIpv4MinHeaderLength, packet.data() + kIpv4MinHeaderLength + offset, data);
    store_be16(f + 2, static_cast<std::uint16_t>(kIpv4MinHeaderLength + data));
    store_be16(f + 6, static_cast<std::uint16_t>((last ? 0 : kMoreFragments) | (offset / 8)));
    store_be16(f + 10, 0);
    store_be16(f + 10, internet_checksum(ByteView(f, kIpv4MinHeaderLength)));
    ++count;
    if (!emit(ByteView(f, kIpv4MinHeaderLength + data))) return 0;
  }
  return count;
}

std::size_t fragment_ipv6(ByteView packet, std::size_t mtu, std::uint32_t identification,
                          MutableByteView scratch, const std::function<bool(ByteView)>& emit) {
  if (packet.size() < kIpv6HeaderLength) return 0;
  const std::uint8_t next = packet[6];
  if (next == ip_protocol::kHopByHop || next == ip_protocol::kRouting || next == ip_protocol::kFragment ||
      next == ip_protocol::kDestinationOptions) {
    return 0;  // extension headers would have to be split into (un)fragmentable parts
  }
  const std::size_t total = kIpv6HeaderLength + load_be16(packet.data() + 4);
  if (total > packet.size()) return 0;
  const std::size_t prefix = kIpv6HeaderLength + kFragmentHeaderLength;
  if (mtu <= prefix || scratch.size() < mtu) return 0;
  const std::size_t step = (mtu - prefix) & ~std::size_t{7};
  if (step == 0) return 0;
  const std::size_t payload = total - kIpv6HeaderLength;
  std::size_t count = 0;
  for (std::size_t offset = 0; offset < payload; offset += step) {
    const std::size_t data = std::min(step, payload - offset);
    const bool last = offset + data == payload;
    std::uint8_t* f = scratch.data();
    std::memcpy(f, packet.data(), kIpv6HeaderLength);
    f[6] = ip_protocol::kFragment;
    store_be16(f + 4, static_cast<std::uint16_t>(kFragmentHeaderLength + data));
    std::uint8_t* h = f + kIpv6HeaderLength;
    h[0] = next;
    h[1] = 0;
    store_be16(h + 2, static_cast<std::uint16_t>(offset | (last ? 0 : 1)));  // offset in 8-byte units << 3
    store_be32(h + 4, identification);
    std::memcpy(f + prefix, packet.data() + kIpv6HeaderLength + offset, data);
    ++count;
    if (!emit(ByteView(f, prefix + data))) return 0;
  }
  return count;
}

}  // namespace

std::size_t fragment_ip_packet(ByteView packet, std::size_t mtu, std::uint32_t identification,
                               MutableByteView scratch, const std::function<bool(ByteView)>& emit) {
  if (packet.empty()) return 0;
  if (packet[0] >> 4 == 4) return fragment_ipv4(packet, mtu, scratch, emit);
  if (packet[0] >> 4 == 6) return fragment_ipv6(packet, mtu, identification, scratch, emit);
  return 0;
}

}  // namespace cygnet::wire
