// Bad-input catalog row 2 against the IKEv2 engine, once authenticated: "A valid message missing a
// payload its exchange requires (no KE, no Nonce, no TS), or carrying one twice" → "INVALID_SYNTAX
// once authenticated". The messages are genuine SK messages under the live IKE SA's keys (read with
// EngineOptions::retain_keys_for_export), only their payload chain is wrong. Asserted: the answer on
// the wire (an SK response carrying only N(INVALID_SYNTAX)), the malformed counter and an event
// naming the payload, and that nothing else moved (IKE and CHILD SAs intact, nothing installed or
// removed, traffic still flows). A response is never answered: one that breaks its row before
// IKE_AUTH completes fails the IKE SA. IKE_SA_INIT (before authentication: a silent drop) is in
// bad_input_test.cpp.
#include <gtest/gtest.h>

#include "ike/key_export.hpp"
#include "ike/random_source.hpp"
#include "ike/v2/sk_protection.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;
constexpr std::size_t kNonEspMarker = 4;

EngineOptions retaining() {
  EngineOptions o;
  o.retain_keys_for_export = true;
  return o;
}

// A's and B's IKE SA up with its first CHILD SA; messages forged as A under A's keys.
struct Established {
  Established() : net(retaining(), retaining()) {
    EXPECT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", "192.0.2.1"), net.now));
    auto a = psk_connection("site", "192.0.2.1", "192.0.2.2");
    a.start_action = StartAction::Start;
    EXPECT_TRUE(net.a.engine->add_connection(a, net.now));
    net.run();
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
    EXPECT_EQ(net.b.established_children(), 1u);
    for (const auto& d : net.wire_log)
      if (d.local.address == net.a.ip) a_sent = d;  // A's last datagram: the endpoints it uses
  }

  // `payloads` as A's next request of `exchange`, SK-protected; B's answers (not delivered to A).
  std::vector<Bytes> request_to_b(ikev2::ExchangeType exchange, const std::vector<ikev2::Payload>& payloads,
                                  std::uint32_t message_id = 2) {
    const KeyExport keys = net.a.engine->export_keys();
    EXPECT_EQ(keys.ike_sas.size(), 1u);
    const IkeSaKeyExport& k = keys.ike_sas.at(0);
    SkProtection as_a(k.algorithms, k.sk_ei.view(), k.sk_ai.view());
    ikev2::Header h;
    h.initiator_spi = k.spi_i;
    h.responder_spi = k.spi_r;
    h.exchange = exchange;
    h.flags = ikev2::kFlagInitiator;
    h.message_id = message_id;
    return deliver(as_a.protect(h, ikev2::encode_payload_chain(payloads), *random));
  }

  std::vector<Bytes> deliver(const Bytes& message) {
    Bytes datagram;
    if (a_sent.local.port == ikev2::kNatTraversalPort) datagram.assign(kNonEspMarker, 0);
    datagram.insert(datagram.end(), message.begin(), message.end());
    net.b.engine->on_datagram(a_sent.remote, a_sent.local, datagram, net.now);
    std::vector<Bytes> out;
    for (auto& action : net.b.engine->take_actions()) {
      b_actions.push_back(action);
      if (const auto* e = std::get_if<Event>(&action)) net.b.events.push_back(*e);
      if (const auto* d = std::get_if<SendDatagram>(&action)) {
        Bytes m = d->payload;
        if (d->local.port == ikev2::kNatTraversalPort) m.erase(m.begin(), m.begin() + kNonEspMarker);
        out.push_back(std::move(m));
      }
    }
    return out;
  }

  // The payloads of B's SK response, decrypted with B's keys.
  std::vector<ikev2::Payload> open_response(const Bytes& response) {
    const KeyExport keys = net.a.engine->export_keys();
    const IkeSaKeyExport& k = keys.ike_sas.at(0);
    SkProtection from_b(k.algorithms, k.sk_er.view(), k.sk_ar.view());
    auto m = ikev2::parse_message(response);
    EXPECT_TRUE(m);
    if (!m) return {};
    EXPECT_TRUE(m.value->header.is_response());
    const auto* sk = std::get_if<ikev2::EncryptedPayload>(&m.value->payloads.back());
    EXPECT_NE(sk, nullptr);
    if (!sk) return {};
    auto plain = from_b.unprotect(response, *sk);
    EXPECT_TRUE(plain);
    if (!plain) return {};
    auto chain = ikev2::parse_payload_chain(sk->first_inner, *plain);
    EXPECT_TRUE(chain);
    return chain ? *chain.value : std::vector<ikev2::Payload>{};
  }

  // B answered with exactly N(INVALID_SYNTAX), counted one malformed message with `detail`, and
  // changed nothing: the same IKE SA and CHILD SA, nothing installed or removed, traffic flows.
  void expect_invalid_syntax(const std::vector<Bytes>& replies, const std::string& detail) {
    ASSERT_EQ(replies.size(), 1u);
    const auto inner = open_response(replies[0]);
    ASSERT_EQ(inner.size(), 1u);
    const auto* n = std::get_if<ikev2::NotifyPayload>(&inner[0]);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->type, ikev2::NotifyType::InvalidSyntax);
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
    EXPECT_EQ(net.b.established_children(), 1u);
    EXPECT_EQ(net.b.engine->status(net.now).at(0).ike_sas.at(0).state, IkeSaState::Established);
    EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
    EXPECT_TRUE(net.traffic(net.b, "203.0.113.9", "198.51.100.7"));
  }

  BackToBack net;
  SendDatagram a_sent;
  std::vector<Action> b_actions;
  std::shared_ptr<RandomSource> random = seeded_random(77);
  std::uint64_t malformed_before = 0;
  void mark() { malformed_before = net.b.engine->counters().malformed; }
};

ikev2::SaPayload esp_offer() {
  ikev2::Proposal p;
  p.protocol = ikev2::ProtocolId::Esp;
  p.spi = {0x0a, 0x0b, 0x0c, 0x0d};
  p.transforms = {{ikev2::TransformType::Encryption, 20, 256}, {ikev2::TransformType::Esn, 0, std::nullopt}};
  return ikev2::SaPayload{{p}};
}

ikev2::SaPayload ike_offer() {
  ikev2::Proposal p;
  p.protocol = ikev2::ProtocolId::Ike;
  p.spi = Bytes(8, 0x5a);
  p.transforms = {{ikev2::TransformType::Encryption, 20, 256},
                  {ikev2::TransformType::Prf, 5, std::nullopt},
                  {ikev2::TransformType::KeyExchange, 31, std::nullopt}};
  return ikev2::SaPayload{{p}};
}

ikev2::TrafficSelector ts(std::string_view first, std::string_view last) {
  ikev2::TrafficSelector t;
  t.start = addr(first);
  t.end = addr(last);
  return t;
}

// A request for a new CHILD SA inside the established selectors, complete.
std::vector<ikev2::Payload> new_child() {
  return {esp_offer(), ikev2::NoncePayload{Bytes(32, 0x33)},
          ikev2::TsInitiatorPayload{{{ts("198.51.100.0", "198.51.100.255")}}},
          ikev2::TsResponderPayload{{{ts("203.0.113.0", "203.0.113.255")}}}};
}

template <typename T>
std::vector<ikev2::Payload> without(std::vector<ikev2::Payload> payloads) {
  std::erase_if(payloads, [](const ikev2::Payload& p) { return std::holds_alternative<T>(p); });
  return payloads;
}

TEST(PayloadRulesIkev2, Row02_CreateChildSaWithoutTsrIsInvalidSyntax) {  // CVE-2023-23009's shape
  Established e;
  e.mark();
  e.expect_invalid_syntax(
      e.request_to_b(ikev2::ExchangeType::CreateChildSa, without<ikev2::TsResponderPayload>(new_child())),
      "CREATE_CHILD_SA request (new CHILD SA): 0 TSr payloads (at least 1)");
}

TEST(PayloadRulesIkev2, Row02_CreateChildSaWithoutNonceIsInvalidSyntax) {
  Established e;
  e.mark();
  e.expect_invalid_syntax(
      e.request_to_b(ikev2::ExchangeType::CreateChildSa, without<ikev2::NoncePayload>(new_child())),
      "CREATE_CHILD_SA request (new CHILD SA): 0 Ni payloads (at least 1)");
}

TEST(PayloadRulesIkev2, Row02_IkeSaRekeyWithoutKeIsInvalidSyntax) {
  Established e;
  e.mark();
  e.expect_invalid_syntax(
      e.request_to_b(ikev2::ExchangeType::CreateChildSa, {ike_offer(), ikev2::NoncePayload{Bytes(32, 0x44)}}),
      "CREATE_CHILD_SA request (IKE SA rekey): 0 KE payloads (at least 1)");
}

TEST(PayloadRulesIkev2, Row02_CreateChildSaWithTwoNoncesIsInvalidSyntax) {
  Established e;
  e.mark();
  auto twice = new_child();
  twice.insert(twice.begin() + 1, ikev2::NoncePayload{Bytes(32, 0x55)});
  e.expect_invalid_syntax(e.request_to_b(ikev2::ExchangeType::CreateChildSa, twice),
                          "CREATE_CHILD_SA request (new CHILD SA): 2 Ni payloads (at most 1)");
  // The answer is cached like any response: the same request again gets it again, still no state.
  const auto again = e.request_to_b(ikev2::ExchangeType::CreateChildSa, twice);
  EXPECT_EQ(again.size(), 1u);
  EXPECT_EQ(e.net.b.engine->counters().malformed, e.malformed_before + 1);
  EXPECT_EQ(e.net.b.established_children(), 1u);
}

TEST(PayloadRulesIkev2, Row02_InformationalWithAKeIsInvalidSyntax) {
  Established e;
  e.mark();
  e.expect_invalid_syntax(
      e.request_to_b(ikev2::ExchangeType::Informational, {ikev2::DeletePayload{ikev2::ProtocolId::Ike, 0, {}},
                                                          ikev2::KePayload{31, Bytes(32, 9)}}),
      "INFORMATIONAL request: 1 KE payload (not allowed)");  // and the Delete beside it is not acted on
}

// IKE_AUTH is SK-protected too: A's genuine IKE_AUTH with its IDi twice gets INVALID_SYNTAX, and B
// keeps no IKE SA from a failed IKE_AUTH (RFC 7296 §2.21.2) — nothing was installed.
TEST(PayloadRulesIkev2, Row02_IkeAuthWithTwoIdiIsInvalidSyntax) {
  BackToBack net(retaining(), retaining());
  EXPECT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", "192.0.2.1"), net.now));
  auto a = psk_connection("site", "192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  std::optional<SendDatagram> auth;  // A's IKE_AUTH request, held back
  net.drop = [&auth](const SendDatagram& d, bool from_a) {
    if (!from_a || d.payload.size() < 28 + kNonEspMarker) return false;
    const std::size_t at = d.local.port == ikev2::kNatTraversalPort ? kNonEspMarker : 0;
    if (d.payload[at + 18] != static_cast<std::uint8_t>(ikev2::ExchangeType::IkeAuth)) return false;
    auth = d;
    return true;
  };
  EXPECT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  ASSERT_TRUE(auth);
  const std::size_t at = auth->local.port == ikev2::kNatTraversalPort ? kNonEspMarker : 0;
  const Bytes genuine(auth->payload.begin() + static_cast<std::ptrdiff_t>(at), auth->payload.end());

  const KeyExport keys = net.a.engine->export_keys();
  ASSERT_EQ(keys.ike_sas.size(), 1u);
  const IkeSaKeyExport& k = keys.ike_sas[0];
  SkProtection as_a(k.algorithms, k.sk_ei.view(), k.sk_ai.view());
  auto parsed = ikev2::parse_message(genuine);
  ASSERT_TRUE(parsed);
  const auto* sk = std::get_if<ikev2::EncryptedPayload>(&parsed.value->payloads.back());
  ASSERT_NE(sk, nullptr);
  auto plain = as_a.unprotect(genuine, *sk);
  ASSERT_TRUE(plain);
  auto chain = ikev2::parse_payload_chain(sk->first_inner, *plain);
  ASSERT_TRUE(chain);
  std::vector<ikev2::Payload> payloads = *chain.value;
  const auto* idi = ikev2::find_payload<ikev2::IdInitiatorPayload>(payloads);
  ASSERT_NE(idi, nullptr);
  payloads.insert(payloads.begin(), ikev2::Payload(*idi));
  auto random = seeded_random(5);
  Bytes forged = auth->payload;
  forged.resize(at);
  const Bytes body = as_a.protect(parsed.value->header, ikev2::encode_payload_chain(payloads), *random);
  forged.insert(forged.end(), body.begin(), body.end());

  const auto malformed_before = net.b.engine->counters().malformed;
  net.b.engine->on_datagram(auth->remote, auth->local, forged, net.now);
  std::vector<Bytes> replies;
  for (auto& action : net.b.engine->take_actions()) {
    if (const auto* e = std::get_if<Event>(&action)) net.b.events.push_back(*e);
    EXPECT_FALSE(std::holds_alternative<InstallChildSa>(action));
    if (const auto* d = std::get_if<SendDatagram>(&action))
      replies.emplace_back(d->payload.begin() + static_cast<std::ptrdiff_t>(at), d->payload.end());
  }
  ASSERT_EQ(replies.size(), 1u);
  SkProtection from_b(k.algorithms, k.sk_er.view(), k.sk_ar.view());
  auto reply = ikev2::parse_message(replies[0]);
  ASSERT_TRUE(reply);
  const auto* rsk = std::get_if<ikev2::EncryptedPayload>(&reply.value->payloads.back());
  ASSERT_NE(rsk, nullptr);
  auto rplain = from_b.unprotect(replies[0], *rsk);
  ASSERT_TRUE(rplain);
  auto rchain = ikev2::parse_payload_chain(rsk->first_inner, *rplain);
  ASSERT_TRUE(rchain);
  ASSERT_EQ(rchain.value->size(), 1u);
  const auto* n = std::get_if<ikev2::NotifyPayload>(&rchain.value->front());
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->type, ikev2::NotifyType::InvalidSyntax);
  EXPECT_EQ(net.b.engine->counters().malformed, malformed_before + 1);
  const Event* e = net.b.find(EventType::MalformedMessage);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("IKE_AUTH request: 2 IDi payloads (at most 1)"), std::string::npos) << e->detail;
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
  EXPECT_EQ(net.b.established_children(), 0u);
}

// A response cannot be answered. Before IKE_AUTH completes, an IKE_AUTH response that breaks its row
// fails the IKE SA (nothing installed); the genuine response under the responder's keys is rewritten
// with its AUTH twice.
TEST(PayloadRulesIkev2, Row02_IkeAuthResponseWithTwoAuthFailsTheIkeSaWithNothingInstalled) {
  BackToBack net(retaining(), retaining());
  EXPECT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", "192.0.2.1"), net.now));
  auto a = psk_connection("site", "192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  std::optional<SendDatagram> answer;  // B's IKE_AUTH response, held back
  net.drop = [&answer](const SendDatagram& d, bool from_a) {
    const std::size_t at = d.local.port == ikev2::kNatTraversalPort ? kNonEspMarker : 0;
    if (from_a || d.payload.size() < at + 28) return false;
    if (d.payload[at + 18] != static_cast<std::uint8_t>(ikev2::ExchangeType::IkeAuth)) return false;
    answer = d;
    return true;
  };
  EXPECT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  ASSERT_TRUE(answer);
  const std::size_t at = answer->local.port == ikev2::kNatTraversalPort ? kNonEspMarker : 0;
  const Bytes genuine(answer->payload.begin() + static_cast<std::ptrdiff_t>(at), answer->payload.end());
  const KeyExport keys = net.a.engine->export_keys();
  ASSERT_EQ(keys.ike_sas.size(), 1u);
  const IkeSaKeyExport& k = keys.ike_sas[0];
  SkProtection as_b(k.algorithms, k.sk_er.view(), k.sk_ar.view());
  auto parsed = ikev2::parse_message(genuine);
  ASSERT_TRUE(parsed);
  const auto* sk = std::get_if<ikev2::EncryptedPayload>(&parsed.value->payloads.back());
  ASSERT_NE(sk, nullptr);
  auto plain = as_b.unprotect(genuine, *sk);
  ASSERT_TRUE(plain);
  auto chain = ikev2::parse_payload_chain(sk->first_inner, *plain);
  ASSERT_TRUE(chain);
  std::vector<ikev2::Payload> payloads = *chain.value;
  const auto* auth = ikev2::find_payload<ikev2::AuthPayload>(payloads);
  ASSERT_NE(auth, nullptr);
  payloads.push_back(ikev2::Payload(*auth));
  auto random = seeded_random(6);
  Bytes forged(answer->payload.begin(), answer->payload.begin() + static_cast<std::ptrdiff_t>(at));
  const Bytes body = as_b.protect(parsed.value->header, ikev2::encode_payload_chain(payloads), *random);
  forged.insert(forged.end(), body.begin(), body.end());

  const auto malformed_before = net.a.engine->counters().malformed;
  net.a.engine->on_datagram(answer->remote, answer->local, forged, net.now);
  bool named = false;
  for (auto& action : net.a.engine->take_actions()) {
    EXPECT_FALSE(std::holds_alternative<InstallChildSa>(action));
    EXPECT_FALSE(std::holds_alternative<SendDatagram>(action));  // a response is never answered
    if (const auto* e = std::get_if<Event>(&action))
      named |= e->type == EventType::MalformedMessage &&
               e->detail.find("IKE_AUTH response: 2 AUTH payloads (at most 1)") != std::string::npos;
  }
  EXPECT_TRUE(named);
  EXPECT_EQ(net.a.engine->counters().malformed, malformed_before + 1);
  EXPECT_EQ(net.a.ike_sa_count(), 0u);
  EXPECT_EQ(net.a.established_children(), 0u);
  EXPECT_EQ(net.a.data_plane().sad().size(), 0u);
}

}  // namespace
}  // namespace cygnet::ike::test
