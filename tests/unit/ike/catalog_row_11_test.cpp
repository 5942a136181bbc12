// Bad-input catalog row 11 (Libreswan CVE-2019-10155: IKEv1 Informational and Quick Mode messages
// were acted on before their HASH was checked): "IKEv1 Informational / Quick Mode messages whose HASH
// is missing or wrong → verify HASH(1)/HASH(2)/HASH(3) before acting on anything inside". Every
// message here is correctly encrypted under the live ISAKMP SA (support/ike_forge), so it reaches
// the HASH check; only the HASH is missing, misplaced or wrong. A Delete inside must delete nothing,
// a Quick Mode message must install nothing and draw no answer, and the genuine message afterwards
// still completes the exchange.
#include <gtest/gtest.h>

#include "unit/ike/forged_v1_pair.hpp"

namespace cygnet::ike::test {
namespace {

namespace isakmp = wire::isakmp;

const Event* last_event(const Peer& p, EventType t) {
  for (auto it = p.events.rbegin(); it != p.events.rend(); ++it)
    if (it->type == t) return &*it;
  return nullptr;
}

// Refused at the HASH: no answer, nothing installed or removed, counted, explained as a HASH failure
// (which shows the message did decrypt: the refusal is the HASH's doing).
void expect_refused_at_hash(const Peer& p, const std::vector<Action>& actions,
                            std::uint64_t malformed_before) {
  EXPECT_EQ(count_of<SendDatagram>(actions), 0u);
  EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
  EXPECT_EQ(count_of<ActivateChildSa>(actions), 0u);
  EXPECT_EQ(count_of<RemoveChildSa>(actions), 0u);
  EXPECT_EQ(p.engine->counters().malformed, malformed_before + 1);
  const Event* e = last_event(p, EventType::MalformedMessage);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("HASH"), std::string::npos) << e->detail;
}

Bytes raw_payload(isakmp::PayloadType next, const Bytes& body) {
  const std::size_t length = 4 + body.size();
  Bytes out{static_cast<std::uint8_t>(next), 0, static_cast<std::uint8_t>(length >> 8),
            static_cast<std::uint8_t>(length)};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// A Delete body (RFC 2408 §3.15): DOI, protocol, SPI size, count, SPIs.
Bytes delete_body(std::uint8_t protocol, std::uint8_t spi_size, const std::vector<Bytes>& spis) {
  Bytes out{0, 0, 0, 1, protocol, spi_size, 0, static_cast<std::uint8_t>(spis.size())};
  for (const Bytes& s : spis) out.insert(out.end(), s.begin(), s.end());
  return out;
}

isakmp::EncodedChain chain_of(const std::vector<std::pair<isakmp::PayloadType, Bytes>>& payloads) {
  isakmp::EncodedChain c;
  if (payloads.empty()) return c;
  c.first = payloads[0].first;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const auto next = i + 1 < payloads.size() ? payloads[i + 1].first : isakmp::PayloadType::None;
    const Bytes p = raw_payload(next, payloads[i].second);
    c.bytes.insert(c.bytes.end(), p.begin(), p.end());
  }
  return c;
}

TEST(CatalogRow11, InformationalDeleteWithMissingOrWrongHashDeletesNothing) {
  V1Pair pair;
  ASSERT_TRUE(pair.forger);
  const ChildSaStatus b_child = pair.child(pair.net.b);
  const Bytes esp_delete = delete_body(3, 4, {v1_be32(b_child.outbound_spi), v1_be32(b_child.inbound_spi)});
  Bytes cookies(16);
  for (int i = 0; i < 8; ++i) {
    cookies[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(pair.cookie_i >> (56 - 8 * i));
    cookies[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(pair.cookie_r >> (56 - 8 * i));
  }
  const Bytes isakmp_delete = delete_body(1, 16, {cookies});
  using PT = isakmp::PayloadType;
  struct Case {
    const char* what;
    isakmp::EncodedChain chain;
  };
  const std::vector<Case> cases = {
      {"wrong HASH, Delete ESP", chain_of({{PT::Hash, Bytes(32, 0xa5)}, {PT::Delete, esp_delete}})},
      {"all-zero HASH, Delete ESP", chain_of({{PT::Hash, Bytes(32, 0)}, {PT::Delete, esp_delete}})},
      {"truncated HASH, Delete ESP", chain_of({{PT::Hash, Bytes(4, 0x11)}, {PT::Delete, esp_delete}})},
      {"empty HASH, Delete ESP", chain_of({{PT::Hash, {}}, {PT::Delete, esp_delete}})},
      {"no HASH, Delete ESP", chain_of({{PT::Delete, esp_delete}})},
      {"Delete ESP, then a HASH", chain_of({{PT::Delete, esp_delete}, {PT::Hash, Bytes(32, 0xa5)}})},
      {"wrong HASH, Delete ISAKMP SA", chain_of({{PT::Hash, Bytes(32, 0x5a)}, {PT::Delete, isakmp_delete}})},
      {"no HASH, Delete ISAKMP SA", chain_of({{PT::Delete, isakmp_delete}})},
  };
  std::uint32_t mid = 0x10203040;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const auto before = pair.net.b.engine->counters().malformed;
    const auto actions =
        pair.deliver(pair.net.b, pair.forger->message(isakmp::ExchangeType::Informational, mid++, c.chain));
    expect_refused_at_hash(pair.net.b, actions, before);
    EXPECT_EQ(pair.net.b.ike_sa_count(), 1u);
    EXPECT_EQ(pair.net.b.established_children(), 1u);
    EXPECT_EQ(pair.child(pair.net.b).inbound_spi, b_child.inbound_spi);
    EXPECT_TRUE(pair.net.traffic(pair.net.a, "198.51.100.7", "203.0.113.9"));
    EXPECT_TRUE(pair.net.traffic(pair.net.b, "203.0.113.9", "198.51.100.7"));
  }
  EXPECT_EQ(pair.net.b.count(EventType::ChildSaDeleted), 0u);
  EXPECT_EQ(pair.net.b.count(EventType::IkeSaDeleted), 0u);
  // B still answers its peer: a liveness check (A's R-U-THERE) and a Quick Mode rekey complete.
  pair.net.advance(Seconds{40});
  EXPECT_EQ(pair.net.a.count(EventType::PeerDead), 0u);
  pair.net.a.engine->on_child_sa_soft_limit(pair.child(pair.net.a).id, pair.net.now);
  pair.net.run();
  EXPECT_EQ(pair.net.b.count(EventType::ChildSaRekeyed), 1u);
  EXPECT_TRUE(pair.net.traffic(pair.net.a, "198.51.100.7", "203.0.113.9"));
}

// The control for the test above: the same Delete under a correct HASH(1) does delete, so the
// refusals there were the HASH's doing and nothing else's.
TEST(CatalogRow11, InformationalDeleteWithTheRightHashDeletes) {
  V1Pair pair;
  ASSERT_TRUE(pair.forger);
  const ChildSaStatus b_child = pair.child(pair.net.b);
  const auto actions = pair.deliver(
      pair.net.b,
      pair.forger->informational(
          0x10203040,
          chain_of({{isakmp::PayloadType::Delete, delete_body(3, 4, {v1_be32(b_child.outbound_spi)})}})));
  EXPECT_EQ(count_of<RemoveChildSa>(actions), 1u);
  EXPECT_EQ(pair.net.b.established_children(), 0u);
  EXPECT_EQ(pair.net.b.ike_sa_count(), 1u);
}

// Quick Mode: a rekey's QM1, QM2 and QM3 are each held back, re-sent with HASH(1)/(2)/(3) wrong or
// missing (same M-ID, same IV, all else genuine), then delivered genuine.
TEST(CatalogRow11, QuickModeWithWrongOrMissingHashIsDroppedAtEachStep) {
  V1Pair pair;
  ASSERT_TRUE(pair.forger);
  Bytes held;
  bool hold_from_a = true;
  pair.net.drop = [&](const SendDatagram& d, bool from_a) {
    auto h = isakmp::parse_header(d.payload);
    if (from_a == hold_from_a && h && h.value->exchange == isakmp::ExchangeType::QuickMode && held.empty()) {
      held = d.payload;
      return true;
    }
    return false;
  };
  auto wrong_hash = [](isakmp::EncodedChain& c) { c.bytes.at(4) ^= 0x01; };  // first HASH data byte
  auto no_hash = [](isakmp::EncodedChain& c) {
    const std::size_t length = (std::size_t{c.bytes.at(2)} << 8) | c.bytes.at(3);
    ASSERT_LE(length, c.bytes.size());
    c.first = static_cast<isakmp::PayloadType>(c.bytes.at(0));
    c.bytes.erase(c.bytes.begin(), c.bytes.begin() + static_cast<std::ptrdiff_t>(length));
    if (c.first == isakmp::PayloadType::None) c.bytes.assign(16, 0);  // QM3 is only a HASH
  };
  auto last_block = [](const Bytes& m) { return Bytes(m.end() - 16, m.end()); };
  // The forger's IV is right when the genuine message decrypts to a 36-byte HASH (SHA-256) first.
  auto expect_hash_first = [&pair](const Bytes& m, const Bytes& iv) {
    auto plain = pair.forger->open(m, iv);
    ASSERT_TRUE(plain);
    ASSERT_EQ(plain->first, isakmp::PayloadType::Hash);
    ASSERT_GE(plain->bytes.size(), 36u);
    EXPECT_EQ((plain->bytes[2] << 8) | plain->bytes[3], 36) << "wrong IV: the first block does not decrypt";
  };

  const auto installs_a = pair.net.a.count_actions<InstallChildSa>();
  pair.net.a.engine->on_child_sa_soft_limit(pair.child(pair.net.a).id, pair.net.now);
  pair.net.run();
  ASSERT_FALSE(held.empty());
  const Bytes qm1 = held;
  const std::uint32_t mid = isakmp::parse_header(qm1).value->message_id;
  const Bytes iv1 = pair.forger->exchange_iv(mid);
  {
    // The forger decrypts the genuine QM1 to HASH(1) (36 bytes with SHA-256) followed by the SA.
    auto plain = pair.forger->open(qm1, iv1);
    ASSERT_TRUE(plain);
    ASSERT_EQ(plain->first, isakmp::PayloadType::Hash);
    ASSERT_GE(plain->bytes.size(), 40u);
    EXPECT_EQ(plain->bytes[0], static_cast<std::uint8_t>(isakmp::PayloadType::SecurityAssociation));
    ASSERT_EQ((plain->bytes[2] << 8) | plain->bytes[3], 36) << "wrong IV: the first block does not decrypt";
  }
  for (const auto& edit : {std::function<void(isakmp::EncodedChain&)>(wrong_hash),
                           std::function<void(isakmp::EncodedChain&)>(no_hash)}) {
    auto forged = pair.forger->reseal(qm1, iv1, edit);
    ASSERT_TRUE(forged);
    const auto before = pair.net.b.engine->counters().malformed;
    expect_refused_at_hash(pair.net.b, pair.deliver(pair.net.b, *forged), before);  // HASH(1)
  }
  // The genuine QM1; B's QM2 held.
  held.clear();
  hold_from_a = false;
  const auto installs_b_before_qm1 = pair.net.b.count_actions<InstallChildSa>();
  pair.deliver(pair.net.b, qm1);
  // The responder's QM2 is in B's log: take the last datagram it sent.
  Bytes qm2;
  for (const auto& a : pair.net.b.log)
    if (const auto* d = std::get_if<SendDatagram>(&a)) qm2 = d->payload;
  ASSERT_EQ(isakmp::parse_header(qm2).value->exchange, isakmp::ExchangeType::QuickMode);
  const auto installs_b_after_qm1 = pair.net.b.count_actions<InstallChildSa>();
  EXPECT_LE(installs_b_after_qm1 - installs_b_before_qm1, 1u);
  expect_hash_first(qm2, last_block(qm1));
  for (const auto& edit : {std::function<void(isakmp::EncodedChain&)>(wrong_hash),
                           std::function<void(isakmp::EncodedChain&)>(no_hash)}) {
    auto forged = pair.forger->reseal(qm2, last_block(qm1), edit);
    ASSERT_TRUE(forged);
    const auto before = pair.net.a.engine->counters().malformed;
    expect_refused_at_hash(pair.net.a, pair.deliver(pair.net.a, *forged), before);  // HASH(2)
  }
  EXPECT_EQ(pair.net.a.count_actions<InstallChildSa>(), installs_a);
  // The genuine QM2; A installs and sends QM3, held.
  const auto a_actions = pair.deliver(pair.net.a, qm2);
  Bytes qm3;
  for (const auto& a : a_actions)  // QM3 (a Delete of the old pair may follow it)
    if (const auto* d = std::get_if<SendDatagram>(&a);
        d && qm3.empty() &&
        isakmp::parse_header(d->payload).value->exchange == isakmp::ExchangeType::QuickMode)
      qm3 = d->payload;
  ASSERT_FALSE(qm3.empty());
  EXPECT_EQ(count_of<InstallChildSa>(a_actions), 1u);
  expect_hash_first(qm3, last_block(qm2));
  for (const auto& edit : {std::function<void(isakmp::EncodedChain&)>(wrong_hash),
                           std::function<void(isakmp::EncodedChain&)>(no_hash)}) {
    auto forged = pair.forger->reseal(qm3, last_block(qm2), edit);
    ASSERT_TRUE(forged);
    const auto before = pair.net.b.engine->counters().malformed;
    expect_refused_at_hash(pair.net.b, pair.deliver(pair.net.b, *forged), before);  // HASH(3)
  }
  EXPECT_EQ(pair.net.b.count_actions<InstallChildSa>(), installs_b_after_qm1);
  // The genuine QM3 completes the rekey on B: its new pair now carries B's traffic (the activation
  // the forged QM3s did not get).
  pair.net.drop = nullptr;
  EXPECT_EQ(count_of<ActivateChildSa>(pair.deliver(pair.net.b, qm3)), 1u);
  pair.net.run();
  EXPECT_EQ(pair.net.b.count(EventType::ChildSaRekeyed), 1u);
  EXPECT_EQ(pair.net.a.count(EventType::ChildSaRekeyed), 1u);
  EXPECT_TRUE(pair.net.traffic(pair.net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(pair.net.traffic(pair.net.b, "203.0.113.9", "198.51.100.7"));
}

}  // namespace
}  // namespace cygnet::ike::test
