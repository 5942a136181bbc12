// MOBIKE (RFC 4555) in the simulator: gateway A is a client that changes networks in the middle of
// a traffic run. Its IKE SA announces the new address (UPDATE_SA_ADDRESSES), B checks return
// routability and moves the CHILD SA: no new IKE SA, the same SPIs, and traffic continues both
// ways, with only the packets in flight during the move lost.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

class ClientMoves : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ClientMoves, MidTrafficWithoutANewIkeSa) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  const wire::IpAddress moved = *wire::IpAddress::parse("192.0.2.77");
  ConnectionOptions o;
  o.start_action = ike::StartAction::Start;
  ConnectionOptions r;
  r.responder_only = true;  // B takes A from any address
  ike::ConnectionSettings a = psk_connection(site_a(), site_b(), o);
  a.local_addrs.push_back(moved);  // the address A may move to
  Gateways g = add_gateways(sim, a, psk_connection(site_b(), site_a(), r));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  const FlowPair flows = add_traffic(sim, g, 50ms, sim.now());
  sim.run_for(5s);

  const auto before = g.b->ike_sas(kConnection, sim.now());
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(before.front().children.size(), 1u);
  EXPECT_TRUE(before.front().mobike);
  const std::uint64_t delivered_ab = sim.traffic().counters(flows.a_to_b).delivered;
  const std::uint64_t delivered_ba = sim.traffic().counters(flows.b_to_a).delivered;
  EXPECT_GT(delivered_ab, 80u);

  g.a->move_to(moved, sim.now());
  sim.run_for(10s);

  const auto after = g.b->ike_sas(kConnection, sim.now());
  ASSERT_EQ(after.size(), 1u) << event_log(g);
  EXPECT_EQ(after.front().remote.address, moved) << event_log(g);
  EXPECT_EQ(after.front().initiator_spi, before.front().initiator_spi);
  EXPECT_EQ(after.front().responder_spi, before.front().responder_spi);
  ASSERT_EQ(after.front().children.size(), 1u);
  EXPECT_EQ(after.front().children.front().inbound_spi, before.front().children.front().inbound_spi);
  EXPECT_EQ(after.front().children.front().outbound_spi, before.front().children.front().outbound_spi);
  EXPECT_EQ(g.a->count_events(ike::EventType::IkeSaEstablished), 1u) << event_log(g);
  EXPECT_EQ(g.b->count_events(ike::EventType::IkeSaEstablished), 1u);
  std::size_t mobike_moves = 0;
  for (const RecordedEvent& e : g.b->events_of(ike::EventType::PeerAddressChanged))
    if (e.event.detail.find("MOBIKE update") != std::string::npos) ++mobike_moves;
  EXPECT_EQ(mobike_moves, 1u) << event_log(g);

  // 10 s at 20 packets/s each way after the move: all but the few in flight while it happened.
  const std::uint64_t after_ab = sim.traffic().counters(flows.a_to_b).delivered - delivered_ab;
  const std::uint64_t after_ba = sim.traffic().counters(flows.b_to_a).delivered - delivered_ba;
  EXPECT_GE(after_ab, 190u) << event_log(g);
  EXPECT_GE(after_ba, 190u) << event_log(g);
  EXPECT_EQ(sim.traffic().counters(flows.a_to_b).duplicates, 0u);
  EXPECT_TRUE(g.a->binding_errors().empty()) << event_log(*g.a);
  EXPECT_TRUE(g.b->binding_errors().empty()) << event_log(*g.b);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ClientMoves, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace cygnet::sim
