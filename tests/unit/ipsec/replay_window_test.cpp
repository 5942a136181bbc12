// Anti-replay window (RFC 4303 §3.4.3) and ESN inference (RFC 4303 Appendix A2).
#include "ipsec/replay_window.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace cygnet::ipsec {
namespace {

using Verdict = ReplayWindow::Verdict;

// check() and, when it says Ok, accept() — what a receiver does for a packet whose ICV verifies.
Verdict receive(ReplayWindow& w, std::uint32_t seq_low) {
  const auto r = w.check(seq_low);
  if (r.verdict == Verdict::Ok) w.accept(r.sequence);
  return r.verdict;
}

// ---------------------------------------------------------------- construction

TEST(ReplayWindow, SizesRoundUpToMultiplesOf32AndClamp) {
  EXPECT_EQ(ReplayWindow(0, false).size(), 0u);
  EXPECT_EQ(ReplayWindow(1, false).size(), 32u);
  EXPECT_EQ(ReplayWindow(32, false).size(), 32u);
  EXPECT_EQ(ReplayWindow(33, false).size(), 64u);
  EXPECT_EQ(ReplayWindow(64, false).size(), 64u);
  EXPECT_EQ(ReplayWindow(1000, false).size(), 1024u);
  EXPECT_EQ(ReplayWindow(kMaxReplayWindow, false).size(), kMaxReplayWindow);
  EXPECT_EQ(ReplayWindow(kMaxReplayWindow + 1, false).size(), kMaxReplayWindow);
  EXPECT_EQ(ReplayWindow(0xFFFFFFFFu, false).size(), kMaxReplayWindow);
  EXPECT_TRUE(ReplayWindow(64, true).esn());
  EXPECT_FALSE(ReplayWindow(64, false).esn());
  EXPECT_EQ(ReplayWindow(64, false).highest(), 0u);
}

// ---------------------------------------------------------------- basic behaviour

TEST(ReplayWindow, InOrderSequenceIsAccepted) {
  ReplayWindow w(64, false);
  for (std::uint32_t s = 1; s <= 1000; ++s) {
    ASSERT_EQ(receive(w, s), Verdict::Ok) << s;
    ASSERT_EQ(w.highest(), s);
  }
}

TEST(ReplayWindow, CheckDoesNotModify) {
  ReplayWindow w(64, false);
  EXPECT_EQ(w.check(5).verdict, Verdict::Ok);
  EXPECT_EQ(w.check(5).verdict, Verdict::Ok);  // not accepted yet: still fresh
  EXPECT_EQ(w.highest(), 0u);
  w.accept(5);
  EXPECT_EQ(w.check(5).verdict, Verdict::Replayed);
  EXPECT_EQ(w.highest(), 5u);
}

TEST(ReplayWindow, DuplicateIsReplayed) {
  ReplayWindow w(64, false);
  ASSERT_EQ(receive(w, 1), Verdict::Ok);
  ASSERT_EQ(receive(w, 2), Verdict::Ok);
  EXPECT_EQ(receive(w, 2), Verdict::Replayed);  // the top itself
  EXPECT_EQ(receive(w, 1), Verdict::Replayed);
  const auto r = w.check(1);
  EXPECT_EQ(r.verdict, Verdict::Replayed);
  EXPECT_EQ(r.sequence, 1u);
}

TEST(ReplayWindow, ReorderInsideWindowIsAcceptedOnce) {
  ReplayWindow w(64, false);
  ASSERT_EQ(receive(w, 100), Verdict::Ok);
  // Everything from 100 - 63 = 37 up to 99 is inside the window.
  for (std::uint32_t s = 99; s >= 37; --s) ASSERT_EQ(receive(w, s), Verdict::Ok) << s;
  for (std::uint32_t s = 37; s <= 100; ++s) ASSERT_EQ(w.check(s).verdict, Verdict::Replayed) << s;
  EXPECT_EQ(w.check(36).verdict, Verdict::TooOld);
  EXPECT_EQ(w.highest(), 100u);
}

TEST(ReplayWindow, LeftOfWindowIsTooOld) {
  ReplayWindow w(32, false);
  ASSERT_EQ(receive(w, 1000), Verdict::Ok);
  EXPECT_EQ(w.check(1000 - 31).verdict, Verdict::Ok);  // bottom edge
  EXPECT_EQ(w.check(1000 - 32).verdict, Verdict::TooOld);
  EXPECT_EQ(w.check(1).verdict, Verdict::TooOld);
  // accept() of an out-of-window number (a caller bug) records nothing and does not move the window.
  w.accept(1);
  EXPECT_EQ(w.highest(), 1000u);
  EXPECT_EQ(w.check(1000 - 31).verdict, Verdict::Ok);
}

TEST(ReplayWindow, SequenceZeroIsNeverValidWithoutEsn) {
  ReplayWindow w(64, false);
  EXPECT_EQ(w.check(0).verdict, Verdict::Zero);
  ASSERT_EQ(receive(w, 10), Verdict::Ok);
  EXPECT_EQ(w.check(0).verdict, Verdict::Zero);
  ReplayWindow off(0, false);
  EXPECT_EQ(off.check(0).verdict, Verdict::Zero);
  off.accept(0);  // ignored
  EXPECT_EQ(off.highest(), 0u);
}

TEST(ReplayWindow, FullSequenceZeroIsNeverValidWithEsn) {
  ReplayWindow w(64, true);
  const auto r = w.check(0);
  EXPECT_EQ(r.verdict, Verdict::Zero);
  EXPECT_EQ(r.sequence, 0u);
  // Once the window is well into subspace 0, a low 0 means 2^32, which is valid.
  ASSERT_EQ(receive(w, 0xFFFFFF00u), Verdict::Ok);
  const auto wrapped = w.check(0);
  EXPECT_EQ(wrapped.verdict, Verdict::Ok);
  EXPECT_EQ(wrapped.sequence, std::uint64_t{1} << 32);
}

TEST(ReplayWindow, SequenceZeroWhenWindowBottomIsExactlyZero) {
  // Case A with Bl = 0: Tl = W - 1, so low 0 maps to 0:0, which is invalid.
  ReplayWindow w(64, true);
  ASSERT_EQ(receive(w, 63), Verdict::Ok);
  EXPECT_EQ(w.check(0).verdict, Verdict::Zero);
  ASSERT_EQ(receive(w, 64), Verdict::Ok);  // now Bl = 1: low 0 is 2^32
  EXPECT_EQ(w.check(0).sequence, std::uint64_t{1} << 32);
}

// ---------------------------------------------------------------- jumps

TEST(ReplayWindow, JumpLargerThanWindowClearsHistory) {
  for (std::uint32_t size : {32u, 64u, 1024u, 4096u}) {
    ReplayWindow w(size, false);
    for (std::uint32_t s = 1; s <= size; ++s) ASSERT_EQ(receive(w, s), Verdict::Ok);
    const std::uint32_t top = 5 * size + 7;
    ASSERT_EQ(receive(w, top), Verdict::Ok);
    // Everything inside the new window except the top is fresh, even numbers whose bits once were set
    // in the same ring slots.
    for (std::uint32_t s = top - size + 1; s < top; ++s) {
      ASSERT_EQ(w.check(s).verdict, Verdict::Ok) << "size " << size << " seq " << s;
    }
    EXPECT_EQ(w.check(top - size).verdict, Verdict::TooOld);
    EXPECT_EQ(w.check(size).verdict, Verdict::TooOld);
  }
}

TEST(ReplayWindow, JumpBeyondHalfTheSequenceSpace) {
  ReplayWindow w(1024, false);
  ASSERT_EQ(receive(w, 5), Verdict::Ok);
  const std::uint32_t far = 5u + 0x80000010u;  // > 2^31 ahead
  ASSERT_EQ(receive(w, far), Verdict::Ok);
  EXPECT_EQ(w.highest(), far);
  EXPECT_EQ(w.check(5).verdict, Verdict::TooOld);
  EXPECT_EQ(w.check(far).verdict, Verdict::Replayed);
  EXPECT_EQ(w.check(far - 1).verdict, Verdict::Ok);
  EXPECT_EQ(receive(w, 0xFFFFFFFFu), Verdict::Ok);  // the last number without ESN
  EXPECT_EQ(w.check(far).verdict, Verdict::TooOld);
}

TEST(ReplayWindow, JumpBeyondHalfTheSequenceSpaceWithEsn) {
  ReplayWindow w(1024, true);
  ASSERT_EQ(receive(w, 5), Verdict::Ok);
  // Case B (Tl < W - 1) in subspace 0: nothing lies before 0, so a number far ahead is a jump forward.
  const auto r = w.check(0x90000000u);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  EXPECT_EQ(r.sequence, 0x90000000u);
  w.accept(r.sequence);
  // Now case A: a low number below Bl belongs to the next subspace.
  const auto next = w.check(3);
  EXPECT_EQ(next.verdict, Verdict::Ok);
  EXPECT_EQ(next.sequence, (std::uint64_t{1} << 32) | 3u);
}

TEST(ReplayWindow, BlockBoundariesInLargeWindows) {
  ReplayWindow w(4096, false);
  // Land the top on every offset within a block, stepping across block boundaries.
  std::set<std::uint32_t> seen;
  std::uint32_t top = 0;
  for (std::uint32_t step : {1u, 31u, 32u, 33u, 63u, 64u, 65u, 4095u, 4096u, 4097u, 8192u, 31u}) {
    top += step;
    ASSERT_EQ(receive(w, top), Verdict::Ok);
    seen.insert(top);
    for (std::uint32_t s = top > 5000 ? top - 5000 : 1; s <= top; ++s) {
      Verdict expected = top - s >= 4096 ? Verdict::TooOld
                         : seen.count(s) ? Verdict::Replayed
                                         : Verdict::Ok;
      ASSERT_EQ(w.check(s).verdict, expected) << "top " << top << " seq " << s;
    }
  }
}

// ---------------------------------------------------------------- window size 0

TEST(ReplayWindow, SizeZeroDisablesReplayCheck) {
  ReplayWindow w(0, false);
  EXPECT_EQ(receive(w, 10), Verdict::Ok);
  EXPECT_EQ(receive(w, 10), Verdict::Ok);  // duplicate accepted
  EXPECT_EQ(receive(w, 1), Verdict::Ok);   // far behind accepted
  EXPECT_EQ(w.highest(), 10u);
  EXPECT_EQ(receive(w, 0xFFFFFFFFu), Verdict::Ok);
  EXPECT_EQ(receive(w, 2), Verdict::Ok);
  EXPECT_EQ(w.check(0).verdict, Verdict::Zero);
}

TEST(ReplayWindow, SizeZeroStillInfersEsnHighBits) {
  ReplayWindow w(0, true);
  ASSERT_EQ(receive(w, 0xFFFFFFF0u), Verdict::Ok);
  auto r = w.check(5);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  EXPECT_EQ(r.sequence, (std::uint64_t{1} << 32) | 5u);
  w.accept(r.sequence);
  EXPECT_EQ(w.highest(), (std::uint64_t{1} << 32) | 5u);
  // A late packet from before the wrap: case B with the 2^31 inference window.
  r = w.check(0xFFFFFFF1u);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  EXPECT_EQ(r.sequence, 0xFFFFFFF1u);
  // Replays are not detected with the window off.
  EXPECT_EQ(w.check(5).verdict, Verdict::Ok);
  // Inference window 2^31: from top 1:5, low numbers up to 5 + 2^31 are ahead, above that behind.
  EXPECT_EQ(w.check(5u + 0x80000000u).sequence, (std::uint64_t{1} << 32) | (5u + 0x80000000u));
  EXPECT_EQ(w.check(6u + 0x80000000u).sequence, 6u + 0x80000000u);
  // The full value 0 is still invalid.
  ReplayWindow fresh(0, true);
  EXPECT_EQ(fresh.check(0).verdict, Verdict::Zero);
  EXPECT_EQ(fresh.check(0xFFFFFFFFu).sequence, 0xFFFFFFFFu);  // nothing before 0: a jump ahead
}

// ---------------------------------------------------------------- ESN inference

TEST(ReplayWindow, EsnWrapAcrossTwoTo32) {
  ReplayWindow w(64, true);
  ASSERT_EQ(receive(w, 0xFFFFFFF0u), Verdict::Ok);
  // Case A (Tl >= W - 1): low 5 is below Bl = Tl - 63, so it belongs to subspace Th + 1.
  auto r = w.check(5);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  EXPECT_EQ(r.sequence, 0x1'0000'0005ull);
  w.accept(r.sequence);
  EXPECT_EQ(w.highest(), 0x1'0000'0005ull);
  // Numbers between the old top and the wrap are still inside the window.
  for (std::uint32_t low = 0xFFFFFFF1u; low != 0; ++low) {
    r = w.check(low);
    ASSERT_EQ(r.verdict, Verdict::Ok) << low;
    ASSERT_EQ(r.sequence, low);  // inferred Th - 1 = 0
  }
  EXPECT_EQ(w.check(0xFFFFFFF0u).verdict, Verdict::Replayed);
  EXPECT_EQ(w.check(0xFFFFFFF0u).sequence, 0xFFFFFFF0u);
  // 2^32 itself (low 0) is fresh and valid with ESN.
  r = w.check(0);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  EXPECT_EQ(r.sequence, 0x1'0000'0000ull);
  // Bottom of the window is 1:5 - 63 = 0:0xFFFFFFC6.
  r = w.check(0xFFFFFFC6u);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  EXPECT_EQ(r.sequence, 0xFFFFFFC6u);
  // One below the bottom is not "too old" with ESN: Appendix A2 places it in subspace Th, far ahead
  // (with ESN the inference window is the replay window, so nothing is left of it).
  r = w.check(0xFFFFFFC5u);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  EXPECT_EQ(r.sequence, 0x1'FFFF'FFC5ull);
}

TEST(ReplayWindow, EsnCaseBLatePacketFromBeforeTheWrap) {
  ReplayWindow w(1024, true);
  w.accept(0x2'FFFF'FFF0ull);  // subspace 2 near its end (ICV verified)
  ASSERT_EQ(receive(w, 0xFFFFFFF8u), Verdict::Ok);
  ASSERT_EQ(w.highest(), 0x2'FFFF'FFF8ull);
  ASSERT_EQ(receive(w, 10), Verdict::Ok);  // wraps into subspace 3
  ASSERT_EQ(w.highest(), 0x3'0000'000Aull);
  // Top just after a wrap: Tl = 10 < W - 1, case B. A late packet from before the wrap is Th - 1.
  auto r = w.check(0xFFFFFFFAu);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  EXPECT_EQ(r.sequence, 0x2'FFFF'FFFAull);
  w.accept(r.sequence);
  EXPECT_EQ(w.highest(), 0x3'0000'000Aull);  // the window did not move back
  EXPECT_EQ(w.check(0xFFFFFFFAu).verdict, Verdict::Replayed);
  EXPECT_EQ(w.check(0xFFFFFFF8u).verdict, Verdict::Replayed);
  EXPECT_EQ(w.check(0xFFFFFFF0u).verdict, Verdict::Replayed);
  // Bl = 10 - 1023 (mod 2^32) = 0xFFFFFC0B: at Bl still Th - 1 and in the window; below it, Th.
  r = w.check(0xFFFFFC0Bu);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  EXPECT_EQ(r.sequence, 0x2'FFFF'FC0Bull);
  r = w.check(0xFFFFFC0Au);
  EXPECT_EQ(r.verdict, Verdict::Ok);  // inferred as Th: far ahead
  EXPECT_EQ(r.sequence, 0x3'FFFF'FC0Aull);
  // Low numbers after the top in subspace 3.
  r = w.check(11);
  EXPECT_EQ(r.sequence, 0x3'0000'000Bull);
  EXPECT_EQ(r.verdict, Verdict::Ok);
  r = w.check(9);
  EXPECT_EQ(r.sequence, 0x3'0000'0009ull);
  EXPECT_EQ(r.verdict, Verdict::Ok);
}

TEST(ReplayWindow, EsnCaseABoundaries) {
  ReplayWindow w(64, true);
  w.accept(0x5'0000'1000ull);
  // Bl = 0x1000 - 63 = 0xFC1: at or above stays Th, below moves to Th + 1.
  EXPECT_EQ(w.check(0xFC1).sequence, 0x5'0000'0FC1ull);
  EXPECT_EQ(w.check(0xFC1).verdict, Verdict::Ok);
  EXPECT_EQ(w.check(0xFC0).sequence, 0x6'0000'0FC0ull);
  EXPECT_EQ(w.check(0xFC0).verdict, Verdict::Ok);  // a (huge) jump ahead: the ICV decides
  EXPECT_EQ(w.check(0x1000).verdict, Verdict::Replayed);
  EXPECT_EQ(w.check(0xFFFFFFFFu).sequence, 0x5'FFFF'FFFFull);
}

TEST(ReplayWindow, EsnWindowNeverMovesUntilAccepted) {
  ReplayWindow w(64, true);
  w.accept(0xFFFFFFF0u);
  const auto r = w.check(3);  // would be 1:3
  ASSERT_EQ(r.sequence, 0x1'0000'0003ull);
  // ICV failed: no accept(). The window still sits in subspace 0.
  EXPECT_EQ(w.highest(), 0xFFFFFFF0u);
  EXPECT_EQ(w.check(0xFFFFFFF5u).sequence, 0xFFFFFFF5u);
}

TEST(ReplayWindow, EsnTopOfTheSequenceSpace) {
  ReplayWindow w(64, true);
  const std::uint64_t top = 0xFFFF'FFFF'FFFF'FFF0ull;
  w.accept(top);
  EXPECT_EQ(w.check(0xFFFFFFFFu).sequence, 0xFFFF'FFFF'FFFF'FFFFull);
  EXPECT_EQ(w.check(0xFFFFFFFFu).verdict, Verdict::Ok);
  // There is no subspace after 2^32 - 1: a low number below Bl stays in Th and is left of the window.
  const auto r = w.check(5);
  EXPECT_EQ(r.verdict, Verdict::TooOld);
  EXPECT_EQ(r.sequence, 0xFFFF'FFFF'0000'0005ull);
}

// ---------------------------------------------------------------- reference model

// The RFC 4303 §3.4.3 receiver written the obvious way: the set of numbers received and the top.
// ESN inference is expressed independently of the Appendix A2 case split: the sequence number is
// the unique value congruent to seq_low (mod 2^32) in [bottom, bottom + 2^32), bottom = top - W + 1,
// moved by 2^32 when that value would fall outside [0, 2^64).
class ReferenceWindow {
 public:
  ReferenceWindow(std::uint32_t size, bool esn) : size_(size), esn_(esn) {}

  ReplayWindow::CheckResult check(std::uint32_t seq_low) const {
    std::uint64_t sequence = seq_low;
    if (esn_) {
      const __int128 w = size_ != 0 ? size_ : (__int128{1} << 31);
      const __int128 bottom = static_cast<__int128>(top_) - w + 1;
      const __int128 span = __int128{1} << 32;
      __int128 offset = (static_cast<__int128>(seq_low) - bottom) % span;
      if (offset < 0) offset += span;
      __int128 value = bottom + offset;
      if (value < 0) value += span;
      if (value >= (__int128{1} << 64)) value -= span;
      sequence = static_cast<std::uint64_t>(value);
    }
    if (sequence == 0) return {Verdict::Zero, 0};
    if (size_ == 0 || sequence > top_) return {Verdict::Ok, sequence};
    if (top_ - sequence >= size_) return {Verdict::TooOld, sequence};
    if (seen_.count(sequence) != 0) return {Verdict::Replayed, sequence};
    return {Verdict::Ok, sequence};
  }

  void accept(std::uint64_t sequence) {
    seen_.insert(sequence);
    top_ = std::max(top_, sequence);
    // Forget what can never matter again, to keep the set small.
    while (size_ != 0 && !seen_.empty() && top_ - *seen_.begin() >= size_) seen_.erase(seen_.begin());
  }

  std::uint64_t highest() const { return top_; }

 private:
  std::uint32_t size_;
  bool esn_;
  std::uint64_t top_ = 0;
  std::set<std::uint64_t> seen_;
};

struct ModelCase {
  std::uint32_t size;
  bool esn;
};

class ReplayWindowModel : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ReplayWindowModel, MatchesReferenceOverRandomTraffic) {
  // Plain variables, not a structured binding: clang 14 cannot capture bindings in lambdas.
  const std::uint32_t requested = GetParam().size;
  const bool esn = GetParam().esn;
  ReplayWindow window(requested, esn);
  const std::uint32_t size = window.size();
  ReferenceWindow model(size, esn);
  std::mt19937_64 rng(0xC0FFEEu + requested * 2u + (esn ? 1u : 0u));

  // Start below a 2^32 boundary so the ESN runs cross it (and cross more with the big jumps).
  std::uint64_t sender = esn ? 0xFFFF'F000ull : 1;  // highest number sent so far
  std::array<std::uint64_t, 64> recent{};          // numbers sent lately, to replay
  std::size_t recent_count = 0;
  const std::uint64_t span = size != 0 ? size : 4096;
  bool big_jump_done = false;
  // Returns the true sequence number of the next packet and whether it is a forgery (whose ICV
  // fails whatever the window says).
  auto pick = [&](int op) -> std::pair<std::uint64_t, bool> {
    const auto r = rng() % 1000;
    auto behind = [&](std::uint64_t d) { return sender > d ? sender - d : sender; };
    if (r < 450) return {sender += 1 + rng() % 3, false};                // mostly in order
    if (r < 650) return {behind(rng() % span), false};                   // reordered in the window
    if (r < 750) return {behind(span + rng() % span), false};            // left of the window
    if (r < 870 && recent_count != 0) return {recent[rng() % std::min(recent_count, recent.size())], false};
    if (r < 950) return {sender += span + rng() % (span * 3), false};    // jump past the window
    if (r < 990) return {behind(rng() % 40), false};                     // near the top
    if (r < 999) return {rng() & 0xFFFF'FFFFull, true};                  // forged, arbitrary number
    // More than 2^31 ahead: often with ESN (crossing subspaces), once without (space is finite).
    // With the window off, ESN inference only reaches 2^31 ahead, so jumps stay below that.
    if (esn && size == 0) return {sender += 0x4000'0000ull + rng() % 0x2000'0000ull, false};
    if (esn || (op >= 50'000 && !big_jump_done)) {
      big_jump_done = true;
      return {sender += 0x8000'0000ull + rng() % 0x1000'0000ull, false};
    }
    return {sender += 1, false};
  };

  std::array<int, 4> verdicts{};
  int wraps = 0;  // accepted numbers that moved the top into a new 2^32 subspace
  for (int op = 0; op < 100'000; ++op) {
    const auto [truth, forged] = pick(op);
    if (!esn) {
      ASSERT_LE(truth, 0xFFFF'FFFFull) << "generator ran out of 32-bit space";
    }
    if (!forged) recent[recent_count++ % recent.size()] = truth;
    const auto seq_low = static_cast<std::uint32_t>(truth);
    const auto got = window.check(seq_low);
    const auto want = model.check(seq_low);
    ASSERT_EQ(got.verdict, want.verdict) << "op " << op << " seq_low " << seq_low << " top "
                                         << model.highest();
    ASSERT_EQ(got.sequence, want.sequence) << "op " << op << " seq_low " << seq_low;
    ++verdicts[static_cast<std::size_t>(got.verdict)];
    // The ICV verifies only for genuine packets whose inferred high bits are the sender's.
    const bool icv_ok = !forged && got.sequence == truth;
    if (got.verdict == Verdict::Ok && icv_ok) {
      if ((got.sequence >> 32) > (window.highest() >> 32)) ++wraps;
      window.accept(got.sequence);
      model.accept(want.sequence);
    }
    ASSERT_EQ(window.highest(), model.highest()) << "op " << op;
  }

  // The traffic mix really exercised every outcome.
  EXPECT_GT(verdicts[static_cast<std::size_t>(Verdict::Ok)], 50'000);
  if (size != 0) {
    EXPECT_GT(verdicts[static_cast<std::size_t>(Verdict::Replayed)], 2'000);
  }
  if (size != 0 && !esn) {
    EXPECT_GT(verdicts[static_cast<std::size_t>(Verdict::TooOld)], 3'000);
  }
  if (esn) {
    EXPECT_GT(wraps, 5);
  } else {
    EXPECT_TRUE(big_jump_done);
  }

  // Finally sweep every number around the window, past both edges.
  const std::uint64_t top = model.highest();
  const std::uint64_t reach = std::uint64_t{size} + 100;
  for (std::uint64_t s = top > reach ? top - reach : 0; s <= top + 100; ++s) {
    const auto low = static_cast<std::uint32_t>(s);
    const auto got = window.check(low);
    const auto want = model.check(low);
    ASSERT_EQ(got.verdict, want.verdict) << "sweep seq " << s;
    ASSERT_EQ(got.sequence, want.sequence) << "sweep seq " << s;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, ReplayWindowModel,
    ::testing::Values(ModelCase{0, false}, ModelCase{32, false}, ModelCase{64, false},
                      ModelCase{1024, false}, ModelCase{4096, false}, ModelCase{0, true},
                      ModelCase{32, true}, ModelCase{64, true}, ModelCase{1024, true},
                      ModelCase{4096, true}, ModelCase{100, false}, ModelCase{kMaxReplayWindow, true}),
    [](const ::testing::TestParamInfo<ModelCase>& param_info) {
      return "W" + std::to_string(param_info.param.size) + (param_info.param.esn ? "_esn" : "_32bit");
    });

}  // namespace
}  // namespace cygnet::ipsec
