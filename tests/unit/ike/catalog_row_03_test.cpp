// Bad-input catalog row 3 (Libreswan CVE-2023-38710: REKEY_SA with an invalid protocol ID;
// CVE-2023-38712: repeated/many-SPI Deletes), IKEv2: "Notifies with a wrong protocol ID or SPI size
// (e.g. REKEY_SA for an unknown protocol), Delete with many SPIs, repeated Deletes → ignore or
// answer per RFC 7296 §3.10/§3.11; never abort". The requests are authenticated under the live IKE
// SA (support/ike_forge), so they reach the INFORMATIONAL and CREATE_CHILD_SA handlers themselves.
#include <gtest/gtest.h>

#include "unit/ike/forged_pair.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;
using ikev2::ExchangeType;
using ikev2::PayloadType;

Bytes be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// A Delete payload body as on the wire, any protocol/SPI size/count (RFC 7296 §3.11).
Bytes delete_body(std::uint8_t protocol, std::uint8_t spi_size, const std::vector<Bytes>& spis,
                  std::optional<std::uint16_t> claimed_count = std::nullopt) {
  const std::uint16_t count = claimed_count.value_or(static_cast<std::uint16_t>(spis.size()));
  Bytes out{protocol, spi_size, static_cast<std::uint8_t>(count >> 8), static_cast<std::uint8_t>(count)};
  for (const Bytes& s : spis) out.insert(out.end(), s.begin(), s.end());
  return out;
}

ikev2::EncodedChain deletes(const std::vector<Bytes>& bodies) {
  ikev2::EncodedChain c;
  for (const Bytes& b : bodies) forge::append_raw(c, PayloadType::Delete, b);
  return c;
}

std::vector<const ikev2::DeletePayload*> deletes_in(const std::vector<ikev2::Payload>& payloads) {
  std::vector<const ikev2::DeletePayload*> out;
  for (const auto& p : payloads)
    if (const auto* d = std::get_if<ikev2::DeletePayload>(&p)) out.push_back(d);
  return out;
}

// Nothing changed on A: both children and the IKE SA as before, counted on both data planes.
void expect_untouched(ForgedPair& pair, const ChildSaStatus& net, const ChildSaStatus& net2) {
  EXPECT_EQ(pair.net.a.ike_sa_count(), 1u);
  ASSERT_EQ(pair.net.a.established_children(), 2u);
  EXPECT_EQ(pair.a_child("net")->inbound_spi, net.inbound_spi);
  EXPECT_EQ(pair.a_child("net2")->inbound_spi, net2.inbound_spi);
  EXPECT_TRUE(pair.traffic_both("198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(pair.traffic_both("198.51.100.200", "203.0.113.200"));
}

// A's own legitimate exchange afterwards: a CHILD SA rekey it initiates completes on both ends.
void expect_rekey_works(ForgedPair& pair, std::string_view child) {
  const auto before_a = pair.net.a.count(EventType::ChildSaRekeyed);
  const auto before_b = pair.net.b.count(EventType::ChildSaRekeyed);
  pair.net.a.engine->on_child_sa_soft_limit(pair.a_child(child)->id, pair.net.now);
  pair.net.run();
  EXPECT_EQ(pair.net.a.count(EventType::ChildSaRekeyed), before_a + 1);
  EXPECT_EQ(pair.net.b.count(EventType::ChildSaRekeyed), before_b + 1);
  EXPECT_TRUE(pair.traffic_both("198.51.100.7", "203.0.113.9"));
}

TEST(CatalogRow03, DeleteWithThreeHundredSpisRemovesOnlyTheKnownChildOnce) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  const auto net = *pair.a_child("net");
  const auto net2 = *pair.a_child("net2");
  // The peer names its own inbound SPIs: our outbound ones. 297 unknown SPIs (including 0 and the
  // reserved 1..255), net2's SPI three times; net's SPI never.
  std::vector<Bytes> spis;
  for (std::uint32_t i = 0; i < 297; ++i) {
    const std::uint32_t spi = i < 256 ? i : 0x7000'0000u + i;
    if (spi == net.outbound_spi || spi == net2.outbound_spi) continue;
    spis.push_back(be32(spi));
    if (i == 10 || i == 150 || i == 290) spis.push_back(be32(net2.outbound_spi));
  }
  ASSERT_GE(spis.size(), 290u);
  const auto malformed_before = pair.net.a.engine->counters().malformed;
  const auto actions = pair.forged_request(ExchangeType::Informational, deletes({delete_body(3, 4, spis)}));
  EXPECT_EQ(count_of<RemoveChildSa>(actions), 1u);
  EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
  const auto reply = pair.response(actions);
  const auto answered = deletes_in(reply);
  ASSERT_EQ(answered.size(), 1u);  // §1.4.1: our side of net2 — once, not three times
  ASSERT_EQ(answered[0]->spis.size(), 1u);
  EXPECT_EQ(answered[0]->spis[0], be32(net2.inbound_spi));
  EXPECT_EQ(pair.net.a.engine->counters().malformed, malformed_before);
  EXPECT_EQ(pair.net.a.ike_sa_count(), 1u);
  ASSERT_TRUE(pair.a_child("net"));
  EXPECT_EQ(pair.a_child("net")->inbound_spi, net.inbound_spi);
  EXPECT_FALSE(pair.a_child("net2"));
  EXPECT_TRUE(pair.traffic_both("198.51.100.7", "203.0.113.9"));

  // The same Delete again (a new request): nothing left to delete, an empty answer.
  const auto again = pair.forged_request(ExchangeType::Informational, deletes({delete_body(3, 4, spis)}));
  EXPECT_EQ(count_of<RemoveChildSa>(again), 0u);
  EXPECT_TRUE(deletes_in(pair.response(again)).empty());
  EXPECT_EQ(pair.net.a.ike_sa_count(), 1u);
  EXPECT_TRUE(pair.a_child("net"));

  // A still works: it brings net2 back with a CREATE_CHILD_SA of its own, and rekeys net.
  ASSERT_TRUE(pair.net.a.engine->up("site", pair.net.now));
  pair.net.run();
  ASSERT_TRUE(pair.a_child("net2"));
  EXPECT_TRUE(pair.net.traffic(pair.net.a, "198.51.100.200", "203.0.113.200"));
  expect_rekey_works(pair, "net");
}

// §3.11: "SPI Size (1 octet) - Length in octets of the SPI as defined by the protocol ID. It MUST be
// zero for IKE (SPI is in the message header) or four for AH and ESP." Deletes that break this, or
// name a protocol that does not exist, or name an ESP SA as AH, must delete nothing.
TEST(CatalogRow03, DeletesWithWrongSpiSizeOrProtocolDeleteNothing) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  const auto net = *pair.a_child("net");
  const auto net2 = *pair.a_child("net2");
  const Bytes spi = be32(net.outbound_spi);
  Bytes spi8 = spi;
  spi8.insert(spi8.end(), 4, 0);
  struct Case {
    const char* what;
    Bytes body;
  };
  const std::vector<Case> cases = {
      {"ESP, SPI size 0, count 1", delete_body(3, 0, {}, 1)},
      {"ESP, SPI size 0, count 0", delete_body(3, 0, {})},
      {"ESP, SPI size 3", delete_body(3, 3, {Bytes(spi.begin() + 1, spi.end())})},
      {"ESP, SPI size 8", delete_body(3, 8, {spi8})},
      {"ESP, count larger than the SPIs", delete_body(3, 4, {spi}, 200)},
      {"ESP, count smaller than the SPIs", delete_body(3, 4, {spi, spi}, 1)},
      {"protocol 77 with net's SPI", delete_body(77, 4, {spi})},
      {"protocol 0 with net's SPI", delete_body(0, 4, {spi})},
      {"AH naming the ESP SA", delete_body(2, 4, {spi})},
      {"IKE with an SPI size of 4", delete_body(1, 4, {spi})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const auto actions = pair.forged_request(ExchangeType::Informational, deletes({c.body}));
    EXPECT_EQ(count_of<RemoveChildSa>(actions), 0u);
    EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
    const auto reply = pair.response(actions);  // answered (an empty answer or INVALID_SYNTAX), never silent
    EXPECT_TRUE(deletes_in(reply).empty());
    expect_untouched(pair, net, net2);
  }
  EXPECT_EQ(pair.net.a.count(EventType::IkeSaDeleted), 0u);
  EXPECT_EQ(pair.net.a.count(EventType::ChildSaDeleted), 0u);
  expect_rekey_works(pair, "net");
}

// A CREATE_CHILD_SA request rekeying a CHILD SA: SA (ESP, 4-byte SPI), Ni, N(REKEY_SA), TSi, TSr.
ikev2::EncodedChain rekey_request(const ikev2::NotifyPayload& rekey_sa) {
  ikev2::Proposal esp = proposal("aes256gcm16", ProtocolId::Esp);
  esp.spi = be32(0x5eed0001);
  std::vector<ikev2::Payload> payloads;
  payloads.emplace_back(rekey_sa);
  payloads.emplace_back(ikev2::SaPayload{{esp}});
  payloads.emplace_back(ikev2::NoncePayload{Bytes(32, 0x4e)});
  ikev2::TrafficSelector tsi;
  tsi.start = addr("203.0.113.0");
  tsi.end = addr("203.0.113.127");
  ikev2::TrafficSelector tsr;
  tsr.start = addr("198.51.100.0");
  tsr.end = addr("198.51.100.127");
  payloads.emplace_back(ikev2::TsInitiatorPayload{{{tsi}}});
  payloads.emplace_back(ikev2::TsResponderPayload{{{tsr}}});
  return forge::chain(payloads);
}

ikev2::NotifyPayload rekey_sa(ikev2::ProtocolId protocol, Bytes spi) {
  ikev2::NotifyPayload n;
  n.type = ikev2::NotifyType::RekeySa;
  n.protocol = protocol;
  n.spi = std::move(spi);
  return n;
}

// §3.10: the Protocol ID of REKEY_SA says which kind of SA the SPI names; §2.25: a rekey of an SA we
// do not have gets CHILD_SA_NOT_FOUND. An unknown protocol, the right SPI under the wrong protocol,
// or a wrong SPI size must never rekey (or tear down) the real CHILD SA.
TEST(CatalogRow03, RekeySaWithWrongProtocolOrSpiSizeRekeysNothing) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  const auto net = *pair.a_child("net");
  const auto net2 = *pair.a_child("net2");
  const Bytes spi = be32(net.outbound_spi);
  Bytes spi8 = spi;
  spi8.insert(spi8.end(), 4, 0);
  struct Case {
    const char* what;
    ikev2::NotifyPayload notify;
  };
  const std::vector<Case> cases = {
      {"protocol 77 (unknown), net's SPI", rekey_sa(static_cast<ikev2::ProtocolId>(77), spi)},
      {"protocol AH, net's (ESP) SPI", rekey_sa(ikev2::ProtocolId::Ah, spi)},
      {"protocol IKE, net's SPI", rekey_sa(ikev2::ProtocolId::Ike, spi)},
      {"protocol none, net's SPI", rekey_sa(ikev2::ProtocolId::None, spi)},
      {"ESP, no SPI", rekey_sa(ikev2::ProtocolId::Esp, {})},
      {"ESP, 8-byte SPI", rekey_sa(ikev2::ProtocolId::Esp, spi8)},
      {"ESP, unknown SPI", rekey_sa(ikev2::ProtocolId::Esp, be32(0x0bad0bad))},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const auto actions = pair.forged_request(ExchangeType::CreateChildSa, rekey_request(c.notify));
    EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
    EXPECT_EQ(count_of<RemoveChildSa>(actions), 0u);
    const auto reply = pair.response(actions);
    ASSERT_EQ(reply.size(), 1u);  // a bare error notify
    const auto* n = std::get_if<ikev2::NotifyPayload>(&reply[0]);
    ASSERT_NE(n, nullptr);
    EXPECT_TRUE(n->type == ikev2::NotifyType::ChildSaNotFound || n->type == ikev2::NotifyType::InvalidSyntax)
        << ikev2::notify_name(n->type);
    expect_untouched(pair, net, net2);
  }
  EXPECT_EQ(pair.net.a.count(EventType::ChildSaRekeyed), 0u);
  // The genuine rekey notify (ESP, the right SPI) still works from the same forged path: the
  // test's inputs differ from a valid request only in the notify.
  const auto genuine =
      pair.forged_request(ExchangeType::CreateChildSa, rekey_request(rekey_sa(ikev2::ProtocolId::Esp, spi)));
  EXPECT_EQ(count_of<InstallChildSa>(genuine), 1u);
  EXPECT_NE(ikev2::find_payload<ikev2::SaPayload>(pair.response(genuine)), nullptr);
}

}  // namespace
}  // namespace cygnet::ike::test
