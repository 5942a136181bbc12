// SA lifetime accounting. A limit counts as crossed once the counter reaches it (bytes >= limit,
// packets >= limit, now >= created + time limit): the packet that reaches a hard limit is the one
// that reports Expired.
#include "ipsec/lifetime.hpp"

namespace cygnet::ipsec {

namespace {

bool reached(std::uint64_t value, std::uint64_t limit) { return limit != 0 && value >= limit; }

bool reached(TimePoint now, TimePoint created, Seconds limit) {
  return limit.count() != 0 && now - created >= limit;
}

}  // namespace

LifetimeTracker::LifetimeTracker(const LifetimeLimits& limits, TimePoint created)
    : limits_(limits), created_(created) {}

LifetimeEvent LifetimeTracker::on_packet(std::uint64_t bytes, TimePoint now) {
  bytes_ += bytes;
  ++packets_;
  return evaluate(now);
}

LifetimeEvent LifetimeTracker::on_time(TimePoint now) { return evaluate(now); }

LifetimeEvent LifetimeTracker::evaluate(TimePoint now) {
  if (expired_) return LifetimeEvent::None;  // Expired is reported once; the state stays

  const bool soft = reached(now, created_, limits_.soft_time) ||
                    reached(bytes_, limits_.soft_bytes) || reached(packets_, limits_.soft_packets);
  const bool hard = reached(now, created_, limits_.hard_time) ||
                    reached(bytes_, limits_.hard_bytes) || reached(packets_, limits_.hard_packets);
  if (hard) {
    // Hard wins even when soft is crossed by the same packet: rekeying is moot for a dead SA, and
    // the soft event is consumed so it never fires afterwards.
    expired_ = true;
    if (soft) soft_fired_ = true;
    return LifetimeEvent::Expired;
  }
  if (soft && !soft_fired_) {
    soft_fired_ = true;
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
