// Address pools: prefixes and ranges, the same address back per identity, exhaustion, release,
// reuse of the lease offline longest, and the state-file round trip (restore).
#include "ike/address_pool.hpp"

#include <gtest/gtest.h>

#include <set>

namespace cygnet::ike {
namespace {

wire::IpAddress ip(std::string_view s) {
  return *wire::IpAddress::parse(s);
}

AddressPool pool(std::string_view addrs, std::string name = "rw") {
  PoolSettings s;
  s.name = std::move(name);
  const auto error = parse_pool_range(addrs, s);
  EXPECT_FALSE(error) << *error;
  return AddressPool(std::move(s));
}

TEST(AddressPool, PrefixLeavesOutNetworkAndBroadcast) {
  const AddressPool p = pool("198.51.100.128/25");
  EXPECT_EQ(p.settings().first, ip("198.51.100.129"));
  EXPECT_EQ(p.settings().last, ip("198.51.100.254"));
  EXPECT_EQ(p.size(), 126u);
  EXPECT_FALSE(p.contains(ip("198.51.100.128")));
  EXPECT_FALSE(p.contains(ip("198.51.100.255")));
  EXPECT_FALSE(p.contains(ip("2001:db8::1")));
}

TEST(AddressPool, Ipv6PrefixAndRange) {
  const AddressPool v6 = pool("2001:db8:ffff::/112");
  EXPECT_EQ(v6.settings().first, ip("2001:db8:ffff::1"));
  EXPECT_EQ(v6.settings().last, ip("2001:db8:ffff::ffff"));
  EXPECT_EQ(v6.size(), 65535u);
  const AddressPool range = pool("192.0.2.10-192.0.2.12");
  EXPECT_EQ(range.size(), 3u);
  // A /64 is far larger than any client population: capped at 2^32 addresses.
  EXPECT_EQ(pool("2001:db8:1::/64").size(), std::uint64_t{1} << 32);
}

TEST(AddressPool, BadRangesAreExplained) {
  PoolSettings s;
  EXPECT_TRUE(parse_pool_range("192.0.2.20-192.0.2.10", s));
  EXPECT_TRUE(parse_pool_range("192.0.2.1-2001:db8::1", s));
  EXPECT_TRUE(parse_pool_range("192.0.2.0/33", s));
  EXPECT_TRUE(parse_pool_range("pool", s));
}

TEST(AddressPool, SameIdentityGetsTheSameAddressBack) {
  AddressPool p = pool("198.51.100.128/25");
  const auto alice = p.acquire("alice@example.com");
  const auto bob = p.acquire("bob@example.com");
  ASSERT_TRUE(alice && bob);
  EXPECT_NE(*alice, *bob);
  EXPECT_TRUE(p.release("alice@example.com"));
  EXPECT_EQ(p.online_count(), 1u);
  const auto carol = p.acquire("carol@example.com");
  EXPECT_NE(*carol, *alice);  // alice's offline lease is kept while fresh addresses remain
  EXPECT_EQ(p.acquire("alice@example.com"), alice);
  EXPECT_EQ(p.online_count(), 3u);
}

TEST(AddressPool, ExhaustionThenTheLeaseOfflineLongestChangesHands) {
  AddressPool p = pool("192.0.2.10-192.0.2.11");
  const auto a = p.acquire("a");
  const auto b = p.acquire("b");
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(p.acquire("c"));  // both online: exhausted
  EXPECT_TRUE(p.release("b"));
  EXPECT_TRUE(p.release("a"));
  EXPECT_EQ(p.acquire("c"), b);  // b went offline first
  EXPECT_FALSE(p.lease_of("b"));
  EXPECT_EQ(p.acquire("a"), a);  // a's lease survived
  EXPECT_FALSE(p.acquire("b"));
}

TEST(AddressPool, TwoSasOfOneIdentityShareTheLeaseUntilBothRelease) {
  AddressPool p = pool("192.0.2.10-192.0.2.11");
  const auto first = p.acquire("a");
  EXPECT_EQ(p.acquire("a"), first);
  EXPECT_TRUE(p.release("a"));
  EXPECT_TRUE(p.lease_of("a")->online);
  EXPECT_TRUE(p.release("a"));
  EXPECT_FALSE(p.lease_of("a")->online);
  EXPECT_FALSE(p.release("a"));  // nothing left to release
  EXPECT_FALSE(p.release("nobody"));
}

TEST(AddressPool, RequestedAddressHonouredOnlyWhenFreeAndInside) {
  AddressPool p = pool("192.0.2.10-192.0.2.20");
  EXPECT_EQ(p.acquire("a", ip("192.0.2.15")), ip("192.0.2.15"));
  EXPECT_EQ(p.acquire("b", ip("192.0.2.15")), ip("192.0.2.10"));   // taken: the pool's choice
  EXPECT_EQ(p.acquire("c", ip("203.0.113.9")), ip("192.0.2.11"));  // outside: the pool's choice
  // The cursor skips what was handed out by request.
  std::set<wire::IpAddress> seen{ip("192.0.2.15"), ip("192.0.2.10"), ip("192.0.2.11")};
  for (int i = 0; i < 8; ++i) {
    const auto next = p.acquire("id" + std::to_string(i));
    ASSERT_TRUE(next);
    EXPECT_TRUE(seen.insert(*next).second) << next->to_string() << " handed out twice";
  }
  EXPECT_FALSE(p.acquire("one-too-many"));
}

TEST(AddressPool, LeasesRoundTripThroughRestore) {
  AddressPool p = pool("2001:db8:ffff::/112");
  p.acquire("alice");
  p.acquire("bob");
  p.release("bob");
  const auto saved = p.leases();
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_TRUE(saved[0].online);
  EXPECT_FALSE(saved[1].online);

  AddressPool restarted = pool("2001:db8:ffff::/112");
  for (const Lease& l : saved) EXPECT_TRUE(restarted.restore(l.identity, l.address));
  EXPECT_FALSE(restarted.restore("mallory", saved[0].address));      // already leased
  EXPECT_FALSE(restarted.restore("mallory", ip("2001:db8:1::1")));   // outside the pool
  for (const Lease& l : restarted.leases()) EXPECT_FALSE(l.online);  // nobody is connected yet
  EXPECT_EQ(restarted.acquire("bob"), saved[1].address);
  EXPECT_EQ(restarted.acquire("alice"), saved[0].address);
  const auto carol = restarted.acquire("carol");
  EXPECT_NE(*carol, saved[0].address);
  EXPECT_NE(*carol, saved[1].address);
}

TEST(AddressPool, ManyIdentitiesNoAddressTwice) {
  AddressPool p = pool("198.51.100.0/22");
  std::set<wire::IpAddress> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto a = p.acquire("client" + std::to_string(i));
    ASSERT_TRUE(a);
    EXPECT_TRUE(seen.insert(*a).second);
  }
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(p.release("client" + std::to_string(i)));
  EXPECT_EQ(p.online_count(), 0u);
  EXPECT_EQ(p.leases().size(), 1000u);
}

}  // namespace
}  // namespace cygnet::ike
