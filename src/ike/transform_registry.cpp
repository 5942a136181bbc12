// The transform registry: strongSwan keywords for IANA transform IDs and Cygnet's policy on each
// (RFC 8247 for IKE, RFC 8221 for ESP/AH).
#include "ike/transform_registry.hpp"

#include <array>
#include <string>

namespace cygnet::ike {

namespace {

using wire::ikev2::EncryptionId;
using wire::ikev2::EsnId;
using wire::ikev2::IntegrityId;
using wire::ikev2::KeyExchangeId;
using wire::ikev2::PrfId;

constexpr Transform enc(EncryptionId id, std::optional<std::uint16_t> bits = std::nullopt) {
  return Transform{TransformType::Encryption, static_cast<std::uint16_t>(id), bits};
}
constexpr Transform integ(IntegrityId id) {
  return Transform{TransformType::Integrity, static_cast<std::uint16_t>(id), std::nullopt};
}
constexpr Transform prf(PrfId id) { return Transform{TransformType::Prf, static_cast<std::uint16_t>(id), std::nullopt}; }
constexpr Transform ke(KeyExchangeId id) {
  return Transform{TransformType::KeyExchange, static_cast<std::uint16_t>(id), std::nullopt};
}
constexpr Transform esn(EsnId id) { return Transform{TransformType::Esn, static_cast<std::uint16_t>(id), std::nullopt}; }

// Canonical name first for each transform; aliases after it. Keywords for transforms Cygnet does
// not implement are listed too, so that "aes128ctr" is reported as unsupported, not as unknown.
const std::array kKeywords = {
    // Encryption (type 1).
    detail::TransformKeyword{"aes128", enc(EncryptionId::AesCbc, 128)},
    detail::TransformKeyword{"aes192", enc(EncryptionId::AesCbc, 192)},
    detail::TransformKeyword{"aes256", enc(EncryptionId::AesCbc, 256)},
    detail::TransformKeyword{"aes", enc(EncryptionId::AesCbc, 128)},
    detail::TransformKeyword{"aes128gcm16", enc(EncryptionId::AesGcm16, 128)},
    detail::TransformKeyword{"aes192gcm16", enc(EncryptionId::AesGcm16, 192)},
    detail::TransformKeyword{"aes256gcm16", enc(EncryptionId::AesGcm16, 256)},
    detail::TransformKeyword{"aes128gcm", enc(EncryptionId::AesGcm16, 128)},
    detail::TransformKeyword{"aes192gcm", enc(EncryptionId::AesGcm16, 192)},
    detail::TransformKeyword{"aes256gcm", enc(EncryptionId::AesGcm16, 256)},
    detail::TransformKeyword{"aes128gcm128", enc(EncryptionId::AesGcm16, 128)},
    detail::TransformKeyword{"aes192gcm128", enc(EncryptionId::AesGcm16, 192)},
    detail::TransformKeyword{"aes256gcm128", enc(EncryptionId::AesGcm16, 256)},
    detail::TransformKeyword{"aes128gcm12", enc(EncryptionId::AesGcm12, 128)},
    detail::TransformKeyword{"aes192gcm12", enc(EncryptionId::AesGcm12, 192)},
    detail::TransformKeyword{"aes256gcm12", enc(EncryptionId::AesGcm12, 256)},
    detail::TransformKeyword{"aes128gcm96", enc(EncryptionId::AesGcm12, 128)},
    detail::TransformKeyword{"aes192gcm96", enc(EncryptionId::AesGcm12, 192)},
    detail::TransformKeyword{"aes256gcm96", enc(EncryptionId::AesGcm12, 256)},
    detail::TransformKeyword{"aes128gcm8", enc(EncryptionId::AesGcm8, 128)},
    detail::TransformKeyword{"aes192gcm8", enc(EncryptionId::AesGcm8, 192)},
    detail::TransformKeyword{"aes256gcm8", enc(EncryptionId::AesGcm8, 256)},
    detail::TransformKeyword{"aes128gcm64", enc(EncryptionId::AesGcm8, 128)},
    detail::TransformKeyword{"aes192gcm64", enc(EncryptionId::AesGcm8, 192)},
    detail::TransformKeyword{"aes256gcm64", enc(EncryptionId::AesGcm8, 256)},
    detail::TransformKeyword{"chacha20poly1305", enc(EncryptionId::ChaCha20Poly1305)},
    detail::TransformKeyword{"3des", enc(EncryptionId::TripleDes)},
    detail::TransformKeyword{"des", enc(EncryptionId::Des)},
    detail::TransformKeyword{"null", enc(EncryptionId::Null)},
    detail::TransformKeyword{"aes128ctr", enc(EncryptionId::AesCtr, 128)},
    detail::TransformKeyword{"aes192ctr", enc(EncryptionId::AesCtr, 192)},
    detail::TransformKeyword{"aes256ctr", enc(EncryptionId::AesCtr, 256)},
    detail::TransformKeyword{"aes128ccm8", enc(EncryptionId::AesCcm8, 128)},
    detail::TransformKeyword{"aes256ccm8", enc(EncryptionId::AesCcm8, 256)},
    detail::TransformKeyword{"aes128ccm12", enc(EncryptionId::AesCcm12, 128)},
    detail::TransformKeyword{"aes256ccm12", enc(EncryptionId::AesCcm12, 256)},
    detail::TransformKeyword{"aes128ccm16", enc(EncryptionId::AesCcm16, 128)},
    detail::TransformKeyword{"aes256ccm16", enc(EncryptionId::AesCcm16, 256)},
    // Integrity (type 3).
    detail::TransformKeyword{"md5", integ(IntegrityId::HmacMd5_96)},
    detail::TransformKeyword{"sha1", integ(IntegrityId::HmacSha1_96)},
    detail::TransformKeyword{"sha", integ(IntegrityId::HmacSha1_96)},
    detail::TransformKeyword{"aesxcbc", integ(IntegrityId::AesXcbc96)},
    detail::TransformKeyword{"sha256", integ(IntegrityId::HmacSha2_256_128)},
    detail::TransformKeyword{"sha2_256", integ(IntegrityId::HmacSha2_256_128)},
    detail::TransformKeyword{"sha384", integ(IntegrityId::HmacSha2_384_192)},
    detail::TransformKeyword{"sha2_384", integ(IntegrityId::HmacSha2_384_192)},
    detail::TransformKeyword{"sha512", integ(IntegrityId::HmacSha2_512_256)},
    detail::TransformKeyword{"sha2_512", integ(IntegrityId::HmacSha2_512_256)},
    // PRF (type 2).
    detail::TransformKeyword{"prfmd5", prf(PrfId::HmacMd5)},
    detail::TransformKeyword{"prfsha1", prf(PrfId::HmacSha1)},
    detail::TransformKeyword{"prfaesxcbc", prf(PrfId::AesXcbc)},
    detail::TransformKeyword{"prfsha256", prf(PrfId::HmacSha2_256)},
    detail::TransformKeyword{"prfsha384", prf(PrfId::HmacSha2_384)},
    detail::TransformKeyword{"prfsha512", prf(PrfId::HmacSha2_512)},
    // Key exchange (type 4).
    detail::TransformKeyword{"modp768", ke(KeyExchangeId::Modp768)},
    detail::TransformKeyword{"modp1024", ke(KeyExchangeId::Modp1024)},
    detail::TransformKeyword{"modp1536", ke(KeyExchangeId::Modp1536)},
    detail::TransformKeyword{"modp2048", ke(KeyExchangeId::Modp2048)},
    detail::TransformKeyword{"modp3072", ke(KeyExchangeId::Modp3072)},
    detail::TransformKeyword{"modp4096", ke(KeyExchangeId::Modp4096)},
    detail::TransformKeyword{"modp6144", ke(KeyExchangeId::Modp6144)},
    detail::TransformKeyword{"modp8192", ke(KeyExchangeId::Modp8192)},
    detail::TransformKeyword{"ecp256", ke(KeyExchangeId::Ecp256)},
    detail::TransformKeyword{"ecp384", ke(KeyExchangeId::Ecp384)},
    detail::TransformKeyword{"ecp521", ke(KeyExchangeId::Ecp521)},
    detail::TransformKeyword{"modp1024s160", ke(KeyExchangeId::Modp1024s160)},
    detail::TransformKeyword{"modp2048s224", ke(KeyExchangeId::Modp2048s224)},
    detail::TransformKeyword{"modp2048s256", ke(KeyExchangeId::Modp2048s256)},
    detail::TransformKeyword{"x25519", ke(KeyExchangeId::Curve25519)},
    detail::TransformKeyword{"curve25519", ke(KeyExchangeId::Curve25519)},
    detail::TransformKeyword{"x448", ke(KeyExchangeId::Curve448)},
    detail::TransformKeyword{"curve448", ke(KeyExchangeId::Curve448)},
    // Extended sequence numbers (type 5).
    detail::TransformKeyword{"esn", esn(EsnId::Esn)},
    detail::TransformKeyword{"noesn", esn(EsnId::NoEsn)},
};

bool valid_aes_key_bits(const Transform& t) {
  return t.key_length == 128 || t.key_length == 192 || t.key_length == 256;
}

// RFC 8247 §2.1 (IKE) and RFC 8221 §5 (ESP).
AlgorithmStrength encryption_strength(const Transform& t, ProtocolId protocol) {
  switch (t.id) {
    case 1:  // ENCR_DES_IV64
    case 2:  // ENCR_DES: MUST NOT in both
    case 7:  // ENCR_BLOWFISH: MUST NOT (RFC 8221)
    case 8:  // ENCR_3IDEA: MUST NOT (RFC 8221)
    case 9:  // ENCR_DES_IV32: MUST NOT (RFC 8221)
      return AlgorithmStrength::Forbidden;
    default: break;
  }
  const bool ike = protocol == ProtocolId::Ike;
  switch (static_cast<EncryptionId>(t.id)) {
    case EncryptionId::TripleDes:
      // RFC 8221: SHOULD NOT; RFC 8247 demotes it to MAY with "expected to be deprecated".
      return t.key_length ? AlgorithmStrength::Unsupported : AlgorithmStrength::Legacy;
    case EncryptionId::Null:
      // IKE must always encrypt (RFC 7296 §5); for ESP RFC 8221 keeps ENCR_NULL for integrity-only
      // ESP, which Cygnet treats as legacy: confidentiality is the default expectation.
      if (ike) return AlgorithmStrength::Forbidden;
      return t.key_length ? AlgorithmStrength::Unsupported : AlgorithmStrength::Legacy;
    case EncryptionId::AesCbc:
    case EncryptionId::AesGcm16:
      return valid_aes_key_bits(t) ? AlgorithmStrength::Recommended : AlgorithmStrength::Unsupported;
    case EncryptionId::AesGcm8:
    case EncryptionId::AesGcm12:
      // RFC 4106 defines them for ESP; Cygnet's SK payload implements only the 16-octet ICV
      // (RFC 8247 lists only ENCR_AES_GCM_16 for IKE).
      if (ike) return AlgorithmStrength::Unsupported;
      return valid_aes_key_bits(t) ? AlgorithmStrength::Recommended : AlgorithmStrength::Unsupported;
    case EncryptionId::ChaCha20Poly1305:
      // RFC 7634 §2/§4: the Key Length attribute MUST NOT be sent (the key is always 256 bits).
      return t.key_length ? AlgorithmStrength::Unsupported : AlgorithmStrength::Recommended;
    default: return AlgorithmStrength::Unsupported;
  }
}

// RFC 8247 §2.3.
AlgorithmStrength prf_strength(const Transform& t) {
  switch (static_cast<PrfId>(t.id)) {
    case PrfId::HmacMd5: return AlgorithmStrength::Forbidden;  // MUST NOT
    case PrfId::HmacSha1: return AlgorithmStrength::Legacy;    // MUST-: on its way out
    case PrfId::HmacSha2_256:
    case PrfId::HmacSha2_384:
    case PrfId::HmacSha2_512: return AlgorithmStrength::Recommended;
    default: return AlgorithmStrength::Unsupported;
  }
}

// RFC 8247 §2.2 (IKE) and RFC 8221 §6 (ESP/AH).
AlgorithmStrength integrity_strength(const Transform& t, ProtocolId protocol) {
  switch (static_cast<IntegrityId>(t.id)) {
    case IntegrityId::None:
      // Only meaningful next to an AEAD cipher; AH without integrity is nothing.
      return protocol == ProtocolId::Ah ? AlgorithmStrength::Unsupported : AlgorithmStrength::Recommended;
    case IntegrityId::HmacMd5_96:
    case IntegrityId::DesMac:
    case IntegrityId::KpdkMd5: return AlgorithmStrength::Forbidden;  // MUST NOT
    case IntegrityId::HmacSha1_96: return AlgorithmStrength::Legacy;  // MUST-: on its way out
    case IntegrityId::HmacSha2_256_128:
    case IntegrityId::HmacSha2_384_192:
    case IntegrityId::HmacSha2_512_256: return AlgorithmStrength::Recommended;
    default: return AlgorithmStrength::Unsupported;
  }
}

// RFC 8247 §2.4 (the same groups serve CHILD SA PFS).
AlgorithmStrength key_exchange_strength(const Transform& t, ProtocolId protocol) {
  switch (static_cast<KeyExchangeId>(t.id)) {
    case KeyExchangeId::None:
      // "No PFS" is a valid choice for a CHILD SA; an IKE SA always needs a key exchange.
      return protocol == ProtocolId::Ike ? AlgorithmStrength::Unsupported : AlgorithmStrength::Recommended;
    case KeyExchangeId::Modp768: return AlgorithmStrength::Forbidden;  // MUST NOT
    case KeyExchangeId::Modp1024: return AlgorithmStrength::Legacy;    // SHOULD NOT
    default: break;
  }
  // MODP-1536 and the RFC 5114 groups 22-24 are SHOULD NOT too, but not implemented at all.
  return crypto::dh_group_from_id(t.id) ? AlgorithmStrength::Recommended : AlgorithmStrength::Unsupported;
}

}  // namespace

namespace detail {

std::span<const TransformKeyword> transform_keywords() { return kKeywords; }

std::optional<Transform> transform_from_keyword(std::string_view keyword) {
  for (const TransformKeyword& k : kKeywords)
    if (k.name == keyword) return k.transform;
  return std::nullopt;
}

bool transform_type_applies(TransformType type, ProtocolId protocol) {
  switch (type) {
    case TransformType::Encryption: return protocol == ProtocolId::Ike || protocol == ProtocolId::Esp;
    case TransformType::Prf: return protocol == ProtocolId::Ike;
    case TransformType::Integrity:
    case TransformType::KeyExchange:
      return protocol == ProtocolId::Ike || protocol == ProtocolId::Esp || protocol == ProtocolId::Ah;
    case TransformType::Esn: return protocol == ProtocolId::Esp || protocol == ProtocolId::Ah;
  }
  return false;
}

bool is_aead_encryption(const Transform& t) {
  if (t.type != TransformType::Encryption) return false;
  switch (static_cast<EncryptionId>(t.id)) {
    case EncryptionId::AesGcm8:
    case EncryptionId::AesGcm12:
    case EncryptionId::AesGcm16:
    case EncryptionId::AesCcm8:
    case EncryptionId::AesCcm12:
    case EncryptionId::AesCcm16:
    case EncryptionId::ChaCha20Poly1305: return true;
    default: return false;
  }
}

const char* transform_type_noun(TransformType type) {
  switch (type) {
    case TransformType::Encryption: return "encryption algorithm";
    case TransformType::Prf: return "PRF";
    case TransformType::Integrity: return "integrity algorithm";
    case TransformType::KeyExchange: return "key exchange group";
    case TransformType::Esn: return "ESN setting";
  }
  return "transform";
}

const char* protocol_label(ProtocolId protocol) {
  switch (protocol) {
    case ProtocolId::Ike: return "IKE";
    case ProtocolId::Esp: return "ESP";
    case ProtocolId::Ah: return "AH";
    case ProtocolId::None: break;
  }
  return "unknown protocol";
}

const char* policy_rfc(ProtocolId protocol) { return protocol == ProtocolId::Ike ? "RFC 8247" : "RFC 8221"; }

bool transform_acceptable(const Transform& t, ProtocolId protocol, bool allow_legacy) {
  switch (transform_strength(t, protocol)) {
    case AlgorithmStrength::Recommended: return true;
    case AlgorithmStrength::Legacy: return allow_legacy;
    case AlgorithmStrength::Forbidden:
    case AlgorithmStrength::Unsupported: return false;
  }
  return false;
}

}  // namespace detail

AlgorithmStrength transform_strength(const Transform& t, ProtocolId protocol) {
  if (!detail::transform_type_applies(t.type, protocol)) return AlgorithmStrength::Unsupported;
  // Only encryption transforms carry a Key Length attribute (RFC 7296 §3.3.5).
  if (t.type != TransformType::Encryption && t.key_length) return AlgorithmStrength::Unsupported;
  switch (t.type) {
    case TransformType::Encryption: return encryption_strength(t, protocol);
    case TransformType::Prf: return prf_strength(t);
    case TransformType::Integrity: return integrity_strength(t, protocol);
    case TransformType::KeyExchange: return key_exchange_strength(t, protocol);
    case TransformType::Esn:
      return t.id <= static_cast<std::uint16_t>(EsnId::Esn) ? AlgorithmStrength::Recommended
                                                            : AlgorithmStrength::Unsupported;
  }
  return AlgorithmStrength::Unsupported;
}

std::string transform_name(const Transform& t) {
  for (const detail::TransformKeyword& k : kKeywords)
    if (k.transform == t) return std::string(k.name);
  // Not expressible as a keyword (an unknown ID, or an odd key length): say what it is without a
  // '-', so that a proposal printed with it stays readable.
  if (t.type == TransformType::KeyExchange && t.id == 0) return "nokex";
  if (t.type == TransformType::Integrity && t.id == 0) return "nointeg";
  std::string name;
  switch (t.type) {
    case TransformType::Encryption: name = "encr"; break;
    case TransformType::Prf: name = "prf"; break;
    case TransformType::Integrity: name = "integ"; break;
    case TransformType::KeyExchange: name = "ke"; break;
    case TransformType::Esn: name = "esn"; break;
  }
  name += std::to_string(t.id);
  if (t.key_length) name += "_" + std::to_string(*t.key_length);
  return name;
}

}  // namespace cygnet::ike
