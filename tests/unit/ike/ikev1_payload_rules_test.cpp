// The IKEv1 payload table (ikev1_payload_rules.hpp): every row is reachable, accepts its minimal
// message and every allowed optional payload, and refuses a missing required payload, one too
// many, and a payload its message never carries — naming the payload. Then the cases RFC 2409 and
// the Libreswan CVEs spell out: HASH first, client IDs both or none (CVE-2023-38711), KE and
// nonce in Aggressive Mode (CVE-2023-30570), encryption per message.
#include "ike/v1/ikev1_payload_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace cygnet::ike {
namespace {

namespace isakmp = wire::isakmp;
using PT = isakmp::PayloadType;
using M = Ikev1Message;

isakmp::Payload sample(PT type) {
  switch (type) {
    case PT::SecurityAssociation: return isakmp::SaPayload{};
    case PT::KeyExchange: return isakmp::KePayload{Bytes(256, 1)};
    case PT::Identification: return isakmp::IdPayload{isakmp::IdType::Ipv4Address, 0, 0, Bytes{192, 0, 2, 1}};
    case PT::Certificate: return isakmp::CertPayload{isakmp::CertEncoding::X509Signature, Bytes{1}};
    case PT::CertificateRequest: return isakmp::CertRequestPayload{isakmp::CertEncoding::X509Signature, {}};
    case PT::Hash: return isakmp::HashPayload{Bytes(32, 2)};
    case PT::Signature: return isakmp::SignaturePayload{Bytes(64, 3)};
    case PT::Nonce: return isakmp::NoncePayload{Bytes(32, 4)};
    case PT::Notification: return isakmp::NotificationPayload{};
    case PT::Delete:
      return isakmp::DeletePayload{isakmp::kDoiIpsec, isakmp::ProtocolId::Esp, 4, {Bytes(4, 5)}};
    case PT::VendorId: return isakmp::VendorIdPayload{Bytes{'v'}};
    case PT::NatDiscovery: return isakmp::NatDPayload{Bytes(32, 6), false};
    case PT::NatDiscoveryDraft: return isakmp::NatDPayload{Bytes(32, 6), true};
    case PT::NatOriginalAddress: return isakmp::NatOaPayload{*wire::IpAddress::parse("192.0.2.1"), false};
    case PT::NatOriginalAddressDraft: return isakmp::NatOaPayload{*wire::IpAddress::parse("192.0.2.1"), true};
    default: return isakmp::GenericPayload{static_cast<std::uint8_t>(type), {}};
  }
}

bool encrypted(const Ikev1PayloadRow& row) {
  return row.encryption != Ikev1Encryption::Cleartext;
}

// The smallest message of the row: each required payload `min` times, the `first` one first.
std::vector<isakmp::Payload> minimal(const Ikev1PayloadRow& row) {
  std::vector<isakmp::Payload> out;
  for (const auto& c : row.counts)
    for (unsigned i = 0; i < c.min; ++i) out.push_back(sample(c.type));
  return out;
}

std::optional<PayloadViolation> check(const Ikev1PayloadRow& row, const std::vector<isakmp::Payload>& p) {
  return check_ikev1_payloads(row.message, encrypted(row), p);
}

std::string row_name(const Ikev1PayloadRow& row) {
  return std::string(ikev1_message_name(row.message)) + " form " + std::to_string(static_cast<int>(row.form));
}

void expect_violation(const Ikev1PayloadRow& row, const std::vector<isakmp::Payload>& payloads, PT type) {
  const auto v = check(row, payloads);
  ASSERT_TRUE(v.has_value());
  if (ikev1_payload_row(row.message, encrypted(row), payloads) == &row) {
    EXPECT_EQ(v->payload_type, static_cast<std::uint8_t>(type)) << v->detail;
    EXPECT_EQ(v->detail.rfind(ikev1_message_name(row.message), 0), 0u) << v->detail;
  }
}

constexpr PT kAllTypes[] = {PT::SecurityAssociation,
                            PT::KeyExchange,
                            PT::Identification,
                            PT::Certificate,
                            PT::CertificateRequest,
                            PT::Hash,
                            PT::Signature,
                            PT::Nonce,
                            PT::Notification,
                            PT::Delete,
                            PT::VendorId,
                            PT::NatDiscovery,
                            PT::NatDiscoveryDraft,
                            PT::NatOriginalAddress,
                            PT::NatOriginalAddressDraft};

TEST(Ikev1PayloadRules, EveryRowAcceptsItsMinimalMessageAndEveryAllowedOptional) {
  ASSERT_EQ(ikev1_payload_rows().size(), 21u);
  for (const auto& row : ikev1_payload_rows()) {
    SCOPED_TRACE(row_name(row));
    const auto base = minimal(row);
    ASSERT_EQ(ikev1_payload_row(row.message, encrypted(row), base), &row);
    EXPECT_FALSE(check(row, base).has_value()) << check(row, base)->detail;
    for (const auto& c : row.counts) {
      if (c.type == PT::None || c.max == c.min) continue;
      SCOPED_TRACE(isakmp::payload_name(c.type));
      auto with = base;
      with.push_back(sample(c.type));
      const auto v = check(row, with);
      EXPECT_FALSE(v.has_value()) << v->detail;
    }
  }
}

TEST(Ikev1PayloadRules, EveryRowRefusesAMissingRequiredPayload) {
  for (const auto& row : ikev1_payload_rows()) {
    SCOPED_TRACE(row_name(row));
    for (const auto& c : row.counts) {
      if (c.type == PT::None || c.min == 0) continue;
      SCOPED_TRACE(isakmp::payload_name(c.type));
      auto without = minimal(row);
      // One of two client IDs: the CVE-2023-38711 case (the form stays "with client IDs").
      if (c.min == 2) {
        auto it = std::find_if(without.begin(), without.end(),
                               [&c](const isakmp::Payload& p) { return isakmp::payload_type(p) == c.type; });
        without.erase(it);
      } else {
        std::erase_if(without, [&c](const isakmp::Payload& p) { return isakmp::payload_type(p) == c.type; });
      }
      expect_violation(row, without, c.type);
    }
  }
}

TEST(Ikev1PayloadRules, EveryRowRefusesOneTooMany) {
  for (const auto& row : ikev1_payload_rows()) {
    SCOPED_TRACE(row_name(row));
    for (const auto& c : row.counts) {
      if (c.type == PT::None || c.max == kAnyCount) continue;
      SCOPED_TRACE(isakmp::payload_name(c.type));
      auto more = minimal(row);
      for (unsigned i = c.min; i <= c.max; ++i) more.push_back(sample(c.type));
      expect_violation(row, more, c.type);
    }
  }
}

TEST(Ikev1PayloadRules, EveryRowRefusesAPayloadItsMessageNeverCarries) {
  for (const auto& row : ikev1_payload_rows()) {
    SCOPED_TRACE(row_name(row));
    for (PT type : kAllTypes) {
      if (std::any_of(row.counts.begin(), row.counts.end(), [type](const auto& c) { return c.type == type; }))
        continue;
      // A Delete turns a notification into the (valid) Delete form.
      if (row.form == Ikev1MessageForm::Notification && type == PT::Delete) continue;
      SCOPED_TRACE(isakmp::payload_name(type));
      auto with = minimal(row);
      with.push_back(sample(type));
      expect_violation(row, with, type);
    }
  }
}

std::vector<isakmp::Payload> payloads(std::initializer_list<PT> types) {
  std::vector<isakmp::Payload> out;
  for (PT t : types) out.push_back(sample(t));
  return out;
}

TEST(Ikev1PayloadRules, AggressiveModeNeedsOneKeAndOneNonce) {  // CVE-2023-30570
  EXPECT_FALSE(check_ikev1_payloads(
      M::AM1, false, payloads({PT::SecurityAssociation, PT::KeyExchange, PT::Nonce, PT::Identification})));
  EXPECT_EQ(
      check_ikev1_payloads(M::AM1, false, payloads({PT::SecurityAssociation, PT::Nonce, PT::Identification}))
          ->detail,
      "AM1: 0 KE payloads (at least 1)");
  EXPECT_EQ(check_ikev1_payloads(M::AM1, false,
                                 payloads({PT::SecurityAssociation, PT::KeyExchange, PT::KeyExchange,
                                           PT::Nonce, PT::Identification}))
                ->detail,
            "AM1: 2 KE payloads (at most 1)");
  EXPECT_EQ(
      check_ikev1_payloads(M::AM2, false,
                           payloads({PT::SecurityAssociation, PT::KeyExchange, PT::Identification, PT::Hash}))
          ->detail,
      "AM2 (pre-shared key): 0 NONCE payloads (at least 1)");
}

TEST(Ikev1PayloadRules, QuickModeClientIdsAreBothOrNone) {  // CVE-2023-38711
  const auto no_ids = payloads({PT::Hash, PT::SecurityAssociation, PT::Nonce});
  EXPECT_FALSE(check_ikev1_payloads(M::QM1, true, no_ids).has_value());
  auto one = no_ids;
  one.push_back(sample(PT::Identification));
  EXPECT_EQ(check_ikev1_payloads(M::QM1, true, one)->detail, "QM1 (client IDs): 1 ID payload (at least 2)");
  auto two = one;
  two.push_back(sample(PT::Identification));
  EXPECT_FALSE(check_ikev1_payloads(M::QM2, true, two).has_value());
  auto three = two;
  three.push_back(sample(PT::Identification));
  EXPECT_EQ(check_ikev1_payloads(M::QM2, true, three)->detail, "QM2 (client IDs): 3 ID payloads (at most 2)");
}

TEST(Ikev1PayloadRules, HashComesFirstInQuickModeAndInformational) {
  EXPECT_EQ(
      check_ikev1_payloads(M::QM1, true, payloads({PT::SecurityAssociation, PT::Hash, PT::Nonce}))->detail,
      "QM1: HASH is not the first payload");
  EXPECT_EQ(check_ikev1_payloads(M::Informational, true, payloads({PT::Notification, PT::Hash}))->detail,
            "informational: HASH is not the first payload");
  EXPECT_FALSE(check_ikev1_payloads(M::Informational, true, payloads({PT::Hash, PT::Delete, PT::Delete})));
  EXPECT_EQ(check_ikev1_payloads(M::Informational, true, payloads({PT::Hash}))->detail,
            "informational: 0 N payloads (at least 1)");
  EXPECT_EQ(check_ikev1_payloads(M::QM3, true, payloads({PT::Hash, PT::Nonce}))->detail,
            "QM3: 1 NONCE payload (not allowed)");
}

TEST(Ikev1PayloadRules, HashOrSignatureDecidesTheForm) {
  EXPECT_FALSE(check_ikev1_payloads(M::MM5, true, payloads({PT::Identification, PT::Hash})));
  EXPECT_FALSE(
      check_ikev1_payloads(M::MM5, true, payloads({PT::Identification, PT::Certificate, PT::Signature})));
  EXPECT_EQ(
      check_ikev1_payloads(M::MM5, true, payloads({PT::Identification, PT::Hash, PT::Signature}))->detail,
      "MM5 (signature): 1 HASH payload (not allowed)");
  EXPECT_EQ(check_ikev1_payloads(M::MM6, true, payloads({PT::Identification}))->detail,
            "MM6 (pre-shared key): 0 HASH payloads (at least 1)");
  EXPECT_EQ(check_ikev1_payloads(M::MM6, true, payloads({PT::Identification, PT::Identification, PT::Hash}))
                ->detail,
            "MM6 (pre-shared key): 2 ID payloads (at most 1)");
}

TEST(Ikev1PayloadRules, EncryptionIsPartOfTheRow) {
  EXPECT_EQ(check_ikev1_payloads(M::MM3, true, {})->detail, "MM3: encrypted (must be cleartext)");
  EXPECT_EQ(
      check_ikev1_payloads(M::QM1, false, payloads({PT::Hash, PT::SecurityAssociation, PT::Nonce}))->detail,
      "QM1: not encrypted");
  // AM3 either way; an unprotected informational is a notify alone.
  EXPECT_FALSE(check_ikev1_payloads(M::AM3, false, payloads({PT::Hash})));
  EXPECT_FALSE(check_ikev1_payloads(M::AM3, true, payloads({PT::Hash})));
  EXPECT_FALSE(check_ikev1_payloads(M::Informational, false, payloads({PT::Notification})));
  EXPECT_EQ(check_ikev1_payloads(M::Informational, false, payloads({PT::Notification, PT::Delete}))->detail,
            "informational (unprotected): 1 D payload (not allowed)");
}

TEST(Ikev1PayloadRules, OpaquePayloadsAreLeftToTheHandlers) {
  auto mm1 = payloads({PT::SecurityAssociation});
  mm1.push_back(isakmp::GenericPayload{14, {}});  // a mode-cfg attribute payload
  mm1.push_back(isakmp::GenericPayload{200, {}});
  EXPECT_FALSE(check_ikev1_payloads(M::MM1, false, mm1).has_value());
}

}  // namespace
}  // namespace cygnet::ike
