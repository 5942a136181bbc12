// Which payloads each IKEv2 message may carry (RFC 7296 §1.2–1.4, §2.21, §3; RFC 7383; RFC 7427),
// as data: one row per exchange, direction and form, checked before any handler runs. A message
// that breaks its row (a required payload missing, one allowed once sent twice, one the exchange
// never carries) is refused as a whole, naming the payload; nothing of it reaches the handlers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ike/payload_violation.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

struct Ikev2PayloadCount {
  wire::ikev2::PayloadType type = wire::ikev2::PayloadType::None;  // None: unused slot
  std::uint8_t min = 0;
  std::uint8_t max = 0;
};

// The shapes one exchange's message can take; classify_ikev2_message() picks one from the payloads.
enum class Ikev2MessageForm : std::uint8_t {
  Normal,        // the exchange's regular message
  WithoutChild,  // IKE_AUTH without the CHILD SA part (no child, or the child refused by a notify)
  ErrorNotify,   // a response that is only an error notify (RFC 7296 §2.21)
  Cookie,        // IKE_SA_INIT response asking for a COOKIE (§2.6)
  NewChild,      // CREATE_CHILD_SA for a new CHILD SA (§1.3.1)
  RekeyChild,    // ... rekeying a CHILD SA: N(REKEY_SA) (§1.3.3)
  RekeyIke,      // ... rekeying the IKE SA: an SA payload with an IKE proposal, no TS (§1.3.2)
  // IKE_AUTH with EAP (§2.16): the client's first request has IDi but no AUTH; the gateway answers
  // IDr, AUTH and the first EAP request; EAP payloads go back and forth; then one AUTH each.
  EapStart,              // first request (with a CHILD SA part) / the gateway's IDr, AUTH, EAP
  EapStartWithoutChild,  // first request without the CHILD SA part
  EapRound,              // an EAP payload and nothing but notifies
  EapAuth,               // the AUTH computed from the MSK: alone (request) / with the CHILD SA (response)
  EapAuthWithoutChild,   // the final response without the CHILD SA part
};

struct Ikev2PayloadRow {
  wire::ikev2::ExchangeType exchange;
  bool response;
  Ikev2MessageForm form;
  const char* form_name;  // shown in the violation ("IKE SA rekey"); "" for the regular form
  bool inside_sk;         // every payload inside SK/SKF, nothing else in cleartext
  // Payload types not listed are not allowed. Unknown non-critical payload types are ignored
  // (§2.5; critical ones are refused by the parser already).
  std::array<Ikev2PayloadCount, 12> counts;
};

// Every row, in table order.
std::span<const Ikev2PayloadRow> ikev2_payload_rows();

// The row for a message of this exchange and direction with these (decrypted) payloads; nullptr for
// an exchange the table does not know (the handlers answer those).
const Ikev2PayloadRow* ikev2_payload_row(wire::ikev2::ExchangeType exchange, bool response,
                                         const std::vector<wire::ikev2::Payload>& payloads);

// nullopt when `message` (as parsed) with its payloads (the decrypted chain for SK exchanges, the
// cleartext payloads for IKE_SA_INIT) follows its row; else the first violation.
std::optional<PayloadViolation> check_ikev2_payloads(const wire::ikev2::Message& message,
                                                     const std::vector<wire::ikev2::Payload>& payloads);

}  // namespace cygnet::ike
