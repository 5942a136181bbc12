// The indexed SPD against a straightforward reference: thousands of random policies (overlapping
// prefixes and ranges, both families, protocols, ports, tied priorities, every action) added and
// removed at random, and after every change random packets looked up both ways. The reference keeps
// no order and no index: it scans every policy and keeps the matching one with the smallest
// (priority, insertion) — RFC 4301 §4.4.1 "ordered, first match wins" restated independently.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "ipsec/spd.hpp"

namespace cygnet::ipsec {
namespace {

using wire::IpAddress;
using wire::IpFamily;
using wire::IpPacketInfo;
namespace ip_protocol = wire::ip_protocol;

class ReferenceSpd {
 public:
  void add(PolicyId id, const Policy& policy) {
    entries_.push_back(Entry{policy.priority, next_sequence_++, id, policy.selector});
  }
  void remove(PolicyId id) {
    std::erase_if(entries_, [id](const Entry& e) { return e.id == id; });
  }
  std::optional<PolicyId> lookup(const IpPacketInfo& packet, bool outbound) const {
    const Entry* best = nullptr;
    for (const Entry& e : entries_) {
      const bool matches =
          outbound ? e.selector.matches_outbound(packet) : e.selector.matches_inbound(packet);
      if (matches &&
          (best == nullptr || std::tie(e.priority, e.sequence) < std::tie(best->priority, best->sequence)))
        best = &e;
    }
    return best ? std::optional<PolicyId>(best->id) : std::nullopt;
  }
  std::vector<PolicyId> order() const {
    std::vector<Entry> sorted = entries_;
    std::sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.priority, a.sequence) < std::tie(b.priority, b.sequence);
    });
    std::vector<PolicyId> ids;
    for (const Entry& e : sorted) ids.push_back(e.id);
    return ids;
  }
  std::vector<PolicyId> ids() const {
    std::vector<PolicyId> out;
    for (const Entry& e : entries_) out.push_back(e.id);
    return out;
  }

 private:
  struct Entry {
    std::uint32_t priority;
    std::uint64_t sequence;
    PolicyId id;
    Selector selector;
  };
  std::uint64_t next_sequence_ = 0;
  std::vector<Entry> entries_;
};

// Random selectors and packets drawn from small address pools, so that policies overlap a lot.
class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }

  IpAddress address(IpFamily family) {
    if (family == IpFamily::V4) {
      static constexpr std::array<std::array<std::uint8_t, 3>, 3> kNetworks = {
          {{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}};
      const auto& net = kNetworks[below(kNetworks.size())];
      const std::array<std::uint8_t, 4> bytes = {net[0], net[1], net[2],
                                                 static_cast<std::uint8_t>(below(40))};
      return IpAddress::v4(ByteView(bytes.data(), bytes.size()));
    }
    std::array<std::uint8_t, 16> bytes = {0x20, 0x01, 0x0d, 0xb8};
    bytes[5] = static_cast<std::uint8_t>(below(4));    // 2001:db8:N::
    bytes[15] = static_cast<std::uint8_t>(below(24));  // ...::M
    return IpAddress::v6(ByteView(bytes.data(), bytes.size()));
  }

  AddressRange range(IpFamily family) {
    if (chance(12)) {  // a range that is not a prefix (sometimes even empty: first > last)
      const IpAddress a = address(family);
      const IpAddress b = address(family);
      if (chance(90)) return AddressRange{std::min(a, b), std::max(a, b)};
      return AddressRange{std::max(a, b), std::min(a, b)};
    }
    static constexpr std::array<std::uint8_t, 9> kV4Lengths = {0, 8, 16, 23, 24, 27, 30, 31, 32};
    static constexpr std::array<std::uint8_t, 8> kV6Lengths = {0, 32, 48, 56, 64, 120, 125, 128};
    wire::IpPrefix prefix;
    prefix.address = address(family);
    prefix.length =
        family == IpFamily::V4 ? kV4Lengths[below(kV4Lengths.size())] : kV6Lengths[below(kV6Lengths.size())];
    return AddressRange::from_prefix(prefix);
  }

  PortRange ports() {
    static constexpr std::array<std::uint16_t, 5> kPorts = {53, 80, 443, 500, 1000};
    if (chance(60)) return PortRange{};
    const std::uint16_t a = kPorts[below(kPorts.size())];
    if (chance(50)) return PortRange{a, a};
    const std::uint16_t b = kPorts[below(kPorts.size())];
    return PortRange{std::min(a, b), std::max(a, b)};
  }

  Policy policy() {
    Policy p;
    const IpFamily family = chance(75) ? IpFamily::V4 : IpFamily::V6;
    p.selector.local = range(family);
    // Now and then a selector whose sides are of different families: it can match nothing real.
    p.selector.remote = range(chance(3) ? other(family) : family);
    static constexpr std::array<std::uint8_t, 4> kProtocols = {ip_protocol::kTcp, ip_protocol::kUdp,
                                                               ip_protocol::kIcmp, ip_protocol::kIcmpv6};
    p.selector.protocol = chance(50) ? 0 : kProtocols[below(kProtocols.size())];
    p.selector.local_ports = ports();
    p.selector.remote_ports = ports();
    p.priority = static_cast<std::uint32_t>(below(5));  // many ties: insertion order must decide
    p.action = static_cast<PolicyAction>(below(3));
    return p;
  }

  IpPacketInfo packet() {
    IpPacketInfo p;
    p.family = chance(75) ? IpFamily::V4 : IpFamily::V6;
    p.source = address(p.family);
    p.destination = address(chance(2) ? other(p.family) : p.family);
    static constexpr std::array<std::uint8_t, 5> kProtocols = {
        ip_protocol::kTcp, ip_protocol::kUdp, ip_protocol::kIcmp, ip_protocol::kIcmpv6, ip_protocol::kEsp};
    p.protocol = kProtocols[below(kProtocols.size())];
    static constexpr std::array<std::uint16_t, 6> kPorts = {53, 80, 443, 500, 1000, 7};
    p.source_port = kPorts[below(kPorts.size())];
    p.destination_port = kPorts[below(kPorts.size())];
    p.is_fragment = chance(5);
    return p;
  }

 private:
  static IpFamily other(IpFamily f) { return f == IpFamily::V4 ? IpFamily::V6 : IpFamily::V4; }
  std::mt19937 rng_;
};

std::optional<PolicyId> id_of(const Policy* p) {
  return p ? std::optional<PolicyId>(p->id) : std::nullopt;
}

std::vector<PolicyId> order_of(const Spd& spd) {
  std::vector<PolicyId> ids;
  for (const Policy& p : spd.policies()) ids.push_back(p.id);
  return ids;
}

struct Totals {
  std::size_t lookups = 0;
  std::size_t matched = 0;
};

// Compares both SPDs on `count` random packets, in both directions; returns false at the first
// disagreement (after reporting it).
bool agree_on_packets(Generator& gen, const Spd& spd, const ReferenceSpd& reference, std::size_t count,
                      Totals& totals) {
  for (std::size_t i = 0; i < count; ++i) {
    const IpPacketInfo packet = gen.packet();
    for (const bool outbound : {true, false}) {
      const auto expected = reference.lookup(packet, outbound);
      const auto got = id_of(outbound ? spd.lookup_outbound(packet) : spd.lookup_inbound(packet));
      ++totals.lookups;
      if (expected) ++totals.matched;
      if (got != expected) {
        ADD_FAILURE() << (outbound ? "outbound " : "inbound ") << packet.source.to_string() << ":"
                      << packet.source_port << " -> " << packet.destination.to_string() << ":"
                      << packet.destination_port << " proto " << int(packet.protocol)
                      << (packet.is_fragment ? " (fragment)" : "") << ": index says "
                      << (got ? std::to_string(*got) : "none") << ", reference says "
                      << (expected ? std::to_string(*expected) : "none") << " ("
                      << (expected ? spd.find(*expected)->selector.to_string() : "-") << ")";
        return false;
      }
    }
  }
  return true;
}

class SpdDifferential : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(SpdDifferential, RandomPoliciesAndPacketsAgreeWithLinearScan) {
  Generator gen(GetParam());
  Spd spd;
  ReferenceSpd reference;
  Totals totals;
  constexpr std::size_t kSteps = 3000;
  constexpr std::size_t kPacketsPerStep = 4;
  std::size_t removals = 0;
  for (std::size_t step = 0; step < kSteps; ++step) {
    const std::vector<PolicyId> present = reference.ids();
    if (!present.empty() && gen.chance(30)) {
      const PolicyId gone = present[gen.below(present.size())];
      ASSERT_TRUE(spd.remove(gone));
      reference.remove(gone);
      ++removals;
    } else {
      const Policy policy = gen.policy();
      const PolicyId id = spd.add(policy);
      reference.add(id, policy);
    }
    ASSERT_TRUE(agree_on_packets(gen, spd, reference, kPacketsPerStep, totals)) << "after step " << step;
    if (step % 250 == 0) {
      ASSERT_EQ(order_of(spd), reference.order()) << "after step " << step;
    }
  }
  ASSERT_EQ(order_of(spd), reference.order());
  // The final, large SPD against many more packets.
  ASSERT_TRUE(agree_on_packets(gen, spd, reference, 20000, totals));
  // The workload really exercised both outcomes and both kinds of change.
  EXPECT_GT(spd.policies().size(), 1000u);
  EXPECT_GT(removals, 500u);
  EXPECT_GT(totals.matched, totals.lookups / 5) << "too few packets matched a policy to prove anything";
  EXPECT_LT(totals.matched, totals.lookups) << "every packet matched: the 'no policy' case went untested";
  // Removing everything leaves an SPD that matches nothing.
  for (const PolicyId id : reference.ids()) ASSERT_TRUE(spd.remove(id));
  EXPECT_TRUE(spd.policies().empty());
  for (int i = 0; i < 100; ++i) {
    const IpPacketInfo packet = gen.packet();
    EXPECT_EQ(spd.lookup_outbound(packet), nullptr);
    EXPECT_EQ(spd.lookup_inbound(packet), nullptr);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SpdDifferential, ::testing::Values(1u, 2u, 3u, 20261207u));

// The tunnel workload of the benchmark: 10,000 site-to-site /24 pairs plus their traps (same
// selectors, later priority) and a default bypass; every packet finds its own tunnel's policy.
TEST(SpdIndex, TenThousandTunnelsEachFindTheirOwnPolicy) {
  Spd spd;
  constexpr std::uint32_t kTunnels = 10000;
  auto net = [](std::uint32_t base, std::uint32_t i) { return IpAddress::v4(base + (i << 8)); };
  std::vector<PolicyId> child(kTunnels);
  for (std::uint32_t i = 0; i < kTunnels; ++i) {
    Policy trap;
    trap.selector.local = AddressRange::from_prefix(wire::IpPrefix{net(0x0a000000, i), 24});   // 10.x.y.0/24
    trap.selector.remote = AddressRange::from_prefix(wire::IpPrefix{net(0x64000000, i), 24});  // 100.x.y.0/24
    trap.priority = 100;
    spd.add(trap);
    Policy installed = trap;
    installed.priority = 90;
    child[i] = spd.add(installed);
  }
  Policy rest;
  rest.selector.local = AddressRange::any(IpFamily::V4);
  rest.selector.remote = AddressRange::any(IpFamily::V4);
  rest.action = PolicyAction::Bypass;
  rest.priority = 1000;
  const PolicyId rest_id = spd.add(rest);
  for (std::uint32_t i = 0; i < kTunnels; ++i) {
    IpPacketInfo p;
    p.source = IpAddress::v4(0x0a000000 + (i << 8) + 5);
    p.destination = IpAddress::v4(0x64000000 + (i << 8) + 9);
    p.protocol = ip_protocol::kUdp;
    const Policy* hit = spd.lookup_outbound(p);
    ASSERT_NE(hit, nullptr);
    ASSERT_EQ(hit->id, child[i]) << "tunnel " << i;
    std::swap(p.source, p.destination);
    ASSERT_EQ(id_of(spd.lookup_inbound(p)), child[i]) << "tunnel " << i;
  }
  // Deleting a CHILD SA's policy uncovers its trap; other tunnels are unaffected.
  ASSERT_TRUE(spd.remove(child[1234]));
  IpPacketInfo p;
  p.source = IpAddress::v4(0x0a000000 + (1234u << 8) + 1);
  p.destination = IpAddress::v4(0x64000000 + (1234u << 8) + 1);
  ASSERT_NE(spd.lookup_outbound(p), nullptr);
  EXPECT_EQ(spd.lookup_outbound(p)->priority, 100u);
  p.source = IpAddress::v4(0x0a000000 + (1235u << 8) + 1);
  p.destination = IpAddress::v4(0x64000000 + (1235u << 8) + 1);
  EXPECT_EQ(id_of(spd.lookup_outbound(p)), child[1235]);
  // Outside every tunnel: the default.
  p.destination = IpAddress::v4(0xcb007101);  // 203.0.113.1
  EXPECT_EQ(id_of(spd.lookup_outbound(p)), rest_id);
}

// Many tunnels coming and going (rekeys, peers that flap): the index's flat tables fill with
// tombstones, reuse them and rehash, while every lookup still agrees with the linear scan. Each
// tunnel's /24 pair sometimes carries a second, port-limited policy of an earlier priority, so
// pairs with several candidates are removed and re-added too.
TEST(SpdDifferential, TunnelChurnAgreesWithLinearScan) {
  std::mt19937 rng(1313);
  auto below = [&](std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng); };
  constexpr std::uint32_t kTunnelPool = 1000;
  auto tunnel_policy = [](std::uint32_t tunnel, bool web_only) {
    Policy p;
    p.selector.local =
        AddressRange::from_prefix(wire::IpPrefix{IpAddress::v4(0x0a000000 + (tunnel << 8)), 24});
    p.selector.remote =
        AddressRange::from_prefix(wire::IpPrefix{IpAddress::v4(0x0a800000 + (tunnel << 8)), 24});
    p.priority = web_only ? 80 : 90;
    if (web_only) {
      p.selector.protocol = ip_protocol::kTcp;
      p.selector.remote_ports = PortRange{443, 443};
      p.action = PolicyAction::Bypass;
    }
    return p;
  };
  Spd spd;
  ReferenceSpd reference;
  std::vector<std::vector<PolicyId>> installed(kTunnelPool);
  std::size_t removals = 0;
  std::size_t matched = 0;
  for (std::size_t step = 0; step < 8000; ++step) {
    const std::uint32_t tunnel = below(kTunnelPool);
    auto& ids = installed[tunnel];
    if (!ids.empty() && below(100) < 45) {
      const std::size_t which = below(static_cast<std::uint32_t>(ids.size()));
      ASSERT_TRUE(spd.remove(ids[which]));
      reference.remove(ids[which]);
      ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(which));
      ++removals;
    } else {
      const Policy p = tunnel_policy(tunnel, below(100) < 20);
      const PolicyId id = spd.add(p);
      reference.add(id, p);
      ids.push_back(id);
    }
    for (int i = 0; i < 2; ++i) {
      const std::uint32_t t = i == 0 ? tunnel : below(kTunnelPool);
      IpPacketInfo packet;
      packet.source = IpAddress::v4(0x0a000000 + (t << 8) + 1 + below(254));
      packet.destination = IpAddress::v4(0x0a800000 + (t << 8) + 1 + below(254));
      packet.protocol = below(2) == 0 ? ip_protocol::kTcp : ip_protocol::kUdp;
      packet.source_port = 40000;
      packet.destination_port = below(2) == 0 ? 443 : 80;
      const auto expected = reference.lookup(packet, true);
      if (expected) ++matched;
      ASSERT_EQ(id_of(spd.lookup_outbound(packet)), expected) << "tunnel " << t << " at step " << step;
      std::swap(packet.source, packet.destination);
      std::swap(packet.source_port, packet.destination_port);
      ASSERT_EQ(id_of(spd.lookup_inbound(packet)), reference.lookup(packet, false))
          << "tunnel " << t << " at step " << step;
    }
  }
  EXPECT_GT(removals, 2000u);
  EXPECT_GT(matched, 4000u);
}

}  // namespace
}  // namespace cygnet::ipsec
