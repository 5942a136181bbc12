// Internal to the IKEv2 codec: one payload body (what follows the 4-byte generic header) to and
// from its typed value. ikev2_message.cpp walks the generic headers and the next-payload chain.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::wire::ikev2::detail {

// Parses the body of a payload whose type this codec knows (is_known_payload_type). For SK and
// SKF, next_payload (the generic header's field) is the type of the first inner payload.
ParseResult<Payload> parse_payload_body(PayloadType type, PayloadType next_payload, bool critical,
                                        ByteView body);

// Whether parse_payload_body understands this type.
bool is_known_payload_type(std::uint8_t type);

// Appends the body of p (no generic header) to out. Throws std::length_error when a count or
// length does not fit its field, std::invalid_argument for values the wire cannot express (a
// traffic selector whose addresses disagree with its type, a Delete SPI of the wrong size).
void append_payload_body(const Payload& p, Bytes& out);

// Big-endian appends and the in-place length patch shared by the payload and chain encoders.
inline void append_u8(Bytes& out, std::uint8_t v) { out.push_back(v); }
inline void append_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void append_bytes(Bytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }
// Stores value (a length or count computed by the encoder) as 16 bits at out[at]; throws
// std::length_error naming `what` when it does not fit.
void patch_u16(Bytes& out, std::size_t at, std::size_t value, const char* what);

}  // namespace cygnet::wire::ikev2::detail
