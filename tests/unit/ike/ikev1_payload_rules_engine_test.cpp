// Bad-input catalog row 2 against the IKEv1 engine: "A valid message missing a payload its exchange
// requires (no KE, no Nonce, no ID in Quick Mode), or carrying one twice". Once authenticated
// (Quick Mode, informational under an established ISAKMP SA) the answer is a protected
// PAYLOAD-MALFORMED notify; before (AM1), a silent drop. The authenticated messages are forged
// under the live SA (EngineOptions::retain_keys_for_export, Engine::export_keys()): correctly
// encrypted, with a valid HASH(1) — only the payload chain is wrong. Asserted: the answer on the
// wire, the malformed counter and an event naming the payload, and that nothing moved.
#include <gtest/gtest.h>

#include "ike/key_export.hpp"
#include "ike/v1/ikev1_keys.hpp"
#include "ike/v1/ikev1_protection.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace isakmp = wire::isakmp;

ConnectionSettings v1(std::string_view local, std::string_view remote) {
  ConnectionSettings c =
      psk_connection("site", local, remote, "correct horse battery staple", "aes256-sha256-modp2048");
  c.ike_version = 1;
  return c;
}

EngineOptions retaining() {
  EngineOptions o;
  o.retain_keys_for_export = true;
  return o;
}

// A and B with Main Mode and the first Quick Mode done; messages forged as A.
struct Established {
  Established() : net(retaining(), retaining()) {
    auto a = v1("192.0.2.1", "192.0.2.2");
    a.start_action = StartAction::Start;
    EXPECT_TRUE(net.b.engine->add_connection(v1("192.0.2.2", "192.0.2.1"), net.now));
    EXPECT_TRUE(net.a.engine->add_connection(a, net.now));
    net.run();
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
    EXPECT_EQ(net.b.data_plane().sad().size(), 2u);
    for (const auto& d : net.wire_log)
      if (d.local.address == net.a.ip) a_sent = d;
    const KeyExport keys = net.a.engine->export_keys();
    EXPECT_EQ(keys.isakmp_sas.size(), 1u);
    if (!keys.isakmp_sas.empty()) sa = keys.isakmp_sas[0];
    malformed_before = net.b.engine->counters().malformed;
  }

  // HDR*, HASH(1), `payloads` as A would send them in a new exchange with message ID `mid`.
  std::vector<Bytes> send(isakmp::ExchangeType exchange, std::uint32_t mid,
                          const std::vector<isakmp::Payload>& payloads) {
    const Bytes after_hash = isakmp::encode_payload_chain(payloads).bytes;
    const Bytes hash = exchange == isakmp::ExchangeType::QuickMode
                           ? v1::quick_mode_hash1(sa.prf, sa.skeyid_a.view(), mid, after_hash)
                           : v1::informational_hash(sa.prf, sa.skeyid_a.view(), mid, after_hash);
    std::vector<isakmp::Payload> all{isakmp::HashPayload{hash}};
    all.insert(all.end(), payloads.begin(), payloads.end());
    isakmp::Header h;
    h.initiator_cookie = sa.cookie_i;
    h.responder_cookie = sa.cookie_r;
    h.exchange = exchange;
    h.message_id = mid;
    v1::Phase1Protection protection(sa.cipher, sa.encryption_key.view());
    const Bytes iv = v1::phase2_iv(sa.prf, sa.phase1_last_iv, mid, protection.block_size());
    const auto sealed = protection.protect(h, isakmp::encode_payload_chain(all), iv);
    net.b.engine->on_datagram(a_sent.remote, a_sent.local, sealed.datagram, net.now);
    std::vector<Bytes> out;
    for (auto& action : net.b.engine->take_actions()) {
      b_actions.push_back(action);
      if (const auto* e = std::get_if<Event>(&action)) net.b.events.push_back(*e);
      if (const auto* d = std::get_if<SendDatagram>(&action)) out.push_back(d->payload);
    }
    return out;
  }

  // B's answer, decrypted: an informational whose payloads are HASH and N(PAYLOAD-MALFORMED).
  void expect_payload_malformed(const std::vector<Bytes>& replies, const std::string& detail) {
    ASSERT_EQ(replies.size(), 1u);
    auto m = isakmp::parse_message(replies[0]);
    ASSERT_TRUE(m);
    EXPECT_EQ(m.value->header.exchange, isakmp::ExchangeType::Informational);
    ASSERT_TRUE(m.value->header.encrypted());
    v1::Phase1Protection protection(sa.cipher, sa.encryption_key.view());
    const Bytes iv =
        v1::phase2_iv(sa.prf, sa.phase1_last_iv, m.value->header.message_id, protection.block_size());
    auto opened = protection.unprotect(*m.value, iv);
    ASSERT_TRUE(opened);
    const auto& in = opened.value->payloads;
    ASSERT_EQ(in.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<isakmp::HashPayload>(in[0]));
    const auto* n = std::get_if<isakmp::NotificationPayload>(&in[1]);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->type, isakmp::NotifyType::PayloadMalformed);
    expect_counted_and_unchanged(detail);
  }

  void expect_counted_and_unchanged(const std::string& detail) {
    EXPECT_EQ(net.b.engine->counters().malformed, malformed_before + 1);
    const Event* e = net.b.find(EventType::MalformedMessage);
    ASSERT_NE(e, nullptr);
    EXPECT_NE(e->detail.find(detail), std::string::npos) << e->detail;
    for (const auto& action : b_actions) {
      EXPECT_FALSE(std::holds_alternative<InstallChildSa>(action));
      EXPECT_FALSE(std::holds_alternative<RemoveChildSa>(action));
      EXPECT_FALSE(std::holds_alternative<ActivateChildSa>(action));
    }
    EXPECT_EQ(net.b.ike_sa_count(), 1u);
    EXPECT_EQ(net.b.data_plane().sad().size(), 2u);
    EXPECT_EQ(net.b.engine->status(net.now).at(0).ike_sas.at(0).state, IkeSaState::Established);
    EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
    EXPECT_TRUE(net.traffic(net.b, "203.0.113.9", "198.51.100.7"));
  }

  BackToBack net;
  SendDatagram a_sent;
  IsakmpSaKeyExport sa;
  std::vector<Action> b_actions;
  std::uint64_t malformed_before = 0;
};

isakmp::SaPayload esp_offer() {
  isakmp::Proposal p;
  p.protocol = isakmp::ProtocolId::Esp;
  p.spi = {0x0a, 0x0b, 0x0c, 0x0d};
  p.transforms = {isakmp::Transform{1, 12, {}}};  // ESP_AES
  return isakmp::SaPayload{isakmp::kDoiIpsec, isakmp::kSituationIdentityOnly, {p}};
}

isakmp::IdPayload subnet(std::uint8_t a, std::uint8_t b, std::uint8_t c) {
  return isakmp::IdPayload{isakmp::IdType::Ipv4AddressSubnet, 0, 0, Bytes{a, b, c, 0, 255, 255, 255, 0}};
}

// QM1: SA, Ni, IDci, IDcr — complete; tests take pieces away or add copies.
std::vector<isakmp::Payload> quick_mode() {
  return {esp_offer(), isakmp::NoncePayload{Bytes(32, 0x21)}, subnet(198, 51, 100), subnet(203, 0, 113)};
}

TEST(PayloadRulesIkev1, Row02_QuickModeWithOneClientIdIsPayloadMalformed) {  // CVE-2023-38711
  Established e;
  auto one_id = quick_mode();
  one_id.pop_back();
  e.expect_payload_malformed(e.send(isakmp::ExchangeType::QuickMode, 0x11223344, one_id),
                             "QM1 (client IDs): 1 ID payload (at least 2)");
}

TEST(PayloadRulesIkev1, Row02_QuickModeWithoutNonceIsPayloadMalformed) {
  Established e;
  auto no_nonce = quick_mode();
  no_nonce.erase(no_nonce.begin() + 1);
  e.expect_payload_malformed(e.send(isakmp::ExchangeType::QuickMode, 0x11223345, no_nonce),
                             "QM1 (client IDs): 0 NONCE payloads (at least 1)");
}

TEST(PayloadRulesIkev1, Row02_QuickModeWithTwoKeIsPayloadMalformed) {
  Established e;
  auto two_ke = quick_mode();
  two_ke.insert(two_ke.begin() + 2, isakmp::KePayload{Bytes(256, 2)});
  two_ke.insert(two_ke.begin() + 2, isakmp::KePayload{Bytes(256, 3)});
  e.expect_payload_malformed(e.send(isakmp::ExchangeType::QuickMode, 0x11223346, two_ke),
                             "QM1 (client IDs): 2 KE payloads (at most 1)");
}

TEST(PayloadRulesIkev1, Row02_InformationalWithAKeIsPayloadMalformedAndItsDeleteIgnored) {
  Established e;
  const isakmp::DeletePayload whole_sa{isakmp::kDoiIsakmp,
                                       isakmp::ProtocolId::Isakmp,
                                       static_cast<std::uint8_t>(isakmp::kIsakmpSpiLength),
                                       {Bytes(isakmp::kIsakmpSpiLength, 0)}};
  isakmp::DeletePayload d = whole_sa;
  for (int i = 0; i < 8; ++i) {
    d.spis[0][static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(e.sa.cookie_i >> (56 - 8 * i));
    d.spis[0][static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(e.sa.cookie_r >> (56 - 8 * i));
  }
  e.expect_payload_malformed(
      e.send(isakmp::ExchangeType::Informational, 0x55667788, {d, isakmp::KePayload{Bytes(256, 4)}}),
      "informational (Delete): 1 KE payload (not allowed)");
}

// Before authentication: an AM1 with its KE twice (CVE-2023-30570's neighbour) is dropped without an
// answer, counted, and leaves no SA; the genuine AM1 still gets its AM2.
TEST(PayloadRulesIkev1, Row02_AggressiveModeWithTwoKeIsDroppedSilently) {
  Engine a(with_wall_origin(), seeded_random(7));
  auto initiator = v1("192.0.2.1", "192.0.2.2");
  initiator.aggressive = true;
  initiator.start_action = StartAction::Start;
  ASSERT_TRUE(a.add_connection(initiator, TimePoint{}));
  Bytes am1;
  for (auto& action : a.take_actions())
    if (auto* d = std::get_if<SendDatagram>(&action)) am1 = d->payload;
  ASSERT_FALSE(am1.empty());
  auto parsed = isakmp::parse_message(am1);
  ASSERT_TRUE(parsed);
  isakmp::Message twice = *parsed.value;
  twice.payloads.push_back(*isakmp::find_payload<isakmp::KePayload>(twice.payloads));

  Engine b(with_wall_origin(), seeded_random(3));
  auto responder = v1("192.0.2.2", "192.0.2.1");
  responder.aggressive = true;
  ASSERT_TRUE(b.add_connection(responder, TimePoint{}));
  b.take_actions();
  const Endpoint here{addr("192.0.2.2"), 500}, there{addr("192.0.2.1"), 500};
  b.on_datagram(here, there, isakmp::serialize_message(twice), TimePoint{});
  bool named = false;
  for (auto& action : b.take_actions()) {
    EXPECT_FALSE(std::holds_alternative<SendDatagram>(action));
    if (const auto* e = std::get_if<Event>(&action))
      named |= e->type == EventType::MalformedMessage &&
               e->detail.find("AM1: 2 KE payloads (at most 1)") != std::string::npos;
  }
  EXPECT_TRUE(named);
  EXPECT_EQ(b.counters().malformed, 1u);
  EXPECT_TRUE(b.status(TimePoint{}).empty() || b.status(TimePoint{}).at(0).ike_sas.empty());
  b.on_datagram(here, there, am1, TimePoint{});
  std::size_t answers = 0;
  for (auto& action : b.take_actions()) answers += std::holds_alternative<SendDatagram>(action) ? 1 : 0;
  EXPECT_EQ(answers, 1u);
}

}  // namespace
}  // namespace cygnet::ike::test
