// IKEv2 algorithm registry and proposals: strongSwan proposal syntax ("aes256gcm16-prfsha256-
// x25519"), the RFC 8247/8221 policy (MUST NOT refused, SHOULD NOT only with allow_legacy),
// proposal selection with an explanation in words, and the negotiated algorithm sets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/aead.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "crypto/key_exchange.hpp"
#include "ipsec/sa_parameters.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

using wire::ikev2::Proposal;
using wire::ikev2::ProtocolId;
using wire::ikev2::Transform;
using wire::ikev2::TransformType;

enum class AlgorithmStrength : std::uint8_t {
  Recommended,  // fine
  Legacy,       // RFC 8247/8221 SHOULD NOT (3DES, SHA-1, MODP-1024): needs allow_legacy
  Forbidden,    // MUST NOT (DES, MD5, NULL encryption in IKE, MODP-768, ...): always refused
  Unsupported,  // valid IANA number that Cygnet does not implement
};
AlgorithmStrength transform_strength(const Transform& t, ProtocolId protocol);
// strongSwan-style name of one transform: "aes256gcm16", "aes128", "sha256", "prfsha256",
// "x25519", "ecp256", "modp2048", "esn", "noesn".
std::string transform_name(const Transform& t);
// A whole proposal in strongSwan syntax, e.g. "aes256gcm16-prfsha256-x25519".
std::string proposal_to_string(const Proposal& p);

struct ProposalParse {
  std::optional<Proposal> proposal;
  std::string error;  // e.g. "unknown algorithm 'aes257'", "'md5' is forbidden (RFC 8247)"
};
// One strongSwan proposal string. For protocol Ike: encryption, integrity (unless AEAD-only), PRF
// (defaults to the integrity hash when omitted, as strongSwan does) and key exchange are required.
// For Esp/Ah: encryption (ESP) / integrity (AH or non-AEAD ESP); a key exchange group means PFS;
// "esn"/"noesn" (default noesn). "default" expands to Cygnet's default proposal. Legacy algorithms
// fail unless allow_legacy; forbidden ones always fail.
ProposalParse parse_proposal(std::string_view text, ProtocolId protocol, bool allow_legacy);

// Cygnet's defaults (used for "default" and when a connection lists none).
std::vector<Proposal> default_ike_proposals();
std::vector<Proposal> default_esp_proposals();
// IKEv1 phase 1 cannot use AEAD ciphers, so IKEv1 connections default to CBC + HMAC:
// "aes256-sha256-modp3072", "aes128-sha256-ecp256" (protocol Ike, PRF derived from the hash).
std::vector<Proposal> default_ikev1_proposals();

struct Selection {
  std::optional<Proposal> chosen;  // one transform of each type; the peer's proposal number and SPI
  // When nothing matched: what each side offered and, per transform type, what was missing, e.g.
  // "peer offered [aes128-sha256-modp2048]; we accept [aes256gcm16-prfsha256-x25519]: no common
  // encryption algorithm, no common key exchange group".
  std::string explanation;
};
// Responder selection: the first of our configured proposals (our preference) that one of the
// peer's proposals satisfies; transforms that we cannot judge safe are never chosen.
Selection select_proposal(const std::vector<Proposal>& offered, const std::vector<Proposal>& ours,
                          bool allow_legacy);
// Initiator check of the responder's answer: exactly one proposal, one transform per type, and it
// is a subset of one we offered.
bool answer_matches_offer(const Proposal& answer, const std::vector<Proposal>& offered);

// The negotiated IKE SA algorithms.
struct IkeAlgorithms {
  wire::ikev2::EncryptionId encryption = wire::ikev2::EncryptionId::AesGcm16;
  std::uint16_t key_bits = 256;
  std::optional<crypto::IntegrityAlgorithm> integrity;  // none for AEAD
  crypto::HashAlgorithm prf = crypto::HashAlgorithm::Sha256;
  crypto::DhGroup group = crypto::DhGroup::Curve25519;

  bool is_aead() const { return !integrity.has_value(); }
  std::size_t encryption_key_length() const;  // bytes, including the 4-byte salt for AEADs
  std::size_t integrity_key_length() const;   // 0 for AEAD
  std::string to_string() const;              // strongSwan syntax
};
std::optional<IkeAlgorithms> ike_algorithms(const Proposal& chosen);

// The negotiated CHILD SA algorithms (ESP or AH).
struct ChildAlgorithms {
  ipsec::IpsecProtocol protocol = ipsec::IpsecProtocol::Esp;
  ipsec::EncryptionTransform encryption;                // ESP only
  std::optional<crypto::IntegrityAlgorithm> integrity;  // AH, or ESP with a non-AEAD cipher
  std::optional<crypto::DhGroup> pfs_group;             // a KE transform was negotiated
  bool extended_sequence_numbers = false;

  std::size_t encryption_key_length() const;  // ipsec::EncryptionTransform::key_material_length
  std::size_t integrity_key_length() const;
  std::string to_string() const;
};
std::optional<ChildAlgorithms> child_algorithms(const Proposal& chosen);

// The key exchange group of a proposal list's first proposal (what the initiator sends in KE).
std::optional<crypto::DhGroup> first_group(const std::vector<Proposal>& proposals);
// Whether a group appears in any of the proposals (to honour INVALID_KE_PAYLOAD's request).
bool proposals_allow_group(const std::vector<Proposal>& proposals, crypto::DhGroup group);

}  // namespace cygnet::ike
