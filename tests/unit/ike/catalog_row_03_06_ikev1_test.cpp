// Bad-input catalog rows 3 and 6 for IKEv1, sent as authenticated messages (correct HASH(1), under
// the live ISAKMP SA: support/ike_forge), so they reach the Informational and Quick Mode handlers:
//  - row 3 (Libreswan CVE-2023-38710/38712): Deletes with hundreds of SPIs, wrong SPI sizes, ISAKMP
//    and IPsec protocol IDs that do not fit, repeated Deletes; notifications with a wrong protocol
//    or SPI size → nothing deleted that was not named, never an abort;
//  - row 6 (Libreswan CVE-2023-38711, Quick Mode IDs; CVE-2023-23009's TS analogue): Quick Mode
//    IDci/IDcr with unknown or non-address types, range start > end, lengths that do not fit the
//    type, odd protocol/port → refused, never a CHILD SA or policy installed.
#include <gtest/gtest.h>

#include "unit/ike/forged_v1_pair.hpp"

namespace cygnet::ike::test {
namespace {

using PT = isakmp::PayloadType;

Bytes raw_payload(PT next, const Bytes& body) {
  const std::size_t length = 4 + body.size();
  Bytes out{static_cast<std::uint8_t>(next), 0, static_cast<std::uint8_t>(length >> 8),
            static_cast<std::uint8_t>(length)};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

isakmp::EncodedChain chain_of(const std::vector<std::pair<PT, Bytes>>& payloads) {
  isakmp::EncodedChain c;
  if (payloads.empty()) return c;
  c.first = payloads[0].first;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const auto next = i + 1 < payloads.size() ? payloads[i + 1].first : PT::None;
    const Bytes p = raw_payload(next, payloads[i].second);
    c.bytes.insert(c.bytes.end(), p.begin(), p.end());
  }
  return c;
}

// RFC 2408 §3.15: DOI (IPsec = 1), protocol, SPI size, number of SPIs, SPIs.
Bytes delete_body(std::uint8_t protocol, std::uint8_t spi_size, const std::vector<Bytes>& spis,
                  std::optional<std::uint16_t> claimed = std::nullopt) {
  const std::uint16_t n = claimed.value_or(static_cast<std::uint16_t>(spis.size()));
  Bytes out{0, 0, 0, 1, protocol, spi_size, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  for (const Bytes& s : spis) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// RFC 2408 §3.14: DOI, protocol, SPI size, notify type, SPI, data.
Bytes notify_body(std::uint8_t protocol, std::uint16_t type, const Bytes& spi, const Bytes& data = {}) {
  Bytes out{0,
            0,
            0,
            1,
            protocol,
            static_cast<std::uint8_t>(spi.size()),
            static_cast<std::uint8_t>(type >> 8),
            static_cast<std::uint8_t>(type)};
  out.insert(out.end(), spi.begin(), spi.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes cookies_of(const V1Pair& pair) {
  Bytes c(16);
  for (int i = 0; i < 8; ++i) {
    c[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(pair.cookie_i >> (56 - 8 * i));
    c[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(pair.cookie_r >> (56 - 8 * i));
  }
  return c;
}

void expect_b_intact(V1Pair& pair, const ChildSaStatus& before) {
  EXPECT_EQ(pair.net.b.ike_sa_count(), 1u);
  ASSERT_EQ(pair.net.b.established_children(), 1u);
  EXPECT_EQ(pair.child(pair.net.b).inbound_spi, before.inbound_spi);
  EXPECT_TRUE(pair.net.traffic(pair.net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(pair.net.traffic(pair.net.b, "203.0.113.9", "198.51.100.7"));
}

// A's own Quick Mode rekey completes on both ends: B still works after the hostile input.
void expect_rekey_works(V1Pair& pair) {
  const auto before = pair.net.b.count(EventType::ChildSaRekeyed);
  pair.net.a.engine->on_child_sa_soft_limit(pair.child(pair.net.a).id, pair.net.now);
  pair.net.run();
  EXPECT_EQ(pair.net.b.count(EventType::ChildSaRekeyed), before + 1);
  EXPECT_TRUE(pair.net.traffic(pair.net.a, "198.51.100.7", "203.0.113.9"));
}

// The ISAKMP codec caps a Delete at wire::isakmp::kMaxSpis (64) SPIs: 300 are refused whole
// (counted, nothing deleted); 64 with the real SPI named twice among unknown and reserved ones
// remove that SA once.
TEST(CatalogRow03Ikev1, DeletesWithManySpisRemoveOnlyTheNamedSaOnce) {
  V1Pair pair;
  ASSERT_TRUE(pair.forger);
  const ChildSaStatus b_child = pair.child(pair.net.b);
  auto spis_with_ours = [&b_child](std::size_t total) {
    std::vector<Bytes> spis;
    for (std::uint32_t i = 0; spis.size() + 2 < total; ++i) {
      const std::uint32_t spi = i < 256 ? i * 7 : 0x6000'0000u + i;
      if (spi != b_child.outbound_spi && spi != b_child.inbound_spi) spis.push_back(v1_be32(spi));
    }
    spis.insert(spis.begin() + 3, v1_be32(b_child.outbound_spi));  // named twice
    spis.push_back(v1_be32(b_child.outbound_spi));
    return spis;
  };
  const auto malformed = pair.net.b.engine->counters().malformed;
  const auto flood = pair.deliver(
      pair.net.b, pair.forger->informational(
                      0x51000001, chain_of({{PT::Delete, delete_body(3, 4, spis_with_ours(300))}})));
  EXPECT_EQ(count_of<RemoveChildSa>(flood), 0u);
  EXPECT_EQ(pair.net.b.engine->counters().malformed, malformed + 1);
  expect_b_intact(pair, b_child);

  const auto capped = spis_with_ours(isakmp::kMaxSpis);
  ASSERT_EQ(capped.size(), isakmp::kMaxSpis);
  const auto actions = pair.deliver(
      pair.net.b,
      pair.forger->informational(0x51000002, chain_of({{PT::Delete, delete_body(3, 4, capped)}})));
  EXPECT_EQ(count_of<RemoveChildSa>(actions), 1u);
  EXPECT_EQ(count_of<SendDatagram>(actions), 0u);  // IKEv1 Deletes are not answered
  EXPECT_EQ(pair.net.b.established_children(), 0u);
  EXPECT_EQ(pair.net.b.ike_sa_count(), 1u);
  // Repeated: the same Delete again (a new message ID) finds nothing to delete.
  const auto again = pair.deliver(
      pair.net.b,
      pair.forger->informational(0x51000003, chain_of({{PT::Delete, delete_body(3, 4, capped)}})));
  EXPECT_EQ(count_of<RemoveChildSa>(again), 0u);
  EXPECT_EQ(pair.net.b.ike_sa_count(), 1u);
  EXPECT_EQ(pair.net.b.count(EventType::IkeSaDeleted), 0u);
}

TEST(CatalogRow03Ikev1, DeletesAndNotificationsThatDoNotFitDeleteNothing) {
  V1Pair pair;
  ASSERT_TRUE(pair.forger);
  const ChildSaStatus b_child = pair.child(pair.net.b);
  const Bytes spi = v1_be32(b_child.outbound_spi);
  Bytes spi8 = spi;
  spi8.insert(spi8.end(), 4, 0);
  const Bytes cookies = cookies_of(pair);
  struct Case {
    const char* what;
    isakmp::EncodedChain chain;
  };
  const std::vector<Case> cases = {
      {"Delete ESP, SPI size 0, count 1", chain_of({{PT::Delete, delete_body(3, 0, {}, 1)}})},
      {"Delete ESP, SPI size 3",
       chain_of({{PT::Delete, delete_body(3, 3, {Bytes(spi.begin() + 1, spi.end())})}})},
      {"Delete ESP, SPI size 8", chain_of({{PT::Delete, delete_body(3, 8, {spi8})}})},
      {"Delete ESP, SPI size 16 (the cookies)", chain_of({{PT::Delete, delete_body(3, 16, {cookies})}})},
      {"Delete ESP, count past the SPIs", chain_of({{PT::Delete, delete_body(3, 4, {spi}, 300)}})},
      {"Delete AH naming the ESP SA", chain_of({{PT::Delete, delete_body(2, 4, {spi})}})},
      {"Delete IPCOMP naming the ESP SA", chain_of({{PT::Delete, delete_body(4, 4, {spi})}})},
      {"Delete protocol 77", chain_of({{PT::Delete, delete_body(77, 4, {spi})}})},
      {"Delete ISAKMP with a 4-byte SPI", chain_of({{PT::Delete, delete_body(1, 4, {spi})}})},
      {"Delete ISAKMP with other cookies", chain_of({{PT::Delete, delete_body(1, 16, {Bytes(16, 0x42)})}})},
      {"Delete ISAKMP, SPI size 8 (half the cookies)",
       chain_of({{PT::Delete, delete_body(1, 8, {Bytes(cookies.begin(), cookies.begin() + 8)})}})},
      {"R-U-THERE for ESP with a 3-byte SPI",
       chain_of({{PT::Notification, notify_body(3, 36136, {1, 2, 3}, {0, 0, 0, 1})}})},
      {"R-U-THERE-ACK, protocol 77",
       chain_of({{PT::Notification, notify_body(77, 36137, spi, {0, 0, 0, 9})}})},
      {"INVALID-SPI for protocol 77", chain_of({{PT::Notification, notify_body(77, 11, spi)}})},
      {"NO-PROPOSAL-CHOSEN with a 200-byte SPI",
       chain_of({{PT::Notification, notify_body(3, 14, Bytes(200, 7))}})},
      {"INITIAL-CONTACT for ESP with the child's SPI",
       chain_of({{PT::Notification, notify_body(3, 24578, spi)}})},
  };
  std::uint32_t mid = 0x52000000;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const auto actions = pair.deliver(pair.net.b, pair.forger->informational(mid++, c.chain));
    EXPECT_EQ(count_of<RemoveChildSa>(actions), 0u);
    EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
    expect_b_intact(pair, b_child);
  }
  EXPECT_EQ(pair.net.b.count(EventType::IkeSaDeleted), 0u);
  EXPECT_EQ(pair.net.b.count(EventType::ChildSaDeleted), 0u);
  expect_rekey_works(pair);
}

// --- Row 6: Quick Mode IDs --------------------------------------------------------------------

// RFC 2407 §4.6.2: ID payload body = type, protocol, port, data.
Bytes id_body(std::uint8_t type, const Bytes& data, std::uint8_t protocol = 0, std::uint16_t port = 0) {
  Bytes out{type, protocol, static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port)};
  out.insert(out.end(), data.begin(), data.end());
  return out;
}
Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A's genuine QM1 (from a rekey it starts), opened: its SA and Nonce payloads, reused under new IDs.
struct Qm1Parts {
  isakmp::EncodedChain sa_and_nonce;
  std::vector<isakmp::Payload> sa_and_nonce_payloads;
  Bytes idci, idcr;  // the genuine ID bodies
};

std::optional<Qm1Parts> genuine_qm1(V1Pair& pair) {
  Bytes qm1;
  pair.net.drop = [&qm1](const SendDatagram& d, bool from_a) {
    auto h = isakmp::parse_header(d.payload);
    if (from_a && h && h.value->exchange == isakmp::ExchangeType::QuickMode && qm1.empty()) {
      qm1 = d.payload;
      return true;
    }
    return false;
  };
  pair.net.a.engine->on_child_sa_soft_limit(pair.child(pair.net.a).id, pair.net.now);
  pair.net.run();
  pair.net.drop = nullptr;
  if (qm1.empty()) return std::nullopt;
  const std::uint32_t mid = isakmp::parse_header(qm1).value->message_id;
  auto payloads = pair.forger->open_payloads(qm1, pair.forger->exchange_iv(mid));
  if (!payloads) return std::nullopt;
  Qm1Parts parts;
  std::vector<isakmp::Payload> kept;
  std::vector<const isakmp::IdPayload*> ids;
  for (const auto& p : *payloads) {
    if (std::holds_alternative<isakmp::SaPayload>(p) || std::holds_alternative<isakmp::NoncePayload>(p))
      kept.push_back(p);
    if (const auto* id = std::get_if<isakmp::IdPayload>(&p)) ids.push_back(id);
  }
  if (ids.size() != 2 || kept.size() != 2) return std::nullopt;
  parts.sa_and_nonce = isakmp::encode_payload_chain(kept);
  parts.sa_and_nonce_payloads = kept;
  for (int i = 0; i < 2; ++i) {
    const auto one = isakmp::encode_payload_chain({isakmp::Payload(*ids[static_cast<std::size_t>(i)])});
    (i == 0 ? parts.idci : parts.idcr) = Bytes(one.bytes.begin() + 4, one.bytes.end());
  }
  return parts;
}

// SA | Ni | IDci | IDcr with the given ID bodies, chained for HASH(1).
isakmp::EncodedChain qm1_chain(const Qm1Parts& parts, const Bytes& idci, const Bytes& idcr) {
  isakmp::EncodedChain c = parts.sa_and_nonce;
  // Walk to the last payload (the nonce) and point it at the IDs.
  std::size_t at = 0;
  for (;;) {
    const std::size_t length = (std::size_t{c.bytes[at + 2]} << 8) | c.bytes[at + 3];
    if (at + length >= c.bytes.size()) break;
    at += length;
  }
  c.bytes[at] = static_cast<std::uint8_t>(PT::Identification);
  const Bytes a = raw_payload(PT::Identification, idci);
  const Bytes b = raw_payload(PT::None, idcr);
  c.bytes.insert(c.bytes.end(), a.begin(), a.end());
  c.bytes.insert(c.bytes.end(), b.begin(), b.end());
  return c;
}

TEST(CatalogRow06Ikev1, HostileQuickModeIdsInstallNothing) {
  V1Pair pair;
  ASSERT_TRUE(pair.forger);
  const auto parts = genuine_qm1(pair);
  ASSERT_TRUE(parts);
  // The genuine IDs: A's side 198.51.100.0/24, B's 203.0.113.0/24, as IPV4_ADDR_SUBNET (type 4).
  const Bytes a_net{198, 51, 100, 0}, b_net{203, 0, 113, 0}, mask24{255, 255, 255, 0};
  struct Case {
    const char* what;
    Bytes idci, idcr;
  };
  const std::vector<Case> cases = {
      {"IDci range with start > end", id_body(7, concat({{198, 51, 100, 200}, {198, 51, 100, 1}})),
       parts->idcr},
      {"IDcr range with start > end", parts->idci,
       id_body(7, concat({{203, 0, 113, 200}, {203, 0, 113, 1}}))},
      {"IPv6 range with start > end", id_body(8, concat({Bytes(15, 0x20), {9}, Bytes(15, 0x20), {1}})),
       parts->idcr},
      {"IPV4_ADDR with 16 bytes", id_body(1, Bytes(16, 1)), parts->idcr},
      {"IPV4_ADDR with 3 bytes", id_body(1, {198, 51, 100}), parts->idcr},
      {"IPV4_ADDR_SUBNET with 4 bytes", id_body(4, a_net), parts->idcr},
      {"IPV4_ADDR_SUBNET with 12 bytes", id_body(4, concat({a_net, mask24, {0, 0, 0, 0}})), parts->idcr},
      {"IPV4_ADDR_SUBNET with a non-contiguous mask", id_body(4, concat({a_net, {255, 0, 255, 0}})),
       parts->idcr},
      {"IPV6_ADDR_SUBNET with 8 bytes", id_body(6, concat({a_net, mask24})), parts->idcr},
      {"IPV4_ADDR_RANGE with 4 bytes", id_body(7, a_net), parts->idcr},
      {"FQDN as a Quick Mode ID", id_body(2, {'a', '.', 'e', 'x'}), parts->idcr},
      {"KEY_ID as a Quick Mode ID", id_body(11, {1, 2, 3, 4}), parts->idcr},
      {"unknown ID type 200", id_body(200, concat({a_net, mask24})), parts->idcr},
      {"ID type 0", id_body(0, concat({a_net, mask24})), parts->idcr},
      {"empty ID data", id_body(4, {}), parts->idcr},
      {"IDci a subnet outside the policy", id_body(4, concat({{192, 0, 2, 0}, mask24})), parts->idcr},
      {"IDci protocol 6, IDcr protocol 17", id_body(4, concat({a_net, mask24}), 6, 443),
       id_body(4, concat({b_net, mask24}), 17, 53)},
  };
  const auto installs_before = pair.net.b.count_actions<InstallChildSa>();
  std::uint32_t mid = 0x61000000;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const auto actions =
        pair.deliver(pair.net.b, pair.forger->quick_mode1(mid++, qm1_chain(*parts, c.idci, c.idcr)));
    EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
    EXPECT_EQ(count_of<InstallTrapPolicy>(actions), 0u);
    EXPECT_EQ(count_of<ActivateChildSa>(actions), 0u);
    EXPECT_EQ(count_of<RemoveChildSa>(actions), 0u);
    for (const auto& a : actions)
      if (const auto* d = std::get_if<SendDatagram>(&a)) {
        // At most a notification (an Informational), never a QM2.
        EXPECT_EQ(isakmp::parse_header(d->payload).value->exchange, isakmp::ExchangeType::Informational);
      }
    EXPECT_EQ(pair.net.b.ike_sa_count(), 1u);
  }
  EXPECT_EQ(pair.net.b.count_actions<InstallChildSa>(), installs_before);
  // The control: the genuine IDs in the same forged QM1 get a QM2 (so the refusals were the IDs').
  const auto control =
      pair.deliver(pair.net.b, pair.forger->quick_mode1(mid++, qm1_chain(*parts, parts->idci, parts->idcr)));
  std::size_t qm2 = 0;
  for (const auto& a : control)
    if (const auto* d = std::get_if<SendDatagram>(&a))
      qm2 += isakmp::parse_header(d->payload).value->exchange == isakmp::ExchangeType::QuickMode;
  EXPECT_EQ(qm2, 1u);
}

// Row 19 for IKEv1 (RFC 4303 §2.1): an ESP SPI of 0 or in the reserved 1..255 in the QM1 proposal
// makes it unusable: no QM2, nothing installed. SPI 256, the first valid value, gets a QM2.
TEST(CatalogRow19Ikev1, QuickModeProposalWithZeroOrReservedSpiIsRefused) {
  V1Pair pair;
  ASSERT_TRUE(pair.forger);
  const auto parts = genuine_qm1(pair);
  ASSERT_TRUE(parts);
  auto qm1_with_spi = [&](std::uint32_t spi) {
    auto payloads = parts->sa_and_nonce_payloads;
    for (auto& p : payloads)
      if (auto* sa = std::get_if<isakmp::SaPayload>(&p))
        for (auto& proposal : sa->proposals) proposal.spi = v1_be32(spi);
    Qm1Parts edited = *parts;
    edited.sa_and_nonce = isakmp::encode_payload_chain(payloads);
    return qm1_chain(edited, parts->idci, parts->idcr);
  };
  auto qm2_count = [](const std::vector<Action>& actions) {
    std::size_t n = 0;
    for (const auto& a : actions)
      if (const auto* d = std::get_if<SendDatagram>(&a))
        n += isakmp::parse_header(d->payload).value->exchange == isakmp::ExchangeType::QuickMode;
    return n;
  };
  std::uint32_t mid = 0x71000000;
  for (std::uint32_t spi : {0u, 1u, 255u}) {
    SCOPED_TRACE(spi);
    const auto actions = pair.deliver(pair.net.b, pair.forger->quick_mode1(mid++, qm1_with_spi(spi)));
    EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
    EXPECT_EQ(qm2_count(actions), 0u);
  }
  const auto ok = pair.deliver(pair.net.b, pair.forger->quick_mode1(mid++, qm1_with_spi(256)));
  EXPECT_EQ(qm2_count(ok), 1u);
}

}  // namespace
}  // namespace cygnet::ike::test
