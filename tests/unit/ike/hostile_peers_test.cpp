// Hostile peers and networks against the IKEv2 responder (issue 12): the half-open caps (global,
// per source, with valid cookies from one address), counts that return to zero, requests refused
// before IKE_AUTH completes, and peer address changes only where a NAT explains them.
#include <gtest/gtest.h>

#include "ike/key_exchange_factory.hpp"
#include "ike/v2/keys.hpp"
#include "ike/v2/sk_protection.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;

Endpoint ep(std::string_view address, std::uint16_t port = 500) {
  return {addr(address), port};
}

// B answers anyone (no remote_addrs); A is a genuine initiator whose IKE_SA_INIT we capture.
struct Responder {
  explicit Responder(EngineOptions b_options) : net({}, b_options) {
    EXPECT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", ""), net.now));
    auto a = psk_connection("site", "192.0.2.1", "192.0.2.2");
    a.start_action = StartAction::Start;
    EXPECT_TRUE(net.a.engine->add_connection(a, net.now));
    for (auto& action : net.a.engine->take_actions())
      if (auto* d = std::get_if<SendDatagram>(&action)) init = d->payload;
  }
  // `init` with another initiator SPI, from `from`; B's answers.
  std::vector<Bytes> send(std::uint64_t spi, std::string_view from, const Bytes* cookie = nullptr) {
    auto m = ikev2::parse_message(init);
    EXPECT_TRUE(m);
    m.value->header.initiator_spi = spi;
    if (cookie)
      m.value->payloads.insert(
          m.value->payloads.begin(),
          ikev2::NotifyPayload{ikev2::ProtocolId::None, {}, ikev2::NotifyType::Cookie, *cookie});
    net.b.engine->on_datagram(ep("192.0.2.2"), ep(from), ikev2::serialize_message(*m.value), net.now);
    std::vector<Bytes> out;
    for (auto& action : net.b.engine->take_actions())
      if (auto* d = std::get_if<SendDatagram>(&action)) out.push_back(d->payload);
    return out;
  }
  std::uint64_t refused(RefusalReason r) const { return net.b.engine->counters().refusals[r]; }
  std::uint64_t half_open() const { return net.b.engine->counters().half_open_ike_sas; }
  BackToBack net;
  Bytes init;
};

std::optional<Bytes> cookie_in(const std::vector<Bytes>& replies) {
  if (replies.size() != 1) return std::nullopt;
  auto m = ikev2::parse_message(replies[0]);
  if (!m || m.value->payloads.empty()) return std::nullopt;
  const auto* n = std::get_if<ikev2::NotifyPayload>(&m.value->payloads.front());
  if (!n || n->type != ikev2::NotifyType::Cookie) return std::nullopt;
  return n->data;
}

EngineOptions no_cookies() {
  EngineOptions o;
  o.cookie_threshold = 100000;
  return o;
}

TEST(HalfOpenCaps, PerSourceCapRefusesWithoutStateOrAnswer) {
  EngineOptions o = no_cookies();
  o.max_half_open_per_source = 3;
  Responder r(o);
  for (std::uint64_t spi = 1; spi <= 10; ++spi) {
    const auto replies = r.send(spi, "203.0.113.5");
    EXPECT_EQ(replies.size(), spi <= 3 ? 1u : 0u) << spi;  // refused: not even an error notify
  }
  EXPECT_EQ(r.net.b.ike_sa_count(), 3u);
  EXPECT_EQ(r.refused(RefusalReason::HalfOpenPerSourceCap), 7u);
  EXPECT_EQ(r.refused(RefusalReason::HalfOpenGlobalCap), 0u);
  EXPECT_EQ(r.send(11, "203.0.113.6").size(), 1u);  // another source still gets in
  EXPECT_EQ(r.half_open(), 4u);
}

TEST(HalfOpenCaps, GlobalCapRefusesNewSourcesUntilHalfOpenSasExpire) {
  EngineOptions o = no_cookies();
  o.max_half_open = 5;
  Responder r(o);
  for (std::uint64_t i = 1; i <= 12; ++i) r.send(i, "203.0.113." + std::to_string(i));
  EXPECT_EQ(r.net.b.ike_sa_count(), 5u);
  EXPECT_EQ(r.half_open(), 5u);
  EXPECT_EQ(r.refused(RefusalReason::HalfOpenGlobalCap), 7u);
  // The half-open SAs time out; the count returns to zero and new initiators are accepted again.
  r.net.advance(o.half_open_timeout + Seconds(1));
  EXPECT_EQ(r.net.b.ike_sa_count(), 0u);
  EXPECT_EQ(r.half_open(), 0u);
  EXPECT_EQ(r.send(100, "203.0.113.100").size(), 1u);
  EXPECT_EQ(r.half_open(), 1u);
}

TEST(HalfOpenCaps, ValidCookiesFromOneAddressCannotFillTheTable) {
  EngineOptions o;
  o.cookie_threshold = 0;  // every IKE_SA_INIT must carry a cookie
  o.max_half_open_per_source = 4;
  Responder r(o);
  std::size_t admitted = 0;
  for (std::uint64_t spi = 1; spi <= 20; ++spi) {
    const auto cookie = cookie_in(r.send(spi, "203.0.113.9"));
    if (!cookie) continue;  // at the cap: no cookie either
    const auto replies = r.send(spi, "203.0.113.9", &*cookie);
    if (replies.size() == 1 && !cookie_in(replies)) ++admitted;
  }
  EXPECT_EQ(admitted, 4u);
  EXPECT_EQ(r.net.b.ike_sa_count(), 4u);
  EXPECT_EQ(r.refused(RefusalReason::HalfOpenPerSourceCap), 16u);
}

TEST(HalfOpenCaps, CountReturnsToZeroWhenTheSaCompletes) {
  Responder r(EngineOptions{});
  r.net.b.engine->on_datagram(ep("192.0.2.2"), ep("192.0.2.1"), r.init, r.net.now);
  EXPECT_EQ(r.half_open(), 1u);
  r.net.run();
  EXPECT_EQ(r.net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(r.half_open(), 0u);
  // Removing an established SA does not count it down a second time.
  r.net.b.engine->down("site", r.net.now);
  r.net.run();
  EXPECT_EQ(r.half_open(), 0u);
  EXPECT_EQ(r.send(7, "203.0.113.7").size(), 1u);
  EXPECT_EQ(r.half_open(), 1u);
}

// An initiator built by hand, so it can send what a real one never does: an INFORMATIONAL under
// valid SK keys before IKE_AUTH.
TEST(HostilePeer, InformationalBeforeIkeAuthIsRefused) {
  Responder r(EngineOptions{});
  auto random = seeded_random(11);
  crypto::KeyExchange ke = new_key_exchange(crypto::DhGroup::Curve25519, *random);
  Bytes ni(32);
  random->fill(ni);
  auto init = ikev2::parse_message(r.init);
  ASSERT_TRUE(init);
  const std::uint64_t spi_i = 0x1122334455667788ULL;
  init.value->header.initiator_spi = spi_i;
  for (auto& p : init.value->payloads) {
    if (auto* k = std::get_if<ikev2::KePayload>(&p)) k->data = ke.public_value();
    if (auto* n = std::get_if<ikev2::NoncePayload>(&p)) n->data = ni;
  }
  r.net.b.engine->on_datagram(ep("192.0.2.2"), ep("192.0.2.1"), ikev2::serialize_message(*init.value),
                              r.net.now);
  Bytes response;
  for (auto& action : r.net.b.engine->take_actions())
    if (auto* d = std::get_if<SendDatagram>(&action)) response = d->payload;
  auto resp = ikev2::parse_message(response);
  ASSERT_TRUE(resp);
  const auto* sa = ikev2::find_payload<ikev2::SaPayload>(resp.value->payloads);
  const auto* ker = ikev2::find_payload<ikev2::KePayload>(resp.value->payloads);
  const auto* nr = ikev2::find_payload<ikev2::NoncePayload>(resp.value->payloads);
  ASSERT_TRUE(sa && ker && nr);
  const auto alg = ike_algorithms(sa->proposals.front());
  ASSERT_TRUE(alg);
  const auto secret = ke.compute_shared_secret(ker->data);
  ASSERT_TRUE(secret);
  const std::uint64_t spi_r = resp.value->header.responder_spi;
  const auto keys = derive_ike_sa_keys(*alg, skeyseed(alg->prf, ni, nr->data, secret->view()).view(), ni,
                                       nr->data, spi_i, spi_r);
  SkProtection ours(*alg, keys.sk_ei.view(), keys.sk_ai.view());
  ikev2::Header h;
  h.initiator_spi = spi_i;
  h.responder_spi = spi_r;
  h.exchange = ikev2::ExchangeType::Informational;
  h.flags = ikev2::kFlagInitiator;
  h.message_id = 1;
  const Bytes informational = ours.protect(h, ikev2::encode_payload_chain({}), *random);

  const auto malformed_before = r.net.b.engine->counters().malformed;
  r.net.b.engine->on_datagram(ep("192.0.2.2"), ep("192.0.2.1"), informational, r.net.now);
  EXPECT_TRUE(r.net.b.engine->take_actions().empty());  // no answer, no event
  EXPECT_EQ(r.refused(RefusalReason::RequestBeforeAuth), 1u);
  EXPECT_EQ(r.net.b.engine->counters().malformed, malformed_before);  // it was authentic
  // The same request from elsewhere moves nothing either.
  r.net.b.engine->on_datagram(ep("192.0.2.2"), ep("203.0.113.66", 4500), informational, r.net.now);
  EXPECT_EQ(r.refused(RefusalReason::RequestBeforeAuth), 2u);
  const auto status = r.net.b.engine->status(r.net.now);
  ASSERT_EQ(status[0].ike_sas.size(), 1u);
  EXPECT_EQ(status[0].ike_sas[0].remote, ep("192.0.2.1"));
  EXPECT_EQ(status[0].ike_sas[0].state, IkeSaState::Connecting);
}

// A's authenticated requests after establishment reach B from `moved_to` instead of A's address.
struct Moved {
  explicit Moved(Encapsulation a_encapsulation) {
    auto a = psk_connection("site", "192.0.2.1", "192.0.2.2");
    a.encapsulation = a_encapsulation;
    a.start_action = StartAction::Start;
    EXPECT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", ""), net.now));
    EXPECT_TRUE(net.a.engine->add_connection(a, net.now));
    net.run();
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
    moves_before = net.b.count(EventType::PeerAddressChanged);  // the float to 4500, if any
    net.drop = [this](const SendDatagram& d, bool from_a) {
      if (!from_a) return false;
      net.b.engine->on_datagram(d.remote, Endpoint{addr("192.0.2.99"), d.local.port}, d.payload, net.now);
      return true;
    };
    net.a.engine->down("site", net.now);  // a Delete: an authenticated INFORMATIONAL request
    net.run();
  }
  Endpoint b_answered_to() const {
    for (auto it = net.wire_log.rbegin(); it != net.wire_log.rend(); ++it)
      if (it->local.address == addr("192.0.2.2")) return it->remote;
    return {};
  }
  BackToBack net;
  std::size_t moves_before = 0;
};

TEST(HostilePeer, AddressChangeWithoutNatIsRefused) {
  Moved m(Encapsulation::Auto);
  EXPECT_EQ(m.net.b.engine->counters().refusals[RefusalReason::AddressChange], 1u);
  EXPECT_EQ(m.net.b.count(EventType::PeerAddressChanged), m.moves_before);
  EXPECT_EQ(m.b_answered_to().address, addr("192.0.2.1"));  // the answer goes where the SA is
  EXPECT_EQ(m.net.b.count(EventType::IkeSaDeleted), 1u);    // the request itself is processed
}

TEST(HostilePeer, AddressChangeBehindNatIsFollowed) {
  Moved m(Encapsulation::ForceUdp);  // B sees A "behind a NAT"
  EXPECT_EQ(m.net.b.engine->counters().refusals[RefusalReason::AddressChange], 0u);
  ASSERT_EQ(m.net.b.count(EventType::PeerAddressChanged), m.moves_before + 1);
  std::string last_move;
  for (const Event& e : m.net.b.events)
    if (e.type == EventType::PeerAddressChanged) last_move = e.detail;
  EXPECT_NE(last_move.find("-> 192.0.2.99"), std::string::npos) << last_move;
  EXPECT_EQ(m.b_answered_to().address, addr("192.0.2.99"));
}

}  // namespace
}  // namespace cygnet::ike::test
