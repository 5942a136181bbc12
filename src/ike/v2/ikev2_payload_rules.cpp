// The IKEv2 payload table and its checker. Each row transcribes the message syntax of RFC 7296
// §1.2–1.4 ("HDR, SK {IDi, [CERT,] ...}"): [X] is 0..1, X* any number, X alone exactly once.
#include "ike/v2/ikev2_payload_rules.hpp"

#include <algorithm>

namespace cygnet::ike {

namespace {

namespace ikev2 = wire::ikev2;
using PT = ikev2::PayloadType;
using EX = ikev2::ExchangeType;
using Form = Ikev2MessageForm;

constexpr Ikev2PayloadCount once(PT t) {
  return {t, 1, 1};
}
constexpr Ikev2PayloadCount optional(PT t) {
  return {t, 0, 1};
}
constexpr Ikev2PayloadCount any(PT t) {
  return {t, 0, kAnyCount};
}
constexpr Ikev2PayloadCount some(PT t) {
  return {t, 1, kAnyCount};
}

// clang-format off
constexpr std::array kRows = {
  // IKE_SA_INIT (§1.2): HDR, SAi1, KEi, Ni, [N+], [V+]  /  HDR, SAr1, KEr, Nr, [CERTREQ], [N+]
  Ikev2PayloadRow{EX::IkeSaInit, false, Form::Normal, "", false,
      {once(PT::SecurityAssociation), once(PT::KeyExchange), once(PT::Nonce), any(PT::CertificateRequest),
       any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeSaInit, true, Form::Normal, "", false,
      {once(PT::SecurityAssociation), once(PT::KeyExchange), once(PT::Nonce), any(PT::CertificateRequest),
       any(PT::Notify), any(PT::VendorId)}},
  // §1.2, §2.21.1: HDR, N(NO_PROPOSAL_CHOSEN | INVALID_KE_PAYLOAD | ...); §2.6: HDR, N(COOKIE)
  Ikev2PayloadRow{EX::IkeSaInit, true, Form::ErrorNotify, "error", false,
      {some(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeSaInit, true, Form::Cookie, "COOKIE", false,
      {some(PT::Notify), any(PT::VendorId)}},

  // IKE_AUTH (§1.2): HDR, SK {IDi, [CERT+], [N(INITIAL_CONTACT)], [CERTREQ+], [IDr], AUTH, [CP(CFG_REQUEST)],
  // [N(IPCOMP_SUPPORTED)], [N(USE_TRANSPORT_MODE)], ..., SAi2, TSi, TSr, [V+]}. The CHILD SA part
  // (SA, TSi, TSr) is all or nothing (§1.2: without a child; §2.21.2: a refused child).
  Ikev2PayloadRow{EX::IkeAuth, false, Form::Normal, "", true,
      {once(PT::IdInitiator), any(PT::Certificate), any(PT::CertificateRequest), optional(PT::IdResponder),
       once(PT::Authentication), optional(PT::Configuration), once(PT::SecurityAssociation),
       once(PT::TsInitiator), once(PT::TsResponder), any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, false, Form::WithoutChild, "", true,
      {once(PT::IdInitiator), any(PT::Certificate), any(PT::CertificateRequest), optional(PT::IdResponder),
       once(PT::Authentication), optional(PT::Configuration), any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, true, Form::Normal, "", true,
      {once(PT::IdResponder), any(PT::Certificate), once(PT::Authentication), optional(PT::Configuration),
       once(PT::SecurityAssociation), once(PT::TsInitiator), once(PT::TsResponder), any(PT::Notify),
       any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, true, Form::WithoutChild, "", true,
      {once(PT::IdResponder), any(PT::Certificate), once(PT::Authentication), optional(PT::Configuration),
       any(PT::Notify), any(PT::VendorId)}},
  // §2.16, EAP: HDR, SK {IDi, [CERTREQ+], [IDr], [CP(CFG_REQUEST)], SAi2, TSi, TSr} (no AUTH) /
  // HDR, SK {IDr, [CERT+], AUTH, EAP}; then HDR, SK {EAP} both ways; then HDR, SK {AUTH} /
  // HDR, SK {AUTH, [CP(CFG_REPLY)], SAr2, TSi, TSr}. EAP-Failure may come with AUTHENTICATION_FAILED.
  Ikev2PayloadRow{EX::IkeAuth, false, Form::EapStart, "EAP start", true,
      {once(PT::IdInitiator), any(PT::Certificate), any(PT::CertificateRequest), optional(PT::IdResponder),
       optional(PT::Configuration), once(PT::SecurityAssociation), once(PT::TsInitiator),
       once(PT::TsResponder), any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, false, Form::EapStartWithoutChild, "EAP start", true,
      {once(PT::IdInitiator), any(PT::Certificate), any(PT::CertificateRequest), optional(PT::IdResponder),
       optional(PT::Configuration), any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, false, Form::EapRound, "EAP", true,
      {once(PT::Eap), any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, false, Form::EapAuth, "EAP AUTH", true,
      {once(PT::Authentication), any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, true, Form::EapStart, "EAP start", true,
      {once(PT::IdResponder), any(PT::Certificate), once(PT::Authentication), once(PT::Eap), any(PT::Notify),
       any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, true, Form::EapRound, "EAP", true,
      {once(PT::Eap), any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, true, Form::EapAuth, "EAP AUTH", true,
      {once(PT::Authentication), optional(PT::Configuration), once(PT::SecurityAssociation),
       once(PT::TsInitiator), once(PT::TsResponder), any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::IkeAuth, true, Form::EapAuthWithoutChild, "EAP AUTH", true,
      {once(PT::Authentication), optional(PT::Configuration), any(PT::Notify), any(PT::VendorId)}},
  // §2.21.2: HDR, SK {N(AUTHENTICATION_FAILED)} and other errors that refuse the IKE SA.
  Ikev2PayloadRow{EX::IkeAuth, true, Form::ErrorNotify, "error", true,
      {some(PT::Notify), any(PT::VendorId)}},

  // CREATE_CHILD_SA (§1.3.1): HDR, SK {SA, Ni, [KEi], TSi, TSr}  /  HDR, SK {SA, Nr, [KEr], TSi, TSr}
  Ikev2PayloadRow{EX::CreateChildSa, false, Form::NewChild, "new CHILD SA", true,
      {once(PT::SecurityAssociation), once(PT::Nonce), optional(PT::KeyExchange), once(PT::TsInitiator),
       once(PT::TsResponder), any(PT::Notify), any(PT::VendorId)}},
  // §1.3.3: HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr}
  Ikev2PayloadRow{EX::CreateChildSa, false, Form::RekeyChild, "CHILD SA rekey", true,
      {once(PT::SecurityAssociation), once(PT::Nonce), optional(PT::KeyExchange), once(PT::TsInitiator),
       once(PT::TsResponder), some(PT::Notify), any(PT::VendorId)}},
  // §1.3.2: HDR, SK {SA, Ni, KEi}  /  HDR, SK {SA, Nr, KEr}
  Ikev2PayloadRow{EX::CreateChildSa, false, Form::RekeyIke, "IKE SA rekey", true,
      {once(PT::SecurityAssociation), once(PT::Nonce), once(PT::KeyExchange), any(PT::Notify),
       any(PT::VendorId)}},
  Ikev2PayloadRow{EX::CreateChildSa, true, Form::NewChild, "CHILD SA", true,
      {once(PT::SecurityAssociation), once(PT::Nonce), optional(PT::KeyExchange), once(PT::TsInitiator),
       once(PT::TsResponder), any(PT::Notify), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::CreateChildSa, true, Form::RekeyIke, "IKE SA rekey", true,
      {once(PT::SecurityAssociation), once(PT::Nonce), once(PT::KeyExchange), any(PT::Notify),
       any(PT::VendorId)}},
  // §1.3, §2.21.3: HDR, SK {N(NO_PROPOSAL_CHOSEN | TS_UNACCEPTABLE | INVALID_KE_PAYLOAD | ...)}
  Ikev2PayloadRow{EX::CreateChildSa, true, Form::ErrorNotify, "error", true,
      {some(PT::Notify), any(PT::VendorId)}},

  // INFORMATIONAL (§1.4): HDR, SK {[N,] [D,] [CP,] ...}; empty is a liveness check (§1.4.1).
  Ikev2PayloadRow{EX::Informational, false, Form::Normal, "", true,
      {any(PT::Notify), any(PT::Delete), any(PT::Configuration), any(PT::VendorId)}},
  Ikev2PayloadRow{EX::Informational, true, Form::Normal, "", true,
      {any(PT::Notify), any(PT::Delete), any(PT::Configuration), any(PT::VendorId)}},
};
// clang-format on

bool has_type(const std::vector<ikev2::Payload>& payloads, PT type) {
  return std::any_of(payloads.begin(), payloads.end(),
                     [type](const ikev2::Payload& p) { return ikev2::payload_type(p) == type; });
}

bool has_error_notify(const std::vector<ikev2::Payload>& payloads) {
  return std::any_of(payloads.begin(), payloads.end(), [](const ikev2::Payload& p) {
    const auto* n = std::get_if<ikev2::NotifyPayload>(&p);
    return n && ikev2::is_error_notify(n->type);
  });
}

bool proposes_ike(const std::vector<ikev2::Payload>& payloads) {
  const auto* sa = ikev2::find_payload<ikev2::SaPayload>(payloads);
  return sa && !sa->proposals.empty() && sa->proposals.front().protocol == ikev2::ProtocolId::Ike;
}

Form classify(EX exchange, bool response, const std::vector<ikev2::Payload>& in) {
  switch (exchange) {
    case EX::IkeSaInit:
      if (!response) return Form::Normal;
      if (ikev2::find_notify(in, ikev2::NotifyType::Cookie)) return Form::Cookie;
      if (has_error_notify(in) && !has_type(in, PT::SecurityAssociation)) return Form::ErrorNotify;
      return Form::Normal;
    case EX::IkeAuth: {
      const bool auth = has_type(in, PT::Authentication);
      const bool eap = has_type(in, PT::Eap);
      if (response && has_error_notify(in) && !auth && !eap) return Form::ErrorNotify;
      const bool child = has_type(in, PT::SecurityAssociation) || has_type(in, PT::TsInitiator) ||
                         has_type(in, PT::TsResponder);
      // §2.16: the initiator's ID goes with its first request only, the responder's with its first
      // response (next to the first EAP request); the EAP rounds carry EAP alone.
      const PT id = response ? PT::IdResponder : PT::IdInitiator;
      if (eap) return has_type(in, id) && response ? Form::EapStart : Form::EapRound;
      if (!response && has_type(in, id) && !auth) return child ? Form::EapStart : Form::EapStartWithoutChild;
      if (!has_type(in, id) && auth) {
        if (!response) return Form::EapAuth;
        return child ? Form::EapAuth : Form::EapAuthWithoutChild;
      }
      return child ? Form::Normal : Form::WithoutChild;
    }
    case EX::CreateChildSa:
      if (response && has_error_notify(in) && !has_type(in, PT::SecurityAssociation))
        return Form::ErrorNotify;
      if (proposes_ike(in)) return Form::RekeyIke;
      if (!response && ikev2::find_notify(in, ikev2::NotifyType::RekeySa)) return Form::RekeyChild;
      return Form::NewChild;
    default: return Form::Normal;
  }
}

// "IDi", and Ni / Nr for the nonce, whose payload type has no direction.
std::string payload_label(PT type, bool response) {
  if (type == PT::Nonce) return response ? "Nr" : "Ni";
  return ikev2::payload_name(type);
}

std::string message_label(const Ikev2PayloadRow& row) {
  std::string s = std::string(ikev2::exchange_name(row.exchange)) + (row.response ? " response" : " request");
  if (*row.form_name) s += std::string(" (") + row.form_name + ")";
  return s;
}

PayloadViolation violation(const Ikev2PayloadRow& row, PT type, unsigned count, const std::string& limit) {
  PayloadViolation v;
  v.payload_type = static_cast<std::uint8_t>(type);
  v.count = count;
  v.detail = message_label(row) + ": " + std::to_string(count) + " " + payload_label(type, row.response) +
             (count == 1 ? " payload" : " payloads") + " (" + limit + ")";
  return v;
}

}  // namespace

std::span<const Ikev2PayloadRow> ikev2_payload_rows() {
  return kRows;
}

const Ikev2PayloadRow* ikev2_payload_row(EX exchange, bool response,
                                         const std::vector<ikev2::Payload>& payloads) {
  const Form form = classify(exchange, response, payloads);
  for (const auto& row : kRows)
    if (row.exchange == exchange && row.response == response && row.form == form) return &row;
  return nullptr;
}

std::optional<PayloadViolation> check_ikev2_payloads(const ikev2::Message& message,
                                                     const std::vector<ikev2::Payload>& payloads) {
  const bool response = message.header.is_response();
  const Ikev2PayloadRow* row = ikev2_payload_row(message.header.exchange, response, payloads);
  if (!row) return std::nullopt;
  if (row->inside_sk) {
    // §3.14: these exchanges carry everything inside SK; a cleartext payload next to it is not theirs.
    for (const auto& p : message.payloads) {
      const PT type = ikev2::payload_type(p);
      if (type != PT::Encrypted && type != PT::EncryptedFragment &&
          !std::holds_alternative<ikev2::UnknownPayload>(p))
        return violation(*row, type, 1, "outside SK");
    }
  }
  // Wire order: the first payload type the row does not list at all.
  for (const auto& p : payloads) {
    if (std::holds_alternative<ikev2::UnknownPayload>(p)) continue;
    const PT type = ikev2::payload_type(p);
    const bool listed = std::any_of(row->counts.begin(), row->counts.end(),
                                    [type](const Ikev2PayloadCount& c) { return c.type == type; });
    if (!listed) {
      const auto n = static_cast<unsigned>(
          std::count_if(payloads.begin(), payloads.end(),
                        [type](const ikev2::Payload& q) { return ikev2::payload_type(q) == type; }));
      return violation(*row, type, n, "not allowed");
    }
  }
  // Table order: each listed type's count within its bounds.
  for (const auto& c : row->counts) {
    if (c.type == PT::None) continue;
    const auto n =
        static_cast<unsigned>(std::count_if(payloads.begin(), payloads.end(), [&c](const ikev2::Payload& p) {
          return !std::holds_alternative<ikev2::UnknownPayload>(p) && ikev2::payload_type(p) == c.type;
        }));
    if (n < c.min) return violation(*row, c.type, n, "at least " + std::to_string(c.min));
    if (n > c.max) return violation(*row, c.type, n, "at most " + std::to_string(c.max));
  }
  return std::nullopt;
}

}  // namespace cygnet::ike
