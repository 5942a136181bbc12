// SA lifetimes (RFC 4301 §4.4.2.1): soft and hard limits in seconds, bytes and packets.
// Time is passed in by the caller. Soft fires once ("rekey"), hard makes the SA unusable ("expired").
// Safe for concurrent packets: counters are atomic, and each event is reported by exactly one call
// even when several threads cross the limit together.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "base/time.hpp"

namespace cygnet::ipsec {

struct LifetimeLimits {
  // Zero means "no limit" for each field.
  Seconds soft_time{0};
  Seconds hard_time{0};
  std::uint64_t soft_bytes = 0;
  std::uint64_t hard_bytes = 0;
  std::uint64_t soft_packets = 0;
  std::uint64_t hard_packets = 0;
};

enum class LifetimeEvent : std::uint8_t { None, Rekey, Expired };

class LifetimeTracker {
 public:
  LifetimeTracker(const LifetimeLimits& limits, TimePoint created);

  // Accounts one packet of `bytes` at `now`. Returns Rekey the first time a soft limit is crossed,
  // Expired the first time a hard limit is crossed, None otherwise.
  LifetimeEvent on_packet(std::uint64_t bytes, TimePoint now);
  // A packet accounted in a batch (ipsec/packet_batch.hpp): the caller holds `held_bytes` and
  // `held_packets` (this one included) not yet added; the limits are checked against the totals
  // plus those. Same once-only semantics as on_packet.
  LifetimeEvent on_packet_held(std::uint64_t held_bytes, std::uint64_t held_packets, TimePoint now);
  // Adds a batch's held use to the totals (checked per packet already, by on_packet_held).
  void add_use(std::uint64_t bytes, std::uint64_t packets);
  // Time-only check for timers: same once-only semantics as on_packet.
  LifetimeEvent on_time(TimePoint now);

  bool expired() const { return expired_.load(std::memory_order_acquire); }
  bool rekey_due() const { return soft_fired_.load(std::memory_order_acquire); }
  TimePoint created() const { return created_; }
  std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  std::uint64_t packets() const { return packets_.load(std::memory_order_relaxed); }
  const LifetimeLimits& limits() const { return limits_; }
  // When the soft/hard time limits fall, if set (for status output and timer arming).
  std::optional<TimePoint> soft_deadline() const;
  std::optional<TimePoint> hard_deadline() const;

 private:
  LifetimeEvent evaluate(TimePoint now, std::uint64_t bytes, std::uint64_t packets);
  LifetimeLimits limits_;
  TimePoint created_;
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> packets_{0};
  std::atomic<bool> soft_fired_{false};
  std::atomic<bool> expired_{false};
};

}  // namespace cygnet::ipsec
