#include "ipsec/mss_clamp.hpp"

#include <algorithm>

#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::ipsec {

namespace {

constexpr std::uint8_t kTcpSyn = 0x02;
constexpr std::uint8_t kOptionEnd = 0;
constexpr std::uint8_t kOptionNop = 1;
constexpr std::uint8_t kOptionMss = 2;
constexpr std::size_t kTcpMinHeader = 20;

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), one 16-bit word changed from m to m'.
std::uint16_t checksum_after_word_change(std::uint16_t checksum, std::uint16_t old_word,
                                         std::uint16_t new_word) {
  std::uint32_t sum = static_cast<std::uint16_t>(~checksum);
  sum += static_cast<std::uint16_t>(~old_word);
  sum += new_word;
  while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

}  // namespace

std::uint16_t mss_for_mtu(std::size_t mtu, bool ipv6) {
  const std::size_t headers = (ipv6 ? wire::kIpv6HeaderLength : wire::kIpv4MinHeaderLength) + kTcpMinHeader;
  if (mtu <= headers) return 0;
  return static_cast<std::uint16_t>(std::min<std::size_t>(mtu - headers, 0xFFFF));
}

bool clamp_tcp_mss(MutableByteView ip_packet, std::uint16_t max_mss) {
  auto info = wire::parse_ip_packet(ip_packet);
  if (!info || info->protocol != wire::ip_protocol::kTcp || info->is_fragment) return false;
  if (info->total_length < info->header_length + kTcpMinHeader) return false;
  std::uint8_t* tcp = ip_packet.data() + info->header_length;
  if ((tcp[13] & kTcpSyn) == 0) return false;
  const std::size_t tcp_header = static_cast<std::size_t>(tcp[12] >> 4) * 4;
  if (tcp_header < kTcpMinHeader || info->header_length + tcp_header > info->total_length) return false;
  for (std::size_t i = kTcpMinHeader; i < tcp_header;) {
    const std::uint8_t kind = tcp[i];
    if (kind == kOptionEnd) break;
    if (kind == kOptionNop) {
      ++i;
      continue;
    }
    if (i + 1 >= tcp_header) break;
    const std::size_t length = tcp[i + 1];
    if (length < 2 || i + length > tcp_header) break;  // malformed options: leave the packet alone
    if (kind == kOptionMss && length == 4) {
      const std::uint16_t mss = wire::load_be16(tcp + i + 2);
      if (mss <= max_mss) return false;
      // The MSS sits at an even or odd offset; the checksum update works on 16-bit words aligned
      // to the segment start, so an odd position changes two words.
      if ((i + 2) % 2 == 0) {
        wire::store_be16(tcp + i + 2, max_mss);
        wire::store_be16(tcp + 16, checksum_after_word_change(wire::load_be16(tcp + 16), mss, max_mss));
      } else {
        const std::size_t first = i + 1;  // word holding [length][mss high], then [mss low][next]
        const std::uint16_t old_a = wire::load_be16(tcp + first);
        const std::uint16_t old_b = wire::load_be16(tcp + first + 2);
        wire::store_be16(tcp + i + 2, max_mss);
        std::uint16_t c =
            checksum_after_word_change(wire::load_be16(tcp + 16), old_a, wire::load_be16(tcp + first));
        c = checksum_after_word_change(c, old_b, wire::load_be16(tcp + first + 2));
        wire::store_be16(tcp + 16, c);
      }
      return true;
    }
    i += length;
  }
  return false;
}

}  // namespace cygnet::ipsec
