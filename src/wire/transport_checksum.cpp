#include "wire/transport_checksum.hpp"

#include <bit>
#include <cstring>

namespace cygnet::wire {
namespace {

std::uint16_t fold(std::uint64_t sum) {
  while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

}  // namespace

std::uint16_t ones_complement_sum(ByteView data, std::uint16_t initial) {
  // Sums 32-bit words in host order into 64 bits, which is byte-order independent up to one final
  // swap (RFC 1071 §2(B)); this runs over every byte the offload paths move.
  std::uint64_t sum = 0;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  while (n >= 4) {
    std::uint32_t word;
    std::memcpy(&word, p, 4);
    sum += word;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t half;
    std::memcpy(&half, p, 2);
    sum += half;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // The odd byte is the high half of a big-endian word padded with zero.
    if constexpr (std::endian::native == std::endian::little) {
      sum += p[0];
    } else {
      sum += std::uint64_t{p[0]} << 8;
    }
  }
  std::uint16_t folded = fold(sum);
  if constexpr (std::endian::native == std::endian::little) {
    folded = static_cast<std::uint16_t>((folded << 8) | (folded >> 8));
  }
  return fold(std::uint64_t{folded} + initial);
}

std::uint16_t pseudo_header_sum(ByteView ip_packet, std::uint8_t protocol, std::uint32_t length) {
  const bool v4 = (ip_packet[0] >> 4) == 4;
  const ByteView addresses = v4 ? ip_packet.subspan(12, 8) : ip_packet.subspan(8, 32);
  std::uint64_t sum = ones_complement_sum(addresses);
  sum += protocol;
  sum += length >> 16;
  sum += length & 0xFFFF;
  return fold(sum);
}

std::uint16_t transport_checksum(ByteView ip_packet, std::uint8_t protocol, ByteView segment) {
  const auto length = static_cast<std::uint32_t>(segment.size());
  return static_cast<std::uint16_t>(
      ~ones_complement_sum(segment, pseudo_header_sum(ip_packet, protocol, length)));
}

bool transport_checksum_valid(ByteView ip_packet, std::uint8_t protocol, ByteView segment) {
  return transport_checksum(ip_packet, protocol, segment) == 0;
}

}  // namespace cygnet::wire
