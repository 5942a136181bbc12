// The type data of an EAP-TLS packet (RFC 5216 §3.1, unchanged by RFC 9190 for TLS 1.3):
//
//    Flags (L M S R R R R R) | [TLS Message Length, 4 octets, when L] | TLS Data
//
// L: the length field is present (MUST on the first fragment of a fragmented message); M: more
// fragments follow; S: EAP-TLS Start (from the server only). A fragment with no flags and no data
// is an acknowledgement asking for the next fragment. Only the layout is checked here; which
// fragment may come when is ike/eap_tls_fragmentation.hpp's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "wire/parse_result.hpp"

namespace cygnet::wire::eap {

inline constexpr std::uint8_t kTlsFlagLengthIncluded = 0x80;
inline constexpr std::uint8_t kTlsFlagMoreFragments = 0x40;
inline constexpr std::uint8_t kTlsFlagStart = 0x20;

struct TlsFragment {
  bool start = false;
  bool more_fragments = false;
  std::optional<std::uint32_t> message_length;  // the L field: the whole TLS message's length
  Bytes data;
  bool is_acknowledgement() const { return !start && !more_fragments && !message_length && data.empty(); }
  friend bool operator==(const TlsFragment&, const TlsFragment&) = default;
};

struct TlsFragmentFailure {
  std::string detail;
};

// Parses EAP-TLS type data. Reserved flag bits are ignored (RFC 5216 §3.1: "set to zero on
// transmission and ignored on reception").
BasicParseResult<TlsFragment, TlsFragmentFailure> parse_tls_fragment(ByteView type_data);
Bytes serialize_tls_fragment(const TlsFragment& fragment);

}  // namespace cygnet::wire::eap
