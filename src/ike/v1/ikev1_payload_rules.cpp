// The IKEv1 payload table and its checker. Rows transcribe RFC 2409 §5 ("HDR*, IDii, [CERT,] SIG_I"):
// [X] is 0..1, X* any number, X alone exactly once; NAT-D (RFC 3947 §3.2, also under the draft
// number) appears in MM3/MM4 and AM2/AM3 when NAT traversal is negotiated, NAT-OA (§5.1) in
// QM1/QM2. CR may accompany any phase-1 message after the SA exchange (RFC 2408 §3.10).
#include "ike/v1/ikev1_payload_rules.hpp"

#include <algorithm>
#include <string>

namespace cygnet::ike {

namespace {

namespace isakmp = wire::isakmp;
using PT = isakmp::PayloadType;
using M = Ikev1Message;
using Form = Ikev1MessageForm;
using Enc = Ikev1Encryption;

constexpr Ikev1PayloadCount once(PT t) {
  return {t, 1, 1};
}
constexpr Ikev1PayloadCount optional(PT t) {
  return {t, 0, 1};
}
constexpr Ikev1PayloadCount any(PT t) {
  return {t, 0, kAnyCount};
}
constexpr Ikev1PayloadCount some(PT t) {
  return {t, 1, kAnyCount};
}
constexpr Ikev1PayloadCount exactly(PT t, std::uint8_t n) {
  return {t, n, n};
}

// clang-format off
constexpr std::array kRows = {
  // Main Mode (RFC 2409 §5.1, §5.4 with NAT-D per RFC 3947 §3.2)
  Ikev1PayloadRow{M::MM1, Form::Normal, "", Enc::Cleartext, PT::None,
      {once(PT::SecurityAssociation), any(PT::VendorId)}},
  Ikev1PayloadRow{M::MM2, Form::Normal, "", Enc::Cleartext, PT::None,
      {once(PT::SecurityAssociation), any(PT::VendorId)}},
  Ikev1PayloadRow{M::MM3, Form::Normal, "", Enc::Cleartext, PT::None,
      {once(PT::KeyExchange), once(PT::Nonce), any(PT::CertificateRequest), any(PT::NatDiscovery),
       any(PT::NatDiscoveryDraft), any(PT::VendorId)}},
  Ikev1PayloadRow{M::MM4, Form::Normal, "", Enc::Cleartext, PT::None,
      {once(PT::KeyExchange), once(PT::Nonce), any(PT::CertificateRequest), any(PT::NatDiscovery),
       any(PT::NatDiscoveryDraft), any(PT::VendorId)}},
  Ikev1PayloadRow{M::MM5, Form::PreSharedKey, "pre-shared key", Enc::Encrypted, PT::None,
      {once(PT::Identification), once(PT::Hash), any(PT::CertificateRequest), any(PT::Notification),
       any(PT::VendorId)}},
  Ikev1PayloadRow{M::MM5, Form::Signature, "signature", Enc::Encrypted, PT::None,
      {once(PT::Identification), any(PT::Certificate), once(PT::Signature), any(PT::CertificateRequest),
       any(PT::Notification), any(PT::VendorId)}},
  Ikev1PayloadRow{M::MM6, Form::PreSharedKey, "pre-shared key", Enc::Encrypted, PT::None,
      {once(PT::Identification), once(PT::Hash), any(PT::Notification), any(PT::VendorId)}},
  Ikev1PayloadRow{M::MM6, Form::Signature, "signature", Enc::Encrypted, PT::None,
      {once(PT::Identification), any(PT::Certificate), once(PT::Signature), any(PT::Notification),
       any(PT::VendorId)}},

  // Aggressive Mode (§5.1, §5.4): AM1 HDR, SA, KE, Ni, IDii; AM2 adds HASH_R or [CERT,] SIG_R
  Ikev1PayloadRow{M::AM1, Form::Normal, "", Enc::Cleartext, PT::None,
      {once(PT::SecurityAssociation), once(PT::KeyExchange), once(PT::Nonce), once(PT::Identification),
       any(PT::CertificateRequest), any(PT::VendorId)}},
  Ikev1PayloadRow{M::AM2, Form::PreSharedKey, "pre-shared key", Enc::Cleartext, PT::None,
      {once(PT::SecurityAssociation), once(PT::KeyExchange), once(PT::Nonce), once(PT::Identification),
       once(PT::Hash), any(PT::CertificateRequest), any(PT::NatDiscovery), any(PT::NatDiscoveryDraft),
       any(PT::VendorId)}},
  Ikev1PayloadRow{M::AM2, Form::Signature, "signature", Enc::Cleartext, PT::None,
      {once(PT::SecurityAssociation), once(PT::KeyExchange), once(PT::Nonce), once(PT::Identification),
       any(PT::Certificate), once(PT::Signature), any(PT::CertificateRequest), any(PT::NatDiscovery),
       any(PT::NatDiscoveryDraft), any(PT::VendorId)}},
  // AM3 may be sent encrypted or not (§5: "HDR*" is optional there in practice).
  Ikev1PayloadRow{M::AM3, Form::PreSharedKey, "pre-shared key", Enc::Either, PT::None,
      {once(PT::Hash), any(PT::NatDiscovery), any(PT::NatDiscoveryDraft), any(PT::Notification),
       any(PT::VendorId)}},
  Ikev1PayloadRow{M::AM3, Form::Signature, "signature", Enc::Either, PT::None,
      {any(PT::Certificate), once(PT::Signature), any(PT::NatDiscovery), any(PT::NatDiscoveryDraft),
       any(PT::Notification), any(PT::VendorId)}},

  // Quick Mode (§5.5): HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr]; NAT-OA for transport mode.
  Ikev1PayloadRow{M::QM1, Form::WithIds, "client IDs", Enc::Encrypted, PT::Hash,
      {once(PT::Hash), once(PT::SecurityAssociation), once(PT::Nonce), optional(PT::KeyExchange),
       exactly(PT::Identification, 2), {PT::NatOriginalAddress, 0, 2}, {PT::NatOriginalAddressDraft, 0, 2},
       any(PT::Notification)}},
  Ikev1PayloadRow{M::QM1, Form::WithoutIds, "", Enc::Encrypted, PT::Hash,
      {once(PT::Hash), once(PT::SecurityAssociation), once(PT::Nonce), optional(PT::KeyExchange),
       {PT::NatOriginalAddress, 0, 2}, {PT::NatOriginalAddressDraft, 0, 2}, any(PT::Notification)}},
  Ikev1PayloadRow{M::QM2, Form::WithIds, "client IDs", Enc::Encrypted, PT::Hash,
      {once(PT::Hash), once(PT::SecurityAssociation), once(PT::Nonce), optional(PT::KeyExchange),
       exactly(PT::Identification, 2), {PT::NatOriginalAddress, 0, 2}, {PT::NatOriginalAddressDraft, 0, 2},
       any(PT::Notification)}},
  Ikev1PayloadRow{M::QM2, Form::WithoutIds, "", Enc::Encrypted, PT::Hash,
      {once(PT::Hash), once(PT::SecurityAssociation), once(PT::Nonce), optional(PT::KeyExchange),
       {PT::NatOriginalAddress, 0, 2}, {PT::NatOriginalAddressDraft, 0, 2}, any(PT::Notification)}},
  Ikev1PayloadRow{M::QM3, Form::Normal, "", Enc::Encrypted, PT::Hash, {once(PT::Hash)}},

  // Informational (§5.7): HDR*, HASH(1), N/D; without keys only an unprotected error notify.
  Ikev1PayloadRow{M::Informational, Form::Notification, "", Enc::Encrypted, PT::Hash,
      {once(PT::Hash), some(PT::Notification)}},
  Ikev1PayloadRow{M::Informational, Form::Delete, "Delete", Enc::Encrypted, PT::Hash,
      {once(PT::Hash), some(PT::Delete), any(PT::Notification)}},
  Ikev1PayloadRow{M::Informational, Form::Cleartext, "unprotected", Enc::Cleartext, PT::None,
      {some(PT::Notification)}},
};
// clang-format on

bool has_type(const std::vector<isakmp::Payload>& payloads, PT type) {
  return std::any_of(payloads.begin(), payloads.end(),
                     [type](const isakmp::Payload& p) { return isakmp::payload_type(p) == type; });
}

Form classify(M message, bool encrypted, const std::vector<isakmp::Payload>& in) {
  switch (message) {
    case M::MM5:
    case M::MM6:
    case M::AM2:
    case M::AM3: return has_type(in, PT::Signature) ? Form::Signature : Form::PreSharedKey;
    case M::QM1:
    case M::QM2: return has_type(in, PT::Identification) ? Form::WithIds : Form::WithoutIds;
    case M::Informational:
      if (!encrypted) return Form::Cleartext;
      return has_type(in, PT::Delete) ? Form::Delete : Form::Notification;
    default: return Form::Normal;
  }
}

std::string message_label(const Ikev1PayloadRow& row) {
  std::string s = ikev1_message_name(row.message);
  if (*row.form_name) s += std::string(" (") + row.form_name + ")";
  return s;
}

PayloadViolation violation(const Ikev1PayloadRow& row, PT type, unsigned count, const std::string& what) {
  PayloadViolation v;
  v.payload_type = static_cast<std::uint8_t>(type);
  v.count = count;
  v.detail = message_label(row) + ": " + std::to_string(count) + " " + isakmp::payload_name(type) +
             (count == 1 ? " payload" : " payloads") + " (" + what + ")";
  return v;
}

unsigned count_of(const std::vector<isakmp::Payload>& payloads, PT type) {
  return static_cast<unsigned>(
      std::count_if(payloads.begin(), payloads.end(), [type](const isakmp::Payload& p) {
        return !std::holds_alternative<isakmp::GenericPayload>(p) && isakmp::payload_type(p) == type;
      }));
}

}  // namespace

const char* ikev1_message_name(Ikev1Message m) {
  switch (m) {
    case M::MM1: return "MM1";
    case M::MM2: return "MM2";
    case M::MM3: return "MM3";
    case M::MM4: return "MM4";
    case M::MM5: return "MM5";
    case M::MM6: return "MM6";
    case M::AM1: return "AM1";
    case M::AM2: return "AM2";
    case M::AM3: return "AM3";
    case M::QM1: return "QM1";
    case M::QM2: return "QM2";
    case M::QM3: return "QM3";
    case M::Informational: return "informational";
  }
  return "?";
}

std::span<const Ikev1PayloadRow> ikev1_payload_rows() {
  return kRows;
}

const Ikev1PayloadRow* ikev1_payload_row(M message, bool encrypted,
                                         const std::vector<isakmp::Payload>& payloads) {
  const Form form = classify(message, encrypted, payloads);
  for (const auto& row : kRows)
    if (row.message == message && row.form == form) return &row;
  return nullptr;
}

std::optional<PayloadViolation> check_ikev1_payloads(M message, bool encrypted,
                                                     const std::vector<isakmp::Payload>& payloads) {
  const Ikev1PayloadRow* row = ikev1_payload_row(message, encrypted, payloads);
  if (!row) return std::nullopt;
  if (row->encryption != Enc::Either && encrypted != (row->encryption == Enc::Encrypted)) {
    PayloadViolation v;
    v.detail = message_label(*row) + (encrypted ? ": encrypted (must be cleartext)" : ": not encrypted");
    return v;
  }
  if (row->first != PT::None && (payloads.empty() || isakmp::payload_type(payloads.front()) != row->first)) {
    PayloadViolation v;
    v.payload_type = static_cast<std::uint8_t>(row->first);
    v.count = count_of(payloads, row->first);
    v.detail = message_label(*row) + ": " + isakmp::payload_name(row->first) + " is not the first payload";
    return v;
  }
  for (const auto& p : payloads) {
    if (std::holds_alternative<isakmp::GenericPayload>(p)) continue;
    const PT type = isakmp::payload_type(p);
    const bool listed = std::any_of(row->counts.begin(), row->counts.end(),
                                    [type](const Ikev1PayloadCount& c) { return c.type == type; });
    if (!listed) return violation(*row, type, count_of(payloads, type), "not allowed");
  }
  for (const auto& c : row->counts) {
    if (c.type == PT::None) continue;
    const unsigned n = count_of(payloads, c.type);
    if (n < c.min) return violation(*row, c.type, n, "at least " + std::to_string(c.min));
    if (n > c.max) return violation(*row, c.type, n, "at most " + std::to_string(c.max));
  }
  return std::nullopt;
}

}  // namespace cygnet::ike
