// Which payloads each IKEv1 message may carry (RFC 2409 §5, RFC 2408 §4, NAT-D/NAT-OA of RFC 3947),
// as data: one row per message of Main Mode (MM1..MM6), Aggressive Mode (AM1..AM3), Quick Mode
// (QM1..QM3) and Informational, and per form (pre-shared key: HASH; signatures: SIG and CERT*;
// Quick Mode with or without client IDs). The engine knows which message it expects and checks the
// (decrypted) payloads against the row before any handler reads them. A missing KE or nonce in
// Aggressive Mode (CVE-2023-30570) or a lone client ID in Quick Mode (CVE-2023-38711) never reaches
// a handler.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ike/payload_violation.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike {

enum class Ikev1Message : std::uint8_t {
  MM1,
  MM2,
  MM3,
  MM4,
  MM5,
  MM6,  // Main Mode, initiator's messages odd
  AM1,
  AM2,
  AM3,  // Aggressive Mode
  QM1,
  QM2,
  QM3,            // Quick Mode
  Informational,  // RFC 2409 §5.7 (protected) or an unprotected error notify
};
const char* ikev1_message_name(Ikev1Message m);  // "MM1", ..., "informational"

enum class Ikev1MessageForm : std::uint8_t {
  Normal,
  PreSharedKey,  // authenticated by HASH_I / HASH_R
  Signature,     // authenticated by SIG_I / SIG_R, certificates optional
  WithIds,       // Quick Mode with client IDs: IDci and IDcr, both (RFC 2409 §5.5)
  WithoutIds,    // Quick Mode without: the phase-1 addresses are the selectors
  Notification,  // informational: HASH(1), N
  Delete,        // informational: HASH(1), D
  Cleartext,     // informational without keys: an error notify only
};

enum class Ikev1Encryption : std::uint8_t { Cleartext, Encrypted, Either };

struct Ikev1PayloadCount {
  wire::isakmp::PayloadType type = wire::isakmp::PayloadType::None;  // None: unused slot
  std::uint8_t min = 0;
  std::uint8_t max = 0;
};

struct Ikev1PayloadRow {
  Ikev1Message message;
  Ikev1MessageForm form;
  const char* form_name;  // shown in the violation ("client IDs"); "" for the only form
  Ikev1Encryption encryption;
  wire::isakmp::PayloadType first;  // the payload that must come first (HASH), or None
  // Payload types not listed are not allowed; payloads the codec keeps opaque (mode-cfg
  // attributes, private types) are left to the handlers.
  std::array<Ikev1PayloadCount, 12> counts;
};

std::span<const Ikev1PayloadRow> ikev1_payload_rows();

// The row for this message with these (decrypted) payloads.
const Ikev1PayloadRow* ikev1_payload_row(Ikev1Message message, bool encrypted,
                                         const std::vector<wire::isakmp::Payload>& payloads);

// nullopt when the payloads follow their row; else the first violation, e.g.
// "AM1: 0 KE payloads (at least 1)".
std::optional<PayloadViolation> check_ikev1_payloads(Ikev1Message message, bool encrypted,
                                                     const std::vector<wire::isakmp::Payload>& payloads);

}  // namespace cygnet::ike
