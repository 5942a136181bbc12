// Issue 12 ("Races under load"), made deterministic with delays that make each race certain:
//  1. The gateway shuts down (what cygnetd does on SIGTERM) while one of its requests is
//     outstanding — an IKE rekey, a CHILD rekey, a liveness check, with or without the first copy
//     of that request lost. The Delete must still reach the peer (RFC 7296 §2.3: after the
//     outstanding exchange ends) within the daemon's shutdown grace, and the peer must end with no
//     SA at all (after an IKE rekey: neither the old nor the new IKE SA).
//  2. A burst of CHILD rekeys from both ends, crossing on a slow, reordering link (collisions,
//     RFC 7296 §2.8.1) with an IKE rekey in the middle: both ends must end with the same single
//     CHILD SA pair, neither may be without a CHILD SA at any moment, and no packet may be lost.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/ike_capture.hpp"
#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

// How long cygnetd keeps running after SIGTERM for its Deletes to be answered (kShutdownGrace in
// src/daemon/gateway.cpp).
constexpr Duration kShutdownGrace = 3s;

// What cygnetd does on SIGTERM: every connection removed, which brings its IKE SAs down.
void shut_down(Node& node, TimePoint now) {
  for (const std::string& name : node.engine().connection_names()) node.engine().remove_connection(name, now);
  node.drain(now);
}

std::size_t children_of_connection(const Node& node, TimePoint now) {
  std::size_t n = 0;
  for (const ike::IkeSaStatus& sa : node.ike_sas(kConnection, now)) n += sa.children.size();
  return n;
}

// --- 1. shutdown with a request outstanding -----------------------------------------------------

enum class Outstanding { IkeRekey, ChildRekey, Liveness };

struct ShutdownCase {
  Outstanding what;
  bool first_copy_lost;  // the outstanding request's first transmission never arrives
};

std::string case_name(const ShutdownCase& c) {
  const char* what = c.what == Outstanding::IkeRekey     ? "ike_rekey"
                     : c.what == Outstanding::ChildRekey ? "child_rekey"
                                                         : "liveness";
  return std::string(what) + (c.first_copy_lost ? "_first_copy_lost" : "_delivered");
}

void PrintTo(const ShutdownCase& c, std::ostream* os) {
  *os << case_name(c);
}

class ShutdownWithRequestOutstanding : public ::testing::TestWithParam<ShutdownCase> {};

TEST_P(ShutdownWithRequestOutstanding, DeleteReachesThePeer) {
  const ShutdownCase p = GetParam();
  Simulation sim(1201);
  IkeCapture capture(sim.network());
  // 100 ms each way: the request stays outstanding for 200 ms (1.2 s when its first copy is lost).
  const LinkConditions slow{0.0, 0.0, 100ms, 0ms};
  sim.network().set_default_link(slow);
  ConnectionOptions a;
  a.start_action = ike::StartAction::Start;
  a.ike_lifetime = p.what == Outstanding::IkeRekey ? 100s : 24h;  // rekey at 90 s (no jitter)
  a.child_lifetime = p.what == Outstanding::ChildRekey ? 100s : 24h;
  a.dpd_delay = p.what == Outstanding::Liveness ? 20s : 0s;
  ConnectionOptions b;
  b.ike_lifetime = 24h;
  b.child_lifetime = 24h;
  b.dpd_delay = 0s;
  ike::EngineOptions options = default_engine_options();
  options.rekey_jitter = 0.0;
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b),
                            options);
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);

  // Wait until A sends the request (its first copy lost on the way if asked), then shut A down.
  const Exchange exchange =
      p.what == Outstanding::Liveness ? Exchange::Informational : Exchange::CreateChildSa;
  const std::size_t before = capture.count_from(site_a().gateway, exchange, false);
  if (p.first_copy_lost)
    sim.network().set_link(site_a().gateway, site_b().gateway, LinkConditions{1.0, 0.0, 100ms, 0ms});
  ASSERT_TRUE(
      sim.run_for([&] { return capture.count_from(site_a().gateway, exchange, false) > before; }, 2min))
      << event_log(g);
  sim.network().set_link(site_a().gateway, site_b().gateway, slow);
  const std::size_t b_ike_sas = g.b->ike_sas(kConnection, sim.now()).size();
  shut_down(*g.a, sim.now());

  sim.run_for(kShutdownGrace);
  EXPECT_FALSE(g.a->engine().has_ike_sas()) << "A's Deletes were not all answered within the grace\n"
                                            << event_log(g);
  EXPECT_TRUE(g.b->ike_sas(kConnection, sim.now()).empty())
      << "B still holds an IKE SA after A's shutdown (it had " << b_ike_sas << ")\n"
      << event_log(g);
  EXPECT_EQ(g.b->data_plane().sad().size(), 0u) << event_log(g);
  EXPECT_GE(g.b->count_events(ike::EventType::IkeSaDeleted), 1u) << event_log(g);
  // The outstanding exchange was finished, not abandoned: B answered it.
  EXPECT_GE(capture.count_from(site_b().gateway, exchange, true), 1u);
  for (const Node* node : {g.a, g.b}) EXPECT_TRUE(node->binding_errors().empty()) << event_log(*node);
}

INSTANTIATE_TEST_SUITE_P(
    Requests, ShutdownWithRequestOutstanding,
    ::testing::Values(ShutdownCase{Outstanding::IkeRekey, false}, ShutdownCase{Outstanding::IkeRekey, true},
                      ShutdownCase{Outstanding::ChildRekey, false},
                      ShutdownCase{Outstanding::ChildRekey, true}, ShutdownCase{Outstanding::Liveness, false},
                      ShutdownCase{Outstanding::Liveness, true}),
    [](const ::testing::TestParamInfo<ShutdownCase>& case_info) { return case_name(case_info.param); });

// IKEv1 has no request window: its Deletes are one-shot Informationals. After a phase-1 rekey
// (the IPsec SA outlives the ISAKMP SA that made it), shutting down must still name every IPsec
// SA and every ISAKMP SA in a Delete the peer accepts: the peer ends with nothing.
TEST(ShutdownAfterIkev1Phase1Rekey, PeerEndsWithNoSa) {
  Simulation sim(1221);
  ConnectionOptions a;
  a.ike_version = 1;
  a.ike_proposal = "aes256-sha256-modp2048";
  a.start_action = ike::StartAction::Start;
  a.ike_lifetime = 10min;  // phase 1 rekeyed at 8–9 min
  a.child_lifetime = 1h;
  ConnectionOptions b = a;
  b.start_action = ike::StartAction::None;
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 30s)) << event_log(g);
  ASSERT_TRUE(sim.run_for([&] { return g.a->count_events(ike::EventType::IkeSaRekeyed) > 0; }, 10min))
      << event_log(g);
  sim.run_for(1s);
  ASSERT_EQ(g.b->data_plane().sad().size(), 2u) << event_log(g);
  shut_down(*g.a, sim.now());
  sim.run_for(kShutdownGrace);
  EXPECT_FALSE(g.a->engine().has_ike_sas());
  EXPECT_TRUE(g.b->ike_sas(kConnection, sim.now()).empty()) << event_log(g);
  EXPECT_EQ(g.b->data_plane().sad().size(), 0u) << event_log(g);
  EXPECT_GE(g.b->count_events(ike::EventType::ChildSaDeleted), 1u) << event_log(g);
}

// --- 2. a burst of CHILD rekeys from both ends --------------------------------------------------

// The SPI pairs a node holds for the connection, as (inbound, outbound).
std::vector<std::pair<std::uint32_t, std::uint32_t>> spi_pairs(const Node& node, TimePoint now) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const ike::IkeSaStatus& sa : node.ike_sas(kConnection, now))
    for (const ike::ChildSaStatus& c : sa.children) out.emplace_back(c.inbound_spi, c.outbound_spi);
  std::sort(out.begin(), out.end());
  return out;
}

// Both ends hold exactly one CHILD SA pair, and it is the same pair seen from either side.
bool agree_on_one_pair(const Gateways& g, TimePoint now) {
  const auto a = spi_pairs(*g.a, now);
  const auto b = spi_pairs(*g.b, now);
  return a.size() == 1 && b.size() == 1 && a[0].first == b[0].second && a[0].second == b[0].first;
}

// Asks a node to rekey its current CHILD SA now, as a soft lifetime limit in the data plane does.
void rekey_children(Node& node, TimePoint now) {
  for (const ike::IkeSaStatus& sa : node.ike_sas(kConnection, now))
    for (const ike::ChildSaStatus& c : sa.children) node.engine().on_child_sa_soft_limit(c.id, now);
  node.drain(now);
}

class ChildRekeyBurst : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ChildRekeyBurst, BothEndsAgreeOnTheCurrentChildSa) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  IkeCapture capture(sim.network());
  // 40 ms + up to 80 ms: requests cross, and responses, Deletes and ESP overtake each other.
  sim.network().set_default_link(LinkConditions{0.0, 0.0, 40ms, 80ms});
  ConnectionOptions a;
  a.start_action = ike::StartAction::Start;
  a.ike_lifetime = 60s;  // A rekeys the IKE SA at 54 s, in the middle of the burst
  a.child_lifetime = 24h;
  ConnectionOptions b;
  b.ike_lifetime = 24h;
  b.child_lifetime = 24h;
  ike::EngineOptions options = default_engine_options();
  options.rekey_jitter = 0.0;
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b),
                            options);
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  const TimePoint up = sim.now();
  FlowPair flows = add_traffic(sim, g, 20ms, up);

  // 14 rounds 1.5 s apart from 45 s on: A asks for a CHILD rekey, B for one of its own after a
  // lag from "the same instant" (a sure collision) to "after A's exchange has ended".
  const std::vector<Duration> lags = {0ms, 5ms, 30ms, 80ms, 150ms, 400ms, 900ms};
  std::size_t never_without_child_a = 0, never_without_child_b = 0, samples = 0;
  auto sample_until = [&](TimePoint until) {
    while (sim.now() + 50ms <= until) {
      sim.run_for(50ms);
      ++samples;
      if (children_of_connection(*g.a, sim.now()) >= 1) ++never_without_child_a;
      if (children_of_connection(*g.b, sim.now()) >= 1) ++never_without_child_b;
    }
    sim.run_until(until);
  };
  for (std::size_t round = 0; round < 14; ++round) {
    const TimePoint at = up + 45s + round * 1500ms;
    sample_until(at);
    rekey_children(*g.a, sim.now());
    sample_until(at + lags[round % lags.size()]);
    rekey_children(*g.b, sim.now());
  }
  sample_until(sim.now() + 10s);
  sim.traffic().stop_all();
  sim.run_for(5s);  // in-flight packets land, old SAs' grace periods end

  EXPECT_TRUE(agree_on_one_pair(g, sim.now())) << event_log(g);
  EXPECT_EQ(never_without_child_a, samples) << "A was without a CHILD SA at some moment\n" << event_log(g);
  EXPECT_EQ(never_without_child_b, samples) << "B was without a CHILD SA at some moment\n" << event_log(g);
  for (const Node* node : {g.a, g.b}) {
    SCOPED_TRACE(node->name());
    EXPECT_EQ(node->ike_sas(kConnection, sim.now()).size(), 1u) << event_log(g);
    EXPECT_EQ(node->data_plane().sad().size(), 2u);
    EXPECT_GE(node->count_events(ike::EventType::ChildSaRekeyed), 14u);
    EXPECT_EQ(node->count_events(ike::EventType::IkeSaRekeyed), 1u);
    EXPECT_EQ(node->counters().hard_limits, 0u);
    EXPECT_EQ(node->counters().inbound_drops[ipsec::DropReason::UnknownSpi], 0u) << event_log(g);
    EXPECT_TRUE(node->binding_errors().empty()) << event_log(*node);
    for (ike::EventType bad : {ike::EventType::PeerDead, ike::EventType::RetransmitGaveUp,
                               ike::EventType::Error, ike::EventType::MalformedMessage})
      EXPECT_EQ(node->count_events(bad), 0u) << ike::event_type_name(bad) << "\n" << event_log(*node);
  }
  // Both ends really rekeyed: 14 requests each at least.
  EXPECT_GE(capture.count_from(site_a().gateway, Exchange::CreateChildSa, false), 14u);
  EXPECT_GE(capture.count_from(site_b().gateway, Exchange::CreateChildSa, false), 14u);
  for (std::size_t f : {flows.a_to_b, flows.b_to_a}) {
    SCOPED_TRACE("flow " + std::to_string(f));
    const FlowCounters& c = sim.traffic().counters(f);
    EXPECT_EQ(c.no_sa(), 0u);
    EXPECT_EQ(c.outbound_drops.total(), 0u);
    EXPECT_EQ(c.delivered, c.sent);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ChildRekeyBurst, ::testing::Values(1211u, 1212u, 1213u));

}  // namespace
}  // namespace cygnet::sim
