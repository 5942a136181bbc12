// Bad-input catalog row 19 (RFC 7296 §2.10, §3.1, §3.3.1; RFC 4303 §2.1; RFC 2409 §5): "SPI 0 or
// duplicated; nonces shorter or longer than allowed; predictable SPIs or nonces from our side" →
// reject bad peer values; our SPIs random, non-zero, unique; nonces from the CSPRNG. The IKE_SA_INIT
// nonce bounds and our IKE SPIs are in bad_input_test.cpp; this file covers CHILD SPIs (ours and the
// peer's, via authenticated CREATE_CHILD_SA requests: support/ike_forge), IKEv1 cookies and nonces.
#include <gtest/gtest.h>

#include <set>

#include "unit/ike/forged_pair.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;
namespace isakmp = wire::isakmp;

Bytes be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// A request for a new CHILD SA for net (B's side proposes), with the ESP SPI `spi`.
ikev2::EncodedChain new_child(Bytes spi, std::uint8_t nonce_byte = 0x4e) {
  ikev2::Proposal esp = proposal("aes256gcm16", ProtocolId::Esp);
  esp.spi = std::move(spi);
  ikev2::TrafficSelector tsi;
  tsi.start = addr("203.0.113.0");
  tsi.end = addr("203.0.113.127");
  ikev2::TrafficSelector tsr;
  tsr.start = addr("198.51.100.0");
  tsr.end = addr("198.51.100.127");
  return forge::chain({ikev2::SaPayload{{esp}}, ikev2::NoncePayload{Bytes(32, nonce_byte)},
                       ikev2::TsInitiatorPayload{{{tsi}}}, ikev2::TsResponderPayload{{{tsr}}}});
}

// RFC 4303 §2.1: SPI 0 is never sent on the wire and 1..255 are reserved by IANA. A peer's SPI
// already in use by another of its CHILD SAs would make its Deletes and REKEY_SAs ambiguous.
TEST(CatalogRow19, PeerChildSpiZeroReservedOrDuplicateIsRefused) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  const auto net = *pair.a_child("net");
  const std::size_t children = pair.net.a.established_children();
  struct Case {
    const char* what;
    Bytes spi;
  };
  const std::vector<Case> cases = {
      {"SPI 0", be32(0)},
      {"SPI 1 (reserved)", be32(1)},
      {"SPI 255 (reserved)", be32(255)},
      {"the SPI of the peer's CHILD SA for net", be32(net.outbound_spi)},
      {"the SPI of the peer's CHILD SA for net2", be32(pair.a_child("net2")->outbound_spi)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const auto before = pair.net.a.engine->counters().malformed;
    const auto actions = pair.forged_request(ikev2::ExchangeType::CreateChildSa, new_child(c.spi));
    EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
    const auto reply = pair.response(actions);
    EXPECT_EQ(ikev2::find_payload<ikev2::SaPayload>(reply), nullptr);
    EXPECT_NE(ikev2::find_notify(reply, ikev2::NotifyType::InvalidSyntax), nullptr);
    EXPECT_EQ(pair.net.a.engine->counters().malformed, before + 1);
    EXPECT_EQ(pair.net.a.established_children(), children);
  }
  // SPI 256 is the first valid one: accepted (the refusals above are the SPI's doing).
  const auto ok = pair.forged_request(ikev2::ExchangeType::CreateChildSa, new_child(be32(256)));
  EXPECT_EQ(count_of<InstallChildSa>(ok), 1u);
  EXPECT_NE(ikev2::find_payload<ikev2::SaPayload>(pair.response(ok)), nullptr);
}

// Nonces in CREATE_CHILD_SA: RFC 7296 §2.10, 16..256 bytes.
TEST(CatalogRow19, CreateChildSaNoncesOutsideSixteenToTwoFiftySixAreRefused) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  const std::size_t children = pair.net.a.established_children();
  for (std::size_t length : {0, 1, 15, 257, 1000}) {
    SCOPED_TRACE(length);
    ikev2::EncodedChain request = new_child(be32(0x5eed0000u + static_cast<std::uint32_t>(length)));
    auto payloads = ikev2::parse_payload_chain(request.first, request.bytes);
    ASSERT_TRUE(payloads);
    for (auto& p : *payloads.value)
      if (auto* n = std::get_if<ikev2::NoncePayload>(&p)) n->data.assign(length, 0x4e);
    const auto actions =
        pair.forged_request(ikev2::ExchangeType::CreateChildSa, forge::chain(*payloads.value));
    EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
    EXPECT_NE(ikev2::find_notify(pair.response(actions), ikev2::NotifyType::InvalidSyntax), nullptr);
  }
  EXPECT_EQ(pair.net.a.established_children(), children);
}

// Our inbound SPIs over many CHILD SAs: never 0, never reserved, never repeated, and not a counter.
TEST(CatalogRow19, OurChildSpisAreRandomNonReservedAndUnique) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  std::set<std::uint32_t> ours;
  std::vector<std::uint32_t> in_order;
  const auto status = pair.net.a.engine->status(pair.net.now);  // kept alive: the loop reads into it
  for (const auto& c : status[0].ike_sas[0].children) {
    ours.insert(c.inbound_spi);
    in_order.push_back(c.inbound_spi);
  }
  for (std::uint32_t i = 0; i < 300; ++i) {
    const auto actions = pair.forged_request(ikev2::ExchangeType::CreateChildSa,
                                             new_child(be32(0x10000 + i), static_cast<std::uint8_t>(i)));
    for (const auto& a : actions)
      if (const auto* install = std::get_if<InstallChildSa>(&a)) {
        ours.insert(install->inbound.spi);
        in_order.push_back(install->inbound.spi);
      }
  }
  ASSERT_EQ(in_order.size(), 302u);
  EXPECT_EQ(ours.size(), in_order.size()) << "an inbound SPI was handed out twice";
  EXPECT_GE(*ours.begin(), 256u);
  std::size_t increments = 0;  // a counter would give n+1 every time
  for (std::size_t i = 1; i < in_order.size(); ++i) increments += in_order[i] == in_order[i - 1] + 1;
  EXPECT_LT(increments, 3u);
  std::size_t high_bit = 0;  // random 32-bit values set the top bit about half the time
  for (std::uint32_t s : ours) high_bit += (s >> 31) & 1;
  EXPECT_GT(high_bit, 100u);
  EXPECT_LT(high_bit, 200u);
}

// Our nonces and IKE SPIs come from the CSPRNG (the default RandomSource): two engines built the
// same way, at the same instant, with the same settings, send different SPIs and nonces.
TEST(CatalogRow19, EnginesOnTheSystemCsprngDoNotRepeatSpisOrNonces) {
  std::set<std::uint64_t> spis;
  std::set<Bytes> nonces;
  for (int i = 0; i < 20; ++i) {
    Engine e(with_wall_origin(), system_random());
    auto c = psk_connection("site", "192.0.2.1", "192.0.2.2");
    c.start_action = StartAction::Start;
    ASSERT_TRUE(e.add_connection(c, TimePoint{}));
    for (const auto& a : e.take_actions())
      if (const auto* d = std::get_if<SendDatagram>(&a)) {
        auto m = ikev2::parse_message(d->payload);
        ASSERT_TRUE(m);
        spis.insert(m.value->header.initiator_spi);
        const auto* n = ikev2::find_payload<ikev2::NoncePayload>(m.value->payloads);
        ASSERT_NE(n, nullptr);
        EXPECT_GE(n->data.size(), 32u);  // at least half the PRF key size, RFC 7296 §2.10
        nonces.insert(n->data);
      }
  }
  EXPECT_EQ(spis.size(), 20u);
  EXPECT_EQ(nonces.size(), 20u);
  EXPECT_FALSE(spis.contains(0));
}

// --- IKEv1 -------------------------------------------------------------------------------------

ConnectionSettings v1(std::string_view local, std::string_view remote) {
  ConnectionSettings c =
      psk_connection("site", local, remote, "correct horse battery staple", "aes256-sha256-modp2048");
  c.ike_version = 1;
  return c;
}

// RFC 2408 §3.1: the initiator cookie of a new exchange is never zero (zero marks an absent
// cookie); a Main Mode request with cookie 0 is dropped unanswered, counted as naming no SA
// (unknown_spi), and creates nothing.
TEST(CatalogRow19, Ikev1FirstMessageWithZeroCookieIsDropped) {
  BackToBack net;
  ASSERT_TRUE(net.b.engine->add_connection(v1("192.0.2.2", "192.0.2.1"), net.now));
  auto a = v1("192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  Bytes mm1;
  for (const auto& action : net.a.engine->take_actions())
    if (const auto* d = std::get_if<SendDatagram>(&action)) mm1 = d->payload;
  ASSERT_FALSE(mm1.empty());
  Bytes zero = mm1;
  std::fill(zero.begin(), zero.begin() + 8, 0);
  const auto before = net.b.engine->counters().unknown_spi;
  net.b.engine->on_datagram({addr("192.0.2.2"), 500}, {addr("192.0.2.1"), 500}, zero, net.now);
  std::size_t answers = 0;
  for (const auto& action : net.b.engine->take_actions())
    answers += std::holds_alternative<SendDatagram>(action);
  EXPECT_EQ(answers, 0u);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
  EXPECT_EQ(net.b.engine->counters().unknown_spi, before + 1);
  // The genuine MM1 is answered and phase 1 completes.
  net.b.engine->on_datagram({addr("192.0.2.2"), 500}, {addr("192.0.2.1"), 500}, mm1, net.now);
  net.run();
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
}

// RFC 2409 §5: "The length of nonce payload MUST be between 8 and 256 bytes inclusive." The
// initiator's MM3 (KE, Nonce, in clear) is held and re-sent with nonces of 7 and 257 bytes: refused,
// no MM4; the genuine MM3 then completes phase 1.
TEST(CatalogRow19, Ikev1NoncesOutsideEightToTwoFiftySixAreRefused) {
  BackToBack net;
  ASSERT_TRUE(net.b.engine->add_connection(v1("192.0.2.2", "192.0.2.1"), net.now));
  auto a = v1("192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  Bytes mm3;
  net.drop = [&mm3](const SendDatagram& d, bool from_a) {
    auto m = isakmp::parse_message(d.payload);
    if (from_a && m && mm3.empty() && isakmp::find_payload<isakmp::NoncePayload>(m.value->payloads)) {
      mm3 = d.payload;
      return true;
    }
    return false;
  };
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  ASSERT_FALSE(mm3.empty());
  for (std::size_t length : {0, 7, 257, 400}) {
    SCOPED_TRACE(length);
    auto m = isakmp::parse_message(mm3);
    ASSERT_TRUE(m);
    for (auto& p : m.value->payloads)
      if (auto* n = std::get_if<isakmp::NoncePayload>(&p)) n->data.assign(length, 0x6e);
    const Bytes bad = isakmp::serialize_message(*m.value);
    net.b.engine->on_datagram({addr("192.0.2.2"), 500}, {addr("192.0.2.1"), 500}, bad, net.now);
    std::size_t answers = 0;
    for (const auto& action : net.b.engine->take_actions()) {
      answers += std::holds_alternative<SendDatagram>(action);
      if (const auto* e = std::get_if<Event>(&action)) net.b.events.push_back(*e);
    }
    EXPECT_EQ(answers, 0u);
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
  }
  net.drop = nullptr;
  net.b.engine->on_datagram({addr("192.0.2.2"), 500}, {addr("192.0.2.1"), 500}, mm3, net.now);
  net.run();
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
}

}  // namespace
}  // namespace cygnet::ike::test
