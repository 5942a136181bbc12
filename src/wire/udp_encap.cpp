#include "wire/udp_encap.hpp"

#include <algorithm>

#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::wire {

namespace {
constexpr std::size_t kEspMinLength = 8;  // SPI + sequence number
constexpr std::size_t kIpv6AddressLength = 16;

// Folded one's-complement sum of data (an even-length prefix of a checksummed whole keeps word
// alignment, so partial sums can be added).
std::uint32_t folded_sum(ByteView data) {
  return static_cast<std::uint16_t>(~internet_checksum(data));
}
}  // namespace

Udp4500Payload classify_udp4500_payload(ByteView udp_payload) {
  const std::size_t n = udp_payload.size();
  if (n == 1 && udp_payload[0] == kNatKeepaliveByte) return Udp4500Payload::NatKeepalive;
  if (n < kNonEspMarkerLength) return Udp4500Payload::Malformed;
  const std::uint32_t marker_or_spi = load_be32(udp_payload.data());
  if (marker_or_spi == 0) {
    // A non-ESP marker with nothing after it carries no IKE message.
    return n > kNonEspMarkerLength ? Udp4500Payload::Ike : Udp4500Payload::Malformed;
  }
  return n >= kEspMinLength ? Udp4500Payload::Esp : Udp4500Payload::Malformed;
}

bool write_udp_header(MutableByteView out, std::uint16_t source_port,
                      std::uint16_t destination_port, std::uint16_t length) {
  if (out.size() < kUdpHeaderLength || length < kUdpHeaderLength) return false;
  std::uint8_t* p = out.data();
  store_be16(p, source_port);
  store_be16(p + 2, destination_port);
  store_be16(p + 4, length);
  store_be16(p + 6, 0);
  return true;
}

void set_udp6_checksum(MutableByteView udp_datagram, ByteView source16, ByteView destination16) {
  if (udp_datagram.size() < kUdpHeaderLength || udp_datagram.size() > 0xFFFFFFFFu) return;
  if (source16.size() != kIpv6AddressLength || destination16.size() != kIpv6AddressLength) return;
  // Pseudo-header (RFC 8200 §8.1): source, destination, upper-layer length (32 bits), 3 zero
  // bytes, next header.
  std::uint8_t pseudo[2 * kIpv6AddressLength + 8] = {};
  std::copy(source16.begin(), source16.end(), pseudo);
  std::copy(destination16.begin(), destination16.end(), pseudo + kIpv6AddressLength);
  store_be32(pseudo + 2 * kIpv6AddressLength, static_cast<std::uint32_t>(udp_datagram.size()));
  pseudo[sizeof pseudo - 1] = 17;  // UDP

  std::uint8_t* checksum = udp_datagram.data() + 6;
  store_be16(checksum, 0);
  std::uint32_t sum = folded_sum(ByteView(pseudo, sizeof pseudo)) + folded_sum(udp_datagram);
  while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
  std::uint16_t value = static_cast<std::uint16_t>(~sum);
  if (value == 0) value = 0xFFFF;  // zero means "no checksum" (RFC 768), forbidden over IPv6
  store_be16(checksum, value);
}

}  // namespace cygnet::wire
