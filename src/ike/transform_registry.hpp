// Internal to src/ike: the table behind the proposal syntax (keyword ↔ IANA transform) shared by
// the parser, the printer and the selection's explanations. The public API is algorithms.hpp.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "ike/algorithms.hpp"

namespace cygnet::ike::detail {

struct TransformKeyword {
  std::string_view name;
  Transform transform;
};

// Every keyword the proposal syntax knows; for each transform its canonical name comes first.
std::span<const TransformKeyword> transform_keywords();
std::optional<Transform> transform_from_keyword(std::string_view keyword);

// Whether a transform type may appear in a proposal for this protocol at all (PRF only in IKE,
// encryption not in AH, ESN not in IKE).
bool transform_type_applies(TransformType type, ProtocolId protocol);
// ENCR_AES_GCM_* and ENCR_CHACHA20_POLY1305: combined-mode ciphers that need no integrity transform.
bool is_aead_encryption(const Transform& t);

// "encryption algorithm", "PRF", "integrity algorithm", "key exchange group", "ESN setting".
const char* transform_type_noun(TransformType type);
const char* protocol_label(ProtocolId protocol);  // "IKE", "ESP", "AH"
// The RFC whose requirement levels Cygnet applies to this protocol.
const char* policy_rfc(ProtocolId protocol);  // "RFC 8247" for IKE, "RFC 8221" for ESP/AH

// Whether policy lets this transform be used: Recommended, or Legacy with allow_legacy.
bool transform_acceptable(const Transform& t, ProtocolId protocol, bool allow_legacy);

// Printing order of the types in the strongSwan syntax (and in the proposals Cygnet builds).
inline constexpr TransformType kTransformTypeOrder[] = {TransformType::Encryption, TransformType::Integrity,
                                                        TransformType::Prf, TransformType::KeyExchange,
                                                        TransformType::Esn};

}  // namespace cygnet::ike::detail
