// X.500 Distinguished Names as text and as DER (IKE ID_DER_ASN1_DN, certificate subjects).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace cygnet::crypto {

// The DER Name for a textual DN. Three spellings are read:
//  - RFC 4514, most specific RDN first: "CN=gw.example.com, O=Example, C=CH";
//  - top-down with commas, as strongSwan writes them: "C=CH, O=Example, CN=gw.example.com";
//  - OpenSSL's slash form, always top-down: "/C=CH/O=Example/CN=gw.example.com".
// The comma forms are told apart by the RDNs at both ends, ranked C/DC < ST/L < O < OU < anything
// else (a multi-valued RDN by its highest attribute): text whose first RDN ranks higher in the tree
// than its last is top-down, any other is RFC 4514. So both spellings of a name give the same DER,
// and dn_to_string's output always reads back to the DER it came from. '+' joins a multi-valued RDN; '\' escapes
// (RFC 4514 §2.4: "\," or "\2C") and "quoted values" are accepted. nullopt on an unknown attribute,
// a missing '=', an empty value, a dangling '\', a "#hex" BER value (not supported; a '#' not
// followed by hex digits is literal) or a value OpenSSL refuses (C must be two letters).
std::optional<Bytes> dn_from_string(std::string_view text);

// RFC 4514 text with the escaping Certificate::subject_string uses (UTF-8 kept readable), RDNs
// separated by ", " for people: "CN=gw.example.com, O=Example". nullopt when der is not exactly one
// DER Name.
std::optional<std::string> dn_to_string(ByteView der);

// Whether two DER Names are the same name under X.509 comparison of canonical encodings (string
// type, letter case and runs of spaces do not matter). False when either does not decode.
bool dn_equal(ByteView a, ByteView b);

}  // namespace cygnet::crypto
