// SA lifetime accounting. A limit counts as crossed once the counter reaches it (bytes >= limit,
// packets >= limit, now >= created + time limit): the packet that reaches a hard limit is the one
// that reports Expired.
#include "ipsec/lifetime.hpp"

namespace cygnet::ipsec {

namespace {

bool reached(std::uint64_t value, std::uint64_t limit) {
  return limit != 0 && value >= limit;
}

bool reached(TimePoint now, TimePoint created, Seconds limit) {
  return limit.count() != 0 && now - created >= limit;
}

}  // namespace

LifetimeTracker::LifetimeTracker(const LifetimeLimits& limits, TimePoint created)
    : limits_(limits), created_(created) {}

LifetimeEvent LifetimeTracker::on_packet(std::uint64_t bytes, TimePoint now) {
  // Each packet sees the totals including itself, so exactly one packet reaches each limit.
  const std::uint64_t total_bytes = bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  const std::uint64_t total_packets = packets_.fetch_add(1, std::memory_order_relaxed) + 1;
  return evaluate(now, total_bytes, total_packets);
}

LifetimeEvent LifetimeTracker::on_packet_held(std::uint64_t held_bytes, std::uint64_t held_packets,
                                              TimePoint now) {
  return evaluate(now, bytes_.load(std::memory_order_relaxed) + held_bytes,
                  packets_.load(std::memory_order_relaxed) + held_packets);
}

void LifetimeTracker::add_use(std::uint64_t bytes, std::uint64_t packets) {
  if (bytes != 0) bytes_.fetch_add(bytes, std::memory_order_relaxed);
  if (packets != 0) packets_.fetch_add(packets, std::memory_order_relaxed);
}

LifetimeEvent LifetimeTracker::on_time(TimePoint now) {
  return evaluate(now, bytes_.load(std::memory_order_relaxed), packets_.load(std::memory_order_relaxed));
}

LifetimeEvent LifetimeTracker::evaluate(TimePoint now, std::uint64_t bytes, std::uint64_t packets) {
  if (expired_.load(std::memory_order_acquire)) return LifetimeEvent::None;  // reported once; state stays

  const bool soft = reached(now, created_, limits_.soft_time) || reached(bytes, limits_.soft_bytes) ||
                    reached(packets, limits_.soft_packets);
  const bool hard = reached(now, created_, limits_.hard_time) || reached(bytes, limits_.hard_bytes) ||
                    reached(packets, limits_.hard_packets);
  if (hard) {
    // Hard wins even when soft is crossed by the same packet: rekeying is moot for a dead SA, and
    // the soft event is consumed so it never fires afterwards. exchange(): one caller reports it.
    if (soft) soft_fired_.store(true, std::memory_order_release);
    return expired_.exchange(true, std::memory_order_acq_rel) ? LifetimeEvent::None : LifetimeEvent::Expired;
  }
  if (soft && !soft_fired_.load(std::memory_order_relaxed) &&
      !soft_fired_.exchange(true, std::memory_order_acq_rel)) {
    return LifetimeEvent::Rekey;
  }
  return LifetimeEvent::None;
}

std::optional<TimePoint> LifetimeTracker::soft_deadline() const {
  if (limits_.soft_time.count() == 0) return std::nullopt;
  return created_ + limits_.soft_time;
}

std::optional<TimePoint> LifetimeTracker::hard_deadline() const {
  if (limits_.hard_time.count() == 0) return std::nullopt;
  return created_ + limits_.hard_time;
}

}  // namespace cygnet::ipsec
