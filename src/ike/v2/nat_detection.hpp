// NAT detection (RFC 7296 §2.23): NAT_DETECTION_SOURCE_IP / _DESTINATION_IP carry
// SHA-1(SPIi | SPIr | IP address | port); a hash that differs from what the receiver computes for
// the addresses it sees means a NAT rewrote them on the way.
#pragma once

#include <cstdint>

#include "base/bytes.hpp"
#include "ike/engine.hpp"

namespace cygnet::ike {

Bytes nat_detection_hash(std::uint64_t spi_i, std::uint64_t spi_r, const Endpoint& endpoint);

// A hash that can never match (strongSwan's encap=yes trick): the peer then believes we are
// behind a NAT and both sides use UDP encapsulation.
Bytes forced_nat_detection_hash(std::uint64_t spi_i, std::uint64_t spi_r, const Endpoint& endpoint);

}  // namespace cygnet::ike
