// One security association: its parameters, scheduled crypto contexts, sequence state, replay
// window, lifetime and counters. Built once; then used per packet with no allocation (after each
// thread's first packet on it). Safe to use from several data-plane threads at once without a
// lock: sequence numbers, the replay window and lifetime counters are atomics, cipher contexts and
// statistics are per worker slot.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "crypto/aead.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "ipsec/drop_reason.hpp"
#include "ipsec/lifetime.hpp"
#include "ipsec/replay_window.hpp"
#include "ipsec/sa_parameters.hpp"
#include "ipsec/worker_slot.hpp"
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

  ~SecurityAssociation();
  SecurityAssociation(const SecurityAssociation&) = delete;
  SecurityAssociation& operator=(const SecurityAssociation&) = delete;

  // --- outbound sequence numbers (any number of threads at once) ---
  // Next sequence number to send, or nullopt when the space is exhausted (2^32-1 sent without ESN,
  // 2^64-1 with ESN): the SA then refuses to send (RFC 4303 §3.3.3). Concurrent callers each get a
  // distinct number; none is issued twice and none beyond the limit.
  std::optional<std::uint64_t> next_sequence();
  std::uint64_t last_sent_sequence() const { return last_sent_.load(std::memory_order_acquire); }
  // Continues numbering after `last_sent` (tests of exhaustion; never moves backwards).
  void advance_sequence_to(std::uint64_t last_sent);
  bool sequence_exhausted() const { return exhausted_.load(std::memory_order_acquire); }

  // --- per-packet crypto: the calling thread's own contexts ---
  // OpenSSL cipher contexts are not safe to share between threads, so each worker slot
  // (ipsec/worker_slot.hpp) gets its own, scheduled from the SA's keys the first time that thread
  // uses the SA. prepare_worker() makes them (false: no worker slot free, or OpenSSL failed); the
  // accessors below then return this thread's contexts (nullptr if not prepared or not used).
  bool prepare_worker();
  crypto::Aead* aead();
  crypto::CbcCipher* cbc();
  crypto::Hmac* integrity();
  std::size_t icv_length() const { return icv_length_; }
  ByteView aead_salt() const { return ByteView(salt_.data(), salt_.size()); }

  ReplayWindow& replay_window() { return replay_; }
  const ReplayWindow& replay_window() const { return replay_; }
  LifetimeTracker& lifetime() { return lifetime_; }
  const LifetimeTracker& lifetime() const { return lifetime_; }

  // --- statistics: per-worker shards (no shared cache line written per packet), summed on read ---
  void count_traffic(std::uint64_t inner_bytes);
  // One completed packet of `inner_bytes`: its statistics and lifetime use, and the lifetime event
  // it caused. Inside a PacketBatch open on this thread both are held in this thread's shard and
  // added once per batch (packet_batch.hpp); the limits are still checked per packet.
  LifetimeEvent account_packet(std::uint64_t inner_bytes, TimePoint now);
  // What this thread held during its batch, added to the counters and the lifetime. Only
  // PacketBatch::close() calls it, on the thread of the batch.
  void release_held();
  void count_drop(DropReason reason);
  TrafficCounters traffic() const;
  DropCounters drops() const;

  // The tunnel's outer IPv4 header, prepared once (nullptr for IPv6 endpoints); `protocol` is what
  // the outer header carries: 50 (ESP), 51 (AH) or 17 (ESP in UDP).
  const wire::Ipv4HeaderTemplate* outer_ipv4_template() const {
    return outer_ipv4_ ? &*outer_ipv4_ : nullptr;
  }

  // MOBIKE (RFC 4555): the SA's outer addresses and ESP-in-UDP ports change; SPI, keys, sequence
  // numbers, replay window and counters stay. Only the thread that changes the SAD may call it
  // (Sad::move_endpoints), with no worker processing packets on this SA meanwhile: the data plane
  // runs on that thread today. False (nothing changed) for a family change or AH in UDP.
  bool move_endpoints(const wire::IpAddress& local, const wire::IpAddress& remote,
                      const std::optional<UdpEncapsulation>& udp_encapsulation);

  // Usable for traffic: not expired and (outbound) not exhausted.
  bool usable() const { return !lifetime_.expired() && !sequence_exhausted(); }

 private:
  struct WorkerState;           // one worker's cipher contexts and counters (security_association.cpp)
  WorkerState* worker_state();  // the caller's, created on first use; nullptr if impossible
  std::unique_ptr<WorkerState> make_worker_state() const;  // schedules a fresh set of contexts
  void prepare_outer_header();                             // outer_ipv4_ from params_

  SaParameters params_;
  // Kept (wiped on destruction) to schedule each worker's contexts; params_ holds no key copy.
  crypto::SecureBytes encryption_key_;
  crypto::SecureBytes integrity_key_;
  std::array<std::uint8_t, kAeadSaltLength> salt_{};
  std::size_t icv_length_ = 0;
  // Written by every sender thread: alone on its cache line.
  alignas(64) std::atomic<std::uint64_t> last_sent_{0};
  std::atomic<bool> exhausted_{false};
  alignas(64) ReplayWindow replay_;
  LifetimeTracker lifetime_;
  // Slot i is created and used by the thread holding worker slot i; others only read its counters.
  std::array<std::atomic<WorkerState*>, kMaxWorkerSlots> workers_{};
  // Counters of threads that hold no slot (shared, so updated with atomic read-modify-write).
  std::unique_ptr<WorkerState> unslotted_;
  std::optional<wire::Ipv4HeaderTemplate> outer_ipv4_;  // tunnel over IPv4: written per packet (const)
};

}  // namespace cygnet::ipsec
