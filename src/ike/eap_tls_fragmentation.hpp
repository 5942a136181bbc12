// EAP-TLS fragmentation (RFC 5216 §2.1.5): a TLS flight larger than one EAP packet goes out in
// fragments, each acknowledged by an empty EAP-TLS packet from the other side before the next is
// sent; the receiver puts them back together. Both sides of that, sans-I/O.
//
// The reassembler is strict about what a well-behaved peer sends, since each refusal ends the
// conversation: the first fragment of a fragmented message carries the total length (L), which
// is bounded (a peer cannot make us buffer without limit); later fragments must not exceed it or
// announce a different one; the last one must complete it exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "wire/eap_tls_fragment.hpp"

namespace cygnet::ike {

// strongSwan's EAP-TLS default (charon.plugins.eap-tls.fragment_size): small enough that an EAP
// packet with its IKE headers stays under a 1280-byte path.
inline constexpr std::size_t kDefaultEapTlsFragmentSize = 1024;
// A TLS flight of a handshake with certificate chains of kMaxIntermediates certificates fits
// well below this; strongSwan bounds its own at 64 KiB too (charon.plugins.eap-tls.max_message_count
// counts packets, this counts bytes).
inline constexpr std::size_t kMaxEapTlsMessageLength = 65536;

class EapTlsReassembler {
 public:
  explicit EapTlsReassembler(std::size_t max_message_length = kMaxEapTlsMessageLength)
      : max_message_length_(max_message_length) {}

  struct Outcome {
    enum class Kind : std::uint8_t { NeedMore, Complete, Error };
    Kind kind = Kind::NeedMore;
    Bytes message;      // Complete: the whole TLS message
    std::string error;  // Error: why (names the numbers)
  };
  // One received fragment (not an acknowledgement). After Error the reassembler is empty again.
  Outcome add(const wire::eap::TlsFragment& fragment);
  bool in_progress() const { return expected_.has_value(); }

 private:
  Outcome fail(std::string why);
  std::size_t max_message_length_;
  std::optional<std::size_t> expected_;
  Bytes buffer_;
};

class EapTlsFragmenter {
 public:
  explicit EapTlsFragmenter(std::size_t fragment_size = kDefaultEapTlsFragmentSize)
      : fragment_size_(fragment_size == 0 ? 1 : fragment_size) {}

  // Queues a TLS message to send and returns its first fragment.
  wire::eap::TlsFragment begin(ByteView message);
  // The next fragment after the peer's acknowledgement; nullopt when nothing is pending.
  std::optional<wire::eap::TlsFragment> next();
  bool pending() const { return !queue_.empty(); }

 private:
  std::size_t fragment_size_;
  std::deque<wire::eap::TlsFragment> queue_;
};

}  // namespace cygnet::ike
