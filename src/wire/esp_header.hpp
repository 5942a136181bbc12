// ESP header and trailer layout (RFC 4303 §2).
#pragma once

#include <cstddef>
#include <cstdint>

namespace cygnet::wire {

inline constexpr std::size_t kEspHeaderLength = 8;      // SPI + sequence number
inline constexpr std::size_t kEspTrailerLength = 2;     // pad length + next header
inline constexpr std::uint32_t kSpiReservedMax = 255;   // SPIs 1..255 are reserved by IANA (RFC 4303 §2.1)

}  // namespace cygnet::wire
