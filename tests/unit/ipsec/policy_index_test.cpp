// PolicyIndex on its own: shapes, ranks across shapes, the early stop, and the scanned list of
// non-prefix ranges. (spd_differential_test.cpp checks it through the SPD against a linear scan.)
#include "ipsec/policy_index.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "ipsec/spd.hpp"

namespace cygnet::ipsec {
namespace {

using wire::IpAddress;

IpAddress addr(const std::string& text) {
  return IpAddress::parse(text).value_or(IpAddress{});
}

// UDP only, so that the index has to ask the caller about every candidate (see
// AnyProtocolAndPortsNeedNoSelectorCheck for the other case).
Selector between(const std::string& local, const std::string& remote) {
  Selector s;
  s.protocol = wire::ip_protocol::kUdp;
  s.local = AddressRange::from_prefix(wire::IpPrefix::parse(local).value_or(wire::IpPrefix{}));
  s.remote = AddressRange::from_prefix(wire::IpPrefix::parse(remote).value_or(wire::IpPrefix{}));
  return s;
}

// An index over policies named by their rank (Policy::id = rank, so tests can name them).
class Fixture {
 public:
  void insert(const Selector& selector, PolicyIndex::Rank rank) {
    Policy& p = storage_.emplace_back();  // a deque: earlier policies do not move
    p.id = static_cast<PolicyId>(rank);
    p.selector = selector;
    index.insert(selector, rank, &p);
  }
  void erase(const Selector& selector, PolicyIndex::Rank rank) { index.erase(selector, rank); }

  // Every policy the index proposes, in the order it asks (the predicate refuses them all).
  std::vector<PolicyId> candidates(const std::string& local, const std::string& remote) const {
    std::vector<PolicyId> asked;
    const Policy* result = index.first_match(addr(local), addr(remote), [&](const Policy& p) {
      asked.push_back(p.id);
      return false;
    });
    EXPECT_EQ(result, nullptr);
    return asked;
  }
  // The first proposal, all accepted; 0 for none.
  PolicyId first(const std::string& local, const std::string& remote) const {
    const Policy* p = index.first_match(addr(local), addr(remote), [](const Policy&) { return true; });
    return p ? p->id : 0;
  }

  PolicyIndex index;

 private:
  std::deque<Policy> storage_;
};

using Ids = std::vector<PolicyId>;

TEST(PolicyIndex, OneShapePerPrefixLengthPair) {
  Fixture f;
  f.insert(between("198.51.100.0/24", "203.0.113.0/24"), 10);
  f.insert(between("198.51.101.0/24", "203.0.114.0/24"), 11);
  f.insert(between("198.51.102.0/24", "203.0.115.0/24"), 12);
  EXPECT_EQ(f.index.shape_count(), 1u);
  f.insert(between("0.0.0.0/0", "0.0.0.0/0"), 13);
  f.insert(between("2001:db8:1::/48", "2001:db8:2::/48"), 14);
  EXPECT_EQ(f.index.shape_count(), 3u);
  EXPECT_EQ(f.index.unindexed_count(), 0u);
  // Only the policies whose prefixes contain the packet's addresses are proposed.
  EXPECT_EQ(f.candidates("198.51.101.7", "203.0.114.9"), (Ids{11, 13}));
  EXPECT_EQ(f.candidates("198.51.101.7", "203.0.113.9"), (Ids{13}));
  EXPECT_EQ(f.candidates("2001:db8:1::1", "2001:db8:2::2"), (Ids{14}));
  EXPECT_EQ(f.candidates("2001:db8:1::1", "2001:db8:3::2"), (Ids{}));
  // The families of the two sides are checked separately.
  EXPECT_EQ(f.candidates("198.51.101.7", "2001:db8:2::2"), (Ids{}));
}

TEST(PolicyIndex, SmallestRankWinsAndLaterShapesAreSkipped) {
  Fixture f;
  f.insert(between("198.51.100.0/24", "203.0.113.0/24"), 20);
  f.insert(between("0.0.0.0/0", "0.0.0.0/0"), 30);
  EXPECT_EQ(f.first("198.51.100.1", "203.0.113.1"), 20u);
  EXPECT_EQ(f.first("198.51.100.1", "192.0.2.1"), 30u);
  // A default inserted with a smaller rank (an earlier priority) now wins, and the /24 shape is
  // not even asked: no policy in it can come earlier.
  f.insert(between("0.0.0.0/0", "0.0.0.0/0"), 5);
  std::vector<PolicyId> asked;
  const Policy* hit = f.index.first_match(addr("198.51.100.1"), addr("203.0.113.1"), [&](const Policy& p) {
    asked.push_back(p.id);
    return true;
  });
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->id, 5u);
  EXPECT_EQ(asked, (Ids{5}));
  // Refused candidates (protocol or ports did not match) let later ones through, in rank order.
  EXPECT_EQ(f.candidates("198.51.100.1", "203.0.113.1"), (Ids{5, 30, 20}));
}

TEST(PolicyIndex, EraseRemovesExactlyOnePolicy) {
  Fixture f;
  const Selector a = between("198.51.100.0/24", "203.0.113.0/24");
  const Selector b = between("198.51.100.0/25", "203.0.113.0/24");
  f.insert(a, 1);
  f.insert(a, 3);  // same selector, later: same address pair, kept in rank order
  f.insert(b, 2);
  EXPECT_EQ(f.index.shape_count(), 2u);
  EXPECT_EQ(f.candidates("198.51.100.1", "203.0.113.1"), (Ids{1, 3, 2}));
  f.erase(a, 1);
  // The /24 shape now starts at rank 3, behind the /25 one.
  EXPECT_EQ(f.candidates("198.51.100.1", "203.0.113.1"), (Ids{2, 3}));
  EXPECT_EQ(f.first("198.51.100.1", "203.0.113.1"), 2u);
  f.erase(a, 1);  // gone already: nothing happens
  f.erase(b, 3);  // no such rank in b's pair: nothing happens
  EXPECT_EQ(f.candidates("198.51.100.1", "203.0.113.1"), (Ids{2, 3}));
  f.erase(b, 2);
  EXPECT_EQ(f.index.shape_count(), 1u);  // the /25 shape went with its last policy
  f.erase(a, 3);
  EXPECT_EQ(f.index.shape_count(), 0u);
  EXPECT_EQ(f.first("198.51.100.1", "203.0.113.1"), 0u);
}

TEST(PolicyIndex, RangesThatAreNotPrefixesAreScannedInRankOrder) {
  Fixture f;
  Selector range;
  range.local = AddressRange{addr("198.51.100.5"), addr("198.51.100.9")};
  range.remote = AddressRange::any(wire::IpFamily::V4);
  f.insert(between("198.51.100.0/24", "0.0.0.0/0"), 2);
  f.insert(range, 1);
  EXPECT_EQ(f.index.unindexed_count(), 1u);
  EXPECT_EQ(f.index.shape_count(), 1u);
  // The scanned list proposes its entries whatever the addresses; the caller's check decides.
  EXPECT_EQ(f.candidates("198.51.100.1", "203.0.113.1"), (Ids{2, 1}));
  EXPECT_EQ(f.first("198.51.100.7", "203.0.113.1"), 1u);
  f.erase(range, 1);
  EXPECT_EQ(f.index.unindexed_count(), 0u);
  EXPECT_EQ(f.candidates("198.51.100.1", "203.0.113.1"), (Ids{2}));
}

TEST(PolicyIndex, AnyProtocolAndPortsNeedNoSelectorCheck) {
  Fixture f;
  Selector any_traffic = between("198.51.100.0/24", "203.0.113.0/24");
  any_traffic.protocol = 0;
  f.insert(any_traffic, 7);
  // The address pair alone decides: the caller is not asked, and the answer is the policy.
  std::vector<PolicyId> asked;
  const Policy* hit = f.index.first_match(addr("198.51.100.1"), addr("203.0.113.1"), [&](const Policy& p) {
    asked.push_back(p.id);
    return false;
  });
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->id, 7u);
  EXPECT_TRUE(asked.empty());
  EXPECT_EQ(f.candidates("198.51.100.1", "203.0.114.1"), (Ids{}));
  // With a port, the caller's check is needed again.
  Selector web = any_traffic;
  web.remote_ports = PortRange{443, 443};
  f.insert(web, 3);
  EXPECT_EQ(f.first("198.51.100.1", "203.0.113.1"), 3u);
  const Policy* refused =
      f.index.first_match(addr("198.51.100.1"), addr("203.0.113.1"), [&](const Policy& p) {
        asked.push_back(p.id);
        return false;
      });
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->id, 7u);
  EXPECT_EQ(asked, (Ids{3}));
}

}  // namespace
}  // namespace cygnet::ipsec
