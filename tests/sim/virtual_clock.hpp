// Virtual time for the simulator: a steady TimePoint that only moves when the event loop says so,
// plus the fixed wall-clock origin every engine uses for certificate validity checks.
#pragma once

#include <chrono>

#include "base/time.hpp"
#include "crypto/x509.hpp"

namespace cygnet::sim {

// Far from TimePoint{} so that "zero" never looks like a valid timestamp to the code under test.
inline constexpr TimePoint kEpoch = TimePoint{} + std::chrono::hours(24 * 1000);

// 2026-01-01T00:00:00Z: the wall-clock time at kEpoch (test certificates are issued around it).
inline crypto::WallClock wall_origin() {
  return crypto::WallClock{} + std::chrono::seconds(1767225600);
}

class VirtualClock {
 public:
  TimePoint now() const { return now_; }
  // Time never runs backwards: an earlier target is ignored.
  void advance_to(TimePoint t) {
    if (t > now_) now_ = t;
  }
  Duration elapsed() const { return now_ - kEpoch; }

 private:
  TimePoint now_ = kEpoch;
};

// "12.345s" since the epoch, for trace messages.
inline double seconds_since_epoch(TimePoint t) {
  return std::chrono::duration<double>(t - kEpoch).count();
}

}  // namespace cygnet::sim
