// Bad input against the IKEv1 engine, one test per row of ../shared/reference/bad-input-catalog.md
// that touches it. Every case must be a counted, explained refusal that leaves existing state
// alone — never a crash, never an SA built from it.
#include <gtest/gtest.h>

#include "ike/v1/ikev1_engine.hpp"
#include "ike/v1/ikev1_proposals.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace isakmp = wire::isakmp;

ConnectionSettings v1(std::string_view local, std::string_view remote) {
  ConnectionSettings c =
      psk_connection("site", local, remote, "correct horse battery staple", "aes256-sha256-modp2048");
  c.ike_version = 1;
  return c;
}

// The first datagram an IKEv1 initiator sends (MM1, or AM1 when aggressive).
Bytes first_message(bool aggressive = false) {
  Engine a(with_wall_origin(), seeded_random(7));
  auto c = v1("192.0.2.1", "192.0.2.2");
  c.aggressive = aggressive;
  c.start_action = StartAction::Start;
  EXPECT_TRUE(a.add_connection(c, TimePoint{}));
  for (auto& action : a.take_actions())
    if (auto* d = std::get_if<SendDatagram>(&action)) return d->payload;
  ADD_FAILURE() << "no first message";
  return {};
}

struct Responder {
  Responder() : engine(with_wall_origin(), seeded_random(3)) {
    auto c = v1("192.0.2.2", "192.0.2.1");
    c.aggressive = true;
    EXPECT_TRUE(engine.add_connection(c, TimePoint{}));
    engine.take_actions();
  }
  std::vector<Action> feed(ByteView datagram) {
    engine.on_datagram(Endpoint{addr("192.0.2.2"), 500}, Endpoint{addr("192.0.2.1"), 500}, datagram,
                       TimePoint{});
    return engine.take_actions();
  }
  std::size_t sas() const {
    std::size_t n = 0;
    for (const auto& c : engine.status(TimePoint{})) n += c.ike_sas.size();
    return n;
  }
  Engine engine;
};

std::size_t sends(const std::vector<Action>& actions) {
  return static_cast<std::size_t>(std::count_if(actions.begin(), actions.end(), [](const Action& a) {
    return std::holds_alternative<SendDatagram>(a);
  }));
}
bool has_event(const std::vector<Action>& actions, EventType t, std::string_view text = "") {
  for (const auto& a : actions)
    if (const auto* e = std::get_if<Event>(&a);
        e && e->type == t && e->detail.find(text) != std::string::npos)
      return true;
  return false;
}

// Row 1: lengths that disagree.
TEST(Ikev1BadInput, Row1LengthFieldsThatDisagreeAreDroppedAndCounted) {
  Responder r;
  Bytes m = first_message();
  Bytes longer = m;
  longer.push_back(0);  // datagram longer than the header says
  auto out = r.feed(longer);
  Bytes truncated(m.begin(), m.end() - 3);
  out = r.feed(truncated);
  Bytes bad_payload = m;
  bad_payload[isakmp::kHeaderLength + 2] = 0xff;  // first payload's length runs past the end
  out = r.feed(bad_payload);
  EXPECT_EQ(r.engine.counters().malformed, 3u);
  EXPECT_EQ(r.sas(), 0u);
  EXPECT_EQ(sends(out), 0u);
}

Bytes rebuilt(ByteView original, const std::function<void(std::vector<isakmp::Payload>&)>& edit) {
  auto m = isakmp::parse_message(original);
  EXPECT_TRUE(m) << (m ? "" : m.failure.detail);
  isakmp::Message msg = *m.value;
  edit(msg.payloads);
  return isakmp::serialize_message(msg);
}

// Row 2: a required payload missing, or one carried twice (CVE-2023-30570 was a KE-less AM1).
TEST(Ikev1BadInput, Row2MissingOrRepeatedPayloadsAreRefusedBeforeAnyHandler) {
  Responder r;
  const Bytes am1 = first_message(true);
  auto out = r.feed(rebuilt(am1, [](auto& p) {
    std::erase_if(p, [](const isakmp::Payload& x) { return std::holds_alternative<isakmp::KePayload>(x); });
  }));
  EXPECT_TRUE(has_event(out, EventType::MalformedMessage, "KE"));
  out = r.feed(rebuilt(am1, [](auto& p) {
    std::erase_if(p, [](const isakmp::Payload& x) { return std::holds_alternative<isakmp::IdPayload>(x); });
  }));
  EXPECT_TRUE(has_event(out, EventType::MalformedMessage, "ID"));
  const Bytes mm1 = first_message(false);
  out = r.feed(rebuilt(mm1, [](auto& p) { p.push_back(p.front()); }));  // two SA payloads
  EXPECT_TRUE(has_event(out, EventType::MalformedMessage, "SA"));
  EXPECT_EQ(r.sas(), 0u);
  EXPECT_EQ(sends(out), 0u);
  // The intact message still works afterwards: nothing was left behind.
  out = r.feed(mm1);
  EXPECT_EQ(r.sas(), 1u);
  EXPECT_EQ(sends(out), 1u);
}

// Row 5: proposals with zero transforms, AES-CBC without a key length, hundreds of transforms.
TEST(Ikev1BadInput, Row5OddProposalsGetNoProposalChosenWithAnExplanation) {
  Responder r;
  const Bytes mm1 = first_message();
  auto out = r.feed(
      rebuilt(mm1, [](auto& p) { std::get<isakmp::SaPayload>(p[0]).proposals[0].transforms.clear(); }));
  EXPECT_TRUE(has_event(out, EventType::NoProposalChosen));
  out = r.feed(rebuilt(mm1, [](auto& p) {
    for (auto& t : std::get<isakmp::SaPayload>(p[0]).proposals[0].transforms)
      std::erase_if(t.attributes, [](const isakmp::Attribute& a) {
        return a.type == static_cast<std::uint16_t>(isakmp::Phase1Attribute::KeyLength);
      });
  }));
  EXPECT_TRUE(has_event(out, EventType::NoProposalChosen));
  EXPECT_EQ(r.sas(), 0u);
  EXPECT_EQ(r.engine.counters().no_proposal_chosen, 2u);
  // The refusal is a plain NO-PROPOSAL-CHOSEN notification, nothing copied from the request.
  ASSERT_EQ(sends(out), 1u);
  for (const auto& a : out)
    if (const auto* d = std::get_if<SendDatagram>(&a)) {
      const auto m = isakmp::parse_message(d->payload);
      ASSERT_TRUE(m);
      const auto* n = isakmp::find_payload<isakmp::NotificationPayload>(m.value->payloads);
      ASSERT_NE(n, nullptr);
      EXPECT_EQ(n->type, isakmp::NotifyType::NoProposalChosen);
      EXPECT_TRUE(n->data.empty());
      EXPECT_LT(d->payload.size(), 64u);  // row 10/12: never more than a small fixed answer
    }
}

// Row 14: RSA-encryption authentication (methods 4 and 5) is not implemented: refused.
TEST(Ikev1BadInput, Row14RsaEncryptionAuthenticationIsRefused) {
  Responder r;
  for (std::uint16_t method : {4, 5}) {
    auto out = r.feed(rebuilt(first_message(), [method](auto& p) {
      for (auto& t : std::get<isakmp::SaPayload>(p[0]).proposals[0].transforms)
        for (auto& a : t.attributes)
          if (a.type == static_cast<std::uint16_t>(isakmp::Phase1Attribute::AuthenticationMethod))
            a.value = method;
    }));
    EXPECT_TRUE(has_event(out, EventType::NoProposalChosen));
  }
  EXPECT_EQ(r.sas(), 0u);
}

// Row 12: a copied first message is answered from the cached reply, a bounded number of times.
TEST(Ikev1BadInput, Row12RepeatedRequestsGetABoundedNumberOfAnswers) {
  Responder r;
  const Bytes mm1 = first_message();
  std::size_t answers = 0;
  for (int i = 0; i < 100; ++i) answers += sends(r.feed(mm1));
  EXPECT_EQ(r.sas(), 1u);
  EXPECT_LE(answers, 1u + v1::kMaxUnverifiedRepeatAnswers);  // the source never returned our cookie
  EXPECT_GE(answers, 2u);
}

// Row 15: Aggressive Mode is refused unless the connection opts in (and then warned about).
TEST(Ikev1BadInput, Row15AggressiveModeWithoutOptInIsRefused) {
  Engine b(with_wall_origin(), seeded_random(3));
  ASSERT_TRUE(b.add_connection(v1("192.0.2.2", "192.0.2.1"), TimePoint{}));
  b.on_datagram(Endpoint{addr("192.0.2.2"), 500}, Endpoint{addr("192.0.2.1"), 500}, first_message(true),
                TimePoint{});
  const auto out = b.take_actions();
  EXPECT_TRUE(has_event(out, EventType::Error, "Aggressive Mode"));
  EXPECT_TRUE(b.status(TimePoint{})[0].ike_sas.empty());
}

// Rows 4 and 11, with a real peer: a KE value that is not a group element, a Quick Mode whose
// ciphertext (and so HASH) was tampered with, a replayed Delete.
TEST(Ikev1BadInput, Row4InvalidKeValueEndsTheExchangeCleanly) {
  BackToBack net;
  net.drop = [](const SendDatagram&, bool) { return false; };
  bool tampered = false;
  auto a = v1("192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.b.engine->add_connection(v1("192.0.2.2", "192.0.2.1"), net.now));
  // Replace A's KE in MM3 with 1 (RFC 6989: never a valid MODP public value).
  net.drop = [&](const SendDatagram& d, bool from_a) {
    if (!from_a || tampered) return false;
    auto m = isakmp::parse_message(d.payload);
    if (!m || m.value->header.encrypted()) return false;
    bool has_ke = false;
    for (auto& p : m.value->payloads)
      if (auto* ke = std::get_if<isakmp::KePayload>(&p)) {
        std::fill(ke->data.begin(), ke->data.end(), 0);
        ke->data.back() = 1;
        has_ke = true;
      }
    if (!has_ke) return false;
    tampered = true;
    net.b.engine->on_datagram(d.remote, d.local, isakmp::serialize_message(*m.value), net.now);
    return true;
  };
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  EXPECT_TRUE(tampered);
  const Event* e = net.b.find(EventType::Error);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("KE"), std::string::npos) << e->detail;
  EXPECT_EQ(net.b.data_plane().sad().size(), 0u);
}

TEST(Ikev1BadInput, Row11TamperedQuickModeAndReplayedDeleteChangeNothing) {
  BackToBack net;
  int quick_modes = 0;
  net.drop = [&](const SendDatagram& d, bool from_a) {
    const auto h = isakmp::parse_header(d.payload);
    if (!from_a || !h || h.value->exchange != isakmp::ExchangeType::QuickMode || ++quick_modes != 1)
      return false;
    Bytes bad = d.payload;
    bad[bad.size() - 20] ^= 0x40;  // inside the encrypted payloads
    net.b.engine->on_datagram(d.remote, d.local, bad, net.now);
    return true;  // the original is lost: A retransmits it
  };
  auto a = v1("192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.b.engine->add_connection(v1("192.0.2.2", "192.0.2.1"), net.now));
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  EXPECT_GE(net.b.engine->counters().malformed, 1u);
  EXPECT_EQ(net.b.data_plane().sad().size(), 0u);  // nothing built from the tampered copy
  net.advance(Seconds(5));                         // the retransmission succeeds
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));

  // A replayed informational (here A's R-U-THERE): its message ID was seen, so it is dropped,
  // counted, and not answered a second time.
  std::vector<SendDatagram> informationals;
  net.drop = [&](const SendDatagram& d, bool from_a) {
    const auto h = isakmp::parse_header(d.payload);
    if (from_a && h && h.value->exchange == isakmp::ExchangeType::Informational) informationals.push_back(d);
    return false;
  };
  net.advance(Seconds(40));  // dpd_delay 30 s: one R-U-THERE, answered
  ASSERT_FALSE(informationals.empty());
  const auto duplicates = net.b.engine->counters().duplicate_requests;
  net.b.engine->on_datagram(informationals[0].remote, informationals[0].local, informationals[0].payload,
                            net.now);
  EXPECT_EQ(net.b.engine->counters().duplicate_requests, duplicates + 1);
  for (const auto& action : net.b.engine->take_actions())
    EXPECT_FALSE(std::holds_alternative<SendDatagram>(action));
  EXPECT_EQ(net.b.data_plane().sad().size(), 2u);
}

}  // namespace
}  // namespace cygnet::ike::test
