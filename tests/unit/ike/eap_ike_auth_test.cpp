// IKE_AUTH with EAP-MSCHAPv2 (RFC 7296 §2.16) and split authentication, both engines real: A is
// the client (local_auth eap-mschapv2 as "alice", gateway checked by certificate), B the gateway
// (certificate, [eap_users]). Then hostile rounds forged under the live SA's keys (support/ike_forge):
// EAP Responses out of order, oversized, replayed, AUTH before EAP finished, too many rounds, and a
// fake gateway's early EAP-Success — each refused cleanly while a second IKE SA (PSK, "site") between
// the same two engines carries traffic throughout.
#include <gtest/gtest.h>

#include <set>

#include "crypto/mschapv2.hpp"
#include "ike/failure_report.hpp"
#include "support/ike_forge.hpp"
#include "unit/ike/engine_harness.hpp"
#include "unit/ike/test_certificates.hpp"
#include "wire/eap_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;
namespace eap = wire::eap;

constexpr std::string_view kAlicePassword = "alice's long passphrase";

crypto::SecureBytes nt_hash(std::string_view password) {
  return *crypto::mschapv2::nt_password_hash(
      ByteView(reinterpret_cast<const std::uint8_t*>(password.data()), password.size()));
}

EngineOptions retaining_keys() {
  EngineOptions o;
  o.retain_keys_for_export = true;
  return o;
}

struct Pki {
  IssuedCertificate ca = issue(certificate_spec("Cygnet Test CA", true), nullptr);
  IssuedCertificate gateway = issue(certificate_spec("gw.example", false), &ca);
};

// B: proves itself with the gw.example certificate; clients (any address, any ID) with EAP.
ConnectionSettings gateway_connection(const Pki& pki) {
  ConnectionSettings c =
      certificate_connection(2, "192.0.2.2", "", "gw.example", "%any", pki.gateway, {}, {pki.ca.certificate});
  c.name = "rw";
  c.remote_auth = AuthMethod::EapMsChapV2;
  c.children = {child("net", "203.0.113.0/25", "198.51.100.0/25")};
  return c;
}

// A: EAP-MSCHAPv2 as `user`, the gateway by its certificate under the CA.
ConnectionSettings client_connection(const Pki& pki, std::string user = "alice",
                                     std::string_view password = kAlicePassword) {
  ConnectionSettings c = psk_connection("home", "192.0.2.1", "192.0.2.2");
  c.psk = {};
  c.auth = AuthKind::PublicKey;
  c.local_auth = AuthMethod::EapMsChapV2;
  c.remote_auth = AuthMethod::PublicKey;
  c.ca_certificates = {pki.ca.certificate};
  c.local_id = *Identity::parse("laptop.example");
  c.remote_id = *Identity::parse("gw.example");
  c.eap_identity = std::move(user);
  c.eap_password_hash = nt_hash(password);
  c.children = {child("net", "198.51.100.0/25", "203.0.113.0/25")};
  return c;
}

// A PSK site-to-site pair between the same engines: the bystander that must stay untouched.
ConnectionSettings site_connection(bool a) {
  ConnectionSettings c =
      a ? psk_connection("site", "192.0.2.1", "192.0.2.2") : psk_connection("site", "192.0.2.2", "192.0.2.1");
  c.children = {a ? child("lan", "198.51.100.128/25", "203.0.113.128/25")
                  : child("lan", "203.0.113.128/25", "198.51.100.128/25")};
  c.dpd_delay = Seconds{0};
  return c;
}

std::optional<IkeSaStatus> sa_of(const Peer& p, std::string_view connection, TimePoint now) {
  for (const auto& c : p.engine->status(now))
    if (c.name == connection && !c.ike_sas.empty()) return c.ike_sas.front();
  return std::nullopt;
}

std::string events_of(const Peer& p) {
  std::string out;
  for (const auto& e : p.events) out += p.name + " " + event_type_name(e.type) + ": " + e.detail + "\n";
  return out;
}

// The IKE header fields of a datagram sent on port 500 (no non-ESP marker).
ikev2::ExchangeType exchange_of(const SendDatagram& d) {
  return static_cast<ikev2::ExchangeType>(d.payload.at(18));
}
std::uint32_t message_id_of(const SendDatagram& d) {
  return static_cast<std::uint32_t>(d.payload.at(20)) << 24 |
         static_cast<std::uint32_t>(d.payload.at(21)) << 16 |
         static_cast<std::uint32_t>(d.payload.at(22)) << 8 | d.payload.at(23);
}

struct EapPair : ::testing::Test {
  Pki pki;
  BackToBack net{retaining_keys(), retaining_keys()};

  EapPair() {
    net.b.engine->set_eap_users({{"alice", nt_hash(kAlicePassword)}, {"bob", nt_hash("bob's password")}});
    EXPECT_TRUE(net.b.engine->add_connection(site_connection(false), net.now));
    EXPECT_TRUE(net.b.engine->add_connection(gateway_connection(pki), net.now));
    ConnectionSettings site = site_connection(true);
    site.start_action = StartAction::Start;
    EXPECT_TRUE(net.a.engine->add_connection(std::move(site), net.now));
    net.run();
    EXPECT_TRUE(site_up());
  }

  bool site_up() {
    return sa_of(net.a, "site", net.now) && sa_of(net.b, "site", net.now) &&
           net.traffic(net.a, "198.51.100.130", "203.0.113.130") &&
           net.traffic(net.b, "203.0.113.130", "198.51.100.130");
  }

  void connect(ConnectionSettings client) {
    ASSERT_TRUE(net.a.engine->add_connection(std::move(client), net.now));
    ASSERT_TRUE(net.a.engine->up("home", net.now));
    net.run();
  }
};

TEST_F(EapPair, ClientAuthenticatesWithEapAndTheGatewayWithItsCertificate) {
  connect(client_connection(pki));
  const auto client = sa_of(net.a, "home", net.now);
  const auto gateway = sa_of(net.b, "rw", net.now);
  ASSERT_TRUE(client && gateway) << events_of(net.a) << events_of(net.b);
  EXPECT_EQ(client->state, IkeSaState::Established);
  EXPECT_EQ(gateway->state, IkeSaState::Established);
  EXPECT_EQ(client->eap_identity, "alice");
  EXPECT_EQ(gateway->eap_identity, "alice");
  EXPECT_EQ(gateway->remote_id, "laptop.example");
  EXPECT_EQ(client->remote_id, "gw.example");
  ASSERT_EQ(client->children.size(), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.5", "203.0.113.5"));
  EXPECT_TRUE(net.traffic(net.b, "203.0.113.5", "198.51.100.5"));
  EXPECT_EQ(net.a.engine->counters().eap_conversations, 1u);
  EXPECT_EQ(net.b.engine->counters().eap_conversations, 1u);
  EXPECT_EQ(net.b.engine->counters().authentication_failures, 0u);
  // IKE_SA_INIT, then IKE_AUTH: start, Identity, MSCHAPv2 Response, Success ack, AUTH = 5 requests.
  std::size_t auth_requests = 0;
  for (const auto& d : net.wire_log)
    if (d.local.address == addr("192.0.2.1") && exchange_of(d) == ikev2::ExchangeType::IkeAuth &&
        !(d.payload.at(19) & ikev2::kFlagResponse))
      ++auth_requests;
  EXPECT_EQ(auth_requests, 6u);  // the site connection's IKE_AUTH is the sixth
  const Event* up = net.b.find(EventType::IkeSaEstablished);
  ASSERT_NE(up, nullptr);
  EXPECT_NE(events_of(net.b).find("EAP identity alice"), std::string::npos) << events_of(net.b);
}

TEST_F(EapPair, WrongPasswordIsRefusedOnBothSidesWithTheEapIdentityButNoSecret) {
  connect(client_connection(pki, "alice", "not alice's password"));
  EXPECT_FALSE(sa_of(net.a, "home", net.now));
  EXPECT_FALSE(sa_of(net.b, "rw", net.now));
  const Event* refused = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(refused, nullptr) << events_of(net.b);
  EXPECT_NE(refused->detail.find("wrong password for EAP identity 'alice'"), std::string::npos)
      << refused->detail;
  EXPECT_EQ(refused->detail.find("passphrase"), std::string::npos);
  EXPECT_EQ(net.b.engine->counters().authentication_failures, 1u);
  const Event* told = net.a.find(EventType::AuthenticationFailed);
  ASSERT_NE(told, nullptr) << events_of(net.a);
  EXPECT_NE(told->detail.find("refused the password"), std::string::npos) << told->detail;
  EXPECT_NE(told->detail.find("E=691"), std::string::npos) << told->detail;
  // `cygnetctl why` on both sides.
  const auto why_b = net.b.engine->last_failure("rw");
  ASSERT_TRUE(why_b);
  EXPECT_EQ(why_b->kind, FailureClass::Authentication);
  EXPECT_NE(why_b->summary.find("wrong password for EAP identity 'alice'"), std::string::npos);
  const auto why_a = net.a.engine->last_failure("home");
  ASSERT_TRUE(why_a);
  EXPECT_NE(why_a->summary.find("EAP-MSCHAPv2"), std::string::npos) << why_a->summary;
  EXPECT_TRUE(site_up());
}

TEST_F(EapPair, UnknownUserGetsTheSameAnswerAsAWrongPassword) {
  connect(client_connection(pki, "mallory", kAlicePassword));
  EXPECT_FALSE(sa_of(net.b, "rw", net.now));
  const Event* refused = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->detail.find("unknown EAP identity 'mallory'"), std::string::npos) << refused->detail;
  const Event* told = net.a.find(EventType::AuthenticationFailed);
  ASSERT_NE(told, nullptr);
  EXPECT_NE(told->detail.find("E=691"), std::string::npos) << told->detail;
}

TEST_F(EapPair, LostRoundsAreRetransmittedAndAnsweredFromTheCache) {
  // Every IKE_AUTH datagram of the EAP connection is lost the first time it is sent, both ways.
  std::set<Bytes> seen;
  net.drop = [&](const SendDatagram& d, bool) {
    return exchange_of(d) == ikev2::ExchangeType::IkeAuth && seen.insert(d.payload).second;
  };
  ASSERT_TRUE(net.a.engine->add_connection(client_connection(pki), net.now));
  ASSERT_TRUE(net.a.engine->up("home", net.now));
  net.run();
  net.advance(Seconds{40});
  const auto client = sa_of(net.a, "home", net.now);
  ASSERT_TRUE(client) << events_of(net.a) << events_of(net.b);
  EXPECT_EQ(client->state, IkeSaState::Established);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.5", "203.0.113.5"));
  EXPECT_GE(net.a.engine->counters().retransmissions, 5u);
  EXPECT_GE(net.b.engine->counters().duplicate_requests, 5u);
}

TEST(SplitAuthentication, GatewayCertificateAndClientPskEitherWayRound) {
  Pki pki;
  for (const bool gateway_signs : {true, false}) {
    SCOPED_TRACE(gateway_signs ? "gateway pubkey, client psk" : "gateway psk, client pubkey");
    BackToBack net;
    IssuedCertificate client_cert = issue(certificate_spec("client.example", false), &pki.ca);
    // The side that signs: certificate connection; the other: PSK, checking the certificate.
    auto signer = [&](bool b) {
      ConnectionSettings c =
          b ? certificate_connection(2, "192.0.2.2", "192.0.2.1", "gw.example", "client.example", pki.gateway,
                                     {}, {pki.ca.certificate})
            : certificate_connection(2, "192.0.2.1", "192.0.2.2", "client.example", "gw.example", client_cert,
                                     {}, {pki.ca.certificate});
      c.psk = psk_connection("x", "192.0.2.1", "192.0.2.2").psk;
      c.local_auth = AuthMethod::PublicKey;
      c.remote_auth = AuthMethod::Psk;
      return c;
    };
    auto psk_side = [&](bool b) {
      ConnectionSettings c = b ? psk_connection("site", "192.0.2.2", "192.0.2.1")
                               : psk_connection("site", "192.0.2.1", "192.0.2.2");
      c.local_id = *Identity::parse(b ? "gw.example" : "client.example");
      c.remote_id = *Identity::parse(b ? "client.example" : "gw.example");
      c.ca_certificates = {pki.ca.certificate};
      c.local_auth = AuthMethod::Psk;
      c.remote_auth = AuthMethod::PublicKey;
      return c;
    };
    ASSERT_TRUE(net.b.engine->add_connection(gateway_signs ? signer(true) : psk_side(true), net.now));
    ConnectionSettings a = gateway_signs ? psk_side(false) : signer(false);
    a.start_action = StartAction::Start;
    ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
    net.run();
    EXPECT_EQ(net.a.established_children(), 1u) << events_of(net.a) << events_of(net.b);
    EXPECT_EQ(net.b.established_children(), 1u);
    EXPECT_TRUE(net.traffic(net.a, "198.51.100.5", "203.0.113.5"));
  }
}

TEST(SplitAuthentication, AMismatchedSideIsRefusedWithTheMethodsNamed) {
  // The client sends AUTH (PSK), the only connection wants EAP: refused, and the reason says why.
  Pki pki;
  BackToBack net;
  net.b.engine->set_eap_users({{"alice", nt_hash(kAlicePassword)}});
  ASSERT_TRUE(net.b.engine->add_connection(gateway_connection(pki), net.now));
  ConnectionSettings a = psk_connection("home", "192.0.2.1", "192.0.2.2");
  a.remote_id = *Identity::parse("gw.example");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
  net.run();
  const Event* refused = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(refused, nullptr) << events_of(net.b);
  EXPECT_NE(refused->detail.find("authenticates clients with EAP"), std::string::npos) << refused->detail;
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
}

// ---- forged rounds ----

// The EAP conversation paused after the gateway's first answer (IDr, CERT, AUTH, EAP Identity
// Request): A's later IKE_AUTH requests are lost, and the test speaks for A with A's keys.
struct PausedEap : EapPair {
  std::optional<forge::Ikev2Forger> forger;
  std::uint32_t next_id = 2;
  Bytes identity_request;
  std::uint8_t identifier = 0;

  PausedEap() {
    net.drop = [](const SendDatagram& d, bool from_a) {
      return from_a && exchange_of(d) == ikev2::ExchangeType::IkeAuth && message_id_of(d) >= 2;
    };
    connect(client_connection(pki));
    for (const auto& sa : net.b.engine->export_keys().ike_sas)
      if (sa.connection == "rw") forger.emplace(sa);
    EXPECT_TRUE(forger);
    // The gateway's first IKE_AUTH response, from the wire.
    for (const auto& d : net.wire_log) {
      if (!forger || d.local.address != addr("192.0.2.2") || exchange_of(d) != ikev2::ExchangeType::IkeAuth)
        continue;
      if (auto payloads = forger->open(d.payload))
        if (const auto* p = ikev2::find_payload<ikev2::EapPayload>(*payloads)) identity_request = p->message;
    }
    const auto parsed = eap::parse_packet(identity_request);
    EXPECT_TRUE(parsed);
    if (parsed) {
      EXPECT_EQ(parsed.value->code, eap::Code::Request);
      EXPECT_EQ(parsed.value->type, static_cast<std::uint8_t>(eap::Type::Identity));
      identifier = parsed.value->identifier;
    }
  }

  Bytes forged(const std::vector<ikev2::Payload>& payloads, std::uint32_t message_id) {
    return forger->message(forge::Sender::Initiator, ikev2::ExchangeType::IkeAuth, message_id,
                           forge::chain(payloads));
  }
  // Delivers `datagram` to B as from A; B's response, decrypted (empty when none).
  std::vector<ikev2::Payload> to_b(ByteView datagram, Bytes* raw = nullptr) {
    net.b.engine->on_datagram({addr("192.0.2.2"), 500}, {addr("192.0.2.1"), 500}, datagram, net.now);
    std::vector<ikev2::Payload> out;
    for (const auto& action : net.b.engine->take_actions()) {
      net.b.log.push_back(action);
      if (const auto* e = std::get_if<Event>(&action)) net.b.events.push_back(*e);
      if (auto error = net.b.binding().apply(action)) ADD_FAILURE() << *error;
      if (const auto* d = std::get_if<SendDatagram>(&action)) {
        if (raw) *raw = d->payload;
        if (auto opened = forger->open(d->payload)) out = std::move(*opened);
      }
    }
    return out;
  }
  std::vector<ikev2::Payload> eap_response(Bytes packet) {
    return to_b(forged({ikev2::EapPayload{std::move(packet)}}, next_id++));
  }
  static Bytes eap_of(const std::vector<ikev2::Payload>& payloads) {
    const auto* p = ikev2::find_payload<ikev2::EapPayload>(payloads);
    return p ? p->message : Bytes{};
  }
  Bytes identity_response(std::uint8_t id, std::string_view name = "alice") {
    return eap::serialize_packet(eap::Packet{eap::Code::Response, id,
                                             static_cast<std::uint8_t>(eap::Type::Identity),
                                             Bytes(name.begin(), name.end())});
  }
  bool gateway_sa() { return sa_of(net.b, "rw", net.now).has_value(); }
};

TEST_F(PausedEap, OutOfOrderOversizedAndReplayedEapResponsesAreDiscardedAndTheRequestRepeated) {
  ASSERT_FALSE(identity_request.empty());
  // A Response to a Request never sent (wrong identifier).
  EXPECT_EQ(eap_of(eap_response(identity_response(static_cast<std::uint8_t>(identifier + 1)))),
            identity_request);
  EXPECT_EQ(net.b.engine->counters().eap_discarded, 1u);
  // Oversized: a length field beyond kMaxEapPacketLength.
  Bytes huge(eap::kMaxEapPacketLength + 100, 0x41);
  huge[0] = 2;
  huge[1] = identifier;
  huge[2] = static_cast<std::uint8_t>(huge.size() >> 8);
  huge[3] = static_cast<std::uint8_t>(huge.size());
  EXPECT_EQ(eap_of(eap_response(huge)), identity_request);
  // A Request where a Response belongs.
  EXPECT_EQ(eap_of(eap_response(eap::serialize_packet(eap::Packet{
                eap::Code::Request, identifier, static_cast<std::uint8_t>(eap::Type::Identity), {}}))),
            identity_request);
  EXPECT_EQ(net.b.engine->counters().eap_discarded, 3u);
  EXPECT_TRUE(gateway_sa());

  // The real answer moves on to the MSCHAPv2 Challenge.
  const Bytes answer = forged({ikev2::EapPayload{identity_response(identifier)}}, next_id++);
  Bytes first_raw;
  const Bytes challenge = eap_of(to_b(answer, &first_raw));
  const auto parsed = eap::parse_packet(challenge);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value->type, static_cast<std::uint8_t>(eap::Type::MsChapV2));
  // The same IKE message again: the cached response, byte for byte, nothing processed twice.
  const auto duplicates = net.b.engine->counters().duplicate_requests;
  Bytes again_raw;
  to_b(answer, &again_raw);
  EXPECT_EQ(again_raw, first_raw);
  EXPECT_EQ(net.b.engine->counters().duplicate_requests, duplicates + 1);
  // The old EAP Response replayed in a new IKE message: discarded, the Challenge repeated.
  EXPECT_EQ(eap_of(eap_response(identity_response(identifier))), challenge);
  EXPECT_EQ(net.b.engine->counters().eap_discarded, 4u);
  EXPECT_TRUE(gateway_sa());
  EXPECT_EQ(net.b.engine->counters().authentication_failures, 0u);
  EXPECT_TRUE(site_up());
}

TEST_F(PausedEap, AuthBeforeEapSucceededEndsOnlyThisSa) {
  const auto out =
      to_b(forged({ikev2::AuthPayload{ikev2::AuthMethod::SharedKeyMic, Bytes(32, 7)}}, next_id++));
  EXPECT_TRUE(ikev2::find_notify(out, ikev2::NotifyType::AuthenticationFailed));
  EXPECT_FALSE(gateway_sa());
  const Event* refused = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->detail.find("out of order"), std::string::npos) << refused->detail;
  EXPECT_TRUE(site_up());
}

TEST_F(PausedEap, TheConversationIsBoundedInRounds) {
  std::vector<ikev2::Payload> out;
  for (unsigned i = 0; i <= kMaxEapRounds && gateway_sa(); ++i)
    out = eap_response(identity_response(static_cast<std::uint8_t>(identifier + 1)));
  EXPECT_FALSE(gateway_sa());
  EXPECT_TRUE(ikev2::find_notify(out, ikev2::NotifyType::AuthenticationFailed));
  const auto failure = eap::parse_packet(eap_of(out));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure.value->code, eap::Code::Failure);
  EXPECT_NE(net.b.find(EventType::AuthenticationFailed)->detail.find("without a result"), std::string::npos);
  EXPECT_TRUE(site_up());
}

// The client's side: a fake gateway that answers the Identity with EAP-Success, skipping MSCHAPv2's
// proof that it knows the password.
TEST_F(EapPair, ClientRefusesAnEarlyEapSuccess) {
  net.drop = [](const SendDatagram& d, bool from_a) {
    return !from_a && exchange_of(d) == ikev2::ExchangeType::IkeAuth && message_id_of(d) >= 2;
  };
  connect(client_connection(pki));
  std::optional<forge::Ikev2Forger> forger;
  for (const auto& sa : net.a.engine->export_keys().ike_sas)
    if (sa.connection == "home") forger.emplace(sa);
  ASSERT_TRUE(forger);
  // A's outstanding request is message 2 (its Identity Response); answer it as B.
  Bytes identity_response;
  for (const auto& d : net.wire_log)
    if (d.local.address == addr("192.0.2.1") && exchange_of(d) == ikev2::ExchangeType::IkeAuth &&
        message_id_of(d) == 2)
      if (auto payloads = forger->open(d.payload))
        if (const auto* p = ikev2::find_payload<ikev2::EapPayload>(*payloads)) identity_response = p->message;
  ASSERT_GE(identity_response.size(), 2u);
  const Bytes success = eap::serialize_packet(eap::Packet{eap::Code::Success, identity_response[1], 0, {}});
  net.a.engine->on_datagram({addr("192.0.2.1"), 500}, {addr("192.0.2.2"), 500},
                            forger->message(forge::Sender::Responder, ikev2::ExchangeType::IkeAuth, 2,
                                            forge::chain({ikev2::EapPayload{success}}), true),
                            net.now);
  for (const auto& action : net.a.engine->take_actions())
    if (const auto* e = std::get_if<Event>(&action)) net.a.events.push_back(*e);
  EXPECT_FALSE(sa_of(net.a, "home", net.now));
  const Event* refused = net.a.find(EventType::AuthenticationFailed);
  ASSERT_NE(refused, nullptr) << events_of(net.a);
  EXPECT_NE(refused->detail.find("EAP-Success before the gateway's MSCHAPv2 Success"), std::string::npos)
      << refused->detail;
  EXPECT_TRUE(sa_of(net.a, "site", net.now));
}

}  // namespace
}  // namespace cygnet::ike::test
