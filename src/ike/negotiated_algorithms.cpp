// From a chosen proposal to the algorithm sets the IKE SA and the CHILD SAs run with, and back to
// names.
#include <algorithm>
#include <string>

#include "ike/transform_registry.hpp"

namespace cygnet::ike {

namespace {

using wire::ikev2::EncryptionId;
using wire::ikev2::EsnId;
using wire::ikev2::IntegrityId;
using wire::ikev2::KeyExchangeId;
using wire::ikev2::PrfId;

// The single transform of a type; nullopt in `out` when absent; false when there are several.
bool single(const Proposal& p, TransformType type, std::optional<Transform>& out) {
  out.reset();
  for (const Transform& t : p.transforms) {
    if (t.type != type) continue;
    if (out) return false;
    out = t;
  }
  return true;
}

std::optional<crypto::IntegrityAlgorithm> integrity_from_id(std::uint16_t id) {
  switch (static_cast<IntegrityId>(id)) {
    case IntegrityId::HmacSha1_96: return crypto::IntegrityAlgorithm::HmacSha1_96;
    case IntegrityId::HmacSha2_256_128: return crypto::IntegrityAlgorithm::HmacSha256_128;
    case IntegrityId::HmacSha2_384_192: return crypto::IntegrityAlgorithm::HmacSha384_192;
    case IntegrityId::HmacSha2_512_256: return crypto::IntegrityAlgorithm::HmacSha512_256;
    default: return std::nullopt;
  }
}

IntegrityId integrity_id(crypto::IntegrityAlgorithm a) {
  switch (a) {
    case crypto::IntegrityAlgorithm::HmacSha1_96: return IntegrityId::HmacSha1_96;
    case crypto::IntegrityAlgorithm::HmacSha256_128: return IntegrityId::HmacSha2_256_128;
    case crypto::IntegrityAlgorithm::HmacSha384_192: return IntegrityId::HmacSha2_384_192;
    case crypto::IntegrityAlgorithm::HmacSha512_256: return IntegrityId::HmacSha2_512_256;
  }
  return IntegrityId::None;
}

std::optional<crypto::HashAlgorithm> prf_from_id(std::uint16_t id) {
  switch (static_cast<PrfId>(id)) {
    case PrfId::HmacSha1: return crypto::HashAlgorithm::Sha1;
    case PrfId::HmacSha2_256: return crypto::HashAlgorithm::Sha256;
    case PrfId::HmacSha2_384: return crypto::HashAlgorithm::Sha384;
    case PrfId::HmacSha2_512: return crypto::HashAlgorithm::Sha512;
    default: return std::nullopt;
  }
}

PrfId prf_id(crypto::HashAlgorithm h) {
  switch (h) {
    case crypto::HashAlgorithm::Sha1: return PrfId::HmacSha1;
    case crypto::HashAlgorithm::Sha256: return PrfId::HmacSha2_256;
    case crypto::HashAlgorithm::Sha384: return PrfId::HmacSha2_384;
    case crypto::HashAlgorithm::Sha512: return PrfId::HmacSha2_512;
  }
  return PrfId::HmacSha2_256;
}

bool aes_bits(const Transform& t) { return t.key_length == 128 || t.key_length == 192 || t.key_length == 256; }

crypto::AeadAlgorithm gcm_for_bits(std::uint16_t bits) {
  return bits == 128 ? crypto::AeadAlgorithm::AesGcm128
                     : bits == 192 ? crypto::AeadAlgorithm::AesGcm192 : crypto::AeadAlgorithm::AesGcm256;
}

crypto::CbcAlgorithm cbc_for_bits(std::uint16_t bits) {
  return bits == 128 ? crypto::CbcAlgorithm::AesCbc128
                     : bits == 192 ? crypto::CbcAlgorithm::AesCbc192 : crypto::CbcAlgorithm::AesCbc256;
}

Transform transform(TransformType type, std::uint16_t id, std::optional<std::uint16_t> bits = std::nullopt) {
  return Transform{type, id, bits};
}

// ESP encryption transform of a negotiated child, back to its IANA form.
Transform encryption_transform(const ipsec::EncryptionTransform& e) {
  using Kind = ipsec::EncryptionTransform::Kind;
  switch (e.kind) {
    case Kind::Null: return transform(TransformType::Encryption, static_cast<std::uint16_t>(EncryptionId::Null));
    case Kind::Cbc:
      switch (e.cbc) {
        case crypto::CbcAlgorithm::AesCbc128: return transform(TransformType::Encryption, 12, 128);
        case crypto::CbcAlgorithm::AesCbc192: return transform(TransformType::Encryption, 12, 192);
        case crypto::CbcAlgorithm::AesCbc256: return transform(TransformType::Encryption, 12, 256);
        case crypto::CbcAlgorithm::TripleDesCbc:
          return transform(TransformType::Encryption, static_cast<std::uint16_t>(EncryptionId::TripleDes));
      }
      break;
    case Kind::Aead: {
      if (e.aead == crypto::AeadAlgorithm::ChaCha20Poly1305)
        return transform(TransformType::Encryption, static_cast<std::uint16_t>(EncryptionId::ChaCha20Poly1305));
      const EncryptionId id = e.aead_icv_length == 8    ? EncryptionId::AesGcm8
                              : e.aead_icv_length == 12 ? EncryptionId::AesGcm12
                                                        : EncryptionId::AesGcm16;
      const std::uint16_t bits = e.aead == crypto::AeadAlgorithm::AesGcm128   ? 128
                                 : e.aead == crypto::AeadAlgorithm::AesGcm192 ? 192
                                                                             : 256;
      return transform(TransformType::Encryption, static_cast<std::uint16_t>(id), bits);
    }
  }
  return transform(TransformType::Encryption, 0);
}

}  // namespace

std::size_t IkeAlgorithms::encryption_key_length() const {
  switch (encryption) {
    case EncryptionId::AesGcm16: return key_bits / 8u + ipsec::kAeadSaltLength;
    case EncryptionId::ChaCha20Poly1305: return 32 + ipsec::kAeadSaltLength;
    case EncryptionId::AesCbc: return key_bits / 8u;
    case EncryptionId::TripleDes: return crypto::cbc_key_length(crypto::CbcAlgorithm::TripleDesCbc);
    default: return 0;
  }
}

std::size_t IkeAlgorithms::integrity_key_length() const {
  return integrity ? crypto::integrity_key_length(*integrity) : 0;
}

std::string IkeAlgorithms::to_string() const {
  Proposal p;
  p.protocol = ProtocolId::Ike;
  const bool keyed = encryption == EncryptionId::AesCbc || encryption == EncryptionId::AesGcm16;
  p.transforms.push_back(transform(TransformType::Encryption, static_cast<std::uint16_t>(encryption),
                                   keyed ? std::optional<std::uint16_t>(key_bits) : std::nullopt));
  if (integrity)
    p.transforms.push_back(transform(TransformType::Integrity, static_cast<std::uint16_t>(integrity_id(*integrity))));
  p.transforms.push_back(transform(TransformType::Prf, static_cast<std::uint16_t>(prf_id(prf))));
  p.transforms.push_back(transform(TransformType::KeyExchange, static_cast<std::uint16_t>(group)));
  return proposal_to_string(p);
}

std::optional<IkeAlgorithms> ike_algorithms(const Proposal& chosen) {
  if (chosen.protocol != ProtocolId::Ike) return std::nullopt;
  std::optional<Transform> enc, integ, prf, ke, esn;
  if (!single(chosen, TransformType::Encryption, enc) || !single(chosen, TransformType::Integrity, integ) ||
      !single(chosen, TransformType::Prf, prf) || !single(chosen, TransformType::KeyExchange, ke) ||
      !single(chosen, TransformType::Esn, esn))
    return std::nullopt;
  if (!enc || !prf || !ke || esn) return std::nullopt;

  IkeAlgorithms alg;
  alg.encryption = static_cast<EncryptionId>(enc->id);
  bool aead = false;
  switch (alg.encryption) {
    case EncryptionId::AesGcm16:
      if (!aes_bits(*enc)) return std::nullopt;
      alg.key_bits = *enc->key_length;
      aead = true;
      break;
    case EncryptionId::ChaCha20Poly1305:
      if (enc->key_length) return std::nullopt;
      alg.key_bits = 256;
      aead = true;
      break;
    case EncryptionId::AesCbc:
      if (!aes_bits(*enc)) return std::nullopt;
      alg.key_bits = *enc->key_length;
      break;
    case EncryptionId::TripleDes:
      if (enc->key_length) return std::nullopt;
      alg.key_bits = 192;
      break;
    default: return std::nullopt;
  }

  const bool no_integrity = !integ || integ->id == static_cast<std::uint16_t>(IntegrityId::None);
  if (aead) {
    if (!no_integrity) return std::nullopt;  // RFC 5282 §8
    alg.integrity.reset();
  } else {
    if (no_integrity) return std::nullopt;
    alg.integrity = integrity_from_id(integ->id);
    if (!alg.integrity) return std::nullopt;
  }
  const auto hash = prf_from_id(prf->id);
  if (!hash) return std::nullopt;
  alg.prf = *hash;
  const auto group = crypto::dh_group_from_id(ke->id);
  if (!group) return std::nullopt;
  alg.group = *group;
  return alg;
}

std::size_t ChildAlgorithms::encryption_key_length() const {
  return protocol == ipsec::IpsecProtocol::Esp ? encryption.key_material_length() : 0;
}

std::size_t ChildAlgorithms::integrity_key_length() const {
  return integrity ? crypto::integrity_key_length(*integrity) : 0;
}

std::string ChildAlgorithms::to_string() const {
  Proposal p;
  p.protocol = protocol == ipsec::IpsecProtocol::Esp ? ProtocolId::Esp : ProtocolId::Ah;
  if (protocol == ipsec::IpsecProtocol::Esp) p.transforms.push_back(encryption_transform(encryption));
  if (integrity)
    p.transforms.push_back(transform(TransformType::Integrity, static_cast<std::uint16_t>(integrity_id(*integrity))));
  if (pfs_group) p.transforms.push_back(transform(TransformType::KeyExchange, static_cast<std::uint16_t>(*pfs_group)));
  p.transforms.push_back(transform(TransformType::Esn, static_cast<std::uint16_t>(
                                                           extended_sequence_numbers ? EsnId::Esn : EsnId::NoEsn)));
  return proposal_to_string(p);
}

std::optional<ChildAlgorithms> child_algorithms(const Proposal& chosen) {
  if (chosen.protocol != ProtocolId::Esp && chosen.protocol != ProtocolId::Ah) return std::nullopt;
  std::optional<Transform> enc, integ, prf, ke, esn;
  if (!single(chosen, TransformType::Encryption, enc) || !single(chosen, TransformType::Integrity, integ) ||
      !single(chosen, TransformType::Prf, prf) || !single(chosen, TransformType::KeyExchange, ke) ||
      !single(chosen, TransformType::Esn, esn))
    return std::nullopt;
  if (prf) return std::nullopt;

  ChildAlgorithms alg;
  alg.protocol = chosen.protocol == ProtocolId::Esp ? ipsec::IpsecProtocol::Esp : ipsec::IpsecProtocol::Ah;
  bool aead = false;
  if (alg.protocol == ipsec::IpsecProtocol::Ah) {
    if (enc) return std::nullopt;
  } else {
    if (!enc) return std::nullopt;
    switch (static_cast<EncryptionId>(enc->id)) {
      case EncryptionId::AesGcm8:
      case EncryptionId::AesGcm12:
      case EncryptionId::AesGcm16: {
        if (!aes_bits(*enc)) return std::nullopt;
        const std::uint8_t icv = enc->id == static_cast<std::uint16_t>(EncryptionId::AesGcm8)    ? 8
                                 : enc->id == static_cast<std::uint16_t>(EncryptionId::AesGcm12) ? 12
                                                                                                 : 16;
        alg.encryption = ipsec::EncryptionTransform::aead_with(gcm_for_bits(*enc->key_length), icv);
        aead = true;
        break;
      }
      case EncryptionId::ChaCha20Poly1305:
        if (enc->key_length) return std::nullopt;
        alg.encryption = ipsec::EncryptionTransform::aead_with(crypto::AeadAlgorithm::ChaCha20Poly1305, 16);
        aead = true;
        break;
      case EncryptionId::AesCbc:
        if (!aes_bits(*enc)) return std::nullopt;
        alg.encryption = ipsec::EncryptionTransform::cbc_with(cbc_for_bits(*enc->key_length));
        break;
      case EncryptionId::TripleDes:
        if (enc->key_length) return std::nullopt;
        alg.encryption = ipsec::EncryptionTransform::cbc_with(crypto::CbcAlgorithm::TripleDesCbc);
        break;
      case EncryptionId::Null:
        if (enc->key_length) return std::nullopt;
        alg.encryption = ipsec::EncryptionTransform::null();
        break;
      default: return std::nullopt;
    }
  }

  const bool no_integrity = !integ || integ->id == static_cast<std::uint16_t>(IntegrityId::None);
  if (aead) {
    if (!no_integrity) return std::nullopt;
  } else {
    // AH, CBC and NULL encryption all need an integrity algorithm.
    if (no_integrity) return std::nullopt;
    alg.integrity = integrity_from_id(integ->id);
    if (!alg.integrity) return std::nullopt;
  }

  if (ke && ke->id != static_cast<std::uint16_t>(KeyExchangeId::None)) {
    alg.pfs_group = crypto::dh_group_from_id(ke->id);
    if (!alg.pfs_group) return std::nullopt;
  }
  if (esn) {
    if (esn->id == static_cast<std::uint16_t>(EsnId::Esn)) {
      alg.extended_sequence_numbers = true;
    } else if (esn->id != static_cast<std::uint16_t>(EsnId::NoEsn)) {
      return std::nullopt;
    }
  }
  return alg;
}

std::optional<crypto::DhGroup> first_group(const std::vector<Proposal>& proposals) {
  if (proposals.empty()) return std::nullopt;
  for (const Transform& t : proposals.front().transforms)
    if (t.type == TransformType::KeyExchange && t.id != static_cast<std::uint16_t>(KeyExchangeId::None))
      return crypto::dh_group_from_id(t.id);
  return std::nullopt;
}

bool proposals_allow_group(const std::vector<Proposal>& proposals, crypto::DhGroup group) {
  return std::any_of(proposals.begin(), proposals.end(), [group](const Proposal& p) {
    return std::any_of(p.transforms.begin(), p.transforms.end(), [group](const Transform& t) {
      return t.type == TransformType::KeyExchange && t.id == static_cast<std::uint16_t>(group);
    });
  });
}

}  // namespace cygnet::ike
