// Scenario 5: the link dies; each gateway notices within dpd_delay plus one retransmission
// schedule (PeerDead) and removes the CHILD SAs from its data plane. Scenario 6: a gateway
// restarts with empty state and initiates again; its INITIAL_CONTACT makes the peer drop the
// stale IKE and CHILD SAs, leaving exactly one of each and traffic flowing.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

class DeadPeer : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(DeadPeer, DetectedWithinDpdDelayAndRetransmissions) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ConnectionOptions o;
  o.dpd_delay = 30s;
  o.start_action = ike::StartAction::Start;
  ConnectionOptions r = o;
  r.start_action = ike::StartAction::None;
  const ike::EngineOptions options = default_engine_options();
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), o), psk_connection(site_b(), site_a(), r), options);
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  add_traffic(sim, g, 100ms, sim.now());
  sim.run_for(65s);  // a liveness check or two succeed first
  EXPECT_EQ(g.a->count_events(ike::EventType::PeerDead), 0u) << event_log(g);
  EXPECT_EQ(g.b->count_events(ike::EventType::PeerDead), 0u);

  const TimePoint cut = sim.now();
  sim.network().set_path(site_a().gateway, site_b().gateway, LinkConditions{1.0, 0.0, 5ms, 0ms});
  // The last message may have arrived just before the cut; the check starts at most dpd_delay
  // later and gives up after one retransmission schedule (plus link delay slack).
  const Duration bound = o.dpd_delay + retransmission_budget(options) + 1s;
  ASSERT_TRUE(sim.run_until(
      [&] {
        return g.a->count_events(ike::EventType::PeerDead) > 0 && g.b->count_events(ike::EventType::PeerDead) > 0;
      },
      cut + bound))
      << "no PeerDead within " << std::chrono::duration<double>(bound).count() << " s\n"
      << event_log(g);
  sim.run_for(options.old_sa_grace + 1s);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    auto dead = node->first_event(ike::EventType::PeerDead);
    ASSERT_TRUE(dead.has_value());
    EXPECT_GE(dead->at, cut);
    EXPECT_LE(dead->at - cut, bound);
    EXPECT_EQ(node->data_plane().sad().size(), 0u) << "CHILD SAs still installed\n" << event_log(*node);
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 0u);
    EXPECT_TRUE(node->binding_errors().empty()) << event_log(*node);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DeadPeer, ::testing::Values(51u, 52u, 53u));

class PeerRestart : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(PeerRestart, InitialContactClearsStaleSas) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  // B initiates (and will again after its restart); A only responds.
  ConnectionOptions a_options;
  ConnectionOptions b_options;
  b_options.start_action = ike::StartAction::Start;
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a_options),
                            psk_connection(site_b(), site_a(), b_options));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  FlowPair flows = add_traffic(sim, g, 100ms, sim.now());
  sim.run_for(20s);

  g.b->restart(sim.derive_seed(99), sim.now());
  EXPECT_EQ(g.b->data_plane().sad().size(), 0u);
  ASSERT_TRUE(sim.run_for(
      [&] {
        return g.a->count_events(ike::EventType::ChildSaEstablished) >= 2 &&
               g.b->count_events(ike::EventType::ChildSaEstablished) >= 2;
      },
      10s))
      << event_log(g);
  sim.run_for(5s);  // grace periods of anything removed

  EXPECT_GE(g.a->count_events(ike::EventType::InitialContact), 1u) << event_log(g);
  EXPECT_EQ(g.a->ike_sas(kConnection, sim.now()).size(), 1u) << event_log(g);
  EXPECT_EQ(g.a->child_sas(kConnection, kChild, sim.now()), 1u);
  EXPECT_EQ(g.a->data_plane().sad().size(), 2u) << "stale CHILD SAs left in A's data plane";
  EXPECT_EQ(g.b->ike_sas(kConnection, sim.now()).size(), 1u);
  EXPECT_EQ(g.b->data_plane().sad().size(), 2u);
  EXPECT_TRUE(g.a->binding_errors().empty()) << event_log(g);
  EXPECT_TRUE(g.b->binding_errors().empty()) << event_log(g);

  sim.traffic().reset_counters();
  const NodeCounters a_before = g.a->counters();
  sim.run_for(10s);
  sim.traffic().stop_all();
  sim.run_for(1s);
  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.sent, 100u);
    EXPECT_EQ(c.delivered, c.sent);
    EXPECT_EQ(c.no_sa(), 0u);
  }
  EXPECT_EQ(g.a->counters().inbound_drops[ipsec::DropReason::UnknownSpi],
            a_before.inbound_drops[ipsec::DropReason::UnknownSpi]);
}

INSTANTIATE_TEST_SUITE_P(Seeds, PeerRestart, ::testing::Values(61u, 62u, 63u));

}  // namespace
}  // namespace cygnet::sim
