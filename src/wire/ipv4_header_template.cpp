#include "wire/ipv4_header_template.hpp"

#include <cstring>

#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::wire {

namespace {

constexpr std::uint16_t kFirstWord = 0x4500;  // version 4, IHL 5, DS field 0

// One word of RFC 1624 eqn. 3: adds ~m + m' to a 32-bit one's complement accumulator.
std::uint32_t replace_word(std::uint32_t sum, std::uint16_t old_word, std::uint16_t new_word) {
  return sum + static_cast<std::uint16_t>(~old_word) + new_word;
}

}  // namespace

Ipv4HeaderTemplate::Ipv4HeaderTemplate(const IpAddress& source, const IpAddress& destination,
                                       std::uint8_t protocol, std::uint8_t ttl) {
  Ipv4HeaderFields fields;
  fields.source = source;
  fields.destination = destination;
  fields.protocol = protocol;
  fields.ttl = ttl;
  write_ipv4_header(MutableByteView(header_.data(), header_.size()), fields);  // length, ID, DS, DF: 0
}

void Ipv4HeaderTemplate::write(std::uint8_t* out, std::uint16_t total_length, std::uint16_t identification,
                               std::uint8_t dscp_ecn, bool dont_fragment) const {
  std::memcpy(out, header_.data(), header_.size());
  const std::uint16_t flags = dont_fragment ? std::uint16_t{0x4000} : std::uint16_t{0};  // DF
  out[1] = dscp_ecn;
  store_be16(out + 2, total_length);
  store_be16(out + 4, identification);
  store_be16(out + 6, flags);
  const std::uint16_t checksum = load_be16(header_.data() + 10);
  std::uint32_t sum = static_cast<std::uint16_t>(~checksum);
  sum = replace_word(sum, kFirstWord, static_cast<std::uint16_t>(kFirstWord | dscp_ecn));
  sum = replace_word(sum, 0, total_length);
  sum = replace_word(sum, 0, identification);
  sum = replace_word(sum, 0, flags);
  while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
  store_be16(out + 10, static_cast<std::uint16_t>(~sum));
}

}  // namespace cygnet::wire
