// Anti-replay window: RFC 4303 §3.4.3 semantics on an RFC 6479-style ring of 32-bit blocks, with
// extended sequence number inference from RFC 4303 Appendix A2.
//
// Layout: bit (s & 31) of block ((s >> 5) & mask) records sequence number s. The ring holds a
// power-of-two number of blocks, at least size/32 + 1, so the window [top - size + 1, top] never
// shares a block slot with a newer block: advancing top only has to zero the blocks it moves into,
// a whole block at a time, and never touches the bits still inside the window (RFC 6479 §2).
#include "ipsec/replay_window.hpp"

#include <algorithm>
#include <bit>
#include <limits>

namespace cygnet::ipsec {

namespace {

// With replay protection off (size 0) there is no window to anchor ESN inference, yet the high
// bits must still be guessed. We then use half the 32-bit space: a packet is placed in whichever
// subspace puts it within 2^31 - 1 below or 2^31 above the highest sequence number seen, which
// tolerates the largest possible reordering in both directions.
constexpr std::uint32_t kInferenceWindowWhenOff = std::uint32_t{1} << 31;

std::uint32_t normalise_size(std::uint32_t size) {
  size = std::min(size, kMaxReplayWindow);
  return (size + 31u) / 32u * 32u;  // cannot overflow: size <= 65536
}

}  // namespace

ReplayWindow::ReplayWindow(std::uint32_t size, bool extended_sequence_numbers)
    : size_(normalise_size(size)), esn_(extended_sequence_numbers) {
  if (size_ > 0) bitmap_.assign(std::bit_ceil(size_ / 32u + 1u), 0);
}

ReplayWindow::CheckResult ReplayWindow::check(std::uint32_t seq_low) const {
  std::uint64_t sequence = seq_low;
  if (esn_) {
    // RFC 4303 Appendix A2.2: W is the window size, T = Th:Tl the highest authenticated number and
    // Bl = Tl - W + 1 (mod 2^32) the low half of the window's bottom.
    const std::uint32_t w = size_ != 0 ? size_ : kInferenceWindowWhenOff;
    const auto tl = static_cast<std::uint32_t>(top_);
    const auto th = static_cast<std::uint32_t>(top_ >> 32);
    const std::uint32_t bl = tl - w + 1u;
    std::uint32_t seqh = th;
    if (tl >= w - 1u) {
      // Case A: the window lies inside one subspace; numbers below Bl belong to the next one.
      // (If there is no next subspace, Th stays: the number is then left of the window.)
      if (seq_low < bl && th != std::numeric_limits<std::uint32_t>::max()) seqh = th + 1u;
    } else {
      // Case B: the window straddles the boundary into subspace Th; numbers at or above Bl come
      // from before it. In subspace 0 there is nothing before, so Th is the only candidate (a
      // forward jump that the ICV will accept or refute).
      if (seq_low >= bl && th != 0) seqh = th - 1u;
    }
    sequence = (std::uint64_t{seqh} << 32) | seq_low;
  }

  // Without ESN the number 0 is never sent (the counter starts at 1 and may not cycle); with ESN
  // only the full 64-bit value 0 is invalid.
  if (sequence == 0) return {Verdict::Zero, 0};
  if (size_ == 0 || sequence > top_) return {Verdict::Ok, sequence};
  if (top_ - sequence >= size_) return {Verdict::TooOld, sequence};
  if (seen(sequence)) return {Verdict::Replayed, sequence};
  return {Verdict::Ok, sequence};
}

void ReplayWindow::accept(std::uint64_t sequence) {
  if (sequence == 0) return;
  if (size_ == 0) {
    top_ = std::max(top_, sequence);  // still tracked: ESN inference needs it
    return;
  }
  const std::uint64_t mask = bitmap_.size() - 1;
  if (sequence > top_) {
    const std::uint64_t current_block = top_ >> 5;
    const std::uint64_t new_block = sequence >> 5;
    const std::uint64_t advance = new_block - current_block;
    if (advance >= bitmap_.size()) {
      std::fill(bitmap_.begin(), bitmap_.end(), 0u);
    } else {
      for (std::uint64_t i = 1; i <= advance; ++i) bitmap_[(current_block + i) & mask] = 0;
    }
    top_ = sequence;
  } else if (top_ - sequence >= size_) {
    return;  // left of the window: nothing to record (check() would have said TooOld)
  }
  bitmap_[(sequence >> 5) & mask] |= std::uint32_t{1} << (sequence & 31u);
}

bool ReplayWindow::seen(std::uint64_t sequence) const {
  const std::uint64_t mask = bitmap_.size() - 1;
  return ((bitmap_[(sequence >> 5) & mask] >> (sequence & 31u)) & 1u) != 0;
}

}  // namespace cygnet::ipsec
