// What the payload tables of both IKE versions report when a message breaks its row
// (ikev2_payload_rules.hpp, ikev1_payload_rules.hpp).
#pragma once

#include <cstdint>
#include <string>

namespace cygnet::ike {

// "Any number" in a row's maximum (N*, V*, CERT*).
inline constexpr std::uint8_t kAnyCount = 255;

struct PayloadViolation {
  std::uint8_t payload_type = 0;  // the payload named, as its type number on the wire
  unsigned count = 0;             // how many the message carried
  std::string detail;             // "IKE_AUTH request: 2 IDi payloads (at most 1)"
};

}  // namespace cygnet::ike
