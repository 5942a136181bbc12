// The engine's metrics counters: exchanges by kind and role, failures by reason, the handshake
// latency histogram (from the `now` it is given), half-open IKE SAs, peer address changes.
#include "ike/engine_metrics.hpp"

#include <gtest/gtest.h>

#include "ike/engine.hpp"
#include "unit/ike/engine_harness.hpp"

namespace cygnet::ike::test {
namespace {

void establish(BackToBack& net, ConnectionSettings a, ConnectionSettings b) {
  ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
  net.run();
}

ConnectionSettings site_a() {
  return psk_connection("site", "192.0.2.1", "192.0.2.2");
}
ConnectionSettings site_b() {
  return psk_connection("site", "192.0.2.2", "192.0.2.1");
}

std::size_t bucket_index(double upper_bound) {
  const auto& bounds = LatencyHistogram::kUpperBoundsSeconds;
  for (std::size_t i = 0; i < bounds.size(); ++i)
    if (bounds[i] == upper_bound) return i;
  ADD_FAILURE() << "no bucket " << upper_bound;
  return 0;
}

TEST(LatencyHistogram, BucketsAreUpperBoundsInclusiveAndCumulative) {
  LatencyHistogram h;
  h.observe(Milliseconds{5});     // exactly on the first bound
  h.observe(Milliseconds{6});     // next bucket
  h.observe(Milliseconds{1000});  // exactly 1 s
  h.observe(Seconds{31});         // beyond the last bound: only +Inf
  EXPECT_EQ(h.count, 4u);
  EXPECT_DOUBLE_EQ(h.sum_seconds, 0.005 + 0.006 + 1.0 + 31.0);
  EXPECT_EQ(h.cumulative(bucket_index(0.005)), 1u);
  EXPECT_EQ(h.cumulative(bucket_index(0.01)), 2u);
  EXPECT_EQ(h.cumulative(bucket_index(0.5)), 2u);
  EXPECT_EQ(h.cumulative(bucket_index(1.0)), 3u);
  EXPECT_EQ(h.cumulative(bucket_index(30.0)), 3u);
}

TEST(EngineMetrics, FailureReasonsMapEveryFailureEventAndNothingElse) {
  EXPECT_EQ(failure_reason_of(EventType::NoProposalChosen), FailureReason::NoProposalChosen);
  EXPECT_EQ(failure_reason_of(EventType::TsUnacceptable), FailureReason::TsUnacceptable);
  EXPECT_EQ(failure_reason_of(EventType::AuthenticationFailed), FailureReason::AuthenticationFailed);
  EXPECT_EQ(failure_reason_of(EventType::RetransmitGaveUp), FailureReason::Timeout);
  EXPECT_EQ(failure_reason_of(EventType::PeerDead), FailureReason::PeerDead);
  EXPECT_EQ(failure_reason_of(EventType::MalformedMessage), FailureReason::Malformed);
  EXPECT_EQ(failure_reason_of(EventType::InvalidKeRetry), FailureReason::InvalidKe);
  EXPECT_EQ(failure_reason_of(EventType::Error), FailureReason::Other);
  for (EventType t : {EventType::IkeSaEstablished, EventType::IkeSaRekeyed, EventType::IkeSaDeleted,
                      EventType::ChildSaEstablished, EventType::ChildSaDeleted, EventType::CookieRequested,
                      EventType::PeerAddressChanged, EventType::InitialContact})
    EXPECT_FALSE(failure_reason_of(t).has_value()) << event_type_name(t);
  EXPECT_STREQ(failure_reason_name(FailureReason::AuthenticationFailed), "authentication_failed");
  EXPECT_STREQ(exchange_kind_name(ExchangeKind::CreateChildSa), "CREATE_CHILD_SA");
  EXPECT_STREQ(exchange_role_name(ExchangeRole::Responder), "responder");
}

TEST(EngineMetrics, Ikev2HandshakeCountsExchangesByRoleAndItsLatency) {
  BackToBack net;
  establish(net, site_a(), site_b());
  const EngineCounters& a = net.a.engine->counters();
  const EngineCounters& b = net.b.engine->counters();
  EXPECT_EQ(a.exchanges.get(ExchangeKind::IkeSaInit, ExchangeRole::Initiator), 1u);
  EXPECT_EQ(a.exchanges.get(ExchangeKind::IkeAuth, ExchangeRole::Initiator), 1u);
  EXPECT_EQ(a.exchanges.get(ExchangeKind::IkeSaInit, ExchangeRole::Responder), 0u);
  EXPECT_EQ(b.exchanges.get(ExchangeKind::IkeSaInit, ExchangeRole::Responder), 1u);
  EXPECT_EQ(b.exchanges.get(ExchangeKind::IkeAuth, ExchangeRole::Responder), 1u);
  EXPECT_EQ(b.exchanges.get(ExchangeKind::IkeAuth, ExchangeRole::Initiator), 0u);
  // Delivery is instantaneous in the harness: zero seconds, first bucket.
  EXPECT_EQ(a.handshake_latency.count, 1u);
  EXPECT_EQ(b.handshake_latency.count, 1u);
  EXPECT_EQ(a.handshake_latency.cumulative(0), 1u);
  EXPECT_EQ(a.half_open_ike_sas, 0u);

  // The operator's down is an INFORMATIONAL exchange A initiates and B answers.
  ASSERT_TRUE(net.a.engine->down("site", net.now));
  net.run();
  EXPECT_EQ(net.a.engine->counters().exchanges.get(ExchangeKind::Informational, ExchangeRole::Initiator), 1u);
  EXPECT_EQ(net.b.engine->counters().exchanges.get(ExchangeKind::Informational, ExchangeRole::Responder), 1u);
  EXPECT_EQ(net.a.engine->counters().failures.by_reason, (std::array<std::uint64_t, kFailureReasonCount>{}));
}

TEST(EngineMetrics, LatencyIncludesRetransmissionWaits) {
  BackToBack net;
  bool dropped = false;
  net.drop = [&](const SendDatagram&, bool from_a) {
    if (!from_a || dropped) return false;
    dropped = true;  // the first IKE_SA_INIT is lost; the retransmission 1 s later gets through
    return true;
  };
  establish(net, site_a(), site_b());
  net.advance(Seconds{2});
  const LatencyHistogram& h = net.a.engine->counters().handshake_latency;
  ASSERT_EQ(h.count, 1u);
  EXPECT_GE(h.sum_seconds, 1.0);
  EXPECT_LT(h.sum_seconds, 2.0);
  EXPECT_EQ(h.cumulative(bucket_index(0.5)), 0u);
  EXPECT_EQ(h.cumulative(bucket_index(2.5)), 1u);
  // The responder saw the second copy only: its handshake was instantaneous.
  EXPECT_EQ(net.b.engine->counters().handshake_latency.cumulative(0), 1u);
}

TEST(EngineMetrics, FailuresAreCountedByReason) {
  {
    BackToBack net;
    establish(net, psk_connection("site", "192.0.2.1", "192.0.2.2", "one secret"),
              psk_connection("site", "192.0.2.2", "192.0.2.1", "another secret"));
    EXPECT_GE(net.b.engine->counters().failures.get(FailureReason::AuthenticationFailed), 1u);
    EXPECT_GE(net.a.engine->counters().failures.get(FailureReason::AuthenticationFailed), 1u);
    EXPECT_EQ(net.b.engine->counters().handshake_latency.count, 0u);
  }
  {
    BackToBack net;
    establish(net, psk_connection("site", "192.0.2.1", "192.0.2.2", "k", "aes128gcm16-prfsha256-ecp256"),
              psk_connection("site", "192.0.2.2", "192.0.2.1", "k", "aes256gcm16-prfsha384-x25519"));
    EXPECT_EQ(net.b.engine->counters().failures.get(FailureReason::NoProposalChosen), 1u);
    EXPECT_EQ(net.a.engine->counters().failures.get(FailureReason::NoProposalChosen), 1u);
  }
  {
    BackToBack net;  // the responder never answers: the initiator gives up
    net.drop = [](const SendDatagram&, bool from_a) { return !from_a; };
    establish(net, site_a(), site_b());
    net.advance(Seconds{120});
    EXPECT_EQ(net.a.engine->counters().failures.get(FailureReason::Timeout), 1u);
  }
}

TEST(EngineMetrics, HalfOpenResponderSasAreAGauge) {
  BackToBack net;
  // Only IKE_SA_INIT reaches the responder; IKE_AUTH never does.
  net.drop = [](const SendDatagram& d, bool from_a) {
    const std::size_t marker = d.local.port == 4500 ? 4 : 0;
    return from_a && d.payload.size() > 18 + marker && d.payload[18 + marker] != 34;  // exchange type
  };
  establish(net, site_a(), site_b());
  EXPECT_EQ(net.b.engine->counters().half_open_ike_sas, 1u);
  EXPECT_EQ(net.a.engine->counters().half_open_ike_sas, 0u);  // the initiator's own SA is not half-open
  net.advance(Seconds{60});
  EXPECT_EQ(net.b.engine->counters().half_open_ike_sas, 0u);
}

TEST(EngineMetrics, FloatToPort4500IsAPeerAddressChange) {
  BackToBack net;
  auto a = site_a();
  a.encapsulation = Encapsulation::ForceUdp;
  establish(net, a, site_b());
  const Event* on_a = net.a.find(EventType::PeerAddressChanged);
  ASSERT_NE(on_a, nullptr);
  EXPECT_EQ(on_a->detail, "192.0.2.2[500] -> 192.0.2.2[4500]");
  EXPECT_EQ(on_a->connection, "site");
  EXPECT_TRUE(on_a->ike_sa.has_value());
  const Event* on_b = net.b.find(EventType::PeerAddressChanged);
  ASSERT_NE(on_b, nullptr);
  EXPECT_EQ(on_b->detail, "192.0.2.1[500] -> 192.0.2.1[4500]");
}

TEST(EngineMetrics, Ikev1CountsMainModeQuickModeAndLatency) {
  BackToBack net;
  auto v1 = [](std::string_view local, std::string_view remote) {
    ConnectionSettings c =
        psk_connection("site", local, remote, "correct horse battery staple", "aes256-sha256-modp2048");
    c.ike_version = 1;
    return c;
  };
  establish(net, v1("192.0.2.1", "192.0.2.2"), v1("192.0.2.2", "192.0.2.1"));
  ASSERT_EQ(net.a.count(EventType::ChildSaEstablished), 1u);
  const EngineCounters& a = net.a.engine->counters();
  const EngineCounters& b = net.b.engine->counters();
  EXPECT_EQ(a.exchanges.get(ExchangeKind::MainMode, ExchangeRole::Initiator), 1u);
  EXPECT_EQ(b.exchanges.get(ExchangeKind::MainMode, ExchangeRole::Responder), 1u);
  EXPECT_EQ(a.exchanges.get(ExchangeKind::QuickMode, ExchangeRole::Initiator), 1u);
  EXPECT_EQ(b.exchanges.get(ExchangeKind::QuickMode, ExchangeRole::Responder), 1u);
  EXPECT_EQ(a.exchanges.get(ExchangeKind::IkeSaInit, ExchangeRole::Initiator), 0u);
  EXPECT_EQ(a.handshake_latency.count, 1u);
  EXPECT_EQ(b.handshake_latency.count, 1u);
  EXPECT_EQ(b.half_open_ike_sas, 0u);
}

// One list for the daemon and the gateway core: a failed negotiation (pool exhaustion included)
// drops the packets held for it; progress events do not.
TEST(FailureEvents, FailuresAndProgressAreTold) {
  EXPECT_TRUE(is_failure_event(EventType::AuthenticationFailed));
  EXPECT_TRUE(is_failure_event(EventType::InternalAddressFailure));
  EXPECT_TRUE(is_failure_event(EventType::PeerDead));
  EXPECT_FALSE(is_failure_event(EventType::IkeSaEstablished));
  EXPECT_FALSE(is_failure_event(EventType::MalformedMessage));
}

}  // namespace
}  // namespace cygnet::ike::test
