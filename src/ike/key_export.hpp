// Key material of the current SAs, read out for the operator's explicit, opt-in key export
// (`cygnetctl export-keys`, e.g. to let Wireshark decrypt a capture). The engine keeps the keys it
// would otherwise have handed off or wiped only when EngineOptions::retain_keys_for_export is set.
// Everything secret stays in SecureBytes until the caller formats it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "crypto/secure_bytes.hpp"
#include "ike/algorithms.hpp"
#include "ike/engine.hpp"
#include "ipsec/sa_parameters.hpp"

namespace cygnet::ike {

// An IKEv2 IKE SA: the SPIs and the SK_e/SK_a keys of both directions (RFC 7296 §2.14).
struct IkeSaKeyExport {
  IkeSaId id = 0;
  std::string connection;
  std::uint64_t spi_i = 0;
  std::uint64_t spi_r = 0;
  IkeAlgorithms algorithms;
  crypto::SecureBytes sk_ei, sk_er;  // for AEADs including the 4-byte salt
  crypto::SecureBytes sk_ai, sk_ar;  // empty for AEADs
  // SK_pi/SK_pr (the AUTH payloads' keys), only until IKE_AUTH completes: for tests that forge an
  // IKE_AUTH (tests/support/ike_forge); not part of what the operator's export writes.
  crypto::SecureBytes sk_pi{}, sk_pr{};
};

// An IKEv1 ISAKMP SA (phase 1): the initiator cookie and the phase-1 encryption key (RFC 2409
// Appendix B), which is all Wireshark needs to decrypt Main/Aggressive Mode, Quick Mode and
// informational messages.
struct IsakmpSaKeyExport {
  IkeSaId id = 0;
  std::string connection;
  std::uint64_t cookie_i = 0;
  crypto::SecureBytes encryption_key;
  // Beyond what Wireshark needs, for acting as the peer under this SA (tests in
  // tests/support/ike_forge and the session fuzzer forge authenticated Quick Mode and informational
  // messages): the responder cookie, the phase-1 cipher and PRF, SKEYID_a (RFC 2409 §5, the key of
  // HASH(1..3)) and the phase-1 IV chain's final block.
  std::uint64_t cookie_r = 0;
  crypto::CbcAlgorithm cipher = crypto::CbcAlgorithm::AesCbc256;
  crypto::HashAlgorithm prf = crypto::HashAlgorithm::Sha256;
  crypto::SecureBytes skeyid_a{};
  Bytes phase1_last_iv{};
};

// One direction of a CHILD SA, as the data plane got it.
struct SaKeyExport {
  ipsec::IpsecProtocol protocol = ipsec::IpsecProtocol::Esp;
  std::uint32_t spi = 0;
  wire::IpAddress source;       // outer source of this direction's packets
  wire::IpAddress destination;  // outer destination
  bool udp_encapsulated = false;
  ipsec::EncryptionTransform encryption;
  crypto::SecureBytes encryption_key;  // AEAD salt included at the end
  std::optional<crypto::IntegrityAlgorithm> integrity;
  crypto::SecureBytes integrity_key;
};

struct ChildSaKeyExport {
  ChildSaId id = 0;
  std::string connection;
  std::string child;
  SaKeyExport inbound;
  SaKeyExport outbound;
};

struct KeyExport {
  std::vector<IkeSaKeyExport> ike_sas;
  std::vector<IsakmpSaKeyExport> isakmp_sas;
  std::vector<ChildSaKeyExport> child_sas;
  // SAs whose keys were not retained (retain_keys_for_export off), in words.
  std::vector<std::string> unavailable;
};

struct ChildSa;
// Appends the retained pair of a CHILD SA (either IKE version), or notes it as unavailable.
void append_child_key_export(const ChildSa& c, KeyExport& out);

}  // namespace cygnet::ike
