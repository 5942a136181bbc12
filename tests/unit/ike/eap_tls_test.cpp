// EAP-TLS authenticator against peer (src/ike/eap_tls.hpp; RFC 5216, RFC 9190): the conversation
// IKEv2 carries in IKE_AUTH, over OpenSSL on both sides, in TLS 1.2 and 1.3, with fragmentation,
// replays, early EAP-Success, a client without a certificate and tampered records.
#include "ike/eap_tls.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "unit/ike/test_certificates.hpp"

namespace cygnet::ike {
namespace {

namespace eap = wire::eap;

struct Pki {
  test::IssuedCertificate ca = test::issue(test::certificate_spec("EAP Test CA", true), nullptr);
  test::IssuedCertificate server = test::issue(test::certificate_spec("gw.example.com", false), &ca);
  test::IssuedCertificate client = test::issue(test::certificate_spec("carol.example.com", false), &ca);
};

const Pki& pki() {
  static const Pki p;
  return p;
}

EapTlsSettings settings_for(const test::IssuedCertificate* own, crypto::TlsVersion max_version,
                            std::size_t fragment_size = kDefaultEapTlsFragmentSize) {
  EapTlsSettings s;
  if (own) {
    s.tls.key = own->key;
    s.tls.certificate = own->certificate;
  }
  s.tls.max_version = max_version;
  s.fragment_size = fragment_size;
  return s;
}

struct Outcome {
  EapStep gateway;
  EapStep client;
  int requests = 0;
};

// Runs the conversation; `tamper` may change each Request before the peer sees it.
Outcome converse(EapTlsAuthenticator& gateway, EapTlsPeer& client,
                 const std::function<void(Bytes&)>& tamper = {}) {
  Outcome out;
  Bytes request = gateway.start();
  for (int i = 0; i < 60; ++i) {
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

class EapTlsVersions : public ::testing::TestWithParam<crypto::TlsVersion> {};

TEST_P(EapTlsVersions, HandshakeAuthenticatesBothAndAgreesOnTheMsk) {
  EapTlsAuthenticator gateway(settings_for(&pki().server, GetParam()), seeded_random(1));
  EapTlsPeer client("carol@example.com", settings_for(&pki().client, GetParam()));
  const Outcome o = converse(gateway, client);
  ASSERT_EQ(o.gateway.status, EapStatus::Success) << o.gateway.reason;
  ASSERT_EQ(o.client.status, EapStatus::Success) << o.client.reason;
  EXPECT_EQ(eap::parse_packet(o.gateway.reply).value->code, eap::Code::Success);
  EXPECT_EQ(gateway.tls_version(), GetParam());
  EXPECT_EQ(gateway.eap_identity(), "carol@example.com");
  ASSERT_TRUE(gateway.msk() && client.msk());
  EXPECT_EQ(gateway.msk()->size(), 64u);
  EXPECT_EQ(to_hex(gateway.msk()->view()), to_hex(client.msk()->view()));
  // Each side ends with the certificates the other proved it holds the key of.
  ASSERT_FALSE(gateway.client_certificates().empty());
  EXPECT_EQ(gateway.client_certificates().front().der(), pki().client.certificate.der());
  ASSERT_FALSE(client.server_certificates().empty());
  EXPECT_EQ(client.server_certificates().front().der(), pki().server.certificate.der());
}

TEST_P(EapTlsVersions, EveryConversationHasItsOwnMsk) {
  EapTlsAuthenticator g1(settings_for(&pki().server, GetParam()), seeded_random(1));
  EapTlsPeer c1("carol", settings_for(&pki().client, GetParam()));
  EapTlsAuthenticator g2(settings_for(&pki().server, GetParam()), seeded_random(1));
  EapTlsPeer c2("carol", settings_for(&pki().client, GetParam()));
  ASSERT_EQ(converse(g1, c1).gateway.status, EapStatus::Success);
  ASSERT_EQ(converse(g2, c2).gateway.status, EapStatus::Success);
  EXPECT_NE(to_hex(g1.msk()->view()), to_hex(g2.msk()->view()));
}

INSTANTIATE_TEST_SUITE_P(Tls, EapTlsVersions,
                         ::testing::Values(crypto::TlsVersion::Tls12, crypto::TlsVersion::Tls13),
                         [](const auto& version) {
                           return version.param == crypto::TlsVersion::Tls13 ? "Tls13" : "Tls12";
                         });

TEST(EapTls, TheVersionIsTheLowerOfBothSidesMaximum) {
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls13), seeded_random(1));
  EapTlsPeer client("carol", settings_for(&pki().client, crypto::TlsVersion::Tls12));
  ASSERT_EQ(converse(gateway, client).gateway.status, EapStatus::Success);
  EXPECT_EQ(gateway.tls_version(), crypto::TlsVersion::Tls12);
}

TEST(EapTls, SmallFragmentsTakeMoreRoundsAndStillAgree) {
  EapTlsAuthenticator big_gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12), seeded_random(1));
  EapTlsPeer big_client("carol", settings_for(&pki().client, crypto::TlsVersion::Tls12));
  const int big_rounds = converse(big_gateway, big_client).requests;
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12, 200), seeded_random(1));
  EapTlsPeer client("carol", settings_for(&pki().client, crypto::TlsVersion::Tls12, 200));
  const Outcome o = converse(gateway, client);
  ASSERT_EQ(o.gateway.status, EapStatus::Success) << o.gateway.reason;
  ASSERT_EQ(o.client.status, EapStatus::Success) << o.client.reason;
  EXPECT_GT(o.requests, big_rounds + 2);
  EXPECT_EQ(to_hex(gateway.msk()->view()), to_hex(client.msk()->view()));
}

TEST(EapTls, ReplayedResponseIsDiscardedAndChangesNothing) {
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12), seeded_random(1));
  EapTlsPeer client("carol", settings_for(&pki().client, crypto::TlsVersion::Tls12));
  const EapStep identity = client.on_request(gateway.start());
  const EapStep start = gateway.on_response(identity.reply);
  ASSERT_EQ(start.status, EapStatus::Continue);
  const EapStep replay = gateway.on_response(identity.reply);
  EXPECT_EQ(replay.status, EapStatus::Discarded);
  EXPECT_NE(replay.reason.find("replayed or out of order"), std::string::npos) << replay.reason;
  // The conversation goes on from where it was.
  EapStep hello = client.on_request(start.reply);
  ASSERT_EQ(hello.status, EapStatus::Continue);
  EXPECT_EQ(gateway.on_response(hello.reply).status, EapStatus::Continue);
}

TEST(EapTls, RetransmittedRequestGetsTheSameResponse) {
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12), seeded_random(1));
  EapTlsPeer client("carol", settings_for(&pki().client, crypto::TlsVersion::Tls12));
  const EapStep identity = client.on_request(gateway.start());
  const EapStep start = gateway.on_response(identity.reply);
  const EapStep hello = client.on_request(start.reply);
  const EapStep again = client.on_request(start.reply);
  ASSERT_EQ(again.status, EapStatus::Continue);
  EXPECT_EQ(again.reply, hello.reply);
}

TEST(EapTls, EarlyEapSuccessIsRefusedByTheClient) {
  // A fake gateway cannot skip the TLS handshake that proves it (cf. CVE-2021-45079).
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12), seeded_random(1));
  EapTlsPeer client("carol", settings_for(&pki().client, crypto::TlsVersion::Tls12));
  const EapStep identity = client.on_request(gateway.start());
  const EapStep start = gateway.on_response(identity.reply);
  ASSERT_EQ(client.on_request(start.reply).status, EapStatus::Continue);
  const EapStep early = client.on_request(eap::serialize_packet(eap::Packet{eap::Code::Success, 9, 0, {}}));
  EXPECT_EQ(early.status, EapStatus::Failure);
  EXPECT_EQ(early.reason, "EAP-Success before the TLS handshake finished");
  EXPECT_FALSE(client.msk());
}

TEST(EapTls, ClientWithoutCertificateIsRefused) {
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12), seeded_random(1));
  EapTlsPeer client("carol", settings_for(nullptr, crypto::TlsVersion::Tls12));
  const Outcome o = converse(gateway, client);
  EXPECT_EQ(o.gateway.status, EapStatus::Failure);
  EXPECT_NE(o.gateway.reason.find("TLS handshake failed"), std::string::npos) << o.gateway.reason;
  EXPECT_EQ(o.client.status, EapStatus::Failure);
  EXPECT_FALSE(gateway.msk());
}

TEST(EapTls, TamperedServerRecordFailsTheHandshake) {
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12), seeded_random(1));
  EapTlsPeer client("carol", settings_for(&pki().client, crypto::TlsVersion::Tls12));
  int seen = 0;
  const Outcome o = converse(gateway, client, [&](Bytes& request) {
    // The server's first flight (the third Request): flip a byte near its end (the signature).
    if (++seen == 3 && request.size() > 40) request[request.size() - 20] ^= 0x01;
  });
  EXPECT_EQ(o.client.status, EapStatus::Failure);
  EXPECT_FALSE(client.msk());
  EXPECT_FALSE(gateway.msk());
}

TEST(EapTls, OversizedAnnouncedMessageEndsTheConversation) {
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12), seeded_random(1));
  EapTlsPeer client("carol", settings_for(&pki().client, crypto::TlsVersion::Tls12));
  const EapStep identity = client.on_request(gateway.start());
  const EapStep start = gateway.on_response(identity.reply);
  const auto id = eap::parse_packet(start.reply).value->identifier;
  eap::TlsFragment huge;
  huge.message_length = 1u << 30;
  huge.more_fragments = true;
  huge.data = Bytes(100, 0x16);
  const EapStep refused = gateway.on_response(eap::serialize_packet(eap::Packet{
      eap::Code::Response, id, static_cast<std::uint8_t>(eap::Type::Tls), serialize_tls_fragment(huge)}));
  EXPECT_EQ(refused.status, EapStatus::Failure);
  EXPECT_EQ(refused.reason, "EAP-TLS message of 1073741824 bytes exceeds the limit of 65536");
  EXPECT_EQ(eap::parse_packet(refused.reply).value->code, eap::Code::Failure);
}

TEST(EapTls, DataAfterTheHandshakeFinishedIsRefused) {
  // Fragment after completion: the client sends TLS data where only the final acknowledgement may come.
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12), seeded_random(1));
  EapTlsPeer client("carol", settings_for(&pki().client, crypto::TlsVersion::Tls12));
  Bytes request = gateway.start();
  for (int i = 0; i < 20; ++i) {
    const EapStep c = client.on_request(request);
    ASSERT_EQ(c.status, EapStatus::Continue) << c.reason;
    if (gateway.client_certificates().empty()) {
      const EapStep g = gateway.on_response(c.reply);
      ASSERT_EQ(g.status, EapStatus::Continue) << g.reason;
      request = g.reply;
      continue;
    }
    // The gateway's Finished went out; answer it with TLS data instead of the acknowledgement.
    auto forged = *eap::parse_packet(c.reply).value;
    forged.type_data =
        serialize_tls_fragment(eap::TlsFragment{false, false, std::nullopt, from_hex("1503030002")});
    const EapStep g = gateway.on_response(eap::serialize_packet(forged));
    EXPECT_EQ(g.status, EapStatus::Failure);
    EXPECT_EQ(g.reason, "EAP-TLS data from the client after the TLS handshake finished");
    EXPECT_FALSE(gateway.msk());
    return;
  }
  FAIL() << "the handshake never finished";
}

TEST(EapTls, ClientThatDeclinesWithNakIsRefused) {
  EapTlsAuthenticator gateway(settings_for(&pki().server, crypto::TlsVersion::Tls12), seeded_random(1));
  const auto id = eap::parse_packet(gateway.start()).value->identifier;
  const EapStep identity =
      gateway.on_response(eap::serialize_packet(eap::Packet{eap::Code::Response, id, 1, Bytes{'c'}}));
  const auto id2 = eap::parse_packet(identity.reply).value->identifier;
  const EapStep nak =
      gateway.on_response(eap::serialize_packet(eap::Packet{eap::Code::Response, id2, 3, Bytes{26}}));
  EXPECT_EQ(nak.status, EapStatus::Failure);
  EXPECT_EQ(nak.reason, "the client declined EAP-TLS (Nak)");
}

}  // namespace
}  // namespace cygnet::ike
