// Bad-input catalog row 6 (Libreswan CVE-2023-23009: a crafted TS payload crashed pluto), IKEv2:
// "Traffic selectors with start > end, wrong address length for the type, unknown TS type, empty TS
// list → TS_UNACCEPTABLE or INVALID_SYNTAX; never install a policy from it". Each selector is sent
// under the live SA's keys (support/ike_forge), in IKE_AUTH — to a responder that has no CHILD SA
// and no policy yet — and in CREATE_CHILD_SA.
#include <gtest/gtest.h>

#include "unit/ike/forged_pair.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;
using ikev2::ExchangeType;
using ikev2::PayloadType;

Bytes be16(std::uint16_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// One traffic selector as on the wire (§3.13.1): any type, length and address bytes.
Bytes selector(std::uint8_t type, std::uint16_t length, std::uint16_t start_port, std::uint16_t end_port,
               const Bytes& start, const Bytes& end, std::uint8_t protocol = 0) {
  Bytes out{type, protocol};
  for (const Bytes& part : {be16(length), be16(start_port), be16(end_port), start, end})
    out.insert(out.end(), part.begin(), part.end());
  return out;
}
Bytes v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return {a, b, c, d};
}
Bytes v6_doc(std::uint8_t last) {
  Bytes a(16, 0);
  a[0] = 0x20;
  a[1] = 0x01;
  a[2] = 0x0d;
  a[3] = 0xb8;
  a[15] = last;
  return a;
}
// A TS payload body: number of selectors, reserved, selectors.
Bytes ts_body(const std::vector<Bytes>& selectors, std::optional<std::uint8_t> claimed = std::nullopt) {
  Bytes out{claimed.value_or(static_cast<std::uint8_t>(selectors.size())), 0, 0, 0};
  for (const Bytes& s : selectors) out.insert(out.end(), s.begin(), s.end());
  return out;
}

struct BadTs {
  const char* what;
  Bytes body;  // replaces one TS payload's body
};

// The hostile selectors of row 6, each aimed at the selectors that would otherwise be accepted.
std::vector<BadTs> hostile_selectors(bool for_initiator_side) {
  // The proposing side's own prefix (TSi) or the other side's (TSr) as seen by whoever sends TSi.
  const std::uint8_t third = for_initiator_side ? 100 : 113;
  const std::uint8_t second = for_initiator_side ? 51 : 0;
  const std::uint8_t first = for_initiator_side ? 198 : 203;
  const Bytes lo = v4(first, second, third, 0);
  const Bytes hi = v4(first, second, third, 127);
  return {
      {"IPv4 range with start > end", ts_body({selector(7, 16, 0, 65535, hi, lo)})},
      {"IPv6 range with start > end", ts_body({selector(8, 40, 0, 65535, v6_doc(9), v6_doc(1))})},
      {"IPv4 type with IPv6-length addresses", ts_body({selector(7, 40, 0, 65535, v6_doc(0), v6_doc(255))})},
      {"IPv6 type with IPv4-length addresses", ts_body({selector(8, 16, 0, 65535, lo, hi)})},
      {"IPv4 selector length 12", ts_body({Bytes{7, 0, 0, 12, 0, 0, 255, 255, first, second, third, 0}})},
      {"IPv4 selector length says 16, 8 bytes follow", ts_body({Bytes{7, 0, 0, 16, 0, 0, 255, 255}})},
      {"unknown TS type 9", ts_body({selector(9, 16, 0, 65535, lo, hi)})},
      {"TS type 0", ts_body({selector(0, 16, 0, 65535, lo, hi)})},
      {"Fibre Channel TS type 10 (RFC 4595)", ts_body({selector(10, 16, 0, 65535, lo, hi)})},
      {"empty TS list", ts_body({})},
      {"count 3, one selector", ts_body({selector(7, 16, 0, 65535, lo, hi)}, 3)},
      {"count 0, one selector", ts_body({selector(7, 16, 0, 65535, lo, hi)}, 0)},
      {"count 255, no selectors", ts_body({}, 255)},
      {"a valid selector, then start > end",
       ts_body({selector(7, 16, 0, 65535, lo, hi), selector(7, 16, 0, 65535, hi, lo)})},
  };
}

// `chain` with its TSi (or TSr) replaced by a raw payload body (the others re-encoded unchanged).
ikev2::EncodedChain with_ts(const std::vector<ikev2::Payload>& payloads, bool replace_tsi,
                            const Bytes& body) {
  std::vector<ikev2::Payload> kept;
  std::optional<ikev2::Payload> other_ts;
  for (const auto& p : payloads) {
    const bool is_tsi = std::holds_alternative<ikev2::TsInitiatorPayload>(p);
    const bool is_tsr = std::holds_alternative<ikev2::TsResponderPayload>(p);
    if (is_tsi || is_tsr) {
      if (is_tsi != replace_tsi) other_ts = p;
      continue;
    }
    kept.push_back(p);
  }
  ikev2::EncodedChain c = forge::chain(kept);
  if (replace_tsi) {
    forge::append_raw(c, PayloadType::TsInitiator, body);
    const auto tsr = forge::chain({*other_ts});
    forge::append_raw(c, PayloadType::TsResponder, Bytes(tsr.bytes.begin() + 4, tsr.bytes.end()));
  } else {
    const auto tsi = forge::chain({*other_ts});
    forge::append_raw(c, PayloadType::TsInitiator, Bytes(tsi.bytes.begin() + 4, tsi.bytes.end()));
    forge::append_raw(c, PayloadType::TsResponder, body);
  }
  return c;
}

void expect_refusal(const std::vector<ikev2::Payload>& reply) {
  const bool ts_unacceptable = ikev2::find_notify(reply, ikev2::NotifyType::TsUnacceptable) != nullptr;
  const bool invalid_syntax = ikev2::find_notify(reply, ikev2::NotifyType::InvalidSyntax) != nullptr;
  EXPECT_TRUE(ts_unacceptable || invalid_syntax) << "neither TS_UNACCEPTABLE nor INVALID_SYNTAX";
  EXPECT_EQ(ikev2::find_payload<ikev2::TsInitiatorPayload>(reply), nullptr);
  EXPECT_EQ(ikev2::find_payload<ikev2::TsResponderPayload>(reply), nullptr);
  EXPECT_EQ(ikev2::find_payload<ikev2::SaPayload>(reply), nullptr);
}

template <typename T>
std::size_t count_in(const std::vector<Action>& log) {
  return count_of<T>(log);
}

// IKE_AUTH: A's genuine request, decrypted, its TSi or TSr replaced, re-protected under A's keys
// and delivered to B — a responder with no CHILD SA and no policy for A yet. AUTH does not cover the
// selectors (§2.15), so this is exactly what a peer holding the PSK could send.
TEST(CatalogRow06, HostileSelectorsInIkeAuthInstallNothingOnTheResponder) {
  for (const bool replace_tsi : {true, false}) {
    for (const BadTs& bad : hostile_selectors(replace_tsi)) {
      SCOPED_TRACE(std::string(replace_tsi ? "TSi: " : "TSr: ") + bad.what);
      BackToBack net(retaining_keys(), retaining_keys());
      ConnectionSettings b = forged_pair_connection(false);
      b.children.resize(1);  // one child, carried by IKE_AUTH itself
      ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
      ConnectionSettings a = forged_pair_connection(true);
      a.children.resize(1);
      a.start_action = StartAction::Start;
      ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
      // IKE_SA_INIT both ways, by hand; A's IKE_AUTH is held back.
      Bytes ike_auth;
      net.drop = [&ike_auth](const SendDatagram& d, bool from_a) {
        auto h = ikev2::parse_header(d.payload);
        if (from_a && h && h.value->exchange == ExchangeType::IkeAuth) {
          if (ike_auth.empty()) ike_auth = d.payload;
          return true;
        }
        return false;
      };
      net.run();
      ASSERT_FALSE(ike_auth.empty());
      auto keys = forge::ikev2_keys(*net.a.engine);
      ASSERT_TRUE(keys);
      forge::Ikev2Forger forger(*keys);
      auto inner = forger.open(ike_auth);
      ASSERT_TRUE(inner);
      ASSERT_NE(ikev2::find_payload<ikev2::TsInitiatorPayload>(*inner), nullptr);
      const auto malformed_before = net.b.engine->counters().malformed;
      const std::size_t b_log_before = net.b.log.size();
      const Bytes forged = forger.message(forge::Sender::Initiator, ExchangeType::IkeAuth, 1,
                                          with_ts(*inner, replace_tsi, bad.body));
      net.drop = nullptr;
      std::vector<Bytes> replies;
      net.b.engine->on_datagram({addr("192.0.2.2"), 500}, {addr("192.0.2.1"), 500}, forged, net.now);
      for (auto& action : net.b.engine->take_actions()) {
        net.b.log.push_back(action);
        if (const auto* e = std::get_if<Event>(&action)) net.b.events.push_back(*e);
        if (auto error = net.b.binding().apply(action)) ADD_FAILURE() << *error;
        if (const auto* d = std::get_if<SendDatagram>(&action)) replies.push_back(d->payload);
      }
      const std::vector<Action> b_actions(net.b.log.begin() + static_cast<std::ptrdiff_t>(b_log_before),
                                          net.b.log.end());
      EXPECT_EQ(count_in<InstallChildSa>(b_actions), 0u);
      EXPECT_EQ(count_in<InstallTrapPolicy>(b_actions), 0u);
      EXPECT_EQ(count_in<ActivateChildSa>(b_actions), 0u);
      EXPECT_EQ(net.b.established_children(), 0u);
      EXPECT_GE(net.b.engine->counters().malformed + net.b.count(EventType::TsUnacceptable),
                malformed_before + 1)
          << "refusal not counted";
      ASSERT_EQ(replies.size(), 1u);
      auto reply = forger.open(replies[0]);
      ASSERT_TRUE(reply);
      expect_refusal(*reply);
      // The initiator takes the answer without installing anything either.
      net.a.engine->on_datagram({addr("192.0.2.1"), 500}, {addr("192.0.2.2"), 500}, replies[0], net.now);
      net.run();
      EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 0u);
      EXPECT_EQ(net.a.established_children(), 0u);
    }
  }
}

// CREATE_CHILD_SA: a new CHILD SA request "from B" (authenticated) whose TSi or TSr is hostile.
ikev2::EncodedChain new_child_request(bool replace_tsi, const Bytes& body) {
  ikev2::Proposal esp = proposal("aes256gcm16", ProtocolId::Esp);
  esp.spi = Bytes{0x5e, 0xed, 0x00, 0x02};
  std::vector<ikev2::Payload> payloads;
  payloads.emplace_back(ikev2::SaPayload{{esp}});
  payloads.emplace_back(ikev2::NoncePayload{Bytes(32, 0x4e)});
  ikev2::TrafficSelector tsi;  // B's side of net (B proposes: TSi is B's)
  tsi.start = addr("203.0.113.0");
  tsi.end = addr("203.0.113.127");
  ikev2::TrafficSelector tsr;
  tsr.start = addr("198.51.100.0");
  tsr.end = addr("198.51.100.127");
  payloads.emplace_back(ikev2::TsInitiatorPayload{{{tsi}}});
  payloads.emplace_back(ikev2::TsResponderPayload{{{tsr}}});
  return with_ts(payloads, replace_tsi, body);
}

TEST(CatalogRow06, HostileSelectorsInCreateChildSaInstallNothing) {
  ForgedPair pair;
  ASSERT_TRUE(pair.forger);
  const auto net = *pair.a_child("net");
  const auto net2 = *pair.a_child("net2");
  const std::size_t children = pair.net.a.established_children();
  for (const bool replace_tsi : {true, false}) {
    for (const BadTs& bad : hostile_selectors(!replace_tsi)) {
      SCOPED_TRACE(std::string(replace_tsi ? "TSi: " : "TSr: ") + bad.what);
      const auto actions =
          pair.forged_request(ExchangeType::CreateChildSa, new_child_request(replace_tsi, bad.body));
      EXPECT_EQ(count_of<InstallChildSa>(actions), 0u);
      EXPECT_EQ(count_of<InstallTrapPolicy>(actions), 0u);
      EXPECT_EQ(count_of<RemoveChildSa>(actions), 0u);
      expect_refusal(pair.response(actions));
      EXPECT_EQ(pair.net.a.established_children(), children);
      EXPECT_EQ(pair.net.a.ike_sa_count(), 1u);
    }
  }
  EXPECT_EQ(pair.a_child("net2")->inbound_spi, net2.inbound_spi);
  EXPECT_TRUE(pair.net.traffic(pair.net.a, "198.51.100.200", "203.0.113.200"));
  EXPECT_TRUE(pair.net.traffic(pair.net.a, "198.51.100.7", "203.0.113.9"));
  // A still negotiates: it rekeys net2 with its own CREATE_CHILD_SA.
  const auto rekeyed = pair.net.a.count(EventType::ChildSaRekeyed);
  pair.net.a.engine->on_child_sa_soft_limit(net2.id, pair.net.now);
  pair.net.run();
  EXPECT_EQ(pair.net.a.count(EventType::ChildSaRekeyed), rekeyed + 1);
  EXPECT_TRUE(pair.net.traffic(pair.net.a, "198.51.100.200", "203.0.113.200"));
  // Control, last (it leaves A a CHILD SA B does not have): the same request with the genuine
  // selectors is accepted, so the refusals above are the selectors' doing.
  {
    ikev2::TrafficSelector tsi;
    tsi.start = addr("203.0.113.0");
    tsi.end = addr("203.0.113.127");
    const auto good = forge::chain({ikev2::TsInitiatorPayload{{{tsi}}}});
    const auto actions =
        pair.forged_request(ExchangeType::CreateChildSa,
                            new_child_request(true, Bytes(good.bytes.begin() + 4, good.bytes.end())));
    EXPECT_EQ(count_of<InstallChildSa>(actions), 1u);
    EXPECT_NE(ikev2::find_payload<ikev2::SaPayload>(pair.response(actions)), nullptr);
  }
  (void)net;
}

}  // namespace
}  // namespace cygnet::ike::test
