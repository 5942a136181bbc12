// The Encrypted payload (RFC 7296 §3.14) and Encrypted Fragment payload (RFC 7383): protecting and
// unprotecting IKE messages with the IKE SA's keys, and splitting/reassembling fragments.
// AEAD (AES-GCM-16 RFC 5282, ChaCha20-Poly1305 RFC 7634): 4-byte salt at the end of SK_e, 8-byte
// explicit IV, associated data = IKE header through the SK(F) payload header. CBC: random IV, the
// ICV is HMAC over the whole message up to the ICV, truncated.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ike/algorithms.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

class RandomSource;

// One direction's keys (SK_ei/SK_ai or SK_er/SK_ar). Holds the keys only; cipher contexts are
// scheduled per message, so an idle IKE SA costs bytes rather than kilobytes.
class SkProtection {
 public:
  SkProtection(const IkeAlgorithms& alg, ByteView encryption_key, ByteView integrity_key);
  ~SkProtection();
  SkProtection(SkProtection&&) noexcept;
  SkProtection& operator=(SkProtection&&) noexcept;

  // Bytes an SK payload adds around its plaintext chain at most (IV, padding, pad length, ICV) plus
  // its 4-byte generic header.
  std::size_t overhead() const;

  // A whole message: header (length and next payload computed) + SK payload carrying `inner`.
  Bytes protect(const wire::ikev2::Header& header, const wire::ikev2::EncodedChain& inner,
                RandomSource& random);

  // RFC 7383: the same chain split into SKF fragments so that each datagram (header included) is at
  // most max_datagram bytes. Returns one message when it already fits (as SKF 1/1 only if
  // force_fragments, else as a plain SK message).
  std::vector<Bytes> protect_fragmented(const wire::ikev2::Header& header,
                                        const wire::ikev2::EncodedChain& inner, std::size_t max_datagram,
                                        RandomSource& random, bool force_fragments = false);

  // Decrypts the SK payload of a parsed message; `datagram` is the message as received (the SK
  // payload is its last payload). Returns the inner chain's plaintext bytes (parse them with
  // parse_payload_chain(sk.first_inner, ...)), or nullopt when the ICV fails or padding is bad.
  std::optional<Bytes> unprotect(ByteView datagram, const wire::ikev2::EncryptedPayload& sk);
  std::optional<Bytes> unprotect_fragment(ByteView datagram,
                                          const wire::ikev2::EncryptedFragmentPayload& skf);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Collects decrypted fragments of one message (per message ID and direction) until complete.
class FragmentReassembler {
 public:
  explicit FragmentReassembler(std::size_t max_fragments = 64, std::size_t max_bytes = 64 * 1024);
  struct Complete {
    wire::ikev2::PayloadType first_inner;
    Bytes chain;
  };
  // Adds one decrypted fragment; returns the reassembled chain when the last one arrived. Fragments
  // with a different total than the first seen, or beyond the limits, reset the message.
  std::optional<Complete> add(std::uint32_t message_id, const wire::ikev2::EncryptedFragmentPayload& skf,
                              Bytes decrypted);
  void clear() { pending_.clear(); }

 private:
  struct Pending {
    std::uint16_t total = 0;
    wire::ikev2::PayloadType first_inner = wire::ikev2::PayloadType::None;
    std::map<std::uint16_t, Bytes> pieces;
    std::size_t bytes = 0;
  };
  std::size_t max_fragments_;
  std::size_t max_bytes_;
  std::map<std::uint32_t, Pending> pending_;
};

}  // namespace cygnet::ike
