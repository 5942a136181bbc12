// The simulator's own network: routing, loss/duplication/reordering statistics, and exact replay
// from the seed — the scenarios' conclusions are only as good as these.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "sim/network.hpp"
#include "sim/virtual_clock.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

const wire::IpAddress kA = *wire::IpAddress::parse("192.0.2.1");
const wire::IpAddress kB = *wire::IpAddress::parse("192.0.2.2");

Bytes numbered_packet(std::uint32_t n) {
  const Bytes payload = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                         static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  return build_udp_packet(ike::Endpoint{kA, 1000}, ike::Endpoint{kB, 2000}, payload);
}

std::uint32_t number_of(ByteView packet) {
  auto udp = parse_udp_packet(packet);
  EXPECT_TRUE(udp.has_value());
  if (!udp || udp->payload.size() != 4) return ~0u;
  return (std::uint32_t{udp->payload[0]} << 24) | (std::uint32_t{udp->payload[1]} << 16) |
         (std::uint32_t{udp->payload[2]} << 8) | udp->payload[3];
}

// Sends `count` numbered packets A→B, 1 ms apart, and returns the numbers in arrival order.
std::vector<std::uint32_t> transmit(std::uint64_t seed, const LinkConditions& link, std::uint32_t count) {
  Network net(seed);
  net.set_link(kA, kB, link);
  std::vector<std::uint32_t> arrived;
  net.attach(wire::IpPrefix{kB, 32}, [&](ByteView p, TimePoint) { arrived.push_back(number_of(p)); });
  TimePoint now = kEpoch;
  for (std::uint32_t i = 0; i < count; ++i) {
    net.send(numbered_packet(i), now);
    now += 1ms;
    net.deliver_due(now);
  }
  while (auto next = net.next_delivery()) net.deliver_due(*next);
  return arrived;
}

TEST(SimNetwork, UdpPacketsRoundTripInBothFamilies) {
  const Bytes payload = {1, 2, 3, 4, 5};
  for (const char* text : {"192.0.2.1", "2001:db8::1"}) {
    const auto src = *wire::IpAddress::parse(text);
    const auto dst = *wire::IpAddress::parse(src.is_v4() ? "192.0.2.2" : "2001:db8::2");
    const Bytes packet = build_udp_packet(ike::Endpoint{src, 500}, ike::Endpoint{dst, 4500}, payload);
    auto udp = parse_udp_packet(packet);
    ASSERT_TRUE(udp.has_value()) << text;
    EXPECT_EQ(udp->source, (ike::Endpoint{src, 500}));
    EXPECT_EQ(udp->destination, (ike::Endpoint{dst, 4500}));
    EXPECT_EQ(Bytes(udp->payload.begin(), udp->payload.end()), payload);
  }
}

TEST(SimNetwork, CleanLinkDeliversInOrderAfterTheDelay) {
  Network net(1);
  std::vector<TimePoint> arrivals;
  net.attach(wire::IpPrefix{kB, 32}, [&](ByteView, TimePoint t) { arrivals.push_back(t); });
  net.set_link(kA, kB, LinkConditions{0.0, 0.0, 7ms, 0ms});
  net.send(numbered_packet(0), kEpoch);
  EXPECT_EQ(net.next_delivery(), kEpoch + 7ms);
  net.deliver_due(kEpoch + 6ms);
  EXPECT_TRUE(arrivals.empty());
  net.deliver_due(kEpoch + 7ms);
  EXPECT_EQ(arrivals, std::vector<TimePoint>{kEpoch + 7ms});
  const auto order = transmit(2, LinkConditions{}, 100);
  ASSERT_EQ(order.size(), 100u);
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(SimNetwork, LossDuplicationAndJitterHaveTheConfiguredEffect) {
  const auto lossy = transmit(3, LinkConditions{0.3, 0.0, 5ms, 0ms}, 10000);
  EXPECT_GT(lossy.size(), 6500u);
  EXPECT_LT(lossy.size(), 7500u);
  const auto duplicated = transmit(4, LinkConditions{0.0, 0.2, 5ms, 0ms}, 10000);
  EXPECT_GT(duplicated.size(), 11500u);
  EXPECT_LT(duplicated.size(), 12500u);
  const auto jittery = transmit(5, LinkConditions{0.0, 0.0, 5ms, 20ms}, 1000);
  ASSERT_EQ(jittery.size(), 1000u);
  std::size_t overtaken = 0;
  for (std::size_t i = 1; i < jittery.size(); ++i) overtaken += jittery[i] < jittery[i - 1] ? 1 : 0;
  EXPECT_GT(overtaken, 100u);
}

TEST(SimNetwork, SameSeedReplaysExactlyAndOtherSeedsDiffer) {
  const LinkConditions link{0.2, 0.1, 5ms, 10ms};
  EXPECT_EQ(transmit(42, link, 2000), transmit(42, link, 2000));
  EXPECT_NE(transmit(42, link, 2000), transmit(43, link, 2000));
}

TEST(SimNetwork, LongestPrefixWinsAndUnroutablePacketsAreCounted) {
  Network net(1);
  int host = 0;
  int subnet = 0;
  net.attach(*wire::IpPrefix::parse("192.0.2.0/24"), [&](ByteView, TimePoint) { ++subnet; });
  net.attach(wire::IpPrefix{kB, 32}, [&](ByteView, TimePoint) { ++host; });
  net.send(numbered_packet(1), kEpoch);  // to 192.0.2.2
  net.send(build_udp_packet(ike::Endpoint{kB, 1}, ike::Endpoint{kA, 2}, Bytes{1}), kEpoch);
  net.send(build_udp_packet(ike::Endpoint{kA, 1}, ike::Endpoint{*wire::IpAddress::parse("203.0.113.1"), 2}, Bytes{1}),
           kEpoch);
  net.send(Bytes{0x45, 0x00}, kEpoch);  // not a packet
  net.deliver_due(kEpoch + 1s);
  EXPECT_EQ(host, 1);
  EXPECT_EQ(subnet, 1);
  EXPECT_EQ(net.counters().unroutable, 2u);
  EXPECT_EQ(net.counters().delivered, 2u);
}

}  // namespace
}  // namespace cygnet::sim
