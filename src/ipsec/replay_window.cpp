// Anti-replay window: RFC 4303 §3.4.3 semantics on an RFC 6479-style ring of bitmap words, with
// extended sequence number inference from RFC 4303 Appendix A2, lock-free for concurrent workers.
//
// Layout: sequence number s belongs to block b = s / 16; block b lives in slot (b mod slots), a
// 64-bit word holding b's low 48 bits as a tag and one bit per number of the block. The ring holds
// a power-of-two number of slots, at least size/16 + 1, so every block inside the window
// [top - size + 1, top] has its own slot.
//
// Why a tag instead of RFC 6479's "zero the blocks the top moves into": with several threads that
// zeroing races with a thread setting a bit in the same block (its bit could be wiped, and the
// number accepted twice). With a tag, one compare-and-swap on one word both claims a number and,
// when the slot still holds an older block, recycles it: a slot's tag only ever moves forward, so a
// number's bit, once set, can only disappear together with its whole block leaving the window.
// That makes "accepted at most once" hold under any interleaving. The top only ever rises
// (compare-and-swap maximum), after the bit is set; a reader that sees a slot already recycled for
// a newer block knows its number is too old, even before the new top is visible.
//
// The 48-bit tag compares blocks modulo 2^48 (by the sign of the difference), which is exact while
// the slots hold blocks less than 2^47 apart. A received packet moves the top by at most 2^32 (ESN
// inference allows no more), so only a direct accept() far ahead (tests, or a peer whose numbers
// are set at SA install) can leave slots that stale; such a jump (over 2^40) re-tags every slot as
// an empty, older block first. Were a slot ever misjudged, the result is a dropped packet, never a
// double acceptance: a slot's tag never moves back to a block it has left.
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

constexpr unsigned kBlockShift = 4;  // 16 numbers per slot
constexpr unsigned kTagShift = 16;
constexpr std::uint64_t kTagMask = (std::uint64_t{1} << 48) - 1;
// A forward jump no single received packet can make (ESN inference moves by at most 2^32).
constexpr std::uint64_t kHugeJump = std::uint64_t{1} << 40;

std::uint32_t normalise_size(std::uint32_t size) {
  size = std::min(size, kMaxReplayWindow);
  return (size + 31u) / 32u * 32u;  // cannot overflow: size <= 65536
}

std::uint64_t tag_of(std::uint64_t word) {
  return word >> kTagShift;
}

// Whether 48-bit tag a names a later block than tag b (modulo 2^48, by the sign of a - b).
bool tag_newer(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t difference = (a - b) & kTagMask;
  return difference != 0 && difference < (std::uint64_t{1} << 47);
}

}  // namespace

ReplayWindow::ReplayWindow(std::uint32_t size, bool extended_sequence_numbers)
    : size_(normalise_size(size)), esn_(extended_sequence_numbers) {
  if (size_ > 0) {
    const std::size_t slots = std::bit_ceil((size_ >> kBlockShift) + 1u);
    slot_mask_ = slots - 1;
    slots_ = std::make_unique<std::atomic<std::uint64_t>[]>(slots);  // zeroed: block 0, nothing seen
  }
}

std::uint64_t ReplayWindow::infer_sequence(std::uint32_t seq_low, std::uint64_t top) const {
  if (!esn_) return seq_low;
  // RFC 4303 Appendix A2.2: W is the window size, T = Th:Tl the highest authenticated number and
  // Bl = Tl - W + 1 (mod 2^32) the low half of the window's bottom.
  const std::uint32_t w = size_ != 0 ? size_ : kInferenceWindowWhenOff;
  const auto tl = static_cast<std::uint32_t>(top);
  const auto th = static_cast<std::uint32_t>(top >> 32);
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
  return (std::uint64_t{seqh} << 32) | seq_low;
}

ReplayWindow::CheckResult ReplayWindow::check(std::uint32_t seq_low) const {
  const std::uint64_t top = top_.load(std::memory_order_acquire);
  const std::uint64_t sequence = infer_sequence(seq_low, top);
  // Without ESN the number 0 is never sent (the counter starts at 1 and may not cycle); with ESN
  // only the full 64-bit value 0 is invalid.
  if (sequence == 0) return {Verdict::Zero, 0};
  if (size_ == 0) return {Verdict::Ok, sequence};
  if (sequence <= top && top - sequence >= size_) return {Verdict::TooOld, sequence};
  const std::uint64_t block = sequence >> kBlockShift;
  const std::uint64_t word = slots_[block & slot_mask_].load(std::memory_order_acquire);
  const std::uint64_t tag = block & kTagMask;
  if (tag_of(word) == tag && ((word >> (sequence & 15u)) & 1u) != 0) {
    return {Verdict::Replayed, sequence};
  }
  if (tag_newer(tag_of(word), tag)) return {Verdict::TooOld, sequence};
  return {Verdict::Ok, sequence};
}

ReplayWindow::Verdict ReplayWindow::accept(std::uint64_t sequence) {
  if (sequence == 0) return Verdict::Zero;
  if (size_ == 0) {
    raise_top(sequence);  // still tracked: ESN inference needs it
    return Verdict::Ok;
  }
  const std::uint64_t top = top_.load(std::memory_order_acquire);
  if (sequence <= top && top - sequence >= size_) return Verdict::TooOld;

  const std::uint64_t block = sequence >> kBlockShift;
  if (sequence > top && sequence - top > kHugeJump) retag_all_before(block);
  const std::uint64_t tag = block & kTagMask;
  const std::uint64_t bit = std::uint64_t{1} << (sequence & 15u);
  std::atomic<std::uint64_t>& slot = slots_[block & slot_mask_];
  std::uint64_t word = slot.load(std::memory_order_acquire);
  std::uint64_t desired = 0;
  do {
    if (tag_of(word) == tag) {
      if ((word & bit) != 0) return Verdict::Replayed;
      desired = word | bit;
    } else if (tag_newer(tag_of(word), tag)) {
      return Verdict::TooOld;  // the slot already moved on to a block after ours
    } else {
      desired = (tag << kTagShift) | bit;  // recycle the slot of a block that left the window
    }
  } while (!slot.compare_exchange_weak(word, desired, std::memory_order_acq_rel, std::memory_order_acquire));
  raise_top(sequence);
  return Verdict::Ok;
}

void ReplayWindow::retag_all_before(std::uint64_t block) {
  const std::uint64_t slots = slot_mask_ + 1;
  // Slot i gets the last block before `block`'s ring turn that maps to it: older than anything
  // the new window can hold, and close enough for the tag comparison to be exact.
  const std::uint64_t turn_start = block - (block & slot_mask_);
  for (std::uint64_t i = 0; i < slots; ++i) {
    const std::uint64_t empty_block = turn_start >= slots ? turn_start - slots + i : 0;
    slots_[i].store((empty_block & kTagMask) << kTagShift, std::memory_order_release);
  }
}

void ReplayWindow::raise_top(std::uint64_t sequence) {
  std::uint64_t top = top_.load(std::memory_order_relaxed);
  while (sequence > top &&
         !top_.compare_exchange_weak(top, sequence, std::memory_order_acq_rel, std::memory_order_relaxed)) {
  }
}

}  // namespace cygnet::ipsec
