// RandomSource: the seeded generator replays exactly from its seed (the simulator depends on it),
// different seeds differ, the derived helpers stay in range, and the system source is not constant.
#include <gtest/gtest.h>

#include <set>

#include "ike/random_source.hpp"

namespace cygnet::ike {
namespace {

Bytes draw(RandomSource& r, std::size_t n) {
  Bytes out(n);
  r.fill(out);
  return out;
}

TEST(SeededRandom, SameSeedSameStream) {
  auto a = seeded_random(42);
  auto b = seeded_random(42);
  EXPECT_EQ(draw(*a, 5000), draw(*b, 5000));
  EXPECT_EQ(a->next_u64(), b->next_u64());
}

TEST(SeededRandom, StreamDoesNotDependOnHowItIsRead) {
  // One 3000-byte read equals many small reads that cross the internal refill boundary.
  auto whole = seeded_random(7);
  auto pieces = seeded_random(7);
  const Bytes expected = draw(*whole, 3000);
  Bytes got;
  for (std::size_t n : {1u, 2u, 3u, 1000u, 17u, 1977u}) {
    Bytes part = draw(*pieces, n);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, expected);
}

TEST(SeededRandom, DifferentSeedsDiffer) {
  auto a = seeded_random(1);
  auto b = seeded_random(2);
  EXPECT_NE(draw(*a, 64), draw(*b, 64));
}

TEST(SeededRandom, IsNotAllZeroOrRepeating) {
  auto r = seeded_random(0);  // seed 0 must still give a real stream
  const Bytes bytes = draw(*r, 4096);
  std::set<std::uint8_t> distinct(bytes.begin(), bytes.end());
  EXPECT_GT(distinct.size(), 200u);
  // The 1024-byte refills must not repeat each other.
  EXPECT_FALSE(std::equal(bytes.begin(), bytes.begin() + 1024, bytes.begin() + 1024));
}

TEST(SeededRandom, MatchesTheDocumentedConstruction) {
  // Pins the stream so a recorded simulation replays identically across builds. Expected bytes
  // computed independently with Python's `cryptography` package: key = four SplitMix64 outputs
  // of seed 1 (little-endian), ChaCha20-Poly1305 sealing 1024 zero bytes under nonce 0^12.
  auto r = seeded_random(1);
  EXPECT_EQ(to_hex(draw(*r, 16)), "6b69b2c202c94df48fac2150b66e9768");
}

TEST(RandomSource, NextUnitInHalfOpenInterval) {
  auto r = seeded_random(99);
  double min = 1.0, max = 0.0, sum = 0.0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    const double u = r->next_unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    min = std::min(min, u);
    max = std::max(max, u);
    sum += u;
  }
  EXPECT_LT(min, 0.01);
  EXPECT_GT(max, 0.99);
  EXPECT_NEAR(sum / kDraws, 0.5, 0.02);
}

TEST(RandomSource, NextU32UsesAllBits) {
  auto r = seeded_random(5);
  std::uint32_t ored = 0;
  std::uint32_t anded = 0xffffffffu;
  for (int i = 0; i < 256; ++i) {
    const std::uint32_t v = r->next_u32();
    ored |= v;
    anded &= v;
  }
  EXPECT_EQ(ored, 0xffffffffu);
  EXPECT_EQ(anded, 0u);
}

TEST(SystemRandom, ProducesDistinctValues) {
  auto r = system_random();
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 64; ++i) seen.insert(r->next_u64());
  EXPECT_EQ(seen.size(), 64u);
  EXPECT_NE(draw(*r, 32), Bytes(32, 0));
}

}  // namespace
}  // namespace cygnet::ike
