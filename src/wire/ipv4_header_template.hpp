// A tunnel's outer IPv4 header, prepared once per SA: per packet only the DS field, total length,
// identification and DF change, and the checksum is updated incrementally from the template's
// (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for each changed 16-bit word m → m') instead of being
// recomputed over the whole header.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::wire {

class Ipv4HeaderTemplate {
 public:
  // Both addresses must be IPv4.
  Ipv4HeaderTemplate(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                     std::uint8_t ttl = 64);

  std::uint8_t protocol() const { return header_[9]; }

  // Writes the 20-byte header of one packet to out[0..20) (out must have room), byte for byte
  // what write_ipv4_header() writes for the same fields.
  void write(std::uint8_t* out, std::uint16_t total_length, std::uint16_t identification,
             std::uint8_t dscp_ecn, bool dont_fragment) const;

 private:
  std::array<std::uint8_t, 20> header_{};  // variable fields zero, checksum valid for this header
};

}  // namespace cygnet::wire
