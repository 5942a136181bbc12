// Scenario 10: an attacker floods the responder with IKE_SA_INIT requests from many addresses in
// 203.0.113.0/24 with random SPIs. Past cookie_threshold half-open SAs the responder answers with
// a COOKIE instead of keeping state (RFC 7296 §2.6), so half-open SAs stay bounded — and a
// legitimate initiator, which returns the cookie, still gets its tunnel.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

// A genuine IKE_SA_INIT request towards B, made by a throwaway initiator engine.
Bytes template_request(std::uint64_t seed) {
  ConnectionOptions o;
  Site attacker{*wire::IpAddress::parse("203.0.113.200"), *wire::IpPrefix::parse("203.0.113.0/24"),
                *wire::IpAddress::parse("203.0.113.201")};
  ike::EngineOptions options = default_engine_options();
  options.steady_origin = kEpoch;
  options.wall_origin = wall_origin();
  ike::Engine engine(options, ike::seeded_random(seed));
  EXPECT_TRUE(engine.add_connection(psk_connection(attacker, site_b(), o), kEpoch));
  EXPECT_TRUE(engine.up(kConnection, kEpoch));
  for (const ike::Action& action : engine.take_actions()) {
    if (const auto* send = std::get_if<ike::SendDatagram>(&action)) return send->payload;
  }
  ADD_FAILURE() << "the initiator engine sent no IKE_SA_INIT";
  return {};
}

std::size_t half_open(const Node& node, TimePoint now) {
  std::size_t n = 0;
  for (const ike::ConnectionStatus& c : node.engine().status(now)) {
    for (const ike::IkeSaStatus& s : c.ike_sas) {
      if (s.state == ike::IkeSaState::Connecting && !s.initiator) ++n;
    }
  }
  return n;
}

class CookieFlood : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(CookieFlood, HalfOpenSasStayBoundedAndLegitimateInitiatorGetsThrough) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ike::EngineOptions options = default_engine_options();
  options.cookie_threshold = 10;
  ConnectionOptions a;  // A initiates by hand once the flood is on
  ConnectionOptions b;
  b.responder_only = true;  // %any: the flood's sources match B's connection like any roaming peer
  Gateways g =
      add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b), options);

  std::uint64_t replies_to_attacker = 0;
  sim.network().attach(*wire::IpPrefix::parse("203.0.113.0/24"),
                       [&](ByteView, TimePoint) { ++replies_to_attacker; });
  const Bytes request = template_request(sim.derive_seed(7));
  ASSERT_GE(request.size(), 28u);
  std::mt19937_64 attacker_rng(sim.derive_seed(8));

  constexpr std::size_t kFlood = 300;
  std::size_t peak_half_open = 0;
  for (std::size_t i = 0; i < kFlood; ++i) {
    Bytes forged = request;
    const std::uint64_t spi = attacker_rng() | 1;  // never zero
    for (int k = 0; k < 8; ++k) forged[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(spi >> (56 - 8 * k));
    const auto host = static_cast<std::uint32_t>(1 + attacker_rng() % 254);
    const ike::Endpoint source{wire::IpAddress::v4(0xcb007100u | host), 500};  // 203.0.113.host
    sim.network().send(build_udp_packet(source, ike::Endpoint{site_b().gateway, 500}, forged), sim.now());
    if (i == kFlood / 3) {
      ASSERT_TRUE(g.a->engine().up(kConnection, sim.now()));
      g.a->drain(sim.now());
    }
    sim.run_for(10ms);
    if (i % 10 == 0) peak_half_open = std::max(peak_half_open, half_open(*g.b, sim.now()));
  }
  peak_half_open = std::max(peak_half_open, half_open(*g.b, sim.now()));

  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 30s)) << event_log(g);
  EXPECT_GE(g.a->count_events(ike::EventType::CookieRequested), 1u) << event_log(g);
  const ike::EngineCounters& c = g.b->engine().counters();
  // Every forged request past the threshold (and A's first try) was answered with a cookie.
  EXPECT_GE(c.cookies_sent, kFlood - options.cookie_threshold) << "cookies sent: " << c.cookies_sent;
  EXPECT_LE(peak_half_open, options.cookie_threshold + 1) << "half-open SAs at the peak";
  EXPECT_GE(replies_to_attacker, kFlood - 1);
  EXPECT_EQ(g.b->established_ike_sas(kConnection, sim.now()), 1u);
  EXPECT_EQ(g.b->data_plane().sad().size(), 2u);
  // The forged half-open SAs expire after half_open_timeout.
  sim.run_for(options.half_open_timeout + 5s);
  EXPECT_EQ(half_open(*g.b, sim.now()), 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, CookieFlood, ::testing::Values(101u, 102u));

}  // namespace
}  // namespace cygnet::sim
