// Anti-replay window (RFC 4303 §3.4.3) as a bitmap of 32-bit blocks in the style of RFC 6479,
// with extended sequence number inference (RFC 4303 Appendix A2).
//
// Usage per packet: check() before decrypting (cheap rejection, ESN high bits inferred), verify the
// ICV with the inferred sequence number, and only then accept(). The window never moves for a packet
// whose ICV failed.
#pragma once

#include <cstdint>
#include <vector>

namespace cygnet::ipsec {

inline constexpr std::uint32_t kDefaultReplayWindow = 1024;
inline constexpr std::uint32_t kMaxReplayWindow = 65536;

class ReplayWindow {
 public:
  // size 0 turns replay protection off (ESN inference still works). Sizes are rounded up to a
  // multiple of 32; above kMaxReplayWindow is clamped.
  ReplayWindow(std::uint32_t size, bool extended_sequence_numbers);

  enum class Verdict : std::uint8_t { Ok, Replayed, TooOld, Zero };
  struct CheckResult {
    Verdict verdict;
    std::uint64_t sequence;  // full 64-bit sequence number (high bits inferred when ESN)
  };

  // seq_low: the 32 bits carried in the packet.
  CheckResult check(std::uint32_t seq_low) const;
  // Marks sequence as received and advances the window; call only after the ICV verified and after
  // check() returned Ok for it.
  void accept(std::uint64_t sequence);

  std::uint32_t size() const { return size_; }
  std::uint64_t highest() const { return top_; }  // highest authenticated sequence number so far
  bool esn() const { return esn_; }

 private:
  bool seen(std::uint64_t sequence) const;
  std::uint32_t size_;
  bool esn_;
  std::uint64_t top_ = 0;                 // highest sequence accepted (0 = none yet)
  std::vector<std::uint32_t> bitmap_;     // ring of blocks; one spare block as in RFC 6479
};

}  // namespace cygnet::ipsec
