// AddressPairTable (the flat open-addressing table of one PolicyIndex shape) against a std::map
// reference under random inserts and erases: tombstones, their reuse, rehashing, probe chains
// through dead slots, and pairs with several candidates (the overflow lists).
#include "ipsec/address_pair_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <map>
#include <random>
#include <tuple>
#include <vector>

namespace cygnet::ipsec {
namespace {

// Fake policy addresses: the table only stores and returns them.
const Policy* fake_policy(std::uint64_t rank) {
  return reinterpret_cast<const Policy*>(static_cast<std::uintptr_t>(0x1000 + rank * 8));
}

AddressPair pair_number(std::uint64_t n) {
  // IPv4-like networks in the first word (as the index stores 10.x.y.0 <-> 10.128+x.y.0), the
  // second words zero, so that pairs differ in a few bits only.
  return AddressPair{{n << 8, 0}, {(n << 8) | (1ULL << 31), 0}};
}

using Reference = std::map<std::tuple<AddressWords, AddressWords>, std::vector<PolicyCandidate>>;

std::vector<PolicyCandidate> candidates_in(const AddressPairTable& table, const AddressPair& pair) {
  AddressPairTable::Bucket bucket;
  if (!table.find(pair, hash_of(pair), bucket)) return {};
  std::vector<PolicyCandidate> all{bucket.first};
  all.insert(all.end(), bucket.more, bucket.more + bucket.more_count);
  return all;
}

bool same(const std::vector<PolicyCandidate>& a, const std::vector<PolicyCandidate>& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(), [](const PolicyCandidate& x, const PolicyCandidate& y) {
        return x.rank == y.rank && x.policy == y.policy && x.addresses_decide == y.addresses_decide;
      });
}

void expect_invariants(const AddressPairTable& table, std::size_t live_pairs) {
  ASSERT_EQ(table.size(), live_pairs);
  if (table.capacity() == 0) return;
  EXPECT_TRUE(std::has_single_bit(table.capacity()));
  // At least a quarter of the slots stay empty, so a probe for an absent pair always ends.
  EXPECT_LE((table.size() + table.tombstones()) * 4, table.capacity() * 3);
}

TEST(AddressPairTable, EmptyTableFindsNothing) {
  AddressPairTable table;
  EXPECT_TRUE(candidates_in(table, pair_number(1)).empty());
  EXPECT_FALSE(table.erase(pair_number(1), 5));
  EXPECT_EQ(table.capacity(), 0u);
}

TEST(AddressPairTable, CandidatesOfOnePairStayInRankOrderWhateverTheInsertOrder) {
  AddressPairTable table;
  const AddressPair p = pair_number(7);
  for (std::uint64_t rank : {50u, 10u, 30u, 70u, 20u}) table.insert(p, {rank, fake_policy(rank), rank == 30});
  std::vector<std::uint64_t> ranks;
  for (const PolicyCandidate& c : candidates_in(table, p)) ranks.push_back(c.rank);
  EXPECT_EQ(ranks, (std::vector<std::uint64_t>{10, 20, 30, 50, 70}));
  EXPECT_EQ(table.size(), 1u);
  // Erasing the first promotes the next; erasing an absent rank changes nothing.
  EXPECT_TRUE(table.erase(p, 10));
  EXPECT_FALSE(table.erase(p, 11));
  EXPECT_EQ(candidates_in(table, p).front().rank, 20u);
  EXPECT_TRUE(table.erase(p, 50));
  EXPECT_TRUE(table.erase(p, 20));
  EXPECT_TRUE(table.erase(p, 70));
  ASSERT_EQ(candidates_in(table, p).size(), 1u);
  EXPECT_TRUE(candidates_in(table, p).front().addresses_decide);
  EXPECT_TRUE(table.erase(p, 30));
  EXPECT_TRUE(candidates_in(table, p).empty());
  EXPECT_EQ(table.size(), 0u);
}

TEST(AddressPairTable, ErasedSlotsKeepLaterProbeChainsReachable) {
  AddressPairTable table;
  constexpr std::uint64_t kPairs = 5000;
  for (std::uint64_t n = 0; n < kPairs; ++n) table.insert(pair_number(n), {n, fake_policy(n), true});
  // Every other pair leaves a tombstone; the rest, wherever their probe chains ran, are found.
  for (std::uint64_t n = 0; n < kPairs; n += 2) ASSERT_TRUE(table.erase(pair_number(n), n));
  EXPECT_GT(table.tombstones(), 0u);
  for (std::uint64_t n = 0; n < kPairs; ++n) {
    const auto found = candidates_in(table, pair_number(n));
    if (n % 2 == 0) {
      ASSERT_TRUE(found.empty()) << n;
    } else {
      ASSERT_EQ(found.size(), 1u) << n;
      ASSERT_EQ(found.front().policy, fake_policy(n));
    }
  }
  expect_invariants(table, kPairs / 2);
}

TEST(AddressPairTable, ChurnReusesTombstonesInsteadOfGrowing) {
  // A tunnel that comes and goes forever (rekeys, flapping peers) around a steady population.
  AddressPairTable table;
  for (std::uint64_t n = 0; n < 100; ++n) table.insert(pair_number(n), {n, fake_policy(n), true});
  const std::size_t steady_capacity = table.capacity();
  for (std::uint64_t n = 100; n < 100000; ++n) {
    table.insert(pair_number(n), {n, fake_policy(n), true});
    ASSERT_TRUE(table.erase(pair_number(n - 100), n - 100));
  }
  expect_invariants(table, 100);
  EXPECT_LE(table.capacity(), 2 * steady_capacity);
  for (std::uint64_t n = 99900; n < 100000; ++n) ASSERT_EQ(candidates_in(table, pair_number(n)).size(), 1u);
  // Emptying the table drops its tombstones too.
  for (std::uint64_t n = 99900; n < 100000; ++n) ASSERT_TRUE(table.erase(pair_number(n), n));
  EXPECT_EQ(table.tombstones(), 0u);
}

class AddressPairTableDifferential : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(AddressPairTableDifferential, RandomInsertsAndErasesAgreeWithAMap) {
  std::mt19937 rng(GetParam());
  auto below = [&](std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng); };
  AddressPairTable table;
  Reference reference;
  std::uint64_t next_rank = 0;
  std::size_t erases = 0;
  std::size_t shared_pairs_seen = 0;
  constexpr std::uint64_t kPairPool = 3000;  // many pairs, some with several candidates
  for (std::size_t step = 0; step < 40000; ++step) {
    // Phases of growth and shrinking, so that the table both rehashes up and fills with tombstones.
    const bool shrinking = (step / 5000) % 2 == 1;
    const AddressPair pair = pair_number(below(kPairPool));
    auto& expected = reference[{pair.local, pair.remote}];
    if (!expected.empty() && below(100) < (shrinking ? 75u : 25u)) {
      const PolicyCandidate gone = expected[below(expected.size())];
      ASSERT_TRUE(table.erase(pair, gone.rank));
      std::erase_if(expected, [&](const PolicyCandidate& c) { return c.rank == gone.rank; });
      ++erases;
    } else if (!shrinking || below(100) < 25) {
      // Ranks mostly grow (later policies), sometimes jump ahead (an earlier priority).
      const std::uint64_t rank =
          below(10) == 0 ? below(next_rank + 1) * 2 + 1 : (++next_rank) * 2 + 1'000'000;
      const bool taken =  // ranks are unique in an SPD
          std::any_of(expected.begin(), expected.end(),
                      [&](const PolicyCandidate& c) { return c.rank == rank; });
      if (!taken) {
        const PolicyCandidate added{rank, fake_policy(rank), below(2) == 0};
        table.insert(pair, added);
        expected.insert(
            std::lower_bound(expected.begin(), expected.end(), rank,
                             [](const PolicyCandidate& c, std::uint64_t r) { return c.rank < r; }),
            added);
      }
      if (expected.size() > 1) ++shared_pairs_seen;
    }
    if (expected.empty()) reference.erase({pair.local, pair.remote});
    ASSERT_TRUE(same(candidates_in(table, pair), reference.count({pair.local, pair.remote})
                                                     ? reference[{pair.local, pair.remote}]
                                                     : std::vector<PolicyCandidate>{}))
        << "step " << step;
    if (step % 1000 == 0) {
      for (std::uint64_t n = 0; n < kPairPool; ++n) {
        const AddressPair p = pair_number(n);
        const auto it = reference.find({p.local, p.remote});
        ASSERT_TRUE(same(candidates_in(table, p),
                         it == reference.end() ? std::vector<PolicyCandidate>{} : it->second))
            << "pair " << n << " at step " << step;
      }
      expect_invariants(table, reference.size());
    }
  }
  EXPECT_GT(erases, 5000u);
  EXPECT_GT(shared_pairs_seen, 100u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, AddressPairTableDifferential, ::testing::Values(1u, 2u, 20261207u));

}  // namespace
}  // namespace cygnet::ipsec
