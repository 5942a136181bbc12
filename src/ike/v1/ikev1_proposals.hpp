// IKEv1 proposals (RFC 2409 App. A, RFC 2407 §4.5): Cygnet keeps one proposal syntax (strongSwan's,
// parsed into ikev2::Proposal) for both IKE versions. This file translates it into ISAKMP
// transforms for our offers, translates a peer's ISAKMP transforms back so that the IKEv2
// selection code (select_proposal, with its explanation in words) judges them, and converts Quick
// Mode client identities to and from traffic selectors.
//
// Phase 1: one transform per (encryption × PRF hash × group); the hash is both the PRF (HMAC) and
// the integrity of the phase-1 CBC protection. AEADs have no phase-1 number and are skipped.
// Phase 2: one transform per (encryption × integrity × group × ESN); a group means Quick Mode PFS.
// chacha20poly1305 has no IKEv1 number and is skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "crypto/key_exchange.hpp"
#include "ike/algorithms.hpp"
#include "ike/connection_settings.hpp"
#include "ipsec/sa_parameters.hpp"
#include "wire/ikev2_message.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::v1 {

namespace isakmp = wire::isakmp;

// --- phase 1 ---

// The parts of our IKE proposals IKEv1 can express (AEAD dropped, integrity = HMAC of each PRF).
// Empty when nothing is left.
std::vector<Proposal> phase1_expressible(const std::vector<Proposal>& ike_proposals);

// Our phase-1 transforms (KEY_IKE, numbered from 1) for the auth method and lifetime.
std::vector<isakmp::Transform> phase1_transforms(const std::vector<Proposal>& ike_proposals,
                                                 isakmp::Phase1AuthMethod auth, Seconds lifetime);

// A negotiated phase-1 suite.
struct Phase1Suite {
  crypto::CbcAlgorithm cipher = crypto::CbcAlgorithm::AesCbc256;
  isakmp::Phase1Encryption encryption = isakmp::Phase1Encryption::AesCbc;
  std::uint16_t key_bits = 256;  // 0 for 3DES (no Key Length attribute)
  crypto::HashAlgorithm hash = crypto::HashAlgorithm::Sha256;
  isakmp::Phase1Hash hash_id = isakmp::Phase1Hash::Sha2_256;
  isakmp::Phase1AuthMethod auth = isakmp::Phase1AuthMethod::PreSharedKey;
  crypto::DhGroup group = crypto::DhGroup::Modp2048;
  std::optional<Seconds> lifetime;  // the Life Duration in seconds, when offered
  std::string to_string() const;    // "aes256-sha256-modp2048"
};
// Reads a phase-1 transform's attributes. nullopt for a transform Cygnet cannot use (unknown or
// refused algorithm, missing attribute, group given by its parameters rather than a number).
std::optional<Phase1Suite> read_phase1_transform(const isakmp::Transform& t);

struct Phase1Selection {
  std::optional<isakmp::Transform> chosen;  // the peer's transform, as received
  std::optional<Phase1Suite> suite;
  std::string explanation;  // when nothing matched
};
// Responder: the peer's SA payload against our proposals and auth method.
Phase1Selection select_phase1(const isakmp::SaPayload& offered, const std::vector<Proposal>& ours,
                              isakmp::Phase1AuthMethod auth, bool allow_legacy);

// The auth method a connection uses: PSK, RSA signatures, or ECDSA by curve (RFC 4754).
// nullopt for key types IKEv1 cannot sign with (Ed25519).
std::optional<isakmp::Phase1AuthMethod> phase1_auth_method(const ConnectionSettings& conn);
const char* phase1_auth_method_name(isakmp::Phase1AuthMethod m);

// --- phase 2 ---

struct Phase2Offer {
  ipsec::IpsecProtocol protocol = ipsec::IpsecProtocol::Esp;
  std::uint32_t spi = 0;  // our inbound SPI
  isakmp::EncapsulationMode mode = isakmp::EncapsulationMode::Tunnel;
  Seconds lifetime{3600};
  std::uint64_t life_kilobytes = 0;  // 0: no volume limit offered
};
// Whether any of a child's proposals is expressible in IKEv1.
bool phase2_expressible(const std::vector<Proposal>& child_proposals);
// The SA payload of a Quick Mode request: one proposal, one transform per combination.
isakmp::SaPayload phase2_sa(const std::vector<Proposal>& child_proposals, const Phase2Offer& offer);

struct Phase2Choice {
  isakmp::Proposal proposal;  // the peer's proposal with only the chosen transform (to echo)
  std::uint32_t peer_spi = 0;
  ChildAlgorithms algorithms;
  isakmp::EncapsulationMode mode = isakmp::EncapsulationMode::Tunnel;
  std::optional<Seconds> lifetime;         // offered Life Duration (seconds)
  std::optional<std::uint64_t> kilobytes;  // offered Life Duration (kilobytes)
};
struct Phase2Selection {
  std::optional<Phase2Choice> chosen;
  std::string explanation;
};
// Responder: the peer's Quick Mode SA against a child's proposals. Proposals bundling several
// protocols (AH+ESP, IPComp) are not supported and never chosen.
Phase2Selection select_phase2(const isakmp::SaPayload& offered, const std::vector<Proposal>& ours,
                              bool allow_legacy);
// Initiator: the responder's answer (one proposal, one transform) must be one we offered.
std::optional<Phase2Choice> read_phase2_answer(const isakmp::SaPayload& answer,
                                               const isakmp::SaPayload& offered);

// The encapsulation mode for a child: tunnel/transport, UDP-encapsulated (RFC 3947 values) when
// a NAT was detected.
isakmp::EncapsulationMode encapsulation_mode(ipsec::Mode mode, bool udp);
bool is_udp_encapsulated(isakmp::EncapsulationMode m);
bool is_transport(isakmp::EncapsulationMode m);

// --- Quick Mode client identities (RFC 2407 §4.6.2) ---
isakmp::IdPayload id_from_selector(const wire::ikev2::TrafficSelector& ts);
std::optional<wire::ikev2::TrafficSelector> selector_from_id(const isakmp::IdPayload& id);

// Phase-1 identities: same type numbers in IKEv1 and IKEv2 for the types Cygnet uses.
isakmp::IdPayload id_payload(const Identity& id);
std::optional<Identity> identity_from_payload(const isakmp::IdPayload& id);

}  // namespace cygnet::ike::v1
