// Rate-limited log lines for refused IKE requests: a flood must not flood the log too. At most one
// line per reason per interval, saying how many were refused since the last line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "ike/refusal_counters.hpp"

namespace cygnet::daemon {

class RefusalLog {
 public:
  explicit RefusalLog(Duration interval = Seconds(10)) : interval_(interval) {}

  // The lines due at `now` for the counters' growth since the last line of each reason, e.g.
  // "refused 1234 IKE request(s) (half_open_per_source_cap) in the last 10 s" ("so far" the first time).
  std::vector<std::string> lines_due(const ike::RefusalCounters& counters, TimePoint now);

 private:
  Duration interval_;
  std::array<std::uint64_t, ike::kRefusalReasonCount> logged_{};  // counter values already reported
  std::array<TimePoint, ike::kRefusalReasonCount> last_line_{};
  std::array<bool, ike::kRefusalReasonCount> ever_{};
};

}  // namespace cygnet::daemon
