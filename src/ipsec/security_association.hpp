// One security association: its parameters, scheduled crypto contexts, sequence state, replay
// window, lifetime and counters. Built once; then used per packet with no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "crypto/aead.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "ipsec/drop_reason.hpp"
#include "ipsec/lifetime.hpp"
#include "ipsec/replay_window.hpp"
#include "ipsec/sa_parameters.hpp"
#include "wire/ipv4_header_template.hpp"

namespace cygnet::ipsec {

class SecurityAssociation {
 public:
  // Validates the combination (AH needs integrity and no encryption; ESP with an AEAD takes no
  // separate integrity; NULL encryption needs integrity; key lengths match) and schedules keys.
  // Throws std::invalid_argument or crypto::CryptoError. Key buffers in params are not retained
  // beyond the crypto contexts.
  SecurityAssociation(SaParameters params, TimePoint created);

  const SaParameters& params() const { return params_; }
  std::uint32_t spi() const { return params_.spi; }
  IpsecProtocol protocol() const { return params_.protocol; }
  Mode mode() const { return params_.mode; }
  Direction direction() const { return params_.direction; }

  // --- outbound sequence numbers ---
  // Next sequence number to send, or nullopt when the space is exhausted (2^32-1 sent without ESN,
  // 2^64-1 with ESN): the SA then refuses to send (RFC 4303 §3.3.3).
  std::optional<std::uint64_t> next_sequence();
  std::uint64_t last_sent_sequence() const { return last_sent_; }
  // Continues numbering after `last_sent` (tests of exhaustion; never moves backwards).
  void advance_sequence_to(std::uint64_t last_sent) {
    if (last_sent > last_sent_) last_sent_ = last_sent;
  }
  bool sequence_exhausted() const { return exhausted_; }

  // --- per-packet crypto (owned here so each SA keeps its own initialised contexts) ---
  crypto::Aead* aead() { return aead_ ? &*aead_ : nullptr; }
  crypto::CbcCipher* cbc() { return cbc_ ? &*cbc_ : nullptr; }
  crypto::Hmac* integrity() { return hmac_ ? &*hmac_ : nullptr; }
  std::size_t icv_length() const { return icv_length_; }
  ByteView aead_salt() const { return ByteView(salt_.data(), salt_.size()); }

  ReplayWindow& replay_window() { return replay_; }
  const ReplayWindow& replay_window() const { return replay_; }
  LifetimeTracker& lifetime() { return lifetime_; }
  const LifetimeTracker& lifetime() const { return lifetime_; }

  TrafficCounters& traffic() { return traffic_; }
  const TrafficCounters& traffic() const { return traffic_; }
  DropCounters& drops() { return drops_; }
  const DropCounters& drops() const { return drops_; }

  // The tunnel's outer IPv4 header, prepared once (nullptr for IPv6 endpoints); `protocol` is what
  // the outer header carries: 50 (ESP), 51 (AH) or 17 (ESP in UDP).
  const wire::Ipv4HeaderTemplate* outer_ipv4_template() const {
    return outer_ipv4_ ? &*outer_ipv4_ : nullptr;
  }

  // Usable for traffic: not expired and (outbound) not exhausted.
  bool usable() const { return !lifetime_.expired() && !exhausted_; }

 private:
  SaParameters params_;
  std::optional<crypto::Aead> aead_;
  std::optional<crypto::CbcCipher> cbc_;
  std::optional<crypto::Hmac> hmac_;
  std::array<std::uint8_t, kAeadSaltLength> salt_{};
  std::size_t icv_length_ = 0;
  std::uint64_t last_sent_ = 0;
  bool exhausted_ = false;
  ReplayWindow replay_;
  LifetimeTracker lifetime_;
  TrafficCounters traffic_;
  DropCounters drops_;
  std::optional<wire::Ipv4HeaderTemplate> outer_ipv4_;
};

}  // namespace cygnet::ipsec
