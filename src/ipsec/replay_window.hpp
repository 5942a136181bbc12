// Anti-replay window (RFC 4303 §3.4.3) as a ring of tagged bitmap words in the style of RFC 6479,
// with extended sequence number inference (RFC 4303 Appendix A2). Safe for concurrent use by any
// number of threads without a lock: see replay_window.cpp for how.
//
// Usage per packet: check() before decrypting (cheap rejection, ESN high bits inferred), verify the
// ICV with the inferred sequence number, and only then accept(), which is the authoritative
// test-and-set: when two threads carry the same sequence number past check() at once, exactly one
// accept() returns Ok and the other must drop its packet. The window never moves for a packet whose
// ICV failed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace cygnet::ipsec {

inline constexpr std::uint32_t kDefaultReplayWindow = 1024;
inline constexpr std::uint32_t kMaxReplayWindow = 65536;

class ReplayWindow {
 public:
  // size 0 turns replay protection off (ESN inference still works). Sizes are rounded up to a
  // multiple of 32; above kMaxReplayWindow is clamped.
  ReplayWindow(std::uint32_t size, bool extended_sequence_numbers);
  ReplayWindow(const ReplayWindow&) = delete;
  ReplayWindow& operator=(const ReplayWindow&) = delete;

  enum class Verdict : std::uint8_t { Ok, Replayed, TooOld, Zero };
  struct CheckResult {
    Verdict verdict;
    std::uint64_t sequence;  // full 64-bit sequence number (high bits inferred when ESN)
  };

  // seq_low: the 32 bits carried in the packet. Read-only: never changes the window.
  CheckResult check(std::uint32_t seq_low) const;
  // Marks sequence as received and advances the window; call only after the ICV verified and after
  // check() returned Ok for it. Returns Ok if this call recorded it, Replayed if it was already
  // recorded (by another thread since check()), TooOld if the window moved past it meanwhile.
  Verdict accept(std::uint64_t sequence);

  std::uint32_t size() const { return size_; }
  // Highest authenticated sequence number so far.
  std::uint64_t highest() const { return top_.load(std::memory_order_acquire); }
  bool esn() const { return esn_; }

 private:
  std::uint64_t infer_sequence(std::uint32_t seq_low, std::uint64_t top) const;
  void raise_top(std::uint64_t sequence);
  void retag_all_before(std::uint64_t block);

  std::uint32_t size_;
  bool esn_;
  std::uint64_t slot_mask_ = 0;
  // Highest sequence accepted (0 = none yet); only ever raised.
  alignas(64) std::atomic<std::uint64_t> top_{0};
  // Ring of words: a 48-bit tag naming the 16-number block the word records, then its 16 bits.
  std::unique_ptr<std::atomic<std::uint64_t>[]> slots_;
};

}  // namespace cygnet::ipsec
