// EAP-MSCHAPv2 authenticator against peer (src/ike/eap_mschapv2.hpp): the conversation IKEv2
// carries in IKE_AUTH (RFC 7296 §2.16), with wrong passwords, replays, reordering, oversized and
// forged messages.
#include "ike/eap_mschapv2.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string_view>

#include "crypto/mschapv2.hpp"

namespace cygnet::ike {
namespace {

namespace eap = wire::eap;

crypto::SecureBytes hash_of(std::string_view password) {
  return *crypto::mschapv2::nt_password_hash(
      ByteView(reinterpret_cast<const std::uint8_t*>(password.data()), password.size()));
}

EapUsers users() {
  EapUsers u;
  u.emplace("alice", hash_of("correct horse"));
  u.emplace("bob", hash_of("battery staple"));
  return u;
}

struct Outcome {
  EapStep gateway;
  EapStep client;
  int requests = 0;
};

// Runs the conversation; `tamper` may change each Request before the peer sees it.
Outcome converse(EapMsChapV2Authenticator& gateway, EapMsChapV2Peer& client,
                 const std::function<void(Bytes&)>& tamper = {}) {
  Outcome out;
  Bytes request = gateway.start();
  for (int i = 0; i < 10; ++i) {
    ++out.requests;
    if (tamper) tamper(request);
    out.client = client.on_request(request);
    if (out.client.status != EapStatus::Continue) return out;
    out.gateway = gateway.on_response(out.client.reply);
    if (out.gateway.status == EapStatus::Success || out.gateway.status == EapStatus::Failure) {
      out.client = client.on_request(out.gateway.reply);
      return out;
    }
    if (out.gateway.status != EapStatus::Continue) return out;
    request = out.gateway.reply;
  }
  ADD_FAILURE() << "conversation did not end";
  return out;
}

TEST(EapMsChapV2Conversation, RightPasswordAuthenticatesBothSidesAndAgreesOnTheMsk) {
  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1));
  EapMsChapV2Peer client("alice", hash_of("correct horse"), seeded_random(2));
  const Outcome o = converse(gateway, client);
  ASSERT_EQ(o.gateway.status, EapStatus::Success) << o.gateway.reason;
  ASSERT_EQ(o.client.status, EapStatus::Success) << o.client.reason;
  EXPECT_EQ(o.requests, 3);  // Identity, Challenge, Success; then EAP-Success
  EXPECT_EQ(eap::parse_packet(o.gateway.reply).value->code, eap::Code::Success);
  EXPECT_EQ(gateway.eap_identity(), "alice");
  ASSERT_TRUE(gateway.msk() && client.msk());
  EXPECT_EQ(gateway.msk()->size(), crypto::mschapv2::kMskLength);
  EXPECT_EQ(to_hex(gateway.msk()->view()), to_hex(client.msk()->view()));
}

TEST(EapMsChapV2Conversation, KnownIdentityStartsWithTheChallenge) {
  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1), std::string("bob"));
  const Bytes first = gateway.start();
  EXPECT_EQ(eap::parse_packet(first).value->type, static_cast<std::uint8_t>(eap::Type::MsChapV2));
  EapMsChapV2Peer client("bob", hash_of("battery staple"), seeded_random(2));
  EapStep c = client.on_request(first);
  EapStep g = gateway.on_response(c.reply);
  c = client.on_request(g.reply);
  g = gateway.on_response(c.reply);
  EXPECT_EQ(g.status, EapStatus::Success);
  EXPECT_EQ(client.on_request(g.reply).status, EapStatus::Success);
}

TEST(EapMsChapV2Conversation, WrongPasswordEndsInEapFailureNamingTheIdentityNotThePassword) {
  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1));
  EapMsChapV2Peer client("alice", hash_of("wrong horse"), seeded_random(2));
  const Outcome o = converse(gateway, client);
  ASSERT_EQ(o.gateway.status, EapStatus::Failure);
  EXPECT_EQ(o.gateway.reason, "wrong password for EAP identity 'alice'");
  EXPECT_EQ(eap::parse_packet(o.gateway.reply).value->code, eap::Code::Failure);
  EXPECT_EQ(o.client.status, EapStatus::Failure);
  EXPECT_NE(o.client.reason.find("refused the password (E=691 R=0"), std::string::npos) << o.client.reason;
  EXPECT_EQ(o.client.reason.find("horse"), std::string::npos);
  EXPECT_FALSE(gateway.msk());
  EXPECT_FALSE(client.msk());
}

TEST(EapMsChapV2Conversation, UnknownUserLooksLikeAWrongPassword) {
  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1));
  EapMsChapV2Peer client("mallory", hash_of("correct horse"), seeded_random(2));
  const Outcome o = converse(gateway, client);
  EXPECT_EQ(o.gateway.status, EapStatus::Failure);
  EXPECT_EQ(o.gateway.reason, "unknown EAP identity 'mallory'");
  EXPECT_EQ(o.client.status, EapStatus::Failure);
  EXPECT_EQ(o.requests, 3);  // Identity, Challenge, Failure: the same shape as a wrong password
}

TEST(EapMsChapV2Conversation, ReplayedAndReorderedResponsesAreDiscardedWithoutLosingState) {
  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1));
  EapMsChapV2Peer client("alice", hash_of("correct horse"), seeded_random(2));
  const EapStep identity = client.on_request(gateway.start());
  const EapStep challenge = gateway.on_response(identity.reply);
  ASSERT_EQ(challenge.status, EapStatus::Continue);

  const EapStep replay = gateway.on_response(identity.reply);  // the identity again
  EXPECT_EQ(replay.status, EapStatus::Discarded);
  EXPECT_NE(replay.reason.find("replayed or out of order"), std::string::npos);

  // The success acknowledgement before the response, under the right identifier.
  const Bytes early_ack = eap::serialize_packet(
      eap::Packet{eap::Code::Response, eap::parse_packet(challenge.reply).value->identifier, 26, {3}});
  const EapStep early = gateway.on_response(early_ack);
  EXPECT_EQ(early.status, EapStatus::Discarded);
  EXPECT_EQ(early.reason, "EAP-MSCHAPv2 message out of order");

  // A request the gateway did not send is not answered by the client as if it were new.
  EXPECT_EQ(client.on_request(challenge.reply).status, EapStatus::Continue);
  const EapStep response = client.on_request(challenge.reply);  // retransmission: same answer
  const EapStep success = gateway.on_response(response.reply);
  ASSERT_EQ(success.status, EapStatus::Continue) << success.reason;
  const EapStep ack = client.on_request(success.reply);
  EXPECT_EQ(gateway.on_response(ack.reply).status, EapStatus::Success);
}

TEST(EapMsChapV2Conversation, OversizedAndMalformedPacketsAreDiscarded) {
  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1));
  gateway.start();
  Bytes big(eap::kMaxEapPacketLength + 1, 0);
  big[0] = 2;
  big[2] = static_cast<std::uint8_t>(big.size() >> 8);
  big[3] = static_cast<std::uint8_t>(big.size());
  const EapStep oversized = gateway.on_response(big);
  EXPECT_EQ(oversized.status, EapStatus::Discarded);
  EXPECT_NE(oversized.reason.find("exceeds"), std::string::npos);
  EXPECT_EQ(gateway.on_response(from_hex("0201")).status, EapStatus::Discarded);

  EapMsChapV2Peer client("alice", hash_of("correct horse"), seeded_random(2));
  EXPECT_EQ(client.on_request(big).status, EapStatus::Discarded);
}

TEST(EapMsChapV2Conversation, ConversationsAreBoundedInRounds) {
  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1));
  gateway.start();
  EapStep step;
  for (unsigned i = 0; i <= kMaxEapRounds; ++i) step = gateway.on_response(from_hex("02ff000501"));
  EXPECT_EQ(step.status, EapStatus::Failure);
  EXPECT_NE(step.reason.find("more than 8 EAP messages"), std::string::npos);
  EXPECT_TRUE(gateway.finished());
}

TEST(EapMsChapV2Conversation, ClientRefusesAGatewayThatDoesNotKnowThePassword) {
  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1));
  EapMsChapV2Peer client("alice", hash_of("correct horse"), seeded_random(2));
  // Flip one hex digit of "S=..." in the MSCHAPv2 Success request (EAP header 5, MSCHAPv2 header 4).
  const Outcome o = converse(gateway, client, [](Bytes& request) {
    if (request.size() > 12 && request[4] == 26 && request[5] == 3)
      request[11] = request[11] == 'A' ? 'B' : 'A';
  });
  EXPECT_EQ(o.client.status, EapStatus::Failure);
  EXPECT_NE(o.client.reason.find("does not know the password"), std::string::npos);
  EXPECT_FALSE(client.msk());
}

TEST(EapMsChapV2Conversation, ClientRefusesAnEarlyEapSuccess) {
  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1));
  EapMsChapV2Peer client("alice", hash_of("correct horse"), seeded_random(2));
  client.on_request(gateway.start());
  const EapStep early = client.on_request(from_hex("03000004"));
  EXPECT_EQ(early.status, EapStatus::Failure);
  EXPECT_NE(early.reason.find("before the gateway's MSCHAPv2 Success"), std::string::npos);
  EXPECT_FALSE(client.msk());
}

TEST(EapMsChapV2Conversation, ClientNaksOtherMethodsAndGatewayGivesUpOnNak) {
  EapMsChapV2Peer client("alice", hash_of("correct horse"), seeded_random(2));
  const EapStep nak = client.on_request(from_hex("0107000504"));  // EAP-MD5 request
  ASSERT_EQ(nak.status, EapStatus::Continue);
  EXPECT_EQ(to_hex(nak.reply),
            "020700060"
            "31a");  // legacy Nak proposing type 26

  const EapUsers u = users();
  EapMsChapV2Authenticator gateway(u, seeded_random(1));
  const Bytes first = gateway.start();
  Bytes declined = from_hex("020000060304");
  declined[1] = first[1];
  const EapStep gave_up = gateway.on_response(declined);
  EXPECT_EQ(gave_up.status, EapStatus::Failure);
  EXPECT_EQ(gave_up.reason, "the client declined EAP-MSCHAPv2 (Nak)");
}

}  // namespace
}  // namespace cygnet::ike
