// Issue 12: an IKEv1 responder never retransmits on its own (CVE-2016-5361) — every answer it
// sends (MM2, MM4, MM6, AM2, QM2, R-U-THERE-ACK) goes out again only when the same request
// arrives again, at most a bounded number of times — and an ISAKMP SA follows a new peer address
// only on an authenticated message and only when NAT detection showed a NAT in front of the peer.
#include <gtest/gtest.h>

#include "ike/retransmission.hpp"
#include "ike/v1/ikev1_engine.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace isakmp = wire::isakmp;

// ikev1_engine.cpp's cap on answers to copies of an authenticated (or cookie-verified) request.
constexpr std::size_t kMaxDuplicateAnswers = 16;

ConnectionSettings v1(std::string_view local, std::string_view remote, bool aggressive = false) {
  ConnectionSettings c =
      psk_connection("site", local, remote, "correct horse battery staple", "aes256-sha256-modp2048");
  c.ike_version = 1;
  c.aggressive = aggressive;
  c.children[0].proposals = {proposal("aes256gcm16", ProtocolId::Esp)};
  return c;
}

std::optional<isakmp::Header> header_of(const SendDatagram& d) {
  ByteView p = d.payload;
  if (d.local.port == isakmp::kNatTraversalPort) p = p.subspan(4);  // non-ESP marker
  auto h = isakmp::parse_header(p);
  if (!h) return std::nullopt;
  return *h.value;
}

// Strips the non-ESP marker, as the daemon does before on_datagram.
Bytes isakmp_bytes(const SendDatagram& d) {
  ByteView p = d.payload;
  return d.local.port == isakmp::kNatTraversalPort ? Bytes(p.begin() + 4, p.end())
                                                   : Bytes(p.begin(), p.end());
}

enum class Answer { MM2, MM4, MM6, AM2, QM2, RUThereAck };

const char* name(Answer a) {
  switch (a) {
    case Answer::MM2: return "MM2";
    case Answer::MM4: return "MM4";
    case Answer::MM6: return "MM6";
    case Answer::AM2: return "AM2";
    case Answer::QM2: return "QM2";
    case Answer::RUThereAck: return "R-U-THERE-ACK";
  }
  return "?";
}

// B (responder) sends `answer`; the network then loses it and everything after it in both
// directions. What B sends from then on, and the request that `answer` answered.
struct Cut {
  std::size_t sent_by_b_after = 0;
  std::optional<SendDatagram> request;  // A's last datagram before the answer
};

Cut lose_everything_from(Answer answer, BackToBack& net, bool wait_out_horizon = true) {
  Cut cut;
  bool cutting = false;
  std::size_t main_from_b = 0;
  std::optional<SendDatagram> last_from_a;
  net.drop = [&](const SendDatagram& d, bool from_a) {
    if (cutting) {
      if (!from_a) ++cut.sent_by_b_after;
      return true;
    }
    if (from_a) {
      last_from_a = d;
      return false;
    }
    const auto h = header_of(d);
    if (!h) return false;
    bool hit = false;
    switch (answer) {
      case Answer::MM2:
      case Answer::MM4:
      case Answer::MM6:
        if (h->exchange == isakmp::kMainMode)
          hit = ++main_from_b == (answer == Answer::MM2 ? 1u : answer == Answer::MM4 ? 2u : 3u);
        break;
      case Answer::AM2: hit = h->exchange == isakmp::ExchangeType::Aggressive; break;
      case Answer::QM2: hit = h->exchange == isakmp::ExchangeType::QuickMode; break;
      case Answer::RUThereAck: hit = h->exchange == isakmp::ExchangeType::Informational; break;
    }
    if (!hit) return false;
    cutting = true;
    cut.request = last_from_a;
    return true;
  };
  auto a = v1("192.0.2.1", "192.0.2.2", answer == Answer::AM2);
  auto b = v1("192.0.2.2", "192.0.2.1", answer == Answer::AM2);
  // Only A probes (B's own R-U-THEREs would be requests, not answers).
  a.dpd_delay = answer == Answer::RUThereAck ? Seconds(10) : Seconds(0);
  b.dpd_delay = Seconds(0);
  EXPECT_TRUE(net.b.engine->add_connection(b, net.now));
  a.start_action = StartAction::Start;
  EXPECT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  if (answer == Answer::RUThereAck) net.advance(Seconds(15));  // A's R-U-THERE after 10 s of silence
  // The whole half-open and retransmission horizon, and then some.
  const EngineOptions options;
  if (wait_out_horizon) net.advance(options.half_open_timeout + retransmit_total(options) + Seconds(60));
  net.drop = nullptr;
  return cut;
}

TEST(Ikev1ResponderSilence, NoAnswerIsEverSentAgainByTheTimerAlone) {
  for (Answer answer :
       {Answer::MM2, Answer::MM4, Answer::MM6, Answer::AM2, Answer::QM2, Answer::RUThereAck}) {
    SCOPED_TRACE(name(answer));
    BackToBack net;
    const Cut cut = lose_everything_from(answer, net);
    ASSERT_TRUE(cut.request) << "the exchange never reached " << name(answer);
    EXPECT_EQ(cut.sent_by_b_after, 0u);
    // A, the initiator, did retransmit (except for DPD, whose retries are new R-U-THEREs).
    EXPECT_GT(net.a.engine->counters().retransmissions, 0u);
    EXPECT_EQ(net.b.engine->counters().retransmissions, 0u);
  }
}

TEST(Ikev1ResponderSilence, ARepeatedRequestGetsTheCachedAnswerAtMostNTimes) {
  for (Answer answer : {Answer::MM4, Answer::MM6, Answer::QM2}) {
    SCOPED_TRACE(name(answer));
    BackToBack net;
    // Repeats arrive while the exchange is still remembered.
    const Cut cut = lose_everything_from(answer, net, false);
    ASSERT_TRUE(cut.request);
    std::size_t answers = 0;
    Bytes first_answer;
    for (std::size_t i = 0; i < kMaxDuplicateAnswers + 5; ++i) {
      net.b.engine->on_datagram(cut.request->remote, cut.request->local, isakmp_bytes(*cut.request), net.now);
      for (auto& action : net.b.engine->take_actions())
        if (auto* d = std::get_if<SendDatagram>(&action)) {
          ++answers;
          if (first_answer.empty()) first_answer = d->payload;
          EXPECT_EQ(d->payload, first_answer) << "a repeat draws the cached answer, not a new one";
        }
    }
    EXPECT_GE(answers, 1u);
    EXPECT_LE(answers, kMaxDuplicateAnswers);
  }
}

TEST(Ikev1ResponderSilence, RepeatedQm1IsAnsweredFromTheCacheWithinTheExchange) {
  BackToBack net;
  std::optional<SendDatagram> qm1;
  std::size_t qm2_sent = 0;
  net.drop = [&](const SendDatagram& d, bool from_a) {
    const auto h = header_of(d);
    if (!h || h->exchange != isakmp::ExchangeType::QuickMode) return false;
    if (from_a && !qm1) qm1 = d;
    if (!from_a) ++qm2_sent;
    return !from_a;  // every QM2 is lost: A keeps retransmitting QM1
  };
  ASSERT_TRUE(net.b.engine->add_connection(v1("192.0.2.2", "192.0.2.1"), net.now));
  auto a = v1("192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  net.advance(retransmit_total(EngineOptions{}) + Seconds(10));
  ASSERT_TRUE(qm1);
  // One QM2, then one cached copy per retransmitted QM1, never more than A's tries.
  EXPECT_EQ(qm2_sent, 1u + EngineOptions{}.retransmit_tries);
  EXPECT_EQ(net.b.engine->counters().retransmissions, 0u);
  EXPECT_EQ(net.b.engine->counters().duplicate_requests, EngineOptions{}.retransmit_tries);
}

// Establishes A → B (A forcing UDP encapsulation makes B see a NAT in front of A), then delivers
// A's next R-U-THERE to B from `moved` instead of A's address.
struct Moved {
  std::uint64_t refusals_before = 0;
  std::optional<SendDatagram> answer;  // B's R-U-THERE-ACK
};

Moved dpd_from(BackToBack& net, bool peer_behind_nat, const Endpoint& moved, bool corrupt = false) {
  Moved out;
  auto a = v1("192.0.2.1", "192.0.2.2");
  if (peer_behind_nat) a.encapsulation = Encapsulation::ForceUdp;  // B's NAT-D: A is behind a NAT
  a.dpd_delay = Seconds(10);
  auto b = v1("192.0.2.2", "192.0.2.1");
  b.dpd_delay = Seconds(0);
  EXPECT_TRUE(net.b.engine->add_connection(b, net.now));
  a.start_action = StartAction::Start;
  EXPECT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 1u);
  out.refusals_before = net.b.engine->counters().refusals[RefusalReason::AddressChange];
  std::optional<SendDatagram> r_u_there;
  net.drop = [&](const SendDatagram& d, bool from_a) {
    const auto h = header_of(d);
    if (from_a && h && h->exchange == isakmp::ExchangeType::Informational && !r_u_there) {
      r_u_there = d;
      return true;
    }
    return false;
  };
  net.advance(Seconds(11));
  net.drop = nullptr;
  EXPECT_TRUE(r_u_there);
  if (!r_u_there) return out;
  Bytes message = isakmp_bytes(*r_u_there);
  if (corrupt) message.back() ^= 0x01;  // fails decryption or HASH: not from A
  net.b.engine->on_datagram(r_u_there->remote, moved, message, net.now);
  for (auto& action : net.b.engine->take_actions()) {
    if (auto* e = std::get_if<Event>(&action)) net.b.events.push_back(*e);
    if (auto* d = std::get_if<SendDatagram>(&action)) out.answer = *d;
  }
  return out;
}

Endpoint b_sees_a(BackToBack& net) {
  const auto status = net.b.engine->status(net.now);
  EXPECT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].ike_sas.size(), 1u);
  return status.empty() || status[0].ike_sas.empty() ? Endpoint{} : status[0].ike_sas[0].remote;
}

TEST(Ikev1PeerAddress, WithoutANatTheSaStaysAndTheChangeIsCounted) {
  BackToBack net;
  const Endpoint moved{addr("198.51.100.66"), 500};
  const Moved m = dpd_from(net, false, moved);
  EXPECT_EQ(b_sees_a(net), (Endpoint{addr("192.0.2.1"), 500}));
  EXPECT_EQ(net.b.count(EventType::PeerAddressChanged), 0u);
  EXPECT_EQ(net.b.engine->counters().refusals[RefusalReason::AddressChange], m.refusals_before + 1);
  ASSERT_TRUE(m.answer) << "an authenticated R-U-THERE is still answered";
  EXPECT_EQ(m.answer->remote, (Endpoint{addr("192.0.2.1"), 500})) << "at the old address";
}

TEST(Ikev1PeerAddress, BehindANatTheSaFollowsAnAuthenticatedMessage) {
  BackToBack net;
  // The NAT gives A a new mapping.
  const Endpoint moved{addr("192.0.2.1"), 34567};
  const Moved m = dpd_from(net, true, moved);
  EXPECT_EQ(b_sees_a(net), moved);
  ASSERT_EQ(net.b.count(EventType::PeerAddressChanged), 1u);
  EXPECT_NE(net.b.find(EventType::PeerAddressChanged)->detail.find("34567"), std::string::npos);
  EXPECT_EQ(net.b.engine->counters().refusals[RefusalReason::AddressChange], m.refusals_before);
  ASSERT_TRUE(m.answer);
  EXPECT_EQ(m.answer->remote, moved);
}

TEST(Ikev1PeerAddress, BehindANatAMessageThatFailsItsCheckDoesNotMoveTheSa) {
  BackToBack net;
  const Endpoint moved{addr("198.51.100.66"), 4500};
  const Moved m = dpd_from(net, true, moved, true);
  EXPECT_EQ(b_sees_a(net), (Endpoint{addr("192.0.2.1"), 500}));
  EXPECT_EQ(net.b.count(EventType::PeerAddressChanged), 0u);
  EXPECT_FALSE(m.answer);
}

TEST(Ikev1ResponderSilence, ALostQm3LeavesANewPairWorkingWithoutResponderRetransmission) {
  BackToBack net;
  std::size_t quick_mode_from_a = 0;
  net.drop = [&](const SendDatagram& d, bool from_a) {
    const auto h = header_of(d);
    return from_a && h && h->exchange == isakmp::ExchangeType::QuickMode && ++quick_mode_from_a == 2;  // QM3
  };
  auto b = v1("192.0.2.2", "192.0.2.1");
  ASSERT_TRUE(net.b.engine->add_connection(b, net.now));
  auto a = v1("192.0.2.1", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  net.advance(retransmit_total(EngineOptions{}) + Seconds(30));  // past the responder's wait for QM3
  net.drop = nullptr;
  EXPECT_EQ(quick_mode_from_a, 2u);
  EXPECT_EQ(net.b.engine->counters().retransmissions, 0u);
  EXPECT_EQ(net.b.count(EventType::RetransmitGaveUp), 0u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(net.traffic(net.b, "203.0.113.9", "198.51.100.7"));
}

}  // namespace
}  // namespace cygnet::ike::test
