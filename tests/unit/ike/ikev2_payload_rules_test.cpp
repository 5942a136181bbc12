// The IKEv2 payload table (ikev2_payload_rules.hpp): every row is reachable from a message of its
// shape, accepts that message and every allowed optional payload, and refuses a missing required
// payload, one too many of a payload allowed once, and a payload its exchange never carries — naming
// the payload. Then the cases the RFC spells out (RFC 7296 §1.2–1.4, §2.21.2, §3.14).
#include "ike/v2/ikev2_payload_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace cygnet::ike {
namespace {

namespace ikev2 = wire::ikev2;
using PT = ikev2::PayloadType;

ikev2::NotifyPayload notify(ikev2::NotifyType type) {
  return ikev2::NotifyPayload{ikev2::ProtocolId::None, {}, type, {}};
}

// One payload of `type` as it would appear in a message of `row`'s form.
ikev2::Payload sample(PT type, const Ikev2PayloadRow& row) {
  switch (type) {
    case PT::SecurityAssociation: {
      ikev2::Proposal p;
      p.protocol = row.form == Ikev2MessageForm::RekeyIke || row.exchange == ikev2::ExchangeType::IkeSaInit
                       ? ikev2::ProtocolId::Ike
                       : ikev2::ProtocolId::Esp;
      p.transforms = {{ikev2::TransformType::Encryption, 20, 256}};
      return ikev2::SaPayload{{p}};
    }
    case PT::KeyExchange: return ikev2::KePayload{31, Bytes(32, 1)};
    case PT::IdInitiator: return ikev2::IdInitiatorPayload{{ikev2::IdType::Fqdn, Bytes{'a'}}};
    case PT::IdResponder: return ikev2::IdResponderPayload{{ikev2::IdType::Fqdn, Bytes{'b'}}};
    case PT::Certificate: return ikev2::CertPayload{ikev2::CertEncoding::X509Signature, Bytes{1}};
    case PT::CertificateRequest:
      return ikev2::CertReqPayload{ikev2::CertEncoding::X509Signature, Bytes(20, 2)};
    case PT::Authentication: return ikev2::AuthPayload{ikev2::AuthMethod::SharedKeyMic, Bytes(32, 3)};
    case PT::Nonce: return ikev2::NoncePayload{Bytes(32, 4)};
    case PT::Notify:
      // The notify that gives the row its form, else a plain status notify.
      switch (row.form) {
        case Ikev2MessageForm::ErrorNotify: return notify(ikev2::NotifyType::NoProposalChosen);
        case Ikev2MessageForm::Cookie: return notify(ikev2::NotifyType::Cookie);
        case Ikev2MessageForm::RekeyChild: return notify(ikev2::NotifyType::RekeySa);
        default: return notify(ikev2::NotifyType::InitialContact);
      }
    case PT::Delete: return ikev2::DeletePayload{ikev2::ProtocolId::Esp, 4, {Bytes(4, 5)}};
    case PT::VendorId: return ikev2::VendorIdPayload{Bytes{'v'}};
    case PT::TsInitiator:
    case PT::TsResponder: {
      ikev2::TrafficSelector ts;
      ts.start = *wire::IpAddress::parse("198.51.100.0");
      ts.end = *wire::IpAddress::parse("198.51.100.255");
      if (type == PT::TsInitiator) return ikev2::TsInitiatorPayload{{{ts}}};
      return ikev2::TsResponderPayload{{{ts}}};
    }
    case PT::Configuration: return ikev2::ConfigPayload{};
    case PT::Eap: return ikev2::EapPayload{Bytes{2, 1, 0, 4}};
    case PT::Encrypted: return ikev2::EncryptedPayload{};
    default: return ikev2::UnknownPayload{static_cast<std::uint8_t>(type), false, {}};
  }
}

// An extra copy for an "allowed optional" or "duplicate" case: never one that changes the form.
ikev2::Payload extra(PT type, const Ikev2PayloadRow& row) {
  if (type == PT::Notify) return notify(ikev2::NotifyType::InitialContact);
  return sample(type, row);
}

// The smallest message of the row: each required payload `min` times.
std::vector<ikev2::Payload> minimal(const Ikev2PayloadRow& row) {
  std::vector<ikev2::Payload> out;
  for (const auto& c : row.counts)
    for (unsigned i = 0; i < c.min; ++i) out.push_back(sample(c.type, row));
  return out;
}

// The message around the payloads: in an SK payload for the SK exchanges, in cleartext otherwise.
ikev2::Message message(const Ikev2PayloadRow& row, const std::vector<ikev2::Payload>& payloads) {
  ikev2::Message m;
  m.header.exchange = row.exchange;
  m.header.flags = row.response ? ikev2::kFlagResponse : ikev2::kFlagInitiator;
  if (row.inside_sk)
    m.payloads = {ikev2::EncryptedPayload{}};
  else
    m.payloads = payloads;
  return m;
}

std::optional<PayloadViolation> check(const Ikev2PayloadRow& row,
                                      const std::vector<ikev2::Payload>& payloads) {
  return check_ikev2_payloads(message(row, payloads), payloads);
}

std::string row_name(const Ikev2PayloadRow& row) {
  return std::string(ikev2::exchange_name(row.exchange)) + (row.response ? " response " : " request ") +
         std::to_string(static_cast<int>(row.form));
}

bool listed(const Ikev2PayloadRow& row, PT type) {
  return std::any_of(row.counts.begin(), row.counts.end(), [type](const auto& c) { return c.type == type; });
}

// A violation naming `type` when the mutated message still has the row's form (a missing SA may
// turn an IKE SA rekey into a CHILD SA request, which then misses other payloads instead).
void expect_violation(const Ikev2PayloadRow& row, const std::vector<ikev2::Payload>& payloads, PT type) {
  // IKE_AUTH with EAP (§2.16): a request without AUTH starts EAP, a response without IDr ends it,
  // an AUTH response that gained an EAP payload starts it: other valid shapes, not violations.
  if (row.exchange == ikev2::ExchangeType::IkeAuth) {
    const Ikev2PayloadRow* other = ikev2_payload_row(row.exchange, row.response, payloads);
    if (other != nullptr && other != &row && !check(*other, payloads).has_value()) return;
  }
  const auto v = check(row, payloads);
  ASSERT_TRUE(v.has_value());
  if (ikev2_payload_row(row.exchange, row.response, payloads) == &row) {
    EXPECT_EQ(v->payload_type, static_cast<std::uint8_t>(type)) << v->detail;
    EXPECT_NE(v->detail.find(ikev2::exchange_name(row.exchange)), std::string::npos) << v->detail;
  }
}

constexpr PT kAllTypes[] = {PT::SecurityAssociation,
                            PT::KeyExchange,
                            PT::IdInitiator,
                            PT::IdResponder,
                            PT::Certificate,
                            PT::CertificateRequest,
                            PT::Authentication,
                            PT::Nonce,
                            PT::Notify,
                            PT::Delete,
                            PT::VendorId,
                            PT::TsInitiator,
                            PT::TsResponder,
                            PT::Configuration,
                            PT::Eap};

TEST(Ikev2PayloadRules, EveryRowAcceptsItsMinimalMessageAndEveryAllowedOptional) {
  ASSERT_EQ(ikev2_payload_rows().size(), 25u);
  for (const auto& row : ikev2_payload_rows()) {
    SCOPED_TRACE(row_name(row));
    const auto base = minimal(row);
    ASSERT_EQ(ikev2_payload_row(row.exchange, row.response, base), &row);  // reachable
    EXPECT_FALSE(check(row, base).has_value()) << check(row, base)->detail;
    for (const auto& c : row.counts) {
      if (c.type == PT::None || c.max == c.min) continue;
      SCOPED_TRACE(ikev2::payload_name(c.type));
      auto with = base;
      with.push_back(extra(c.type, row));
      EXPECT_EQ(ikev2_payload_row(row.exchange, row.response, with), &row);
      const auto v = check(row, with);
      EXPECT_FALSE(v.has_value()) << v->detail;
    }
  }
}

TEST(Ikev2PayloadRules, EveryRowRefusesAMissingRequiredPayload) {
  for (const auto& row : ikev2_payload_rows()) {
    SCOPED_TRACE(row_name(row));
    for (const auto& c : row.counts) {
      if (c.type == PT::None || c.min == 0) continue;
      // Without N(REKEY_SA) a CHILD SA rekey is a valid request for a new CHILD SA.
      if (row.form == Ikev2MessageForm::RekeyChild && c.type == PT::Notify) continue;
      SCOPED_TRACE(ikev2::payload_name(c.type));
      auto without = minimal(row);
      std::erase_if(without, [&c](const ikev2::Payload& p) { return ikev2::payload_type(p) == c.type; });
      expect_violation(row, without, c.type);
    }
  }
}

TEST(Ikev2PayloadRules, EveryRowRefusesOneTooManyOfAPayloadAllowedOnce) {
  for (const auto& row : ikev2_payload_rows()) {
    SCOPED_TRACE(row_name(row));
    for (const auto& c : row.counts) {
      if (c.type == PT::None || c.max != 1) continue;
      SCOPED_TRACE(ikev2::payload_name(c.type));
      auto twice = minimal(row);
      for (unsigned i = c.min; i < 2; ++i) twice.push_back(extra(c.type, row));
      expect_violation(row, twice, c.type);
    }
  }
}

TEST(Ikev2PayloadRules, EveryRowRefusesAPayloadItsExchangeNeverCarries) {
  for (const auto& row : ikev2_payload_rows()) {
    SCOPED_TRACE(row_name(row));
    for (PT type : kAllTypes) {
      if (listed(row, type)) continue;
      SCOPED_TRACE(ikev2::payload_name(type));
      auto with = minimal(row);
      with.push_back(sample(type, row));
      expect_violation(row, with, type);
      if (ikev2_payload_row(row.exchange, row.response, with) == &row) {
        EXPECT_NE(check(row, with)->detail.find("not allowed"), std::string::npos);
      }
    }
  }
}

const Ikev2PayloadRow& row_of(ikev2::ExchangeType exchange, bool response, Ikev2MessageForm form) {
  for (const auto& row : ikev2_payload_rows())
    if (row.exchange == exchange && row.response == response && row.form == form) return row;
  throw std::logic_error("no such row");
}

TEST(Ikev2PayloadRules, TheViolationNamesPayloadCountAndLimit) {
  const auto& auth = row_of(ikev2::ExchangeType::IkeAuth, false, Ikev2MessageForm::Normal);
  auto two_idi = minimal(auth);
  two_idi.push_back(sample(PT::IdInitiator, auth));
  EXPECT_EQ(check(auth, two_idi)->detail, "IKE_AUTH request: 2 IDi payloads (at most 1)");

  const auto& rekey = row_of(ikev2::ExchangeType::CreateChildSa, false, Ikev2MessageForm::RekeyIke);
  auto no_ke = minimal(rekey);
  std::erase_if(no_ke, [](const ikev2::Payload& p) { return std::holds_alternative<ikev2::KePayload>(p); });
  EXPECT_EQ(check(rekey, no_ke)->detail,
            "CREATE_CHILD_SA request (IKE SA rekey): 0 KE payloads (at least 1)");

  const auto& child = row_of(ikev2::ExchangeType::CreateChildSa, true, Ikev2MessageForm::NewChild);
  auto two_nonces = minimal(child);
  two_nonces.push_back(sample(PT::Nonce, child));
  EXPECT_EQ(check(child, two_nonces)->detail,
            "CREATE_CHILD_SA response (CHILD SA): 2 Nr payloads (at most 1)");

  // CVE-2023-23009's shape: a CHILD SA request without TSr.
  const auto& fresh = row_of(ikev2::ExchangeType::CreateChildSa, false, Ikev2MessageForm::NewChild);
  auto no_tsr = minimal(fresh);
  std::erase_if(no_tsr,
                [](const ikev2::Payload& p) { return std::holds_alternative<ikev2::TsResponderPayload>(p); });
  EXPECT_EQ(check(fresh, no_tsr)->detail,
            "CREATE_CHILD_SA request (new CHILD SA): 0 TSr payloads (at least 1)");

  const auto& info = row_of(ikev2::ExchangeType::Informational, false, Ikev2MessageForm::Normal);
  EXPECT_EQ(check(info, {sample(PT::KeyExchange, info)})->detail,
            "INFORMATIONAL request: 1 KE payload (not allowed)");
}

TEST(Ikev2PayloadRules, IkeAuthChildPartIsAllOrNothing) {
  const auto& auth = row_of(ikev2::ExchangeType::IkeAuth, false, Ikev2MessageForm::Normal);
  auto sa_only = minimal(auth);
  std::erase_if(sa_only, [](const ikev2::Payload& p) {
    return std::holds_alternative<ikev2::TsInitiatorPayload>(p) ||
           std::holds_alternative<ikev2::TsResponderPayload>(p);
  });
  EXPECT_EQ(check(auth, sa_only)->detail, "IKE_AUTH request: 0 TSi payloads (at least 1)");
  // §2.21.2: the IKE SA comes up, the child is refused by a notify; the response has no child part.
  const auto& response = row_of(ikev2::ExchangeType::IkeAuth, true, Ikev2MessageForm::Normal);
  std::vector<ikev2::Payload> refused_child = {sample(PT::IdResponder, response),
                                               sample(PT::Authentication, response),
                                               notify(ikev2::NotifyType::TsUnacceptable)};
  EXPECT_EQ(ikev2_payload_row(ikev2::ExchangeType::IkeAuth, true, refused_child)->form,
            Ikev2MessageForm::WithoutChild);
  EXPECT_FALSE(check(response, refused_child).has_value());
  // AUTHENTICATION_FAILED alone is the error form; an IDr next to it is not allowed there.
  std::vector<ikev2::Payload> failed = {notify(ikev2::NotifyType::AuthenticationFailed)};
  EXPECT_FALSE(check(response, failed).has_value());
  failed.push_back(sample(PT::IdResponder, response));
  EXPECT_EQ(check(response, failed)->detail, "IKE_AUTH response (error): 1 IDr payload (not allowed)");
}

TEST(Ikev2PayloadRules, SkExchangesCarryNothingInCleartextAndIkeSaInitNoSk) {
  const auto& info = row_of(ikev2::ExchangeType::Informational, false, Ikev2MessageForm::Normal);
  ikev2::Message m = message(info, {});
  m.payloads.insert(m.payloads.begin(), notify(ikev2::NotifyType::InitialContact));
  const auto v = check_ikev2_payloads(m, {});
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->detail, "INFORMATIONAL request: 1 N payload (outside SK)");
  // A fragment (SKF) is as good as SK.
  m.payloads = {ikev2::EncryptedFragmentPayload{}};
  EXPECT_FALSE(check_ikev2_payloads(m, {}).has_value());

  const auto& init = row_of(ikev2::ExchangeType::IkeSaInit, false, Ikev2MessageForm::Normal);
  auto with_sk = minimal(init);
  with_sk.push_back(ikev2::EncryptedPayload{});
  EXPECT_EQ(check(init, with_sk)->detail, "IKE_SA_INIT request: 1 SK payload (not allowed)");
}

TEST(Ikev2PayloadRules, UnknownPayloadsAndExchangesAreLeftToTheHandlers) {
  const auto& info = row_of(ikev2::ExchangeType::Informational, true, Ikev2MessageForm::Normal);
  EXPECT_FALSE(check(info, {}).has_value());  // an empty INFORMATIONAL: a liveness check (§1.4.1)
  // §2.5: an unknown payload without the critical bit is skipped, in any number.
  std::vector<ikev2::Payload> unknown = {ikev2::UnknownPayload{200, false, {}},
                                         ikev2::UnknownPayload{200, false, {}}};
  EXPECT_FALSE(check(info, unknown).has_value());
  ikev2::Message other;
  other.header.exchange = static_cast<ikev2::ExchangeType>(99);
  other.payloads = {sample(PT::KeyExchange, info)};
  EXPECT_EQ(ikev2_payload_row(other.header.exchange, false, other.payloads), nullptr);
  EXPECT_FALSE(check_ikev2_payloads(other, other.payloads).has_value());
}

TEST(Ikev2PayloadRules, FormsAreChosenByTheNotifyAndTheProposal) {
  using F = Ikev2MessageForm;
  const auto& init = row_of(ikev2::ExchangeType::IkeSaInit, true, F::Normal);
  EXPECT_EQ(
      ikev2_payload_row(ikev2::ExchangeType::IkeSaInit, true, {notify(ikev2::NotifyType::Cookie)})->form,
      F::Cookie);
  EXPECT_EQ(
      ikev2_payload_row(ikev2::ExchangeType::IkeSaInit, true, {notify(ikev2::NotifyType::InvalidKePayload)})
          ->form,
      F::ErrorNotify);
  // A COOKIE response with an SA next to it is refused by name.
  EXPECT_EQ(check(init, {notify(ikev2::NotifyType::Cookie), sample(PT::SecurityAssociation, init)})->detail,
            "IKE_SA_INIT response (COOKIE): 1 SA payload (not allowed)");
  const auto& rekey = row_of(ikev2::ExchangeType::CreateChildSa, false, F::RekeyIke);
  auto with_ts = minimal(rekey);
  with_ts.push_back(sample(PT::TsInitiator, rekey));
  EXPECT_EQ(check(rekey, with_ts)->detail,
            "CREATE_CHILD_SA request (IKE SA rekey): 1 TSi payload (not allowed)");
}

}  // namespace
}  // namespace cygnet::ike
