// Issue 12, hostile networks: a flood of IKE_SA_INIT from many spoofed addresses in 203.0.113.0/24,
// plus a few attacker hosts that really receive at their addresses and so return every COOKIE.
// Cookies stop the spoofed part; the per-source cap stops the cookie-returning hosts from filling
// the half-open table (RFC 8019 §4.4). The legitimate initiator still gets its tunnel.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <string>

#include "sim/scenario.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;
namespace ikev2 = wire::ikev2;

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
  for (const ike::Action& action : engine.take_actions())
    if (const auto* send = std::get_if<ike::SendDatagram>(&action)) return send->payload;
  ADD_FAILURE() << "the initiator engine sent no IKE_SA_INIT";
  return {};
}

class HostileFlood : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(HostileFlood, CookieReturningHostsAreCappedAndTheLegitimatePeerConnects) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  ike::EngineOptions options = default_engine_options();
  options.cookie_threshold = 10;
  options.max_half_open_per_source = 4;
  options.max_half_open = 60;
  ConnectionOptions a;
  ConnectionOptions b;
  b.responder_only = true;  // %any: every flood source matches B's connection
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b),
                            options);

  constexpr std::uint32_t kRealHosts = 5;  // 203.0.113.1..5 receive their replies and return cookies
  const Bytes request = template_request(sim.derive_seed(7));
  std::map<std::uint64_t, Bytes> sent_by_spi;
  std::uint64_t cookies_returned = 0;
  sim.network().attach(*wire::IpPrefix::parse("203.0.113.0/24"), [&](ByteView packet, TimePoint now) {
    const auto udp = parse_udp_packet(packet);
    if (!udp || !udp->source.address.is_v4()) return;
    const std::uint8_t host = udp->destination.address.bytes()[3];
    if (host == 0 || host > kRealHosts) return;  // spoofed: the reply goes nowhere
    auto reply = ikev2::parse_message(udp->payload);
    if (!reply || reply.value->payloads.empty()) return;
    const auto* cookie = std::get_if<ikev2::NotifyPayload>(&reply.value->payloads.front());
    auto original = sent_by_spi.find(reply.value->header.initiator_spi);
    if (!cookie || cookie->type != ikev2::NotifyType::Cookie || original == sent_by_spi.end()) return;
    auto again = ikev2::parse_message(original->second);
    again.value->payloads.insert(again.value->payloads.begin(), *cookie);
    ++cookies_returned;
    sim.network().send(
        build_udp_packet(udp->destination, udp->source, ikev2::serialize_message(*again.value)), now);
  });

  std::mt19937_64 attacker_rng(sim.derive_seed(8));
  constexpr std::size_t kFlood = 600;
  std::size_t peak_half_open = 0;
  for (std::size_t i = 0; i < kFlood; ++i) {
    Bytes forged = request;
    const std::uint64_t spi = attacker_rng() | 1;
    for (int k = 0; k < 8; ++k)
      forged[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(spi >> (56 - 8 * k));
    sent_by_spi[spi] = forged;
    // Every third request from a real host, the rest from spoofed ones.
    const auto host = static_cast<std::uint32_t>(i % 3 == 0 ? 1 + attacker_rng() % kRealHosts
                                                            : kRealHosts + 1 + attacker_rng() % 240);
    const ike::Endpoint source{wire::IpAddress::v4(0xcb007100u | host), 500};
    sim.network().send(build_udp_packet(source, ike::Endpoint{site_b().gateway, 500}, forged), sim.now());
    if (i == kFlood / 3) {
      ASSERT_TRUE(g.a->engine().up(kConnection, sim.now()));
      g.a->drain(sim.now());
    }
    sim.run_for(5ms);
    peak_half_open = std::max<std::size_t>(peak_half_open, g.b->engine().counters().half_open_ike_sas);
  }

  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 30s)) << event_log(g);
  const ike::EngineCounters& c = g.b->engine().counters();
  EXPECT_GT(cookies_returned, 0u);
  // The real hosts hold at most their per-source share; spoofed sources none past the threshold.
  EXPECT_LE(peak_half_open, options.cookie_threshold + kRealHosts * options.max_half_open_per_source + 1);
  EXPECT_GT(c.refusals[ike::RefusalReason::HalfOpenPerSourceCap], 0u);
  EXPECT_GE(c.cookies_sent, kFlood / 2);
  EXPECT_EQ(g.b->established_ike_sas(kConnection, sim.now()), 1u);
  sim.run_for(options.half_open_timeout + 5s);
  EXPECT_EQ(g.b->engine().counters().half_open_ike_sas, 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, HostileFlood, ::testing::Values(121u, 122u));

}  // namespace
}  // namespace cygnet::sim
