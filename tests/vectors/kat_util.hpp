// Helpers for the known-answer tests in this folder: hex and ASCII literals for published vectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string_view>

#include "base/bytes.hpp"

namespace cygnet::kat {

// from_hex that refuses a malformed literal (odd length, stray character) instead of quietly
// returning an empty vector, so a transcription slip fails loudly rather than testing nothing.
inline Bytes hex(std::string_view text) {
  Bytes out = from_hex(text);
  if (out.empty() && text.find_first_not_of(" \n\t\r") != std::string_view::npos) {
    throw std::invalid_argument("malformed hex literal in a test vector");
  }
  return out;
}

// The bytes of an ASCII string (no terminating NUL), for vectors the RFCs print as text.
inline Bytes ascii(std::string_view text) { return Bytes(text.begin(), text.end()); }

inline Bytes repeat(std::uint8_t value, std::size_t count) { return Bytes(count, value); }

inline Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline ByteView prefix(ByteView bytes, std::size_t length) { return bytes.first(length); }

}  // namespace cygnet::kat
