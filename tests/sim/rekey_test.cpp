// Scenario 3: a simulated day of CHILD (20 min) and IKE (1 h) rekeys under continuous traffic —
// no packet may find no SA, none may arrive for an SPI that is gone, and the rekeys happen as
// often as the lifetimes say. Scenario 4: both ends rekey at the same instant (zero jitter); the
// collision (RFC 7296 §2.8.1) must leave exactly one SA pair and traffic flowing.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "sim/ike_capture.hpp"
#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

// Events that must never appear in a healthy long run.
void expect_no_trouble(const Node& node) {
  SCOPED_TRACE(node.name());
  for (ike::EventType bad : {ike::EventType::PeerDead, ike::EventType::RetransmitGaveUp, ike::EventType::Error,
                             ike::EventType::MalformedMessage, ike::EventType::AuthenticationFailed,
                             ike::EventType::NoProposalChosen, ike::EventType::TsUnacceptable}) {
    EXPECT_EQ(node.count_events(bad), 0u) << ike::event_type_name(bad) << "\n" << event_log(node);
  }
  EXPECT_TRUE(node.binding_errors().empty()) << event_log(node);
}

// After the run: one IKE SA with one CHILD SA on each side, and only its two SAs in the SAD.
void expect_single_sa_pair(const Simulation& sim, const Gateways& g) {
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 1u);
    EXPECT_EQ(node->established_ike_sas(kConnection, sim.now()), 1u);
    EXPECT_EQ(node->child_sas(kConnection, kChild, sim.now()), 1u);
    EXPECT_EQ(node->data_plane().sad().size(), 2u);
  }
}

// Every packet sent was delivered exactly once and none found no SA, on either side.
void expect_lossless_traffic(const Simulation& sim, const Gateways& g, const FlowPair& flows,
                             std::uint64_t expected_min_sent) {
  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_GE(c.sent, expected_min_sent);
    EXPECT_EQ(c.acquires, 0u);
    EXPECT_EQ(c.outbound_drops[ipsec::DropReason::NoSa], 0u);
    EXPECT_EQ(c.outbound_drops.total(), 0u) << "e.g. expired: " << c.outbound_drops[ipsec::DropReason::Expired];
    EXPECT_EQ(c.delivered, c.sent);
    EXPECT_EQ(c.duplicates, 0u);
  }
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->counters().inbound_drops[ipsec::DropReason::UnknownSpi], 0u);
    EXPECT_EQ(node->counters().inbound_drops.total(), 0u)
        << "replay " << node->counters().inbound_drops[ipsec::DropReason::Replay] << ", too old "
        << node->counters().inbound_drops[ipsec::DropReason::TooOld] << ", expired "
        << node->counters().inbound_drops[ipsec::DropReason::Expired];
  }
}

struct DayCase {
  std::uint64_t seed;
  bool jittery_link;  // 20 ms + up to 30 ms extra: packets (ESP and IKE) overtake each other
};

class DayOfRekeys : public ::testing::TestWithParam<DayCase> {};

TEST_P(DayOfRekeys, NoPacketFindsNoSa) {
  const DayCase p = GetParam();
  SCOPED_TRACE("seed " + std::to_string(p.seed) + (p.jittery_link ? " jittery link" : " clean link"));
  Simulation sim(p.seed);
  if (p.jittery_link) sim.network().set_default_link(LinkConditions{0.0, 0.0, 20ms, 30ms});
  ConnectionOptions o;
  o.child_lifetime = 20min;
  o.ike_lifetime = 1h;
  o.start_action = ike::StartAction::Start;
  ConnectionOptions r = o;
  r.start_action = ike::StartAction::None;
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), o), psk_connection(site_b(), site_a(), r));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);

  const Duration interval = 100ms;
  FlowPair flows = add_traffic(sim, g, interval, sim.now());
  sim.run_for(24h);
  sim.traffic().stop_all();
  sim.run_for(10s);  // in-flight packets land, old SAs' grace periods end

  expect_lossless_traffic(sim, g, flows, static_cast<std::uint64_t>(24h / interval));
  expect_no_trouble(*g.a);
  expect_no_trouble(*g.b);
  expect_single_sa_pair(sim, g);
  // Rekeys fall at 80–90 % of the lifetime (rekey_jitter 0.1): a day holds 24 h / 18 min = 80 to
  // 24 h / 16 min = 90 CHILD rekeys and 24 h / 54 min = 26.7 to 24 h / 48 min = 30 IKE rekeys.
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_GE(node->count_events(ike::EventType::ChildSaRekeyed), 79u);
    EXPECT_LE(node->count_events(ike::EventType::ChildSaRekeyed), 91u);
    EXPECT_GE(node->count_events(ike::EventType::IkeSaRekeyed), 26u);
    EXPECT_LE(node->count_events(ike::EventType::IkeSaRekeyed), 31u);
    EXPECT_EQ(node->counters().hard_limits, 0u) << "a CHILD SA reached its hard lifetime";
  }
  EXPECT_EQ(g.a->count_events(ike::EventType::ChildSaRekeyed), g.b->count_events(ike::EventType::ChildSaRekeyed));
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaRekeyed), g.b->count_events(ike::EventType::IkeSaRekeyed));
}

INSTANTIATE_TEST_SUITE_P(Seeds, DayOfRekeys,
                         ::testing::Values(DayCase{31, false}, DayCase{32, false}, DayCase{33, true},
                                           DayCase{34, true}),
                         [](const ::testing::TestParamInfo<DayCase>& case_info) {
                           return "seed" + std::to_string(case_info.param.seed) +
                                  (case_info.param.jittery_link ? "_jittery" : "_clean");
                         });

// Rekeys over a poor link (10 % loss, 5 % duplication, reordering): requests and responses get
// retransmitted, Deletes get lost and repeated — still no packet may find no SA or an unknown SPI.
class RekeysUnderLoss : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(RekeysUnderLoss, NoPacketFindsNoSa) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  sim.network().set_default_link(LinkConditions{0.1, 0.05, 20ms, 30ms});
  ike::EngineOptions options = default_engine_options();
  options.retransmit_tries = 8;
  ConnectionOptions o;
  o.child_lifetime = 20min;
  o.ike_lifetime = 1h;
  o.start_action = ike::StartAction::Start;
  ConnectionOptions r = o;
  r.start_action = ike::StartAction::None;
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), o), psk_connection(site_b(), site_a(), r), options);
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 5min)) << event_log(g);
  FlowPair flows = add_traffic(sim, g, 200ms, sim.now());
  sim.run_for(6h);
  sim.traffic().stop_all();
  sim.run_for(30s);

  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.no_sa(), 0u);
    EXPECT_EQ(c.outbound_drops.total(), 0u);
    EXPECT_GT(c.delivered, c.sent * 85 / 100);  // 10 % lost on the link, nothing else
  }
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->counters().inbound_drops[ipsec::DropReason::UnknownSpi], 0u);
    EXPECT_EQ(node->counters().inbound_drops[ipsec::DropReason::Expired], 0u);
    EXPECT_EQ(node->counters().hard_limits, 0u);
    // 6 h / 18 min = 20 to 6 h / 16 min = 22.5 CHILD rekeys; 6 h / 54 min = 6.7 to 6 h / 48 min = 7.5 IKE rekeys.
    EXPECT_GE(node->count_events(ike::EventType::ChildSaRekeyed), 19u) << event_log(*node);
    EXPECT_LE(node->count_events(ike::EventType::ChildSaRekeyed), 24u);
    EXPECT_GE(node->count_events(ike::EventType::IkeSaRekeyed), 6u);
    EXPECT_LE(node->count_events(ike::EventType::IkeSaRekeyed), 8u);
  }
  expect_no_trouble(*g.a);
  expect_no_trouble(*g.b);
  expect_single_sa_pair(sim, g);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RekeysUnderLoss, ::testing::Values(35u, 36u, 37u));

// --- simultaneous rekeys ---------------------------------------------------------------------

enum class Rekeyed { Child, Ike };

struct CollisionCase {
  std::uint64_t seed;
  Rekeyed what;
};

class SimultaneousRekey : public ::testing::TestWithParam<CollisionCase> {};

TEST_P(SimultaneousRekey, LeavesOneSaPairAndTrafficFlows) {
  const CollisionCase p = GetParam();
  SCOPED_TRACE("seed " + std::to_string(p.seed));
  Simulation sim(p.seed);
  IkeCapture capture(sim.network());
  ConnectionOptions o;
  // The rekeyed kind lives 10 min (rekey at exactly 9 min without jitter); the other outlives the run.
  o.child_lifetime = p.what == Rekeyed::Child ? 10min : 24h;
  o.ike_lifetime = p.what == Rekeyed::Ike ? 10min : 24h;
  o.start_action = ike::StartAction::Start;
  ConnectionOptions r = o;
  r.start_action = ike::StartAction::None;
  ike::EngineOptions options = default_engine_options();
  options.rekey_jitter = 0.0;
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), o), psk_connection(site_b(), site_a(), r), options);
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  FlowPair flows = add_traffic(sim, g, 100ms, sim.now());
  sim.run_for(35min);  // rekeys due at 9, 18 and 27 minutes
  sim.traffic().stop_all();
  sim.run_for(10s);

  // Both ends really started a rekey each time: the requests crossed on the wire.
  EXPECT_GE(capture.count_from(site_a().gateway, Exchange::CreateChildSa, false), 3u);
  EXPECT_GE(capture.count_from(site_b().gateway, Exchange::CreateChildSa, false), 3u);
  expect_single_sa_pair(sim, g);
  expect_lossless_traffic(sim, g, flows, static_cast<std::uint64_t>(35min / 100ms));
  expect_no_trouble(*g.a);
  expect_no_trouble(*g.b);
  const ike::EventType rekeyed = p.what == Rekeyed::Child ? ike::EventType::ChildSaRekeyed : ike::EventType::IkeSaRekeyed;
  EXPECT_GE(g.a->count_events(rekeyed), 3u) << event_log(g);
  EXPECT_GE(g.b->count_events(rekeyed), 3u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SimultaneousRekey,
                         ::testing::Values(CollisionCase{41, Rekeyed::Child}, CollisionCase{42, Rekeyed::Child},
                                           CollisionCase{43, Rekeyed::Ike}, CollisionCase{44, Rekeyed::Ike}),
                         [](const ::testing::TestParamInfo<CollisionCase>& case_info) {
                           return std::string(case_info.param.what == Rekeyed::Child ? "child" : "ike") + "_seed" +
                                  std::to_string(case_info.param.seed);
                         });

}  // namespace
}  // namespace cygnet::sim
