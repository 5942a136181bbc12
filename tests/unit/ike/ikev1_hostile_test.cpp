// Hostile networks against the IKEv1 responder (issue 12, CVE-2016-5361): it never retransmits on
// its own, answers a repeated first message a bounded number of times with no more bytes than it
// received, and bounds half-open phase-1 SAs globally and per source before any DH work.
#include <gtest/gtest.h>

#include "ike/v1/ikev1_engine.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::test {
namespace {

ConnectionSettings v1(std::string_view local, std::string_view remote, bool aggressive = false) {
  ConnectionSettings c =
      psk_connection("site", local, remote, "correct horse battery staple", "aes256-sha256-modp2048");
  c.ike_version = 1;
  c.aggressive = aggressive;
  return c;
}

// The first datagram of a genuine IKEv1 initiator (MM1, or AM1), with initiator cookie `cookie`.
Bytes first_message(std::uint64_t cookie, bool aggressive = false) {
  Engine a(with_wall_origin(), seeded_random(7));
  auto c = v1("192.0.2.1", "192.0.2.2", aggressive);
  c.start_action = StartAction::Start;
  EXPECT_TRUE(a.add_connection(c, TimePoint{}));
  for (auto& action : a.take_actions())
    if (auto* d = std::get_if<SendDatagram>(&action)) {
      Bytes m = d->payload;
      for (int i = 0; i < 8; ++i) m[i] = static_cast<std::uint8_t>(cookie >> (56 - 8 * i));
      return m;
    }
  ADD_FAILURE() << "no first message";
  return {};
}

// A responder that accepts any peer (no remote_addrs), Main and Aggressive Mode.
struct Responder {
  explicit Responder(EngineOptions o = {}) : engine(with_wall_origin(o), seeded_random(3)) {
    EXPECT_TRUE(engine.add_connection(v1("192.0.2.2", "", true), now));
    engine.take_actions();
  }
  // Datagram from `from`; B's answers' total size (and their number in `answers`).
  std::size_t feed(ByteView datagram, std::string_view from) {
    engine.on_datagram(Endpoint{addr("192.0.2.2"), 500}, Endpoint{addr(from), 500}, datagram, now);
    return collect();
  }
  std::size_t tick(Duration d) {
    now += d;
    engine.on_timer(now);
    return collect();
  }
  std::size_t collect() {
    std::size_t bytes = 0;
    for (auto& action : engine.take_actions())
      if (auto* d = std::get_if<SendDatagram>(&action)) {
        bytes += d->payload.size();
        ++answers;
      }
    return bytes;
  }
  std::size_t sas() const {
    std::size_t n = 0;
    for (const auto& c : engine.status(now)) n += c.ike_sas.size();
    return n;
  }
  std::uint64_t refused(RefusalReason r) const { return engine.counters().refusals[r]; }
  Engine engine;
  TimePoint now{};
  std::size_t answers = 0;
};

TEST(Ikev1Hostile, OneSpoofedMainModeRequestDrawsExactlyOneReply) {
  for (bool aggressive : {false, true}) {
    SCOPED_TRACE(aggressive ? "Aggressive Mode" : "Main Mode");
    Responder r;
    r.feed(first_message(0xa1, aggressive), "203.0.113.7");
    EXPECT_EQ(r.answers, 1u);
    EXPECT_EQ(r.engine.counters().half_open_ike_sas, 1u);
    // The whole half-open lifetime, in small steps: the responder never sends again by itself.
    const Duration life = EngineOptions{}.half_open_timeout + Seconds(5);
    for (Duration t{}; t < life; t += Milliseconds(250)) r.tick(Milliseconds(250));
    EXPECT_EQ(r.answers, 1u);
    EXPECT_EQ(r.engine.counters().retransmissions, 0u);
    EXPECT_EQ(r.sas(), 0u);  // and the half-open SA is gone
    EXPECT_EQ(r.engine.counters().half_open_ike_sas, 0u);
  }
}

// Bad-input catalog row 12 as written: "answer a duplicate with the cached reply a bounded number
// of times; never more bytes out than in to an unverified source".
TEST(Ikev1Hostile, Row12RepeatedFirstMessageIsAnsweredBoundedAndNeverAmplified) {
  Responder r;
  const Bytes mm1 = first_message(0xb2);
  std::size_t bytes_in = 0, bytes_out = 0;
  for (int i = 0; i < 100; ++i) {
    bytes_in += mm1.size();
    bytes_out += r.feed(mm1, "203.0.113.8");
    if (i == 0) {
      EXPECT_LE(bytes_out, bytes_in) << "the first answer alone is larger than MM1";
    }
  }
  EXPECT_EQ(r.sas(), 1u);
  EXPECT_GE(r.answers, 2u);  // a lost reply is repaired by the initiator's retransmission
  EXPECT_LE(r.answers, 1u + v1::kMaxUnverifiedRepeatAnswers);
  EXPECT_LE(bytes_out, bytes_in);
  EXPECT_EQ(r.engine.counters().duplicate_requests, 99u);
  EXPECT_EQ(r.refused(RefusalReason::RepeatBudget), 100u - r.answers);
}

TEST(Ikev1Hostile, AnswerToABareMainModeRequestIsNoLargerThanIt) {
  Responder r;
  Bytes bare = first_message(0xc3);
  auto parsed = wire::isakmp::parse_message(bare);
  ASSERT_TRUE(parsed);
  std::erase_if(parsed.value->payloads, [](const wire::isakmp::Payload& p) {
    return std::holds_alternative<wire::isakmp::VendorIdPayload>(p);
  });
  bare = wire::isakmp::serialize_message(*parsed.value);
  const std::size_t out = r.feed(bare, "203.0.113.11");
  EXPECT_EQ(r.answers, 1u);
  EXPECT_LE(out, bare.size());
}

TEST(Ikev1Hostile, PerSourceCapRefusesBeforeAnyWork) {
  EngineOptions o;
  o.ikev1_max_half_open_per_source = 4;
  Responder r(o);
  for (std::uint64_t cookie = 1; cookie <= 10; ++cookie) r.feed(first_message(cookie), "203.0.113.9");
  EXPECT_EQ(r.sas(), 4u);
  EXPECT_EQ(r.answers, 4u);
  EXPECT_EQ(r.refused(RefusalReason::HalfOpenPerSourceCap), 6u);
  // Aggressive Mode would need DH for its answer: refused first, no state, no answer.
  r.feed(first_message(99, true), "203.0.113.9");
  EXPECT_EQ(r.sas(), 4u);
  EXPECT_EQ(r.answers, 4u);
  EXPECT_EQ(r.refused(RefusalReason::HalfOpenPerSourceCap), 7u);
  r.feed(first_message(100), "203.0.113.10");  // another source is fine
  EXPECT_EQ(r.sas(), 5u);
}

TEST(Ikev1Hostile, AtTheGlobalCapTheOldestUnverifiedMainModeMakesRoom) {
  EngineOptions o;
  o.ikev1_max_half_open = 3;
  Responder r(o);
  for (std::uint64_t i = 1; i <= 8; ++i) r.feed(first_message(i), "203.0.113." + std::to_string(i));
  EXPECT_EQ(r.sas(), 3u);  // never more than the cap
  EXPECT_EQ(r.answers, 8u);
  EXPECT_EQ(r.refused(RefusalReason::UnverifiedEvicted), 5u);
  EXPECT_EQ(r.refused(RefusalReason::HalfOpenGlobalCap), 0u);
  EXPECT_EQ(r.engine.counters().half_open_ike_sas, 3u);
  // The newest three are kept: a repeat of the first MM1 is a new SA (evicting again), one of the
  // 8th is answered from its cache.
  const auto duplicates = r.engine.counters().duplicate_requests;
  r.feed(first_message(8), "203.0.113.8");
  EXPECT_EQ(r.engine.counters().duplicate_requests, duplicates + 1);
  // Aggressive Mode would need DH work for each newcomer: at the cap it is refused, not admitted.
  r.feed(first_message(77, true), "203.0.113.77");
  EXPECT_EQ(r.refused(RefusalReason::HalfOpenGlobalCap), 1u);
  EXPECT_EQ(r.sas(), 3u);
  r.tick(o.half_open_timeout + Seconds(1));
  EXPECT_EQ(r.sas(), 0u);
  EXPECT_EQ(r.engine.counters().half_open_ike_sas, 0u);
}

TEST(Ikev1Hostile, RealPeerConnectsWhileSpoofedMainModesFillTheTable) {
  EngineOptions b_options;
  b_options.ikev1_max_half_open = 4;
  BackToBack net({}, b_options);
  ASSERT_TRUE(net.b.engine->add_connection(v1("192.0.2.2", ""), net.now));
  auto a = v1("192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  std::uint64_t cookie = 1000;
  auto flood = [&](int n) {
    for (int i = 0; i < n; ++i, ++cookie)
      net.b.engine->on_datagram(Endpoint{addr("192.0.2.2"), 500}, Endpoint{addr("203.0.113.5"), 500},
                                first_message(cookie), net.now);
  };
  flood(10);  // the table is full of spoofed Main Modes before the real peer starts
  // And 3 more arrive within each of its round trips: eviction works while fewer than the cap
  // arrive per round trip (with more, the real SA would be the oldest one before MM3 returns).
  net.drop = [&](const SendDatagram&, bool from_a) {
    if (from_a) flood(3);
    return false;
  };
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_GT(net.b.engine->counters().refusals[RefusalReason::UnverifiedEvicted], 0u);
  EXPECT_LE(net.b.engine->counters().half_open_ike_sas, 4u);
}

TEST(Ikev1Hostile, EstablishedPhaseOneNoLongerCountsAsHalfOpen) {
  BackToBack net;
  auto a = v1("192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.b.engine->add_connection(v1("192.0.2.2", "192.0.2.1"), net.now));
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.engine->counters().half_open_ike_sas, 0u);
  EXPECT_EQ(net.b.engine->counters().retransmissions, 0u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
}

}  // namespace
}  // namespace cygnet::ike::test
