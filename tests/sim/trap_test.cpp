// Scenario 11: a trap connection installs PROTECT policies without SAs; the first matching packet
// is an acquire that starts the negotiation (once, however many packets follow meanwhile), and
// once the tunnel is up later packets are delivered.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

class Trap : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(Trap, FirstPacketTriggersTheTunnel) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  // 30 ms each way: negotiation takes ~120 ms, so ~12 more packets hit the trap meanwhile.
  sim.network().set_default_link(LinkConditions{0.0, 0.0, 30ms, 0ms});
  ConnectionOptions a;
  a.start_action = ike::StartAction::Trap;
  ConnectionOptions b;
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  sim.run_for(1s);
  // Nothing happens before traffic.
  EXPECT_EQ(g.a->counters().ike_datagrams_out, 0u);
  EXPECT_EQ(g.a->data_plane().sad().size(), 0u);
  ASSERT_FALSE(g.a->data_plane().spd().policies().empty()) << "no trap policy installed\n" << event_log(g);

  Flow ab{g.a, g.b, site_a().host, site_b().host, 40000, 9, 10ms, 16};
  const std::size_t flow = sim.traffic().add_flow(ab, sim.now());
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  ASSERT_TRUE(sim.traffic().first_verdict(flow).has_value());
  EXPECT_EQ(sim.traffic().first_verdict(flow)->kind, ipsec::OutboundOutcome::Kind::Acquire);
  EXPECT_GE(sim.traffic().counters(flow).acquires, 2u);  // several packets hit the trap ...
  EXPECT_EQ(g.a->engine().counters().ike_sas_established, 1u);  // ... one negotiation
  EXPECT_EQ(g.a->ike_sas(kConnection, sim.now()).size(), 1u) << event_log(g);
  EXPECT_EQ(g.b->ike_sas(kConnection, sim.now()).size(), 1u);

  // From now on every packet arrives, also in the other direction.
  Flow ba{g.b, g.a, site_b().host, site_a().host, 40001, 9, 10ms, 16};
  const std::size_t back = sim.traffic().add_flow(ba, sim.now());
  sim.run_for(100ms);  // packets that hit the trap are gone, ones already protected arrive
  sim.traffic().reset_counters();
  sim.run_for(5s);
  sim.traffic().stop_all();
  sim.run_for(1s);
  for (std::size_t f : {flow, back}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.sent, 500u);
    EXPECT_EQ(c.delivered, c.sent);
    EXPECT_EQ(c.no_sa(), 0u);
  }
  EXPECT_TRUE(g.a->binding_errors().empty()) << event_log(g);
  EXPECT_TRUE(g.b->binding_errors().empty()) << event_log(g);
}

INSTANTIATE_TEST_SUITE_P(Seeds, Trap, ::testing::Values(111u, 112u, 113u));

}  // namespace
}  // namespace cygnet::sim
