// Internal to the ISAKMP codec: one payload body (what follows the 4-byte generic header) to and
// from its typed value. isakmp_message.cpp walks the generic headers and the next-payload chain.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::wire::isakmp::detail {

// How the chain walker treats a payload type.
enum class PayloadKind : std::uint8_t {
  Parsed,     // a body parser exists (SA, KE, ... NAT-OA and the draft NAT-D/NAT-OA numbers)
  Misplaced,  // Proposal/Transform: substructures of SA, never in the chain (INVALID-PAYLOAD-TYPE)
  Generic,    // anything else: kept opaque as GenericPayload
};
PayloadKind payload_kind(std::uint8_t type);

// Parses the body of a payload whose kind is Parsed.
ParseResult<Payload> parse_payload_body(PayloadType type, ByteView body);

// Appends the body of p (no generic header) to out. Throws as serialize_message documents.
void append_payload_body(const Payload& p, Bytes& out);

// Big-endian appends and the in-place length patch shared by the payload and chain encoders.
inline void append_u8(Bytes& out, std::uint8_t v) { out.push_back(v); }
inline void append_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void append_u32(Bytes& out, std::uint32_t v) {
  append_u16(out, static_cast<std::uint16_t>(v >> 16));
  append_u16(out, static_cast<std::uint16_t>(v));
}
inline void append_bytes(Bytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }
// Stores value (a length computed by the encoder) as 16 bits at out[at]; throws std::length_error
// naming `what` when it does not fit.
void patch_u16(Bytes& out, std::size_t at, std::size_t value, const char* what);

}  // namespace cygnet::wire::isakmp::detail
