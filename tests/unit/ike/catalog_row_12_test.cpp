// Bad-input catalog row 12 over a long span (CVE-2016-5361, IKEv1 amplification; RFC 7296 §2.1):
// "Spoofed requests that trigger retransmissions to a victim → retransmit only your own requests on
// a back-off timer; answer a duplicate with the cached reply a bounded number of times; never more
// bytes out than in to an unverified source". The same captured requests (IKEv2 IKE_SA_INIT and
// IKE_AUTH, IKEv1 MM1/AM1 and a later Main Mode message) arrive from a spoofed victim address every
// few minutes for six hours of virtual time, with the timers running in between.
#include <gtest/gtest.h>

#include "unit/ike/engine_harness.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike::test {
namespace {

constexpr Seconds kSpan{6 * 3600};
constexpr Seconds kEvery{300};

// A responder under replay: the victim gets only what the replays draw, never timer-driven sends.
struct Replayed {
  Engine& engine;
  TimePoint now{};
  std::size_t bytes_in = 0, bytes_out = 0, answers = 0, unprompted = 0;

  void feed(ByteView request, std::string_view from) {
    bytes_in += request.size();
    engine.on_datagram({addr("192.0.2.2"), 500}, {addr(from), 500}, request, now);
    collect(false);
  }
  // Runs the timers up to now + d; anything sent is unprompted.
  void idle(Duration d) {
    const TimePoint end = now + d;
    for (int i = 0; i < 100000; ++i) {
      auto next = engine.next_deadline();
      if (!next || *next > end) break;
      now = std::max(now, *next);
      engine.on_timer(now);
      collect(true);
    }
    now = end;
    engine.on_timer(now);
    collect(true);
  }
  void collect(bool by_timer) {
    for (auto& action : engine.take_actions())
      if (auto* d = std::get_if<SendDatagram>(&action)) {
        if (by_timer) {
          ++unprompted;
          continue;
        }
        bytes_out += d->payload.size();
        ++answers;
      }
  }
};

Bytes first_request(ConnectionSettings c) {
  Engine a(with_wall_origin(), seeded_random(7));
  c.start_action = StartAction::Start;
  EXPECT_TRUE(a.add_connection(c, TimePoint{}));
  for (auto& action : a.take_actions())
    if (auto* d = std::get_if<SendDatagram>(&action)) return d->payload;
  ADD_FAILURE() << "no first request";
  return {};
}

ConnectionSettings v1(std::string_view local, std::string_view remote, bool aggressive) {
  ConnectionSettings c =
      psk_connection("site", local, remote, "correct horse battery staple", "aes256-sha256-modp2048");
  c.ike_version = 1;
  c.aggressive = aggressive;
  return c;
}

struct Case {
  const char* what;
  Bytes request;
};

TEST(CatalogRow12, FirstMessagesReplayedForSixHoursDrawNoMoreBytesThanTheyBring) {
  const std::vector<Case> cases = {
      {"IKEv2 IKE_SA_INIT", first_request(psk_connection("site", "192.0.2.1", "192.0.2.2"))},
      {"IKEv1 MM1", first_request(v1("192.0.2.1", "192.0.2.2", false))},
      {"IKEv1 AM1", first_request(v1("192.0.2.1", "192.0.2.2", true))},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Engine b(with_wall_origin(), seeded_random(3));
    ConnectionSettings responder =
        c.what[4] == '1' ? v1("192.0.2.2", "", true) : psk_connection("site", "192.0.2.2", "");
    ASSERT_TRUE(b.add_connection(responder, TimePoint{}));
    b.take_actions();
    Replayed r{b};
    std::size_t replays = 0;
    for (Seconds t{0}; t < kSpan; t += kEvery) {
      r.feed(c.request, "203.0.113.66");  // the victim's address
      ++replays;
      r.idle(kEvery);
    }
    EXPECT_EQ(r.unprompted, 0u) << "the responder sent on its own timer";
    EXPECT_EQ(b.counters().retransmissions, 0u);
    EXPECT_GT(r.answers, 0u);
    EXPECT_LE(r.answers, replays);
    if (std::string_view(c.what) == "IKEv1 AM1") {
      // Known gap: AM2 must carry HASH_R and the NAT-D hashes AM1 lacks (RFC 2409 §5, RFC 3947), so
      // each fresh AM1 draws about 1.25 times its size. Aggressive Mode is refused unless a
      // connection opts in (row 15); the bound keeps the ratio from growing unnoticed.
      EXPECT_LE(r.bytes_out * 2, r.bytes_in * 3) << "Aggressive Mode amplification grew";
    } else {
      EXPECT_LE(r.bytes_out, r.bytes_in) << "amplification towards an unverified source";
    }
    // Nothing is left behind by hours of replays: each half-open SA expired.
    std::size_t sas = 0;
    for (const auto& conn : b.status(r.now)) sas += conn.ike_sas.size();
    EXPECT_EQ(sas, 0u);
    EXPECT_EQ(b.counters().half_open_ike_sas, 0u);
  }
}

// Later messages: a genuine exchange runs, then A's captured requests after its first (IKEv2
// IKE_AUTH; IKEv1 MM3, MM5, QM1, QM3) are replayed from a spoofed victim address every five minutes
// for six hours, while A and B keep running (their own rekeys and liveness checks go on).
TEST(CatalogRow12, LaterRequestsReplayedForSixHoursAreAnsweredABoundedNumberOfTimes) {
  for (int version : {2, 1}) {
    SCOPED_TRACE(version);
    BackToBack net;
    auto a =
        version == 2 ? psk_connection("site", "192.0.2.1", "192.0.2.2") : v1("192.0.2.1", "192.0.2.2", false);
    auto b =
        version == 2 ? psk_connection("site", "192.0.2.2", "192.0.2.1") : v1("192.0.2.2", "192.0.2.1", false);
    ASSERT_TRUE(net.b.engine->add_connection(b, net.now));
    a.start_action = StartAction::Start;
    ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
    net.run();
    ASSERT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
    std::vector<Bytes> later;  // A's requests after its first, as captured on the wire
    std::size_t a_sent = 0;
    for (const auto& d : net.wire_log)
      if (d.local.address == addr("192.0.2.1") && a_sent++ > 0) later.push_back(d.payload);
    ASSERT_FALSE(later.empty());
    const wire::IpAddress victim = addr("203.0.113.66");
    bool prompted = false;
    std::size_t bytes_in = 0, bytes_out = 0, answers = 0, unprompted = 0, replays = 0;
    net.drop = [&](const SendDatagram& d, bool) {
      if (d.remote.address != victim) return false;
      if (prompted) {
        bytes_out += d.payload.size();
        ++answers;
      } else {
        ++unprompted;
      }
      return true;
    };
    for (Seconds t{0}; t < kSpan; t += kEvery) {
      prompted = true;
      for (const Bytes& request : later) {
        bytes_in += request.size();
        ++replays;
        net.b.engine->on_datagram({addr("192.0.2.2"), 500}, {victim, 500}, request, net.now);
        net.run();
      }
      prompted = false;
      net.advance(kEvery);
    }
    EXPECT_EQ(unprompted, 0u) << "B sent to the victim on its own timer";
    EXPECT_LE(answers, later.size() * 16) << "answers to copies are bounded";
    EXPECT_LE(bytes_out, bytes_in);
    EXPECT_GT(replays, 50u);
    // The real pair is unharmed: still up after six hours of replays and its own rekeys.
    EXPECT_EQ(net.a.count(EventType::PeerDead), 0u);
    EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  }
}

}  // namespace
}  // namespace cygnet::ike::test
