// IKEv2 exchange types no task knows (RFC 7296 §3.1 leaves values for future exchanges). INVALID_SYNTAX
// "may only be returned for and in an encrypted packet if the Message ID and cryptographic checksum
// were valid" (§3.10.1), and every request in an IKE SA's window needs a response (§2.3), so: a
// request under an established IKE SA that passes the integrity check is answered INVALID_SYNTAX
// and nothing else changes; anything else (no IKE SA, IKE_AUTH not yet done, a response) is
// dropped unanswered. Both are counted as refusal `unknown_exchange`.
#include <gtest/gtest.h>

#include "unit/ike/forged_pair.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;
constexpr auto kUnknownExchange = static_cast<ikev2::ExchangeType>(99);
constexpr std::size_t kExchangeTypeOffset = 18;  // IKE header: SPIs (16), next payload, version

std::uint64_t unknown_exchange_refusals(const Engine& engine) {
  return engine.counters().refusals[RefusalReason::UnknownExchange];
}

TEST(UnknownExchange, AuthenticatedRequestIsAnsweredInvalidSyntaxAndChangesNothing) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  const auto net = *pair.a_child("net");
  const auto malformed_before = pair.net.a.engine->counters().malformed;
  const auto actions = pair.forged_request(kUnknownExchange, forge::chain({}));
  const auto response = pair.response(actions);
  ASSERT_EQ(response.size(), 1u);
  const auto* n = std::get_if<ikev2::NotifyPayload>(&response[0]);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->type, ikev2::NotifyType::InvalidSyntax);
  for (const auto& action : actions) {
    if (const auto* d = std::get_if<SendDatagram>(&action)) {
      EXPECT_EQ(d->payload[kExchangeTypeOffset], 99) << "the response names the request's exchange";
    }
  }
  EXPECT_EQ(unknown_exchange_refusals(*pair.net.a.engine), 1u);
  EXPECT_EQ(pair.net.a.engine->counters().malformed, malformed_before);
  const Event* logged = pair.net.a.find(EventType::MalformedMessage);
  ASSERT_NE(logged, nullptr);
  EXPECT_NE(logged->detail.find("unknown exchange type 99"), std::string::npos) << logged->detail;
  // Nothing else changed: the same SAs carry traffic, and the window moved on (the next request,
  // an INFORMATIONAL liveness check, is answered).
  EXPECT_EQ(count_of<RemoveChildSa>(actions) + count_of<InstallChildSa>(actions), 0u);
  EXPECT_EQ(pair.net.a.ike_sa_count(), 1u);
  EXPECT_EQ(pair.a_child("net")->inbound_spi, net.inbound_spi);
  EXPECT_TRUE(pair.traffic_both("198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(
      pair.response(pair.forged_request(ikev2::ExchangeType::Informational, forge::chain({}))).empty());
  // A late copy of the request (behind the window now) is dropped, not counted again.
  pair.to_a(pair.forger->message(forge::Sender::Responder, kUnknownExchange, 0, forge::chain({})));
  EXPECT_EQ(unknown_exchange_refusals(*pair.net.a.engine), 1u);
}

TEST(UnknownExchange, RequestFailingTheIntegrityCheckIsDroppedAsMalformed) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  Bytes forged = pair.forger->message(forge::Sender::Responder, kUnknownExchange, 0, forge::chain({}));
  forged.back() ^= 0x01;  // the ICV
  const auto malformed_before = pair.net.a.engine->counters().malformed;
  EXPECT_EQ(count_of<SendDatagram>(pair.to_a(forged)), 0u);
  EXPECT_EQ(pair.net.a.engine->counters().malformed, malformed_before + 1);
  EXPECT_EQ(unknown_exchange_refusals(*pair.net.a.engine), 0u);
  // Message ID 0 is still expected: the genuine request is answered.
  EXPECT_EQ(count_of<SendDatagram>(pair.to_a(
                pair.forger->message(forge::Sender::Responder, kUnknownExchange, 0, forge::chain({})))),
            1u);
}

TEST(UnknownExchange, ResponsesAndRequestsForNoIkeSaAreDroppedAndCounted) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  const auto unknown_spi_before = pair.net.a.engine->counters().unknown_spi;
  // A response (A has no request of that type outstanding, and never will).
  EXPECT_TRUE(pair.to_a(pair.forger->message(forge::Sender::Responder, kUnknownExchange, 0, forge::chain({}),
                                             /*response=*/true))
                  .empty());
  // A request under SPIs no IKE SA has.
  Bytes stray = pair.forger->message(forge::Sender::Responder, kUnknownExchange, 0, forge::chain({}));
  stray[0] ^= 0xff;
  stray[8] ^= 0xff;
  EXPECT_TRUE(pair.to_a(stray).empty());
  EXPECT_EQ(unknown_exchange_refusals(*pair.net.a.engine), 2u);
  EXPECT_EQ(pair.net.a.engine->counters().unknown_spi, unknown_spi_before);
  EXPECT_EQ(pair.net.a.ike_sa_count(), 1u);
  EXPECT_TRUE(pair.traffic_both("198.51.100.7", "203.0.113.9"));
}

TEST(UnknownExchange, BeforeIkeAuthCompletesTheRequestIsDroppedUnanswered) {
  BackToBack net;
  std::optional<SendDatagram> held_auth;  // A's IKE_AUTH request, held back
  net.drop = [&](const SendDatagram& d, bool from_a) {
    if (!from_a || held_auth || d.payload.size() <= 4 + kExchangeTypeOffset) return false;
    const std::size_t marker = d.local.port == ikev2::kNatTraversalPort ? 4 : 0;
    if (d.payload[marker + kExchangeTypeOffset] != static_cast<std::uint8_t>(ikev2::ExchangeType::IkeAuth))
      return false;
    held_auth = d;
    return true;
  };
  ASSERT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", "192.0.2.1"), net.now));
  ConnectionSettings a = psk_connection("site", "192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
  net.run();
  ASSERT_TRUE(held_auth.has_value());
  ASSERT_EQ(net.b.ike_sa_count(), 1u);  // half-open on B

  // The same protected message, its exchange type rewritten (SPIs and Message ID those of IKE_AUTH).
  Bytes rewritten = held_auth->payload;
  const std::size_t marker = held_auth->local.port == ikev2::kNatTraversalPort ? 4 : 0;
  rewritten[marker + kExchangeTypeOffset] = 99;
  const auto malformed_before = net.b.engine->counters().malformed;
  net.b.engine->on_datagram(held_auth->remote, held_auth->local, rewritten, net.now);
  EXPECT_TRUE(net.b.engine->take_actions().empty());
  EXPECT_EQ(unknown_exchange_refusals(*net.b.engine), 1u);
  EXPECT_EQ(net.b.engine->counters().malformed, malformed_before);

  // The genuine IKE_AUTH still completes: nothing on B changed.
  net.b.engine->on_datagram(held_auth->remote, held_auth->local, held_auth->payload, net.now);
  net.run();
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 1u);
}

}  // namespace
}  // namespace cygnet::ike::test
