// AH header layout (RFC 4302 §2).
#pragma once

#include <cstddef>
#include <cstdint>

namespace cygnet::wire {

inline constexpr std::size_t kAhFixedLength = 12;  // next header, payload len, reserved, SPI, seq

// "Payload Length" is the AH length in 32-bit words minus 2 (RFC 4302 §2.2).
inline constexpr std::uint8_t ah_payload_length_field(std::size_t icv_length) {
  return static_cast<std::uint8_t>((kAhFixedLength + icv_length) / 4 - 2);
}
inline constexpr std::size_t ah_total_length(std::uint8_t payload_length_field) {
  return (std::size_t{payload_length_field} + 2) * 4;
}

}  // namespace cygnet::wire
